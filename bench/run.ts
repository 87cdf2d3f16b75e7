/**
 * `npm run bench` / `node dist/bench/run.js [--scenario NAME]… [--profile NAME]… [--quick]`:
 * starts its own Temporal dev server, then for each scenario and settings profile a simulated
 * tenant and a worker process, measures, prints a table and writes bench/results/<date>.json and
 * .svg. See bench/README.md.
 */
import { Client, Connection } from '@temporalio/client';
import { Command, Option } from 'commander';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBaseline, type BaselineBuild } from './baseline';
import { compareProfiles } from './compare';
import { startBenchDevServer } from './dev-server';
import { REPO_ROOT } from './paths';
import type { BenchContext } from './pipeline';
import {
  machineInfo,
  renderComparison,
  renderTable,
  renderTargets,
  writeResults,
  type BenchResults,
} from './report';
import {
  DEFAULT_BASELINE_REF,
  DEFAULT_PROFILES,
  PROFILES,
  runScenario,
  SCENARIOS,
  type ProfileName,
  type ScenarioName,
  type ScenarioOutcome,
  type Size,
} from './scenarios';

export interface BenchOptions {
  scenarios: ScenarioName[];
  profiles: ProfileName[];
  size: Size;
  resultsDir: string;
  /** Use this Temporal server instead of starting one (the smoke test passes the suite's). */
  temporalAddress?: string;
  /** Keep the scratch folder (worker logs, server log) for a look afterwards. */
  keep?: boolean;
  /** Commit whose worker the `baseline` profile runs; default DEFAULT_BASELINE_REF. */
  baselineRef?: string;
  log?: (line: string) => void;
}

export interface BenchRun {
  results: BenchResults;
  files: { json: string; svg: string };
  table: string;
}

export async function runBench(opts: BenchOptions): Promise<BenchRun> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const loadStart = os.loadavg();
  const startedAt = new Date().toISOString();
  const baseline: BaselineBuild | null = opts.profiles.some((p) => PROFILES[p].build === 'baseline')
    ? buildBaseline(opts.baselineRef ?? DEFAULT_BASELINE_REF, log)
    : null;
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-bench-'));
  const server = opts.temporalAddress
    ? null
    : await startBenchDevServer(path.join(workDir, 'temporal'));
  const address = opts.temporalAddress ?? server?.address ?? '';
  log(
    `bench: Temporal at ${address}${server ? ' (started for this run)' : ''}; scratch ${workDir}`,
  );
  const connection = await Connection.connect({ address });
  const ctx: BenchContext = {
    client: new Client({ connection, namespace: 'default' }),
    temporalAddress: address,
    workDir,
    log,
    baselineCli: baseline?.cliPath,
  };
  const outcomes: ScenarioOutcome[] = [];
  try {
    for (const scenario of opts.scenarios) {
      for (const profile of opts.profiles) {
        log(`bench: ${scenario} [${profile}]`);
        outcomes.push(await runScenario(ctx, scenario, profile, opts.size));
      }
    }
  } finally {
    await connection.close();
    await server?.stop();
    if (!opts.keep) await fs.rm(workDir, { recursive: true, force: true });
  }
  const results: BenchResults = {
    schema: 'okta-ocsf-bench/1',
    startedAt,
    finishedAt: new Date().toISOString(),
    size: opts.size,
    command: process.argv.slice(1).join(' '),
    // Node flags given to every measured worker (a heap cap, a profiler): they change its figures.
    workerNodeArgs: process.env.BENCH_WORKER_NODE_ARGS?.trim() || null,
    git: gitState(),
    baseline: baseline ? { ref: baseline.ref, commit: baseline.commit } : null,
    profiles: Object.fromEntries(opts.profiles.map((p) => [p, PROFILES[p]])),
    machine: machineInfo(loadStart),
    outcomes,
    comparison: compareProfiles(outcomes),
  };
  const files = await writeResults(opts.resultsDir, results);
  return { results, files, table: renderTable(outcomes) };
}

function gitState(): BenchResults['git'] {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
    } catch {
      return null;
    }
  };
  const status = git(['status', '--porcelain', '--', 'src']);
  return { commit: git(['rev-parse', 'HEAD']), dirty: status === null ? null : status !== '' };
}

function list<T extends string>(allowed: readonly T[], what: string) {
  return (value: string, previous: T[] | undefined): T[] => {
    const out = [...(previous ?? [])];
    for (const v of value.split(',').map((s) => s.trim())) {
      if (!(allowed as readonly string[]).includes(v)) {
        throw new Error(`--${what}: expected one of ${allowed.join(', ')}, got "${v}"`);
      }
      if (!out.includes(v as T)) out.push(v as T);
    }
    return out;
  };
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .description('okta-ocsf benchmark (issue 7); see bench/README.md')
    .addOption(
      new Option(
        '--scenario <names>',
        `scenarios to run: ${SCENARIOS.join(', ')} (default all)`,
      ).argParser(list(SCENARIOS, 'scenario')),
    )
    .addOption(
      new Option(
        '--profile <names>',
        `profiles: ${Object.keys(PROFILES).join(', ')} (default ${DEFAULT_PROFILES.join(',')}, side by side)`,
      ).argParser(list(Object.keys(PROFILES) as ProfileName[], 'profile')),
    )
    .option('--quick', 'smoke size: small tenants, a few minutes in all')
    .addOption(new Option('--size <size>', 'tenant sizes').choices(['tiny', 'quick', 'full']))
    .option(
      '--results <dir>',
      'where to write <date>.json and <date>.svg',
      path.join(REPO_ROOT, 'bench', 'results'),
    )
    .option('--temporal <host:port>', 'use this Temporal server instead of starting one')
    .option('--keep', 'keep the scratch folder (worker and server logs)')
    .option(
      '--baseline-ref <ref>',
      'commit whose worker the baseline profile runs',
      DEFAULT_BASELINE_REF,
    )
    .parse(process.argv);
  const o = program.opts<{
    scenario?: ScenarioName[];
    profile?: ProfileName[];
    quick?: boolean;
    size?: Size;
    results: string;
    temporal?: string;
    keep?: boolean;
    baselineRef: string;
  }>();
  const run = await runBench({
    scenarios: o.scenario ?? [...SCENARIOS],
    profiles: o.profile ?? DEFAULT_PROFILES,
    size: o.size ?? (o.quick ? 'quick' : 'full'),
    resultsDir: path.resolve(o.results),
    temporalAddress: o.temporal,
    keep: o.keep,
    baselineRef: o.baselineRef,
  });
  const comparison = renderComparison(run.results.comparison);
  process.stdout.write(
    `\n${run.table}\n\n${renderTargets(run.results.outcomes)}\n\n${comparison ? `${comparison}\n\n` : ''}`,
  );
  process.stdout.write(`results: ${run.files.json}\nchart:   ${run.files.svg}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
