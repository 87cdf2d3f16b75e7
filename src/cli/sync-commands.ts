/** `worker`, `sync`, `resync` and `status`: the operator's everyday commands. */
import { Command, Option } from 'commander';
import { requireConfig } from '../config';
import {
  progressQuery,
  readSyncMemo,
  syncListQuery,
  type OktaSyncWorkflow,
} from '../contract/temporal-contract';
import type { SyncMode, SyncProgress, SyncTotals } from '../sync/types';
import { createSyncWorker } from '../worker';
import { connectClient } from './connect';
import { runCommand } from './run-command';
import {
  followSync,
  printSummary,
  progressLine,
  progressPrinter,
  startSync,
  summaryOf,
} from './sync-runner';

export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'Run a worker for OKTA_ORG_URL until SIGINT/SIGTERM, then finish in-flight tasks and exit',
    )
    .action(() =>
      runCommand(async () => {
        const config = requireConfig(process.env, { okta: 'full', sink: true });
        const w = await createSyncWorker(config);
        process.stderr.write(
          `okta-ocsf worker: org ${config.okta!.orgUrl}, task queue ${config.temporal.taskQueue}, ` +
            `Temporal ${config.temporal.address} (namespace ${config.temporal.namespace})\n`,
        );
        try {
          await w.run(); // the SDK shuts down gracefully on SIGINT/SIGTERM
        } finally {
          await w.close();
        }
      }),
    );
}

async function runSync(mode: SyncMode, opts: { wait?: boolean; json?: boolean }): Promise<number> {
  const config = requireConfig(process.env, { okta: 'url', sink: false });
  const { client, close } = await connectClient(config);
  try {
    const started = await startSync(client, config, mode);
    if (!opts.json) {
      process.stderr.write(
        started.attached
          ? `a ${mode} sync of ${config.orgUrl} is already running (${started.workflowId}): following it\n`
          : `started ${mode} sync ${started.workflowId}\n`,
      );
    }
    if (!opts.wait) {
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ status: 'started', workflowId: started.workflowId, runId: started.runId, attached: started.attached })}\n`,
        );
      }
      return 0;
    }
    const printer = opts.json ? null : progressPrinter();
    const summary = await followSync(started.handle, started.workflowId, {
      onProgress: printer?.onProgress,
    });
    printer?.end();
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else printSummary(summary);
    return summary.status === 'completed' || summary.status === 'skipped' ? 0 : 1;
  } finally {
    await close();
  }
}

export function syncCommand(): Command {
  return new Command('sync')
    .description('Start a sync of OKTA_ORG_URL (one at a time per org and mode)')
    .addOption(
      new Option(
        '--mode <mode>',
        'full: every user; incremental: users changed since the last successful sync',
      )
        .choices(['full', 'incremental'])
        .default('full'),
    )
    .option('--wait', 'follow the sync to its end and print a summary (exit 1 if it failed)')
    .option('--json', 'machine-readable output (with --wait: one JSON summary object)')
    .action((opts: { mode: SyncMode; wait?: boolean; json?: boolean }) =>
      runCommand(() => runSync(opts.mode, opts)),
    );
}

export function resyncCommand(): Command {
  return new Command('resync')
    .description(
      'Start a full resync of OKTA_ORG_URL now (what an operator does from the Temporal UI, from a terminal)',
    )
    .option('--wait', 'follow the resync to its end and print a summary (exit 1 if it failed)')
    .option('--json', 'machine-readable output')
    .action((opts: { wait?: boolean; json?: boolean }) => runCommand(() => runSync('full', opts)));
}

interface StatusRow {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime: string | null;
  progress: SyncProgress | null;
  totals: SyncTotals | null;
  watermark: string | null;
}

export function statusCommand(): Command {
  return new Command('status')
    .description(
      'Show running and recent syncs (of OKTA_ORG_URL when it is set) with their progress',
    )
    .option('--json', 'machine-readable output: one JSON object')
    .option('--limit <n>', 'recent syncs to show', '10')
    .action((opts: { json?: boolean; limit: string }) =>
      runCommand(async () => {
        const config = requireConfig(process.env, { okta: 'none', sink: false });
        const org = process.env.OKTA_ORG_URL?.trim();
        const limit = Math.max(1, Math.min(100, Number.parseInt(opts.limit, 10) || 10));
        const { client, close } = await connectClient(config);
        try {
          const query = syncListQuery(org || undefined);
          const rows: StatusRow[] = [];
          for await (const wf of client.workflow.list({ query, pageSize: limit })) {
            if (rows.length >= limit) break;
            // A continue-as-new chain shows one row per run; only its current run matters.
            if (wf.status.name === 'CONTINUED_AS_NEW') continue;
            const running = wf.status.name === 'RUNNING';
            const progress = running
              ? await client.workflow
                  .getHandle<OktaSyncWorkflow>(wf.workflowId, wf.runId)
                  .query(progressQuery)
                  .catch(() => null)
              : null;
            const memo = readSyncMemo(wf.memo);
            rows.push({
              workflowId: wf.workflowId,
              runId: wf.runId,
              status: wf.status.name,
              startTime: wf.startTime.toISOString(),
              closeTime: wf.closeTime?.toISOString() ?? null,
              progress,
              totals: memo.totals ?? progress?.totals ?? null,
              watermark: memo.watermark,
            });
          }
          if (opts.json) {
            process.stdout.write(
              `${JSON.stringify({
                syncs: rows.map((r) => ({
                  ...r,
                  summary: r.progress ? summaryOf(r.workflowId, r.progress, {}) : null,
                })),
              })}\n`,
            );
            return;
          }
          if (rows.length === 0) {
            process.stdout.write('no syncs found\n');
            return;
          }
          for (const r of rows) {
            const t = r.totals;
            process.stdout.write(
              `${r.status.padEnd(10)} ${r.workflowId}  started ${r.startTime}` +
                (r.closeTime ? `, closed ${r.closeTime}` : '') +
                '\n' +
                (r.progress
                  ? `           ${progressLine(r.progress)}\n`
                  : t
                    ? `           ${t.users} users, ${t.events} events, ${t.apiCalls} API calls, ${t.rateLimited} rate-limited, ${t.fallbacks} fallbacks\n`
                    : ''),
            );
          }
        } finally {
          await close();
        }
      }),
    );
}
