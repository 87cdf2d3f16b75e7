/**
 * `okta-ocsf demo`: the main job end to end on one machine — a simulated Okta tenant, a worker,
 * a full sync with a live progress line, then an incremental sync after the tenant changes a
 * few users. Needs a Temporal server (`make demo` starts the dev server first).
 */
import type { Client } from '@temporalio/client';
import { Command } from 'commander';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { requireConfig, type AppConfig } from '../config';
import type { UserInventoryInfo } from '../ocsf/types';
import { OktaSimulator } from '../simulator';
import type { SyncMode } from '../sync/types';
import { createSyncWorker, installRuntime } from '../worker';
import { connectClient } from './connect';
import { runCommand, UsageError } from './run-command';
import {
  followSync,
  printSummary,
  progressPrinter,
  startSync,
  type SyncSummary,
} from './sync-runner';

interface DemoOptions {
  users: string;
  groups: string;
  out: string;
  ui: string;
  json?: boolean;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Run the whole product against a simulated tenant: full sync, changes, incremental sync',
    )
    .option('--users <n>', 'users in the simulated tenant', '10000')
    .option('--groups <n>', 'groups in the simulated tenant', '500')
    .option('--out <dir>', 'where the file sink writes the events', './out/demo')
    .option('--ui <url>', 'Temporal Web UI address to point at', 'http://127.0.0.1:8233')
    .option('--json', 'print the two summaries as JSON lines')
    .action((opts: DemoOptions) => runCommand(() => runDemo(opts)));
}

type Say = (line: string) => void;

async function runDemo(opts: DemoOptions): Promise<number> {
  const users = positiveInteger(opts.users, '--users');
  const groups = positiveInteger(opts.groups, '--groups');
  const say: Say = (s) => process.stderr.write(`${s}\n`);

  say(`demo: starting a simulated Okta tenant with ${users} users and ${groups} groups…`);
  const token = 'demo-token';
  // Okta's Enterprise budgets per bucket, but per second instead of per minute: the demo shows
  // the throttling at work and still ends in about a minute instead of an hour.
  const sim = await OktaSimulator.start({
    users,
    groups,
    seed: 42,
    token,
    rateLimitWindowMs: 1000,
  });
  say('demo: rate limits are Okta Enterprise budgets per 1 s window (Okta: per minute)');
  const outDir = path.resolve(opts.out);
  // The demo's worker serves the simulator only, on its own task queue, so it never takes
  // work meant for a real org's worker.
  const env = {
    ...process.env,
    OKTA_ORG_URL: sim.url,
    OKTA_API_TOKEN: token,
    OCSF_SINK: `file:${outDir}`,
    TEMPORAL_TASK_QUEUE: 'okta-ocsf-demo',
  };
  const config = requireConfig(env, { okta: 'full', sink: true });
  installRuntime('WARN', config.metricsAddress); // the progress line, not the worker's INFO logs, is what to watch
  const { client, close } = await connectClient(config);
  say(`demo: tenant at ${sim.url}; starting a worker…`);
  const worker = await createSyncWorker(config);
  const running = worker.run();
  let exit = 0;
  try {
    const sync = (mode: SyncMode) => runSync(client, config, mode, opts.json === true);
    if ((await sync('full')).status !== 'completed') exit = 1;
    const promoted = changeTenant(sim, say);
    const incremental = await sync('incremental');
    if (incremental.status !== 'completed') exit = 1;
    if (promoted && !(await reportAdminGrant(incremental, promoted, say))) exit = 1;
  } finally {
    worker.shutdown();
    await running;
    await worker.close();
    await close();
    await sim.close();
  }
  say(`demo: events are under ${outDir}/<sync id>/ (one NDJSON file per page)`);
  say(
    `demo: look at the workflows in the Temporal UI: ${opts.ui}/namespaces/${config.temporal.namespace}/workflows`,
  );
  return exit;
}

function positiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer`);
  return n;
}

/** One sync with a live progress line, then its summary (text, or a JSON line with --json). */
async function runSync(
  client: Client,
  config: AppConfig,
  mode: SyncMode,
  json: boolean,
): Promise<SyncSummary> {
  process.stderr.write(`demo: ${mode} sync…\n`);
  const started = await startSync(client, config, mode);
  const printer = progressPrinter();
  const summary = await followSync(started.handle, started.workflowId, {
    onProgress: printer.onProgress,
  });
  printer.end();
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else printSummary(summary);
  return summary;
}

/** Changes users the incremental sync must catch, and grants an admin role; that user's id. */
function changeTenant(sim: OktaSimulator, say: Say): string | null {
  const changed = sim.tenant.mutate({ update: 25, create: 10, deprovision: 5 });
  say(
    `demo: the tenant changes: ${changed.updated.length} users updated, ` +
      `${changed.created.length} created, ${changed.deprovisioned.length} deprovisioned`,
  );
  const promoted = grantSuperAdmin(sim);
  if (promoted) {
    say(
      `demo: and user ${promoted} is made SUPER_ADMIN — a change Okta does not show in ` +
        "the user's lastUpdated, only in its System Log",
    );
  }
  return promoted;
}

/** Whether the incremental sync emitted the promoted user (only the System Log names it). */
async function reportAdminGrant(
  summary: SyncSummary,
  promoted: string,
  say: Say,
): Promise<boolean> {
  if (!summary.syncId || !summary.location) return true;
  const event = await findEvent(summary.location, promoted);
  say(
    event
      ? `demo: the incremental sync caught the admin grant: ${promoted} is now ` +
          `${event.user.type}, read again because the System Log named it`
      : `demo: the incremental sync did NOT emit ${promoted}; see "system log" above`,
  );
  return event !== null;
}

/** An active non-admin user gets a direct SUPER_ADMIN role; its id, or null if none fits. */
function grantSuperAdmin(sim: OktaSimulator): string | null {
  const candidate = sim.tenant
    .listUsers()
    .find(
      (u) =>
        u.status === 'ACTIVE' &&
        !sim.tenant.userRoles(u.id).some((r) => r.status === 'ACTIVE' && /admin/i.test(r.type)),
    );
  if (!candidate) return null;
  sim.tenant.change({ op: 'grantRole', userId: candidate.id, roleType: 'SUPER_ADMIN' });
  return candidate.id;
}

/** The event of `userId` among the NDJSON files the file sink wrote for one sync. */
async function findEvent(dir: string, userId: string): Promise<UserInventoryInfo | null> {
  for (const name of (await fs.readdir(dir)).filter((n) => n.endsWith('.ndjson')).sort()) {
    for (const line of (await fs.readFile(path.join(dir, name), 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      const e = JSON.parse(line) as UserInventoryInfo;
      if (e.user.uid === userId) return e;
    }
  }
  return null;
}
