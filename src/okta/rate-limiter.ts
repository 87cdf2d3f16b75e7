/**
 * Proactive, header-driven throttling of requests to Okta, shared by every concurrent caller in the
 * process (one instance per worker).
 *
 * Okta counts requests per endpoint bucket per window (`bucketFor`) and reports, on every response,
 * the bucket's `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`. Other integrations of the customer
 * draw from the same buckets, so the only truthful measure of what is used is Okta's own
 * `limit - remaining`. The limiter admits a request only when, counting every request of ours still
 * in flight as already used:
 *
 * - the bucket would stay within `share` of its limit (`limit - remaining + inFlight < share·limit`),
 *   leaving the rest of the window to the customer's other integrations;
 * - Okta's `remaining` would not be exceeded (nothing is sent that the headers say will be refused);
 * - fewer than the concurrency cap are in flight overall (Okta's concurrency limit is org-wide).
 *   The cap starts at `maxInFlight`, drops when Okta answers with a concurrency 429
 *   (`X-Rate-Limit-Limit: 0`) and climbs back by one per quiet period.
 *
 * A bucket whose limits are unknown — never seen, or its window has ended by our estimate — gets
 * one probe request at a time until a response reports the (new) window; then its budget is spent
 * as fast as the in-flight cap allows, so no time idles after a reset.
 *
 * This module is the queue of waiters and the permits; what the headers say about each key is
 * kept by `limiter-window.ts`, and the decisions (share, probe, concurrency cap) are in
 * `limiter-policy.ts`.
 */

import { systemClock, type Clock } from './clock';
import type { RateLimitObservation } from './headers';
import { admission, ConcurrencyCap, type Verdict } from './limiter-policy';
import { LimiterWindows, type BucketState, type LimiterKey } from './limiter-window';

export type { LimiterKey } from './limiter-window';

/** Why a caller is waiting; passed to `onWait` so an activity can heartbeat with a useful detail. */
export type WaitReason =
  /** The bucket's share of the current window is used up; waiting for Okta's reset. */
  | 'window'
  /** The in-flight cap is reached. */
  | 'in_flight'
  /** The bucket's limits are unknown; a probe request is out. */
  | 'probe'
  /** Okta answered 429 for the window; waiting for its reset before retrying. */
  | 'rate_limited'
  /** Okta answered a concurrency 429; backing off briefly. */
  | 'concurrency'
  /** A transient failure; exponential backoff before the next attempt. */
  | 'backoff';

export type OnWait = (ms: number, reason: WaitReason) => void;

export interface RateLimiterOptions {
  /** Share of each bucket this process may use per window, 0 < share <= 1. Default 0.5. */
  share?: number;
  /** Cap on requests in flight across all buckets (keep below Okta's org concurrency limit). Default 10. */
  maxInFlight?: number;
  /** Extra wait after an estimated reset before the bucket is considered fresh. Default 0. */
  resetMarginMs?: number;
  /** Window assumed when a response carries a Remaining but no Reset. Default 60000. */
  defaultWindowMs?: number;
  /** How often `onWait` is repeated during one long wait (for heartbeats). Default 5000. */
  waitNotifyIntervalMs?: number;
  /**
   * After a concurrency 429 lowered the in-flight cap, the cap grows back by one per this many
   * ms without another. Default 5000.
   */
  concurrencyRecoveryMs?: number;
  clock?: Clock;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  onWait?: OnWait;
  /**
   * Latest local time the caller is willing to wait until for a window reset. When the bucket is
   * known to stay exhausted past it, `acquire` rejects at once with `RateLimitWaitExceeded`.
   */
  waitUntilMs?: number;
  /**
   * Served before every waiter without it (FIFO among themselves). For the requests the rest of
   * the work waits on — the users list: queued behind a page's hundreds of enrichment calls, the
   * next page would start only when the previous one is done, and the pipeline would stall.
   */
  priority?: boolean;
}

/** A granted slot. Call `release` exactly once, with what the response said (or null). */
export interface Permit {
  readonly bucket: LimiterKey;
  /** The local time the slot was granted. */
  readonly grantedAtMs: number;
  release(observation: RateLimitObservation | null): void;
}

