/**
 * What the crash, restart and credential fault tests share: the fault-free expectation of a
 * full sync's output (the model is test/integration/full-sync.test.ts), child workers that a
 * test kills and replaces, and a recorder of the `progress` query's answers.
 */
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { validateEvent } from '../../src/ocsf/validate';
import type { OktaSimulator } from '../../src/simulator';
import { querySyncProgress } from '../../src/cli/sync-runner';
import type { OktaSyncWorkflow } from '../../src/contract';
import type { SyncProgress } from '../../src/sync/types';
import { childWorker, readEvents, sleep } from './sync-harness';
import { expectedUserIds, expectTenantOutput, tenantEvent } from './tenant-output';
import { killWorker, stopWorker } from './worker-process';

/**
 * Budgets that do not bind: these tests are about crashes and credentials, not throttling.
 * (The simulator's defaults are Okta-Enterprise-like and would stretch a 3,000-user sync to
 * minutes.)
 */
export const GENEROUS_LIMITS = { 'users-list': 100_000, groups: 100_000, 'api-v1': 100_000 };

/**
 * Asserts the output of a full sync is what a fault-free run delivers (`expectTenantOutput`),
 * one part per page of 200 whatever crashed in between. Returns the events.
 */
export async function expectFaultFreeOutput(
  sim: OktaSimulator,
  outDir: string,
): Promise<UserInventoryInfo[]> {
  const { events, files } = await readEvents(outDir);
  // A retried page replaces its part: never two parts for one page.
  expect(files.length).toBe(Math.ceil(expectedUserIds(sim).length / 200));
  expectTenantOutput(events, sim);
  return events;
}

/** Each event valid and equal to the mapping of the simulator's data for its user. */
export function expectEventsMatchTenant(sim: OktaSimulator, events: UserInventoryInfo[]): void {
  for (const got of events) {
    expect(() => validateEvent(got)).not.toThrow();
    expect(got).toEqual(tenantEvent(sim, got.user.uid, got.time));
  }
}

/**
 * Phase marks of a fault test (kills, restarts, completion), on stderr when OKTA_OCSF_TEST_TRACE
 * is set: what to read when such a test is slow or fails on a loaded machine.
 */
export function timeline(name: string): (what: string) => void {
  const t0 = Date.now();
  const on = Boolean(process.env.OKTA_OCSF_TEST_TRACE);
  return (what) => {
    if (on) process.stderr.write(`[${name}] +${Date.now() - t0} ms: ${what}\n`);
  };
}

/** Number of `*.ndjson` parts the file sink has completed under `outDir` (temporaries excluded). */
export async function deliveredParts(outDir: string): Promise<number> {
  let n = 0;
  let syncDirs: string[];
  try {
    syncDirs = await fs.readdir(outDir);
  } catch {
    return 0;
  }
  for (const d of syncDirs) {
    const entries = await fs.readdir(path.join(outDir, d)).catch(() => [] as string[]);
    n += entries.filter((f) => f.endsWith('.ndjson')).length;
  }
  return n;
}

/** Polls a cheap in-process `check` every few ms (to act at a precise moment); bounded. */
export async function pollUntil(check: () => boolean, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Polls until the file sink holds at least `parts` parts; bounded by `timeoutMs`. */
export async function waitForParts(outDir: string, parts: number, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await deliveredParts(outDir);
    if (n >= parts) return n;
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${parts} parts (have ${n})`);
    }
    await sleep(100);
  }
}

/**
 * Child workers (`okta-ocsf worker`) of one test, all with the same environment and so the same
 * staging folder: what an operator's supervisor does when it restarts a crashed worker.
 */
export class WorkerPool {
  private readonly children: ChildProcess[] = [];
  started = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  start(): ChildProcess {
    const child = childWorker(this.env, this.logFile);
    this.children.push(child);
    this.started += 1;
    return child;
  }

  /**
   * The crash: SIGKILL to the worker's process group, nothing flushed, no graceful shutdown;
   * resolves once it is gone (and fails if anything of its group is left).
   */
  async kill(child: ChildProcess): Promise<void> {
    await killWorker(child);
  }

  /** Stops every child and its group (SIGTERM: the graceful path, then SIGKILL), bounded. */
  async stopAll(): Promise<void> {
    await Promise.all(this.children.map((c) => stopWorker(c)));
  }
}

/**
 * Asks the `progress` query on a timer and keeps every answer, so a test can check the numbers
 * a user watches during a run (and across crashes) only ever go up.
 */
export class ProgressRecorder {
  readonly snapshots: SyncProgress[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(handle: WorkflowHandle<OktaSyncWorkflow>, everyMs = 500) {
    const connection = handle.client.connection;
    this.loop = (async () => {
      while (this.running) {
        try {
          // Bounded by a gRPC deadline, not abandoned: a query to a run whose worker just died
          // may wait for the next one, and a call left retrying after the test closes the
          // connection throws from the client's retry timer and takes the jest worker down.
          // The sync's progress: its request's child (querySyncProgress follows it).
          const p = await connection.withDeadline(Date.now() + 5_000, () =>
            querySyncProgress(handle),
          );
          if (this.running && p) this.snapshots.push(p);
        } catch {
          // Between runs of a continue-as-new chain, or while no worker is up: no answer.
        }
        await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** The counters users watch never go down, and did go up while the sync ran. */
  expectSane(expectedUsers: number): void {
    const running = this.snapshots.filter((p) => p.status === 'running');
    expect(running.length).toBeGreaterThanOrEqual(2);
    const syncIds = new Set(running.map((p) => p.syncId));
    expect(syncIds.size).toBe(1); // one sync, across runs and workers
    for (let i = 1; i < running.length; i++) {
      const a = running[i - 1]!.totals;
      const b = running[i]!.totals;
      expect(b.users).toBeGreaterThanOrEqual(a.users);
      expect(b.events).toBeGreaterThanOrEqual(a.events);
      expect(b.apiCalls).toBeGreaterThanOrEqual(a.apiCalls);
      expect(b.pages).toBeGreaterThanOrEqual(a.pages);
      expect(running[i]!.runNumber).toBeGreaterThanOrEqual(running[i - 1]!.runNumber);
    }
    for (const p of running) {
      const t = p.totals;
      expect(t.events).toBeLessThanOrEqual(t.users);
      expect(t.users).toBeLessThanOrEqual(expectedUsers);
      expect(t.users).toBeLessThanOrEqual(t.pages * 200);
      // Every listed user took at least one call to list (a page of 200 per call).
      expect(t.apiCalls).toBeGreaterThanOrEqual(t.pages);
      expect(p.pagesInFlight).toBeGreaterThanOrEqual(0);
    }
    const first = running[0]!.totals;
    const last = running[running.length - 1]!.totals;
    expect(last.users).toBeGreaterThan(first.users);
    expect(last.events).toBeGreaterThan(first.events);
    expect(last.apiCalls).toBeGreaterThan(first.apiCalls);
  }
}
