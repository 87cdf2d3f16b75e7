/**
 * How an error inside an activity becomes a Temporal failure: the retry policy of the workflow
 * decides on the failure's `type`, and a rate-limit failure carries `nextRetryDelay` so Temporal
 * retries exactly when Okta's window resets, not on a blind backoff.
 *
 * Whether a failure is retried comes from the error table (src/contract/error-table.ts): `fatal`
 * types are non-retryable at once, unknown types after `BOUNDED_ATTEMPTS`.
 *
 * Messages are built from our own typed errors, which never carry the token; an unknown error is
 * reduced to its message so that an axios error (which holds request headers) never travels.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  ErrorType,
  BOUNDED_ATTEMPTS,
  isTransientType,
  retryabilityOf,
} from '../contract/error-table';

export function isNotFound(err: unknown): boolean {
  return errorName(err) === ErrorType.OktaNotFoundError;
}

/**
 * Worth trying again later (429, 5xx, timeouts, resets, malformed bodies, sink hiccups), by the
 * error table (src/contract/error-table.ts). Unknown errors are not: they are retried a bounded
 * number of times by `toApplicationFailure`, and never turn into an enrichment fallback.
 */
export function isTransient(err: unknown): boolean {
  return isTransientType(errorName(err));
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
  const type = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (retryabilityOf(type)) {
    case 'fatal':
      return ApplicationFailure.create({ message, type, nonRetryable: true });
    case 'bounded': {
      const attempt = currentAttempt();
      if (attempt >= BOUNDED_ATTEMPTS) {
        return ApplicationFailure.create({
          message: `${message} (${type}, not known to be transient: gave up after attempt ${attempt} of ${BOUNDED_ATTEMPTS})`,
          type,
          nonRetryable: true,
        });
      }
      return ApplicationFailure.create({ message, type });
    }
    case 'transient': {
      const resetAt = resetAtOf(err);
      if (resetAt !== null) {
        // A little past the reset, so the retry does not land in the last instant of the window.
        const delay = Math.max(1000, resetAt - now + 250);
        return ApplicationFailure.create({ message, type, nextRetryDelay: delay });
      }
      return ApplicationFailure.create({ message, type });
    }
  }
}

/** Converts whatever an activity throws, so no error escapes the table (see `toApplicationFailure`). */
export function withFailureConversion<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>).apply(activities, args);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    };
  }
  return wrapped as T;
}

/** The attempt being run (1-based); 1 outside an activity (unit tests of this module). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
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
