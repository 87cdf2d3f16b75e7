/**
 * The client against the Okta simulator over real HTTP: paging, enrichment listings, rate limits,
 * authentication failures and a hostile paging link, checked against the simulator's own tenant and
 * request counters.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { OktaClient, type OktaClientOptions } from '../../../src/okta/client';
import { OktaAuthError, OktaUnsafeLinkError } from '../../../src/okta/errors';
import { RateLimiter } from '../../../src/okta/rate-limiter';
import { OktaSimulator, type SimulatorOptions } from '../../../src/simulator';
import { startServer, type TestServer } from './helpers';

jest.setTimeout(30_000);

const TOKEN = 'sim-token';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function simulator(opts: SimulatorOptions): Promise<OktaSimulator> {
  const sim = await OktaSimulator.start({ token: TOKEN, seed: 7, ...opts });
  closers.push(() => sim.close());
  return sim;
}

function clientFor(url: string, opts: Partial<OktaClientOptions> = {}): OktaClient {
  return new OktaClient({
    orgUrl: url,
    token: TOKEN,
    limiter: new RateLimiter({ share: 1 }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, concurrencyBaseDelayMs: 5 },
    ...opts,
  });
}

async function allUserIds(c: OktaClient, filter?: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null = null;
  // Bounded: 10 000 users at 200 per page is 50 pages.
  for (let pages = 0; pages < 100; pages++) {
    const page = await c.listUsersPage(next === null ? { filter } : { nextUrl: next });
    ids.push(...page.users.map((u) => u.id));
    next = page.nextUrl;
    if (next === null) return ids;
  }
  throw new Error('paging did not end');
}

/** Matches every user, so that Okta (and the simulator) include DEPROVISIONED ones too. */
const EVERYONE = 'lastUpdated gt "1970-01-01T00:00:00.000Z"';

