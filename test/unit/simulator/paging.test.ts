/**
 * `GET /api/v1/users` as Okta serves it: 200-item pages, `link` headers as separate lines, opaque
 * cursors, DEPROVISIONED omitted unless filtered, Okta's filter language and its errors, and a
 * stable order while the tenant changes under a running listing.
 */
import { OktaSimulator, type OktaErrorJson, type OktaUserJson } from '../../../src/simulator';
import { api, json, linkLines, manualClock, nextLink, pages, request } from './http';

const q = (expr: string): string => encodeURIComponent(expr);

describe('GET /api/v1/users', () => {
  let sim: OktaSimulator;
  const clock = manualClock();
  beforeAll(async () => {
    sim = await OktaSimulator.start({ users: 700, groups: 40, seed: 5, clock: clock.now });
  });
  afterAll(() => sim.close());

  test('pages of 200 with separate self/next link lines, none on the last page; every visible user once', async () => {
    const got = await pages<OktaUserJson>(`${sim.url}/api/v1/users`);
    const visible = sim.tenant.listUsers();
    expect(got.map((p) => p.items.length)).toEqual([200, 200, 200, visible.length - 600]);
    expect(got.flatMap((p) => p.items)).toEqual(visible);

    const first = linkLines(got[0].res);
    expect(first).toHaveLength(2);
    expect(first[0]).toBe(`<${sim.url}/api/v1/users>; rel="self"`);
    expect(first[1]).toMatch(
      new RegExp(`^<${sim.url}/api/v1/users\\?after=[A-Za-z0-9_-]+&limit=200>; rel="next"$`),
    );
    // The second page's self link is the URL that was requested.
    expect(linkLines(got[1].res)[0]).toBe(`<${nextLink(got[0].res)}>; rel="self"`);
    const last = got[got.length - 1].res;
    expect(linkLines(last)).toEqual([expect.stringMatching(/; rel="self"$/)]);
    expect(nextLink(last)).toBeUndefined();
  });

  test('cursors are opaque: no user id inside, and a forged or foreign cursor is a 400', async () => {
    const res = await api(`${sim.url}/api/v1/users?limit=3`);
    const items = json<OktaUserJson[]>(res);
    const after = new URL(nextLink(res)!).searchParams.get('after')!;
    const decoded = Buffer.from(after, 'base64url').toString('latin1');
    for (const u of items) {
      expect(after).not.toContain(u.id);
      expect(decoded).not.toContain(u.id);
      expect(after).not.toContain(u.id.slice(3, 9));
    }
    // A cursor one character off, the next user's id, and another listing's cursor are all refused.
    const flipped = after.slice(0, -1) + (after.endsWith('A') ? 'B' : 'A');
    const groupsRes = await api(`${sim.url}/api/v1/users/${sim.tenant.heavyUserId}/groups?limit=1`);
    const foreign = new URL(nextLink(groupsRes)!).searchParams.get('after')!;
    for (const bad of [flipped, items[2].id, foreign, 'x']) {
      const r = await api(`${sim.url}/api/v1/users?after=${encodeURIComponent(bad)}`);
      expect(r.status).toBe(400);
      expect(json<OktaErrorJson>(r)).toEqual({
        errorCode: 'E0000001',
        errorSummary: 'Api validation failed: after',
        errorLink: 'E0000001',
        errorId: expect.stringMatching(/^oae[0-9A-Za-z]{22}$/),
        errorCauses: [{ errorSummary: expect.stringContaining('after') }],
      });
    }
  });

  test('limit: smaller pages on request; above 200 clamped to 200; invalid is a 400', async () => {
    const small = await pages<OktaUserJson>(`${sim.url}/api/v1/users?limit=150`);
    expect(small[0].items).toHaveLength(150);
    expect(nextLink(small[0].res)).toContain('limit=150');
    expect(small.flatMap((p) => p.items)).toEqual(sim.tenant.listUsers());

    const big = await api(`${sim.url}/api/v1/users?limit=1000`);
    expect(json<unknown[]>(big)).toHaveLength(200);
    expect(nextLink(big)).toContain('limit=200');

    for (const bad of ['0', '-1', 'ten']) {
      const r = await api(`${sim.url}/api/v1/users?limit=${bad}`);
      expect({ bad, status: r.status, code: json<OktaErrorJson>(r).errorCode }).toEqual({
        bad,
        status: 400,
        code: 'E0000001',
      });
    }
  });

  test('DEPROVISIONED users are omitted without filter/search and included with one', async () => {
    const everyone = sim.tenant.listUsers({ includeDeprovisioned: true });
    const deprovisioned = everyone.filter((u) => u.status === 'DEPROVISIONED');
    expect(deprovisioned.length).toBeGreaterThan(0);

    const plain = (await pages<OktaUserJson>(`${sim.url}/api/v1/users`)).flatMap((p) => p.items);
    expect(plain.some((u) => u.status === 'DEPROVISIONED')).toBe(false);
    expect(plain).toHaveLength(everyone.length - deprovisioned.length);

    const since = (
      await pages<OktaUserJson>(
        `${sim.url}/api/v1/users?filter=${q('lastUpdated gt "2000-01-01T00:00:00.000Z"')}`,
      )
    ).flatMap((p) => p.items);
    expect(since).toEqual(everyone);
    const searched = (
      await pages<OktaUserJson>(`${sim.url}/api/v1/users?search=${q('status eq "DEPROVISIONED"')}`)
    ).flatMap((p) => p.items);
    expect(searched.map((u) => u.id)).toEqual(deprovisioned.map((u) => u.id));
  });

  test('filter: id, profile.login (any case), lastUpdated ranges, and/or with parentheses', async () => {
    const everyone = sim.tenant.listUsers({ includeDeprovisioned: true });
    const u = everyone[123];
    const get = async (expr: string, key = 'filter'): Promise<string[]> =>
      (await pages<OktaUserJson>(`${sim.url}/api/v1/users?${key}=${q(expr)}`)).flatMap((p) =>
        p.items.map((x) => x.id),
      );

    expect(await get(`id eq "${u.id}"`)).toEqual([u.id]);
    expect(await get(`profile.login eq "${u.profile.login.toUpperCase()}"`)).toEqual([u.id]);

    const times = everyone.map((x) => x.lastUpdated).sort();
    const mid = times[Math.floor(times.length / 2)];
    const expectIds = (pred: (x: OktaUserJson) => boolean): string[] =>
      everyone.filter(pred).map((x) => x.id);
    expect(await get(`lastUpdated gt "${mid}"`)).toEqual(expectIds((x) => x.lastUpdated > mid));
    expect(await get(`lastUpdated ge "${mid}"`)).toEqual(expectIds((x) => x.lastUpdated >= mid));
    expect(await get(`lastUpdated lt "${mid}"`)).toEqual(expectIds((x) => x.lastUpdated < mid));
    expect(await get(`lastUpdated le "${mid}"`)).toEqual(expectIds((x) => x.lastUpdated <= mid));
    expect(await get(`status eq "SUSPENDED" or status eq "LOCKED_OUT"`)).toEqual(
      expectIds((x) => x.status === 'SUSPENDED' || x.status === 'LOCKED_OUT'),
    );
    // `and` binds tighter than `or`; parentheses change that.
    expect(
      await get(`status eq "STAGED" or status eq "ACTIVE" and lastUpdated gt "${mid}"`),
    ).toEqual(
      expectIds((x) => x.status === 'STAGED' || (x.status === 'ACTIVE' && x.lastUpdated > mid)),
    );
    expect(
      await get(`(status eq "STAGED" or status eq "ACTIVE") and lastUpdated gt "${mid}"`),
    ).toEqual(
      expectIds((x) => (x.status === 'STAGED' || x.status === 'ACTIVE') && x.lastUpdated > mid),
    );
    // search reaches any profile attribute.
    const dept = everyone[7].profile.department as string;
    expect(await get(`profile.department eq "${dept}"`, 'search')).toEqual(
      expectIds((x) => x.profile.department === dept),
    );
  });

  test('a malformed filter is 400 E0000031 with Okta’s error body; a bad date is 400 E0000030', async () => {
    for (const expr of [
      'lastUpdated gt',
      'status eq ACTIVE',
      'status = "ACTIVE"',
      '(status eq "ACTIVE"',
      'profile.department eq "IT"',
      'lastUpdated eq "2020-01-01T00:00:00.000Z"',
      'status eq "A" and',
    ]) {
      const r = await api(`${sim.url}/api/v1/users?filter=${q(expr)}`);
      const body = json<OktaErrorJson>(r);
      expect({ expr, status: r.status, code: body.errorCode, summary: body.errorSummary }).toEqual({
        expr,
        status: 400,
        code: 'E0000031',
        summary: 'Invalid search criteria.',
      });
      expect(Object.keys(body)).toEqual([
        'errorCode',
        'errorSummary',
        'errorLink',
        'errorId',
        'errorCauses',
      ]);
      expect(r.headers['x-rate-limit-remaining']).toBeDefined();
    }
    const r = await api(`${sim.url}/api/v1/users?filter=${q('lastUpdated gt "yesterday"')}`);
    expect(r.status).toBe(400);
    expect(json<OktaErrorJson>(r).errorCode).toBe('E0000030');
  });

  test('lastUpdated gt <before mutate> returns the renamed, created and deprovisioned users; each change is visible', async () => {
    const before = new Date(clock.now()).toISOString();
    const views = new Map(sim.tenant.listUsers().map((u) => [u.id, inventoryView(sim, u.id)]));
    clock.advance(5_000);
    const m = sim.tenant.mutate({ update: 12, create: 4, deprovision: 3 });
    expect([m.updated.length, m.created.length, m.deprovisioned.length]).toEqual([12, 4, 3]);
    const filtered = (
      await pages<OktaUserJson>(`${sim.url}/api/v1/users?filter=${q(`lastUpdated gt "${before}"`)}`)
    ).flatMap((p) => p.items);
    // Membership, role and factor changes leave lastUpdated alone, as in Okta (issue 12).
    const renamed = m.changes.filter((c) => c.change === 'name').map((c) => c.id);
    expect(filtered.map((u) => u.id).sort()).toEqual(
      [...renamed, ...m.created, ...m.deprovisioned].sort(),
    );
    const logged = new Set(sim.tenant.log.all().flatMap((e) => e.target.map((t) => t.id)));
    for (const c of m.changes) if (c.change !== 'name') expect(logged.has(c.id)).toBe(true);
    const stamp = new Date(clock.now()).toISOString();
    expect(filtered.every((u) => u.lastUpdated === stamp)).toBe(true);
    for (const id of m.deprovisioned) {
      const u = filtered.find((x) => x.id === id)!;
      expect([u.status, u.statusChanged]).toEqual(['DEPROVISIONED', stamp]);
    }
    for (const id of m.updated) expect(inventoryView(sim, id)).not.toEqual(views.get(id));
    expect(new Set(m.changes.map((c) => c.change)).size).toBeGreaterThan(1);
    // The unfiltered list now shows the created users at the end and no longer the deprovisioned.
    const plain = sim.tenant.listUsers().map((u) => u.id);
    expect(plain.slice(-4)).toEqual(
      m.created.filter((id) => sim.tenant.user(id)!.status !== 'DEPROVISIONED'),
    );
    for (const id of m.deprovisioned) expect(plain).not.toContain(id);
  });

  test('users created and deprovisioned mid-listing make no one skipped or repeated', async () => {
    const startIds = new Set(sim.tenant.listUsers().map((u) => u.id));
    const seen: string[] = [];
    let next: string | undefined = `${sim.url}/api/v1/users?limit=100`;
    for (let page = 0; next !== undefined && page < 50; page++) {
      const res = await api(next);
      seen.push(...json<OktaUserJson[]>(res).map((u) => u.id));
      if (page === 1) {
        clock.advance(1000);
        sim.tenant.mutate({ create: 6, update: 10, deprovision: 10 });
      }
      next = nextLink(res);
    }
    expect(new Set(seen).size).toBe(seen.length);
    const nowVisible = sim.tenant.listUsers().map((u) => u.id);
    const missing = nowVisible.filter((id) => !seen.includes(id));
    expect(missing).toEqual([]);
    for (const id of seen) expect(startIds.has(id) || nowVisible.includes(id)).toBe(true);
  });

  test('unknown ids are 404 E0000007; unknown paths 404 E0000008; other methods 405', async () => {
    const ghost = '00u0000000000000000x';
    for (const path of [
      `/users/${ghost}`,
      `/users/${ghost}/groups`,
      `/users/${ghost}/factors`,
      `/users/${ghost}/roles`,
    ]) {
      const r = await api(`${sim.url}/api/v1${path}`);
      expect({ path, status: r.status, body: json(r) }).toEqual({
        path,
        status: 404,
        body: expect.objectContaining({
          errorCode: 'E0000007',
          errorSummary: `Not found: Resource not found: ${ghost} (User)`,
        }),
      });
    }
    const g = await api(`${sim.url}/api/v1/groups/00g0000000000000000x/roles`);
    expect([g.status, json<OktaErrorJson>(g).errorCode]).toEqual([404, 'E0000007']);
    const p = await api(`${sim.url}/api/v1/nothing-here`);
    expect([p.status, json<OktaErrorJson>(p).errorCode]).toEqual([404, 'E0000008']);
    const del = await request(`${sim.url}/api/v1/users`, {
      method: 'DELETE',
      headers: { authorization: 'SSWS sim-token' },
    });
    expect([del.status, json<OktaErrorJson>(del).errorCode]).toEqual([405, 'E0000022']);
  });

  test('a single user reads by id or login, with lifecycle links', async () => {
    const u = sim.tenant.listUsers().find((x) => x.status === 'ACTIVE')!;
    const byId = json<OktaUserJson>(await api(`${sim.url}/api/v1/users/${u.id}`));
    const byLogin = json<OktaUserJson>(
      await api(`${sim.url}/api/v1/users/${encodeURIComponent(u.profile.login)}`),
    );
    expect(byLogin).toEqual(byId);
    expect(byId.profile).toEqual(u.profile);
    expect(Object.keys(byId._links)).toEqual(
      expect.arrayContaining(['self', 'suspend', 'deactivate']),
    );
  });
});

/** What the OCSF event of a user shows (names, groups, admin, MFA). */
function inventoryView(sim: OktaSimulator, id: string): unknown {
  const e = sim.tenant.enriched(id);
  return {
    first: e.user.profile?.firstName ?? null,
    last: e.user.profile?.lastName ?? null,
    display: e.user.profile?.displayName ?? null,
    groups: e.groups.map((g) => g.id),
    admin: e.roles.some((r) => r.status === 'ACTIVE' && /admin/i.test(r.type ?? '')),
    mfa: e.factors.some((f) => f.status === 'ACTIVE'),
  };
}
