/**
 * The contract between a sync and its org's coordinator (src/workflows/org-coordinator.ts):
 * ids and messages; the signal and query definitions are in src/contract/temporal-contract.ts.
 * Imported by workflow code: plain values, no Node APIs.
 */
import { orgKey } from './naming';
import type { SyncMode } from './types';

/**
 * One coordinator per org and task queue. A deployment serves one org per task queue (a worker
 * refuses another org), so this is one per org; the queue is in the id so that the coordinator
 * always runs where that org's workers poll (tests run one org on several queues).
 */
export function coordinatorWorkflowId(orgUrl: string, taskQueue: string): string {
  return `okta-ocsf-coordinator-${orgKey(orgUrl)}-${taskQueue}`;
}

/** Who asks: a sync chain is known by its workflow id and the run id of its first run. */
export interface SyncSlotHolder {
  workflowId: string;
  firstRunId: string;
  mode: SyncMode;
}

export interface SlotRelease extends SyncSlotHolder {
  watermark: string | null;
}

export interface SlotGrant {
  previousWatermark: string | null;
}
export interface SlotRefusal {
  reason: string;
}

export interface CoordinatorInput {
  orgUrl: string;
  /** Carried over continue-as-new. */
  state?: CoordinatorState;
}

export interface CoordinatorState {
  /** Watermark of the last successful sync of the org (full or incremental). */
  watermark: string | null;
  running: SyncSlotHolder | null;
  queue: SyncSlotHolder[];
}
