/**
 * Issue 11: the bulk enrichment strategy of full syncs delivers the same events as the per-user
 * strategy, on the real dev server and simulator, for a tenant with a user in more than 1,000
 * groups, a group of more than 1,000 members (Everyone), empty groups, a group deleted between
 * its listing and the reading of its members (404), and users holding roles directly and through
 * groups (mapping contract U8, U10, U12).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { OktaSimulator } from '../../src/simulator';
import type { SyncResult } from '../../src/sync/types';
import { GENEROUS_LIMITS } from '../support/fault-harness';
import { inProcessWorker, readEvents, temporalClient, testEnv } from '../support/sync-harness';
import { expectTenantOutput, runFullSync } from '../support/tenant-output';

jest.setTimeout(600_000);

const TOKEN = 'it-token';
let sim: OktaSimulator;

beforeAll(async () => {
  sim = await OktaSimulator.start({
    users: 2500,
    groups: 1200,
    heavyUserGroups: 1050,
    seed: 11,
    token: TOKEN,
    rateLimits: GENEROUS_LIMITS,
  });
});
afterAll(async () => sim.close());

interface SyncOutcome {
  events: UserInventoryInfo[];
  result: SyncResult;
  calls: Record<string, number>;
  /** The activities of the sync's first run, in the order its history records them. */
  activities: ActivityEvent[];
}

/** An activity's scheduling or completion, by its position in the history. */
interface ActivityEvent {
  eventId: number;
  what: 'scheduled' | 'completed';
  type: string;
  /** The page of a page activity (its input's `page`), else null. */
  page: number | null;
}

async function activityEvents(handle: WorkflowHandle): Promise<ActivityEvent[]> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<number, { type: string; page: number | null }>();
  const out: ActivityEvent[] = [];
  const converter = defaultPayloadConverter;
  for (const e of history.events ?? []) {
    const eventId = Number(e.eventId);
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const input = s.input?.payloads?.[0];
      const arg = input ? (converter.fromPayload(input) as { page?: unknown }) : {};
      const page = typeof arg.page === 'number' ? arg.page : null;
      const type = s.activityType?.name ?? '?';
      scheduled.set(eventId, { type, page });
      out.push({ eventId, what: 'scheduled', type, page });
    }
    const c = e.activityTaskCompletedEventAttributes;
    if (c) out.push({ eventId, what: 'completed', ...scheduled.get(Number(c.scheduledEventId))! });
  }
  return out;
}

async function syncWith(enrichment: 'bulk' | 'per-user'): Promise<SyncOutcome> {
  const t = await testEnv(sim.url, TOKEN, {
    OKTA_OCSF_ENRICHMENT: enrichment,
    OKTA_OCSF_PAGE_CONCURRENCY: '4',
  });
  const w = await inProcessWorker(t.config);
  const { client, close } = await temporalClient();
  sim.resetStats();
  try {
    const run = await runFullSync(client, t.config);
    expect(run.summary).toMatchObject({ status: 'completed', error: null });
    const { events } = await readEvents(t.outDir);
    const child = run.syncHandle!;
    const firstRun = client.workflow.getHandle(child.workflowId, run.summary.child!.firstRunId);
    const activities = await activityEvents(firstRun);
    return { events, result: run.result!, calls: sim.stats().byEndpoint, activities };
  } finally {
    await close();
    await w.stop();
  }
}

