/**
 * The durable sync of one Okta org: pages through the users, enriches each page, maps and
 * delivers it, and continues as new before its history grows large. Deterministic: every read
 * of Okta, the staging store or the sink is an activity.
 *
 * Per page: `listUsersPage` (sequential — each cursor comes from the previous page), then in
 * parallel `fetchUserGroups` → `fetchGroupRoles`, `fetchUserFactors`, `fetchUserRoles`, then
 * `deliverPage`. While a page is being enriched the next one is listed and enriched too
 * (`pageConcurrency`), so the Okta budget is not idle at page boundaries.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import {
  DEFAULT_ACTIVITY_BUDGET_MS,
  isValidActivityBudget,
  MAX_ACTIVITY_BUDGET_MS,
  MIN_ACTIVITY_BUDGET_MS,
  TRANSIENT_MAX_ATTEMPTS,
} from '../contract/activity-budget';
import { ErrorType, NON_RETRYABLE_ERROR_TYPES } from '../contract/error-table';
import { progressQuery, type SyncMemo } from '../contract/temporal-contract';
import { ENRICHMENT_KINDS } from '../okta/types';
import { bulkPhase, pageEnrichment, PER_USER } from './bulk-phase';
import type { SyncSlotHolder } from '../sync/coordination';
import { makeSyncId } from '../sync/naming';
import { countSync } from './sync-metrics';
import {
  emptyTotals,
  type ActivityCounters,
  type DeliverPageResult,
  type EnrichRetryPolicy,
  type ListUsersPageInput,
  type PageRef,
  type SyncInput,
  type SyncProgress,
  type SyncResult,
  type SyncResumeState,
  type SyncStatus,
  type SyncTotals,
} from '../sync/types';
import {
  collectSystemLog,
  logUntil,
  nextChangedUsersPage,
  runChangedUsersPage,
  startSystemLogPhase,
  systemLogPending,
  type ChangedUsersPage,
} from './system-log-phase';
import { acquireSyncSlot, releaseSyncSlot } from './sync-slot';
import { isWorkerLost, PagePlacement, PLACED_SCHEDULE_TO_START } from './page-placement';

/**
 * Enrichment attempts before the documented fallback applies. The activity receives the same
 * number, so on its last attempt it falls back per user instead of failing the page.
 */
export const ENRICH_MAX_ATTEMPTS = 8;
const DEFAULT_PAGES_PER_RUN = 50;
const DEFAULT_PAGE_CONCURRENCY = 2;

/**
 * How long a sync stalls after its worker dies before Temporal retries the activity elsewhere.
 * Every activity heartbeats on a 1 s timer while its worker lives (src/activities/liveness.ts),
 * whatever it waits for (a slow request, a rate-limit reset, the sink), so this bound measures
 * worker death only, not progress; 10 s leaves the SDK's throttled heartbeats (one per 8 s)
 * a margin, and keeps a crash from costing a sync more than seconds. Progress is bounded by
 * `startToCloseTimeout` and the Okta client's request timeout instead.
 */
const HEARTBEAT_TIMEOUT = '10 seconds';

/**
 * A failing sync cancels its other pages; it must then wait until their activities have really
 * stopped (and made their last save to staging) before `finishSync` deletes the staging, or a
 * late save would leave user data on disk that nothing removes.
 */
const WAIT_FOR_CANCELLED = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;

/**
 * Errors that retrying cannot fix: the sync stops and says why. Read from the error table
 * (src/contract/error-table.ts), which the activities' failure conversion reads too.
 */
const NON_RETRYABLE = [...NON_RETRYABLE_ERROR_TYPES];

/** The enrichment retry policy when `SyncInput.enrichRetry` does not say otherwise. */
export const DEFAULT_ENRICH_RETRY: Readonly<EnrichRetryPolicy> = {
  maximumAttempts: ENRICH_MAX_ATTEMPTS,
  initialIntervalMs: 1_000,
  maximumIntervalMs: 60_000,
};

/**
 * The activity proxies of one sync, built per sync because the activity budget and the
 * enrichment policy are part of its input. Every one is bounded twice (src/contract/
 * activity-budget.ts): by its attempts and by `scheduleToCloseTimeout` = the budget, which also
 * bounds the rate-limit waits between attempts. The enrichment activities are told their
 * `maximumAttempts`, so their last attempt is the one that falls back.
 */
