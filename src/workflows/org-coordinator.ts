/**
 * The coordinator of one Okta org: a long-lived workflow (id `okta-ocsf-coordinator-<org>-<task queue>`,
 * started by the first sync that asks, with signal-with-start) that
 * - lets one sync of the org run at a time, and decides what a second request gets;
 * - owns the incremental watermark: a completed sync reports it here, the next sync is given it.
 *   It lives in this workflow's state (carried over continue-as-new), so it neither depends on
 *   visibility nor disappears with the namespace's retention.
 *
 * Queueing rule, for a request arriving while a sync runs:
 * - same mode as the running sync, or as one already waiting: refused — the sync reports
 *   `skipped`, naming the sync it was coalesced into (that one covers the same changes);
 * - another mode: queued, and run when the running one ends (a full resync asked for during an
 *   hourly incremental runs right after it, and vice versa).
 *
 * Every sync path reaches it: `sync`, `resync`, schedules and the Temporal UI all start an
 * `oktaSync` workflow, whose first step asks here (src/activities/coordination.ts). A holder that
 * ended without releasing (terminated, or its workflow deleted) is detected by describing it when
 * the next request arrives, so the slot is never held forever.
 *
 * Continue-as-new after `MAX_EVENTS_PER_RUN` requests and releases (or when Temporal suggests
 * it) keeps the history small.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import {
  coordinatorStateQuery,
  releaseSlotSignal,
  requestSlotSignal,
  slotGrantedSignal,
  slotRefusedSignal,
} from '../contract/temporal-contract';
import {
  type CoordinatorInput,
  type CoordinatorState,
  type SlotGrant,
  type SlotRefusal,
  type SlotRelease,
  type SyncSlotHolder,
} from '../sync/coordination';

const MAX_EVENTS_PER_RUN = 200;

const probe = proxyActivities<SyncActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 10, maximumInterval: '30 seconds' },
});

type Event = { kind: 'request'; who: SyncSlotHolder } | { kind: 'release'; r: SlotRelease };

const same = (a: SyncSlotHolder, b: SyncSlotHolder): boolean =>
  a.workflowId === b.workflowId && a.firstRunId === b.firstRunId;

export async function orgCoordinator(input: CoordinatorInput): Promise<void> {
  const state: CoordinatorState = input.state ?? { watermark: null, running: null, queue: [] };
  const inbox: Event[] = [];
  let handled = 0;
  setHandler(requestSlotSignal, (who) => void inbox.push({ kind: 'request', who }));
  setHandler(releaseSlotSignal, (r) => void inbox.push({ kind: 'release', r }));
  setHandler(coordinatorStateQuery, () => state);

  const grant = async (who: SyncSlotHolder): Promise<void> => {
    state.running = who;
    const g: SlotGrant = { previousWatermark: state.watermark };
    await signalQuietly(who, slotGrantedSignal, g);
  };
  const refuse = async (who: SyncSlotHolder, coalescedInto: SyncSlotHolder): Promise<void> => {
    const r: SlotRefusal = {
      reason: `another ${coalescedInto.mode} sync of this org is running or queued: ${coalescedInto.workflowId}`,
    };
    await signalQuietly(who, slotRefusedSignal, r);
  };
  /** The slot is free again; a completed sync's watermark is kept (the newest one wins). */
  const release = (r: SlotRelease): void => {
    if (r.watermark !== null && (state.watermark === null || r.watermark > state.watermark)) {
      state.watermark = r.watermark;
    }
    if (state.running && same(state.running, r)) state.running = null;
  };
  const startNext = async (): Promise<void> => {
    const next = state.queue.shift();
    if (next) await grant(next);
  };

  const timeToContinue = (): boolean =>
    handled >= MAX_EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested;
  for (;;) {
    // Everything received is handled before continuing as new: nothing is carried but `state`.
    await condition(() => inbox.length > 0 || timeToContinue());
    if (inbox.length === 0) break;
    const ev = inbox.shift()!;
    handled += 1;
    if (ev.kind === 'release') {
      release(ev.r);
      if (state.running === null) await startNext();
      continue;
    }
    const who = ev.who;
    // A repeated request (a retried activity) must not queue the same sync twice.
    if (state.running && same(state.running, who)) {
      await grant(who);
      continue;
    }
    // Cannot tell (Temporal unreachable for minutes): assume it runs; the next request asks again.
    const alive = state.running
      ? await probe.isSyncRunning(state.running).catch(() => true)
      : false;
    // A holder releases (an activity) before its workflow ends: when it is seen ended, its
    // release is already waiting in the inbox, behind this request. Take it first, with its
    // watermark, rather than evicting the holder without it.
    const pendingRelease = state.running
      ? inbox.findIndex((e) => e.kind === 'release' && same(e.r, state.running!))
      : -1;
    if (!alive && pendingRelease >= 0) {
      const [r] = inbox.splice(pendingRelease, 1);
      if (r?.kind === 'release') release(r.r);
    }
    if (state.running && !alive) {
      log.warn('the running sync ended without releasing its slot', { ...state.running });
      state.running = null;
      await startNext();
    }
    if (state.running === null) {
      await grant(who);
      continue;
    }
    if (state.queue.some((q) => same(q, who))) continue;
    const coalesce = [state.running, ...state.queue].find((s) => s.mode === who.mode);
    if (coalesce) await refuse(who, coalesce);
    else state.queue.push(who);
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof orgCoordinator>({ orgUrl: input.orgUrl, state });
}

/** A sync that is gone (deleted, terminated) cannot be signalled: that is not our failure. */
async function signalQuietly<A>(
  who: SyncSlotHolder,
  signal: SignalDefinition<[A]>,
  arg: A,
): Promise<void> {
  try {
    await getExternalWorkflowHandle(who.workflowId).signal(signal, arg);
  } catch (err) {
    log.warn('could not signal a sync', { workflowId: who.workflowId, error: String(err) });
  }
}
