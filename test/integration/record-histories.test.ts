/**
 * Records the workflow histories the replay tests (test/unit/workflows/replay.test.ts) run
 * through the current workflow code. Skipped unless RECORD_HISTORIES=1; re-record after a
 * deliberate, versioned change to a workflow (or when a replay test says a recorded history no
 * longer matches and the change is meant to ship without `patched()`):
 *
 *   npm run build && RECORD_HISTORIES=1 npx jest test/integration/record-histories.test.ts
 *
 * It needs only the Temporal CLI (started as the tests' dev server by jest's globalSetup) and
 * the simulator. Scenarios, each a real sync on the real dev server:
 * - `full`: a full sync of a small tenant with one page per run, so it continues as new (the
 *   coordinator's child that ran it);
 * - `request`: the request `sync` started for it, which the coordinator answered;
 * - `incremental`: after 5 users change, an incremental from the full sync's watermark;
 * - `coordinator`: the org's coordinator that ran both (still running: a partial history);
 * - `failed`: a full sync whose token is revoked after its first delivered page.
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import { followSync, startSync } from '../../src/cli/sync-runner';
import { coordinatorWorkflowId } from '../../src/contract';
import { OktaSimulator } from '../../src/simulator';
import { GENEROUS_LIMITS, waitForParts } from '../support/fault-harness';
import { fetchChain, saveScenario } from '../support/recorded-histories';
import { inProcessWorker, temporalClient, testEnv } from '../support/sync-harness';

jest.setTimeout(180_000);

const record = process.env.RECORD_HISTORIES === '1';
const TOKEN = 'record-token';
// Small: 3 pages of 200 users, one page per run, so each fixture stays a few tens of KB.
const TENANT = { users: 450, groups: 30, token: TOKEN, rateLimits: GENEROUS_LIMITS };
const ENV = { OKTA_OCSF_PAGES_PER_RUN: '1' };

(record ? describe : describe.skip)('record histories for the replay tests', () => {
  test('full (continue-as-new), incremental and coordinator', async () => {
    const sim = await OktaSimulator.start({ ...TENANT, seed: 151 });
    const t = await testEnv(sim.url, TOKEN, ENV);
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const runs: Record<string, History[]> = {};
      for (const mode of ['full', 'incremental'] as const) {
        if (mode === 'incremental') sim.tenant.mutate({ update: 3, create: 1, deprovision: 1 });
        const started = await startSync(client, t.config, mode);
        const summary = await followSync(started.handle, started.workflowId, { pollMs: 200 });
        expect(summary).toMatchObject({ status: 'completed', effectiveMode: mode });
        runs[mode] = await fetchChain(client, summary.child!.workflowId, summary.child!.firstRunId);
        if (mode === 'full') {
          runs.request = await fetchChain(client, started.workflowId, started.runId!);
        }
      }
      expect(runs.full!.length).toBeGreaterThan(1); // it did continue as new
      const coordinator = await client.workflow
        .getHandle(coordinatorWorkflowId(sim.url, t.taskQueue))
        .fetchHistory();
      await saveScenario('full', runs.full!);
      await saveScenario('request', runs.request!);
      await saveScenario('incremental', runs.incremental!);
      await saveScenario('coordinator', [coordinator]);
    } finally {
      await close();
      await w.stop();
      await sim.close();
    }
  });

  test('failed: the token revoked after the first delivered page', async () => {
    const sim = await OktaSimulator.start({ ...TENANT, seed: 152, latencyMs: 20 });
    const t = await testEnv(sim.url, TOKEN, ENV);
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const started = await startSync(client, t.config, 'full');
      const summaryPromise = followSync(started.handle, started.workflowId, { pollMs: 200 });
      await waitForParts(t.outDir, 1, 60_000);
      sim.setToken('rotated-token');
      const summary = await summaryPromise;
      expect(summary.status).toBe('failed');
      const child = summary.child!;
      await saveScenario('failed', await fetchChain(client, child.workflowId, child.firstRunId));
    } finally {
      await close();
      await w.stop();
      await sim.close();
    }
  });
});
