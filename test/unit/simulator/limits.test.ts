/**
 * Okta's rate limits (per-bucket windows, 429 E0000047 with honest headers), its concurrency
 * limit, 401 on a bad token, and injected faults at their configured rates.
 */
import { bucketFor } from '../../../src/okta/buckets';
import { OktaSimulator, type OktaErrorJson } from '../../../src/simulator';
import { api, json, manualClock, request, type RawResponse } from './http';

const RATE_LIMITED = 'API call exceeded rate limit due to too many requests.';

describe('rate limits', () => {
  test('a spent window answers 429 E0000047 with Okta’s body and headers until the window resets', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 12, 0, 10, 250));
    const sim = await OktaSimulator.start({
      users: 50,
      groups: 5,
      clock: clock.now,
      rateLimits: { 'users-list': 3 },
    });
    try {
      const reset = String(Date.UTC(2026, 0, 15, 12, 1, 0) / 1000);
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await api(`${sim.url}/api/v1/users?limit=5`);
        expect(r.status).toBe(200);
        expect([r.headers['x-rate-limit-limit'], r.headers['x-rate-limit-reset']]).toEqual([
          '3',
          reset,
        ]);
        remaining.push(String(r.headers['x-rate-limit-remaining']));
      }
      expect(remaining).toEqual(['2', '1', '0']);

      const limited = await api(`${sim.url}/api/v1/users?limit=5`);
      expect(limited.status).toBe(429);
      const body = json<OktaErrorJson>(limited);
      expect(Object.keys(body)).toEqual([
        'errorCode',
        'errorSummary',
        'errorLink',
        'errorId',
        'errorCauses',
      ]);
      expect(body).toEqual({
        errorCode: 'E0000047',
        errorSummary: RATE_LIMITED,
        errorLink: 'E0000047',
        errorId: expect.stringMatching(/^oae[0-9A-Za-z]{22}$/),
        errorCauses: [],
      });
      expect(limited.headers['x-rate-limit-limit']).toBe('3');
      expect(limited.headers['x-rate-limit-remaining']).toBe('0');
      expect(limited.headers['x-rate-limit-reset']).toBe(reset);
      expect(limited.headers['retry-after']).toBeUndefined();
      expect(limited.headers['content-type']).toBe('application/json');
      expect(limited.headers.date).toBe(new Date(clock.now()).toUTCString());

      // Other buckets have their own budget.
      const id = sim.tenant.listUsers()[0].id;
      const other = await api(`${sim.url}/api/v1/users/${id}/factors`);
      expect(other.status).toBe(200);
      expect(other.headers['x-rate-limit-limit']).toBe('600'); // Okta's published Enterprise catch-all;

      // At Reset the window is fresh again.
      clock.advance(Number(reset) * 1000 - clock.now());
      const again = await api(`${sim.url}/api/v1/users?limit=5`);
      expect([again.status, again.headers['x-rate-limit-remaining']]).toEqual([200, '2']);

      const stats = sim.stats();
      expect(stats.rateLimited).toBe(1);
      expect(stats.peakWindowUse['users-list']).toBe(3);
      expect(stats.byBucket['users-list']).toEqual({
        requests: 5,
        byStatus: { '200': 4, '429': 1 },
      });
    } finally {
      await sim.close();
    }
  });

  test('buckets are counted as the client counts them (bucketFor)', async () => {
    const sim = await OktaSimulator.start({
      users: 20,
      groups: 10,
      rateLimits: { groups: 2, 'api-v1': 1000 },
    });
    try {
      const u = sim.tenant.listUsers()[0];
      const g = sim.tenant.userGroups(u.id)[0];
      const paths = [
        '/api/v1/users',
        `/api/v1/users/${u.id}`,
        `/api/v1/users/${u.id}/groups`,
        `/api/v1/users/${u.id}/factors`,
        `/api/v1/users/${u.id}/roles`,
        `/api/v1/groups/${g.id}`,
        `/api/v1/groups/${g.id}/roles`,
        `/api/v1/groups/${g.id}/roles`,
        `/api/v1/groups/${g.id}/roles`,
      ];
      for (const p of paths) await api(`${sim.url}${p}`);
      const stats = sim.stats();
      const expected: Record<string, number> = {};
      for (const p of paths)
        expected[bucketFor('GET', p)] = (expected[bucketFor('GET', p)] ?? 0) + 1;
      expect(
        Object.fromEntries(Object.entries(stats.byBucket).map(([b, s]) => [b, s.requests])),
      ).toEqual(expected);
      // The third call on the groups bucket was over its budget of 2.
      expect(stats.byBucket.groups.byStatus).toEqual({ '200': 2, '429': 1 });
      expect(stats.byEndpoint['GET /api/v1/groups/{id}/roles']).toBe(3);
      expect(stats.byEndpoint['GET /api/v1/users/{id}/groups']).toBe(1);
    } finally {
      await sim.close();
    }
  });

  test('over the concurrency limit: 429 with X-Rate-Limit-Limit 0 and Remaining 0', async () => {
    const sim = await OktaSimulator.start({
      users: 20,
      groups: 5,
      concurrencyLimit: 2,
      latencyMs: 400,
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => api(`${sim.url}/api/v1/users`)),
      );
      const ok = results.filter((r) => r.status === 200);
      const rejected = results.filter((r) => r.status === 429);
      expect([ok.length, rejected.length]).toEqual([2, 4]);
      for (const r of rejected) {
        expect(r.headers['x-rate-limit-limit']).toBe('0');
        expect(r.headers['x-rate-limit-remaining']).toBe('0');
        expect(Number(r.headers['x-rate-limit-reset'])).toBeGreaterThan(0);
        expect(json<OktaErrorJson>(r)).toMatchObject({
          errorCode: 'E0000047',
          errorSummary: RATE_LIMITED,
        });
      }
      const stats = sim.stats();
      expect([stats.concurrencyRejected, stats.maxInFlight, stats.rateLimited]).toEqual([4, 2, 0]);
      // Rejected requests did not spend the window.
      expect(sim.stats().peakWindowUse['users-list']).toBe(2);
    } finally {
      await sim.close();
    }
  });
});

