/**
 * Starting a sync and following it to its end: shared by `sync`, `resync` and the demo.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AppConfig } from '../config';
import {
  progressQuery,
  SYNC_WORKFLOW_TYPE,
  syncWorkflowId,
  type OktaSyncWorkflow,
} from '../contract/temporal-contract';
import type { SourceCounts } from '../sync/system-log-phase';
import type { SyncInput, SyncMode, SyncProgress, SyncResult } from '../sync/types';
import { formatDuration } from './durations';

export interface StartedSync {
  handle: WorkflowHandle<OktaSyncWorkflow>;
  workflowId: string;
  /** Run id of the sync's first run, when we started it. */
  runId: string | null;
  /** A sync of this org and mode was already running: we attached to it. */
  attached: boolean;
}

export function syncInput(config: AppConfig, mode: SyncMode): SyncInput {
  return {
    orgUrl: config.orgUrl!,
    mode,
    pagesPerRun: config.pagesPerRun,
    pageConcurrency: config.pageConcurrency,
    systemLog: config.systemLog,
    systemLogMarginMs: config.systemLogMarginMs,
    enrichment: config.enrichment,
    activityBudgetMs: config.activityBudgetMs,
  };
}

export async function startSync(
  client: Client,
  config: AppConfig,
  mode: SyncMode,
): Promise<StartedSync> {
  const workflowId = syncWorkflowId(config.orgUrl!, mode);
  try {
    const handle = await client.workflow.start<OktaSyncWorkflow>(SYNC_WORKFLOW_TYPE, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [syncInput(config, mode)],
    });
    return { handle, workflowId, runId: handle.firstExecutionRunId, attached: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        handle: client.workflow.getHandle<OktaSyncWorkflow>(workflowId),
        workflowId,
        runId: null,
        attached: true,
      };
    }
    throw err;
  }
}

/** The summary `sync --wait --json` prints: one object, stable field names. */
export interface SyncSummary {
  status: string;
  workflowId: string;
  syncId: string | null;
  mode: SyncMode | null;
  effectiveMode: SyncMode | null;
  users: number;
  events: number;
  pages: number;
  apiCalls: number;
  rateLimited: number;
  fallbacks: number;
  skipped: number;
  runs: number;
  durationMs: number;
  startedAt: string | null;
  finishedAt: string | null;
  watermark: string | null;
  location: string | null;
  /** Incremental syncs: what the System Log contributed (`read`, `off`, `unavailable: …`, …). */
  systemLog: string | null;
  /** Where the users came from (incremental syncs with the System Log); null otherwise. */
  sources: SourceCounts | null;
  /** Users the System Log named that Okta no longer knows (404): deleted since, no event. */
  deleted: number;
  error: string | null;
  /** `bulk` or `per-user` (issue 11), with where user roles came from; null before it is decided. */
  enrichment: string | null;
  /** E.g. `iam/assignees/users` refused: roles were read per user. */
  warning: string | null;
  /** The coordinator's child workflow that ran the sync (null: skipped, or not known). */
  child: { workflowId: string; firstRunId: string } | null;
}

export function summaryOf(
  workflowId: string,
  p: SyncProgress | null,
  extra: Partial<SyncResult> & { error?: string | null; status?: string },
  nowMs: number = Date.now(),
): SyncSummary {
  const t = p?.totals;
  const started = p ? Date.parse(p.startedAt) : NaN;
  const finished = extra.finishedAt ? Date.parse(extra.finishedAt) : nowMs;
  return {
    status: extra.status ?? p?.status ?? 'unknown',
    workflowId,
    syncId: p?.syncId ?? null,
    mode: p?.mode ?? null,
    effectiveMode: p?.effectiveMode ?? null,
    users: t?.users ?? 0,
    events: t?.events ?? 0,
    pages: t?.pages ?? 0,
    apiCalls: t?.apiCalls ?? 0,
    rateLimited: t?.rateLimited ?? 0,
    fallbacks: t?.fallbacks ?? 0,
    skipped: t?.skipped ?? 0,
    runs: p?.runNumber ?? 0,
    durationMs: Number.isFinite(started) ? Math.max(0, finished - started) : 0,
    startedAt: p?.startedAt ?? null,
    finishedAt: extra.finishedAt ?? null,
    watermark: extra.watermark ?? null,
    location: extra.location ?? null,
    systemLog: p?.systemLog?.status ?? null,
    sources: p?.effectiveMode === 'incremental' ? (p.systemLog?.sources ?? null) : null,
    deleted: p?.systemLog?.sources.deleted ?? 0,
    error: extra.error ?? p?.lastError ?? null,
    enrichment: p?.enrichment
      ? `${p.enrichment.strategy}${p.enrichment.strategy === 'bulk' ? ` (roles from ${p.enrichment.rolesFrom})` : ''}`
      : null,
    warning: p?.enrichment?.warning ?? null,
    child: extra.child ?? p?.child ?? null,
  };
}

