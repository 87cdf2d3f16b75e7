/**
 * Everything that crosses Temporal, in one place: workflow type names, their input and result
 * types, queries, signals, memo keys, and the id helpers both sides compute. The workflows set
 * their handlers from these definitions; the CLI, the worker, the activities, the schedules and
 * the tests import them, so a renamed query or a changed result type fails the type check
 * instead of a running sync.
 *
 * Workflow code imports this module: plain values and `define*` calls only, no Node APIs.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { orgCoordinator } from '../workflows/org-coordinator';
import type { oktaSync } from '../workflows/okta-sync';
import type { CoordinatorState, RequestAnswer, SyncRequest } from '../sync/coordination';
import { syncWorkflowIdPrefix } from '../sync/naming';
import type { SyncProgress, SyncTotals } from '../sync/types';

// ---- workflow types ----
/** The sync of one org (src/workflows/okta-sync.ts). */
export const SYNC_WORKFLOW_TYPE = 'oktaSync';
/** One per org and task queue: lets one sync of the org run at a time, keeps the watermark. */
export const COORDINATOR_WORKFLOW_TYPE = 'orgCoordinator';
/**
 * The workflow functions' own types (type-only imports: no workflow code is loaded), for typed
 * handles: `client.workflow.start<OktaSyncWorkflow>(SYNC_WORKFLOW_TYPE, …)`.
 */
export type OktaSyncWorkflow = typeof oktaSync;
export type OrgCoordinatorWorkflow = typeof orgCoordinator;

// ---- queries ----
/** A sync's live progress (totals so far, status, last error). */
export const progressQuery = defineQuery<SyncProgress>('progress');
/** The coordinator's state: watermark, running request and its child, queue. */
export const coordinatorStateQuery = defineQuery<CoordinatorState>('state');

// ---- signals ----
/** Request → coordinator (signal-with-start, from an activity): run this sync. */
export const requestSyncSignal = defineSignal<[SyncRequest]>('requestSync');
/** Coordinator → request: queued, started (as which child), refused, or the child's outcome. */
export const requestAnswerSignal = defineSignal<[RequestAnswer]>('syncRequestAnswer');

// ---- memo ----
/** What a completed sync writes to its memo (`upsertMemo`), read back by `sync list`. */
export interface SyncMemo {
  /** The System Log watermark the next incremental starts from (null: none known yet). */
  watermark: string | null;
  /** ISO time the sync completed. */
  finishedAt: string;
  totals: SyncTotals;
}
export const SYNC_MEMO_KEYS = {
  watermark: 'watermark',
  finishedAt: 'finishedAt',
  totals: 'totals',
} as const satisfies { [K in keyof SyncMemo]: K };

/** The memo of a listed execution, typed; a field that is absent or of another type is null. */
export function readSyncMemo(memo: Record<string, unknown> | undefined): {
  [K in keyof SyncMemo]: SyncMemo[K] | null;
} {
  const m = memo ?? {};
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const totals = m[SYNC_MEMO_KEYS.totals];
  return {
    watermark: str(m[SYNC_MEMO_KEYS.watermark]),
    finishedAt: str(m[SYNC_MEMO_KEYS.finishedAt]),
    totals: typeof totals === 'object' && totals !== null ? (totals as SyncTotals) : null,
  };
}

// ---- search attributes ----
/**
 * None of our own: `sync list` filters on the built-in `WorkflowType` and `WorkflowId`, so a
 * dev server or Temporal Cloud namespace needs no custom attribute registered.
 */
export function syncListQuery(orgUrl?: string): string {
  const byType = `WorkflowType = '${SYNC_WORKFLOW_TYPE}'`;
  return orgUrl ? `${byType} AND WorkflowId STARTS_WITH '${syncWorkflowIdPrefix(orgUrl)}'` : byType;
}

// ---- ids and names both sides compute ----
export { coordinatorWorkflowId, syncChildWorkflowId } from '../sync/coordination';
export { orgKey, scheduleId, syncWorkflowId, syncWorkflowIdPrefix } from '../sync/naming';
