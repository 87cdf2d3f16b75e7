/**
 * The durable sync of one Okta org: pages through the users, enriches each page, maps and
 * delivers it, and continues as new before its history grows large. Deterministic: every read
 * of Okta, the staging store or the sink is an activity.
 *
 * Per page: `listUsersPage` (sequential — each cursor comes from the previous page), then in
 * parallel `fetchUserGroups` → `fetchGroupRoles`, `fetchUserFactors`, `fetchUserRoles`, then
 * `deliverPage`. While a page is being enriched the next one is listed and enriched too
 * (`pageConcurrency`), so the Okta budget is not idle at page boundaries. A bulk sync's page reads
 * `fetchUserFactors` first and the rest once the membership index, built alongside, is complete
 * (enrichAndDeliver).
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
  patched,
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
import { bulkPhase, EnrichmentGate, PER_USER, strategyOf } from './bulk-phase';
import type { EnrichmentState } from '../sync/bulk-types';
import { coordinatorWorkflowIdPrefix } from '../sync/coordination';
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
import type { SystemLogPhaseState } from '../sync/system-log-phase';
import {
  collectSystemLog,
  logUntil,
  nextChangedUsersPage,
  runChangedUsersPage,
  startSystemLogPhase,
  systemLogPending,
  type ChangedUsersPage,
} from './system-log-phase';
import { requestSync } from './sync-request';
import { isWorkerLost, PagePlacement, PLACED_SCHEDULE_TO_START } from './page-placement';

/**
 * Enrichment attempts before the documented fallback applies. The activity receives the same
 * number, so on its last attempt it falls back per user instead of failing the page.
 */
export const ENRICH_MAX_ATTEMPTS = 8;
const DEFAULT_PAGES_PER_RUN = 50;
const DEFAULT_PAGE_CONCURRENCY = 2;
/**
 * The patch (`patched`) under which a bulk sync prepares alongside its pages, not before, and its
 * pages read factors first (enrichFactorsFirst).
 */
const PREPARATION_ALONGSIDE_PAGES = 'bulk-preparation-alongside-pages';
/**
 * Bulk pages past their factors that may read groups, roles and deliver at once, per page of
 * `pageConcurrency`: each has activities on its worker, whose slots (OKTA_OCSF_WORKER_ACTIVITIES,
 * 20 by default) a burst of pages released by the index must not fill for longer than
 * PLACED_SCHEDULE_TO_START, and whose memory adds to the index build's while it runs (the bench's
 * 50,000-user peak RSS: 402–404 MB with two per page, against a 400 MB target). One is enough:
 * their Okta reads are few (group roles are read once per group, joined across pages).
 */
const FINISHING_PAGES_PER_PAGE = 1;

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

/**
 * One workflow type, two roles. Started by `sync`, `resync`, a schedule or the Temporal UI, it is
 * a request to the org's coordinator (sync-request.ts), which runs the sync as its child: this
 * same workflow with the coordinator for parent, which does the work (and its continued runs).
 */
export async function oktaSync(input: SyncInput): Promise<SyncResult> {
  // Validated first, so that a request with a bad field fails at once, naming it.
  const enrichRetry = enrichRetryOf(input.enrichRetry);
  const budgetMs = activityBudgetMsOf(input.activityBudgetMs);
  const shared = activitiesFor(budgetMs, enrichRetry);
  if (input.resume === undefined && !isCoordinatorChild(input)) {
    return requestSync(input, shared.housekeeping);
  }
  const run = openRun(input, shared, (taskQueue) =>
    activitiesFor(budgetMs, enrichRetry, taskQueue),
  );
  await startEnrichment(run);
  await runPages(run);
  // Its activities are done (or cancelled) before the run ends, whichever way it ends.
  await run.gate.settled();
  if (run.failure !== null) return failSync(run);
  if (run.more || systemLogPending(run.logPhase)) {
    // Let any query/update handler finish before this run's history closes.
    await condition(allHandlersFinished);
    run.state.runNumber += 1;
    return continueAsNew<typeof oktaSync>({ ...input, resume: run.state });
  }
  return completeSync(run);
}

