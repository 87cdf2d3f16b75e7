/**
 * Issue 16: the worker's Prometheus metrics, scraped by a REAL Prometheus server while a full sync
 * of the simulator runs. What PromQL (through Prometheus' HTTP API) says afterwards must agree
 * with two independent accounts of the same sync: the simulator's own request counters (per
 * endpoint family, per status, 429s) and the sync's summary (users, events, API calls, 429s).
 * Then the Grafana dashboard: every panel's query is parsed by that Prometheus (a real PromQL
 * parser) and names only metrics the worker really exported (the scraped series).
 *
 * Uses Debian's prometheus (scripts/ensure-prometheus.sh, or PROMETHEUS_PATH); without it the
 * tests are skipped, saying why.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { OktaSimulator } from '../../src/simulator';
import { orgKey } from '../../src/sync/naming';
import type { SyncSummary } from '../../src/cli/sync-runner';
import { GENEROUS_LIMITS, WorkerPool } from '../support/fault-harness';
import { freePorts } from '../../src/devtools/temporal-dev-server';
import { findPrometheus, startPrometheus, type Prometheus } from '../support/prometheus';
import { runCli } from '../support/run-cli';
import {
  REPO,
  eventually,
  readEvents,
  tempDir,
  temporalClient,
  testEnv,
} from '../support/sync-harness';
import { expectedUserIds, expectTenantOutput, runFullSync } from '../support/tenant-output';

jest.setTimeout(180_000);

const PROMETHEUS = findPrometheus();
if (PROMETHEUS === null) {
  process.stderr.write(
    'metrics.test.ts: SKIPPED — no prometheus on PATH or at /usr/bin/prometheus ' +
      '(scripts/ensure-prometheus.sh installs Debian’s package; `make test` runs it)\n',
  );
}
const promTest = PROMETHEUS === null ? test.skip : test;

const TOKEN = 'metrics-it-token';
const DASHBOARD = path.join(REPO, 'docker/grafana/dashboards/okta-ocsf.json');
const ALERTS = path.join(REPO, 'docker/prometheus/alerts.yml');

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every panel, rows' nested panels included. */
function panelsOf(dashboard: { panels?: Panel[] }): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: Panel[] | undefined): void => {
    for (const p of ps ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

describe('Prometheus scrapes the worker during a sync', () => {
  let sim: OktaSimulator | undefined;
  let prom: Prometheus | undefined;
  let pool: WorkerPool | undefined;
  let summary: SyncSummary;
  let org: string;
  let syncStartMs: number;
  let syncEndMs: number;
  let eventsWritten: number;

  beforeAll(async () => {
    if (PROMETHEUS === null) return;
    sim = await OktaSimulator.start({
      token: TOKEN,
      users: 400,
      groups: 30,
      seed: 1601,
      latencyMs: 15,
      rateLimits: GENEROUS_LIMITS,
      rateLimitWindowMs: 5_000,
      // Below the worker's OKTA_MAX_CONCURRENCY (10): Okta's concurrency 429s happen.
      concurrencyLimit: 4,
    });
    org = orgKey(sim.url);
    const [port] = await freePorts(1);
    const metricsAddress = `127.0.0.1:${port}`;
    // Per-user enrichment: a sync long enough (one listing page, then ~1,200 enrichment calls
    // under a concurrency limit) for a scrape to land mid-sync; the bulk strategy's metrics are
    // the same client paths.
    const t = await testEnv(sim.url, TOKEN, {
      OKTA_OCSF_METRICS_ADDRESS: metricsAddress,
      OKTA_OCSF_ENRICHMENT: 'per-user',
    });
    const logs = await tempDir('metrics-logs');
    pool = new WorkerPool(t.env, path.join(logs, 'worker.log'));
    pool.start();
    await eventually(
      async () =>
        fetch(`http://${metricsAddress}/metrics`).then(
          async (r) => r.ok && (await r.text()).includes('okta_ocsf_rate_limit_share'),
          () => false,
        ),
      60_000,
      `the worker's /metrics on ${metricsAddress}`,
    );
    prom = await startPrometheus(PROMETHEUS, [metricsAddress], {
      logFile: path.join(logs, 'prometheus.log'),
      ruleFiles: [ALERTS],
    });
    await prom.scrapedAfter(Date.now());
    // Before any sync, the worker's counters exist at 0: the example alert "no successful sync
    // in a day" is already pending for this org (it fires after its `for`).
    const noSuccess = `ALERTS{alertname="OktaOcsfNoSuccessfulSync",org="${org}"}`;
    await eventually(
      async () => (await prom!.query(noSuccess)).some((s) => s.metric.alertstate === 'pending'),
      20_000,
      'the no-successful-sync alert to be pending before the sync',
    );

    const { client, close } = await temporalClient();
    try {
      syncStartMs = Date.now();
      summary = (await runFullSync(client, t.config)).summary;
      syncEndMs = Date.now();
    } finally {
      await close();
    }
    expect(summary).toMatchObject({ status: 'completed', error: null, fallbacks: 0 });
    const { events } = await readEvents(t.outDir);
    expectTenantOutput(events, sim);
    eventsWritten = events.length;
    // The final values: a scrape that started after the sync had ended.
    await prom.scrapedAfter(syncEndMs);
  });

  afterAll(async () => {
    await pool?.stopAll();
    await prom?.stop();
    await sim?.close();
  });

  promTest('PromQL agrees with the simulator’s request counts and the sync summary', async () => {
    const p = prom!;
    const stats = sim!.stats();
    const sel = `{org="${org}"}`;

    // Per endpoint family: `GET /api/v1/users/{id}/groups` and so on, as the simulator counts.
    const byEndpoint: Record<string, number> = {};
    for (const s of await p.query(
      `sum by (method, endpoint) (okta_ocsf_okta_requests_total${sel})`,
    )) {
      byEndpoint[`${s.metric.method} ${s.metric.endpoint}`] = Number(s.value[1]);
    }
    expect(byEndpoint).toEqual(stats.byEndpoint);
    // A per-user full sync: users, and each user's groups, factors and roles; group roles.
    expect(Object.keys(byEndpoint).sort()).toEqual([
      'GET /api/v1/groups/{id}/roles',
      'GET /api/v1/users',
      'GET /api/v1/users/{id}/factors',
      'GET /api/v1/users/{id}/groups',
      'GET /api/v1/users/{id}/roles',
    ]);

    // Every request, the 429s among them, and the 2xx.
    const requests = await p.sum(`sum(okta_ocsf_okta_requests_total${sel})`);
    expect(requests).toBe(stats.requests);
    expect(requests).toBe(summary.apiCalls);
    expect(await p.sum(`sum(okta_ocsf_okta_requests_total{org="${org}",status_class="2xx"})`)).toBe(
      stats.byStatus['200'],
    );
    const rateLimited = await p.sum(`sum(okta_ocsf_okta_rate_limited_total${sel})`);
    expect(rateLimited).toBeGreaterThan(0);
    expect(rateLimited).toBe(stats.rateLimited + stats.concurrencyRejected);
    expect(rateLimited).toBe(summary.rateLimited);
    expect(
      await p.sum(`sum(okta_ocsf_okta_rate_limited_total{org="${org}",kind="concurrency"})`),
    ).toBe(stats.concurrencyRejected);
    expect(await p.sum(`sum(okta_ocsf_okta_requests_total{org="${org}",status_class="4xx"})`)).toBe(
      stats.byStatus['429'],
    );
    // One latency observation per request; each concurrency 429 was followed by a backoff wait.
    expect(await p.sum(`sum(okta_ocsf_okta_request_duration_seconds_count${sel})`)).toBe(requests);
    expect(
      await p.sum(
        `sum(okta_ocsf_rate_limit_wait_seconds_count{org="${org}",reason="concurrency"})`,
      ),
    ).toBe(stats.concurrencyRejected);

    // The sync's own counts.
    expect(await p.sum(`sum(okta_ocsf_users_listed_total{org="${org}",mode="full"})`)).toBe(
      summary.users,
    );
    expect(summary.users).toBe(expectedUserIds(sim!).length);
    expect(
      await p.sum(`sum(okta_ocsf_events_delivered_total{org="${org}",mode="full",sink="file"})`),
    ).toBe(summary.events);
    expect(summary.events).toBe(eventsWritten);
    expect(await p.sum(`sum(okta_ocsf_fallbacks_total${sel})`)).toBe(0);
    expect(await p.sum(`sum(okta_ocsf_syncs_started_total{org="${org}",mode="full"})`)).toBe(1);
    expect(await p.sum(`sum(okta_ocsf_syncs_succeeded_total{org="${org}",mode="full"})`)).toBe(1);
    expect(await p.sum(`sum(okta_ocsf_syncs_failed_total${sel})`)).toBe(0);
    // The workflow's increment landed on the series the worker created at 0 (one per mode), so
    // `increase()` sees it (the "no successful sync" alert depends on it).
    expect((await p.query(`okta_ocsf_syncs_succeeded_total${sel}`)).length).toBe(2);

    // Each bucket's limit as Okta (the simulator) reported it, and the share in force.
    const limits = await p.query(`okta_ocsf_rate_limit_limit${sel}`);
    expect(limits.map((s) => s.metric.bucket).sort()).toEqual(['api-v1', 'groups', 'users-list']);
    for (const s of limits) {
      const bucket = s.metric.bucket as keyof typeof GENEROUS_LIMITS;
      expect({ bucket, limit: Number(s.value[1]) }).toEqual({
        bucket,
        limit: GENEROUS_LIMITS[bucket],
      });
    }
    for (const s of await p.query(`okta_ocsf_rate_limit_remaining${sel}`)) {
      const remaining = Number(s.value[1]);
      expect(remaining).toBeGreaterThanOrEqual(0);
      expect(remaining).toBeLessThan(
        GENEROUS_LIMITS[s.metric.bucket as keyof typeof GENEROUS_LIMITS],
      );
    }
    for (const s of await p.query(`okta_ocsf_rate_limit_reset_timestamp_seconds${sel}`)) {
      const reset = Number(s.value[1]) * 1000;
      expect(reset).toBeGreaterThan(syncStartMs);
      expect(reset).toBeLessThanOrEqual(syncEndMs + 5_000 + 1_000);
    }
    expect(await p.sum(`okta_ocsf_rate_limit_share${sel}`)).toBe(0.5);

    // Scraped DURING the sync: some scrape saw Okta calls made, but not yet all of them. (The
    // request counter moves call by call through the whole sync; the users-listed counter moves
    // once per 200-user page, and both pages can be listed between two 1 s scrapes.)
    const range = await fetch(
      `${p.url}/api/v1/query_range?query=${encodeURIComponent(
        `sum(okta_ocsf_okta_requests_total${sel})`,
      )}&start=${syncStartMs / 1000}&end=${syncEndMs / 1000}&step=0.5`,
    ).then((r) => r.json() as Promise<{ data: { result: { values: [number, string][] }[] } }>);
    const seen = (range.data.result[0]?.values ?? []).map(([, v]) => Number(v));
    expect(seen.some((v) => v > 0 && v < requests)).toBe(true);

    // The Temporal SDK's own metrics are on the same endpoint.
    const names = await p.seriesNames();
    expect(names).toEqual(expect.arrayContaining(['temporal_workflow_completed_total']));
    expect(names.some((n) => n.startsWith('temporal_activity_execution_latency'))).toBe(true);
  });

  promTest(
    'the example alerts load, name exported metrics, and the sync resolves "no successful sync"',
    async () => {
      const p = prom!;
      const rules = await fetch(`${p.url}/api/v1/rules`).then(
        (r) =>
          r.json() as Promise<{
            data: { groups: { rules: { name: string; query: string; health: string }[] }[] };
          }>,
      );
      const all = rules.data.groups.flatMap((g) => g.rules);
      expect(all.map((r) => r.name).sort()).toEqual([
        'OktaOcsfNoSuccessfulSync',
        'OktaOcsfRateLimited',
      ]);
      const names = new Set(await p.seriesNames());
      for (const r of all) {
        expect({ rule: r.name, health: r.health }).toEqual({ rule: r.name, health: 'ok' });
        for (const m of r.query.match(/\bokta_ocsf_[a-z0-9_]+/g) ?? []) {
          expect({ rule: r.name, metric: m, exported: names.has(m) }).toEqual({
            rule: r.name,
            metric: m,
            exported: true,
          });
        }
      }
      await eventually(
        async () =>
          (await p.query(`ALERTS{alertname="OktaOcsfNoSuccessfulSync",org="${org}"}`)).length === 0,
        20_000,
        'the no-successful-sync alert to resolve after the sync succeeded',
      );
    },
  );

  promTest('no label carries a user id, login, email, group id or the token', async () => {
    const res = await fetch(
      `${prom!.url}/api/v1/series?${new URLSearchParams({ 'match[]': '{__name__=~"okta_ocsf_.+"}' })}`,
    ).then((r) => r.json() as Promise<{ data: Record<string, string>[] }>);
    expect(res.data.length).toBeGreaterThan(10);
    const values = new Set(res.data.flatMap((s) => Object.values(s)));
    const personal = new Set<string>([TOKEN]);
    for (const u of sim!.tenant.listUsers({ includeDeprovisioned: true })) {
      personal.add(u.id);
      const profile = u.profile as Record<string, unknown>;
      for (const k of ['login', 'email'])
        if (typeof profile[k] === 'string') personal.add(profile[k]);
      for (const g of sim!.tenant.userGroups(u.id)) personal.add(g.id);
    }
    const leaks = [...values].filter(
      (v) => v.includes('@') || [...personal].some((x) => x.length > 3 && v.includes(x)),
    );
    expect(leaks).toEqual([]);
  });

  promTest(
    'every dashboard query parses in Prometheus and names metrics the worker exports',
    async () => {
      const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels?: Panel[] };
      const names = new Set(await prom!.seriesNames());
      const queries = panelsOf(dashboard).flatMap((panel) =>
        (panel.targets ?? []).map((t) => ({
          panel: panel.title ?? '(untitled)',
          expr: t.expr ?? '',
        })),
      );
      expect(queries.length).toBeGreaterThanOrEqual(10);
      const problems: string[] = [];
      for (const { panel, expr } of queries) {
        if (expr.trim() === '') {
          problems.push(`${panel}: empty query`);
          continue;
        }
        // Grafana's variables, as Grafana would substitute them.
        const promql = expr
          .replace(/\$__rate_interval|\$__interval/g, '1m')
          .replace(/\$__range/g, '1h')
          .replace(/\$\{?org\}?/g, org)
          .replace(/\$\{?mode\}?/g, 'full');
        if (promql.includes('$')) problems.push(`${panel}: unknown variable in ${expr}`);
        try {
          await prom!.query(promql);
        } catch (err) {
          problems.push(`${panel}: ${(err as Error).message}`);
        }
        const metrics = promql.match(/\b(?:okta_ocsf|temporal)_[a-zA-Z0-9_]+/g) ?? [];
        if (metrics.length === 0) problems.push(`${panel}: names no metric: ${expr}`);
        for (const m of metrics) if (!names.has(m)) problems.push(`${panel}: ${m} is not exported`);
      }
      expect(problems).toEqual([]);
    },
  );
});

describe('OKTA_OCSF_METRICS_ADDRESS that cannot be served', () => {
  test('a port already in use: the worker exits at once, naming the variable and the address', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const address = `127.0.0.1:${(busy.address() as net.AddressInfo).port}`;
    try {
      const t = await testEnv('https://acme.okta.com', TOKEN, {
        OKTA_OCSF_METRICS_ADDRESS: address,
      });
      const r = await runCli(['worker'], t.env, 60_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`OKTA_OCSF_METRICS_ADDRESS: cannot serve metrics on ${address}`);
      expect(r.stderr).toMatch(/address already in use/i);
      expect(r.stderr).not.toContain(TOKEN);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
