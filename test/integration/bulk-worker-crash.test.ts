/**
 * Issue 11: a bulk full sync survives SIGKILL of its worker twice while the membership index is
 * being built and twice while the pages are enriched and delivered. Each replacement worker
 * resumes the index from its last checkpoint (not from the first group), and the output is
 * exactly the fault-free one: nothing missing, nothing twice, every event equal to the mapping of
 * the tenant (mapping contract, "Which users": full sync, each exactly once).
 *
 * Workers are `okta-ocsf worker` child processes sharing one OKTA_OCSF_STATE_DIR, as a supervisor
 * restarts them on one host (the index is per worker disk: see README "Bulk enrichment").
 */
import * as path from 'node:path';
import { followSync, startSync } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import type { SyncResult } from '../../src/sync/types';
import {
  GENEROUS_LIMITS,
  WorkerPool,
  deliveredParts,
  expectFaultFreeOutput,
  pollUntil,
  timeline,
  waitForParts,
} from '../support/fault-harness';
import { temporalClient, testEnv } from '../support/sync-harness';

jest.setTimeout(600_000);

const MEMBERS = 'GET /api/v1/groups/{id}/users';
const GROUPS = 6000;

test('two SIGKILLs during the index build and two during the pages: exact output', async () => {
  const sim = await OktaSimulator.start({
    users: 3000,
    groups: GROUPS,
    seed: 5,
    token: 'bulk-crash',
    rateLimits: GENEROUS_LIMITS,
    // Slow enough that the build (one request per group) is killed mid-way.
    latencyMs: 40,
  });
  // Small runs: the build checkpoints every few hundred memberships.
  const t = await testEnv(sim.url, 'bulk-crash', {
    OKTA_OCSF_ENRICHMENT: 'bulk',
    OKTA_OCSF_INDEX_RUN_PAIRS: '500',
  });
  const workers = new WorkerPool(t.env, path.join(path.dirname(t.outDir), 'workers.log'));
  const { client, close } = await temporalClient();
  const members = (): number => sim.stats().byEndpoint[MEMBERS] ?? 0;
  try {
    const mark = timeline('bulk-worker-crash');
    let worker = workers.start();
    const started = await startSync(client, t.config, 'full');
    const summaryPromise = followSync(started.handle, started.workflowId);

    // Two kills during the index build, each after well over a heartbeat's worth of work.
    for (let kill = 1; kill <= 2; kill++) {
      const from = members();
      await pollUntil(() => members() >= from + 2000, 120_000, `2000 member reads (kill ${kill})`);
      expect(await deliveredParts(t.outDir)).toBe(0);
      mark(`kill ${kill} at ${members()} member reads`);
      await workers.kill(worker);
      worker = workers.start();
    }
    // Two kills during the pages.
    const totalParts = Math.ceil(
      sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED').length / 200,
    );
    for (let kill = 3; kill <= 4; kill++) {
      const from = await deliveredParts(t.outDir);
      const at = await waitForParts(t.outDir, from + 3, 180_000);
      expect(at).toBeLessThan(totalParts);
      mark(`kill ${kill} at ${at} parts`);
      await workers.kill(worker);
      worker = workers.start();
    }

    const summary = await summaryPromise;
    mark(`done: ${summary.status}, ${summary.events} events`);
    expect(summary).toMatchObject({ status: 'completed', error: null });
    expect(workers.started).toBe(5);
    const events = await expectFaultFreeOutput(sim, t.outDir);
    expect(summary.events).toBe(events.length);
    expect(summary.fallbacks).toBe(0);

    // The build resumed rather than restarting: the last attempt began past the first group, and
    // far fewer than two builds' worth of member reads were made in all.
    const result = (await started.handle.result()) as SyncResult;
    expect(result.enrichment?.strategy).toBe('bulk');
    expect(result.enrichment!.index!.resumedAtGroup).toBeGreaterThan(0);
    expect(members()).toBeLessThan(2 * GROUPS);
    mark(`member reads ${members()} for ${GROUPS} groups`);
  } finally {
    await workers.stopAll();
    await close();
    await sim.close();
  }
});
