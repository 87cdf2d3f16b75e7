/**
 * How one client call retries before it gives up and throws: the policy's knobs, their defaults
 * and checks, and the backoff delay between attempts.
 */

/** How one call retries before it gives up and throws. */
export interface RetryPolicy {
  /** Attempts per request against transient failures, the first included. Default 4. */
  maxAttempts: number;
  /** First backoff delay after a transient failure. Default 500 ms. */
  baseDelayMs: number;
  /** Upper bound of one backoff delay. Default 10 000 ms. */
  maxDelayMs: number;
  /**
   * Total time one request may wait for rate limits (window resets, 429s, concurrency backoff)
   * before `OktaRateLimitedError` is thrown. Default 90 000 ms: one whole Okta window and change.
   */
  rateLimitWaitBudgetMs: number;
  /** 429s (window) retried per request within the budget. Default 5. */
  maxRateLimitRetries: number;
  /** Concurrency 429s retried per request. Default 8. */
  maxConcurrencyRetries: number;
  /** First backoff after a concurrency 429 (doubles, with jitter, up to 4 s). Default 250 ms. */
  concurrencyBaseDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  rateLimitWaitBudgetMs: 90_000,
  maxRateLimitRetries: 5,
  maxConcurrencyRetries: 8,
  concurrencyBaseDelayMs: 250,
};

/** The defaults overridden by `overrides`, checked; throws naming the bad option. */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): Readonly<RetryPolicy> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new Error(`OktaClient option retry.maxAttempts must be an integer >= 1`);
  }
  for (const k of [
    'baseDelayMs',
    'maxDelayMs',
    'rateLimitWaitBudgetMs',
    'maxRateLimitRetries',
    'maxConcurrencyRetries',
    'concurrencyBaseDelayMs',
  ] as const) {
    if (!Number.isFinite(policy[k]) || policy[k] < 0) {
      throw new Error(`OktaClient option retry.${k} must be a number >= 0`);
    }
  }
  return Object.freeze(policy);
}

/**
 * Exponential backoff with "equal jitter": half fixed, half random, so retries spread out.
 * `random` is in [0, 1).
 */
export function backoffDelay(
  base: number,
  attempt: number,
  max: number,
  random: () => number,
): number {
  const d = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + random() * (d / 2));
}
