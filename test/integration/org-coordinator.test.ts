/**
 * Issue 13, "A coordinator per org" (src/workflows/org-coordinator.ts): one sync of an org runs
 * at a time whoever starts it, and the incremental watermark lives in the coordinator, not in
 * visibility or retention.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { startSync } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import {
  coordinatorStateQuery,
  coordinatorWorkflowId,
  SYNC_WORKFLOW_TYPE,
  syncWorkflowId,
  type OktaSyncWorkflow,
} from '../../src/contract';
import type { SyncInput, SyncResult } from '../../src/sync/types';
import { GENEROUS_LIMITS } from '../support/fault-harness';
import {
  eventually,
  inProcessWorker,
  temporalAddress,
  temporalClient,
  testEnv,
} from '../support/sync-harness';

jest.setTimeout(300_000);

const TOKEN = 'coord-it-token';

function temporalCli(args: string[]): Promise<string> {
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run integration tests through jest');
  return new Promise((resolve, reject) => {
    execFile(
      cli,
      [
        ...args,
        '--address',
        temporalAddress(),
        '--namespace',
        'default',
        '--disable-config-file',
        '--disable-config-env',
      ],
      { timeout: 30_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('the org coordinator', () => {
  let sim: OktaSimulator;
  let client: Client;
  let closeClient: () => Promise<void>;
  beforeEach(async () => {
    sim = await OktaSimulator.start({
      users: 400,
      groups: 40,
      seed: 17,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
    });
    ({ client, close: closeClient } = await temporalClient());
  });
  afterEach(async () => {
    await closeClient();
    await sim.close();
  });

  test('the previous sync deleted with `temporal workflow delete`: the next incremental keeps its watermark', async () => {
    const t = await testEnv(sim.url, TOKEN);
    const w = await inProcessWorker(t.config);
    try {
      const full = await startSync(client, t.config, 'full');
      const fullResult = await full.handle.result();
      expect(fullResult.status).toBe('completed');
      expect(fullResult.watermark).not.toBeNull();

      await temporalCli(['workflow', 'delete', '--workflow-id', full.workflowId]);
      await eventually(
        async () =>
          client.workflow
            .getHandle(full.workflowId)
            .describe()
            .then(
              () => false,
              (e: unknown) => e instanceof WorkflowNotFoundError,
            ),
        // The server deletes in the background; on a loaded machine that takes tens of seconds.
        90_000,
        'the full sync execution to be deleted',
      );

      const changed = sim.tenant.mutate({ update: 7, create: 3, deprovision: 2 });
      const inc = await startSync(client, t.config, 'incremental');
      const incResult = await inc.handle.result();
      expect(incResult).toMatchObject({
        status: 'completed',
        effectiveMode: 'incremental',
        previousWatermark: fullResult.watermark,
      });
      // Only the changed users were listed: the watermark really was the full sync's.
      expect(incResult.totals.users).toBe(
        changed.updated.length + changed.created.length + changed.deprovisioned.length,
      );
      const state = await client.workflow
        .getHandle(coordinatorWorkflowId(sim.url, t.taskQueue))
        .query(coordinatorStateQuery);
      expect(state.watermark).toBe(incResult.watermark);
      expect(state.running).toBeNull();
    } finally {
      await w.stop();
    }
  });

  test('incremental syncs started at the same instant (CLI twice, and two scheduled runs): one runs', async () => {
    const t = await testEnv(sim.url, TOKEN);
    const w = await inProcessWorker(t.config);
    try {
      const full = await startSync(client, t.config, 'full');
      await full.handle.result();
      // Enough changes that the incremental still runs when the other requests arrive.
      sim.tenant.mutate({ update: 300, create: 0, deprovision: 0 });

      const input: SyncInput = { orgUrl: sim.url, mode: 'incremental' };
      const base = syncWorkflowId(sim.url, 'incremental');
      // `sync --mode incremental` twice, and two runs as a schedule names them (its id + time).
      const [cli1, cli2, s1, s2] = await Promise.all([
        startSync(client, t.config, 'incremental'),
        startSync(client, t.config, 'incremental'),
        client.workflow.start<OktaSyncWorkflow>(SYNC_WORKFLOW_TYPE, {
          taskQueue: t.taskQueue,
          workflowId: `${base}-2026-11-29T13:00:00Z`,
          args: [input],
        }),
        client.workflow.start<OktaSyncWorkflow>(SYNC_WORKFLOW_TYPE, {
          taskQueue: t.taskQueue,
          workflowId: `${base}-2026-11-29T13:00:01Z`,
          args: [input],
        }),
      ]);
      // The two CLI calls meet on the stable workflow id: the second attaches to the first.
      expect([cli1.attached, cli2.attached].sort()).toEqual([false, true]);
      const results = await Promise.all(
        [cli1.handle, s1, s2].map((h) => h.result() as Promise<SyncResult>),
      );
      const ran = results.filter((r) => r.status === 'completed');
      const skipped = results.filter((r) => r.status === 'skipped');
      expect(ran).toHaveLength(1);
      expect(skipped).toHaveLength(2);
      for (const r of skipped) {
        expect(r.lastError).toMatch(/another incremental sync of this org is running or queued/);
      }
    } finally {
      await w.stop();
    }
  });

  test('a full resync asked for while an incremental runs is queued and runs after it', async () => {
    const t = await testEnv(sim.url, TOKEN);
    const w = await inProcessWorker(t.config);
    try {
      const inc = await startSync(client, t.config, 'incremental'); // no watermark yet: runs full
      const coordinator = client.workflow.getHandle(coordinatorWorkflowId(sim.url, t.taskQueue));
      await eventually(
        () =>
          coordinator.query(coordinatorStateQuery).then(
            (s) => s.running?.mode === 'incremental',
            () => false,
          ),
        30_000,
        'the incremental sync to hold the slot',
      );
      const full = await startSync(client, t.config, 'full');
      const [incResult, fullResult] = (await Promise.all([
        inc.handle.result(),
        full.handle.result(),
      ])) as [SyncResult, SyncResult];
      expect(incResult.status).toBe('completed');
      expect(fullResult.status).toBe('completed');
      // One at a time: the full one started after the incremental one finished.
      expect(Date.parse(fullResult.startedAt)).toBeGreaterThanOrEqual(
        Date.parse(incResult.finishedAt),
      );
    } finally {
      await w.stop();
    }
  });
});
