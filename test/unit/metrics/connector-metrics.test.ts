/**
 * Issue 16: the connector's metrics as they reach the SDK meter — names, label sets, values — and
 * the Okta client's observer hook against the simulator (every request reported once, with the
 * same counts the simulator keeps, waits after 429s included).
 */
import type {
  MetricCounter,
  MetricGauge,
  MetricHistogram,
  MetricMeter,
  MetricTags,
} from '@temporalio/common';
import {
  ConnectorMetrics,
  endpointLabels,
  statusClass,
} from '../../../src/metrics/connector-metrics';
import { syncModeOf } from '../../../src/metrics/sync-mode';
import type { OktaExchange, OktaObserver } from '../../../src/okta/observer';
import type { BucketId } from '../../../src/okta/buckets';
import { OktaClient } from '../../../src/okta/client';
import { RateLimiter, type WaitReason } from '../../../src/okta/rate-limiter';
import { OktaSimulator } from '../../../src/simulator';
import { makeSyncId } from '../../../src/sync/naming';
import { SYNC_WORKFLOW_TYPE } from '../../../src/contract';

interface Recorded {
  kind: 'counter' | 'histogram' | 'gauge';
  name: string;
  value: number;
  tags: MetricTags;
}

/** A MetricMeter that keeps every value it is given, with the tags composed as the SDK does. */
class RecordingMeter implements MetricMeter {
  constructor(
    readonly records: Recorded[] = [],
    private readonly tags: MetricTags = {},
  ) {}
  private rec(kind: Recorded['kind'], name: string) {
    return (value: number, extra: MetricTags = {}) =>
      this.records.push({ kind, name, value, tags: { ...this.tags, ...extra } });
  }
  createCounter(name: string): MetricCounter {
    return {
      name,
      kind: 'counter',
      valueType: 'int',
      add: this.rec('counter', name),
    } as unknown as MetricCounter;
  }
  createHistogram(name: string): MetricHistogram {
    return {
      name,
      kind: 'histogram',
      valueType: 'float',
      record: this.rec('histogram', name),
    } as unknown as MetricHistogram;
  }
  createGauge(name: string): MetricGauge {
    return {
      name,
      kind: 'gauge',
      valueType: 'int',
      set: this.rec('gauge', name),
    } as unknown as MetricGauge;
  }
  withTags(tags: MetricTags): MetricMeter {
    return new RecordingMeter(this.records, { ...this.tags, ...tags });
  }
  sum(name: string, where: MetricTags = {}): number {
    return this.records
      .filter((r) => r.name === name && Object.entries(where).every(([k, v]) => r.tags[k] === v))
      .reduce((a, r) => a + r.value, 0);
  }
}

const OBS = {
  status: 200,
  limit: 600,
  remaining: 598,
  resetEpochSeconds: 1_800_000_060,
  resetAtMs: 0,
  serverDateMs: 0,
  concurrency: false,
};

function exchange(over: Partial<OktaExchange> = {}): OktaExchange {
  return {
    endpoint: 'GET /api/v1/users/{userId}/groups',
    bucket: 'api-v1',
    status: 200,
    failure: null,
    durationMs: 120,
    observation: { ...OBS },
    ...over,
  };
}

