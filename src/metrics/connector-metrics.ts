/**
 * The connector's own Prometheus metrics, recorded through a Temporal SDK `MetricMeter` (the
 * worker passes the runtime's, so they are served by the SDK's Prometheus exporter next to the
 * SDK's own metrics). One instance per worker process; every series carries the worker's `org`.
 *
 * Labels are bounded and never personal: endpoint TEMPLATES (ids replaced by `{id}`), bucket ids,
 * status classes, the sync mode, the fallback kind and the sink kind. No user id, login, email,
 * group id or token ever becomes a label value.
 *
 * The SDK meter's counters take integers only; a duration total is therefore a histogram (its
 * `_sum` is the total, its `_count` the number of waits).
 */
import type {
  MetricCounter,
  MetricGauge,
  MetricHistogram,
  MetricMeter,
  MetricTags,
} from '@temporalio/common';
import type { BucketId } from '../okta/buckets';
import type { OktaExchange, OktaObserver } from '../okta/observer';
import type { WaitReason } from '../okta/rate-limiter';
import { ENRICHMENT_KINDS, type EnrichmentKind } from '../okta/types';
import { METRIC, SYNC_HELP, SYNC_OUTCOMES, syncCounterName } from './names';
import { SYNC_WORKFLOW_TYPE } from '../contract/temporal-contract';
import { syncModeOf } from './sync-mode';

/** Bucket boundaries (seconds) of the connector's histograms; the SDK's defaults suit ms. */
export const HISTOGRAM_BUCKETS: Readonly<Record<string, number[]>> = {
  [METRIC.oktaRequestDuration]: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  [METRIC.rateLimitWait]: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120],
};

/** Waits that are about Okta's budget; `backoff` (after a transient failure) is not. */
const RATE_LIMIT_WAITS: ReadonlySet<WaitReason> = new Set<WaitReason>([
  'window',
  'in_flight',
  'probe',
  'rate_limited',
  'concurrency',
]);

/** What the activities report; `syncId` gives the mode (see sync-mode.ts). */
export interface SyncMetrics {
  usersListed(syncId: string, users: number): void;
  usersSkipped(syncId: string, users: number): void;
  /** Events the sink accepted (a re-delivered part counts again: delivery is at-least-once). */
  eventsDelivered(syncId: string, sink: string, events: number): void;
  fellBack(syncId: string, kind: EnrichmentKind, users: number): void;
  /** The sink retried a request within one delivery (e.g. a Sekoia.io batch after a 503). */
  sinkRetried(syncId: string, sink: string): void;
}

/** `GET /api/v1/users/{userId}/groups` → method GET, endpoint `/api/v1/users/{id}/groups`. */
export function endpointLabels(template: string): { method: string; endpoint: string } {
  const m = /^([A-Z]+) (\S+)$/.exec(template);
  const method = m ? (m[1] as string) : '';
  const path = m ? (m[2] as string) : template;
  return { method, endpoint: path.replace(/\{[^}]*\}/g, '{id}') };
}

export function statusClass(e: Pick<OktaExchange, 'status' | 'failure'>): string {
  if (e.status !== null) return `${Math.floor(e.status / 100)}xx`;
  return e.failure === 'network' ? 'network_error' : (e.failure ?? 'unknown');
}

export class ConnectorMetrics implements OktaObserver, SyncMetrics {
  private readonly requests: MetricCounter;
  private readonly rateLimited: MetricCounter;
  private readonly duration: MetricHistogram;
  private readonly limit: MetricGauge;
  private readonly remaining: MetricGauge;
  private readonly reset: MetricGauge;
  private readonly share: MetricGauge;
  private readonly wait: MetricHistogram;
  private readonly listed: MetricCounter;
  private readonly skipped: MetricCounter;
  private readonly delivered: MetricCounter;
  private readonly fallbacks: MetricCounter;
  private readonly sinkRetries: MetricCounter;
  /** Label objects per endpoint template, so the hot path does not rebuild them. */
  private readonly endpoints = new Map<string, { method: string; endpoint: string }>();

  /** `org`: the worker's org key (src/sync/naming.ts `orgKey`), on every series. */
  private readonly meter: MetricMeter;

