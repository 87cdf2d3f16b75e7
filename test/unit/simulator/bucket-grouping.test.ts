/**
 * Issue 11: the simulator counts requests either as Okta's published bucket table says (a user's
 * groups, factors and roles share `/api/v1`) or per endpoint template; and the client's limiter
 * keeps one state per template, so under either grouping it throttles by what each template's
 * own headers report (429s stay rare) and, when templates are counted apart, uses their budgets.
 */
import { OktaClient } from '../../../src/okta/client';
import { limiterKeyFor } from '../../../src/okta/limiter-keys';
import { RateLimiter } from '../../../src/okta/rate-limiter';
import { OktaSimulator } from '../../../src/simulator';
import { request } from './http';

jest.setTimeout(60_000);
const TOKEN = 'sim-token';
const auth = { authorization: `SSWS ${TOKEN}` };

test('limiter keys are endpoint templates', () => {
  expect(limiterKeyFor('GET', '/api/v1/users/00uabc/factors')).toBe(
    'GET /api/v1/users/{id}/factors',
  );
  expect(limiterKeyFor('get', '/api/v1/groups/00g1/users')).toBe('GET /api/v1/groups/{id}/users');
  expect(limiterKeyFor('GET', '/api/v1/users')).toBe('GET /api/v1/users');
  expect(limiterKeyFor('GET', '/api/v1/iam/assignees/users')).toBe(
    'GET /api/v1/iam/assignees/users',
  );
});

async function remainingAfter(sim: OktaSimulator, paths: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const p of paths) {
    const r = await request(`${sim.url}${p}`, { headers: auth });
    out.push(Number(r.headers['x-rate-limit-remaining']));
  }
  return out;
}

test.each([
  ['buckets', [9, 8, 7]],
  ['per-template', [9, 9, 8]],
] as const)('grouping %s: Remaining of a factors, a roles and a factors call', async (g, want) => {
  const sim = await OktaSimulator.start({
    token: TOKEN,
    users: 5,
    groups: 3,
    heavyUserGroups: 1,
    rateLimits: { 'api-v1': 10 },
    bucketGrouping: g,
  });
  try {
    const id = sim.tenant.listUsers()[0].id;
    const got = await remainingAfter(sim, [
      `/api/v1/users/${id}/factors`,
      `/api/v1/users/${id}/roles`,
      `/api/v1/users/${id}/factors`,
    ]);
    expect(got).toEqual(want);
    expect(sim.info().bucketGrouping).toBe(g);
  } finally {
    await sim.close();
  }
});

test.each(['buckets', 'per-template'] as const)(
  'grouping %s: factors and roles of 120 users in 1 s windows at share 0.5, under 1 %% 429s',
  async (g) => {
    const sim = await OktaSimulator.start({
      token: TOKEN,
      users: 120,
      groups: 5,
      heavyUserGroups: 2,
      rateLimits: { 'api-v1': 40 },
      rateLimitWindowMs: 1000,
      bucketGrouping: g,
    });
    try {
      const client = new OktaClient({
        orgUrl: sim.url,
        token: TOKEN,
        // The default share: half of each budget, the rest left to the customer's other tools.
        limiter: new RateLimiter({ share: 0.5, maxInFlight: 8 }),
      });
      const ids = sim.tenant.listUsers().map((u) => u.id);
      await Promise.all(
        ids.flatMap((id) => [client.listUserFactors(id), client.listUserRoles(id)]),
      );
      const m = client.metrics();
      expect(m.rateLimited / m.requests).toBeLessThan(0.01);
      if (g === 'per-template') {
        // Counted apart, the two templates together used more in one window than the share of
        // one shared bucket (20): neither was held back for the other's budget.
        const peak = sim.stats().peakWindowUse;
        const factors = peak['GET /api/v1/users/{id}/factors'] ?? 0;
        const roles = peak['GET /api/v1/users/{id}/roles'] ?? 0;
        expect(factors + roles).toBeGreaterThan(30);
      }
    } finally {
      await sim.close();
    }
  },
);
