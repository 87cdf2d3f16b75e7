/**
 * What travels through Temporal: workflow input, continue-as-new state, activity inputs and
 * results, the progress query and the final result. Everything here is small on purpose — user
 * data stays in the staging store (see `staging.ts`), only references and counters go into
 * history. No secrets ever: the token lives in the worker's environment only.
 *
 * This module is imported by workflow code: types and pure values only, no Node APIs.
 */
import type { EnrichmentKind } from '../okta/types';
import type { SystemLogMode, SystemLogPhaseState, SystemLogReport } from './system-log-phase';
import type { EnrichmentChoice, EnrichmentState } from './bulk-types';

export type SyncMode = 'full' | 'incremental';

/** Counters of a sync, summed over its pages and carried across continue-as-new. */
export interface SyncTotals {
  pages: number;
  /** Users listed by Okta. */
  users: number;
  /** Events delivered to the sink. */
  events: number;
  /** Users listed but not emitted (deleted mid-run, unusable record); see `skippedReasons`. */
  skipped: number;
  skippedReasons: Record<string, number>;
  /** Okta API requests sent, including retried and rate-limited ones. */
  apiCalls: number;
  /** Okta answers 429 (bucket or concurrency). */
  rateLimited: number;
  /** Enrichments that fell back to their documented default after exhausted retries. */
  fallbacks: number;
  fallbacksByKind: Record<EnrichmentKind, number>;
  /** Distinct groups whose roles were fetched (once per group per sync). */
  groupsResolved: number;
}

export function emptyTotals(): SyncTotals {
  return {
    pages: 0,
    users: 0,
    events: 0,
    skipped: 0,
    skippedReasons: {},
    apiCalls: 0,
    rateLimited: 0,
    fallbacks: 0,
    fallbacksByKind: { groups: 0, group_roles: 0, factors: 0, user_roles: 0 },
    groupsResolved: 0,
  };
}

/** The counters one activity reports; added to the totals by the workflow. */
export interface ActivityCounters {
  apiCalls: number;
  rateLimited: number;
}

export interface SyncInput {
  /** Origin of the Okta org, e.g. `https://acme.okta.com`; the worker refuses any other org. */
  orgUrl: string;
  mode: SyncMode;
  /** Continue-as-new after this many pages (also when Temporal suggests it). Default 50. */
  pagesPerRun?: number;
  /** Pages enriched at the same time (listing stays sequential). Default 2. */
  pageConcurrency?: number;
  /**
   * Retry policy of the enrichment activities; omitted fields keep the defaults (8 attempts, 1 s
   * doubling up to 1 min). The documented fallback applies on the last attempt, so this bounds how
   * long a failing enrichment is retried before its users are emitted with `enrichment_errors`.
   * For tests and operators who need the fallback sooner (or later).
   */
  enrichRetry?: Partial<EnrichRetryPolicy>;
  /** Incremental syncs: read the System Log too (`auto`, default), insist on it, or not (`off`). */
  systemLog?: SystemLogMode;
  /** How much earlier than the previous watermark the log is read from. Default 5 min. */
  systemLogMarginMs?: number;
  /** Above this many log-named users the sync runs full instead. Default 20 000. */
  systemLogMaxUsers?: number;
  /** Enrichment strategy (`OKTA_OCSF_ENRICHMENT`); default auto: bulk for full syncs. */
  enrichment?: EnrichmentChoice;
  /**
   * Wall-clock bound of one activity, all its attempts and rate-limit waits included
   * (`scheduleToCloseTimeout`; src/contract/activity-budget.ts). Default 30 min.
   */
  activityBudgetMs?: number;
  /** Set by the workflow itself when it continues as new; absent on a fresh start. */
  resume?: SyncResumeState;
  /**
   * Set by the org's coordinator on the child that runs the sync: the watermark of the last
   * successful sync (null: none yet). Read only when the workflow's parent is the coordinator.
   */
  previousWatermark?: string | null;
}

