/**
 * The one per-item loop of the enrichment activities (users of a page, groups of a page): fetch
 * one thing per item, concurrently (the process-wide rate limiter decides the pace), under the
 * failure rules of the mapping contract ("When an enrichment call fails"):
 * - 404: the item was deleted while the sync ran; handed to `onNotFound`, not an error.
 * - transient (429, 5xx, timeout, reset, malformed body): the activity fails with a retryable
 *   failure (after `save`) — unless this is the retry policy's last attempt, where the item gets
 *   its documented fallback (`onFallback`).
 * - anything else (401/403, …): the activity fails at once, not retryable, and the requests still
 *   running are aborted rather than left to run on.
 */
import { Context } from '@temporalio/activity';
import { setMaxListeners } from 'node:events';
import { isNotFound, isTransient, toApplicationFailure } from './failures';
import type { CallOptions } from './okta-session';

export interface FetchEach<I> {
  items: readonly I[];
  /** The retry policy's last attempt: a transient failure falls back instead of failing. */
  lastAttempt: boolean;
  fetchOne(item: I, call: CallOptions): Promise<void>;
  onNotFound(item: I): Promise<void> | void;
  onFallback(item: I): void;
  /** Keeps what was fetched, whatever happens next: runs before any failure is thrown. */
  save(): Promise<void>;
}

export async function fetchEach<I>(work: FetchEach<I>): Promise<void> {
  const ctx = Context.current();
  // One fatal error stops the other requests instead of letting them run on.
  const abort = new AbortController();
  // Every concurrent request listens on this signal; hundreds of listeners are expected.
  setMaxListeners(0, abort.signal);
  const onCancel = (): void => abort.abort();
  ctx.cancellationSignal.addEventListener('abort', onCancel);
  const call: CallOptions = {
    signal: abort.signal,
    onWait: (ms, reason) => ctx.heartbeat({ waitingMs: ms, reason }),
  };

  let done = 0;
  let retryable: unknown = null;
  let fatal: unknown = null;
  const one = async (item: I): Promise<void> => {
    try {
      await work.fetchOne(item, call);
    } catch (err) {
      // After a fatal error the others fail because they were aborted: not their own outcome.
      if (fatal !== null) return;
      if (isNotFound(err)) {
        await work.onNotFound(item);
      } else if (isTransient(err) && work.lastAttempt) {
        work.onFallback(item);
      } else if (isTransient(err)) {
        retryable ??= err;
      } else {
        fatal = err;
        abort.abort();
      }
    }
    done += 1;
    ctx.heartbeat({ done, of: work.items.length });
  };
  try {
    await Promise.all(work.items.map(one));
  } finally {
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    await work.save();
  }
  if (fatal !== null) throw toApplicationFailure(fatal);
  if (retryable !== null) throw toApplicationFailure(retryable);
}
