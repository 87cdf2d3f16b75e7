/**
 * The contract between a sync and its org's coordinator (src/workflows/org-coordinator.ts):
 * names and messages only. Imported by workflow code: plain values, no Node APIs.
 */
import { orgKey } from './naming';
import type { SyncMode } from './types';

export const COORDINATOR_WORKFLOW_TYPE = 'orgCoordinator';

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

/** Sync → coordinator (signal-with-start): may this sync run? */
export const REQUEST_SLOT_SIGNAL = 'requestSyncSlot';
/** Sync → coordinator: this sync ended; `watermark` when it completed, else null. */
export const RELEASE_SLOT_SIGNAL = 'releaseSyncSlot';
export interface SlotRelease extends SyncSlotHolder {
  watermark: string | null;
}

/** Coordinator → sync: run now, from this watermark (null: no successful sync yet). */
export const SLOT_GRANTED_SIGNAL = 'syncSlotGranted';
export interface SlotGrant {
  previousWatermark: string | null;
}
/** Coordinator → sync: do not run; `reason` names the sync this one was coalesced into. */
export const SLOT_REFUSED_SIGNAL = 'syncSlotRefused';
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

/** The coordinator's `state` query. */
export const COORDINATOR_STATE_QUERY = 'state';
