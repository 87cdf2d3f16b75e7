/**
 * The shared loop of the per-page enrichment activities: fetch one thing per user of a staged
 * page, concurrently (the process-wide rate limiter decides the pace), keeping what was fetched
 * in staging so a retry only fetches the rest.
 *
 * Failure rules (mapping contract, "When an enrichment call fails"):
 * - 404: the user was deleted while the sync ran; recorded, not an error.
 * - transient (429, 5xx, timeout, reset, malformed body): the page's activity fails with a
 *   retryable failure (after saving progress) — unless this is the retry policy's last attempt,
 *   where the user gets the documented fallback and is listed in `fallbacks`.
 * - anything else (401/403, …): the activity fails at once, not retryable.
 */
import { Context } from '@temporalio/activity';
import { setMaxListeners } from 'node:events';
import type { OktaUser } from '../okta/types';
import type { StagingStore } from '../sync/staging';
import type { EnrichInput, EnrichResult } from '../sync/types';
import { isNotFound, isTransient, toApplicationFailure } from './failures';
import type { CallOptions, OktaSession } from './okta-session';

export interface StagedEnrichment<T> {
  results: Record<string, T>;
  /** Users whose enrichment fell back to its default after exhausted retries. */
  fallbacks: string[];
  /** Users Okta answered 404 for: deleted during the sync. */
  notFound: string[];
  /** Requests and 429s of every attempt so far, so failed attempts are not lost from totals. */
  apiCalls: number;
  rateLimited: number;
}

export const USERS = 'users';

/**
 * `results` is keyed by Okta ids taken from responses: an id such as `constructor` or `__proto__`
 * must read and write the entry itself, never Object.prototype (which crashed deliverPage).
 */
export function resultOf<T>(results: Record<string, T>, id: string): T | undefined {
  return Object.hasOwn(results, id) ? results[id] : undefined;
}

function setResult<T>(results: Record<string, T>, id: string, value: T): void {
  Object.defineProperty(results, id, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export async function enrichPage<T>(
  staging: StagingStore,
  session: OktaSession,
  input: EnrichInput,
  name: string,
  fallback: T,
  fetchOne: (userId: string, call: CallOptions) => Promise<T>,
): Promise<EnrichResult> {
  const ctx = Context.current();
  const { orgUrl, syncId, page } = input;
  const users = await staging.requirePage<OktaUser[]>(orgUrl, syncId, page, USERS);
  const staged: StagedEnrichment<T> = (await staging.readPage<StagedEnrichment<T>>(
    orgUrl,
    syncId,
    page,
    name,
  )) ?? { results: {}, fallbacks: [], notFound: [], apiCalls: 0, rateLimited: 0 };
  const gone = new Set(staged.notFound);
  const todo = users.filter((u) => !Object.hasOwn(staged.results, u.id) && !gone.has(u.id));
  const lastAttempt = ctx.info.attempt >= input.maxAttempts;

  // One fatal error stops the other requests of this page instead of letting them run on.
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
  let fallbacks = 0;
  try {
    await Promise.all(
      todo.map(async (u) => {
        try {
          setResult(staged.results, u.id, await fetchOne(u.id, call));
        } catch (err) {
          if (fatal !== null) return;
          if (isNotFound(err)) {
            staged.notFound.push(u.id);
          } else if (isTransient(err) && lastAttempt) {
            setResult(staged.results, u.id, fallback);
            staged.fallbacks.push(u.id);
            fallbacks += 1;
          } else if (isTransient(err)) {
            retryable ??= err;
          } else {
            fatal = err;
            abort.abort();
          }
        }
        done += 1;
        ctx.heartbeat({ done, of: todo.length });
      }),
    );
  } finally {
    ctx.cancellationSignal.removeEventListener('abort', onCancel);
    // Keep what was fetched, whatever happens next: the retry starts from here.
    const used = session.counters();
    staged.apiCalls += used.apiCalls;
    staged.rateLimited += used.rateLimited;
    await staging.writePage(orgUrl, syncId, page, name, staged);
  }
  if (fatal !== null) throw toApplicationFailure(fatal);
  if (retryable !== null) throw toApplicationFailure(retryable);
  return {
    apiCalls: staged.apiCalls,
    rateLimited: staged.rateLimited,
    fallbacks,
    notFound: staged.notFound.length,
  };
}
