/**
 * Issue 13, part 3: replicas that share no disk. Two `okta-ocsf worker` processes on one task
 * queue, each with its own OKTA_OCSF_STATE_DIR, sync a seeded tenant; the worker holding the page
 * in flight is SIGKILLed twice (a replacement starts after the first kill). The sync completes
 * with exactly the tenant's events, without waiting on the dead workers beyond the placement
 * bounds, and the Okta calls it repeats — compared with an undisturbed run of the same tenant —
 * are those of the pages that were in flight.
 */
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { followSync, startSync } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import type { SimulatorStats } from '../../src/simulator/stats';
import {
  GENEROUS_LIMITS,
  WorkerPool,
  deliveredParts,
  expectFaultFreeOutput,
  timeline,
  waitForParts,
} from '../support/fault-harness';
import { sleep, temporalClient, testEnv, type TestEnv } from '../support/sync-harness';
import { stagedPages } from '../support/worker-staging';

jest.setTimeout(240_000);

const USERS = 1200;
const PAGE_SIZE = 200;
const PAGE_CONCURRENCY = 2;
/** Per-user Okta reads of a page: what a lost page costs again, per user it lists. */
const PER_USER_ENDPOINTS = [
  'GET /api/v1/users/{id}/groups',
  'GET /api/v1/users/{id}/factors',
  'GET /api/v1/users/{id}/roles',
];
const LISTING = 'GET /api/v1/users';

/** One child worker per replica, each with a state folder of its own (no shared disk). */
class Replicas {
  private readonly pools: Array<{ pool: WorkerPool; child: ChildProcess; stateDir: string }> = [];
  constructor(private readonly t: TestEnv) {}

  start(): ChildProcess {
    const n = this.pools.length + 1;
    const stateDir = `${this.t.stateDir}-replica-${n}`;
    const env = { ...this.t.env, OKTA_OCSF_STATE_DIR: stateDir };
    const pool = new WorkerPool(env, path.join(path.dirname(this.t.outDir), `replica-${n}.log`));
    const child = pool.start();
    this.pools.push({ pool, child, stateDir });
    return child;
  }

  get started(): number {
    return this.pools.length;
  }

  /**
   * The live replica doing the work: one holding the staging of a page whose part is not
   * delivered yet (a page in flight). Polled, bounded.
   */
  async doingWork(outDir: string): Promise<{ child: ChildProcess; page: number }> {
    const end = Date.now() + 60_000;
    for (;;) {
      const delivered = await deliveredPages(outDir);
      for (const r of this.pools) {
        if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
        const inFlight = (await stagedPages(r.stateDir)).filter((p) => !delivered.has(p));
        if (inFlight.length > 0) return { child: r.child, page: Math.max(...inFlight) };
      }
      if (Date.now() > end) throw new Error('no live replica holds a page in flight');
      await sleep(20);
    }
  }

  async kill(child: ChildProcess): Promise<void> {
    const r = this.pools.find((p) => p.child === child)!;
    await r.pool.kill(child);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.pool.stopAll()));
  }
}

/** Page numbers of the parts the file sink has delivered (`<outDir>/<sync>/page-N.ndjson`). */
async function deliveredPages(outDir: string): Promise<Set<number>> {
  const pages = new Set<number>();
  for (const d of await fs.readdir(outDir).catch(() => [] as string[])) {
    for (const f of await fs.readdir(path.join(outDir, d)).catch(() => [] as string[])) {
      const m = /^page-(\d+)\.ndjson$/.exec(f);
      if (m) pages.add(Number(m[1]));
    }
  }
  return pages;
}

function callsOf(s: SimulatorStats, endpoint: string): number {
  return s.byEndpoint[endpoint] ?? 0;
}

