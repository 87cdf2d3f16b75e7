/**
 * Issue 8: during one sync of a 3,000-user tenant the worker is SIGKILLed three times and the
 * Temporal server itself is stopped and started again on the same SQLite file. The sync
 * completes with exactly the fault-free output: one event per non-deprovisioned user, none
 * missing, none twice, each equal to the mapping of the tenant.
 *
 * The server is a dedicated dev server (not the suite's shared one, which other test files use
 * at the same time). The worker running when the server goes away is NOT restarted: the test
 * checks that it reconnects by itself (it is still alive after the restart, and pages are
 * delivered while it is the only worker), because that is what an operator's worker must do
 * when the Temporal service restarts or fails over — nobody restarts workers for it.
 */
import { Client, Connection } from '@temporalio/client';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { followSync, startSync } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import { freePort, startDevServer, type DevServer } from '../../src/devtools/temporal-dev-server';
import {
  GENEROUS_LIMITS,
  ProgressRecorder,
  WorkerPool,
  deliveredParts,
  expectFaultFreeOutput,
  timeline,
  waitForParts,
} from '../support/fault-harness';
import { tempDir, testEnv } from '../support/sync-harness';

jest.setTimeout(240_000);

describe('worker crashes and a Temporal server restart during one sync', () => {
  let sim: OktaSimulator;
  let dir: string;
  let port: number;
  let server: DevServer | undefined;

  beforeAll(async () => {
    dir = await tempDir('restart');
    port = await freePort();
    server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.db') });
    sim = await OktaSimulator.start({
      users: 3000,
      groups: 300,
      seed: 23,
      token: 'restart-token',
      rateLimits: GENEROUS_LIMITS,
      // Slow enough that the sync is still running through every fault below.
      latencyMs: 10,
    });
  });
  afterAll(async () => {
    await sim?.close();
    await server?.stop();
    // Traced runs keep the server and worker logs for reading.
    if (process.env.OKTA_OCSF_TEST_TRACE) process.stderr.write(`[server-restart] logs in ${dir}\n`);
    else await fs.rm(dir, { recursive: true, force: true });
  });

  test('three SIGKILLs and one server stop/start: complete, nothing missing, nothing twice', async () => {
    const t = await testEnv(sim.url, 'restart-token', {
      TEMPORAL_ADDRESS: server!.address,
      OKTA_OCSF_PAGES_PER_RUN: '5',
    });
    const workers = new WorkerPool(t.env, path.join(dir, 'workers.log'));
    const connection = await Connection.connect({ address: server!.address });
    const client = new Client({ connection });
    let progress: ProgressRecorder | undefined;
    try {
      const totalParts = Math.ceil(
        sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED').length / 200,
      );
      const mark = timeline('server-restart');
      let worker = workers.start();
      const started = await startSync(client, t.config, 'full');
      progress = new ProgressRecorder(started.handle);

      // Two crashes, each once the current worker has delivered pages of its own.
      // (Counted from the moment the previous worker was gone: it may have finished a part
      // while being killed.)
      let parts = 0;
      for (let crash = 1; crash <= 2; crash++) {
        parts = await waitForParts(t.outDir, parts + 2, 90_000);
        expect(parts).toBeLessThan(totalParts);
        mark(`kill ${crash} at ${parts} parts`);
        await workers.kill(worker);
        worker = workers.start();
        parts = await deliveredParts(t.outDir);
      }

      // The server goes away under the running worker, and comes back on the same database.
      parts = await waitForParts(t.outDir, parts + 2, 90_000);
      expect(parts).toBeLessThan(totalParts);
      mark(`server stop at ${parts} parts`);
      await server!.stop();
      mark('server stopped');
      server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.db') });
      // Parts can still land while the server is away (deliveries already handed out finish);
      // counting from here, every new part is a task the worker polled from the new server.
      const atRestart = await deliveredParts(t.outDir);
      mark(`server started again at ${atRestart} parts`);

      // The same worker process carries on: it reconnected without a restart.
      const afterRestart = await waitForParts(t.outDir, atRestart + 2, 90_000);
      expect(worker.exitCode).toBeNull();
      expect(worker.signalCode).toBeNull();
      expect(workers.started).toBe(3);
      expect(afterRestart).toBeLessThan(totalParts);

      // Crash 3, after the restart.
      mark(`kill 3 at ${afterRestart} parts`);
      await workers.kill(worker);
      workers.start();

      const summary = await followSync(started.handle, started.workflowId);
      mark(`done: ${summary.status}, ${summary.events} events`);
      await progress.stop();
      expect(summary).toMatchObject({ status: 'completed', error: null });
      expect(workers.started).toBe(4);

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
      await connection.close();
    }
  });
});
