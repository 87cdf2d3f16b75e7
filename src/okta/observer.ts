/**
 * What the Okta client reports to whoever watches it (the worker's metrics), without knowing who
 * that is: the client stays free of Temporal and Prometheus imports. An observer must be cheap and
 * must not throw; the client ignores what it throws anyway.
 */
import type { BucketId } from './buckets';
import type { RateLimitObservation } from './headers';
import type { WaitReason } from './rate-limiter';

/** How one HTTP exchange with Okta ended. */
export interface OktaExchange {
  /** The endpoint template the client uses, e.g. `GET /api/v1/users/{userId}/groups`: no ids. */
  endpoint: string;
  bucket: BucketId;
  /** The HTTP status; null when no response came (`failure` says why). */
  status: number | null;
  failure: 'timeout' | 'network' | 'aborted' | null;
  /** From sending the request to the end of its response (or its failure). */
  durationMs: number;
  /** What the response's rate-limit headers said; null without a response. */
  observation: RateLimitObservation | null;
}

export interface OktaObserver {
  /** Every attempt, each page and each retry included: one call per request sent. */
  exchanged(e: OktaExchange): void;
  /**
   * Time a request spent waiting before it was sent: for the limiter (`window`, `in_flight`,
   * `probe`), after a 429 (`rate_limited`, `concurrency`) or after a transient failure (`backoff`).
   */
  waited(bucket: BucketId, reason: WaitReason, ms: number): void;
}

/** Calls `fn` on the observer, never letting an observer's failure become a request failure. */
export function notify(observer: OktaObserver | undefined, fn: (o: OktaObserver) => void): void {
  if (!observer) return;
  try {
    fn(observer);
  } catch {
    // Metrics are never worth a failed request.
  }
}
