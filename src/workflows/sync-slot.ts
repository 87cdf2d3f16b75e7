/**
 * A sync's side of the org's coordinator (src/workflows/org-coordinator.ts): ask for the slot,
 * wait for the answer, give the slot back. Workflow code.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { slotGrantedSignal, slotRefusedSignal } from '../contract/temporal-contract';
import { type SlotGrant, type SlotRefusal, type SyncSlotHolder } from '../sync/coordination';

export type SlotAnswer = { granted: SlotGrant } | { refused: SlotRefusal };

interface SlotActivities {
  requestSyncSlot(input: { orgUrl: string; holder: SyncSlotHolder }): Promise<void>;
  releaseSyncSlot(input: {
    orgUrl: string;
    release: SyncSlotHolder & { watermark: string | null };
  }): Promise<void>;
}

/**
 * Resolves when the coordinator answers: at once when the org is idle, after the running sync
 * ends when this one is queued (that sync's own activity bounds bound how long).
 */
export async function acquireSyncSlot(
  acts: SlotActivities,
  orgUrl: string,
  holder: SyncSlotHolder,
): Promise<SlotAnswer> {
  let answer: SlotAnswer | null = null;
  setHandler(slotGrantedSignal, (granted) => void (answer ??= { granted }));
  setHandler(slotRefusedSignal, (refused) => void (answer ??= { refused }));
  // Asked again every minute while queued: a coordinator that lost the request (terminated,
  // reset) gets it back, and the coordinator ignores a request it already holds or queues.
  do await acts.requestSyncSlot({ orgUrl, holder });
  while (!(await condition(() => answer !== null, '1 minute')));
  return answer!;
}

/** Gives the slot back; `watermark` only when the sync completed (the next one starts there). */
export async function releaseSyncSlot(
  acts: SlotActivities,
  orgUrl: string,
  holder: SyncSlotHolder,
  watermark: string | null,
): Promise<void> {
  await acts.releaseSyncSlot({ orgUrl, release: { ...holder, watermark } });
}
