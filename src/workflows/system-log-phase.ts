/**
 * The System Log phase of an incremental sync, as seen by the workflow (issue 12). Deterministic:
 * every read is an activity; the clock is the workflow's.
 *
 * 1. At the start: decide whether the log is read (`OKTA_OCSF_SYSTEM_LOG`, full or incremental,
 *    and Okta's 90-day retention — an older watermark makes the sync run full, and says so).
 * 2. After the first page of the `lastUpdated` listing, whose `Date` is this sync's start by
 *    Okta's clock (the log's `until`): read the log from the previous watermark less the margin.
 *    If it names more users than `maxUsers`, the sync turns into a full one before anything was
 *    delivered.
 * 3. After the listing's last page: the log-named users are read by id, one hash bucket of ~200
 *    a page; those the listing covers (`coveredByListing`: `lastUpdated` after the previous
 *    watermark) are left to it, the rest go through the same enrich → deliver pipeline as listed
 *    pages. A by-id page is placed like a listed one (page-placement.ts): its read, enrichment and
 *    delivery run on one claimed worker, and a lost worker's page is redone on another from what
 *    history holds (the log's window and the bucket), never from another worker's staging.
 */
import { log } from '@temporalio/workflow';
import { logSince, SYSTEM_LOG_RETENTION_MS, withinRetention } from '../okta/system-log';
import type { PagePlacement } from './page-placement';
import {
  changedUsersBuckets,
  DEFAULT_SYSTEM_LOG_MARGIN_MS,
  DEFAULT_SYSTEM_LOG_MAX_USERS,
  emptySources,
  type CollectChangedUsersInput,
  type CollectChangedUsersResult,
  type ReadChangedUsersPageInput,
  type ReadChangedUsersPageResult,
  type SystemLogPhaseState,
} from '../sync/system-log-phase';
import type { ActivityCounters, PageRef, SyncInput, SyncResumeState } from '../sync/types';

export interface SystemLogActivities {
  collectChangedUsers(input: CollectChangedUsersInput): Promise<CollectChangedUsersResult>;
  readChangedUsersPage(input: ReadChangedUsersPageInput): Promise<ReadChangedUsersPageResult>;
}

function marginOf(input: SyncInput): number {
  const m = input.systemLogMarginMs;
  return typeof m === 'number' && Number.isInteger(m) && m >= 0 ? m : DEFAULT_SYSTEM_LOG_MARGIN_MS;
}

function maxUsersOf(input: SyncInput): number {
  const m = input.systemLogMaxUsers;
  return typeof m === 'number' && Number.isInteger(m) && m > 0 ? m : DEFAULT_SYSTEM_LOG_MAX_USERS;
}

/**
 * The phase's initial state for a fresh sync; may turn an incremental sync into a full one
 * (watermark beyond the log's retention), in `state` itself.
 */
export function startSystemLogPhase(input: SyncInput, state: SyncResumeState): SystemLogPhaseState {
  const mode = input.systemLog ?? 'auto';
  const phase: SystemLogPhaseState = {
    report: {
      status: 'not used: full sync',
      since: null,
      until: null,
      events: 0,
      groupsExpanded: 0,
      sources: emptySources(),
    },
    collected: true,
    listingDone: false,
    pagesPlanned: null,
    pagesDone: 0,
  };
  if (state.effectiveMode !== 'incremental' || state.previousWatermark === null) return phase;
  if (mode === 'off') {
    phase.report.status = 'off';
    return phase;
  }
  const since = logSince(state.previousWatermark, marginOf(input));
  if (!withinRetention(since, Date.now())) {
    const days = Math.round(SYSTEM_LOG_RETENTION_MS / 86_400_000);
    phase.report.status =
      `not used: the previous watermark ${state.previousWatermark} is older than the ` +
      `System Log's retention (${days} days kept): this sync ran full`;
    log.warn('incremental sync runs full: watermark beyond the System Log retention', {
      watermark: state.previousWatermark,
    });
    state.effectiveMode = 'full';
    state.filter = null;
    return phase;
  }
  phase.report.since = since;
  phase.collected = false;
  return phase;
}

/**
 * Reads the log up to `until` (the first listed page's `Date`). Returns true when the sync must
 * turn full instead (the log named too many users); the caller then lists again without filter.
 */
