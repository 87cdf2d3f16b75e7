/**
 * The simulator's bulk read endpoints over real HTTP (okta-api-facts.md, "Bulk reads"), checked
 * against the tenant's own per-user data, and the client methods that read them.
 */
import { OktaClient } from '../../../src/okta/client';
import { OktaNotFoundError } from '../../../src/okta/errors';
import { RateLimiter } from '../../../src/okta/rate-limiter';
import { OktaSimulator } from '../../../src/simulator';
import { request } from './http';

jest.setTimeout(30_000);

const TOKEN = 'sim-token';
const auth = { authorization: `SSWS ${TOKEN}` };
let sim: OktaSimulator;
let client: OktaClient;

beforeAll(async () => {
  // 2,500 users: Everyone (every user) has more than 1,000 members; the heavy user is in 1,050
  // groups, so 1,050 groups have at least one member.
  sim = await OktaSimulator.start({
    token: TOKEN,
    seed: 11,
    users: 2500,
    groups: 1200,
    heavyUserGroups: 1050,
  });
  client = new OktaClient({
    orgUrl: sim.url,
    token: TOKEN,
    limiter: new RateLimiter({ share: 1 }),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
});
afterAll(async () => sim.close());

/** Group → member ids, computed from the per-user side (every page of /users/{id}/groups). */
function membershipFromUserSide(): Map<string, Set<string>> {
  const byGroup = new Map<string, Set<string>>();
  for (const u of sim.tenant.listUsers({ includeDeprovisioned: true })) {
    for (const g of sim.tenant.userGroups(u.id)) {
      let s = byGroup.get(g.id);
      if (!s) byGroup.set(g.id, (s = new Set()));
      s.add(u.id);
    }
  }
  return byGroup;
}

test('GET /api/v1/groups pages with next links and lists every group once', async () => {
  const first = await request(`${sim.url}/api/v1/groups?limit=500`, { headers: auth });
  expect(first.status).toBe(200);
  expect(first.headers['x-rate-limit-limit']).toBeDefined();
  expect(first.headers['x-rate-limit-remaining']).toBeDefined();
  expect(JSON.parse(first.body)).toHaveLength(500);
  const links = first.rawHeaders.filter(([k]) => k.toLowerCase() === 'link').map(([, v]) => v);
  expect(links.some((l) => l.endsWith('rel="next"'))).toBe(true);

  const groups = await client.listGroups();
  expect(groups.map((g) => g.id)).toEqual(
    sim.tenant.liveGroupIndices().map((g) => sim.tenant.groupJson(g).id),
  );
  expect(new Set(groups.map((g) => g.id)).size).toBe(1200);
});

test('GET /api/v1/groups/{id}/users: limit capped at 1000, Link paging, members equal the user side', async () => {
  const truth = membershipFromUserSide();
  const everyone = sim.tenant.groupJson(0).id;
  const raw = await request(`${sim.url}/api/v1/groups/${everyone}/users?limit=5000`, {
    headers: auth,
  });
  expect(raw.status).toBe(200);
  expect(JSON.parse(raw.body)).toHaveLength(1000);

  const members = await client.listGroupMembers(everyone);
  expect(members.length).toBeGreaterThan(1000);
  expect(new Set(members.map((u) => u.id))).toEqual(truth.get(everyone));

  // A sample of ordinary groups, and an empty one (no user is in it).
  const empty = sim.tenant.liveGroupIndices().find((g) => sim.tenant.membersOf(g).length === 0);
  expect(empty).toBeDefined();
  expect(await client.listGroupMembers(sim.tenant.groupJson(empty!).id)).toEqual([]);
  for (const g of [1, 2, 3, 50, 999]) {
    const id = sim.tenant.groupJson(g).id;
    const got = await client.listGroupMembers(id);
    expect(new Set(got.map((u) => u.id))).toEqual(truth.get(id) ?? new Set());
  }
});

test('an unknown or deleted group answers 404 E0000007', async () => {
  const res = await request(`${sim.url}/api/v1/groups/00gnosuchgroup0000000/users`, {
    headers: auth,
  });
  expect(res.status).toBe(404);
  expect(JSON.parse(res.body)).toMatchObject({ errorCode: 'E0000007' });
  expect(res.headers['x-rate-limit-remaining']).toBeDefined();
});

test('GET /api/v1/iam/assignees/users pages through _links.next in the body', async () => {
  const res = await request(`${sim.url}/api/v1/iam/assignees/users?limit=5`, { headers: auth });
  expect(res.status).toBe(200);
  const body = JSON.parse(res.body) as {
    value: Array<{ id: string; orn: string; _links: Record<string, { href: string }> }>;
    _links: { next?: { href: string } };
  };
  expect(body.value).toHaveLength(5);
  expect(body.value[0].orn).toMatch(/^orn:okta:directory:00o/);
  expect(body.value[0]._links.roles.href).toContain(`/api/v1/users/${body.value[0].id}/roles`);
  expect(body._links.next?.href).toContain('after=');
  expect(res.rawHeaders.some(([k]) => k.toLowerCase() === 'link')).toBe(false);

  // Expected: every user with a role assignment of its own (assignmentType USER).
  const expected = sim.tenant
    .listUsers({ includeDeprovisioned: true })
    .filter((u) => sim.tenant.userRoles(u.id).some((r) => r.assignmentType === 'USER'))
    .map((u) => u.id);
  expect(expected.length).toBeGreaterThan(5);
  expect(await client.listRoleAssignees()).toEqual(expected);
});

test('a group deleted after listing: 404 to the client, gone from the user side too', async () => {
  const local = await OktaSimulator.start({ token: TOKEN, seed: 3, users: 50, groups: 20 });
  try {
    const c = new OktaClient({ orgUrl: local.url, token: TOKEN });
    const victim = local.tenant.groupJson(5).id;
    local.bulk.onGroupsListed = () => local.tenant.deleteGroup(victim);
    const groups = await c.listGroups();
    expect(groups.map((g) => g.id)).toContain(victim);
    await expect(c.listGroupMembers(victim)).rejects.toBeInstanceOf(OktaNotFoundError);
    for (const u of local.tenant.listUsers())
      expect(local.tenant.userGroups(u.id).map((g) => g.id)).not.toContain(victim);
    expect((await c.listGroups()).map((g) => g.id)).not.toContain(victim);
  } finally {
    await local.close();
  }
});
