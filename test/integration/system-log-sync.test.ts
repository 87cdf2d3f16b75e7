/**
 * Issue 12: incremental syncs see what `lastUpdated` misses, from Okta's System Log. On the real
 * Temporal dev server, against the simulator (which, as Okta, records membership, role and factor
 * changes in the log without touching `lastUpdated`).
 *
 * After a full sync the tenant changes: a user joins an admin group, another loses its only active
 * factor, a third gets a direct admin role, a fourth is locked, a group gains an admin role, one
 * user is deleted. The incremental emits exactly the changed users and that group's members, as
 * Okta has them now (mapping rules U8 type, U9 has_mfa, U12 group privileges, A5 is_locked),
 * counts the deleted one, and nothing else. With OKTA_OCSF_SYSTEM_LOG=off only the lock is seen:
 * that is what `lastUpdated` alone misses (the README's claim).
 */
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { followSync, startSync } from '../../src/cli/sync-runner';
import type { AppConfig } from '../../src/config';
import { mapUserToOcsf } from '../../src/ocsf/map-user';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { OktaSimulator, type TenantChange } from '../../src/simulator';
import { GENEROUS_LIMITS } from '../support/fault-harness';
import { inProcessWorker, readEvents, temporalClient, testEnv } from '../support/sync-harness';

jest.setTimeout(240_000);

const TOKEN = 'syslog-token';

async function run(client: Client, config: AppConfig, mode: 'full' | 'incremental') {
  const started = await startSync(client, config, mode);
  return followSync(started.handle, started.workflowId, { pollMs: 200 });
}

async function syncEvents(outDir: string, syncId: string): Promise<UserInventoryInfo[]> {
  return (await readEvents(path.join(outDir, syncId), { flat: true })).events;
}

const isAdminRole = (r: { type: string; status: string }) =>
  r.status === 'ACTIVE' && /admin/i.test(r.type);

interface Plan {
  joiner: string;
  adminGroup: string;
  loser: string;
  granted: string;
  locked: string;
  promotedGroup: string;
  promotedMembers: string[];
  deleted: string;
  changes: TenantChange[];
}

/** Picks distinct users and groups for the six changes, from the tenant as it is. */
function plan(sim: OktaSimulator): Plan {
  const t = sim.tenant;
  const groups = Array.from({ length: t.groupCount }, (_, i) => t.groupJson(i).id);
  const adminGroups = groups.filter((g) => t.groupRoles(g).some(isAdminRole));
  const admin = (id: string) =>
    t.userRoles(id).some(isAdminRole) || t.userGroups(id).some((g) => adminGroups.includes(g.id));
  const active = t
    .listUsers()
    .filter((u) => u.status === 'ACTIVE')
    .map((u) => u.id)
    .filter((id) => !admin(id));
  // A small plain group (not Everyone) gains an admin role: its members all change.
  const promotedGroup = groups
    .slice(1)
    .filter((g) => !adminGroups.includes(g))
    .map((g) => ({ g, n: t.groupMemberIds(g).length }))
    .filter((x) => x.n >= 2 && x.n <= 30)
    .sort((a, b) => a.n - b.n)[0].g;
  const promotedMembers = t.groupMemberIds(promotedGroup);
  const free = active.filter((id) => !promotedMembers.includes(id));
  const adminGroup = adminGroups.find((g) => g !== groups[0])!;
  const joiner = free.find((id) => !t.userGroups(id).some((g) => g.id === adminGroup))!;
  const loser = free.find(
    (id) => id !== joiner && t.userFactors(id).filter((f) => f.status === 'ACTIVE').length === 1,
  )!;
  const [granted, locked, deleted] = free.filter((id) => ![joiner, loser].includes(id));
  expect([joiner, loser, granted, locked, deleted, adminGroup].every(Boolean)).toBe(true);
  return {
    joiner,
    adminGroup,
    loser,
    granted,
    locked,
    promotedGroup,
    promotedMembers,
    deleted,
    changes: [
      { op: 'addToGroup', userId: joiner, groupId: adminGroup },
      { op: 'deactivateFactors', userId: loser },
      { op: 'grantRole', userId: granted, roleType: 'SUPER_ADMIN' },
      { op: 'lock', userId: locked },
      { op: 'grantGroupRole', groupId: promotedGroup, roleType: 'ORG_ADMIN' },
      { op: 'delete', userId: deleted },
    ],
  };
}

