/**
 * Issue 6: `okta-ocsf schedule …` as operators run it (the built CLI as child processes) against
 * the real dev server. Schedules get names an operator recognises, skip a run while the previous
 * one runs, run a sync to completion when triggered, start nothing while paused, and go away on
 * delete; bad intervals are refused with exit 2 and a message naming the option.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { OktaSimulator } from '../../src/simulator';
import { orgKey, scheduleId, SYNC_WORKFLOW_TYPE, syncWorkflowId } from '../../src/contract';
import type { SyncResult } from '../../src/sync/types';
import { cliOk, runCli } from '../support/run-cli';
import {
  eventually,
  inProcessWorker,
  readEvents,
  sleep,
  temporalClient,
  testEnv,
  type TestEnv,
} from '../support/sync-harness';
import { GENEROUS_LIMITS } from '../support/fault-harness';

// Each triggered run is a request, the coordinator and its child sync: several workflow tasks,
// seconds each on a loaded runner; the bound only keeps a stuck schedule from hanging the suite.
jest.setTimeout(240_000);

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

async function describeOrNull(client: Client, id: string) {
  try {
    return await client.schedule.getHandle(id).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

/** Workflow ids of this org's syncs in the given state, from Temporal's visibility. */
async function syncIds(client: Client, orgUrl: string, status: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({
    query: `WorkflowId STARTS_WITH 'okta-ocsf-sync-${orgKey(orgUrl)}-' AND ExecutionStatus = '${status}'`,
  })) {
    ids.push(wf.workflowId);
  }
  return ids;
}