function activitiesFor(budgetMs: number, enrich: EnrichRetryPolicy, placedOn?: string) {
  const bounded = {
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    scheduleToCloseTimeout: budgetMs,
    // On a worker's own queue (page-placement.ts): a worker that is gone is noticed in seconds.
    ...(placedOn !== undefined && {
      taskQueue: placedOn,
      scheduleToStartTimeout: PLACED_SCHEDULE_TO_START,
    }),
  };
  return {
    okta: proxyActivities<SyncActivities>({
      ...bounded,
      cancellationType: WAIT_FOR_CANCELLED,
      // A page listing may wait out several rate-limit windows; the heartbeat, not this bound,
      // is what notices a dead worker.
      startToCloseTimeout: '15 minutes',
      retry: {
        initialInterval: '1 second',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        maximumAttempts: TRANSIENT_MAX_ATTEMPTS,
        nonRetryableErrorTypes: NON_RETRYABLE,
      },
    }),
    enrich: proxyActivities<SyncActivities>({
      ...bounded,
      cancellationType: WAIT_FOR_CANCELLED,
      startToCloseTimeout: '15 minutes',
      retry: {
        initialInterval: enrich.initialIntervalMs,
        backoffCoefficient: 2,
        maximumInterval: enrich.maximumIntervalMs,
        maximumAttempts: enrich.maximumAttempts,
        nonRetryableErrorTypes: NON_RETRYABLE,
      },
    }),
    deliver: proxyActivities<SyncActivities>({
      ...bounded,
      startToCloseTimeout: '10 minutes',
      retry: {
        initialInterval: '2 seconds',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        maximumAttempts: TRANSIENT_MAX_ATTEMPTS,
        nonRetryableErrorTypes: NON_RETRYABLE,
      },
    }),
    housekeeping: proxyActivities<SyncActivities>({
      ...bounded,
      startToCloseTimeout: '1 minute',
      retry: {
        maximumInterval: '30 seconds',
        maximumAttempts: TRANSIENT_MAX_ATTEMPTS,
        nonRetryableErrorTypes: NON_RETRYABLE,
      },
    }),
  };
}

/** The bulk strategy's index build and assignee listing (issue 11); bounded by attempts. */
const bulk = bulkPhase({ nonRetryable: NON_RETRYABLE, heartbeatTimeout: HEARTBEAT_TIMEOUT });

