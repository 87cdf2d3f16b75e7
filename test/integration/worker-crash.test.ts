/**
 * Issue 5: the worker is SIGKILLed twice during a sync of a 3,000-user tenant — no graceful
 * shutdown, no flushed state, activities cut off mid-request — and a new worker process takes
 * over each time. The sync completes and its output is exactly the fault-free one: one event
 * per non-deprovisioned user, none missing, none twice, each equal to the mapping of the tenant.
 *
 * The workers are `okta-ocsf worker` child processes sharing one environment (and so one
 * OKTA_OCSF_STATE_DIR), as a supervisor would restart them.
 */
import * as path from 'node:path';
import { followSync, startSync } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import {
  GENEROUS_LIMITS,
  ProgressRecorder,
  WorkerPool,
  deliveredParts,
  expectFaultFreeOutput,
  pollUntil,
  timeline,
  waitForParts,
} from '../support/fault-harness';
import { inProcessWorker, temporalClient, testEnv } from '../support/sync-harness';

jest.setTimeout(180_000);

describe('worker crashes during a sync', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 3000,
      groups: 300,
      seed: 11,
      token: 'crash-token',
      rateLimits: GENEROUS_LIMITS,
      // Slow enough that the sync is still running when the test kills its workers.
      latencyMs: 10,
    });
  });
  afterAll(async () => sim.close());

  test('two SIGKILLs mid-sync, then a new worker: complete, nothing missing, nothing twice', async () => {
    // 15 pages at 5 per run: the crashes also straddle continue-as-new.
    const t = await testEnv(sim.url, 'crash-token', { OKTA_OCSF_PAGES_PER_RUN: '5' });
    const workers = new WorkerPool(t.env, path.join(path.dirname(t.outDir), 'workers.log'));
    const { client, close } = await temporalClient();
    let progress: ProgressRecorder | undefined;
    try {
      const mark = timeline('worker-crash');
      const first = workers.start();
      const started = await startSync(client, t.config, 'full');
      progress = new ProgressRecorder(started.handle);
      const summaryPromise = followSync(started.handle, started.workflowId);
      const totalParts = Math.ceil(
        sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED').length / 200,
      );

      // Crash 1: some pages delivered, the rest still to come.
      const atFirstKill = await waitForParts(t.outDir, 3, 180_000); // after the index build
      expect(atFirstKill).toBeLessThan(totalParts);
      mark(`kill 1 at ${atFirstKill} parts`);
      await workers.kill(first);
      const second = workers.start();

      // Crash 2: later, once the replacement has delivered pages of its own (counted from the
      // moment the first worker was gone: it may have finished a part while being killed).
      const afterFirstKill = await deliveredParts(t.outDir);
      const atSecondKill = await waitForParts(t.outDir, afterFirstKill + 3, 90_000);
      expect(atSecondKill).toBeLessThan(totalParts);
      mark(`kill 2 at ${atSecondKill} parts`);
      await workers.kill(second);
      workers.start();

      const summary = await summaryPromise;
      mark(`done: ${summary.status}, ${summary.events} events`);
      await progress.stop();
      expect(summary).toMatchObject({ status: 'completed', error: null });
      expect(workers.started).toBe(3);

      const events = await expectFaultFreeOutput(sim, t.outDir);
      expect(await deliveredParts(t.outDir)).toBe(totalParts);
      expect(summary.users).toBe(events.length);
      expect(summary.events).toBe(events.length);
      expect(summary.fallbacks).toBe(0);
      expect(summary.skipped).toBe(0);
      expect(summary.runs).toBe(3);
      progress.expectSane(events.length);
    } finally {
      await progress?.stop();
      await workers.stopAll();
      await close();
    }
  });
});

/**
 * The other side of a short heartbeat timeout: a worker that is alive but waiting on a slow
 * Okta answer (longer than the 10 s heartbeat timeout, well within the client's 30 s request
 * timeout) must not be taken for a dead one — before the liveness heartbeat, such an activity
 * was timed out and retried, and a page that always answers that slowly never completed.
 */
describe('a live worker waiting on a slow Okta', () => {
  const SLOWER_THAN_HEARTBEAT_TIMEOUT_MS = 12_000;
  let sim: OktaSimulator;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 3,
      groups: 2,
      heavyUserGroups: 1,
      seed: 3,
      token: 'slow-token',
      rateLimits: GENEROUS_LIMITS,
      // The first request (the listing) is slow; the faults are cleared once it has arrived.
      faults: { rateSlow: 1, slowMs: SLOWER_THAN_HEARTBEAT_TIMEOUT_MS },
    });
  });
  afterAll(async () => sim.close());

  test('is not timed out: every activity completes on its first attempt', async () => {
    // Per-user enrichment: its first Okta request is the listing, alone. A bulk full sync starts
    // with two requests at once (groups and role assignees), and both could be drawn slow.
    const t = await testEnv(sim.url, 'slow-token', { OKTA_OCSF_ENRICHMENT: 'per-user' });
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const started = await startSync(client, t.config, 'full');
      // The simulator draws a request's faults as it arrives: the listing stays slow.
      await pollUntil(() => sim.stats().maxInFlight >= 1, 60_000, 'the first Okta request');
      sim.setFaults({});
      const summary = await followSync(started.handle, started.workflowId);
      expect(summary).toMatchObject({ status: 'completed', error: null });
      await expectFaultFreeOutput(sim, t.outDir);
      const stats = sim.stats();
      expect(stats.faultsInjected.slow).toBe(1);

      // The sync's activities are in its child's history (the request only asked the coordinator).
      const history = await client.workflow.getHandle(summary.child!.workflowId).fetchHistory();
      const attempts = (history.events ?? [])
        .map((e) => e.activityTaskStartedEventAttributes?.attempt)
        .filter((a): a is number => typeof a === 'number');
      expect(attempts.length).toBeGreaterThanOrEqual(7); // begin, list, 4 enrichments, deliver, finish
      expect(attempts.every((a) => a === 1)).toBe(true);
      // Nothing was asked twice: the listing was not repeated by a second attempt.
      expect(stats.byEndpoint['GET /api/v1/users']).toBe(1);
      expect(stats.byStatus['200']).toBe(summary.apiCalls);
    } finally {
      await close();
      await w.stop();
    }
  });
});
