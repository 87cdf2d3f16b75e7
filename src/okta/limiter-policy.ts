/**
 * The rate limiter's decisions: whether a key may send now (its share of the window, Okta's
 * `Remaining`, one probe while the window is unknown), and how many requests may be in flight
 * (Okta's concurrency limit is org-wide and shared with the customer's other integrations).
 */

import type { BucketState } from './limiter-window';
import type { WaitReason } from './rate-limiter';

/** May a request of this key go now; if not, why, and until when at least (null: unknown). */
export type Verdict =
  { ok: true; probe: boolean } | { ok: false; reason: WaitReason; untilMs: number | null };

/**
 * The key's own verdict; the global in-flight cap is applied by the caller. Within a known
 * window a request goes only while the key would stay within `share` of its limit and within
 * Okta's `Remaining`, counting our requests in flight as used; `windowEnd` is the window's end
 * by our estimate.
 */
export function admission(st: BucketState, now: number, share: number, windowEnd: number): Verdict {
  if (!st.known) {
    return st.probeInFlight
      ? { ok: false, reason: 'probe', untilMs: null }
      : { ok: true, probe: true };
  }
  if (st.unmetered) return { ok: true, probe: false };
  if (now >= windowEnd) {
    // Our estimate says the window has reset; what is left of the new one is unknown until a
    // response reports it, and other integrations may already be drawing from it.
    return st.probeInFlight
      ? { ok: false, reason: 'probe', untilMs: null }
      : { ok: true, probe: true };
  }
  const budget = Math.max(1, Math.floor(share * st.limit));
  const used = st.limit - st.remaining + st.unobserved;
  if (used + st.inFlight >= budget || st.remaining - st.unobserved - st.inFlight <= 0) {
    return { ok: false, reason: 'window', untilMs: windowEnd };
  }
  return { ok: true, probe: false };
}

/**
 * The cap on requests in flight across all keys. It starts at `max`, drops when Okta answers with
 * a concurrency 429 (`X-Rate-Limit-Limit: 0`) and climbs back by one per quiet period.
 */
export class ConcurrencyCap {
  private cap: number;
  private lastChangeMs = 0;

  constructor(
    readonly max: number,
    private readonly recoveryMs: number,
  ) {
    this.cap = max;
  }

  get value(): number {
    return this.cap;
  }

  /** Okta refused a request for concurrency while `inFlight` of ours were out (it included). */
  rejected(inFlight: number, now: number): void {
    // Just under the level at which Okta refused (our own in-flight count, the rejected one
    // included): other integrations share the org-wide limit, so that is what is left for us.
    this.cap = Math.max(1, Math.min(this.cap, inFlight + 1) - 1);
    this.lastChangeMs = now;
  }

  /** A response that was not a concurrency refusal. */
  accepted(now: number): void {
    if (this.cap >= this.max) return;
    // Climb back one step per quiet period: the org's limit rarely moves, while every concurrency
    // 429 costs a request and a backoff, and throughput is normally bound by the windows anyway.
    if (now - this.lastChangeMs >= this.recoveryMs) {
      this.cap++;
      this.lastChangeMs = now;
    }
  }
}
