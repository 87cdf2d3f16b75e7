/**
 * Which worker takes a page (issue 13, part 3). Staging is on each worker's own disk, so the
 * activities of one page must run on one worker: every worker process also polls a task queue of
 * its own (Temporal's worker-specific task queue pattern), and `claimPageWorker`, run on the
 * shared queue by whichever worker is free, answers with that worker's own queue.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

/** The answer of `claimPageWorker`: where the page's activities run. */
export interface PageWorker {
  taskQueue: string;
}

/**
 * This process's own task queue: under the shared one, unique per process (a restarted worker
 * gets a new one, so nothing is ever scheduled on a queue whose staging no longer exists).
 */
export function ownTaskQueueOf(sharedTaskQueue: string): string {
  return `${sharedTaskQueue}/${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

export function pagePlacementActivities(ownTaskQueue: string) {
  return {
    async claimPageWorker(): Promise<PageWorker> {
      return { taskQueue: ownTaskQueue };
    },
  };
}

export type PagePlacementActivities = ReturnType<typeof pagePlacementActivities>;