export interface EnrichRetryPolicy {
  /** Attempts of each enrichment activity, the first included; the last one falls back. */
  maximumAttempts: number;
  /** Delay before the first retry; doubles per attempt. */
  initialIntervalMs: number;
  maximumIntervalMs: number;
}

/** Everything a continued run needs to go on where the previous one stopped. */
export interface SyncResumeState {
  syncId: string;
  startedAt: string;
  runNumber: number;
  effectiveMode: SyncMode;
  /** Okta filter of this sync (`lastUpdated gt "…"` for incremental runs). */
  filter: string | null;
  /** The `next` link of the last page listed; null before the first page. */
  nextUrl: string | null;
  pagesListed: number;
  /** When this sync started by Okta's clock, less the margin: the next incremental's watermark. */
  watermark: string | null;
  previousWatermark: string | null;
  totals: SyncTotals;
  /** The System Log phase (absent in states saved before it existed). */
  systemLog?: SystemLogPhaseState;
  /** The enrichment strategy of this sync, decided once before its first page. */
  enrichment?: EnrichmentState;
  /** Own task queues of the workers that staged pages of this sync (page-placement.ts). */
  pageWorkers?: string[];
}

/** `queued`: a request waiting for the org's coordinator to run it. */
export type SyncStatus = 'queued' | 'running' | 'completed' | 'failed' | 'skipped';

/** The answer of the `progress` query, and the shape `status` prints. */
export interface SyncProgress {
  status: SyncStatus;
  syncId: string;
  orgUrl: string;
  mode: SyncMode;
  effectiveMode: SyncMode;
  runNumber: number;
  startedAt: string;
  /** Users whose `lastUpdated` is after this were asked for (incremental), else null. */
  previousWatermark: string | null;
  pagesInFlight: number;
  totals: SyncTotals;
  /** What the System Log contributed (incremental syncs); null before the sync has begun. */
  systemLog: SystemLogReport | null;
  lastError: string | null;
  enrichment?: EnrichmentState;
  /**
   * On a request (a sync started by `sync`, `resync`, a schedule or the UI): the coordinator's
   * child workflow that runs it, once started; that workflow's `progress` has the totals.
   */
  child?: { workflowId: string; firstRunId: string };
}

/** Result of a completed sync; also kept in its memo so the next incremental finds it. */
export interface SyncResult extends SyncProgress {
  finishedAt: string;
  watermark: string | null;
  /** Where the sink put the events (e.g. the file sink's folder). */
  location: string | null;
}

// ---- activity inputs and results -------------------------------------------------------------

export interface PageRef {
  orgUrl: string;
  syncId: string;
  /** 1-based page number within the sync; names the staging folder and the delivered part. */
  page: number;
}

export interface ListUsersPageInput extends PageRef {
  nextUrl: string | null;
  filter: string | null;
}

export interface ListUsersPageResult extends ActivityCounters {
  users: number;
  nextUrl: string | null;
  /** Okta's `Date` header of this response, ISO; the first page's becomes the watermark. */
  serverDate: string | null;
}

export interface EnrichInput extends PageRef {
  /** Retry policy's maximum attempts: on the last one, failures fall back instead of throwing. */
  maxAttempts: number;
}

export interface EnrichResult extends ActivityCounters {
  fallbacks: number;
  /** Users Okta no longer knows (404): deleted while the sync ran. */
  notFound: number;
}

export interface GroupRolesResult extends EnrichResult {
  /** Groups whose roles this call fetched (not already known in this sync). */
  fetched: number;
}

export interface DeliverPageInput extends PageRef {
  runNumber: number;
}

export interface DeliverPageResult {
  events: number;
  skipped: number;
  skippedReasons: Record<string, number>;
  fallbacks: number;
  fallbacksByKind: Record<EnrichmentKind, number>;
  location: string | null;
}

export interface FinishSyncInput {
  orgUrl: string;
  syncId: string;
}
