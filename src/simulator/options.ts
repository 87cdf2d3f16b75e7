/**
 * The simulator's options, their defaults and their validation (shared by the API and the CLI).
 */

import { BUCKET_IDS, type BucketId } from '../okta/buckets';
import { BUCKET_GROUPINGS, type BucketGrouping } from './bucket-grouping';
import { type FaultOptions, validateFaults } from './faults';
import type { OAuthSimOptions } from './oauth/authorization-server';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1000. */
  users?: number;
  /** Default 100, Everyone included. */
  groups?: number;
  /** Default 1. */
  seed?: number;
  /** Accepted as `Authorization: SSWS <token>`; default 'sim-token'. */
  token?: string;
  /** Added to every API response. */
  latencyMs?: number;
  /** Requests per window per bucket; omitted buckets get DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<Record<BucketId, number>>;
  /** Default 60000 (Okta's minute); shorter for tests and the benchmark. */
  rateLimitWindowMs?: number;
  /** Requests in flight at once; default 75 (Okta Enterprise), 0 = none. */
  concurrencyLimit?: number;
  faults?: FaultOptions;
  /**
   * How requests are counted (`bucket-grouping.ts`): `buckets` (default) as Okta's published
   * table (`okta/buckets.ts`: a user's groups, factors and roles share the `/api/v1` bucket);
   * `per-template`: every endpoint template has its own window, with its bucket's limit (as if
   * Okta counted them apart); `users-family`: as Okta's Terraform provider reads it, everything
   * at or below `/api/v1/users` shares one window with the `users-list` limit, the rest as
   * `buckets`.
   */
  bucketGrouping?: BucketGrouping;
  /** At least one non-deprovisioned user is in exactly this many groups; default min(450, groups). */
  heavyUserGroups?: number;
  /** Epoch ms; drives timestamps, rate windows and the Date header. Default Date.now. */
  clock?: () => number;
  /** OAuth service apps and token lifetime (src/simulator/oauth/); SSWS tokens work regardless. */
  oauth?: OAuthSimOptions;
}

export type { BucketGrouping };

export function bucketGroupingOf(value: unknown, name = 'bucketGrouping'): BucketGrouping {
  if (!(BUCKET_GROUPINGS as readonly unknown[]).includes(value)) {
    const allowed = BUCKET_GROUPINGS.map((g) => `"${g}"`).join(', ');
    throw new TypeError(`${name} must be one of ${allowed} (got ${JSON.stringify(value)})`);
  }
  return value as BucketGrouping;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  users: number;
  groups: number;
  seed: number;
  token: string;
  latencyMs: number;
  rateLimits: Record<BucketId, number>;
  rateLimitWindowMs: number;
  concurrencyLimit: number;
  faults: FaultOptions;
  bucketGrouping: BucketGrouping;
  heavyUserGroups: number;
  clock: () => number;
  oauth: OAuthSimOptions;
}

/**
 * Okta's last published Enterprise budgets per minute (okta-api-facts.md, "Rate-limit buckets"):
 * `/api/v1/groups` 600, `/api/v1/groups/{id}` 600, list users 600, a single user 1000, the System
 * Log 50 and the `/api/v1` catch-all 600 (Workforce orgs get up to twice as much). The org-wide
 * 50 %-per-token share is the client's concern, not enforced here.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<BucketId, number>> = {
  'users-list': 600,
  'user-by-id': 1000,
  groups: 600,
  'group-by-id': 600,
  'system-log': 50,
  'api-v1': 600,
  other: 600,
};

export const LIMITS = {
  users: 10_000_000,
  groups: 100_000,
  latencyMs: 600_000,
  rateLimit: 1_000_000_000,
  windowMs: 86_400_000,
  concurrency: 100_000,
} as const;

function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** A token is sent in a header: visible ASCII, no spaces. Never echoed in errors. */
export function validateToken(value: unknown, name = 'token'): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(value)) {
    throw new TypeError(`${name} must be 1 to 512 visible ASCII characters without spaces`);
  }
  return value;
}

export function validateRateLimits(
  input: unknown,
  name = 'rateLimits',
): Partial<Record<BucketId, number>> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError(`${name} must be an object of bucket → requests per window`);
  }
  const out: Partial<Record<BucketId, number>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(BUCKET_IDS as readonly string[]).includes(key)) {
      throw new TypeError(
        `${name}.${key} is not a bucket (expected one of ${BUCKET_IDS.join(', ')})`,
      );
    }
    out[key as BucketId] = integer(value, `${name}.${key}`, 1, LIMITS.rateLimit);
  }
  return out;
}

export function resolveOptions(opts: SimulatorOptions = {}): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new TypeError('options must be an object');
  const host = opts.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '')
    throw new TypeError('host must be a non-empty string');
  const groups = integer(opts.groups ?? 100, 'groups', 1, LIMITS.groups);
  const clock = opts.clock ?? Date.now;
  if (typeof clock !== 'function')
    throw new TypeError('clock must be a function returning epoch ms');
  const now = clock();
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw new TypeError('clock must return epoch ms');
  return {
    port: integer(opts.port ?? 0, 'port', 0, 65535),
    host,
    users: integer(opts.users ?? 1000, 'users', 0, LIMITS.users),
    groups,
    seed: integer(opts.seed ?? 1, 'seed', 0, 0xffffffff),
    token: validateToken(opts.token ?? 'sim-token'),
    latencyMs: integer(opts.latencyMs ?? 0, 'latencyMs', 0, LIMITS.latencyMs),
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...validateRateLimits(opts.rateLimits ?? {}) },
    rateLimitWindowMs: integer(
      opts.rateLimitWindowMs ?? 60_000,
      'rateLimitWindowMs',
      1,
      LIMITS.windowMs,
    ),
    concurrencyLimit: integer(
      opts.concurrencyLimit ?? 75,
      'concurrencyLimit',
      0,
      LIMITS.concurrency,
    ),
    faults: validateFaults(opts.faults ?? {}),
    bucketGrouping: bucketGroupingOf(opts.bucketGrouping ?? 'buckets'),
    heavyUserGroups: integer(
      opts.heavyUserGroups ?? Math.min(450, groups),
      'heavyUserGroups',
      1,
      groups,
    ),
    clock,
    oauth: opts.oauth ?? {},
  };
}
