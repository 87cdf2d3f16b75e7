/**
 * What Okta's rate-limit headers say about each limiter key: its limit, the smallest `Remaining`
 * of the current window, and the window's end on the local clock. Fed by every response; read by
 * the admission policy (`limiter-policy.ts`).
 *
 * Windows are identified by the raw Reset value; the local reset time is estimated from each
 * response as `receivedAt + (Reset - Date)`. Because `Date` is truncated to the second, each such
 * estimate is at or after the true reset, and the smallest estimate seen in a window is the
 * tightest one that is still safe.
 */

import type { RateLimitObservation } from './headers';

/**
 * What the limiter keeps one state for. The client passes an endpoint template
 * (`limiter-keys.ts`): each template is fed by its own responses' `X-Rate-Limit-*` headers, which
 * is right whether Okta counts several templates in one bucket (each sees the shared `Remaining`
 * fall) or apart (none is held back by another's budget). A bucket id works as a key too.
 */
export type LimiterKey = string;

export interface BucketState {
  /** Rate-limit headers have been seen for this bucket. */
  known: boolean;
  /** 2xx responses came without rate-limit headers: only the in-flight cap applies. */
  unmetered: boolean;
  limit: number;
  /** Smallest Remaining reported in the current window. */
  remaining: number;
  /** Reset value (epoch seconds) identifying the current window; null when Okta sent none. */
  windowId: number | null;
  /** Local estimate of the current window's end. */
  resetAtMs: number;
  /** Requests of ours in flight against this bucket. */
  inFlight: number;
  /** Requests completed in this window without a rate-limit observation (counted as used). */
  unobserved: number;
  probeInFlight: boolean;
  /**
   * Learned lateness of Okta's real reset behind our estimate. Normally 0: it grows only when a
   * probe sent after the estimated reset is still counted in the old window (an Okta whose Reset
   * is rounded down), and decays as windows turn over on time.
   */
  learnedMarginMs: number;
}

export interface LimiterWindowsOptions {
  /** Extra wait after an estimated reset before the bucket is considered fresh. */
  resetMarginMs: number;
  /** Window assumed when a response carries a Remaining but no Reset. */
  defaultWindowMs: number;
}

/** After a 429 whose Reset is already past on our clock, wait at least this long. */
const MIN_429_WAIT_MS = 200;
const MIN_LEARNED_MARGIN_MS = 250;
const MAX_LEARNED_MARGIN_MS = 5000;
/**
 * How fast the clock-offset bound of `localReset` loosens, ms per ms: 0.1 ms a second (100 ppm,
 * above a clock's usual drift). Faster would make every reset estimate late by as much; a bigger
 * jump of the local clock is caught by the learned margin (a probe that lands in the old window).
 */
const OFFSET_AGING = 0.0001;

/** The window state of every limiter key, and how responses update it. */
export class LimiterWindows {
  private readonly states = new Map<LimiterKey, BucketState>();
  /** Lower bound of (Okta's clock - local clock), ms; see `localReset`. */
  private offsetLowMs: number | null = null;
  private offsetSeenAtMs = 0;

  constructor(private readonly opts: LimiterWindowsOptions) {}

  state(key: LimiterKey): BucketState {
    let st = this.states.get(key);
    if (!st) {
      st = {
        known: false,
        unmetered: false,
        limit: 0,
        remaining: 0,
        windowId: null,
        resetAtMs: 0,
        inFlight: 0,
        unobserved: 0,
        probeInFlight: false,
        learnedMarginMs: 0,
      };
      this.states.set(key, st);
    }
    return st;
  }

  entries(): IterableIterator<[LimiterKey, BucketState]> {
    return this.states.entries();
  }

  /** When the key's current window is over by our estimate, margins included. */
  windowEnd(st: BucketState): number {
    return st.resetAtMs + this.opts.resetMarginMs + st.learnedMarginMs;
  }

  /** A request ended without an answer (network error, timeout): Okta may have counted it. */
  recordUnanswered(st: BucketState): void {
    if (st.known) st.unobserved++;
  }

