/**
 * The Okta client's counters: requests, 429s, transient failures and dropped records, in total,
 * by bucket and by endpoint, and optionally for one call alone (`OktaCallCounters`).
 */

import type { BucketId } from './buckets';

/** Per-call counters, for an activity that shares one client with others but reports its own. */
export interface OktaCallCounters {
  requests: number;
  rateLimited: number;
  transientErrors: number;
  droppedRecords: number;
}

export function newCallCounters(): OktaCallCounters {
  return { requests: 0, rateLimited: 0, transientErrors: 0, droppedRecords: 0 };
}

export interface BucketCounters {
  requests: number;
  rateLimited: number;
}

export interface OktaClientMetrics {
  /** HTTP requests sent (each attempt and each page counts). */
  requests: number;
  /** 429 responses, window and concurrency alike. */
  rateLimited: number;
  /** Of `rateLimited`, those for Okta's concurrency limit. */
  concurrencyLimited: number;
  /** 5xx responses, timeouts, connection failures and malformed bodies. */
  transientErrors: number;
  /** Records dropped for having no `id` or not being objects. */
  droppedRecords: number;
  byBucket: Partial<Record<BucketId, BucketCounters>>;
  /** `droppedRecords` by endpoint template. */
  droppedByEndpoint: Record<string, number>;
}

export class ClientCounters {
  private readonly counters: OktaClientMetrics = {
    requests: 0,
    rateLimited: 0,
    concurrencyLimited: 0,
    transientErrors: 0,
    droppedRecords: 0,
    byBucket: {},
    droppedByEndpoint: {},
  };

  /** A request sent or a 429 received, in total, for its bucket and for the call. */
  count(bucket: BucketId, what: 'requests' | 'rateLimited', call?: OktaCallCounters): void {
    this.counters[what]++;
    const b = (this.counters.byBucket[bucket] ??= { requests: 0, rateLimited: 0 });
    b[what]++;
    if (call) call[what]++;
  }

  concurrencyLimited(): void {
    this.counters.concurrencyLimited++;
  }

  transient(call?: OktaCallCounters): void {
    this.counters.transientErrors++;
    if (call) call.transientErrors++;
  }

  dropped(endpoint: string, n: number, call?: OktaCallCounters): void {
    this.counters.droppedRecords += n;
    this.counters.droppedByEndpoint[endpoint] =
      (this.counters.droppedByEndpoint[endpoint] ?? 0) + n;
    if (call) call.droppedRecords += n;
  }

  /** A copy of the counters since the client was created. */
  snapshot(): OktaClientMetrics {
    const byBucket: Partial<Record<BucketId, BucketCounters>> = {};
    for (const [k, v] of Object.entries(this.counters.byBucket) as [BucketId, BucketCounters][]) {
      byBucket[k] = { ...v };
    }
    return {
      ...this.counters,
      byBucket,
      droppedByEndpoint: { ...this.counters.droppedByEndpoint },
    };
  }
}