export async function oktaSync(input: SyncInput): Promise<SyncResult> {
  const info = workflowInfo();
  const pagesPerRun = positiveOr(input.pagesPerRun, DEFAULT_PAGES_PER_RUN);
  const pageConcurrency = positiveOr(input.pageConcurrency, DEFAULT_PAGE_CONCURRENCY);
  const enrichRetry = enrichRetryOf(input.enrichRetry);
  const budgetMs = activityBudgetMsOf(input.activityBudgetMs);
  const shared = activitiesFor(budgetMs, enrichRetry);
  const { okta, housekeeping } = shared;
  const maxAttempts = enrichRetry.maximumAttempts;

  const holder: SyncSlotHolder = {
    workflowId: info.workflowId,
    firstRunId: info.firstExecutionRunId,
    mode: input.mode,
  };
  let state: SyncResumeState;
  if (input.resume) {
    state = input.resume;
  } else {
    countSync('started', input.orgUrl, input.mode);
    // The org's coordinator decides whether this sync runs now, later, or not at all, and
    // gives it the watermark of the last successful sync.
    const slot = await acquireSyncSlot(housekeeping, input.orgUrl, holder);
    const previousWatermark = 'granted' in slot ? slot.granted.previousWatermark : null;
    // An incremental sync with no successful sync before it runs as a full one.
    const incremental = input.mode === 'incremental' && previousWatermark !== null;
    const startedAt = new Date();
    state = {
      syncId: makeSyncId(startedAt, input.mode, info.firstExecutionRunId),
      startedAt: startedAt.toISOString(),
      runNumber: 1,
      effectiveMode: incremental ? 'incremental' : 'full',
      filter: incremental ? `lastUpdated gt "${previousWatermark}"` : null,
      nextUrl: null,
      pagesListed: 0,
      watermark: null,
      previousWatermark: incremental ? previousWatermark : null,
      totals: emptyTotals(),
    };
    state.systemLog = startSystemLogPhase(input, state);
    if ('refused' in slot) {
      countSync('skipped', input.orgUrl, input.mode);
      const skipped = resultOf(input, state, 'skipped', slot.refused.reason, 0);
      return { ...skipped, finishedAt: new Date().toISOString(), watermark: null, location: null };
    }
  }

  const totals: SyncTotals = state.totals;
  // A state saved before the System Log phase existed: that sync goes on without it.
  const logPhase = (state.systemLog ??= startSystemLogPhase({ ...input, systemLog: 'off' }, state));
  let status: SyncStatus = 'running';
  let lastError: string | null = null;
  let pagesInFlight = 0;
  let location: string | null = null;
  setHandler(progressQuery, () => resultOf(input, state, status, lastError, pagesInFlight));

  const addCounters = (c: ActivityCounters): void => {
    totals.apiCalls += c.apiCalls;
    totals.rateLimited += c.rateLimited;
  };

  let failure: unknown = null;
  if (state.enrichment === undefined) {
    try {
      const ref = { orgUrl: input.orgUrl, syncId: state.syncId };
      state.enrichment = await bulk.prepare(
        input.enrichment,
        state.effectiveMode,
        ref,
        addCounters,
      );
    } catch (err) {
      failure = err;
    }
  }
  // Each page runs on one worker, next to its staging; a lost worker's pages are redone.
  const placement = new PagePlacement(
    (taskQueue) => activitiesFor(budgetMs, enrichRetry, taskQueue),
    (state.pageWorkers ??= []),
  );
  type PageActs = ReturnType<typeof activitiesFor>;
  const workflowScope = CancellationScope.current();
  const enrichAndDeliver = async (ref: PageRef, { enrich, deliver }: PageActs): Promise<void> => {
    // Without a decision the preparation failed, and no page runs. A page on a worker without
    // the bulk strategy's index reads per user (bulk-phase.ts): correct, slower.
    const strategy = pageEnrichment(state.enrichment ?? PER_USER, enrich);
    const groupsThenRoles = async () => {
      addCounters(await strategy.userGroups({ ...ref, maxAttempts }));
      const roles = await enrich.fetchGroupRoles({ ...ref, maxAttempts });
      addCounters(roles);
      totals.groupsResolved += roles.fetched;
    };
    // In a scope of the page's own: when one enrichment fails, the others are stopped and
    // waited for before the page is redone elsewhere or fails (no late write to its staging).
    const pageScope = new CancellationScope();
    const [, factors, userRoles] = await pageScope.run(async () => {
      const branches = [
        groupsThenRoles(),
        enrich.fetchUserFactors({ ...ref, maxAttempts }),
        strategy.userRoles({ ...ref, maxAttempts }),
      ] as const;
      try {
        return await Promise.all(branches);
      } catch (err) {
        pageScope.cancel();
        await Promise.allSettled(branches);
        throw err;
      }
    });
    addCounters(factors);
    addCounters(userRoles);
    // Outside the pages' scope (only cancelling the workflow itself cancels it): a page that
    // reached delivery is delivered and counted even when another page fails the sync (its data
    // is complete; the sink does not depend on Okta). Cancelling it would not stop a delivery
    // under way — the workflow sees a running attempt as cancelled at once, its start being
    // recorded only when it ends — and the sink would hold events the failure summary omits.
    const delivered = await new CancellationScope({ cancellable: true, parent: workflowScope }).run(
      () => deliver.deliverPage({ ...ref, runNumber: state.runNumber }),
    );
    addDelivery(totals, delivered);
    location = delivered.location ?? location;
  };
  /**
   * A listed page is redone from its cursor (`relist`) when its worker is lost; a page of users
   * the System Log named (`byId`) is read, enriched and delivered on a claimed worker, and redone
   * from its bucket on another when that worker is lost (system-log-phase.ts).
   */
  const processPage = async (
    ref: PageRef,
    on: { acts: PageActs; taskQueue: string } | null,
    relist: ListUsersPageInput | null,
    byId: ChangedUsersPage | null,
  ): Promise<void> => {
    if (byId !== null) {
      return runChangedUsersPage(placement, byId, state, logPhase, addCounters, enrichAndDeliver);
    }
    if (on === null || relist === null) return enrichAndDeliver(ref, shared);
    try {
      await enrichAndDeliver(ref, on.acts);
    } catch (err) {
      if (!isWorkerLost(err)) throw err;
      placement.lost(ref, on.taskQueue, err);
      await placement.onSomeWorker(
        ref,
        async (acts) => {
          addCounters(await acts.okta.listUsersPage(relist));
          await enrichAndDeliver(ref, acts);
        },
        1,
      );
    }
  };

  // Pages run in one scope: when one fails for good, the others are cancelled rather than left
  // to finish (a revoked token must stop the sync in seconds, not after every page's retries).
  const pages = new CancellationScope();
  const fail = (err: unknown): void => {
    if (failure !== null) return;
    failure = err;
    pages.cancel();
  };
  const inFlight = new Set<Promise<void>>();
  let pagesThisRun = 0;
  let more = !logPhase.listingDone;
  const shouldPause = (): boolean =>
    pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested;

  while (failure === null && !shouldPause()) {
    let ref: PageRef;
    let on: { acts: PageActs; taskQueue: string } | null = null;
    let relist: ListUsersPageInput | null = null;
    let byId: ChangedUsersPage | null = null;
    if (more) {
      ref = { orgUrl: input.orgUrl, syncId: state.syncId, page: state.pagesListed + 1 };
      let listed;
      try {
        const listInput = { ...ref, nextUrl: state.nextUrl, filter: state.filter };
        const placed = await placement.onSomeWorker(ref, async (acts, taskQueue) => ({
          on: { acts, taskQueue },
          listed: await acts.okta.listUsersPage(listInput),
        }));
        listed = placed.listed;
        on = placed.on;
        relist = listInput;
        addCounters(listed);
        if (state.pagesListed === 0 && !logPhase.collected) {
          // The log's `until` is this sync's start by Okta's clock: the first page's Date, which
          // Okta truncates to the second, plus that second (an event read twice is harmless).
          const until = logUntil(listed.serverDate);
          if (await collectSystemLog(okta, input, state, logPhase, until, addCounters)) {
            continue; // turned full: list again from the first page, without filter
          }
        }
      } catch (err) {
        fail(err);
        break;
      }
      if (state.pagesListed === 0 && state.watermark === null) {
        state.watermark = watermarkFrom(listed.serverDate);
      }
      state.pagesListed += 1;
      state.nextUrl = listed.nextUrl;
      more = listed.nextUrl !== null;
      logPhase.listingDone = !more;
      pagesThisRun += 1;
      totals.pages += 1;
      totals.users += listed.users;
      if (state.effectiveMode === 'incremental')
        logPhase.report.sources.lastUpdated += listed.users;
      if (listed.users === 0) continue;
    } else {
      // The listing is done: the users the System Log named, read by id.
      byId = nextChangedUsersPage(input, state, logPhase);
      if (byId === null) break;
      ref = byId.ref;
      pagesThisRun += 1;
    }

    pagesInFlight += 1;
    const pageRef = ref;
    const pageOn = on;
    const pageRelist = relist;
    const pageById = byId;
    const p: Promise<void> = pages
      .run(() => processPage(pageRef, pageOn, pageRelist, pageById))
      .catch(fail)
      .finally(() => {
        pagesInFlight -= 1;
        inFlight.delete(p);
      });
    inFlight.add(p);
    if (inFlight.size >= pageConcurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);

  if (failure !== null) {
    status = 'failed';
    lastError = describeFailure(failure);
    log.error('sync failed', { syncId: state.syncId, error: lastError });
    countSync('failed', input.orgUrl, input.mode);
    // Best effort: the staging of a failed sync is useless to a new one.
    await housekeeping.finishSync({ orgUrl: input.orgUrl, syncId: state.syncId }).catch(() => {});
    await finishOnPageWorkers(placement, { orgUrl: input.orgUrl, syncId: state.syncId });
    // Best effort too: the coordinator also notices a holder that has ended.
    await releaseSyncSlot(housekeeping, input.orgUrl, holder, null).catch(() => {});
    throw ApplicationFailure.nonRetryable(
      `Okta sync ${state.syncId} failed after delivering ${totals.events} events: ${lastError}`,
      ErrorType.SyncFailed,
      resultOf(input, state, status, lastError, 0),
    );
  }

  if (more || systemLogPending(logPhase)) {
    // Let any query/update handler finish before this run's history closes.
    await condition(allHandlersFinished);
    state.runNumber += 1;
    return continueAsNew<typeof oktaSync>({ ...input, resume: state });
  }

  await housekeeping.finishSync({ orgUrl: input.orgUrl, syncId: state.syncId });
  await finishOnPageWorkers(placement, { orgUrl: input.orgUrl, syncId: state.syncId });
  status = 'completed';
  countSync('succeeded', input.orgUrl, input.mode);
  const result: SyncResult = {
    ...resultOf(input, state, status, null, 0),
    finishedAt: new Date().toISOString(),
    watermark: state.watermark,
    location,
  };
  // The next incremental sync starts from this watermark: the coordinator keeps it. The memo is
  // for operators browsing the Temporal UI only.
  await releaseSyncSlot(housekeeping, input.orgUrl, holder, state.watermark);
  const memo: SyncMemo = { watermark: state.watermark, finishedAt: result.finishedAt, totals };
  upsertMemo({ ...memo });
  await condition(allHandlersFinished);
  return result;
}

/**
 * Clears the sync's staging on every worker that staged a page of it. Best effort: a worker gone
 * since took its staging with it (its disk, its own folder); waiting for it is bounded by
 * `PLACED_SCHEDULE_TO_START`.
 */
async function finishOnPageWorkers(
  placement: PagePlacement<ReturnType<typeof activitiesFor>>,
  ref: { orgUrl: string; syncId: string },
): Promise<void> {
  await Promise.allSettled(
    placement.workers.map((q) => placement.acts(q).housekeeping.finishSync(ref)),
  );
}

function addDelivery(totals: SyncTotals, d: DeliverPageResult): void {
  totals.events += d.events;
  totals.skipped += d.skipped;
  for (const [reason, n] of Object.entries(d.skippedReasons)) {
    totals.skippedReasons[reason] = (totals.skippedReasons[reason] ?? 0) + n;
  }
  totals.fallbacks += d.fallbacks;
  for (const kind of ENRICHMENT_KINDS) totals.fallbacksByKind[kind] += d.fallbacksByKind[kind];
}

function resultOf(
  input: SyncInput,
  state: SyncResumeState,
  status: SyncStatus,
  lastError: string | null,
  pagesInFlight: number,
): SyncProgress {
  return {
    status,
    syncId: state.syncId,
    orgUrl: input.orgUrl,
    mode: input.mode,
    effectiveMode: state.effectiveMode,
    runNumber: state.runNumber,
    startedAt: state.startedAt,
    previousWatermark: state.previousWatermark,
    pagesInFlight,
    totals: state.totals,
    systemLog: state.systemLog?.report ?? null,
    lastError,
    ...(state.enrichment && { enrichment: state.enrichment }),
  };
}

/**
 * Okta's `Date` has one-second resolution and the first page was produced somewhere within that
 * second: one second less is a moment no later than the sync's start by Okta's clock.
 */
function watermarkFrom(serverDate: string | null): string {
  const base = serverDate ? Date.parse(serverDate) : NaN;
  const at = Number.isFinite(base) ? base : Date.now() - 60_000;
  return new Date(at - 1000).toISOString();
}

function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
    // The budget ran out: say which activity, and what its last attempt met.
    const last = err.cause.cause?.message;
    return (
      `${err.activityType} did not finish within its bound (${boundOf(err.cause.timeoutType)})` +
      (last ? `; last attempt: ${last}` : '')
    );
  }
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

