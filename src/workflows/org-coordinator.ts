/**
 * The coordinator of one Okta org: a long-lived workflow (id `okta-ocsf-coordinator-<org>-<task queue>`,
 * started by the first request, with signal-with-start) that
 * - runs the org's syncs one at a time, each as its own child workflow (`oktaSync`, id
 *   `<request id>-child`), and decides what a second request gets;
 * - owns the incremental watermark: it takes it from a completed child's result and gives it to
 *   the next child in its input. It lives in this workflow's state (carried over
 *   continue-as-new), so it neither depends on visibility nor disappears with retention.
 *
 * Queueing rule, for a request arriving while a sync runs:
 * - same mode as the running sync, or as one already waiting: refused — the request reports
 *   `skipped`, naming the sync it was coalesced into (that one covers the same changes);
 * - another mode: queued, and run when the running one ends (a full resync asked for during an
 *   hourly incremental runs right after it, and vice versa).
 *
 * Every sync path reaches it: `sync`, `resync`, schedules and the Temporal UI all start an
 * `oktaSync` workflow, which, having no coordinator for parent, is a request
 * (src/workflows/sync-request.ts). A child that fails, is terminated or cancelled ends in this
 * workflow at once (Temporal reports the child's close to its parent): the slot is free again.
 *
 * Continue-as-new after `MAX_REQUESTS_PER_RUN` requests (or when Temporal suggests it), only
 * while no child runs: a child's result reaches the run that started it. The children are
 * terminated if this workflow is (parent close policy TERMINATE), so a sync never runs outside
 * the coordinator; its requests ask again and a new coordinator runs them.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../contract/error-table';
import {
  coordinatorStateQuery,
  requestAnswerSignal,
  requestSyncSignal,
  SYNC_WORKFLOW_TYPE,
  type OktaSyncWorkflow,
} from '../contract/temporal-contract';
import {
  syncChildWorkflowId,
  type CoordinatorInput,
  type CoordinatorState,
  type RequestAnswer,
  type SyncChild,
  type SyncRequest,
  type SyncRequestRef,
} from '../sync/coordination';
import type { SyncProgress, SyncResult } from '../sync/types';

const MAX_REQUESTS_PER_RUN = 200;
/** Ended requests remembered, so that a late re-ask of one does not run its sync again. */
const RECENT_KEPT = 50;

type Outcome = Extract<RequestAnswer, { kind: 'completed' | 'failed' }>;

const same = (a: SyncRequestRef, b: SyncRequestRef): boolean =>
  a.workflowId === b.workflowId && a.firstRunId === b.firstRunId;

