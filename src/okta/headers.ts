/**
 * Parsing of the HTTP response headers the Okta client and the rate limiter read: a
 * case-insensitive lookup that copes with repeated headers, `Date`, and Okta's
 * `X-Rate-Limit-Limit/Remaining/Reset`. `Link` paging is in link-header.ts, `WWW-Authenticate`
 * in auth/www-authenticate.ts. Pure functions: no I/O, no clock.
 */

/** What one response said about its bucket. */
export interface RateLimitObservation {
  status: number;
  /** `X-Rate-Limit-Limit` (smallest when repeated); 0 on a concurrency 429. */
  limit: number | null;
  /** `X-Rate-Limit-Remaining` (smallest when repeated). */
  remaining: number | null;
  /** `X-Rate-Limit-Reset` as sent: UTC epoch seconds (smallest when repeated). */
  resetEpochSeconds: number | null;
  /** The reset on the LOCAL clock: Reset corrected by `Date` minus the local receive time. */
  resetAtMs: number | null;
  /** Okta's clock (`Date` header) in epoch ms, when present and parseable. */
  serverDateMs: number | null;
  /** A 429 with `X-Rate-Limit-Limit: 0`: the org's concurrency limit, not a window limit. */
  concurrency: boolean;
}

/** Header lookup over axios headers, Node's IncomingHttpHeaders or a plain record. */
export type HeaderBag = Readonly<Record<string, unknown>>;

export function headerValues(headers: HeaderBag, name: string): string[] {
  const lower = name.toLowerCase();
  let v: unknown = headers[lower];
  if (v === undefined) {
    for (const k of Object.keys(headers)) {
      if (k.toLowerCase() === lower) {
        v = headers[k];
        break;
      }
    }
  }
  if (typeof v === 'string') return [v];
  if (typeof v === 'number') return [String(v)];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Smallest integer among possibly repeated or comma-joined values ("1700000060, 1700000061"). */
function smallestInt(values: string[]): number | null {
  let best: number | null = null;
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.trim();
      if (!/^\d+$/.test(t)) continue;
      const n = Number(t);
      if (Number.isSafeInteger(n) && (best === null || n < best)) best = n;
    }
  }
  return best;
}

/** The `Date` header in epoch ms. A repeated Date joined with ", " is split at "GMT,". */
export function parseHttpDate(values: string[]): number | null {
  for (const v of values) {
    const whole = Date.parse(v);
    if (!Number.isNaN(whole)) return whole;
    for (const part of v.split(/(?<=GMT)\s*,\s*/)) {
      const t = Date.parse(part);
      if (!Number.isNaN(t)) return t;
    }
  }
  return null;
}

/**
 * Reads Okta's rate-limit headers. `receivedAtMs` is the local time the response arrived; with the
 * `Date` header it turns Okta's Reset (on Okta's clock) into a local time.
 */
export function readRateLimitHeaders(
  headers: HeaderBag,
  status: number,
  receivedAtMs: number,
): RateLimitObservation {
  const limit = smallestInt(headerValues(headers, 'x-rate-limit-limit'));
  const remaining = smallestInt(headerValues(headers, 'x-rate-limit-remaining'));
  const reset = smallestInt(headerValues(headers, 'x-rate-limit-reset'));
  const serverDateMs = parseHttpDate(headerValues(headers, 'date'));
  let resetAtMs: number | null = null;
  if (reset !== null) {
    // Without a Date header the best available assumption is that the clocks agree.
    resetAtMs = serverDateMs === null ? reset * 1000 : receivedAtMs + (reset * 1000 - serverDateMs);
  }
  return {
    status,
    limit,
    remaining,
    resetEpochSeconds: reset,
    resetAtMs,
    serverDateMs,
    concurrency: status === 429 && limit === 0,
  };
}
