/**
 * Scheduled syncs are Temporal Schedules, not cron in a process: they survive the CLI, the
 * worker and deploys, show in the Temporal UI (where an operator can trigger or pause them), and
 * skip a run while the previous one still runs.
 *
 * Per org: `okta-ocsf-<org>-incremental` every `--every`, and with `--full-every` also
 * `okta-ocsf-<org>-full`. Their workflows are named `okta-ocsf-sync-<org>-<mode>-<time>`.
 */
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import { Command, Option } from 'commander';
import { requireConfig, type AppConfig } from '../config';
import { SYNC_WORKFLOW_TYPE, scheduleId, syncWorkflowId } from '../contract/temporal-contract';
import type { SyncMode } from '../sync/types';
import { connectClient } from './connect';
import { formatDuration, parseDuration } from './durations';
import { runCommand, UsageError } from './run-command';
import { syncInput } from './sync-runner';

const MODES: SyncMode[] = ['incremental', 'full'];

function scheduleOptions(config: AppConfig, mode: SyncMode, everyMs: number): ScheduleOptions {
  return {
    scheduleId: scheduleId(config.orgUrl!, mode),
    spec: { intervals: [{ every: everyMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: SYNC_WORKFLOW_TYPE,
      workflowId: syncWorkflowId(config.orgUrl!, mode),
      taskQueue: config.temporal.taskQueue,
      args: [syncInput(config, mode)],
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, one catch-up run is enough: a sync covers everything missed.
      catchupWindow: '1 minute',
    },
    state: { note: `okta-ocsf ${mode} sync of ${config.orgUrl} every ${formatDuration(everyMs)}` },
  };
}

async function existing(client: Client, id: string): Promise<ScheduleDescription | null> {
  try {
    return await client.schedule.getHandle(id).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

function describeLine(mode: SyncMode, d: ScheduleDescription | null): string {
  if (!d) return `${mode}: no schedule`;
  const every = d.spec.intervals?.[0]?.every;
  // Temporal keeps computing the spec's times while paused; none of them will run.
  const next = d.state.paused ? undefined : d.info.nextActionTimes[0];
  const recent = d.info.recentActions.at(-1);
  return [
    `${mode}: ${d.scheduleId}${d.state.paused ? ' (PAUSED)' : ''}`,
    `  every:        ${every !== undefined ? formatDuration(Number(every)) : '-'}`,
    `  next run:     ${next ? next.toISOString() : d.state.paused ? '- (paused)' : '-'}`,
    `  last run:     ${recent ? `${recent.takenAt.toISOString()} → ${recent.action.workflow.workflowId}` : '-'}`,
    `  runs so far:  ${d.info.numActionsTaken} (skipped for overlap: ${d.info.numActionsSkippedOverlap})`,
    `  note:         ${d.state.note ?? ''}`,
  ].join('\n');
}

/** Runs `fn` with a client of the configured Temporal, closed afterwards. */
async function withClient<T>(fn: (client: Client, config: AppConfig) => Promise<T>): Promise<T> {
  const config = requireConfig(process.env, { okta: 'url', sink: false });
  const { client, close } = await connectClient(config);
  try {
    return await fn(client, config);
  } finally {
    await close();
  }
}

type ScheduleHandle = ReturnType<Client['schedule']['getHandle']>;

/** `create` (refuses existing schedules) or `update` (refuses a missing incremental one). */
function upsert(create: boolean) {
  return (opts: { every?: string; fullEvery?: string }) =>
    runCommand(async () => {
      if (create && !opts.every) throw new UsageError('--every: required, e.g. --every 1h');
      const everyMs = opts.every ? parseDuration(opts.every, '--every') : null;
      const fullMs = opts.fullEvery ? parseDuration(opts.fullEvery, '--full-every') : null;
      await withClient(async (client, config) => {
        for (const [mode, ms] of [
          ['incremental', everyMs],
          ['full', fullMs],
        ] as const) {
          if (ms !== null) await upsertOne(client, scheduleOptions(config, mode, ms), mode, create);
        }
      });
    });
}

async function upsertOne(
  client: Client,
  options: ScheduleOptions,
  mode: SyncMode,
  create: boolean,
): Promise<void> {
  const prev = await existing(client, options.scheduleId);
  if (prev && create) {
    throw new UsageError(`schedule ${options.scheduleId} exists already: use \`schedule update\``);
  }
  if (!prev) {
    // `update --full-every` adds a full schedule next to the incremental one; a missing
    // incremental schedule is a mistake worth saying (`create` makes it).
    if (!create && mode === 'incremental') {
      throw new UsageError(`no schedule ${options.scheduleId}: use \`schedule create\``);
    }
    await client.schedule.create(options);
    process.stdout.write(`created ${options.scheduleId}: ${options.state?.note}\n`);
  } else {
    await client.schedule.getHandle(options.scheduleId).update((p) => ({
      ...p,
      spec: options.spec,
      action: options.action,
      policies: { ...p.policies, overlap: ScheduleOverlapPolicy.SKIP },
      state: { ...p.state, note: options.state?.note },
    }));
    process.stdout.write(`updated ${options.scheduleId}: ${options.state?.note}\n`);
  }
}

function describeSchedules(opts: { json?: boolean }): Promise<void> {
  return runCommand(() =>
    withClient(async (client, config) => {
      const out: Record<string, unknown> = {};
      for (const mode of MODES) {
        const d = await existing(client, scheduleId(config.orgUrl!, mode));
        if (opts.json) out[mode] = d && describeJson(d);
        else process.stdout.write(`${describeLine(mode, d)}\n`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
    }),
  );
}

function describeJson(d: ScheduleDescription): Record<string, unknown> {
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    everyMs: d.spec.intervals?.[0]?.every ?? null,
    nextActionTimes: d.state.paused ? [] : d.info.nextActionTimes.map((t) => t.toISOString()),
    numActionsTaken: d.info.numActionsTaken,
    recentWorkflowIds: d.info.recentActions.map((a) => a.action.workflow.workflowId),
  };
}

/** Applies `fn` to every schedule of the org; having none is an error. */
function onEach(verb: string, fn: (h: ScheduleHandle) => Promise<void>) {
  return () =>
    runCommand(() =>
      withClient(async (client, config) => {
        let found = 0;
        for (const mode of MODES) {
          const id = scheduleId(config.orgUrl!, mode);
          if (!(await existing(client, id))) continue;
          await fn(client.schedule.getHandle(id));
          found += 1;
          process.stdout.write(`${verb} ${id}\n`);
        }
        if (found === 0)
          throw new UsageError(`no schedule for ${config.orgUrl}: use \`schedule create\``);
      }),
    );
}

function triggerSchedule(opts: { mode: SyncMode }): Promise<void> {
  return runCommand(() =>
    withClient(async (client, config) => {
      const id = scheduleId(config.orgUrl!, opts.mode);
      const d = await existing(client, id);
      if (!d) {
        throw new UsageError(`no schedule ${id}: use \`schedule create\``);
      }
      // Temporal runs a triggered action even on a paused schedule; an operator who paused
      // syncs (an Okta or sink incident) means "no runs", so a paused schedule is refused.
      if (d.state.paused) {
        throw new UsageError(
          `schedule ${id} is paused: \`schedule unpause\` first, or run a one-off \`okta-ocsf sync\``,
        );
      }
      await client.schedule.getHandle(id).trigger(ScheduleOverlapPolicy.SKIP);
      process.stdout.write(`triggered ${id}\n`);
    }),
  );
}

export function scheduleCommand(): Command {
  const cmd = new Command('schedule').description(
    'Manage the Temporal Schedules that run syncs of OKTA_ORG_URL (visible in the Temporal UI)',
  );
  cmd
    .command('create')
    .description('Create the incremental schedule (and a full one with --full-every)')
    .option('--every <duration>', 'interval of incremental syncs, e.g. 15m, 1h')
    .option('--full-every <duration>', 'interval of full resyncs, e.g. 1d (optional)')
    .action(upsert(true));
  cmd
    .command('update')
    .description('Change the interval(s) of existing schedules')
    .option('--every <duration>', 'new interval of incremental syncs')
    .option(
      '--full-every <duration>',
      'new interval of full resyncs (adds the full schedule if there is none)',
    )
    .action(upsert(false));
  cmd
    .command('describe')
    .description('Show the schedules of the org: interval, next and last run, paused or not')
    .option('--json', 'machine-readable output')
    .action(describeSchedules);
  cmd
    .command('pause')
    .description('Pause the schedules of the org (no new runs until unpaused)')
    .action(onEach('paused', (h) => h.pause('paused with okta-ocsf schedule pause')));
  cmd
    .command('unpause')
    .description('Resume the schedules of the org')
    .action(onEach('unpaused', (h) => h.unpause('unpaused with okta-ocsf schedule unpause')));
  cmd
    .command('delete')
    .description('Delete the schedules of the org (running syncs go on)')
    .action(onEach('deleted', (h) => h.delete()));
  cmd
    .command('trigger')
    .description('Run a schedule now (skipped if its previous run is still going)')
    .addOption(new Option('--mode <mode>', 'which schedule').choices(MODES).default('incremental'))
    .action(triggerSchedule);
  return cmd;
}