export async function collectSystemLog(
  acts: SystemLogActivities,
  input: SyncInput,
  state: SyncResumeState,
  phase: SystemLogPhaseState,
  until: string,
  addCounters: (c: ActivityCounters) => void,
): Promise<boolean> {
  const since = phase.report.since!;
  phase.report.until = until;
  const r = await acts.collectChangedUsers({
    orgUrl: input.orgUrl,
    syncId: state.syncId,
    since,
    until,
    required: input.systemLog === 'required',
    maxUsers: maxUsersOf(input),
  });
  addCounters(r);
  phase.collected = true;
  phase.report.events = r.events;
  phase.report.groupsExpanded = r.groupsExpanded;
  switch (r.outcome) {
    case 'read':
      phase.report.status = 'read';
      phase.report.sources.systemLog = r.users;
      phase.pagesPlanned = changedUsersBuckets(r.users);
      return false;
    case 'unavailable':
      phase.report.status = `unavailable: ${r.reason}`;
      return false;
    case 'too_many':
      phase.report.status =
        `not used: the System Log named more than ${maxUsersOf(input)} users ` +
        `(reading each by id costs more than listing everyone): this sync ran full`;
      log.warn('incremental sync runs full: the System Log named too many users', {
        users: r.users,
      });
      state.effectiveMode = 'full';
      state.filter = null;
      phase.report.sources = emptySources();
      return true;
  }
}

/**
 * `until` from the first listed page's `Date` (Okta's clock, whole seconds): the end of that
 * second, so nothing that happened before the listing started is left for neither this sync nor
 * the next. Without a Date, the workflow's clock.
 */
export function logUntil(serverDate: string | null): string {
  const at = serverDate === null ? NaN : Date.parse(serverDate);
  return new Date((Number.isFinite(at) ? at : Date.now()) + 1000).toISOString();
}

/** Whether the by-id phase may still have pages (so a paused run must continue as new). */
export function systemLogPending(phase: SystemLogPhaseState): boolean {
  if (phase.report.status !== 'read') return false;
  return phase.pagesPlanned === null || phase.pagesDone < phase.pagesPlanned;
}

/** One by-id page: which bucket of the log-named users it reads, and where it is staged. */
export interface ChangedUsersPage {
  ref: PageRef;
  bucket: number;
  buckets: number;
}

/**
 * The next by-id page, numbered after the listed pages; null when there is none left. Nothing is
 * read here: the page's work is `runChangedUsersPage`, on a claimed worker.
 */
export function nextChangedUsersPage(
  input: SyncInput,
  state: SyncResumeState,
  phase: SystemLogPhaseState,
): ChangedUsersPage | null {
  if (!systemLogPending(phase)) return null;
  // A state saved by a version that planned the pages after the listing.
  phase.pagesPlanned ??= changedUsersBuckets(phase.report.sources.systemLog);
  if (phase.pagesDone >= phase.pagesPlanned) return null;
  const page: ChangedUsersPage = {
    ref: { orgUrl: input.orgUrl, syncId: state.syncId, page: state.pagesListed + 1 },
    bucket: phase.pagesDone,
    buckets: phase.pagesPlanned,
  };
  phase.pagesDone += 1;
  state.pagesListed += 1;
  state.totals.pages += 1;
  return page;
}

/**
 * Reads one by-id page, enriches and delivers it, all on one claimed worker; a lost worker's page
 * is read again on another (the log's window and the bucket are in history) and its counts
 * replace those of the lost attempt, so each page counts once.
 */
export async function runChangedUsersPage<A extends { okta: SystemLogActivities }>(
  placement: PagePlacement<A>,
  page: ChangedUsersPage,
  state: SyncResumeState,
  phase: SystemLogPhaseState,
  addCounters: (c: ActivityCounters) => void,
  enrichAndDeliver: (ref: PageRef, acts: A) => Promise<void>,
): Promise<void> {
  let counted: ReadChangedUsersPageResult | null = null;
  const count = (r: ReadChangedUsersPageResult, sign: 1 | -1): void => {
    state.totals.users += sign * r.users;
    phase.report.sources.readById += sign * r.users;
    phase.report.sources.both += sign * r.both;
    phase.report.sources.deleted += sign * r.deleted;
  };
  await placement.onSomeWorker(page.ref, async (acts) => {
    const r = await acts.okta.readChangedUsersPage({
      ...page.ref,
      since: phase.report.since!,
      until: phase.report.until!,
      bucket: page.bucket,
      buckets: page.buckets,
      previousWatermark: state.previousWatermark!,
    });
    addCounters(r);
    if (counted !== null) count(counted, -1);
    count(r, 1);
    counted = r;
    if (r.users > 0) await enrichAndDeliver(page.ref, acts);
  });
}
