/**
 * Issue 7: the benchmark itself works — one scenario on a tiny tenant through the bench's own
 * `runBench`, on the suite's dev server, and the result file has the shape bench/README.md
 * documents, with every figure taken from the run. No timing assertions: speed is measured by
 * `npm run bench`, not judged here.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBench } from '../../bench/run';
import type { BenchResults } from '../../bench/report';
import { temporalAddress } from '../support/sync-harness';

jest.setTimeout(180_000);

describe('benchmark smoke run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-bench-smoke-'));
  });
  afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

  test('unthrottled on a tiny tenant: a result file, a chart and a table from the run', async () => {
    const lines: string[] = [];
    const run = await runBench({
      scenarios: ['unthrottled'],
      profiles: ['tuned'],
      size: 'tiny',
      resultsDir: dir,
      temporalAddress: temporalAddress(),
      log: (l) => lines.push(l),
    });

    const written = JSON.parse(await fs.readFile(run.files.json, 'utf8')) as BenchResults;
    expect(written).toEqual(JSON.parse(JSON.stringify(run.results)));
    expect(written.schema).toBe('okta-ocsf-bench/1');
    expect(written.size).toBe('tiny');
    expect(written.baseline).toBeNull(); // no baseline profile asked for, none built
    expect(written.machine.cpus).toBeGreaterThan(0);
    expect(written.outcomes).toHaveLength(1);

    const [o] = written.outcomes;
    expect(o).toMatchObject({ scenario: 'unthrottled', profile: 'tuned' });
    expect(o!.runs).toHaveLength(1);
    const r = o!.runs[0]!;
    expect(r.sync.status).toBe('completed');
    expect(r.sync.users).toBeGreaterThan(0);
    expect(r.sync.events).toBe(r.sync.users - r.sync.skipped);
    // The simulator's own count, not the sync's report. `tuned` enriches in bulk: one factors
    // read per user, membership from the groups side, no per-user groups read.
    expect(r.simulator.byEndpoint['GET /api/v1/users/{id}/factors']).toBe(r.sync.users);
    expect(r.simulator.byEndpoint['GET /api/v1/groups/{id}/users']).toBeGreaterThan(0);
    expect(r.simulator.byEndpoint['GET /api/v1/users/{id}/groups'] ?? 0).toBe(0);
    expect(r.simulator.requests).toBeGreaterThan(r.sync.users);
    // Temporal's history of every run of the chain.
    expect(r.temporal.runs.length).toBeGreaterThanOrEqual(1);
    expect(r.temporal.runs[r.temporal.runs.length - 1]!.closedAs).toBe('COMPLETED');
    expect(r.temporal.largestRunEvents).toBeGreaterThan(0);
    expect(r.temporal.largestRunBytes).toBeGreaterThan(0);
    expect(r.temporal.runs[0]!.activityTime.deliverPage?.count).toBeGreaterThan(0);
    // The worker was a child process with memory of its own.
    expect(r.worker.peakRssBytes).toBeGreaterThan(0);
    expect(r.worker.peakRssBytes!).toBeGreaterThanOrEqual(r.worker.finalRssBytes!);

    // The bare walk read the same tenant: the same users, the same distinct groups.
    expect(o!.bareWalk).not.toBeNull();
    expect(o!.bareWalk!.users).toBe(r.sync.users);
    // The bare walk reads the per-user way; the bulk sync of the same tenant needs fewer calls.
    expect(o!.bareWalk!.requests).toBeGreaterThan(r.simulator.requests);
    expect(o!.figures.pipelineToBareWalk).toBeCloseTo(
      r.usersPerSecond / o!.bareWalk!.usersPerSecond,
      6,
    );
    expect(o!.targets).toEqual([expect.objectContaining({ met: expect.any(Boolean) })]);

    const svg = await fs.readFile(run.files.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('unthrottled');
    expect(run.table).toContain('unthrottled');
    expect(lines.some((l) => l.includes('unthrottled'))).toBe(true);
  });
});
