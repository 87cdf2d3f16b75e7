/**
 * Okta-style rate limiting: a budget of requests per bucket per window, and a cap on requests in
 * flight.
 *
 * Window model: fixed windows aligned to multiples of the window length since the Unix epoch (by
 * the simulator clock). With the default 60 s window that is Okta's own behaviour — budgets reset
 * on the minute. `X-Rate-Limit-Reset` is the end of the current window in epoch seconds, rounded
 * up: a client that waits until then always finds a fresh window (with sub-second test windows the
 * rounding makes it wait a little longer than strictly needed, never less).
 */

import type { BucketId } from '../okta/buckets';

export interface WindowDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** End of the current window, epoch seconds (rounded up). */
  resetEpochSeconds: number;
}

interface BucketState {
  windowStart: number;
  used: number;
}

export class RateWindows {
  private readonly state = new Map<string, BucketState>();
  private readonly peak = new Map<string, number>();

  constructor(
    private limits: Record<BucketId, number>,
    readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /**
   * Counts one request against the window `key` (default: the bucket itself; other groupings
   * choose other keys, `bucket-grouping.ts`) if it has budget left; `bucket` gives the limit.
   */
  take(bucket: BucketId, key: string = bucket): WindowDecision {
    const now = this.clock();
    const windowStart = Math.floor(now / this.windowMs) * this.windowMs;
    let s = this.state.get(key);
    if (!s || s.windowStart !== windowStart) {
      s = { windowStart, used: 0 };
      this.state.set(key, s);
    }
    const limit = this.limits[bucket];
    const allowed = s.used < limit;
    if (allowed) {
      s.used++;
      if (s.used > (this.peak.get(key) ?? 0)) this.peak.set(key, s.used);
    }
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - s.used),
      resetEpochSeconds: Math.ceil((windowStart + this.windowMs) / 1000),
    };
  }

  setLimits(limits: Partial<Record<BucketId, number>>): void {
    this.limits = { ...this.limits, ...limits };
  }

  currentLimits(): Record<BucketId, number> {
    return { ...this.limits };
  }

  /** Most requests accepted in one window, per bucket, since the last reset. */
  peakUse(): Record<string, number> {
    return Object.fromEntries(this.peak);
  }

  resetPeaks(): void {
    this.peak.clear();
  }
}

/** Okta's per-org concurrency limit: requests in flight at once. 0 means no limit. */
export class ConcurrencyGate {
  private inFlight = 0;
  private max = 0;

  constructor(private limit: number) {}

  tryEnter(): boolean {
    if (this.limit > 0 && this.inFlight >= this.limit) return false;
    this.inFlight++;
    if (this.inFlight > this.max) this.max = this.inFlight;
    return true;
  }

  leave(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  get maxInFlight(): number {
    return this.max;
  }

  get current(): number {
    return this.inFlight;
  }

  get configuredLimit(): number {
    return this.limit;
  }

  setLimit(limit: number): void {
    this.limit = limit;
  }

  resetMax(): void {
    this.max = this.inFlight;
  }
}