describe('replicas without a shared disk', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: USERS,
      groups: 120,
      seed: 13,
      token: 'replica-token',
      rateLimits: GENEROUS_LIMITS,
      // Slow enough that pages are in flight when the test kills their worker.
      latencyMs: 15,
    });
  });
  afterAll(async () => sim.close());

  test('two SIGKILLs of the worker doing the work: exact output, bounded wait, bounded repeats', async () => {
    // Per-user enrichment: what a lost page costs is then the page's own calls (the bulk
    // strategy's index is per worker too: see README, "Workers share no disk").
    const extra = {
      OKTA_OCSF_PAGES_PER_RUN: '3',
      OKTA_OCSF_PAGE_CONCURRENCY: String(PAGE_CONCURRENCY),
      OKTA_OCSF_ENRICHMENT: 'per-user',
    };
    const { client, close } = await temporalClient();
    const undisturbed = await testEnv(sim.url, 'replica-token', extra);
    const disturbed = await testEnv(sim.url, 'replica-token', extra);
    const calm = new Replicas(undisturbed);
    const replicas = new Replicas(disturbed);
    const pages = Math.ceil(USERS / PAGE_SIZE);
    try {
      const mark = timeline('worker-replicas');
      // The undisturbed run: the same two replicas, nobody killed.
      calm.start();
      calm.start();
      sim.resetStats();
      const base = await startSync(client, undisturbed.config, 'full');
      const baseSummary = await followSync(base.handle, base.workflowId);
      expect(baseSummary).toMatchObject({ status: 'completed', error: null });
      await expectFaultFreeOutput(sim, undisturbed.outDir);
      const baseline = sim.stats();
      await calm.stopAll();
      mark(`undisturbed: ${baseline.requests} requests`);

      replicas.start();
      replicas.start();
      sim.resetStats();
      const started = await startSync(client, disturbed.config, 'full');
      const summaryPromise = followSync(started.handle, started.workflowId);

      // Kill 1: a part delivered, pages still to come; the worker holding the page in flight.
      await waitForParts(disturbed.outDir, 1, 120_000);
      const first = await replicas.doingWork(disturbed.outDir);
      const partsAtFirstKill = await deliveredParts(disturbed.outDir);
      expect(partsAtFirstKill).toBeLessThan(pages);
      mark(`kill 1 at ${partsAtFirstKill} parts, page ${first.page} in flight`);
      await replicas.kill(first.child);
      replicas.start();

      // Kill 2: once more pages were delivered since, again the worker doing the work.
      await waitForParts(disturbed.outDir, partsAtFirstKill + 1, 120_000);
      const second = await replicas.doingWork(disturbed.outDir);
      const partsAtSecondKill = await deliveredParts(disturbed.outDir);
      expect(partsAtSecondKill).toBeLessThan(pages);
      mark(`kill 2 at ${partsAtSecondKill} parts, page ${second.page} in flight`);
      await replicas.kill(second.child);
      const secondKillAt = Date.now();

      const summary = await summaryPromise;
      const afterSecondKillMs = Date.now() - secondKillAt;
      mark(
        `done ${afterSecondKillMs} ms after kill 2: ${summary.status}, ${summary.events} events`,
      );
      expect(summary).toMatchObject({ status: 'completed', error: null });
      expect(replicas.started).toBe(3);

      // Exact: every user once, equal to the tenant's mapping; one part per page.
      const events = await expectFaultFreeOutput(sim, disturbed.outDir);
      expect(summary.events).toBe(events.length);
      expect(summary.fallbacks).toBe(0);

      // Bounded wait for the dead worker: its heartbeat timeout (10 s), then its queue's
      // schedule-to-start bound (20 s) per lost page, and the remaining pages' own work (the
      // undisturbed run took baseSummary's time for all of them).
      expect(afterSecondKillMs).toBeLessThan(baseSummary.durationMs + 60_000);

      // The calls repeated are those of the pages in flight at each kill (at most
      // PAGE_CONCURRENCY pages and the listing of the next), not the sync's.
      const stats = sim.stats();
      const inFlightPerKill = PAGE_CONCURRENCY + 1;
      const repeatedListings = callsOf(stats, LISTING) - callsOf(baseline, LISTING);
      // Each kill lost a page in flight, which was listed again elsewhere.
      expect(repeatedListings).toBeGreaterThanOrEqual(2);
      expect(repeatedListings).toBeLessThanOrEqual(2 * inFlightPerKill);
      const repeated: Record<string, number> = { [LISTING]: repeatedListings };
      for (const endpoint of PER_USER_ENDPOINTS) {
        const n = callsOf(stats, endpoint) - callsOf(baseline, endpoint);
        repeated[endpoint] = n;
        expect(n).toBeLessThanOrEqual(2 * inFlightPerKill * PAGE_SIZE);
      }
      mark(
        `repeated calls: ${JSON.stringify(repeated)}; total ${stats.requests} vs ` +
          `${baseline.requests} undisturbed`,
      );
    } finally {
      await replicas.stopAll();
      await calm.stopAll();
      await close();
    }
  });
});