/** `acquire` refused to wait: the bucket resets only after the caller's `waitUntilMs`. */
export class RateLimitWaitExceeded extends Error {
  override readonly name = 'RateLimitWaitExceeded';
  constructor(
    readonly bucket: LimiterKey,
    readonly untilMs: number,
  ) {
    super(`bucket ${bucket} has no budget before ${new Date(untilMs).toISOString()}`);
  }
}

/** `acquire` was aborted through its signal; `reason` is the signal's reason. */
export class AcquireAborted extends Error {
  override readonly name = 'AcquireAborted';
  constructor(readonly reason: unknown) {
    super('waiting for a rate-limit slot was aborted');
  }
}

interface Waiter {
  bucket: LimiterKey;
  resolve: (p: Permit) => void;
  reject: (e: Error) => void;
  opts: AcquireOptions;
  lastReason: WaitReason | null;
  untilMs: number | null;
  cancelNotify: (() => void) | null;
  detachAbort: (() => void) | null;
  /** Granted, rejected or aborted: no longer waiting. */
  done: boolean;
  priority: boolean;
}

export interface BucketSnapshot {
  known: boolean;
  unmetered: boolean;
  limit: number | null;
  remaining: number | null;
  resetAtMs: number | null;
  inFlight: number;
}

export interface RateLimiterSnapshot {
  inFlight: number;
  concurrencyCap: number;
  waiting: number;
  buckets: Partial<Record<LimiterKey, BucketSnapshot>>;
}

export class RateLimiter {
  readonly share: number;
  readonly maxInFlight: number;
  private readonly notifyEveryMs: number;
  private readonly clock: Clock;
  private readonly windows: LimiterWindows;
  private readonly cap: ConcurrencyCap;
  private waiters: Waiter[] = [];
  private inFlight = 0;
  private cancelWake: (() => void) | null = null;
  private pumping = false;
  private pumpAgain = false;
  private wakeAtMs = Infinity;

