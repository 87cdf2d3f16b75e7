/**
 * Issue 12: the simulator records System Log events on tenant changes and serves
 * `GET /api/v1/logs` as Okta documents it (okta-api-facts.md, System Log): since/until, filter,
 * limit ≤ 1000, sortOrder, `next` links with an `after` cursor, its own small bucket, and a
 * `next` link even on an empty page when polling (no `until`). Membership, role and factor
 * changes do not touch `lastUpdated`; lock and delete do.
 */
import { OktaSimulator, type LogEventJson, type OktaUserJson } from '../../../src/simulator';
import { api, json, manualClock, nextLink, pages, request } from './http';

describe('simulated System Log', () => {
  let sim: OktaSimulator;
  const clock = manualClock();
  const t0 = clock.now();
  let ids: string[];
  let adminGroup: string;

  beforeAll(async () => {
    sim = await OktaSimulator.start({ users: 60, groups: 12, seed: 21, clock: clock.now });
    ids = sim.tenant.listUsers().map((u) => u.id);
    adminGroup = sim.tenant.groupJson(3).id;
  });
  afterAll(() => sim.close());

  const logs = (query: string) => api(`${sim.url}/api/v1/logs?${query}`);

  test('tenant changes record events with the user as the User target; lastUpdated moves only for status changes', async () => {
    const before = (id: string) => sim.tenant.user(id)!.lastUpdated;
    const last = [ids[1], ids[2], ids[3], ids[4]].map(before);
    clock.advance(1000);
    const joined = sim.tenant.userGroups(ids[1]).map((x) => x.id);
    const allGroups = Array.from(
      { length: sim.tenant.groupCount },
      (_, i) => sim.tenant.groupJson(i).id,
    );
    const target = allGroups.find((x) => !joined.includes(x))!;
    const res = await request(`${sim.url}/__sim/change`, {
      method: 'POST',
      body: {
        changes: [
          { op: 'addToGroup', userId: ids[1], groupId: target },
          { op: 'grantRole', userId: ids[2], roleType: 'SUPER_ADMIN' },
          { op: 'grantGroupRole', groupId: adminGroup, roleType: 'ORG_ADMIN' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(sim.tenant.userGroups(ids[1]).map((x) => x.id)).toContain(target);
    expect(sim.tenant.userRoles(ids[2]).some((r) => r.type === 'SUPER_ADMIN')).toBe(true);
    // Membership and role changes leave lastUpdated alone, as in Okta.
    expect(before(ids[1])).toBe(last[0]);
    expect(before(ids[2])).toBe(last[1]);

    const active = ids.find((id) => sim.tenant.user(id)!.status === 'ACTIVE' && id !== ids[2])!;
    sim.tenant.change({ op: 'lock', userId: active });
    expect(sim.tenant.user(active)!.status).toBe('LOCKED_OUT');
    expect(Date.parse(before(active))).toBe(clock.now());

    const body = json<LogEventJson[]>(await logs(`since=${new Date(t0).toISOString()}`));
    const types = body.map((e) => e.eventType);
    expect(types).toEqual([
      'group.user_membership.add',
      'user.account.privilege.grant',
      'group.privilege.grant',
      'user.account.lock',
    ]);
    // The group comes first: a consumer taking target[0] would get it wrong.
    expect(body[0].target.map((t) => t.type)).toEqual(['UserGroup', 'User']);
    expect(body[0].target[1].id).toBe(ids[1]);
    expect(body.find((e) => e.eventType === 'group.privilege.grant')!.target).toEqual([
      expect.objectContaining({ id: adminGroup, type: 'UserGroup' }),
    ]);
    for (const e of body) expect(Date.parse(e.published)).toBeGreaterThanOrEqual(t0);
  });

  test('a deleted user is gone: 404 by id, absent from lists and group members; its deletion is logged', async () => {
    const victim = ids[10];
    const groupId = sim.tenant.userGroups(victim)[0].id;
    clock.advance(1000);
    const since = new Date(clock.now()).toISOString();
    sim.tenant.change({ op: 'delete', userId: victim });
    expect((await api(`${sim.url}/api/v1/users/${victim}`)).status).toBe(404);
    const members = (
      await pages<OktaUserJson>(`${sim.url}/api/v1/groups/${groupId}/users`)
    ).flatMap((p) => p.items.map((u) => u.id));
    expect(members).not.toContain(victim);
    const listed = (await pages<OktaUserJson>(`${sim.url}/api/v1/users?limit=200`)).flatMap((p) =>
      p.items.map((u) => u.id),
    );
    expect(listed).not.toContain(victim);
    const types = json<LogEventJson[]>(await logs(`since=${since}`)).map((e) => e.eventType);
    expect(types).toEqual([
      'user.lifecycle.deactivate',
      'user.lifecycle.delete.initiated',
      'user.lifecycle.delete.completed',
    ]);
  });

  test('group members: every member once, paged by limit with next links', async () => {
    const everyone = sim.tenant.userGroups(ids[0])[0].id;
    const p = await pages<OktaUserJson>(`${sim.url}/api/v1/groups/${everyone}/users?limit=7`);
    const got = p.flatMap((x) => x.items.map((u) => u.id));
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual(sim.tenant.groupMemberIds(everyone).sort());
    expect(p.length).toBe(Math.ceil(got.length / 7));
    expect((await api(`${sim.url}/api/v1/groups/00gnope/users`)).status).toBe(404);
  });

  test('filter, since/until, limit, sortOrder and paging', async () => {
    clock.advance(1000);
    const start = clock.now();
    for (let i = 0; i < 5; i++) {
      clock.advance(10);
      sim.tenant.change({ op: 'grantRole', userId: ids[20 + i], roleType: 'HELP_DESK_ADMIN' });
    }
    clock.advance(10);
    const until = new Date(clock.now()).toISOString();
    clock.advance(10);
    sim.tenant.change({ op: 'grantRole', userId: ids[30], roleType: 'HELP_DESK_ADMIN' });
    const since = new Date(start).toISOString();
    const q = (extra: string) => `${sim.url}/api/v1/logs?since=${since}&until=${until}&${extra}`;

    const all = await pages<LogEventJson>(q('limit=2'));
    const named = all.flatMap((p) => p.items.map((e) => e.target[0].id));
    expect(named).toEqual(ids.slice(20, 25));
    // Bounded by until: the last page has no next link.
    expect(all.map((p) => p.items.length)).toEqual([2, 2, 1]);

    const desc = await pages<LogEventJson>(q('limit=2&sortOrder=DESCENDING'));
    expect(desc.flatMap((p) => p.items.map((e) => e.target[0].id))).toEqual(
      ids.slice(20, 25).reverse(),
    );

    const byTarget = json<LogEventJson[]>(
      await api(
        q(
          `filter=${encodeURIComponent(`target.id eq "${ids[22]}" and eventType eq "user.account.privilege.grant"`)}`,
        ),
      ),
    );
    expect(byTarget.map((e) => e.target[0].id)).toEqual([ids[22]]);
    const none = json<LogEventJson[]>(
      await api(q(`filter=${encodeURIComponent('eventType eq "user.account.lock"')}`)),
    );
    expect(none).toEqual([]);
  });

  test('polling (no until): a next link even on an empty page', async () => {
    clock.advance(1000);
    const since = new Date(clock.now()).toISOString();
    const first = await logs(`since=${since}`);
    expect(json<unknown[]>(first)).toEqual([]);
    const next = nextLink(first);
    expect(next).toBeDefined();
    clock.advance(10);
    sim.tenant.change({ op: 'grantRole', userId: ids[40], roleType: 'HELP_DESK_ADMIN' });
    // The poll link finds what arrived since.
    const later = await api(next!);
    expect(json<LogEventJson[]>(later).map((e) => e.target[0].id)).toEqual([ids[40]]);
    expect(nextLink(later)).toBeDefined();
  });

  test('bad queries are 400 with Okta error codes', async () => {
    const bad = async (query: string, code: string) => {
      const r = await logs(query);
      expect(r.status).toBe(400);
      expect(json<{ errorCode: string }>(r).errorCode).toBe(code);
    };
    await bad('limit=1001', 'E0000001');
    await bad('since=yesterday', 'E0000001');
    await bad('sortOrder=RANDOM', 'E0000001');
    await bad(`filter=${encodeURIComponent('published gt "2026-01-01T00:00:00Z"')}`, 'E0000031');
    await bad(`filter=${encodeURIComponent('profile.login eq "x"')}`, 'E0000031');
    await bad('after=forged', 'E0000001');
  });

  test('its own small bucket, and a 403 when access is denied', async () => {
    const r = await logs('limit=1');
    expect(r.headers['x-rate-limit-limit']).toBe('50'); // Okta's published Enterprise System Log budget;
    expect(sim.stats().byBucket['system-log']?.requests).toBeGreaterThan(0);
    sim.setSystemLogDenied('You do not have permission to perform the requested action');
    const denied = await logs('limit=1');
    expect(denied.status).toBe(403);
    expect(json<{ errorCode: string }>(denied).errorCode).toBe('E0000006');
    sim.setSystemLogDenied(null);
    expect((await logs('limit=1')).status).toBe(200);
  });
});
