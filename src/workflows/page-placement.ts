/**
 * Where a page's work runs (issue 13, part 3). A page's activities read and write staging on the
 * worker's own disk, so they all run on one worker: a claim on the shared queue names a worker,
 * whose own task queue (src/activities/page-placement.ts) then takes the page's listing,
 * enrichment and delivery. Staging is a per-worker cache, never a source of truth: when that
 * worker is gone, the page is redone from its listing (its cursor is in history) on another one.
 *
 * A lost worker is noticed within bounds: an activity cut off on it times out on its heartbeat
 * (10 s), its retry then waits on the dead worker's queue until `PLACED_SCHEDULE_TO_START`;
 * a worker restarted from the same disk has a new queue, so nothing waits on it twice.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { PagePlacementActivities, PageWorker } from '../activities/page-placement';
import { TRANSIENT_MAX_ATTEMPTS } from '../contract/activity-budget';
import { ErrorType } from '../contract/error-table';
import type { PageRef } from '../sync/types';

/**
 * How long an activity of a placed page may wait on its worker's queue before that worker counts
 * as gone. A live worker takes a task within milliseconds unless all its activity slots are busy
 * (OKTA_OCSF_WORKER_ACTIVITIES, 20 by default, far above a sync's `pageConcurrency` pages of four
 * activities); a false alarm only costs the page's calls again, on another worker.
 */
export const PLACED_SCHEDULE_TO_START = '20 seconds';

/** Placements of one page, the first included: a page that loses this many workers fails the sync. */
export const MAX_PLACEMENTS = 4;

/** Whether `err` says the page's worker, and so its staging, is gone. */
export function isWorkerLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) {
    return cause.timeoutType === 'SCHEDULE_TO_START' || cause.timeoutType === 'HEARTBEAT';
  }
  return cause instanceof ApplicationFailure && cause.type === ErrorType.StagingMissingError;
}

const claims = proxyActivities<PagePlacementActivities>({
  // Answered at once by any live worker; the attempts bound a queue with no worker at all.
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '10 seconds', maximumAttempts: TRANSIENT_MAX_ATTEMPTS },
});

/**
 * The placements of one sync. `actsOn(queue)` gives the sync's activities on a worker's own
 * queue; `workers` (kept in the sync's state, across continue-as-new) lists the queues that
 * may hold staging of this sync, for `finishSync` to clear.
 */
export class PagePlacement<A> {
  private readonly byQueue = new Map<string, A>();

  constructor(
    private readonly actsOn: (taskQueue: string) => A,
    readonly workers: string[],
  ) {}

  /**
   * Runs `work` on a claimed worker; when that worker is lost, claims another and runs `work`
   * there, at most `MAX_PLACEMENTS` times in all. `work` must start from what history holds
   * (the page's cursor), never from another worker's staging.
   */
  async onSomeWorker<T>(
    ref: PageRef,
    work: (acts: A, taskQueue: string) => Promise<T>,
    placed = 0,
  ): Promise<T> {
    for (let placement = placed + 1; ; placement += 1) {
      const worker: PageWorker = await claims.claimPageWorker();
      if (!this.workers.includes(worker.taskQueue)) this.workers.push(worker.taskQueue);
      try {
        return await work(this.acts(worker.taskQueue), worker.taskQueue);
      } catch (err) {
        if (!isWorkerLost(err) || placement >= MAX_PLACEMENTS) throw err;
        this.lost(ref, worker.taskQueue, err);
      }
    }
  }

  /** The sync's activities on `taskQueue` (one set of proxies per worker). */
  acts(taskQueue: string): A {
    let a = this.byQueue.get(taskQueue);
    if (a === undefined) {
      a = this.actsOn(taskQueue);
      this.byQueue.set(taskQueue, a);
    }
    return a;
  }

  /** Forgets a lost worker: its staging went with it, and `finishSync` need not wait on it. */
  lost(ref: PageRef, taskQueue: string, err: unknown): void {
    const i = this.workers.indexOf(taskQueue);
    if (i >= 0) this.workers.splice(i, 1);
    log.warn('page worker lost: redoing the page from its listing on another worker', {
      page: ref.page,
      taskQueue,
      error: err instanceof ActivityFailure && err.cause ? err.cause.message : String(err),
    });
  }
}
