/**
 * A liveness heartbeat around every activity: Temporal notices a dead worker (SIGKILL, OOM, a
 * lost host) only by missing heartbeats, so the workflow's heartbeat timeout is how long a sync
 * stalls after a crash.
 *
 * Progress heartbeats alone cannot carry that: they stop during one slow Okta request (up to
 * OKTA_REQUEST_TIMEOUT_MS, 30 s by default, and the client retries it within the call) or one
 * slow sink delivery, and a live activity would then be timed out and run a second time beside
 * itself. A timer heartbeats while the activity runs instead; the SDK sends at most one
 * heartbeat per 80 % of the timeout to the server, so a short interval here costs nothing.
 *
 * Heartbeat details are checkpoints (deliverPage resumes from them), and the server keeps the
 * last details sent: the timer therefore repeats the latest details the activity gave — or, until
 * it gives any, those of the previous attempt — never empty ones that would erase a checkpoint.
 *
 * It also brings cancellation (a timed-out or cancelled attempt) to the activity within one
 * interval, through `Context.cancellationSignal`, since cancellation arrives on heartbeats.
 */
import { Context } from '@temporalio/activity';

/** Well under the shortest heartbeat timeout of the workflow (10 s). */
export const LIVENESS_HEARTBEAT_MS = 1_000;

/** The same activities, each heartbeating every `intervalMs` while it runs. */
export function withLivenessHeartbeat<T extends object>(
  activities: T,
  intervalMs: number = LIVENESS_HEARTBEAT_MS,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn;
      continue;
    }
    const call = (args: unknown[]): Promise<unknown> =>
      (fn as (...a: unknown[]) => Promise<unknown>).apply(activities, args);
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      let ctx: Context;
      try {
        ctx = Context.current();
      } catch {
        return call(args); // called outside an activity (a unit test): nothing to heartbeat to
      }
      return keepAlive(ctx, intervalMs, () => call(args));
    };
  }
  return wrapped as T;
}

async function keepAlive<R>(ctx: Context, intervalMs: number, run: () => Promise<R>): Promise<R> {
  const send = ctx.heartbeat;
  let latest: unknown = ctx.info.heartbeatDetails;
  let sentAt = -Infinity;
  // `heartbeat` is an own property of this activity's Context (the SDK's module-level
  // `heartbeat()` goes through it too): shadowing it lets the timer learn the latest details.
  // An activity's own heartbeats are passed on at most once per interval, the timer sending the
  // latest details otherwise: an enrichment heartbeats once per user, and each heartbeat the SDK
  // gets is encoded and handed to its native core (which sends the server one per 80 % of the
  // timeout anyway) — a tenth of a busy worker's CPU (bench/README.md).
  let unsent = false;
  Object.defineProperty(ctx, 'heartbeat', {
    configurable: true,
    writable: true,
    value: (details?: unknown): void => {
      latest = details;
      const now = Date.now();
      unsent = now - sentAt < intervalMs;
      if (unsent) return;
      sentAt = now;
      send(details);
    },
  });
  const beat = (): void => {
    try {
      sentAt = Date.now();
      unsent = false;
      send(latest);
    } catch {
      // A heartbeat after the activity's end or cancellation must not crash the worker.
    }
  };
  const timer = setInterval(beat, intervalMs);
  try {
    return await run();
  } finally {
    clearInterval(timer);
    // The last checkpoint goes out with the activity's end (a failed attempt's details are
    // what its retry resumes from).
    if (unsent) beat();
    Object.defineProperty(ctx, 'heartbeat', { configurable: true, writable: true, value: send });
  }
}
