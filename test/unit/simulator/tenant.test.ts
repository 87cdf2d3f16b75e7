/**
 * The generated tenant: deterministic from the seed, every Okta status, the awkward data real
 * tenants have, groups/roles/factors in Okta's shapes and consistent with each other, and the
 * heavy user — checked over real HTTP where the API is what matters.
 */
import {
  OktaSimulator,
  ROLE_LABELS,
  USER_STATUSES,
  type OktaGroupJson,
  type OktaRoleJson,
  type OktaUserJson,
} from '../../../src/simulator';
import { api, json, linkLines, pages } from './http';

const OKTA_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('a 1,000-user tenant (seed 1)', () => {
  let sim: OktaSimulator;
  let all: OktaUserJson[];
  beforeAll(async () => {
    sim = await OktaSimulator.start({ users: 1000, groups: 100 });
    all = sim.tenant.listUsers({ includeDeprovisioned: true });
  });
  afterAll(() => sim.close());

  test('has every Okta status, each found by `filter=status eq`', async () => {
    for (const status of USER_STATUSES) {
      const found = (
        await pages<OktaUserJson>(
          `${sim.url}/api/v1/users?filter=${encodeURIComponent(`status eq "${status}"`)}`,
        )
      ).flatMap((p) => p.items);
      expect({ status, some: found.length > 0 }).toEqual({ status, some: true });
      expect(found.every((u) => u.status === status)).toBe(true);
      expect(found.length).toBe(all.filter((u) => u.status === status).length);
    }
    // ACTIVE is by far the most common, as in a real org.
    const active = all.filter((u) => u.status === 'ACTIVE').length;
    expect(active).toBeGreaterThan(all.length / 2);
  });

  test('users are Okta-shaped: ids, timestamps, nullable fields by status', () => {
    const ids = new Set<string>();
    for (const u of all) {
      expect(u.id).toMatch(/^00u[0-9A-Za-z]{17}$/);
      ids.add(u.id);
      expect(u.created).toMatch(OKTA_TIME);
      expect(u.lastUpdated).toMatch(OKTA_TIME);
      for (const f of ['activated', 'statusChanged', 'lastLogin', 'passwordChanged'] as const) {
        if (u[f] !== null) expect(u[f]).toMatch(OKTA_TIME);
      }
      expect(u.type.id).toMatch(/^oty/);
      expect(typeof u.profile.login).toBe('string');
      expect(u._links).toEqual({ self: { href: `${sim.url}/api/v1/users/${u.id}` } });
      if (u.status === 'STAGED') expect([u.activated, u.lastLogin]).toEqual([null, null]);
    }
    expect(ids.size).toBe(all.length);
    const logins = new Set(all.map((u) => u.profile.login.toLowerCase()));
    expect(logins.size).toBe(all.length);
    // The nullable timestamps are null for some users and set for others.
    for (const f of ['activated', 'statusChanged', 'lastLogin', 'passwordChanged'] as const) {
      expect(all.some((u) => u[f] === null)).toBe(true);
      expect(all.some((u) => u[f] !== null)).toBe(true);
    }
    // The list is in id order: what keeps paging stable.
    const sorted = [...all].map((u) => u.id).sort();
    expect(all.map((u) => u.id)).toEqual(sorted);
  });

  test('contains the awkward data real tenants have', () => {
    const p = all.map((u) => u.profile);
    const nonAscii = (s: unknown): boolean => typeof s === 'string' && /[^ -~]/.test(s);
    const checks: Record<string, boolean> = {
      'null firstName': p.some((x) => x.firstName === null),
      'absent lastName': p.some((x) => !('lastName' in x)),
      'both names missing': p.some((x) => x.firstName == null && x.lastName == null),
      'empty names': p.some((x) => x.firstName === '' && x.lastName === ''),
      'absent email': p.some((x) => !('email' in x)),
      'null email': p.some((x) => 'email' in x && x.email === null),
      'empty email': p.some((x) => x.email === ''),
      "email without '@'": p.some(
        (x) => typeof x.email === 'string' && x.email !== '' && !x.email.includes('@'),
      ),
      "email with two '@'": p.some(
        (x) => typeof x.email === 'string' && x.email.split('@').length === 3,
      ),
      'José Müller': p.some((x) => x.firstName === 'José' && x.lastName === 'Müller'),
      李雷: p.some((x) => x.displayName === '雷 李' && x.lastName === '李'),
      'non-ASCII email': p.some((x) => x.email === 'zoë@exämple.com'),
      'non-ASCII names elsewhere':
        p.filter((x) => nonAscii(x.firstName) || nonAscii(x.lastName)).length > 5,
      'empty displayName': p.some((x) => x.displayName === ''),
      'absent displayName': p.some((x) => !('displayName' in x)),
      'custom attributes': p.every(
        (x) => typeof x.costCenter === 'string' && typeof x.isContractor === 'boolean',
      ),
    };
    expect(
      Object.entries(checks)
        .filter(([, ok]) => !ok)
        .map(([name]) => name),
    ).toEqual([]);
  });

  test('groups: one BUILT_IN Everyone with every user, OKTA_GROUP and APP_GROUP, nullable description', async () => {
    const seen = new Map<string, OktaGroupJson>();
    let everyone = 0;
    for (const u of all) {
      const groups = sim.tenant.userGroups(u.id);
      expect(groups.filter((g) => g.type === 'BUILT_IN').map((g) => g.profile.name)).toEqual([
        'Everyone',
      ]);
      everyone++;
      for (const g of groups) seen.set(g.id, g);
    }
    expect(everyone).toBe(all.length);
    const groups = [...seen.values()];
    expect(groups.filter((g) => g.type === 'BUILT_IN')).toHaveLength(1);
    expect(groups.some((g) => g.type === 'OKTA_GROUP')).toBe(true);
    expect(groups.some((g) => g.type === 'APP_GROUP')).toBe(true);
    expect(groups.some((g) => g.profile.description === null)).toBe(true);
    expect(groups.some((g) => typeof g.profile.description === 'string')).toBe(true);
    for (const g of groups) {
      expect(g.id).toMatch(/^00g[0-9A-Za-z]{17}$/);
      expect(g.lastMembershipUpdated).toMatch(OKTA_TIME);
      expect(g._links.users).toEqual({ href: `${sim.url}/api/v1/groups/${g.id}/users` });
    }
    // Over HTTP, a group reads the same as in the user's list.
    const g = groups.find((x) => x.type === 'APP_GROUP')!;
    expect(json(await api(`${sim.url}/api/v1/groups/${g.id}`))).toEqual(g);

    // Membership counts: most users in a few groups, some in dozens.
    const counts = all.map((u) => sim.tenant.userGroups(u.id).length).sort((a, b) => a - b);
    expect(counts[Math.floor(counts.length / 2)]).toBeLessThanOrEqual(6);
    expect(counts.filter((c) => c >= 24).length).toBeGreaterThan(1);
  });

  test('role assignments: ACTIVE and INACTIVE, Okta labels, CUSTOM roles; user roles include group roles', async () => {
    const groupRoles = new Map<string, OktaRoleJson[]>();
    const userRoles: OktaRoleJson[] = [];
    for (const u of all) {
      const direct: OktaRoleJson[] = [];
      const viaGroups: OktaRoleJson[] = [];
      for (const r of sim.tenant.userRoles(u.id))
        (r.assignmentType === 'USER' ? direct : viaGroups).push(r);
      userRoles.push(...direct);
      // A user's roles are its direct ones plus exactly those of its groups, in group order.
      const expected = sim.tenant.userGroups(u.id).flatMap((g) => {
        if (!groupRoles.has(g.id)) groupRoles.set(g.id, sim.tenant.groupRoles(g.id));
        return groupRoles.get(g.id)!;
      });
      expect(viaGroups.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      expect(viaGroups.every((r) => r.assignmentType === 'GROUP')).toBe(true);
      for (const r of direct)
        expect(r._links.assignee).toEqual({ href: `${sim.url}/api/v1/users/${u.id}` });
      for (const r of viaGroups)
        expect(r._links.assignee).toEqual({ href: expect.stringContaining('/api/v1/groups/00g') });
    }
    const roles = [...[...groupRoles.values()].flat(), ...userRoles];
    expect(new Set(roles.map((r) => r.status))).toEqual(new Set(['ACTIVE', 'INACTIVE']));
    expect(userRoles.length).toBeGreaterThan(0);
    for (const r of roles) {
      if (r.type === 'CUSTOM') {
        expect(r.id).toMatch(/^irb/);
        expect(r.role).toMatch(/^cr0/);
        expect(r['resource-set']).toMatch(/^iam/);
        expect(Object.values(ROLE_LABELS)).not.toContain(r.label);
      } else {
        expect(r.label).toBe(ROLE_LABELS[r.type]);
      }
    }
    expect(roles.some((r) => r.type === 'CUSTOM')).toBe(true);
    expect(roles.some((r) => r.label === 'Super Administrator')).toBe(true);
    expect(roles.some((r) => r.label === 'Help Desk Administrator')).toBe(true);

    // Over HTTP: the same lists, unpaginated (no next link).
    const admin = all.find((u) =>
      sim.tenant.userRoles(u.id).some((r) => r.assignmentType === 'GROUP'),
    )!;
    const res = await api(`${sim.url}/api/v1/users/${admin.id}/roles`);
    expect(json(res)).toEqual(sim.tenant.userRoles(admin.id));
    expect(linkLines(res)).toEqual([]);
    const [gid] = [...groupRoles].find(([, r]) => r.length > 0)!;
    expect(json(await api(`${sim.url}/api/v1/groups/${gid}/roles`))).toEqual(groupRoles.get(gid));
  });

  test('factors: many types and statuses, users with none', async () => {
    const factors = all.flatMap((u) => sim.tenant.userFactors(u.id));
    const types = new Set(factors.map((f) => f.factorType));
    const statuses = new Set(factors.map((f) => f.status));
    for (const t of ['push', 'sms', 'token:software:totp', 'webauthn', 'email'])
      expect(types).toContain(t);
    expect(types.size).toBeGreaterThanOrEqual(8);
    for (const s of ['ACTIVE', 'PENDING_ACTIVATION', 'NOT_SETUP']) expect(statuses).toContain(s);
    expect(all.some((u) => sim.tenant.userFactors(u.id).length === 0)).toBe(true);
    // Users whose factors exist but none is ACTIVE: "has MFA" must not be read from the count.
    expect(
      all.some((u) => {
        const f = sim.tenant.userFactors(u.id);
        return f.length > 0 && f.every((x) => x.status !== 'ACTIVE');
      }),
    ).toBe(true);
    for (const f of factors) {
      expect(f).toEqual(
        expect.objectContaining({
          provider: expect.any(String),
          vendorName: expect.any(String),
          profile: expect.any(Object),
        }),
      );
    }
    const u = all.find((x) => sim.tenant.userFactors(x.id).length > 1)!;
    expect(json(await api(`${sim.url}/api/v1/users/${u.id}/factors`))).toEqual(
      sim.tenant.userFactors(u.id),
    );
  });

  test('enriched() is the reduced form of what the API serves', () => {
    for (const u of all.slice(0, 50)) {
      const e = sim.tenant.enriched(u.id);
      expect(e.user.id).toBe(u.id);
      expect(e.user.lastUpdated).toBe(u.lastUpdated);
      expect(e.groups.map((g) => g.id)).toEqual(sim.tenant.userGroups(u.id).map((g) => g.id));
      expect(Object.keys(e.groupRoles).sort()).toEqual(e.groups.map((g) => g.id).sort());
      expect(e.roles.map((r) => r.id)).toEqual(sim.tenant.userRoles(u.id).map((r) => r.id));
      expect(e.factors.map((f) => f.status)).toEqual(
        sim.tenant.userFactors(u.id).map((f) => f.status),
      );
      expect(e.enrichmentErrors).toEqual([]);
      // Absent profile fields stay absent, nulls stay null.
      for (const k of ['email', 'firstName', 'lastName', 'displayName'] as const) {
        expect(k in (e.user.profile ?? {})).toBe(k in u.profile);
      }
    }
  });
});

describe('the heavy user', () => {
  test('has exactly heavyUserGroups groups over every page, with separate link lines', async () => {
    const sim = await OktaSimulator.start({
      users: 300,
      groups: 500,
      heavyUserGroups: 450,
      seed: 3,
    });
    try {
      const id = sim.tenant.heavyUserId!;
      expect(sim.tenant.user(id)!.status).not.toBe('DEPROVISIONED');
      const got = await pages<OktaGroupJson>(`${sim.url}/api/v1/users/${id}/groups`);
      expect(got.map((p) => p.items.length)).toEqual([200, 200, 50]);
      const ids = got.flatMap((p) => p.items.map((g) => g.id));
      expect(new Set(ids).size).toBe(450);
      expect(ids).toEqual(sim.tenant.userGroups(id).map((g) => g.id));
      expect(linkLines(got[0].res)).toHaveLength(2);
      expect(linkLines(got[2].res)).toHaveLength(1);
      // No other user is in more groups.
      const max = Math.max(
        ...sim.tenant
          .listUsers({ includeDeprovisioned: true })
          .map((u) => sim.tenant.userGroups(u.id).length),
      );
      expect(max).toBe(450);
    } finally {
      await sim.close();
    }
  });

  test('defaults to min(450, groups)', async () => {
    const sim = await OktaSimulator.start({ users: 50, groups: 30, seed: 9 });
    try {
      expect(sim.tenant.userGroups(sim.tenant.heavyUserId!)).toHaveLength(30);
    } finally {
      await sim.close();
    }
  });
});

describe('determinism', () => {
  const strip = (sim: OktaSimulator, value: unknown): string =>
    JSON.stringify(value).split(sim.url).join('<org>');

  test('the same seed gives the same tenant and the same pages; another seed does not', async () => {
    const a = await OktaSimulator.start({ users: 400, groups: 60, seed: 11 });
    const b = await OktaSimulator.start({ users: 400, groups: 60, seed: 11 });
    const c = await OktaSimulator.start({ users: 400, groups: 60, seed: 12 });
    try {
      const usersA = a.tenant.listUsers({ includeDeprovisioned: true });
      expect(strip(a, usersA)).toBe(strip(b, b.tenant.listUsers({ includeDeprovisioned: true })));
      for (const u of usersA.slice(0, 40)) {
        expect(strip(a, a.tenant.enriched(u.id))).toBe(strip(b, b.tenant.enriched(u.id)));
        expect(strip(a, a.tenant.userFactors(u.id))).toBe(strip(b, b.tenant.userFactors(u.id)));
      }
      const pa = await pages<OktaUserJson>(`${a.url}/api/v1/users?limit=150`);
      const pb = await pages<OktaUserJson>(`${b.url}/api/v1/users?limit=150`);
      expect(pa.map((p) => strip(a, p.items))).toEqual(pb.map((p) => strip(b, p.items)));
      expect(pa.map((p) => linkLines(p.res).join('\n').split(a.url).join(''))).toEqual(
        pb.map((p) => linkLines(p.res).join('\n').split(b.url).join('')),
      );
      // Mutations are seeded too.
      expect(a.tenant.mutate({ update: 5, deprovision: 2 })).toEqual(
        b.tenant.mutate({ update: 5, deprovision: 2 }),
      );

      const idsC = new Set(c.tenant.listUsers({ includeDeprovisioned: true }).map((u) => u.id));
      expect(usersA.filter((u) => idsC.has(u.id))).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('mutate', () => {
  test('keeps working on a tiny tenant, and the heavy user keeps its groups and its status', async () => {
    const sim = await OktaSimulator.start({ users: 30, groups: 2, seed: 2 });
    try {
      const heavy = sim.tenant.heavyUserId!;
      for (let round = 0; round < 6; round++) {
        const live = sim.tenant.listUsers().length;
        const m = sim.tenant.mutate({ update: 100 });
        expect(m.updated).toHaveLength(live);
        expect(m.changes.map((c) => c.id)).toEqual(m.updated);
      }
      const m = sim.tenant.mutate({ deprovision: 1000, create: 2 });
      expect(m.deprovisioned).not.toContain(heavy);
      expect(sim.tenant.user(heavy)!.status).toBe('ACTIVE');
      expect(sim.tenant.userGroups(heavy)).toHaveLength(2);
      expect(sim.tenant.listUsers().map((u) => u.id)).toEqual([heavy, ...m.created]);
      for (const id of m.created) {
        expect(sim.tenant.userGroups(id).map((g) => g.profile.name)).toContain('Everyone');
      }
      expect(() => sim.tenant.mutate({ update: -1 })).toThrow(/update must be an integer/);
    } finally {
      await sim.close();
    }
  });
});