describe('ConnectorMetrics', () => {
  test('a request: counted by endpoint template and status class, its latency in seconds, the bucket headers as gauges', () => {
    const meter = new RecordingMeter();
    const m = new ConnectorMetrics(meter, 'acme.okta.com');
    m.exchanged(exchange());
    expect(meter.records).toEqual([
      {
        kind: 'counter',
        name: 'okta_ocsf_okta_requests',
        value: 1,
        tags: {
          org: 'acme.okta.com',
          method: 'GET',
          endpoint: '/api/v1/users/{id}/groups',
          status_class: '2xx',
        },
      },
      {
        kind: 'histogram',
        name: 'okta_ocsf_okta_request_duration_seconds',
        value: 0.12,
        tags: { org: 'acme.okta.com', method: 'GET', endpoint: '/api/v1/users/{id}/groups' },
      },
      {
        kind: 'gauge',
        name: 'okta_ocsf_rate_limit_limit',
        value: 600,
        tags: { org: 'acme.okta.com', bucket: 'api-v1' },
      },
      {
        kind: 'gauge',
        name: 'okta_ocsf_rate_limit_remaining',
        value: 598,
        tags: { org: 'acme.okta.com', bucket: 'api-v1' },
      },
      {
        kind: 'gauge',
        name: 'okta_ocsf_rate_limit_reset_timestamp_seconds',
        value: 1_800_000_060,
        tags: { org: 'acme.okta.com', bucket: 'api-v1' },
      },
    ]);
  });

  test('429s by kind; a concurrency 429 (Limit: 0) leaves the bucket gauges as they were', () => {
    const meter = new RecordingMeter();
    const m = new ConnectorMetrics(meter, 'o');
    m.exchanged(exchange({ status: 429, observation: { ...OBS, status: 429, remaining: 0 } }));
    m.exchanged(
      exchange({
        status: 429,
        observation: { ...OBS, status: 429, limit: 0, remaining: 0, concurrency: true },
      }),
    );
    expect(meter.sum('okta_ocsf_okta_rate_limited', { kind: 'window', bucket: 'api-v1' })).toBe(1);
    expect(meter.sum('okta_ocsf_okta_rate_limited', { kind: 'concurrency' })).toBe(1);
    expect(meter.sum('okta_ocsf_okta_requests', { status_class: '4xx' })).toBe(2);
    expect(
      meter.records.filter((r) => r.name === 'okta_ocsf_rate_limit_limit').map((r) => r.value),
    ).toEqual([600]);
  });

  test('no response: status class timeout / network_error / aborted, no gauges', () => {
    const meter = new RecordingMeter();
    const m = new ConnectorMetrics(meter, 'o');
    for (const failure of ['timeout', 'network', 'aborted'] as const) {
      m.exchanged(exchange({ status: null, failure, observation: null }));
    }
    expect(
      meter.records.filter((r) => r.kind === 'counter').map((r) => r.tags.status_class),
    ).toEqual(['timeout', 'network_error', 'aborted']);
    expect(meter.records.filter((r) => r.kind === 'gauge')).toEqual([]);
  });

  test('waits for budget are recorded in seconds by bucket and reason; backoff after a 5xx is not a rate-limit wait', () => {
    const meter = new RecordingMeter();
    const m = new ConnectorMetrics(meter, 'o');
    m.waited('groups', 'window', 1500);
    m.waited('api-v1', 'concurrency', 250);
    m.waited('api-v1', 'backoff', 500);
    m.waited('api-v1', 'in_flight', 0);
    expect(meter.records).toEqual([
      {
        kind: 'histogram',
        name: 'okta_ocsf_rate_limit_wait_seconds',
        value: 1.5,
        tags: { org: 'o', bucket: 'groups', reason: 'window' },
      },
      {
        kind: 'histogram',
        name: 'okta_ocsf_rate_limit_wait_seconds',
        value: 0.25,
        tags: { org: 'o', bucket: 'api-v1', reason: 'concurrency' },
      },
    ]);
  });

  test('sync counters carry org and mode (from the sync id), never an id of Okta', () => {
    const meter = new RecordingMeter();
    const m = new ConnectorMetrics(meter, 'acme.okta.com');
    const full = makeSyncId(new Date('2026-01-02T03:04:05.678Z'), 'full', 'run-1234-abcd');
    const incr = makeSyncId(new Date('2026-01-02T03:04:05.678Z'), 'incremental', 'xyz');
    m.usersListed(full, 200);
    m.usersListed(incr, 7);
    m.eventsDelivered(full, 'sekoia', 199);
    m.usersSkipped(full, 1);
    m.fellBack(full, 'factors', 3);
    m.fellBack(full, 'groups', 0);
    m.sinkRetried(incr, 'sekoia');
    expect(meter.records.map((r) => [r.name, r.value, r.tags])).toEqual([
      ['okta_ocsf_users_listed', 200, { org: 'acme.okta.com', mode: 'full' }],
      ['okta_ocsf_users_listed', 7, { org: 'acme.okta.com', mode: 'incremental' }],
      ['okta_ocsf_events_delivered', 199, { org: 'acme.okta.com', mode: 'full', sink: 'sekoia' }],
      ['okta_ocsf_users_skipped', 1, { org: 'acme.okta.com', mode: 'full' }],
      ['okta_ocsf_fallbacks', 3, { org: 'acme.okta.com', mode: 'full', kind: 'factors' }],
      ['okta_ocsf_sink_retries', 1, { org: 'acme.okta.com', mode: 'incremental', sink: 'sekoia' }],
    ]);
  });

  test('initSeries creates every counter an alert or panel reads at 0, for both modes', () => {
    const meter = new RecordingMeter();
    new ConnectorMetrics(meter, 'o').initSeries('file', { namespace: 'ns', taskQueue: 'q' });
    expect(meter.records.every((r) => r.value === 0)).toBe(true);
    const names = new Set(meter.records.map((r) => r.name));
    for (const n of [
      'okta_ocsf_syncs_succeeded',
      'okta_ocsf_syncs_failed',
      'okta_ocsf_fallbacks',
      'okta_ocsf_events_delivered',
    ]) {
      expect(names.has(n)).toBe(true);
    }
    // The workflow's sync counters carry the worker's and the workflow's tags: the same series.
    expect(meter.records.find((r) => r.name === 'okta_ocsf_syncs_succeeded')?.tags).toEqual({
      org: 'o',
      namespace: 'ns',
      taskQueue: 'q',
      workflowType: SYNC_WORKFLOW_TYPE,
      mode: 'full',
    });
    expect(new Set(meter.records.map((r) => r.tags.mode))).toEqual(
      new Set(['full', 'incremental']),
    );
  });

  test('endpoint templates and status classes', () => {
    expect(endpointLabels('GET /api/v1/groups/{groupId}/roles')).toEqual({
      method: 'GET',
      endpoint: '/api/v1/groups/{id}/roles',
    });
    expect(endpointLabels('GET /api/v1/users')).toEqual({
      method: 'GET',
      endpoint: '/api/v1/users',
    });
    expect(statusClass({ status: 503, failure: null })).toBe('5xx');
    expect(syncModeOf('not-a-sync-id')).toBe('unknown');
  });
});