/**
 * Whether this workflow is the org's coordinator's child, the one that runs the sync. Known from
 * the parent's id alone (not the task queue): a replay runs on a queue of its own.
 */
function isCoordinatorChild(input: SyncInput): boolean {
  const parent = workflowInfo().parent?.workflowId;
  return parent !== undefined && parent.startsWith(coordinatorWorkflowIdPrefix(input.orgUrl));
}

type PageActs = ReturnType<typeof activitiesFor>;
type PlacedOn = { acts: PageActs; taskQueue: string };

/** One run of a sync: its state, activities and what the progress query reports. */
interface SyncRun {
  input: SyncInput;
  state: SyncResumeState;
  totals: SyncTotals;
  logPhase: SystemLogPhaseState;
  shared: PageActs;
  placement: PagePlacement<PageActs>;
  maxAttempts: number;
  status: SyncStatus;
  lastError: string | null;
  pagesInFlight: number;
  location: string | null;
  /** Whether users are still to be listed (false once the listing is done). */
  more: boolean;
  failure: unknown;
  /** Where deliveries run: the workflow's own scope, not the pages' (see enrichAndDeliver). */
  workflowScope: CancellationScope;
  /**
   * Where the pages and a bulk sync's preparation run: when one fails for good, the others are
   * cancelled rather than left to finish (a revoked token must stop the sync in seconds, not
   * after every page's retries).
   */
  pagesScope: CancellationScope;
  /** The enrichment decision, known before the first page or (bulk) alongside the pages. */
  gate: EnrichmentGate;
  /** Bulk, this version on: a page reads its factors, then the rest (enrichFactorsFirst). */
  factorsFirst: boolean;
  /** Pages enriched at once (`SyncInput.pageConcurrency`, default DEFAULT_PAGE_CONCURRENCY). */
  pageConcurrency: number;
  /** Pages that count against `pageConcurrency` (bulk: until their factors are read). */
  activePages: number;
  /** Bulk pages past their factors reading the rest or delivering (FINISHING_PAGES_PER_PAGE). */
  finishingPages: number;
  addCounters(c: ActivityCounters): void;
  /** Records the sync's first failure for good and cancels the pages. */
  fail(err: unknown): void;
}

/** The run's state (a fresh sync's, from the watermark the coordinator gave), and its handlers. */
function openRun(
  input: SyncInput,
  shared: PageActs,
  placedOn: (taskQueue: string) => PageActs,
): SyncRun {
  const state = input.resume ?? freshState(input);
  // A state saved before the System Log phase existed: that sync goes on without it.
  const logPhase = (state.systemLog ??= startSystemLogPhase({ ...input, systemLog: 'off' }, state));
  const totals = state.totals;
  const run: SyncRun = {
    input,
    state,
    totals,
    logPhase,
    shared,
    // Each page runs on one worker, next to its staging; a lost worker's pages are redone.
    placement: new PagePlacement(placedOn, (state.pageWorkers ??= [])),
    maxAttempts: enrichRetryOf(input.enrichRetry).maximumAttempts,
    status: 'running',
    lastError: null,
    pagesInFlight: 0,
    location: null,
    more: !logPhase.listingDone,
    failure: null,
    workflowScope: CancellationScope.current(),
    pagesScope: new CancellationScope(),
    gate: EnrichmentGate.of(state.enrichment ?? PER_USER),
    factorsFirst: false,
    pageConcurrency: positiveOr(input.pageConcurrency, DEFAULT_PAGE_CONCURRENCY),
    activePages: 0,
    finishingPages: 0,
    addCounters: (c) => {
      totals.apiCalls += c.apiCalls;
      totals.rateLimited += c.rateLimited;
    },
    fail: (err) => {
      if (run.failure !== null) return;
      run.failure = err;
      run.pagesScope.cancel();
    },
  };
  setHandler(progressQuery, () =>
    resultOf(input, state, run.status, run.lastError, run.pagesInFlight),
  );
  return run;
}

