/**
 * The contract between a sync request and its org's coordinator (src/workflows/org-coordinator.ts):
 * ids and messages; the signal and query definitions are in src/contract/temporal-contract.ts.
 * Imported by workflow code: plain values, no Node APIs.
 */
import { orgKey } from './naming';
import type { SyncInput, SyncMode, SyncProgress, SyncResult } from './types';

/**
 * One coordinator per org and task queue. A deployment serves one org per task queue (a worker
 * refuses another org), so this is one per org; the queue is in the id so that the coordinator
 * always runs where that org's workers poll (tests run one org on several queues).
 */
export function coordinatorWorkflowId(orgUrl: string, taskQueue: string): string {
  return `${coordinatorWorkflowIdPrefix(orgUrl)}${taskQueue}`;
}

/** What the id of any coordinator of this org starts with, whatever its task queue. */
export function coordinatorWorkflowIdPrefix(orgUrl: string): string {
  return `okta-ocsf-coordinator-${orgKey(orgUrl)}-`;
}

/**
 * The id of the coordinator's child workflow that runs the sync a request asked for: derived
 * from the request's id, so the CLI, tests and operators find it. Unique among running
 * workflows: the coordinator runs one child at a time, and one request per id runs at a time.
 */
export function syncChildWorkflowId(requestWorkflowId: string): string {
  return `${requestWorkflowId}-child`;
}

/** Who asks: a request is known by its workflow id and the run id of its first run. */
export interface SyncRequestRef {
  workflowId: string;
  firstRunId: string;
  mode: SyncMode;
}

/** A request as the coordinator keeps it: the child's input comes from it (no secrets in it). */
export interface SyncRequest extends SyncRequestRef {
  input: SyncInput;
}

/** The child workflow that runs a sync (its chain: first run id). */
export interface SyncChild {
  workflowId: string;
  firstRunId: string;
}

/**
 * Coordinator → request. `queued` and `started` may come several times (a re-asked request is
 * told again); `refused`, `completed` and `failed` end the request.
 */
export type RequestAnswer =
  | { kind: 'queued'; behind: string }
  | { kind: 'started'; child: SyncChild }
  | { kind: 'refused'; reason: string }
  | { kind: 'completed'; result: SyncResult }
  | { kind: 'failed'; message: string; progress: SyncProgress | null };

export interface CoordinatorInput {
  orgUrl: string;
  /** Carried over continue-as-new. */
  state?: CoordinatorState;
}

export interface CoordinatorState {
  /** Watermark of the last successful sync of the org (full or incremental). */
  watermark: string | null;
  /** The request whose child runs now (`child` null while it is being started). */
  running: (SyncRequestRef & { child: SyncChild | null }) | null;
  queue: SyncRequest[];
  /** The last requests that ended: a late re-ask from one of them must not run it again. */
  recent: SyncRequestRef[];
}
