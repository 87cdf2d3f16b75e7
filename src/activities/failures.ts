/**
 * How an error inside an activity becomes a Temporal failure: the retry policy of the workflow
 * decides on the failure's `type`, and a rate-limit failure carries `nextRetryDelay` so Temporal
 * retries exactly when Okta's window resets, not on a blind backoff.
 *
 * Messages are built from our own typed errors, which never carry the token; an unknown error is
 * reduced to its message so that an axios error (which holds request headers) never travels.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';

/** Errors without a `retryable` flag that retrying cannot fix, by `name`. */
const NOT_RETRYABLE = new Set([
  'OrgMismatchError',
  'OcsfValidationError',
  'SinkRejectedError',
  'OktaAbortedError',
]);

export function isNotFound(err: unknown): boolean {
  return errorName(err) === 'OktaNotFoundError';
}

/**
 * Worth trying again later (429, 5xx, timeouts, resets, malformed bodies, sink hiccups). The
 * Okta client's errors say so themselves (`retryable`); an unknown error (a file system hiccup in
 * staging) is given the benefit of the doubt — the retry policy bounds it.
 */
export function isTransient(err: unknown): boolean {
  if (err && typeof err === 'object' && 'retryable' in err) {
    const flag = (err as { retryable: unknown }).retryable;
    if (typeof flag === 'boolean') return flag;
  }
  return !NOT_RETRYABLE.has(errorName(err));
}

export function errorName(err: unknown): string {
  if (err instanceof Error) return err.name;
  return 'Error';
}

/** The local time at which Okta's rate-limit window resets, when the error says so. */
export function resetAtOf(err: unknown): number | null {
  if (err && typeof err === 'object' && 'resetAtMs' in err) {
    const v = (err as { resetAtMs: unknown }).resetAtMs;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

export function toApplicationFailure(err: unknown, now: number = Date.now()): Error {
  if (err instanceof ApplicationFailure) return err;
  // Cancelled (worker shutdown, workflow cancelled): the aborted Okta calls are not the cause.
  // Throwing the signal's reason (a CancelledFailure) lets the SDK report a cancellation, which
  // Temporal retries on another worker instead of failing the sync.
  const cancelled = cancellationReason();
  if (cancelled !== null) return cancelled;
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (!isTransient(err)) {
    return ApplicationFailure.create({ message, type: name, nonRetryable: true });
  }
  const resetAt = resetAtOf(err);
  if (resetAt !== null) {
    // A little past the reset, so the retry does not land in the last instant of the window.
    const delay = Math.max(1000, resetAt - now + 250);
    return ApplicationFailure.create({ message, type: name, nextRetryDelay: delay });
  }
  return ApplicationFailure.create({ message, type: name });
}

function cancellationReason(): Error | null {
  let signal: AbortSignal;
  try {
    signal = Context.current().cancellationSignal;
  } catch {
    return null; // not inside an activity (unit tests of this module)
  }
  if (!signal.aborted) return null;
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}
