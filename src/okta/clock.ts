/**
 * Time as the rate limiter and the client see it. Injected so tests can drive windows, resets and
 * backoff deterministically instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, on the local clock. */
  now(): number;
  /** Calls `fn` once after `ms`; the returned function cancels it (a no-op once it has run). */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};

/**
 * Resolves after `ms` on `clock`, or rejects with `onAbort()` as soon as `signal` aborts, so that a
 * cancelled activity does not sit out a rate-limit wait.
 */
export function sleep(
  clock: Clock,
  ms: number,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(onAbort());
      return;
    }
    const abort = (): void => {
      cancel();
      reject(onAbort());
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