describe('authentication', () => {
  test('a missing, wrong or non-SSWS token is 401 E0000011; setToken swaps the accepted token', async () => {
    const sim = await OktaSimulator.start({ users: 10, groups: 3, token: 'right-token' });
    try {
      const url = `${sim.url}/api/v1/users`;
      const attempts: RawResponse[] = [
        await request(url),
        await api(url, 'wrong-token'),
        await request(url, { headers: { authorization: 'Bearer right-token' } }),
        await api(url, 'right-tokenX'),
      ];
      for (const r of attempts) {
        expect(r.status).toBe(401);
        expect(json(r)).toEqual({
          errorCode: 'E0000011',
          errorSummary: 'Invalid token provided',
          errorLink: 'E0000011',
          errorId: expect.stringMatching(/^oae/),
          errorCauses: [],
        });
        expect(r.headers['x-rate-limit-limit']).toBe('600');
        expect(r.headers.date).toBeDefined();
        expect(r.body).not.toContain('right-token');
      }
      expect((await api(url, 'right-token')).status).toBe(200);
      sim.setToken('rotated');
      expect((await api(url, 'right-token')).status).toBe(401);
      expect((await api(url, 'rotated')).status).toBe(200);
      expect(sim.stats().byStatus).toEqual({ '401': 5, '200': 2 });
    } finally {
      await sim.close();
    }
  });
});

