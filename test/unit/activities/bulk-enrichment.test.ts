/**
 * The bulk strategy's activities against the simulator (MockActivityEnvironment, real HTTP):
 * the index build and the page enrichment equal the per-user reads; a refused
 * `iam/assignees/users` (403) is reported, not fatal, and roles are then read per user.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createActivities } from '../../../src/activities';
import { sessionOver } from '../../../src/activities/okta-client-session';
import type { StagedEnrichment } from '../../../src/activities/staged-page';
import { OktaClient } from '../../../src/okta/client';
import type { OktaGroup, OktaRole } from '../../../src/okta/types';
import { OktaSimulator } from '../../../src/simulator';
import type { BuildIndexResult, RoleAssigneesResult } from '../../../src/sync/bulk-types';
import { StagingStore } from '../../../src/sync/staging';

jest.setTimeout(60_000);
const TOKEN = 'sim-token';
let sim: OktaSimulator;
let dir: string;

beforeAll(async () => {
  sim = await OktaSimulator.start({ token: TOKEN, users: 400, groups: 40, seed: 9 });
});
afterAll(async () => sim.close());
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bulk-act-'));
});
afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

function activities(staging: StagingStore) {
  const client = new OktaClient({ orgUrl: sim.url, token: TOKEN });
  // The worker's own assembly (org check, heartbeats, error conversion) over these knobs.
  return createActivities({
    orgUrl: sim.url,
    staging,
    sink: {
      kind: 'none',
      deliver: () => Promise.reject(new Error('no delivery here')),
      close: async () => {},
    },
    oktaSession: () => sessionOver(client),
    temporalClient: () => Promise.reject(new Error('no Temporal here')),
    indexRunPairs: 100, // many runs: the merge is exercised
    indexMemberLanes: 3,
  });
}

test('index build, then a page enriched from it: groups and roles as the per-user reads give', async () => {
  const staging = new StagingStore(dir);
  const acts = activities(staging);
  const env = new MockActivityEnvironment();
  const ref = { orgUrl: sim.url, syncId: 's1' };
  const built = (await env.run(acts.buildMembershipIndex, ref)) as BuildIndexResult;
  expect(built.groups).toBe(40);
  expect(built.users).toBe(400); // every user is in Everyone, deprovisioned ones included
  const assignees = await env.run(acts.readRoleAssignees, ref);
  expect(assignees).toMatchObject({ available: true, refusal: null });

  const users = sim.tenant.listUsers().slice(0, 200);
  await staging.writePage(sim.url, 's1', 1, 'users', users);
  const input = { ...ref, page: 1, maxAttempts: 3, snapshotStart: built.snapshotStart };
  sim.resetStats();
  await env.run(acts.fetchUserGroupsBulk, input);
  await env.run(acts.fetchUserRolesBulk, input);
  const groups = (await staging.readPage<StagedEnrichment<OktaGroup[]>>(
    sim.url,
    's1',
    1,
    'groups',
  ))!;
  const roles = (await staging.readPage<StagedEnrichment<OktaRole[]>>(
    sim.url,
    's1',
    1,
    'user_roles',
  ))!;
  for (const u of users) {
    const truth = sim.tenant.enriched(u.id);
    expect(groups.results[u.id]).toEqual(truth.groups);
    const own =
      truth.roles.length > 0 && sim.tenant.userRoles(u.id).some((r) => r.assignmentType === 'USER');
    // Assignees get their full list (direct and through groups); the others none of their own.
    expect(roles.results[u.id]).toEqual(own ? truth.roles : []);
  }
  const calls = sim.stats().byEndpoint;
  expect(calls['GET /api/v1/users/{id}/groups'] ?? 0).toBe(0);
});

test('a 403 from iam/assignees/users is reported, and roles are then read per user', async () => {
  const staging = new StagingStore(dir);
  const acts = activities(staging);
  const env = new MockActivityEnvironment();
  const ref = { orgUrl: sim.url, syncId: 's2' };
  sim.bulk.refuseRoleAssignees = true;
  try {
    const r = (await env.run(acts.readRoleAssignees, ref)) as RoleAssigneesResult;
    expect(r.available).toBe(false);
    expect(r.refusal).toMatch(/403|refused/i);
  } finally {
    sim.bulk.refuseRoleAssignees = false;
  }
  const users = sim.tenant.listUsers().slice(0, 50);
  await staging.writePage(sim.url, 's2', 1, 'users', users);
  sim.resetStats();
  await env.run(acts.fetchUserRolesBulk, {
    ...ref,
    page: 1,
    maxAttempts: 3,
    snapshotStart: new Date().toISOString(),
  });
  expect(sim.stats().byEndpoint['GET /api/v1/users/{id}/roles']).toBe(50);
});
