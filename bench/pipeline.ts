/**
 * One measured sync: a fresh simulated tenant, a fresh worker process with the given settings, a
 * full sync started and followed the way `okta-ocsf sync --wait` does, then three accounts of it
 * taken from the run itself — the simulator's request counters, Temporal's histories of every
 * run, and the worker's memory as the kernel reports it.
 */
import type { Client } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { followSync, startSync, type SyncSummary } from '../src/cli/sync-runner';
import { requireConfig } from '../src/config';
import type { BucketId } from '../src/okta/buckets';
import { OktaSimulator, type SimulatorOptions, type SimulatorStats } from '../src/simulator';
import type { BareWalkResult } from './bare-walk';
import { chainHistory, type ChainHistory } from './history';
import { BARE_WALK_JS, requireBuilt } from './paths';
import { startWorkerProcess, type WorkerMemory } from './worker-process';

export interface BenchContext {
  client: Client;
  temporalAddress: string;
  /** Scratch folder of this benchmark run (events, staging, logs). */
  workDir: string;
  log: (line: string) => void;
  /** The baseline commit's CLI, when a profile needs it (baseline.ts). */
  baselineCli?: string;
}

export const BENCH_TOKEN = 'bench-token';

export interface PipelineSpec {
  /** Names the run's folder and log, e.g. `rate-limited.tuned`. */
  label: string;
  simulator: Omit<SimulatorOptions, 'token' | 'host' | 'port' | 'clock'>;
  /** Environment of the worker and of the starting client (the sync's settings). */
  settings: Record<string, string>;
  /** Also count the tenant's memberships and paging (for the API-calls scenario). */
  tenantFacts?: boolean;
  /** Extra node options of the worker process (e.g. `--cpu-prof` when looking for hot spots). */
  workerNodeArgs?: string[];
  /** The worker's CLI; default this checkout's dist/src/client.js (a baseline build otherwise). */
  cliPath?: string;
}

export interface TenantFacts {
  /** Users the unfiltered list returns (not DEPROVISIONED). */
  listedUsers: number;
  /** Sum over listed users of their groups (Everyone included): what the naive count adds. */
  memberships: number;
  /** Distinct groups among the listed users' memberships. */
  distinctGroups: number;
  /** Pages of the users list (200 per page). */
  listPages: number;
  /** Pages of `/users/{id}/groups` beyond each user's first (users in more than 200 groups). */
  extraGroupPages: number;
}

export interface BucketAccount {
  requests: number;
  rateLimited: number;
  /** Requests Okta accepted (not 429): what the sync needed. */
  accepted: number;
  /** The simulator's budget per window. */
  limit: number;
  peakWindowUse: number;
}

export interface PipelineResult {
  label: string;
  settings: Record<string, string>;
  simulator: {
    users: number;
    groups: number;
    latencyMs: number;
    rateLimitWindowMs: number;
    concurrencyLimit: number;
    requests: number;
    rateLimited: number;
    concurrencyRejected: number;
    maxInFlight: number;
    byBucket: Partial<Record<BucketId, BucketAccount>>;
    byEndpoint: Record<string, number>;
  };
  sync: SyncSummary;
  /** Wall clock from the start request to the result, ms. */
  durationMs: number;
  usersPerSecond: number;
  temporal: ChainHistory;
  worker: WorkerMemory;
  tenant: TenantFacts | null;
}