describe('okta-ocsf schedule', () => {
  let sim: OktaSimulator;
  let client: Client;
  let closeClient: () => Promise<void>;
  let t: TestEnv;

  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 250,
      groups: 20,
      seed: 11,
      token: 'sched-token',
      rateLimits: GENEROUS_LIMITS,
    });
    t = await testEnv(sim.url, 'sched-token');
    ({ client, close: closeClient } = await temporalClient());
  });

  afterAll(async () => {
    // Leave the shared dev server as we found it, whatever the tests did.
    for (const mode of ['incremental', 'full'] as const) {
      await client.schedule
        .getHandle(scheduleId(sim.url, mode))
        .delete()
        .catch(() => {});
    }
    await closeClient();
    await sim.close();
  });

  test('bad intervals exit 2 naming the option and create nothing; --every alone creates only the incremental schedule', async () => {
    const typo = await runCli(['schedule', 'create', '--every', '5x'], t.env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--every');
    expect(typo.stderr).toContain('"5x"');

    const missing = await runCli(['schedule', 'create'], t.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--every');

    const tooShort = await runCli(
      ['schedule', 'create', '--every', '1h', '--full-every', '0s'],
      t.env,
    );
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toContain('--full-every');

    // None of them got as far as Temporal: a half-applied create would leave a schedule here.
    expect(await describeOrNull(client, scheduleId(sim.url, 'incremental'))).toBeNull();
    expect(await describeOrNull(client, scheduleId(sim.url, 'full'))).toBeNull();

    const out = await cliOk(['schedule', 'create', '--every', '1h'], t.env);
    expect(out).toContain(scheduleId(sim.url, 'incremental'));
    expect(await describeOrNull(client, scheduleId(sim.url, 'incremental'))).not.toBeNull();
    expect(await describeOrNull(client, scheduleId(sim.url, 'full'))).toBeNull();

    await cliOk(['schedule', 'delete'], t.env);
    expect(await describeOrNull(client, scheduleId(sim.url, 'incremental'))).toBeNull();
  });

  test('create, trigger (overlap skipped), complete, status, pause, update, unpause, delete', async () => {
    const key = orgKey(sim.url);
    const incId = `okta-ocsf-${key}-incremental`;
    const fullId = `okta-ocsf-${key}-full`;

    // ---- create: operator-recognisable names, SKIP overlap, the intervals asked for
    const created = await cliOk(
      ['schedule', 'create', '--every', '1h', '--full-every', '1d'],
      t.env,
    );
    expect(created).toContain(`created ${incId}`);
    expect(created).toContain(`created ${fullId}`);
    for (const [id, mode, everyMs] of [
      [incId, 'incremental', HOUR_MS],
      [fullId, 'full', DAY_MS],
    ] as const) {
      const d = await client.schedule.getHandle(id).describe();
      expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
      expect(Number(d.spec.intervals?.[0]?.every)).toBe(everyMs);
      expect(d.state.paused).toBe(false);
      expect(d.state.note).toContain(sim.url);
      expect(d.action).toMatchObject({
        workflowType: SYNC_WORKFLOW_TYPE,
        workflowId: syncWorkflowId(sim.url, mode),
        taskQueue: t.taskQueue,
      });
      expect(d.action.args?.[0]).toMatchObject({ orgUrl: sim.url, mode });
    }

    const again = await runCli(['schedule', 'create', '--every', '1h'], t.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists already');

    const described = JSON.parse(await cliOk(['schedule', 'describe', '--json'], t.env)) as Record<
      string,
      Record<string, unknown> | null
    >;
    expect(described.incremental).toMatchObject({
      scheduleId: incId,
      paused: false,
      everyMs: HOUR_MS,
      numActionsTaken: 0,
      recentWorkflowIds: [],
    });
    expect(described.full).toMatchObject({ scheduleId: fullId, paused: false, everyMs: DAY_MS });
    expect((described.incremental?.nextActionTimes as string[]).length).toBeGreaterThan(0);

    // ---- trigger with no worker yet: the first run stays RUNNING, so a second trigger must be
    // skipped by the SKIP overlap policy instead of starting a second sync.
    expect(await cliOk(['schedule', 'trigger'], t.env)).toContain(`triggered ${incId}`);
    const inc = client.schedule.getHandle(incId);
    let firstId = '';
    await eventually(
      async () => {
        const d = await inc.describe();
        firstId = d.info.recentActions[0]?.action.workflow.workflowId ?? '';
        return firstId !== '';
      },
      15_000,
      'the triggered schedule to start a workflow',
    );
    expect(firstId.startsWith(`${syncWorkflowId(sim.url, 'incremental')}-`)).toBe(true);
    expect((await client.workflow.getHandle(firstId).describe()).status.name).toBe('RUNNING');

    await cliOk(['schedule', 'trigger'], t.env);
    await eventually(
      async () => (await inc.describe()).info.numActionsSkippedOverlap === 1,
      15_000,
      'the second trigger to be skipped for overlap',
    );
    expect((await inc.describe()).info.numActionsTaken).toBe(1);

    const w = await inProcessWorker(t.config);
    try {
      // ---- the triggered run completes and delivers every non-deprovisioned user
      const first = await client.workflow.getHandle<() => Promise<SyncResult>>(firstId).result();
      const expected = sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED').length;
      expect(first).toMatchObject({ status: 'completed', effectiveMode: 'full' });
      expect(first.totals.events).toBe(expected);
      expect(first.watermark).not.toBeNull();
      expect((await readEvents(t.outDir)).events.length).toBe(expected);

      const status = JSON.parse(await cliOk(['status', '--json'], t.env)) as {
        syncs: { workflowId: string; status: string; totals: { events: number } | null }[];
      };
      expect(status.syncs).toContainEqual(
        expect.objectContaining({
          workflowId: firstId,
          status: 'COMPLETED',
          totals: expect.objectContaining({ events: expected }),
        }),
      );

      // ---- pause: both schedules, a trigger is refused, and a 1 s interval starts nothing
      const paused = await cliOk(['schedule', 'pause'], t.env);
      expect(paused).toContain(`paused ${incId}`);
      expect(paused).toContain(`paused ${fullId}`);
      expect((await inc.describe()).state.paused).toBe(true);
      expect((await client.schedule.getHandle(fullId).describe()).state.paused).toBe(true);

      const refused = await runCli(['schedule', 'trigger'], t.env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('paused');

      const updated = await cliOk(
        ['schedule', 'update', '--every', '1s', '--full-every', '2d'],
        t.env,
      );
      expect(updated).toContain(`updated ${incId}`);
      expect(updated).toContain(`updated ${fullId}`);
      const afterUpdate = await inc.describe();
      expect(Number(afterUpdate.spec.intervals?.[0]?.every)).toBe(1000);
      expect(afterUpdate.state.paused).toBe(true); // update keeps the pause
      expect(
        Number((await client.schedule.getHandle(fullId).describe()).spec.intervals?.[0]?.every),
      ).toBe(2 * DAY_MS);

      const pausedJson = JSON.parse(await cliOk(['schedule', 'describe', '--json'], t.env)) as {
        incremental: { paused: boolean; everyMs: number; nextActionTimes: string[] };
      };
      expect(pausedJson.incremental).toMatchObject({ paused: true, everyMs: 1000 });
      expect(pausedJson.incremental.nextActionTimes).toEqual([]);
      expect(await cliOk(['schedule', 'describe'], t.env)).toContain('(PAUSED)');

      // Four intervals of 1 s: an unpaused schedule would have started a run by now.
      await sleep(4_000);
      const stillPaused = await inc.describe();
      expect(stillPaused.info.numActionsTaken).toBe(1);
      expect(stillPaused.info.recentActions.map((a) => a.action.workflow.workflowId)).toEqual([
        firstId,
      ]);
      expect(await syncIds(client, sim.url, 'Running')).toEqual([]);

      // ---- unpause: the 1 s schedule runs again, an incremental from the first run's watermark
      expect(await cliOk(['schedule', 'unpause'], t.env)).toContain(`unpaused ${incId}`);
      let secondId = '';
      await eventually(
        async () => {
          const d = await inc.describe();
          secondId = d.info.recentActions[1]?.action.workflow.workflowId ?? '';
          return secondId !== '';
        },
        20_000,
        'the unpaused schedule to start a second run',
      );
      const second = await client.workflow.getHandle<() => Promise<SyncResult>>(secondId).result();
      expect(second).toMatchObject({
        status: 'completed',
        effectiveMode: 'incremental',
        previousWatermark: first.watermark,
      });

      // ---- delete: both schedules go, and later commands say there is nothing to act on
      const deleted = await cliOk(['schedule', 'delete'], t.env);
      expect(deleted).toContain(`deleted ${incId}`);
      expect(deleted).toContain(`deleted ${fullId}`);
      expect(await describeOrNull(client, incId)).toBeNull();
      expect(await describeOrNull(client, fullId)).toBeNull();
      expect(JSON.parse(await cliOk(['schedule', 'describe', '--json'], t.env))).toEqual({
        incremental: null,
        full: null,
      });
      const gone = await runCli(['schedule', 'pause'], t.env);
      expect(gone.code).toBe(2);
      expect(gone.stderr).toContain('no schedule');

      // A run the schedule started just before the delete goes on; let it end before the worker.
      await eventually(
        async () => (await syncIds(client, sim.url, 'Running')).length === 0,
        30_000,
        'scheduled runs started before the delete to finish',
      );
    } finally {
      await w.stop();
    }
  });
});
