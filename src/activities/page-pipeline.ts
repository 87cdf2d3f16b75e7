/**
 * The page pipeline: what every page activity (listing, enrichment, delivery, housekeeping, the
 * bulk index) works over — the worker's staging, its Okta sessions, its sink and metrics, and the
 * process-wide group-roles cache and membership-index readers. Built once per worker by
 * `pagePipeline`; each activity is a plain function `(pipeline, input) => result` in its
 * family's module, and `index.ts` binds them.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { setMaxListeners } from 'node:events';
import { ErrorType } from '../contract/error-table';
import type { SyncMetrics } from '../metrics/connector-metrics';
import type { EventSink } from '../sinks/sink';
import type { StagingStore } from '../sync/staging';
import { GroupRolesCache } from './group-roles-cache';
import { IndexReaders } from './index-readers';
import type { CallOptions, OktaSession } from './okta-session';

export interface ActivityDeps {
  /** Origin of the one Okta org this worker serves. */
  orgUrl: string;
  staging: StagingStore;
  sink: EventSink;
  /** A new session per activity execution, over the process-wide rate limiter. */
  oktaSession: () => OktaSession;
  /** Temporal client, to reach the org's coordinator workflow. */
  temporalClient: () => Promise<Client>;
  /** The worker's metrics (OKTA_OCSF_METRICS_ADDRESS); absent: nothing is recorded. */
  metrics?: SyncMetrics;
  /** Memberships buffered per sorted run of the membership index (bulk strategy). */
  indexRunPairs?: number;
  /** Groups whose members the index build reads at the same time (bulk strategy). */
  indexMemberLanes?: number;
}

export interface PagePipeline {
  readonly staging: StagingStore;
  readonly sink: EventSink;
  readonly oktaSession: () => OktaSession;
  readonly metrics?: SyncMetrics;
  /** Roles of a group, fetched once per sync whichever page asks first. */
  readonly groupRoles: GroupRolesCache;
  /** The sync's membership index and role assignees, opened once for every page (bulk). */
  readonly indexReaders: IndexReaders;
  /** Pairs buffered before a sorted run of the membership index is written (bounds memory). */
  readonly indexRunPairs: number;
  readonly indexMemberLanes: number;
}

const DEFAULT_INDEX_RUN_PAIRS = 200_000;
const DEFAULT_INDEX_MEMBER_LANES = 8;

export function pagePipeline(deps: ActivityDeps): PagePipeline {
  return {
    staging: deps.staging,
    sink: deps.sink,
    oktaSession: deps.oktaSession,
    metrics: deps.metrics,
    groupRoles: new GroupRolesCache(deps.staging),
    indexReaders: new IndexReaders(),
    indexRunPairs: deps.indexRunPairs ?? DEFAULT_INDEX_RUN_PAIRS,
    indexMemberLanes: deps.indexMemberLanes ?? DEFAULT_INDEX_MEMBER_LANES,
  };
}

/** Refuses any org but the worker's own: a worker must never answer for a token it does not hold. */
export function orgCheck(workerOrgUrl: string): (orgUrl: string) => void {
  return (orgUrl) => {
    if (orgUrl === workerOrgUrl) return;
    throw ApplicationFailure.create({
      message: `this worker serves ${workerOrgUrl}, not ${orgUrl}: check OKTA_ORG_URL and TEMPORAL_TASK_QUEUE`,
      type: ErrorType.OrgMismatchError,
      nonRetryable: true,
    });
  };
}

/** Okta call options of the running activity: its cancellation, and a heartbeat while it waits. */
export function heartbeatingCall(): CallOptions {
  const ctx = Context.current();
  // Many concurrent requests of one activity listen on the same cancellation signal.
  setMaxListeners(0, ctx.cancellationSignal);
  return {
    signal: ctx.cancellationSignal,
    onWait: (ms, reason) => ctx.heartbeat({ waitingMs: ms, reason }),
  };
}