  constructor(options: RateLimiterOptions = {}) {
    const share = options.share ?? 0.5;
    if (typeof share !== 'number' || !(share > 0 && share <= 1)) {
      throw new Error(
        `RateLimiter option share must be a number with 0 < share <= 1; got ${share}`,
      );
    }
    const maxInFlight = options.maxInFlight ?? 10;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new Error(
        `RateLimiter option maxInFlight must be an integer >= 1; got ${String(maxInFlight)}`,
      );
    }
    this.share = share;
    this.maxInFlight = maxInFlight;
    this.cap = new ConcurrencyCap(maxInFlight, Math.max(0, options.concurrencyRecoveryMs ?? 5000));
    this.windows = new LimiterWindows({
      resetMarginMs: Math.max(0, options.resetMarginMs ?? 0),
      defaultWindowMs: Math.max(1000, options.defaultWindowMs ?? 60_000),
    });
    this.notifyEveryMs = Math.max(100, options.waitNotifyIntervalMs ?? 5000);
    this.clock = options.clock ?? systemClock;
  }

  /** Waits for a slot in `bucket`; resolves with a permit to release when the response arrives. */
  acquire(bucket: LimiterKey, opts: AcquireOptions = {}): Promise<Permit> {
    return new Promise<Permit>((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new AcquireAborted(opts.signal.reason));
        return;
      }
      const w: Waiter = {
        bucket,
        resolve,
        reject,
        opts,
        lastReason: null,
        untilMs: null,
        cancelNotify: null,
        detachAbort: null,
        done: false,
        priority: opts.priority === true,
      };
      const signal = opts.signal;
      if (signal) {
        const onAbort = (): void => {
          this.removeWaiter(w);
          reject(new AcquireAborted(signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.detachAbort = () => signal.removeEventListener('abort', onAbort);
      }
      this.enqueue(w);
      if (this.inFlight >= this.cap.value && !this.pumping) {
        // Nothing can be granted before a request ends (its release runs a full pass), and only
        // this waiter is new: look at it alone instead of passing over the whole queue.
        this.admitWaiting(w);
      } else {
        this.pump();
      }
    });
  }

  private enqueue(w: Waiter): void {
    const at = w.priority ? this.waiters.findIndex((x) => !x.priority) : -1;
    if (at < 0) this.waiters.push(w);
    else this.waiters.splice(at, 0, w);
  }

  /** A new waiter while the in-flight cap is reached: what `pumpOnce` would do for it. */
  private admitWaiting(w: Waiter): void {
    const now = this.clock.now();
    let v = this.verdict(w.bucket, now);
    if (v.ok) v = { ok: false, reason: 'in_flight', untilMs: null };
    if (v.untilMs !== null && w.opts.waitUntilMs !== undefined && v.untilMs > w.opts.waitUntilMs) {
      this.finish(w);
      const i = this.waiters.indexOf(w);
      if (i >= 0) this.waiters.splice(i, 1);
      w.reject(new RateLimitWaitExceeded(w.bucket, v.untilMs));
      return;
    }
    this.noteWaiting(w, v.reason, v.untilMs, now);
    if (v.untilMs !== null && v.untilMs < this.wakeAtMs) this.scheduleWake(v.untilMs, now);
  }

  /**
   * Records what a response said without a permit (e.g. a request made outside the limiter).
   * Normal callers report through `Permit.release`.
   */
  observe(bucket: LimiterKey, observation: RateLimitObservation): void {
    this.apply(this.windows.state(bucket), observation, false);
    this.pump();
  }

  snapshot(): RateLimiterSnapshot {
    const buckets: Partial<Record<LimiterKey, BucketSnapshot>> = {};
    for (const [id, st] of this.windows.entries()) {
      buckets[id] = {
        known: st.known,
        unmetered: st.unmetered,
        limit: st.known ? st.limit : null,
        remaining: st.known ? st.remaining : null,
        resetAtMs: st.known ? st.resetAtMs : null,
        inFlight: st.inFlight,
      };
    }
    return {
      inFlight: this.inFlight,
      concurrencyCap: this.cap.value,
      waiting: this.waiters.length,
      buckets,
    };
  }

  /**
   * The earliest local time at which `bucket` is expected to accept a request again, if it is
   * blocked by its window (or by a 429); null when it is not.
   */
  blockedUntil(bucket: LimiterKey): number | null {
    const v = this.verdict(bucket, this.clock.now());
    return !v.ok && v.reason === 'window' ? v.untilMs : null;
  }

  /** The key's own verdict; the global in-flight cap is applied by `pump`. */
  private verdict(bucket: LimiterKey, now: number): Verdict {
    const st = this.windows.state(bucket);
    return admission(st, now, this.share, this.windows.windowEnd(st));
  }

  /**
   * Grants every waiter that can go, in arrival order (FIFO within a bucket; a blocked bucket does
   * not hold up the others), rejects those whose wait would exceed their budget, and arms one timer
   * for the earliest reset among the rest.
   */
  private pump(): void {
    // onWait callbacks run inside the pass and may acquire, release or abort synchronously.
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      let passes = 0;
      do {
        this.pumpAgain = false;
        this.pumpOnce();
        passes++;
      } while (this.pumpAgain && passes < 100);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const now = this.clock.now();
    const blocked = new Map<LimiterKey, Verdict & { ok: false }>();
    let wakeAt = Infinity;
    const list = this.waiters;
    this.waiters = [];
    const pending: Waiter[] = [];
    for (let i = 0; i < list.length; i++) {
      const w = list[i] as Waiter;
      if (w.done) continue;
      if (this.inFlight >= this.cap.value && w.lastReason !== null) {
        // Nothing more can be granted in this pass, and the waiters from here on have been told
        // that they wait: keep them as they are. (A full pass per request over a queue of
        // thousands was a tenth of a busy worker's CPU.) A deadline beyond a window reset is then
        // noticed when the queue ahead has moved, seconds later rather than at once.
        for (let j = i; j < list.length; j++) {
          const x = list[j] as Waiter;
          if (x.done) continue;
          if (x.lastReason === null) this.noteWaiting(x, 'in_flight', null, now);
          pending.push(x);
        }
        // A reset timer armed for a waiter not looked at this time stays armed.
        wakeAt = Math.min(wakeAt, this.wakeAtMs);
        break;
      }
      let v: Verdict | undefined = blocked.get(w.bucket);
      if (v === undefined) {
        v = this.verdict(w.bucket, now);
        if (v.ok && this.inFlight >= this.cap.value) {
          v = { ok: false, reason: 'in_flight', untilMs: null };
        }
        // A granted slot changes the bucket's state, so only refusals are remembered.
        if (!v.ok) blocked.set(w.bucket, v);
      }
      if (v.ok) {
        this.grant(w, v.probe, now);
        continue;
      }
      if (
        v.untilMs !== null &&
        w.opts.waitUntilMs !== undefined &&
        v.untilMs > w.opts.waitUntilMs
      ) {
        this.finish(w);
        w.reject(new RateLimitWaitExceeded(w.bucket, v.untilMs));
        continue;
      }
      if (v.untilMs !== null) wakeAt = Math.min(wakeAt, v.untilMs);
      pending.push(w);
      this.noteWaiting(w, v.reason, v.untilMs, now);
    }
    // Waiters that arrived during the pass queue behind the ones already waiting.
    this.waiters = pending.concat(this.waiters).filter((w) => !w.done);
    this.scheduleWake(wakeAt, now);
  }

  private grant(w: Waiter, probe: boolean, now: number): void {
    this.finish(w);
    const st = this.windows.state(w.bucket);
    st.inFlight++;
    if (probe) st.probeInFlight = true;
    this.inFlight++;
    const windowAtGrant = st.windowId;
    let released = false;
    const permit: Permit = {
      bucket: w.bucket,
      grantedAtMs: now,
      release: (obs) => {
        if (released) return;
        released = true;
        st.inFlight--;
        this.inFlight--;
        if (probe) st.probeInFlight = false;
        this.apply(st, obs, probe, windowAtGrant);
        this.pump();
      },
    };
    w.resolve(permit);
  }

  private finish(w: Waiter): void {
    w.done = true;
    w.cancelNotify?.();
    w.cancelNotify = null;
    w.detachAbort?.();
    w.detachAbort = null;
  }

  private removeWaiter(w: Waiter): void {
    this.finish(w);
    this.waiters = this.waiters.filter((x) => x !== w);
    // The leaver may have been the one a timer was armed for; re-arm for those left.
    this.pump();
  }

  private noteWaiting(w: Waiter, reason: WaitReason, untilMs: number | null, now: number): void {
    const onWait = w.opts.onWait;
    const changed = w.lastReason !== reason || w.untilMs !== untilMs;
    w.lastReason = reason;
    w.untilMs = untilMs;
    if (!onWait || !changed) return;
    safeCall(onWait, untilMs === null ? 0 : Math.max(0, untilMs - now), reason);
    // Repeat while the wait lasts, so a heartbeating activity is not timed out by a long reset wait.
    w.cancelNotify?.();
    const repeat = (): void => {
      const t = this.clock.now();
      safeCall(onWait, w.untilMs === null ? 0 : Math.max(0, w.untilMs - t), w.lastReason ?? reason);
      w.cancelNotify = this.clock.setTimer(repeat, this.notifyEveryMs);
    };
    w.cancelNotify = this.clock.setTimer(repeat, this.notifyEveryMs);
  }

  private scheduleWake(at: number, now: number): void {
    if (at === this.wakeAtMs && this.cancelWake !== null) return;
    this.cancelWake?.();
    this.cancelWake = null;
    this.wakeAtMs = Infinity;
    if (!Number.isFinite(at)) return;
    this.wakeAtMs = at;
    this.cancelWake = this.clock.setTimer(
      () => {
        this.cancelWake = null;
        this.wakeAtMs = Infinity;
        this.pump();
      },
      Math.max(0, at - now),
    );
  }

  private apply(
    st: BucketState,
    obs: RateLimitObservation | null,
    wasProbe: boolean,
    windowAtGrant: number | null = st.windowId,
  ): void {
    const now = this.clock.now();
    if (obs === null) {
      // No answer (network error, timeout): Okta may have counted it; assume it did.
      this.windows.recordUnanswered(st);
      return;
    }
    if (obs.concurrency) {
      this.cap.rejected(this.inFlight, now);
      return;
    }
    if (obs.status < 500) this.cap.accepted(now);
    this.windows.record(st, obs, wasProbe, windowAtGrant, now);
  }
}

function safeCall(fn: OnWait, ms: number, reason: WaitReason): void {
  try {
    fn(ms, reason);
  } catch {
    // A failing observer (e.g. a heartbeat after cancellation) must not break the limiter.
  }
}
