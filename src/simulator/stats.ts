/**
 * Request counters for tests and the benchmark: per bucket, per endpoint template and per status.
 * Admin requests (`/__sim/…`) are never counted.
 */

export interface SimulatorStats {
  /** API requests received (every outcome, including 429s and injected faults). */
  requests: number;
  byBucket: Record<string, { requests: number; byStatus: Record<string, number> }>;
  /** By HTTP status; a socket destroyed by an injected reset counts as "reset". */
  byStatus: Record<string, number>;
  /** e.g. 'GET /api/v1/groups/{id}/roles' */
  byEndpoint: Record<string, number>;
  /** 429s because a bucket's window was spent. */
  rateLimited: number;
  /** 429s because too many requests were in flight (not counted in `rateLimited`). */
  concurrencyRejected: number;
  maxInFlight: number;
  /** Most requests accepted in one window, per bucket. */
  peakWindowUse: Record<string, number>;
  /** Injected faults by kind: 500, 503, reset, malformed, slow. */
  faultsInjected: Record<string, number>;
}

export class StatsCollector {
  private requests = 0;
  private byBucket: SimulatorStats['byBucket'] = {};
  private byStatus: Record<string, number> = {};
  private byEndpoint: Record<string, number> = {};
  private rateLimited = 0;
  private concurrencyRejected = 0;
  private faults: Record<string, number> = {};

  record(bucket: string, endpoint: string, status: string): void {
    this.requests++;
    const b = (this.byBucket[bucket] ??= { requests: 0, byStatus: {} });
    b.requests++;
    b.byStatus[status] = (b.byStatus[status] ?? 0) + 1;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    this.byEndpoint[endpoint] = (this.byEndpoint[endpoint] ?? 0) + 1;
  }

  countRateLimited(): void {
    this.rateLimited++;
  }

  countConcurrencyRejected(): void {
    this.concurrencyRejected++;
  }

  countFault(kind: string): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  snapshot(extra: { maxInFlight: number; peakWindowUse: Record<string, number> }): SimulatorStats {
    return structuredClone({
      requests: this.requests,
      byBucket: this.byBucket,
      byStatus: this.byStatus,
      byEndpoint: this.byEndpoint,
      rateLimited: this.rateLimited,
      concurrencyRejected: this.concurrencyRejected,
      maxInFlight: extra.maxInFlight,
      peakWindowUse: extra.peakWindowUse,
      faultsInjected: this.faults,
    });
  }

  reset(): void {
    this.requests = 0;
    this.byBucket = {};
    this.byStatus = {};
    this.byEndpoint = {};
    this.rateLimited = 0;
    this.concurrencyRejected = 0;
    this.faults = {};
  }
}

/** 'GET /api/v1/users/00u…/groups' → 'GET /api/v1/users/{id}/groups' (ids are every other segment). */
export function endpointTemplate(method: string, pathname: string): string {
  const segments = pathname.replace(/\/+$/, '').split('/');
  // ['', 'api', 'v1', 'users', '<id>', 'groups', …]: resource names at 3, 5, …; ids at 4, 6, …
  // `/api/v1/iam/assignees/users` and its kin name no ids in those places.
  if (segments[1] === 'api' && /^v\d+$/.test(segments[2] ?? '') && segments[3] !== 'iam') {
    for (let i = 4; i < segments.length; i += 2) segments[i] = '{id}';
  }
  return `${method.toUpperCase()} ${segments.join('/') || '/'}`;
}
