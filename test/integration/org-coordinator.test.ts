/**
 * Issue 13, "A coordinator per org" (src/workflows/org-coordinator.ts): one sync of an org runs
 * at a time whoever starts it, as a child workflow of the org's coordinator; a child that ends
 * in any way frees the slot at once; and the incremental watermark lives in the coordinator,
 * not in visibility or retention.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { followSync, startSync } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import {
  coordinatorStateQuery,
  coordinatorWorkflowId,
  SYNC_WORKFLOW_TYPE,
  syncChildWorkflowId,
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

      // Both executions of the previous sync: the request and the child that ran it.
      const fullChild = fullResult.child!.workflowId;
      for (const id of [full.workflowId, fullChild]) {
        await temporalCli(['workflow', 'delete', '--workflow-id', id]);
      }
      await eventually(
        async () =>
          (
            await Promise.all(
              [full.workflowId, fullChild].map((id) =>
                client.workflow
                  .getHandle(id)
                  .describe()
                  .then(
                    () => false,
                    (e: unknown) => e instanceof WorkflowNotFoundError,
                  ),
              ),
            )
          ).every(Boolean),
        // The server deletes in the background; on a loaded machine that takes tens of seconds.
        90_000,
        'the full sync executions to be deleted',
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
        expect(r.child).toBeUndefined(); // no child was started for it
      }
      // The one that ran did so as the coordinator's child, not in the request's own execution.
      const child = await client.workflow.getHandle(ran[0]!.child!.workflowId).describe();
      expect(child.type).toBe(SYNC_WORKFLOW_TYPE);
      expect(child.parentExecution?.workflowId).toBe(coordinatorWorkflowId(sim.url, t.taskQueue));
      expect(child.status.name).toBe('COMPLETED');
      const state = await client.workflow
        .getHandle(coordinatorWorkflowId(sim.url, t.taskQueue))
        .query(coordinatorStateQuery);
      expect(state.running).toBeNull();
      expect(state.queue).toEqual([]);
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

  test('a terminated child frees the slot at once: the next request runs without waiting', async () => {
    // Slow enough that the full sync is still running when its child is terminated.
    const slow = await OktaSimulator.start({
      users: 400,
      groups: 40,
      seed: 18,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
      latencyMs: 200,
    });
    const t = await testEnv(slow.url, TOKEN);
    const w = await inProcessWorker(t.config);
    try {
      const coordinator = client.workflow.getHandle(coordinatorWorkflowId(slow.url, t.taskQueue));
      const full = await startSync(client, t.config, 'full');
      let childId = '';
      await eventually(
        () =>
          coordinator.query(coordinatorStateQuery).then(
            (s) => ((childId = s.running?.child?.workflowId ?? ''), childId !== ''),
            () => false,
          ),
        30_000,
        'the full sync to run as the coordinator’s child',
      );
      expect(childId).toBe(syncChildWorkflowId(full.workflowId));
      await client.workflow.getHandle(childId).terminate('operator stops the sync');

      // The request ends failed, saying what happened to its sync.
      await expect(full.handle.result()).rejects.toThrow();
      const failed = await followSync(full.handle, full.workflowId);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/ended without a result/);
      // The coordinator learnt it from Temporal (no probe, no timeout): the slot is free.
      const freed = await coordinator.query(coordinatorStateQuery);
      expect(freed.running).toBeNull();

      // A full request right after runs at once (a held slot would have queued or refused it).
      const t0 = Date.now();
      const again = await startSync(client, t.config, 'full');
      await eventually(
        () =>
          coordinator.query(coordinatorStateQuery).then(
            (s) => s.running?.workflowId === again.workflowId && s.running.child !== null,
            () => false,
          ),
        30_000,
        'the next request to run',
      );
      expect(Date.now() - t0).toBeLessThan(30_000);
      const result = (await again.handle.result()) as SyncResult;
      expect(result.status).toBe('completed');
      expect(result.totals.events).toBe(
        slow.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED').length,
      );
    } finally {
      await w.stop();
      await slow.close();
    }
  });
});
