/**
 * Issues 5 and 8: a full sync of a seeded tenant that meets Okta's failures — tight rate limits,
 * 5xx, reset connections, answers slower than the request timeout, concurrency 429s, a malformed
 * body, a bucket spent by another integration for more than a minute — delivers exactly what a
 * fault-free sync of the same tenant delivers: the same uids, one event each, each equal to the
 * mapping of the simulator's data, and no fallback. Only an enrichment that keeps failing past
 * the retry policy falls back, and then its events and the summary say so.
 *
 * Every case also checks, from the simulator's counters, that the faults it is about did happen.
 */
import { DEFAULT_RETRY_POLICY } from '../../src/okta/client';
import { OktaSimulator } from '../../src/simulator';
import {
  expectTenantOutput,
  expectedUserIds,
  runFullSync,
  tenantEvent,
} from '../support/tenant-output';
import {
  inProcessWorker,
  readEvents,
  sleep,
  temporalClient,
  testEnv,
} from '../support/sync-harness';

jest.setTimeout(180_000);

const TOKEN = 'faults-it-token';
const UNLIMITED = 1_000_000;

describe('a full sync under Okta faults delivers what a fault-free sync delivers', () => {
  const sims: OktaSimulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });
  async function simulator(opts: Parameters<typeof OktaSimulator.start>[0]) {
    const sim = await OktaSimulator.start({ token: TOKEN, ...opts });
    sims.push(sim);
    return sim;
  }

  test('issue 5: tight per-bucket limits in 2 s windows, 5 % 5xx and 2 % connection resets', async () => {
    // Budgets a few times smaller than the sync needs: it must pace itself over many windows.
    const limits = { 'users-list': 1, 'api-v1': 300, groups: 20, 'user-by-id': 50 };
    const sim = await simulator({
      users: 400,
      groups: 40,
      seed: 501,
      rateLimitWindowMs: 2_000,
      rateLimits: limits,
      faults: { rate500: 0.025, rate503: 0.025, rateReset: 0.02 },
    });
    const t = await testEnv(sim.url, TOKEN);
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const { summary } = await runFullSync(client, t.config);
      expect(summary).toMatchObject({ status: 'completed', error: null, fallbacks: 0 });
      const { events } = await readEvents(t.outDir);
      expectTenantOutput(events, sim);
      expect(summary.events).toBe(events.length);

      const stats = sim.stats();
      for (const kind of ['500', '503', 'reset']) {
        expect({ kind, injected: (stats.faultsInjected[kind] ?? 0) > 0 }).toEqual({
          kind,
          injected: true,
        });
      }
      // The limits bound: each bucket needed more than one window's budget.
      for (const bucket of ['users-list', 'api-v1', 'groups'] as const) {
        expect({ bucket, more: stats.byBucket[bucket].requests > limits[bucket] }).toEqual({
          bucket,
          more: true,
        });
        expect(stats.peakWindowUse[bucket]).toBeLessThanOrEqual(limits[bucket]);
      }
    } finally {
      await close();
      await w.stop();
    }
  });

  test('issue 8: 5xx, resets, answers slower than the timeout, concurrency 429s, malformed bodies, and a bucket spent for over a minute', async () => {
    const windowMs = 75_000;
    // The simulated Okta's clock, shifted below so that a 75 s window starts just before the sync.
    let skewMs = 0;
    const oktaNow = (): number => Date.now() + skewMs;
    const otherIntegrationBudget = 20;
    const sim = await simulator({
      users: 300,
      groups: 30,
      seed: 802,
      clock: oktaNow,
      rateLimitWindowMs: windowMs,
      rateLimits: {
        'users-list': UNLIMITED,
        'user-by-id': UNLIMITED,
        groups: UNLIMITED,
        'group-by-id': UNLIMITED,
        'api-v1': otherIntegrationBudget,
      },
      // Below the worker's OKTA_MAX_CONCURRENCY (10): Okta's concurrency 429s.
      concurrencyLimit: 4,
      faults: {
        rate500: 0.025,
        rate503: 0.025,
        rateReset: 0.02,
        rateMalformed: 0.01,
        // Far beyond OKTA_REQUEST_TIMEOUT_MS: the client gives up on these and retries.
        rateSlow: 0.02,
        slowMs: 1_500,
      },
    });
    const t = await testEnv(sim.url, TOKEN, {
      OKTA_REQUEST_TIMEOUT_MS: '500',
      OKTA_MAX_CONCURRENCY: '10',
    });
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    let restore: NodeJS.Timeout | undefined;
    try {
      // Okta's clock is not ours anyway (the client corrects by `Date`): move it so that a window
      // begins 300 ms from now, then let another integration spend the whole api-v1 bucket — the
      // bucket of users' groups, factors and roles — at the start of that window.
      skewMs += windowMs - (oktaNow() % windowMs) - 300;
      const windowStart = Math.ceil(oktaNow() / windowMs) * windowMs;
      await sleep(windowStart - oktaNow() + 50);
      const someone = expectedUserIds(sim)[0];
      for (let i = 0; i < otherIntegrationBudget; i++) {
        const r = await fetchStatus(`${sim.url}/api/v1/users/${someone}/roles`);
        // An injected fault still counts against the bucket, as at Okta.
        expect([200, 500, 503, 'reset']).toContain(r);
      }
      const spent = await fetch(`${sim.url}/api/v1/users/${someone}/roles`, {
        headers: { Authorization: `SSWS ${TOKEN}` },
      });
      expect(spent.status).toBe(429);
      expect(Number(spent.headers.get('x-rate-limit-reset')) * 1000).toBe(windowStart + windowMs);
      await spent.arrayBuffer();
      // The next window is a generous one, so the test does not wait for a second reset.
      restore = setTimeout(
        () => sim.setRateLimits({ 'api-v1': UNLIMITED }),
        windowStart + windowMs - oktaNow(),
      );
      sim.resetStats();

      const { summary } = await runFullSync(client, t.config);
      // Waited out the spent bucket (more than a minute) instead of falling back.
      expect(summary).toMatchObject({ status: 'completed', error: null, fallbacks: 0 });
      expect(oktaNow()).toBeGreaterThan(windowStart + windowMs);
      const { events } = await readEvents(t.outDir);
      expectTenantOutput(events, sim);

      const stats = sim.stats();
      expect(stats.byBucket['api-v1'].byStatus['429']).toBeGreaterThan(0);
      expect(summary.rateLimited).toBeGreaterThan(0);
      expect(stats.concurrencyRejected).toBeGreaterThan(0);
      for (const kind of ['500', '503', 'reset', 'malformed', 'slow']) {
        expect({ kind, injected: (stats.faultsInjected[kind] ?? 0) > 0 }).toEqual({
          kind,
          injected: true,
        });
      }
    } finally {
      clearTimeout(restore);
      await close();
      await w.stop();
    }
  });

  test('an enrichment failing past the retry policy falls back, and the events and summary say so', async () => {
    const sim = await simulator({
      users: 300,
      groups: 30,
      seed: 803,
      rateLimits: { 'users-list': UNLIMITED, 'api-v1': UNLIMITED, groups: UNLIMITED },
    });
    // Users with an active MFA factor, on both pages: a fallback visibly changes their events.
    const ids = expectedUserIds(sim);
    const withMfa = ids.filter((id) => tenantEvent(sim, id, Date.now()).user.has_mfa);
    const failing = [withMfa[0], withMfa[1], withMfa[withMfa.length - 1]];
    expect(ids.indexOf(failing[2])).toBeGreaterThanOrEqual(200);
    // Every factors call of these users answers 503, however often it is retried.
    sim.setFaults({ failPaths: failing.map((id) => `/api/v1/users/${id}/factors`) });

    const t = await testEnv(sim.url, TOKEN);
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    const enrichRetry = { maximumAttempts: 3, initialIntervalMs: 500, maximumIntervalMs: 1_000 };
    try {
      const { summary, result } = await runFullSync(client, t.config, { enrichRetry });
      expect(summary).toMatchObject({ status: 'completed', error: null });
      expect(summary.fallbacks).toBe(failing.length);
      expect(result?.totals.fallbacksByKind).toEqual({
        groups: 0,
        group_roles: 0,
        factors: failing.length,
        user_roles: 0,
      });

      const { events } = await readEvents(t.outDir);
      const fellBack = Object.fromEntries(failing.map((id) => [id, ['factors' as const]]));
      expectTenantOutput(events, sim, fellBack);
      for (const id of failing) {
        const e = events.find((x) => x.user.uid === id);
        expect(e?.unmapped.okta.enrichment_errors).toEqual(['factors']);
        expect(e?.user.has_mfa).toBe(false);
      }
      expect(events.filter((e) => e.unmapped.okta.enrichment_errors !== undefined)).toHaveLength(
        failing.length,
      );

      // The fallback came only after the whole policy: every attempt of the activity, each
      // with the client's own attempts per request.
      expect(sim.stats().faultsInjected).toEqual({
        '503': failing.length * enrichRetry.maximumAttempts * DEFAULT_RETRY_POLICY.maxAttempts,
      });
    } finally {
      await close();
      await w.stop();
    }
  });
});

/** One request as another integration of the customer would send it: its status, or 'reset'. */
async function fetchStatus(url: string): Promise<number | 'reset'> {
  try {
    const r = await fetch(url, { headers: { Authorization: `SSWS ${TOKEN}` } });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 'reset';
  }
}