function freshState(input: SyncInput): SyncResumeState {
  const info = workflowInfo();
  countSync('started', input.orgUrl, input.mode);
  const previousWatermark = input.previousWatermark ?? null;
  // An incremental sync with no successful sync before it runs as a full one.
  const incremental = input.mode === 'incremental' && previousWatermark !== null;
  const startedAt = new Date();
  const state: SyncResumeState = {
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
  return state;
}

/**
 * Decides the sync's enrichment. A bulk sync's preparation runs alongside the pages (in their
 * scope, so a failure on either side stops the other); a sync started before that change (a
 * history without the patch marker) keeps preparing before its first page, as it did.
 */
async function startEnrichment(run: SyncRun): Promise<void> {
  const { input, state } = run;
  const strategy = state.enrichment?.strategy ?? strategyOf(input.enrichment, state.effectiveMode);
  run.factorsFirst = strategy === 'bulk' && patched(PREPARATION_ALONGSIDE_PAGES);
  if (state.enrichment !== undefined) return;
  const ref = { orgUrl: input.orgUrl, syncId: state.syncId };
  const decide = (): Promise<EnrichmentState> =>
    bulk
      .prepare(input.enrichment, state.effectiveMode, ref, run.addCounters)
      .then((decided) => (state.enrichment = decided));
  if (!run.factorsFirst) {
    try {
      await decide();
      run.gate = EnrichmentGate.of(state.enrichment ?? PER_USER);
    } catch (err) {
      run.failure = err;
    }
    return;
  }
  run.gate = new EnrichmentGate(run.pagesScope.run(decide));
  run.gate.decided.catch(run.fail);
}

/** A page's place among the `pageConcurrency` pages; given up once, at the latest when it ends. */
interface PageSlot {
  release(): void;
}

async function enrichAndDeliver(
  run: SyncRun,
  ref: PageRef,
  { enrich, deliver }: PageActs,
  slot?: PageSlot,
): Promise<void> {
  if (!run.factorsFirst) {
    await enrichAtOnce(run, ref, enrich);
    return deliverPage(run, ref, deliver);
  }
  // Bulk: the page reads its factors (the per-user budget) in its place among the
  // `pageConcurrency` pages, then gives the place up. Its groups (the index), group roles (the
  // groups family) and roles (a few assignees) spend none of that budget, so the next pages'
  // factors do not wait for them, nor for the index while it builds.
  run.addCounters(await enrich.fetchUserFactors({ ...ref, maxAttempts: run.maxAttempts }));
  slot?.release();
  await run.gate.decided;
  await condition(() => run.finishingPages < FINISHING_PAGES_PER_PAGE * run.pageConcurrency);
  run.finishingPages += 1;
  try {
    const [, userRoles] = await inPageScope(
      () =>
        [
          groupsThenGroupRoles(run, ref, enrich),
          run.gate.withStrategy(enrich, (s) =>
            s.userRoles({ ...ref, maxAttempts: run.maxAttempts }),
          ),
        ] as const,
    );
    run.addCounters(userRoles);
    await deliverPage(run, ref, deliver);
  } finally {
    run.finishingPages -= 1;
  }
}

/**
 * The per-user strategy's page (and a bulk sync's started before PREPARATION_ALONGSIDE_PAGES):
 * groups then group roles, factors and roles at once. A page on a worker without the bulk
 * strategy's index reads per user (bulk-phase.ts): correct, slower.
 */
async function enrichAtOnce(run: SyncRun, ref: PageRef, enrich: PageActs['enrich']): Promise<void> {
  const { maxAttempts, addCounters, gate } = run;
  const [, factors, userRoles] = await inPageScope(
    () =>
      [
        groupsThenGroupRoles(run, ref, enrich),
        enrich.fetchUserFactors({ ...ref, maxAttempts }),
        gate.withStrategy(enrich, (s) => s.userRoles({ ...ref, maxAttempts })),
      ] as const,
  );
  addCounters(factors);
  addCounters(userRoles);
}

async function groupsThenGroupRoles(
  run: SyncRun,
  ref: PageRef,
  enrich: PageActs['enrich'],
): Promise<void> {
  const { maxAttempts, addCounters, gate, totals } = run;
  addCounters(await gate.withStrategy(enrich, (s) => s.userGroups({ ...ref, maxAttempts })));
  const roles = await enrich.fetchGroupRoles({ ...ref, maxAttempts });
  addCounters(roles);
  totals.groupsResolved += roles.fetched;
}

/**
 * A page's reads in a scope of their own: when one fails, the others are stopped and waited for
 * before the page is redone elsewhere or fails (no late write to its staging).
 */
async function inPageScope<T extends readonly unknown[]>(
  start: () => { readonly [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const pageScope = new CancellationScope();
  return pageScope.run(async () => {
    const branches = start();
    try {
      return (await Promise.all(branches)) as unknown as T;
    } catch (err) {
      pageScope.cancel();
      await Promise.allSettled(branches);
      throw err;
    }
  });
}

async function deliverPage(
  run: SyncRun,
  ref: PageRef,
  deliver: PageActs['deliver'],
): Promise<void> {
  // Outside the pages' scope (only cancelling the workflow itself cancels it): a page that
  // reached delivery is delivered and counted even when another page fails the sync (its data
  // is complete; the sink does not depend on Okta). Cancelling it would not stop a delivery
  // under way — the workflow sees a running attempt as cancelled at once, its start being
  // recorded only when it ends — and the sink would hold events the failure summary omits.
  const delivered = await new CancellationScope({
    cancellable: true,
    parent: run.workflowScope,
  }).run(() => deliver.deliverPage({ ...ref, runNumber: run.state.runNumber }));
  addDelivery(run.totals, delivered);
  run.location = delivered.location ?? run.location;
}

/**
 * A listed page is redone from its cursor (`relist`) when its worker is lost; a page of users
 * the System Log named (`relist` null) runs on the shared queue, as before placement.
 */
/**
 * A listed page is redone from its cursor (`relist`) when its worker is lost; a page of users
 * the System Log named (`byId`) is read, enriched and delivered on a claimed worker, and redone
 * from its bucket on another when that worker is lost (system-log-phase.ts).
 */
async function processPage(
  run: SyncRun,
  ref: PageRef,
  on: PlacedOn | null,
  relist: ListUsersPageInput | null,
  byId: ChangedUsersPage | null,
  slot: PageSlot,
): Promise<void> {
  if (byId !== null) {
    const { placement, state, logPhase, addCounters } = run;
    return runChangedUsersPage(placement, byId, state, logPhase, addCounters, (r, acts) =>
      enrichAndDeliver(run, r, acts),
    );
  }
  if (on === null || relist === null) return enrichAndDeliver(run, ref, run.shared, slot);
  try {
    await enrichAndDeliver(run, ref, on.acts, slot);
  } catch (err) {
    if (!isWorkerLost(err)) throw err;
    run.placement.lost(ref, on.taskQueue, err);
    await run.placement.onSomeWorker(
      ref,
      async (acts) => {
        run.addCounters(await acts.okta.listUsersPage(relist));
        await enrichAndDeliver(run, ref, acts, slot);
      },
      1,
    );
  }
}

/** The next page to enrich: listed, or (listing done) of users the System Log named. */
type NextPage =
  | {
      ref: PageRef;
      on: PlacedOn | null;
      relist: ListUsersPageInput | null;
      byId: ChangedUsersPage | null;
      /** Listed users; null for a by-id page, whose users are known only once it is read. */
      users: number | null;
    }
  | 'again'
  | 'done';

async function listNextPage(run: SyncRun): Promise<NextPage> {
  const { input, state, logPhase, totals, addCounters } = run;
  if (!run.more) {
    // The listing is done: the users the System Log named, read by id (on a claimed worker).
    const byId = nextChangedUsersPage(input, state, logPhase);
    return byId === null ? 'done' : { ref: byId.ref, on: null, relist: null, byId, users: null };
  }
  const ref = { orgUrl: input.orgUrl, syncId: state.syncId, page: state.pagesListed + 1 };
  const listInput = { ...ref, nextUrl: state.nextUrl, filter: state.filter };
  const { on, listed } = await run.placement.onSomeWorker(ref, async (acts, taskQueue) => ({
    on: { acts, taskQueue },
    listed: await acts.okta.listUsersPage(listInput),
  }));
  addCounters(listed);
  if (state.pagesListed === 0 && !logPhase.collected) {
    // The log's `until` is this sync's start by Okta's clock: the first page's Date, which
    // Okta truncates to the second, plus that second (an event read twice is harmless).
    const until = logUntil(listed.serverDate);
    if (await collectSystemLog(run.shared.okta, input, state, logPhase, until, addCounters)) {
      return 'again'; // turned full: list again from the first page, without filter
    }
  }
  if (state.pagesListed === 0 && state.watermark === null) {
    state.watermark = watermarkFrom(listed.serverDate);
  }
  state.pagesListed += 1;
  state.nextUrl = listed.nextUrl;
  run.more = listed.nextUrl !== null;
  logPhase.listingDone = !run.more;
  totals.pages += 1;
  totals.users += listed.users;
  if (state.effectiveMode === 'incremental') logPhase.report.sources.lastUpdated += listed.users;
  return { ref, on, relist: listInput, byId: null, users: listed.users };
}

/** Lists and enriches pages until the sync is done, fails, or this run has done its share. */
async function runPages(run: SyncRun): Promise<void> {
  const pagesPerRun = positiveOr(run.input.pagesPerRun, DEFAULT_PAGES_PER_RUN);
  const { pagesScope: pages, fail, pageConcurrency } = run;
  const inFlight = new Set<Promise<void>>();
  let pagesThisRun = 0;
  const shouldPause = (): boolean =>
    pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested;

  while (run.failure === null && !shouldPause()) {
    let next: NextPage;
    try {
      next = await listNextPage(run);
    } catch (err) {
      fail(err);
      break;
    }
    if (next === 'done') break;
    if (next === 'again') continue;
    pagesThisRun += 1;
    if (next.users === 0) continue; // an empty listed page
    run.pagesInFlight += 1;
    const { ref, on, relist, byId } = next;
    const slot = takePageSlot(run);
    const p: Promise<void> = pages
      .run(() => processPage(run, ref, on, relist, byId, slot))
      .catch(fail)
      .finally(() => {
        slot.release();
        run.pagesInFlight -= 1;
        inFlight.delete(p);
      });
    inFlight.add(p);
    await condition(() => run.failure !== null || run.activePages < pageConcurrency);
  }
  await Promise.all(inFlight);
}

/** A place among the `pageConcurrency` pages, taken as the page starts. */
function takePageSlot(run: SyncRun): PageSlot {
  run.activePages += 1;
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      run.activePages -= 1;
    },
  };
}

/** Ends a failed sync: its staging dropped, the failure (with the totals) reported. */
async function failSync(run: SyncRun): Promise<never> {
  const { input, state, totals } = run;
  run.status = 'failed';
  run.lastError = describeFailure(run.failure);
  log.error('sync failed', { syncId: state.syncId, error: run.lastError });
  countSync('failed', input.orgUrl, input.mode);
  // Best effort: the staging of a failed sync is useless to a new one.
  await run.shared.housekeeping
    .finishSync({ orgUrl: input.orgUrl, syncId: state.syncId })
    .catch(() => {});
  await finishOnPageWorkers(run.placement, { orgUrl: input.orgUrl, syncId: state.syncId });
  throw ApplicationFailure.nonRetryable(
    `Okta sync ${state.syncId} failed after delivering ${totals.events} events: ${run.lastError}`,
    ErrorType.SyncFailed,
    resultOf(input, state, run.status, run.lastError, 0),
  );
}

/** Ends a completed sync; its result carries the watermark the coordinator keeps. */
async function completeSync(run: SyncRun): Promise<SyncResult> {
  const { input, state, totals } = run;
  await run.shared.housekeeping.finishSync({ orgUrl: input.orgUrl, syncId: state.syncId });
  await finishOnPageWorkers(run.placement, { orgUrl: input.orgUrl, syncId: state.syncId });
  run.status = 'completed';
  countSync('succeeded', input.orgUrl, input.mode);
  const result: SyncResult = {
    ...resultOf(input, state, run.status, null, 0),
    finishedAt: new Date().toISOString(),
    watermark: state.watermark,
    location: run.location,
  };
  // The memo is for operators browsing the Temporal UI only: the watermark the next
  // incremental starts from is the coordinator's, taken from this result.
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
