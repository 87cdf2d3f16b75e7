/**
 * Issue 13, "Bounded failure": a failure that retrying cannot fix ends the sync within a bounded
 * time, with its message in the summary (`sync --wait`'s, built by followSync) and in the
 * workflow's failure (what the Temporal UI shows) — never an endless retry.
 *
 * - A staged file corrupted on disk between two attempts of a page's delivery: the next attempt
 *   meets StagingCorruptError, `fatal` in the error table, and the sync fails at once.
 * - A sink that throws an error of a type the error table does not know on every attempt: it is
 *   tried exactly BOUNDED_ATTEMPTS times per page, then the sync fails.
 *
 * The worker runs in this process so that the test can give it such a sink (a wrapper around
 * the real file sink); Temporal and the Okta simulator are the real ones.
 */
import type { Client } from '@temporalio/client';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { followSync, startSync, type SyncSummary } from '../../src/cli/sync-runner';
import { BOUNDED_ATTEMPTS } from '../../src/contract/error-table';
import { OktaSimulator } from '../../src/simulator';
import { createSink } from '../../src/sinks/sink-config';
import { SinkTransientError, type Delivery, type EventSink } from '../../src/sinks/sink';
import { orgKey } from '../../src/sync/naming';
import { createSyncWorker, installRuntime } from '../../src/worker';
import { GENEROUS_LIMITS } from '../support/fault-harness';
import { temporalClient, testEnv, workflowBundle, type TestEnv } from '../support/sync-harness';

jest.setTimeout(120_000);

const TOKEN = 'bounded-it-token';
/** Far more than a failing sync needs here (seconds), far less than an endless retry. */
const BOUND_MS = 60_000;

/** A sink that lets `misbehave` act on each delivery before the real file sink gets it. */
function wrappedSink(
  real: EventSink,
  misbehave: (d: Delivery, attempt: number) => Promise<void>,
): { sink: EventSink; attempts: Map<string, number> } {
  const attempts = new Map<string, number>();
  const sink: EventSink = {
    kind: real.kind,
    async deliver(d, opts) {
      const n = (attempts.get(d.partId) ?? 0) + 1;
      attempts.set(d.partId, n);
      await misbehave(d, n);
      return real.deliver(d, opts);
    },
    close: () => real.close(),
  };
  return { sink, attempts };
}

async function runWithSink(
  t: TestEnv,
  sink: EventSink,
  client: Client,
): Promise<{ summary: SyncSummary; elapsedMs: number; uiFailure: string }> {
  installRuntime('WARN'); // the worker's INFO logs would bury jest's output
  const worker = await createSyncWorker(t.config, { workflowBundle: await workflowBundle(), sink });
  const running = worker.run();
  try {
    const t0 = Date.now();
    const started = await startSync(client, t.config, 'full');
    const summary = await followSync(started.handle, started.workflowId);
    const elapsedMs = Date.now() - t0;
    // What the Temporal UI shows for the execution: its WorkflowExecutionFailed event.
    const history = await started.handle.fetchHistory();
    const failed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes);
    const uiFailure = failed?.workflowExecutionFailedEventAttributes?.failure?.message ?? '';
    return { summary, elapsedMs, uiFailure };
  } finally {
    worker.shutdown();
    await running;
    await worker.close();
  }
}

describe('bounded failure', () => {
  let sim: OktaSimulator;
  let client: Client;
  let closeClient: () => Promise<void>;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 600,
      groups: 60,
      seed: 13,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
    });
    ({ client, close: closeClient } = await temporalClient());
  });
  afterAll(async () => {
    await closeClient();
    await sim.close();
  });

  test('a staged file corrupted on disk fails the sync at once, saying which file', async () => {
    const t = await testEnv(sim.url, TOKEN);
    let corrupted = '';
    const { sink, attempts } = wrappedSink(createSink(t.config.sink!), async (d, attempt) => {
      if (d.partId !== 'page-000002' || attempt !== 1) return;
      // Between this attempt and the next one, a staged file of the page goes bad on disk.
      corrupted = path.join(t.stateDir, orgKey(sim.url), d.syncId, d.partId, 'factors.json');
      await fs.writeFile(corrupted, '{"results": {"00u');
      throw new SinkTransientError('receiver hiccup (test)');
    });
    const { summary, elapsedMs, uiFailure } = await runWithSink(t, sink, client);

    expect(summary.status).toBe('failed');
    expect(summary.error).toContain(`staged file ${corrupted} is corrupt`);
    expect(uiFailure).toContain(`staged file ${corrupted} is corrupt`);
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    // Fatal: no retry after the attempt that met the corrupt file.
    expect(attempts.get('page-000002')).toBe(1);
  });

  test(`an unknown error on every attempt is tried ${BOUNDED_ATTEMPTS} times, then fails the sync`, async () => {
    const t = await testEnv(sim.url, TOKEN);
    const { sink, attempts } = wrappedSink(createSink(t.config.sink!), async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'uid') (test)");
    });
    const { summary, elapsedMs, uiFailure } = await runWithSink(t, sink, client);

    expect(summary.status).toBe('failed');
    expect(summary.error).toContain("Cannot read properties of undefined (reading 'uid') (test)");
    expect(summary.error).toContain(`gave up after attempt ${BOUNDED_ATTEMPTS}`);
    expect(uiFailure).toContain("Cannot read properties of undefined (reading 'uid') (test)");
    expect(summary.events).toBe(0);
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    // Every page that reached delivery was tried exactly the bounded number of times.
    expect(attempts.size).toBeGreaterThanOrEqual(1);
    for (const n of attempts.values()) expect(n).toBe(BOUNDED_ATTEMPTS);
  });
});