export async function orgCoordinator(input: CoordinatorInput): Promise<void> {
  const c = new Coordinator(input.state);
  const inbox: SyncRequest[] = [];
  setHandler(requestSyncSignal, (r) => void inbox.push(r));
  setHandler(coordinatorStateQuery, () => c.state);

  let handled = 0;
  const timeToContinue = (): boolean =>
    handled >= MAX_REQUESTS_PER_RUN || workflowInfo().continueAsNewSuggested;
  for (;;) {
    // Everything received is handled before continuing as new, and no child runs then.
    await condition(() => inbox.length > 0 || (c.idle() && timeToContinue()));
    if (inbox.length === 0) break;
    handled += 1;
    await c.decide(inbox.shift()!);
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof orgCoordinator>({ orgUrl: input.orgUrl, state: c.state });
}

class Coordinator {
  readonly state: CoordinatorState;

  constructor(carried: CoordinatorState | undefined) {
    this.state = carried ?? { watermark: null, running: null, queue: [], recent: [] };
  }

  /** Outcomes not yet signalled to their requests (they must be, before continuing as new). */
  private answering = 0;

  idle(): boolean {
    return this.state.running === null && this.state.queue.length === 0 && this.answering === 0;
  }

  /** What a request gets: run now, queued, refused, or (a repeat) told again where it stands. */
  async decide(r: SyncRequest): Promise<void> {
    const s = this.state;
    if (s.running && same(s.running, r)) {
      if (s.running.child) await answer(r, { kind: 'started', child: s.running.child });
      return;
    }
    if (s.queue.some((q) => same(q, r))) {
      await answer(r, { kind: 'queued', behind: s.running?.workflowId ?? '' });
      return;
    }
    if (s.recent.some((e) => same(e, r))) return; // a late repeat of a request that ended
    if (s.running === null) {
      this.run(r);
      return;
    }
    const coalesce = [s.running, ...s.queue].find((q) => q.mode === r.mode);
    if (coalesce) {
      const reason = `another ${coalesce.mode} sync of this org is running or queued: ${coalesce.workflowId}`;
      this.ended(r);
      await answer(r, { kind: 'refused', reason });
      return;
    }
    s.queue.push(r);
    await answer(r, { kind: 'queued', behind: s.running.workflowId });
  }

  /** Starts the request's child now; when it ends, the next queued request runs. */
  private run(r: SyncRequest): void {
    const { workflowId, firstRunId, mode } = r;
    this.state.running = { workflowId, firstRunId, mode, child: null };
    this.answering += 1;
    void this.runChild(r).then(async (outcome) => {
      // The slot is free before the request hears the outcome: the next one starts at once,
      // and whoever the request tells sees a free slot.
      this.state.running = null;
      this.ended(r);
      const next = this.state.queue.shift();
      if (next) this.run(next);
      await answer(r, outcome);
      this.answering -= 1;
    });
  }

  /** Starts the child, tells the request which it is, and returns the child's outcome. */
  private async runChild(r: SyncRequest): Promise<Outcome> {
    const workflowId = syncChildWorkflowId(r.workflowId);
    let child: SyncChild;
    let result: Promise<SyncResult>;
    try {
      const handle = await startChild<OktaSyncWorkflow>(SYNC_WORKFLOW_TYPE, {
        workflowId,
        args: [{ ...r.input, previousWatermark: this.state.watermark }],
        parentClosePolicy: ParentClosePolicy.TERMINATE,
      });
      child = { workflowId, firstRunId: handle.firstExecutionRunId };
      result = handle.result();
    } catch (err) {
      return {
        kind: 'failed',
        message: `could not start ${workflowId}: ${String(err)}`,
        progress: null,
      };
    }
    this.state.running!.child = child;
    await answer(r, { kind: 'started', child });
    try {
      const done = await result;
      this.keepWatermark(done.watermark);
      return { kind: 'completed', result: { ...done, child } };
    } catch (err) {
      return { kind: 'failed', ...failureOf(err, child) };
    }
  }

  /** A completed sync's watermark is kept (the newest one wins). */
  private keepWatermark(w: string | null): void {
    if (w !== null && (this.state.watermark === null || w > this.state.watermark)) {
      this.state.watermark = w;
    }
  }

  private ended(r: SyncRequestRef): void {
    const { workflowId, firstRunId, mode } = r;
    this.state.recent = [...this.state.recent, { workflowId, firstRunId, mode }].slice(
      -RECENT_KEPT,
    );
  }
}

/** The child's failure as its request reports it: the sync's own message and progress. */
function failureOf(
  err: unknown,
  child: SyncChild,
): { message: string; progress: SyncProgress | null } {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type === ErrorType.SyncFailed) {
    const details = cause.details?.[0] as SyncProgress | undefined;
    return { message: cause.message, progress: details ? { ...details, child } : null };
  }
  const why = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return { message: `the sync ${child.workflowId} ended without a result: ${why}`, progress: null };
}

/**
 * A request that is gone (deleted, terminated) cannot be signalled: that is not our failure. By
 * run id (a request never continues as new): a later request with the same workflow id must not
 * receive an earlier one's answer.
 */
async function answer(who: SyncRequestRef, a: RequestAnswer): Promise<void> {
  try {
    await getExternalWorkflowHandle(who.workflowId, who.firstRunId).signal(requestAnswerSignal, a);
  } catch (err) {
    log.warn('could not answer a sync request', { workflowId: who.workflowId, error: String(err) });
  }
}