  constructor(meter: MetricMeter, org: string) {
    const m = meter.withTags({ org });
    this.meter = m;
    // Names without the exporter's `_total`: it adds it to every counter.
    const counter = (name: string, help: string) =>
      m.createCounter(name.replace(/_total$/, ''), '', help);
    // Unitless in the SDK's sense: the unit is in each metric's name (`_seconds`).
    const gauge = (name: string, type: 'int' | 'float', help: string) =>
      m.createGauge(name, type, '', help);
    const histogram = (name: string, help: string) => m.createHistogram(name, 'float', '', help);
    this.requests = counter(
      METRIC.oktaRequests,
      'Okta API requests sent (every attempt and page), by endpoint template and status class',
    );
    this.rateLimited = counter(
      METRIC.oktaRateLimited,
      'Okta answers 429, by bucket and kind (window: the bucket is spent; concurrency: too many in flight)',
    );
    this.duration = histogram(
      METRIC.oktaRequestDuration,
      'Okta API request latency, sending to end of response, by endpoint template',
    );
    this.limit = gauge(
      METRIC.rateLimitLimit,
      'int',
      'X-Rate-Limit-Limit of the last Okta response of the bucket',
    );
    this.remaining = gauge(
      METRIC.rateLimitRemaining,
      'int',
      'X-Rate-Limit-Remaining of the last Okta response of the bucket',
    );
    this.reset = gauge(
      METRIC.rateLimitReset,
      'int',
      'X-Rate-Limit-Reset (Unix seconds, Okta clock) of the last Okta response of the bucket',
    );
    this.share = gauge(
      METRIC.rateLimitShare,
      'float',
      'Share of each Okta bucket this worker may use per window (OKTA_RATE_LIMIT_SHARE)',
    );
    this.wait = histogram(
      METRIC.rateLimitWait,
      'Time Okta requests waited for rate-limit budget, summed per request, by bucket and reason',
    );
    this.listed = counter(METRIC.usersListed, 'Users listed from Okta, by sync mode');
    this.skipped = counter(METRIC.usersSkipped, 'Users listed but not emitted, by sync mode');
    this.delivered = counter(
      METRIC.eventsDelivered,
      'OCSF events the sink accepted, by sync mode and sink kind',
    );
    this.fallbacks = counter(
      METRIC.fallbacks,
      'Enrichments that fell back to their documented default, by sync mode and kind',
    );
    this.sinkRetries = counter(
      METRIC.sinkRetries,
      'Requests the sink retried within a delivery, by sync mode and sink kind',
    );
  }

  /** The share in force; set once at start (it is a worker setting). */
  setRateLimitShare(share: number): void {
    this.share.set(share);
  }

  exchanged(e: OktaExchange): void {
    const ep = this.endpointOf(e.endpoint);
    this.requests.add(1, { ...ep, status_class: statusClass(e) });
    this.duration.record(Math.max(0, e.durationMs) / 1000, ep);
    const obs = e.observation;
    if (obs === null) return;
    if (obs.status === 429) {
      this.rateLimited.add(1, {
        bucket: e.bucket,
        kind: obs.concurrency ? 'concurrency' : 'window',
      });
    }
    // A concurrency 429 says `Limit: 0`: not the bucket's limit, so the gauges keep the last one.
    if (obs.concurrency || obs.limit === null || obs.limit <= 0) return;
    const tags: MetricTags = { bucket: e.bucket };
    this.limit.set(obs.limit, tags);
    if (obs.remaining !== null) this.remaining.set(obs.remaining, tags);
    if (obs.resetEpochSeconds !== null) this.reset.set(obs.resetEpochSeconds, tags);
  }

  waited(bucket: BucketId, reason: WaitReason, ms: number): void {
    if (!RATE_LIMIT_WAITS.has(reason) || !(ms > 0)) return;
    this.wait.record(ms / 1000, { bucket, reason });
  }

  usersListed(syncId: string, users: number): void {
    this.listed.add(users, { mode: syncModeOf(syncId) });
  }

  usersSkipped(syncId: string, users: number): void {
    if (users > 0) this.skipped.add(users, { mode: syncModeOf(syncId) });
  }

  eventsDelivered(syncId: string, sink: string, events: number): void {
    if (events > 0) this.delivered.add(events, { mode: syncModeOf(syncId), sink });
  }

  fellBack(syncId: string, kind: EnrichmentKind, users: number): void {
    if (users > 0) this.fallbacks.add(users, { mode: syncModeOf(syncId), kind });
  }

  sinkRetried(syncId: string, sink: string): void {
    this.sinkRetries.add(1, { mode: syncModeOf(syncId), sink });
  }

  /**
   * Creates the counters' series at 0 for both modes, so that `increase()` and the alerts see a
   * worker that has done nothing yet (rather than no series at all, or a series that first
   * appears at 1 and whose first increment `increase()` cannot see).
   *
   * The sync counters are recorded by the workflow, whose meter carries the worker's `namespace`
   * and `taskQueue` and the workflow's `workflowType` (SDK 1.24): the series made here must have
   * exactly those labels to be the same series (the metrics integration test checks they are).
   */
  initSeries(sink: string, worker: { namespace: string; taskQueue: string }): void {
    const syncs = this.meter.withTags({ ...worker, workflowType: SYNC_WORKFLOW_TYPE });
    for (const mode of ['full', 'incremental']) {
      for (const outcome of SYNC_OUTCOMES) {
        syncs.createCounter(syncCounterName(outcome), '', SYNC_HELP[outcome]).add(0, { mode });
      }
      this.listed.add(0, { mode });
      this.skipped.add(0, { mode });
      this.delivered.add(0, { mode, sink });
      this.sinkRetries.add(0, { mode, sink });
      for (const kind of ENRICHMENT_KINDS) this.fallbacks.add(0, { mode, kind });
    }
  }

  private endpointOf(template: string): { method: string; endpoint: string } {
    let ep = this.endpoints.get(template);
    if (ep === undefined) {
      ep = endpointLabels(template);
      this.endpoints.set(template, ep);
    }
    return ep;
  }
}