function boundOf(t: TimeoutFailure['timeoutType']): string {
  return t === 'SCHEDULE_TO_CLOSE' ? 'activity budget, OKTA_OCSF_RETRY_BUDGET_MS' : `${t} timeout`;
}

/** The sync's activity budget; an invalid one fails the sync at once, naming the field. */
function activityBudgetMsOf(given: number | undefined): number {
  if (given === undefined) return DEFAULT_ACTIVITY_BUDGET_MS;
  if (!isValidActivityBudget(given)) {
    throw ApplicationFailure.nonRetryable(
      `SyncInput.activityBudgetMs must be an integer from ${MIN_ACTIVITY_BUDGET_MS} to ` +
        `${MAX_ACTIVITY_BUDGET_MS}; got ${JSON.stringify(given)}`,
      ErrorType.InvalidSyncInput,
    );
  }
  return given;
}

/** Fills in the defaults; an invalid field fails the sync at once, naming the field. */
function enrichRetryOf(given: Partial<EnrichRetryPolicy> | undefined): EnrichRetryPolicy {
  const policy = { ...DEFAULT_ENRICH_RETRY, ...(given ?? {}) };
  for (const key of ['maximumAttempts', 'initialIntervalMs', 'maximumIntervalMs'] as const) {
    const v = policy[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw ApplicationFailure.nonRetryable(
        `SyncInput.enrichRetry.${key} must be an integer >= 1; got ${JSON.stringify(v)}`,
        ErrorType.InvalidSyncInput,
      );
    }
  }
  if (policy.maximumIntervalMs < policy.initialIntervalMs) {
    throw ApplicationFailure.nonRetryable(
      'SyncInput.enrichRetry.maximumIntervalMs must not be less than initialIntervalMs',
      ErrorType.InvalidSyncInput,
    );
  }
  return policy;
}

function positiveOr(v: number | undefined, dflt: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : dflt;
}
