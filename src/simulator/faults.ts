/**
 * Injected faults: the failures a client meets against a real Okta (5xx, reset connections, slow
 * responses, truncated bodies), drawn from a seeded stream so that a given sequence of requests
 * meets the same faults on every run.
 */

import { Rng, saltOf } from './prng';

/** Probabilities in [0, 1]. rate500 + rate503 + rateReset + rateMalformed must not exceed 1. */
export interface FaultOptions {
  rate500?: number;
  rate503?: number;
  /** Destroy the socket without answering. */
  rateReset?: number;
  /** Delay the response by `slowMs` (independent of the other faults). */
  rateSlow?: number;
  slowMs?: number;
  /** Answer 200 with a truncated JSON body (only on responses that would have been 200). */
  rateMalformed?: number;
  /**
   * Request paths (no query, e.g. `/api/v1/users/00u…/factors`) answered 503 on every request: an
   * outage that never clears, so a client's retries run out (the documented enrichment fallback).
   */
  failPaths?: string[];
}

export type FaultKind = 'none' | '500' | '503' | 'reset' | 'malformed';

export interface FaultDraw {
  kind: FaultKind;
  /** Extra delay for a slow response; 0 when not slow. */
  slowMs: number;
}

const RATE_FIELDS = ['rate500', 'rate503', 'rateReset', 'rateSlow', 'rateMalformed'] as const;
const DEFAULT_SLOW_MS = 2000;
const MAX_SLOW_MS = 600_000;
const MAX_FAIL_PATHS = 100_000;
const MAX_PATH_LENGTH = 2048;

/** Checks a fault configuration from code or JSON; throws naming the offending field. */
export function validateFaults(input: unknown, where = 'faults'): FaultOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError(`${where} must be an object`);
  }
  const record = input as Record<string, unknown>;
  const known = new Set<string>([...RATE_FIELDS, 'slowMs', 'failPaths']);
  for (const key of Object.keys(record)) {
    if (!known.has(key))
      throw new TypeError(
        `${where}.${key} is not a fault option (expected one of ${[...known].join(', ')})`,
      );
  }
  const out: FaultOptions = {};
  for (const field of RATE_FIELDS) {
    const v = record[field];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new RangeError(
        `${where}.${field} must be a probability from 0 to 1 (got ${JSON.stringify(v)})`,
      );
    }
    out[field] = v;
  }
  if (record.slowMs !== undefined) {
    const v = record.slowMs;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SLOW_MS) {
      throw new RangeError(
        `${where}.slowMs must be an integer from 0 to ${MAX_SLOW_MS} (got ${JSON.stringify(v)})`,
      );
    }
    out.slowMs = v;
  }
  if (record.failPaths !== undefined) out.failPaths = validateFailPaths(record.failPaths, where);
  const exclusive =
    (out.rate500 ?? 0) + (out.rate503 ?? 0) + (out.rateReset ?? 0) + (out.rateMalformed ?? 0);
  if (exclusive > 1 + 1e-9) {
    throw new RangeError(
      `${where}: rate500 + rate503 + rateReset + rateMalformed must not exceed 1 (got ${exclusive})`,
    );
  }
  return out;
}

function validateFailPaths(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_FAIL_PATHS) {
    throw new TypeError(
      `${where}.failPaths must be an array of at most ${MAX_FAIL_PATHS} request paths`,
    );
  }
  return v.map((p: unknown, i) => {
    if (
      typeof p !== 'string' ||
      !p.startsWith('/') ||
      p.includes('?') ||
      p.length > MAX_PATH_LENGTH
    ) {
      throw new TypeError(
        `${where}.failPaths[${i}] must be a request path starting with "/", without a query, ` +
          `of at most ${MAX_PATH_LENGTH} characters (got ${typeof p === 'string' ? JSON.stringify(p.slice(0, 100)) : typeof p})`,
      );
    }
    return p;
  });
}

export class FaultInjector {
  private faults: FaultOptions = {};
  private failPaths = new Set<string>();
  private readonly rng: Rng;

  constructor(seed: number, faults: FaultOptions = {}) {
    this.rng = new Rng(seed, saltOf('faults'));
    this.set(faults);
  }

  /** Replaces the whole configuration (`{}` turns faults off). */
  set(faults: FaultOptions): void {
    this.faults = validateFaults(faults);
    this.failPaths = new Set(this.faults.failPaths ?? []);
  }

  current(): FaultOptions {
    const copy = { ...this.faults };
    if (copy.failPaths) copy.failPaths = [...copy.failPaths];
    return copy;
  }

  /** The fault of the next request to `path` (its path without query). */
  draw(path?: string): FaultDraw {
    const f = this.faults;
    // Two draws per request whatever the configuration, so the sequence stays aligned.
    const u = this.rng.next();
    const s = this.rng.next();
    const slowMs = s < (f.rateSlow ?? 0) ? (f.slowMs ?? DEFAULT_SLOW_MS) : 0;
    if (path !== undefined && this.failPaths.has(path)) return { kind: '503', slowMs };
    let edge = f.rate500 ?? 0;
    if (u < edge) return { kind: '500', slowMs };
    edge += f.rate503 ?? 0;
    if (u < edge) return { kind: '503', slowMs };
    edge += f.rateReset ?? 0;
    if (u < edge) return { kind: 'reset', slowMs };
    edge += f.rateMalformed ?? 0;
    if (u < edge) return { kind: 'malformed', slowMs };
    return { kind: 'none', slowMs };
  }
}