export function progressLine(p: SyncProgress, nowMs: number = Date.now()): string {
  // A request (see querySyncProgress): where it stands, the totals being its child's.
  if (p.status === 'queued') return `${p.mode} sync requested: waiting for the org's coordinator`;
  if (p.child && p.status === 'running') return `${p.mode} sync running as ${p.child.workflowId}`;
  const t = p.totals;
  const elapsed = nowMs - Date.parse(p.startedAt);
  const rate = elapsed > 0 ? (t.users / elapsed) * 1000 : 0;
  return (
    `${p.effectiveMode} sync ${p.syncId}: run ${p.runNumber}, ${t.pages} pages, ` +
    `${t.users} users listed, ${t.events} events delivered, ${t.apiCalls} API calls ` +
    `(${t.rateLimited} rate-limited), ${t.fallbacks} fallbacks, ${rate.toFixed(0)} users/s, ` +
    `${formatDuration(elapsed)}`
  );
}

/**
 * A sync's live progress. A sync started by `sync`, a schedule or the UI is a request that the
 * org's coordinator runs as a child workflow: once the request names its child, the child's
 * progress is the sync's. Null when there is no answer (before the first task, between runs of
 * a continue-as-new chain, while the request is still queued).
 */
export async function querySyncProgress(
  handle: WorkflowHandle<OktaSyncWorkflow>,
): Promise<SyncProgress | null> {
  try {
    const p = await handle.query(progressQuery);
    if (p.child === undefined || p.status !== 'running') return p.status === 'queued' ? null : p;
    return await handle.client.getHandle<OktaSyncWorkflow>(p.child.workflowId).query(progressQuery);
  } catch {
    return null;
  }
}

export interface FollowOptions {
  /** Called with each progress snapshot (about once a second). */
  onProgress?: (p: SyncProgress) => void;
  pollMs?: number;
}

/** Waits for the sync's end and returns its summary; never throws for a failed sync. */
export async function followSync(
  handle: WorkflowHandle<OktaSyncWorkflow>,
  workflowId: string,
  opts: FollowOptions = {},
): Promise<SyncSummary> {
  let last: SyncProgress | null = null;
  let done = false;
  const resultPromise = handle.result().then(
    (result: SyncResult) => ({ ok: true as const, result }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  void resultPromise.finally(() => (done = true));
  const poll = async (): Promise<void> => {
    while (!done) {
      const p = await querySyncProgress(handle);
      if (p && !done) {
        last = p;
        opts.onProgress?.(p);
      }
      await Promise.race([resultPromise, sleep(opts.pollMs ?? 1000)]);
    }
  };
  const [outcome] = await Promise.all([resultPromise, poll()]);
  if (outcome.ok) {
    return summaryOf(workflowId, outcome.result, outcome.result);
  }
  const err = outcome.err;
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    const details =
      cause instanceof ApplicationFailure && cause.details && cause.details.length > 0
        ? (cause.details[0] as SyncProgress)
        : last;
    return summaryOf(workflowId, details, {
      status: 'failed',
      error: cause?.message ?? err.message,
    });
  }
  return summaryOf(workflowId, last, {
    status: 'failed',
    error: err instanceof Error ? err.message : String(err),
  });
}

export function printSummary(s: SyncSummary, out: NodeJS.WritableStream = process.stdout): void {
  const lines = [
    `status:       ${s.status}${s.error ? ` — ${s.error}` : ''}`,
    `sync:         ${s.syncId ?? '-'} (${s.effectiveMode ?? s.mode ?? '-'}; workflow ${s.workflowId})`,
    `users:        ${s.users} listed, ${s.events} events delivered, ${s.skipped} skipped`,
    `okta:         ${s.apiCalls} API calls, ${s.rateLimited} rate-limited (429)`,
    `fallbacks:    ${s.fallbacks}`,
    `runs:         ${s.runs} (continue-as-new chain), ${s.pages} pages`,
    `duration:     ${formatDuration(s.durationMs)}`,
  ];
  if (s.systemLog) lines.push(`system log:   ${s.systemLog}`);
  if (s.sources) {
    const c = s.sources;
    lines.push(
      `sources:      ${c.lastUpdated} by lastUpdated, ${c.systemLog} named by the System Log ` +
        `(${c.both} of them also by lastUpdated, ${c.readById} read by id, ${c.deleted} deleted)`,
    );
  }
  if (s.location) lines.push(`events at:    ${s.location}`);
  if (s.watermark)
    lines.push(`watermark:    ${s.watermark} (next incremental asks for later changes)`);
  out.write(`${lines.join('\n')}\n`);
}

/** A live progress line on a terminal; a line every 10 s in a log. */
export function progressPrinter(out: NodeJS.WriteStream = process.stderr): {
  onProgress: (p: SyncProgress) => void;
  end: () => void;
} {
  let lastLog = 0;
  let wrote = false;
  return {
    onProgress: (p) => {
      const line = progressLine(p);
      if (out.isTTY) {
        out.write(`\r\x1b[2K${line}`);
        wrote = true;
      } else if (Date.now() - lastLog >= 10_000) {
        out.write(`${line}\n`);
        lastLog = Date.now();
      }
    },
    end: () => {
      if (wrote) out.write('\n');
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