describe('incremental sync with the System Log', () => {
  let sim: OktaSimulator;
  beforeEach(async () => {
    sim = await OktaSimulator.start({
      users: 600,
      groups: 60,
      seed: 12,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
    });
  });
  afterEach(async () => sim.close());

  test('emits exactly the changed users and the promoted group’s members, counts the deleted one', async () => {
    const t = await testEnv(sim.url, TOKEN);
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const full = await run(client, t.config, 'full');
      expect(full.status).toBe('completed');
      const before = new Map(
        (await syncEvents(t.outDir, full.syncId!)).map((e) => [e.user.uid, e]),
      );

      const p = plan(sim);
      for (const c of p.changes) sim.tenant.change(c);

      const inc = await run(client, t.config, 'incremental');
      expect(inc).toMatchObject({ status: 'completed', effectiveMode: 'incremental' });
      const events = await syncEvents(t.outDir, inc.syncId!);
      const ids = events.map((e) => e.user.uid!);
      expect(new Set(ids).size).toBe(ids.length); // each user delivered once
      const expected = new Set([p.joiner, p.loser, p.granted, p.locked, ...p.promotedMembers]);
      expected.delete(p.deleted);
      expect(new Set(ids)).toEqual(expected);
      for (const e of events) {
        expect(e).toEqual(
          mapUserToOcsf(sim.tenant.enriched(e.user.uid!), { observedAtMs: e.time }),
        );
      }
      const now = new Map(events.map((e) => [e.user.uid, e]));
      // What each change did to the inventory, before → after.
      expect([before.get(p.joiner)!.user.type, now.get(p.joiner)!.user.type]).toEqual([
        'User',
        'Admin',
      ]);
      expect([before.get(p.loser)!.user.has_mfa, now.get(p.loser)!.user.has_mfa]).toEqual([
        true,
        false,
      ]);
      expect([before.get(p.granted)!.user.type, now.get(p.granted)!.user.type]).toEqual([
        'User',
        'Admin',
      ]);
      expect([
        before.get(p.locked)!.user.account?.is_locked,
        now.get(p.locked)!.user.account?.is_locked,
      ]).toEqual([false, true]);
      const granted = sim.tenant.groupRoles(p.promotedGroup).find((r) => r.type === 'ORG_ADMIN')!;
      for (const id of p.promotedMembers) {
        if (id === p.deleted) continue;
        const g = now.get(id)!.user.groups!.find((x) => x.uid === p.promotedGroup)!;
        // A deprovisioned member was not in the full sync (Okta's unfiltered list omits them).
        const was = before.get(id)?.user.groups!.find((x) => x.uid === p.promotedGroup);
        if (was) expect(was.privileges).not.toContain(granted.label);
        expect(g.privileges).toContain(granted.label);
        expect(now.get(id)!.user.type).toBe('Admin');
      }

      // Where they came from: only the lock moved lastUpdated; the deletion is counted.
      expect(inc.systemLog).toBe('read');
      const named = new Set([
        p.joiner,
        p.loser,
        p.granted,
        p.locked,
        p.deleted,
        ...p.promotedMembers,
      ]);
      expect(inc.sources).toEqual({
        lastUpdated: 1,
        systemLog: named.size,
        both: 1,
        readById: named.size - 2,
        deleted: 1,
      });
      expect(inc.deleted).toBe(1);
      expect(inc.events).toBe(expected.size);
      const calls = sim.stats().byEndpoint;
      expect(calls['GET /api/v1/logs']).toBeGreaterThanOrEqual(1);
      expect(calls['GET /api/v1/groups/{id}/users']).toBeGreaterThanOrEqual(1);
    } finally {
      await close();
      await w.stop();
    }
  });

  test('with OKTA_OCSF_SYSTEM_LOG=off only the lock is seen: lastUpdated misses the rest', async () => {
    const t = await testEnv(sim.url, TOKEN, { OKTA_OCSF_SYSTEM_LOG: 'off' });
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      expect((await run(client, t.config, 'full')).status).toBe('completed');
      const p = plan(sim);
      for (const c of p.changes) sim.tenant.change(c);
      const inc = await run(client, t.config, 'incremental');
      expect(inc).toMatchObject({ status: 'completed', systemLog: 'off', deleted: 0 });
      const ids = (await syncEvents(t.outDir, inc.syncId!)).map((e) => e.user.uid);
      // Missed: the admin-group join, the factor loss, the direct admin role, the group's new
      // admin role (all its members) and the deletion.
      expect(ids).toEqual([p.locked]);
      expect(sim.stats().byEndpoint['GET /api/v1/logs']).toBeUndefined();
    } finally {
      await close();
      await w.stop();
    }
  });

  test('a watermark older than the log’s 90-day retention: the incremental runs full and says so', async () => {
    // A tenant whose clock (Date headers, hence watermarks) is 100 days behind for the full sync.
    let offset = -100 * 86_400_000;
    const old = await OktaSimulator.start({
      users: 150,
      groups: 10,
      seed: 5,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
      clock: () => Date.now() + offset,
    });
    const t = await testEnv(old.url, TOKEN);
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const full = await run(client, t.config, 'full');
      expect(full.status).toBe('completed');
      expect(Date.now() - Date.parse(full.watermark!)).toBeGreaterThan(99 * 86_400_000);
      offset = 0;
      const inc = await run(client, t.config, 'incremental');
      expect(inc).toMatchObject({
        status: 'completed',
        mode: 'incremental',
        effectiveMode: 'full',
      });
      expect(inc.systemLog).toMatch(/older than the System Log's retention.*ran full/);
      expect(inc.events).toBe(old.tenant.listUsers().length);
      expect(old.stats().byEndpoint['GET /api/v1/logs']).toBeUndefined();
    } finally {
      await close();
      await w.stop();
      await old.close();
    }
  });

  test('a refused System Log: auto completes on lastUpdated and says why; required fails with the reason', async () => {
    const t = await testEnv(sim.url, TOKEN);
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      expect((await run(client, t.config, 'full')).status).toBe('completed');
      const p = plan(sim);
      sim.tenant.change({ op: 'grantRole', userId: p.granted, roleType: 'SUPER_ADMIN' });
      sim.tenant.change({ op: 'lock', userId: p.locked });
      const reason = 'You do not have permission to perform the requested action';
      sim.setSystemLogDenied(reason);

      const inc = await run(client, t.config, 'incremental');
      expect(inc.status).toBe('completed');
      expect(inc.systemLog).toMatch(/^unavailable: HTTP 403 E0000006: You do not have permission/);
      expect(inc.systemLog).toContain('okta.logs.read');
      expect((await syncEvents(t.outDir, inc.syncId!)).map((e) => e.user.uid)).toEqual([p.locked]);

      const required = await run(client, { ...t.config, systemLog: 'required' }, 'incremental');
      expect(required.status).toBe('failed');
      expect(required.error).toContain('OKTA_OCSF_SYSTEM_LOG=required');
      expect(required.error).toContain(reason);
    } finally {
      await close();
      await w.stop();
    }
  });
});