  /**
   * What a response (other than a concurrency 429) said about the key's window. `wasProbe`: the
   * request was the window's probe; `windowAtGrant`: the window it was sent in.
   */
  record(
    st: BucketState,
    obs: RateLimitObservation,
    wasProbe: boolean,
    windowAtGrant: number | null,
    now: number,
  ): void {
    const hasHeaders =
      obs.limit !== null && obs.limit > 0 && (obs.remaining !== null || obs.status === 429);
    if (!hasHeaders) {
      if (obs.status >= 200 && obs.status < 300 && obs.limit === null && obs.remaining === null) {
        // An Okta that sends no rate-limit headers (some proxies strip them): in-flight cap only.
        st.unmetered = true;
        st.known = true;
      } else if (st.known) {
        st.unobserved++;
      }
      return;
    }
    const limit = obs.limit as number;
    // A 429 means nothing is left, whatever Remaining says (or fails to say).
    const remaining = obs.status === 429 ? 0 : (obs.remaining as number);
    const id = obs.resetEpochSeconds;
    let resetAt = this.localReset(obs, now) ?? obs.resetAtMs ?? now + this.opts.defaultWindowMs;
    if (obs.status === 429 && resetAt <= now) resetAt = now + MIN_429_WAIT_MS;
    st.unmetered = false;

    if (!st.known || st.windowId === null || id === null) {
      newWindow(st, limit, remaining, id, resetAt);
      return;
    }
    if (id < st.windowId) return; // a late answer about a window already over
    const expired = now >= this.windowEnd(st);
    if (id > st.windowId) {
      this.laterReset(st, { limit, remaining, id, resetAt, status: obs.status }, wasProbe, expired);
      return;
    }
    // Same window.
    st.limit = limit;
    st.remaining = Math.min(st.remaining, remaining);
    st.unobserved = 0;
    if (wasProbe && expired && windowAtGrant === id) {
      // The probe was sent after our estimated reset, yet Okta still counts the old window: our
      // estimate is early. Learn the lateness (doubling) rather than spend a probe per moment.
      st.learnedMarginMs = Math.min(
        MAX_LEARNED_MARGIN_MS,
        st.learnedMarginMs === 0 ? MIN_LEARNED_MARGIN_MS : st.learnedMarginMs * 2,
      );
      return;
    }
    st.resetAtMs = Math.min(st.resetAtMs, resetAt);
    if (obs.status === 429 && st.resetAtMs <= now) st.resetAtMs = now + MIN_429_WAIT_MS;
  }

  /** A response with a larger Reset than the window's. */
  private laterReset(
    st: BucketState,
    r: { limit: number; remaining: number; id: number; resetAt: number; status: number },
    wasProbe: boolean,
    expired: boolean,
  ): void {
    // A larger Reset is a new window unless Okta merely rounded the same reset differently.
    if (expired || r.remaining >= st.remaining || r.status === 429) {
      if (wasProbe && expired) st.learnedMarginMs = Math.floor(st.learnedMarginMs * 0.9);
      newWindow(st, r.limit, r.remaining, r.id, r.resetAt);
    } else {
      st.remaining = Math.min(st.remaining, r.remaining);
      st.resetAtMs = Math.max(st.resetAtMs, r.resetAt);
      st.limit = r.limit;
      st.windowId = r.id;
    }
  }

  /**
   * Okta's Reset on the local clock, as tight as the responses seen so far allow. One response
   * only bounds Okta's clock from below (`Date` is truncated to the second), so its own estimate
   * can be up to a second late; and the first response of a window — the probe, sent at the
   * previous estimate — would carry that lateness into the next estimate, one round trip more
   * each window, until whole windows are skipped. The clock offset is the same for every
   * response of the org, though: the largest `Date - receivedAt` seen (a response that arrived
   * just after Okta's second ticked) bounds it tightly, and Reset minus that bound is never
   * before the real reset. The bound loosens slowly (`OFFSET_AGING`) so that a drifting local
   * clock cannot leave it too high for long.
   */
  private localReset(obs: RateLimitObservation, now: number): number | null {
    if (obs.resetEpochSeconds === null || obs.serverDateMs === null || obs.resetAtMs === null) {
      return null;
    }
    // readRateLimitHeaders computed resetAtMs = receivedAt + Reset - Date.
    const offset = obs.resetEpochSeconds * 1000 - obs.resetAtMs;
    const aged =
      this.offsetLowMs === null
        ? -Infinity
        : this.offsetLowMs - Math.max(0, now - this.offsetSeenAtMs) * OFFSET_AGING;
    this.offsetLowMs = Math.max(offset, aged);
    this.offsetSeenAtMs = now;
    return Math.min(obs.resetAtMs, obs.resetEpochSeconds * 1000 - this.offsetLowMs);
  }
}

function newWindow(
  st: BucketState,
  limit: number,
  remaining: number,
  id: number | null,
  resetAt: number,
): void {
  st.known = true;
  st.limit = limit;
  st.remaining = remaining;
  st.windowId = id;
  st.resetAtMs = resetAt;
  st.unobserved = 0;
}
