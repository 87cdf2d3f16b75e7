/**
 * Issue 11: the simulator counts requests as Okta's published bucket table says (a user's
 * groups, factors and roles share `/api/v1`), per endpoint template, or as Okta's Terraform
 * provider reads it (everything under `/api/v1/users` is one users bucket); and the client's
 * limiter keeps one state per template, so under every grouping it throttles by what each
 * template's own headers report (429s stay rare) and, when templates are counted apart, uses
 * their budgets.
 */
import { OktaClient } from '../../../src/okta/client';
import { limiterKeyFor } from '../../../src/okta/limiter-keys';
import { RateLimiter } from '../../../src/okta/rate-limiter';
import { OktaSimulator } from '../../../src/simulator';
import { bucketGroupingOf } from '../../../src/simulator/options';
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

test('a grouping other than the three is refused, naming the option and the allowed values', async () => {
  const allowed = '"buckets", "per-template", "users-family"';
  expect(() => bucketGroupingOf('users')).toThrow(
    `bucketGrouping must be one of ${allowed} (got "users")`,
  );
  await expect(OktaSimulator.start({ bucketGrouping: 'per-bucket' as 'buckets' })).rejects.toThrow(
    `bucketGrouping must be one of ${allowed} (got "per-bucket")`,
  );
});

/** Limit / Remaining / Reset of each request, in order. */
async function headersAfter(sim: OktaSimulator, paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const r = await request(`${sim.url}${p}`, { headers: auth });
    expect(r.status).toBe(200);
    const h = r.headers;
    out.push(
      `${p.replace(/00u\w+/, '{id}')} ${String(h['x-rate-limit-limit'])}/${String(h['x-rate-limit-remaining'])}/${String(h['x-rate-limit-reset'])}`,
    );
  }
  return out;
}

// A fixed clock: every request falls in one window (60 s, the default), whose end is 1,800,000,060 s.
const NOW = 1_800_000_000_000;
const RESET = '1800000060';

test.each([
  [
    // Okta's published table: the listing has its own bucket (10), a user's factors and roles
    // the catch-all (50), the groups listing its own (20).
    'buckets',
    ['9', '50/49', '8', '50/48', '20/19', '7'],
  ],
  [
    // Okta's Terraform provider's reading: the listing, factors and roles are one users bucket
    // with the listing's limit (10); the groups listing is not in it.
    'users-family',
    ['9', '10/8', '7', '10/6', '20/19', '5'],
  ],
] as const)(
  "grouping %s: what a user's factors and roles leave of the user listing's budget",
  async (g, want) => {
    const sim = await OktaSimulator.start({
      token: TOKEN,
      users: 5,
      groups: 3,
      heavyUserGroups: 1,
      rateLimits: { 'users-list': 10, 'api-v1': 50, groups: 20 },
      bucketGrouping: g,
      clock: () => NOW,
    });
    try {
      const id = sim.tenant.listUsers()[0].id;
      const got = await headersAfter(sim, [
        '/api/v1/users',
        `/api/v1/users/${id}/factors`,
        '/api/v1/users',
        `/api/v1/users/${id}/roles`,
        '/api/v1/groups',
        '/api/v1/users',
      ]);
      const [l1, factors, l2, roles, groups, l3] = want;
      expect(got).toEqual([
        `/api/v1/users 10/${l1}/${RESET}`,
        `/api/v1/users/{id}/factors ${factors}/${RESET}`,
        `/api/v1/users 10/${l2}/${RESET}`,
        `/api/v1/users/{id}/roles ${roles}/${RESET}`,
        `/api/v1/groups ${groups}/${RESET}`,
        `/api/v1/users 10/${l3}/${RESET}`,
      ]);
      expect(sim.info().bucketGrouping).toBe(g);
    } finally {
      await sim.close();
    }
  },
);

test('grouping users-family: the shared users bucket answers 429 to the listing once factors spent it', async () => {
  const sim = await OktaSimulator.start({
    token: TOKEN,
    users: 5,
    groups: 3,
    heavyUserGroups: 1,
    rateLimits: { 'users-list': 3, 'api-v1': 50 },
    bucketGrouping: 'users-family',
    clock: () => NOW,
  });
  try {
    const id = sim.tenant.listUsers()[0].id;
    for (let i = 0; i < 3; i++) {
      expect(
        (await request(`${sim.url}/api/v1/users/${id}/factors`, { headers: auth })).status,
      ).toBe(200);
    }
    const listing = await request(`${sim.url}/api/v1/users`, { headers: auth });
    expect(listing.status).toBe(429);
    expect(JSON.parse(listing.body)).toMatchObject({ errorCode: 'E0000047' });
    expect(listing.headers['x-rate-limit-remaining']).toBe('0');
    // Counted in the users bucket's window, reported per published bucket and template.
    expect(sim.stats().peakWindowUse).toEqual({ users: 3 });
    expect(sim.stats().byEndpoint).toEqual({
      'GET /api/v1/users/{id}/factors': 3,
      'GET /api/v1/users': 1,
    });
  } finally {
    await sim.close();
  }
});

test.each(['buckets', 'per-template', 'users-family'] as const)(
  'grouping %s: factors and roles of 120 users in 1 s windows at share 0.5, under 1 %% 429s',
  async (g) => {
    const sim = await OktaSimulator.start({
      token: TOKEN,
      users: 120,
      groups: 5,
      heavyUserGroups: 2,
      // Under users-family the two templates share the users bucket, with the listing's limit.
      rateLimits: { 'api-v1': 40, 'users-list': 40 },
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
