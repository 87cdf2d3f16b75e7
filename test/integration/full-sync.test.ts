/**
 * Issue 5: a full sync of a seeded 3,000-user tenant on the real dev server and simulator
 * delivers exactly one event per non-deprovisioned user, each equal to the mapping of the
 * simulator's data (mapping contract, "Which users": full sync, each exactly once), and carries
 * itself over continue-as-new at least twice.
 */
import { startSync, followSync } from '../../src/cli/sync-runner';
import { mapUserToOcsf } from '../../src/ocsf/map-user';
import { validateEvent } from '../../src/ocsf/validate';
import { OktaSimulator } from '../../src/simulator';
import { syncChildWorkflowId, syncWorkflowId } from '../../src/contract';
import { inProcessWorker, readEvents, temporalClient, testEnv } from '../support/sync-harness';
import { GENEROUS_LIMITS } from '../support/fault-harness';

jest.setTimeout(240_000);

describe('full sync of a 3,000-user tenant', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    // Budgets high enough not to bind: this test is about completeness, not throttling.
    sim = await OktaSimulator.start({
      users: 3000,
      groups: 300,
      seed: 7,
      token: 'it-token',
      rateLimits: GENEROUS_LIMITS,
    });
  });
  afterAll(async () => sim.close());

  test('one event per non-deprovisioned user, equal to the mapping of the tenant, over 3 runs', async () => {
    const t = await testEnv(sim.url, 'it-token', { OKTA_OCSF_PAGES_PER_RUN: '5' });
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const started = await startSync(client, t.config, 'full');
      const summary = await followSync(started.handle, started.workflowId);
      expect(summary).toMatchObject({ status: 'completed', error: null });

      const expected = sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED');
      expect(sim.tenant.listUsers({ includeDeprovisioned: true }).length).toBeGreaterThan(
        expected.length,
      );
      const { events, files } = await readEvents(t.outDir);
      expect(files.length).toBe(Math.ceil(expected.length / 200));
      expect(events.length).toBe(expected.length);
      const byUid = new Map(events.map((e) => [e.user.uid, e]));
      expect(byUid.size).toBe(expected.length); // each exactly once
      for (const u of expected) {
        const got = byUid.get(u.id);
        expect(got).toBeDefined();
        expect(() => validateEvent(got!)).not.toThrow();
        expect(got).toEqual(mapUserToOcsf(sim.tenant.enriched(u.id), { observedAtMs: got!.time }));
      }
      expect(summary.users).toBe(expected.length);
      expect(summary.events).toBe(expected.length);
      expect(summary.fallbacks).toBe(0);

      // 15 pages at 5 pages per run: the chain continued as new twice, and Temporal says so.
      // The chain is the coordinator's child; the request that asked for it is one run.
      expect(summary.runs).toBe(3);
      const childId = syncChildWorkflowId(syncWorkflowId(sim.url, 'full'));
      expect(summary.child?.workflowId).toBe(childId);
      const runs: string[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${childId}'` })) {
        runs.push(wf.status.name);
      }
      expect(runs.filter((s) => s === 'CONTINUED_AS_NEW').length).toBe(2);
      expect(runs.filter((s) => s === 'COMPLETED').length).toBe(1);

      // Group roles were asked once per distinct group, not once per member.
      const stats = sim.stats();
      const groupRoleCalls = stats.byEndpoint['GET /api/v1/groups/{id}/roles'] ?? 0;
      const distinctGroups = new Set(
        expected.flatMap((u) => sim.tenant.userGroups(u.id).map((g) => g.id)),
      );
      expect(groupRoleCalls).toBe(distinctGroups.size);
    } finally {
      await close();
      await w.stop();
    }
  });
});