export async function runPipeline(ctx: BenchContext, spec: PipelineSpec): Promise<PipelineResult> {
  const dir = path.join(ctx.workDir, spec.label.replace(/[^A-Za-z0-9._-]/g, '_'));
  const outDir = path.join(dir, 'out');
  const stateDir = path.join(dir, 'state');
  await fs.mkdir(dir, { recursive: true });
  const sim = await OktaSimulator.start({ ...spec.simulator, token: BENCH_TOKEN });
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OKTA_ORG_URL: sim.url,
      OKTA_API_TOKEN: BENCH_TOKEN,
      OCSF_SINK: `file:${outDir}`,
      OKTA_OCSF_STATE_DIR: stateDir,
      TEMPORAL_ADDRESS: ctx.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: `bench-${randomUUID()}`,
      ...spec.settings,
    };
    // The starting side reads the same variables, as `okta-ocsf sync` would (page settings).
    const config = requireConfig(env, { okta: 'url', sink: false });
    const tenant = spec.tenantFacts ? tenantFacts(sim) : null;
    const worker = startWorkerProcess(env, path.join(dir, 'worker.log'), {
      // Profiling the worker (e.g. `--cpu-prof --cpu-prof-dir=…`) without changing the profile.
      nodeArgs: [
        ...(spec.workerNodeArgs ?? []),
        ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
      cliPath: spec.cliPath,
    });
    let memory: WorkerMemory | null = null;
    try {
      await worker.ready;
      sim.resetStats();
      ctx.log(`  ${spec.label}: syncing ${spec.simulator.users ?? 1000} users…`);
      const t0 = Date.now();
      const started = await startSync(ctx.client, config, 'full');
      if (started.runId === null) throw new Error(`a sync of ${sim.url} was already running`);
      // Followed as `okta-ocsf sync --wait` does: a progress query a second.
      const sync = await followSync(started.handle, started.workflowId);
      const durationMs = Date.now() - t0;
      memory = await worker.stop();
      if (sync.status !== 'completed') {
        throw new Error(`${spec.label}: the sync ${sync.status}: ${sync.error ?? '(no error)'}`);
      }
      const stats = sim.stats();
      const info = sim.info();
      // The sync ran as the coordinator's child: its history is the one that grows with the work.
      if (sync.child === null) throw new Error(`${spec.label}: the sync names no child workflow`);
      const temporal = await chainHistory(ctx.client, sync.child.workflowId, sync.child.firstRunId);
      return {
        label: spec.label,
        settings: spec.settings,
        simulator: {
          users: info.users,
          groups: info.groups,
          latencyMs: info.latencyMs,
          rateLimitWindowMs: info.rateLimitWindowMs,
          concurrencyLimit: info.concurrencyLimit,
          requests: stats.requests,
          rateLimited: stats.rateLimited,
          concurrencyRejected: stats.concurrencyRejected,
          maxInFlight: stats.maxInFlight,
          byBucket: bucketAccounts(stats, info.rateLimits),
          byEndpoint: stats.byEndpoint,
        },
        sync,
        durationMs,
        usersPerSecond: durationMs > 0 ? (sync.users / durationMs) * 1000 : 0,
        temporal,
        worker: memory,
        tenant,
      };
    } finally {
      if (memory === null) await worker.stop();
    }
  } finally {
    await sim.close();
    // Events and staging of a large tenant are hundreds of MB; the figures are what is kept.
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  }
}

function bucketAccounts(
  stats: SimulatorStats,
  limits: Record<BucketId, number>,
): Partial<Record<BucketId, BucketAccount>> {
  const out: Partial<Record<BucketId, BucketAccount>> = {};
  for (const [bucket, b] of Object.entries(stats.byBucket) as [
    BucketId,
    SimulatorStats['byBucket'][string],
  ][]) {
    const rateLimited = b.byStatus['429'] ?? 0;
    out[bucket] = {
      requests: b.requests,
      rateLimited,
      accepted: b.requests - rateLimited,
      limit: limits[bucket],
      peakWindowUse: stats.peakWindowUse[bucket] ?? 0,
    };
  }
  return out;
}

/** Counted from the simulator's tenant itself, not from what the sync reported. */
function tenantFacts(sim: OktaSimulator): TenantFacts {
  const users = sim.tenant.listUsers();
  let memberships = 0;
  let extraGroupPages = 0;
  const distinct = new Set<string>();
  for (const u of users) {
    const groups = sim.tenant.userGroups(u.id);
    memberships += groups.length;
    extraGroupPages += Math.max(0, Math.ceil(groups.length / 200) - 1);
    for (const g of groups) distinct.add(g.id);
  }
  return {
    listedUsers: users.length,
    memberships,
    distinctGroups: distinct.size,
    listPages: Math.max(1, Math.ceil(users.length / 200)),
    extraGroupPages,
  };
}

export interface BareWalkRun extends BareWalkResult {
  concurrency: number;
  simulator: { requests: number; rateLimited: number; maxInFlight: number };
}

/** The bare walk over a fresh tenant of the same spec, in its own process. */
export async function runBareWalk(
  ctx: BenchContext,
  simulator: PipelineSpec['simulator'],
  concurrency: number,
): Promise<BareWalkRun> {
  const sim = await OktaSimulator.start({ ...simulator, token: BENCH_TOKEN });
  try {
    ctx.log(`  bare walk: ${simulator.users ?? 1000} users, ${concurrency} in flight…`);
    const child = spawn(
      process.execPath,
      [requireBuilt(BARE_WALK_JS), '--url', sim.url, '--concurrency', String(concurrency)],
      {
        env: { PATH: process.env.PATH, OKTA_API_TOKEN: BENCH_TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) {
      throw new Error(`bare walk exited with ${code}: ${Buffer.concat(err).toString().trim()}`);
    }
    const result = JSON.parse(Buffer.concat(out).toString('utf8')) as BareWalkResult;
    const stats = sim.stats();
    return {
      ...result,
      concurrency,
      simulator: {
        requests: stats.requests,
        rateLimited: stats.rateLimited,
        maxInFlight: stats.maxInFlight,
      },
    };
  } finally {
    await sim.close();
  }
}