describe('OktaClient × simulator', () => {
  it.each([0, 1, 200, 201, 5000])(
    'pages a tenant of %i users: every user exactly once',
    async (users) => {
      const sim = await simulator({ users, groups: 10, rateLimits: { 'users-list': 100_000 } });
      const c = clientFor(sim.url);
      // Unfiltered (Okta leaves DEPROVISIONED users out) and filtered to everyone, so that the
      // page boundaries at exactly 200 and 201 users are met whatever the statuses drawn.
      for (const [filter, includeDeprovisioned] of [
        [undefined, false],
        [EVERYONE, true],
      ] as const) {
        const ids = await allUserIds(c, filter);
        const expected = sim.tenant.listUsers({ includeDeprovisioned }).map((u) => u.id);
        expect(ids).toHaveLength(expected.length);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...expected].sort());
      }
      expect(sim.tenant.listUsers({ includeDeprovisioned: true })).toHaveLength(users);
      // Pages of 200: never a request more than the pages needed (an empty tenant needs one).
      const pages = (n: number) => Math.max(1, Math.ceil(n / 200));
      expect(sim.stats().byEndpoint['GET /api/v1/users']).toBe(
        pages(sim.tenant.listUsers().length) + pages(users),
      );
    },
  );

  it('lists all 450 groups of a user in 450 groups', async () => {
    const sim = await simulator({ users: 20, groups: 500, heavyUserGroups: 450 });
    const heavy = sim.tenant.heavyUserId;
    expect(heavy).toBeDefined();
    const groups = await clientFor(sim.url).listUserGroups(heavy!);
    const expected = sim.tenant.userGroups(heavy!).map((g) => g.id);
    expect(expected).toHaveLength(450);
    expect(groups.map((g) => g.id)).toEqual(expected);
    expect(sim.stats().byEndpoint['GET /api/v1/users/{id}/groups']).toBe(3);
  });

  it('under a rate limit completes everything with no 429s beyond what a first window can cause', async () => {
    const sim = await simulator({
      users: 120,
      groups: 20,
      rateLimits: { 'api-v1': 25 },
      rateLimitWindowMs: 1000,
      latencyMs: 5,
    });
    const maxInFlight = 8;
    const c = clientFor(sim.url, { limiter: new RateLimiter({ share: 1, maxInFlight }) });
    const users = sim.tenant.listUsers().slice(0, 60);
    // Many concurrent callers on one shared limiter, as activities in one worker.
    const factors = await Promise.all(users.map((u) => c.listUserFactors(u.id)));
    factors.forEach((f, i) => {
      expect(f.map((x) => x.id)).toEqual(sim.tenant.userFactors(users[i]!.id).map((x) => x.id));
    });
    const stats = sim.stats();
    expect(stats.byBucket['api-v1']?.requests).toBe(60 + stats.rateLimited);
    // Before the first response the limits are unknown; a client that probes first meets none.
    expect(stats.rateLimited).toBeLessThanOrEqual(maxInFlight);
    expect(stats.concurrencyRejected).toBe(0);
    expect(stats.peakWindowUse['api-v1']).toBeLessThanOrEqual(25);
  });

  it('with share 0.5 never uses more than half of a bucket in any window', async () => {
    const sim = await simulator({
      users: 450,
      groups: 20,
      rateLimits: { 'api-v1': 30, 'users-list': 4 },
      rateLimitWindowMs: 1000,
      latencyMs: 2,
    });
    const c = clientFor(sim.url, { limiter: new RateLimiter({ share: 0.5, maxInFlight: 10 }) });
    const ids = await allUserIds(c);
    await Promise.all(ids.slice(0, 45).map((id) => c.listUserRoles(id)));
    const stats = sim.stats();
    expect(stats.peakWindowUse['api-v1']).toBeLessThanOrEqual(15);
    expect(stats.peakWindowUse['users-list']).toBeLessThanOrEqual(2);
    expect(stats.rateLimited).toBe(0);
    expect(c.metrics().byBucket['api-v1']?.requests).toBe(45);
  });

  it('over the org concurrency limit: lowers its in-flight cap instead of waiting out a window', async () => {
    const sim = await simulator({ users: 200, groups: 10, latencyMs: 10, concurrencyLimit: 3 });
    // No recovery during the test, so the final cap reflects what the limit taught it.
    const limiter = new RateLimiter({
      share: 0.5,
      maxInFlight: 10,
      concurrencyRecoveryMs: 600_000,
    });
    // A budget far below Okta's minute: waiting for a window reset would fail the calls.
    const c = clientFor(sim.url, { limiter, retry: { rateLimitWaitBudgetMs: 5000 } });
    const users = sim.tenant.listUsers().slice(0, 120);
    const roles = await Promise.all(users.map((u) => c.listUserRoles(u.id)));
    expect(roles).toHaveLength(120);
    const stats = sim.stats();
    expect(stats.rateLimited).toBe(0);
    // Only the first burst, before the cap came down, can meet the limit.
    expect(stats.concurrencyRejected).toBeGreaterThan(0);
    expect(stats.concurrencyRejected).toBeLessThanOrEqual(10);
    expect(limiter.snapshot().concurrencyCap).toBeLessThanOrEqual(3);
    expect(c.metrics().concurrencyLimited).toBe(stats.concurrencyRejected);
  });

  it('401: fails at once with a clear message and no retry', async () => {
    const sim = await simulator({ users: 5, groups: 5 });
    const c = new OktaClient({ orgUrl: sim.url, token: 'wrong-token' });
    const err = await c.listUsersPage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OktaAuthError);
    expect((err as Error).message).toMatch(
      /rejected the API token.*E0000011: Invalid token provided/,
    );
    expect((err as Error).message).not.toContain('wrong-token');
    expect(sim.stats().requests).toBe(1);
  });

  it('refuses a next link to another origin (a proxy rewriting Host); the token goes nowhere else', async () => {
    const sim = await simulator({ users: 450, groups: 5 });
    const decoy: TestServer = await startServer((_req, res) => res.end('[]'));
    closers.push(() => decoy.close());
    // A forwarding proxy that tells the simulator it was reached at the decoy's address, so the
    // simulator's paging links point there.
    const simUrl = new URL(sim.url);
    const proxy = http.createServer((req, res) => {
      const up = http.request(
        {
          host: simUrl.hostname,
          port: simUrl.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: decoy.origin.host },
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          proxy.closeAllConnections();
          proxy.close(() => r());
        }),
    );
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const err = await clientFor(proxyUrl)
      .listUsersPage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OktaUnsafeLinkError);
    expect((err as Error).message).toContain(decoy.origin.origin);
    expect(decoy.requests).toHaveLength(0);
    expect(sim.stats().requests).toBe(1);
  });

  it('survives injected faults (5xx, resets, truncated bodies): every user once', async () => {
    const sim = await simulator({
      users: 1000,
      groups: 10,
      rateLimits: { 'users-list': 100_000 },
      faults: { rate500: 0.1, rate503: 0.05, rateReset: 0.05, rateMalformed: 0.1 },
    });
    const c = clientFor(sim.url, { retry: { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 5 } });
    const ids = await allUserIds(c);
    const expected = sim.tenant.listUsers().map((u) => u.id);
    expect([...ids].sort()).toEqual([...expected].sort());
    const injected = Object.values(sim.stats().faultsInjected).reduce((a, b) => a + b, 0);
    expect(c.metrics().transientErrors).toBe(injected);
  });
});