describe('OktaClient observer × simulator', () => {
  test('reports each request once, as the simulator counts them, and the waits after concurrency 429s', async () => {
    const sim = await OktaSimulator.start({
      token: 'tok',
      users: 60,
      groups: 8,
      seed: 16,
      latencyMs: 5,
      concurrencyLimit: 2,
    });
    try {
      const exchanges: OktaExchange[] = [];
      const waits: { bucket: BucketId; reason: WaitReason; ms: number }[] = [];
      const observer: OktaObserver = {
        exchanged: (e) => exchanges.push(e),
        waited: (bucket, reason, ms) => waits.push({ bucket, reason, ms }),
      };
      const client = new OktaClient({
        orgUrl: sim.url,
        token: 'tok',
        limiter: new RateLimiter({ share: 1, maxInFlight: 8 }),
        retry: { concurrencyBaseDelayMs: 5, maxConcurrencyRetries: 50 },
        observer,
      });
      const page = await client.listUsersPage();
      await Promise.all(page.users.map((u) => client.listUserFactors(u.id)));
      const stats = sim.stats();
      const counts: Record<string, number> = {};
      for (const e of exchanges) {
        const template = e.endpoint.replace(/\{\w+\}/, '{id}');
        counts[template] = (counts[template] ?? 0) + 1;
      }
      expect(counts).toEqual(stats.byEndpoint);
      expect(exchanges.length).toBe(client.metrics().requests);
      const concurrency429 = exchanges.filter((e) => e.observation?.concurrency).length;
      expect(concurrency429).toBe(stats.concurrencyRejected);
      expect(concurrency429).toBeGreaterThan(0);
      expect(waits.filter((w) => w.reason === 'concurrency').length).toBe(concurrency429);
      expect(exchanges.every((e) => e.durationMs >= 0 && !JSON.stringify(e).includes('tok"'))).toBe(
        true,
      );
    } finally {
      await sim.close();
    }
  });
});