test('bulk and per-user full syncs deliver identical events', async () => {
  const tenant = sim.tenant;
  const users = tenant.listUsers();
  // The tenant has what the issue lists (checked on the simulator's own data).
  const heavy = tenant.heavyUserId!;
  expect(tenant.userGroups(heavy).length).toBeGreaterThan(1000);
  expect(tenant.membersOf(0).length).toBeGreaterThan(1000);
  const live = tenant.liveGroupIndices();
  expect(live.some((g) => tenant.membersOf(g).length === 0)).toBe(true);
  const adminGroup = live.find(
    (g) =>
      tenant.membersOf(g).length > 0 &&
      tenant.groupRolesJson(g).some((r) => r.status === 'ACTIVE' && /admin/i.test(r.type)),
  );
  expect(adminGroup).toBeDefined();
  const both = users.filter(
    (u) =>
      tenant.userRoles(u.id).some((r) => r.assignmentType === 'USER') &&
      tenant.userRoles(u.id).some((r) => r.assignmentType === 'GROUP'),
  );
  expect(both.length).toBeGreaterThan(0);

  // A role-granting group is deleted after the groups are listed and before its members are
  // read: the bulk sync meets a 404; its members lose the group (and the admin type it gave).
  const victimIndex = live.find(
    (g) =>
      g !== adminGroup && tenant.membersOf(g).length > 0 && tenant.groupRolesJson(g).length > 0,
  )!;
  const victim = tenant.groupJson(victimIndex).id;
  const victimMembers = Array.from(tenant.membersOf(victimIndex), (i) => tenant.recordAt(i).id);
  sim.bulk.onGroupsListed = () => tenant.deleteGroup(victim);

  const bulk = await syncWith('bulk');
  expect(sim.bulk.onGroupsListed).toBeUndefined(); // the deletion happened mid-build
  expect(bulk.result.enrichment).toMatchObject({
    strategy: 'bulk',
    rolesFrom: 'assignees',
    warning: null,
  });
  expect(bulk.result.enrichment!.index!.groupsGone).toBe(1);
  expectTenantOutput(bulk.events, sim);
  for (const e of bulk.events.filter((ev) => victimMembers.includes(ev.user.uid)))
    expect(e.user.groups!.map((g) => g.uid)).not.toContain(victim);

  const perUser = await syncWith('per-user');
  expect(perUser.result.enrichment).toMatchObject({ strategy: 'per-user' });
  expectTenantOutput(perUser.events, sim);

  // Same set of events, same fields (time included: both take it from the user record).
  const byUid = new Map(perUser.events.map((e) => [e.user.uid, e]));
  expect(bulk.events.length).toBe(perUser.events.length);
  for (const e of bulk.events) expect(e).toEqual(byUid.get(e.user.uid));

  // Bulk reads membership from the groups side and roles only for assignees.
  const emitted = new Set(bulk.events.map((e) => e.user.uid));
  const assignees = users.filter(
    (u) => emitted.has(u.id) && tenant.userRoles(u.id).some((r) => r.assignmentType === 'USER'),
  );
  expect(bulk.calls['GET /api/v1/users/{id}/groups'] ?? 0).toBe(0);

  // The index is built alongside the pages: factors (a budget of their own) are read while it
  // builds, by more pages than the page concurrency (4: pages waiting for the index are parked);
  // a page's groups are read from the index only once it is complete.
  const indexDone = bulk.activities.find(
    (a) => a.type === 'buildMembershipIndex' && a.what === 'completed',
  )!.eventId;
  const factorsBefore = new Set(
    bulk.activities
      .filter((a) => a.type === 'fetchUserFactors' && a.what === 'completed')
      .filter((a) => a.eventId < indexDone)
      .map((a) => a.page),
  );
  console.log(`pages whose factors were read while the index was built: ${factorsBefore.size}`);
  expect(factorsBefore.size).toBeGreaterThan(4);
  const groupsScheduled = bulk.activities.filter(
    (a) => a.type === 'fetchUserGroupsBulk' && a.what === 'scheduled',
  );
  expect(groupsScheduled.length).toBeGreaterThan(0);
  for (const a of groupsScheduled) expect(a.eventId).toBeGreaterThan(indexDone);
  expect(bulk.calls['GET /api/v1/users/{id}/roles']).toBe(assignees.length);
  expect(bulk.calls['GET /api/v1/users/{id}/factors']).toBe(emitted.size);
  expect(bulk.calls['GET /api/v1/groups/{id}/users']).toBeGreaterThanOrEqual(live.length);
  expect(perUser.calls['GET /api/v1/users/{id}/groups']).toBeGreaterThan(emitted.size);
});