describe('faults', () => {
  async function outcomes(sim: OktaSimulator, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      try {
        const r = await api(`${sim.url}/api/v1/users?limit=2`);
        if (r.status !== 200) out.push(String(r.status));
        else {
          try {
            JSON.parse(r.body);
            out.push('200');
          } catch {
            out.push('malformed');
          }
        }
      } catch {
        out.push('reset');
      }
    }
    return out;
  }

  test('occur at roughly the configured rates, the same sequence for the same seed', async () => {
    const faults = { rate500: 0.2, rate503: 0.1, rateReset: 0.1, rateMalformed: 0.1 };
    const a = await OktaSimulator.start({ users: 10, groups: 3, seed: 21, faults });
    const b = await OktaSimulator.start({ users: 10, groups: 3, seed: 21, faults });
    try {
      const n = 300;
      const got = await outcomes(a, n);
      const share = (k: string): number => got.filter((x) => x === k).length / n;
      expect(share('500')).toBeGreaterThan(0.12);
      expect(share('500')).toBeLessThan(0.28);
      for (const k of ['503', 'reset', 'malformed']) {
        expect({ k, low: share(k) > 0.04, high: share(k) < 0.17 }).toEqual({
          k,
          low: true,
          high: true,
        });
      }
      expect(share('200')).toBeGreaterThan(0.4);
      expect((await outcomes(b, n)).slice(0, 60)).toEqual(got.slice(0, 60));

      const stats = a.stats();
      expect(stats.faultsInjected['500']).toBe(got.filter((x) => x === '500').length);
      expect(stats.byStatus.reset).toBe(got.filter((x) => x === 'reset').length);
      expect(stats.byStatus['503']).toBe(got.filter((x) => x === '503').length);

      a.setFaults({});
      expect(new Set(await outcomes(a, 30))).toEqual(new Set(['200']));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  test('5xx bodies are Okta errors with rate-limit headers; slow responses are counted', async () => {
    const sim = await OktaSimulator.start({
      users: 10,
      groups: 3,
      faults: { rate500: 1, rateSlow: 1, slowMs: 5 },
    });
    try {
      const r = await api(`${sim.url}/api/v1/users`);
      expect(r.status).toBe(500);
      expect(json(r)).toMatchObject({
        errorCode: 'E0000009',
        errorSummary: 'Internal Server Error',
      });
      expect(r.headers['x-rate-limit-remaining']).toBeDefined();
      sim.setFaults({ rate503: 1 });
      const s = await api(`${sim.url}/api/v1/users`);
      expect([s.status, json<OktaErrorJson>(s).errorCode]).toEqual([503, 'E0000010']);
      expect(sim.stats().faultsInjected).toEqual({ '500': 1, '503': 1, slow: 1 });
    } finally {
      await sim.close();
    }
  });

  test('bad fault options are refused, naming the option', async () => {
    const sim = await OktaSimulator.start({ users: 1, groups: 1 });
    try {
      expect(() => sim.setFaults({ rate500: 2 })).toThrow(
        /rate500 must be a probability from 0 to 1/,
      );
      expect(() => sim.setFaults({ rate500: 0.6, rateReset: 0.6 })).toThrow(/must not exceed 1/);
      expect(() => sim.setFaults({ slowMs: -1 })).toThrow(/slowMs/);
    } finally {
      await sim.close();
    }
    await expect(OktaSimulator.start({ users: -1 })).rejects.toThrow(/^users must be an integer/);
    await expect(OktaSimulator.start({ groups: 10, heavyUserGroups: 11 })).rejects.toThrow(
      /heavyUserGroups/,
    );
    await expect(OktaSimulator.start({ rateLimits: { 'users-lst': 5 } as never })).rejects.toThrow(
      /users-lst is not a bucket/,
    );
    await expect(OktaSimulator.start({ token: 'has space' })).rejects.toThrow(/^token must be/);
  });
});

describe('failPaths: a fault that never clears', () => {
  test('every request to a listed path is a 503; other paths and users are unaffected', async () => {
    const sim = await OktaSimulator.start({ users: 20, groups: 3, seed: 5 });
    try {
      const [a, b] = sim.tenant.listUsers();
      sim.setFaults({ failPaths: [`/api/v1/users/${a.id}/factors`] });
      for (let i = 0; i < 5; i++) {
        const r = await api(`${sim.url}/api/v1/users/${a.id}/factors`);
        expect([r.status, json<OktaErrorJson>(r).errorCode]).toEqual([503, 'E0000010']);
      }
      // A query string does not escape the fault: it is matched on the path.
      expect((await api(`${sim.url}/api/v1/users/${a.id}/factors?x=1`)).status).toBe(503);
      expect((await api(`${sim.url}/api/v1/users/${a.id}/roles`)).status).toBe(200);
      expect((await api(`${sim.url}/api/v1/users/${b.id}/factors`)).status).toBe(200);
      expect(sim.stats().faultsInjected).toEqual({ '503': 6 });
      expect(sim.info().faults).toEqual({ failPaths: [`/api/v1/users/${a.id}/factors`] });

      sim.setFaults({});
      expect((await api(`${sim.url}/api/v1/users/${a.id}/factors`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  test('bad failPaths are refused, naming the entry', async () => {
    const sim = await OktaSimulator.start({ users: 1, groups: 1 });
    try {
      expect(() => sim.setFaults({ failPaths: 'x' as never })).toThrow(
        /failPaths must be an array/,
      );
      expect(() => sim.setFaults({ failPaths: ['/ok', 'api/v1/users'] })).toThrow(
        /failPaths\[1\] must be a request path starting with "\/"/,
      );
      expect(() => sim.setFaults({ failPaths: ['/api/v1/users?limit=1'] })).toThrow(
        /failPaths\[0\].*without a query/,
      );
    } finally {
      await sim.close();
    }
  });
});
