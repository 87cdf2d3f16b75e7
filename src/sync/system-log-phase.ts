/**
 * What travels through Temporal for the System Log phase of an incremental sync (issue 12): its
 * settings, the state carried across continue-as-new, the activities' inputs and results and
 * what the summary reports. Small on purpose: user ids stay in staging, only counts go here.
 *
 * Imported by workflow code: types and pure values only.
 */

/** `OKTA_OCSF_SYSTEM_LOG`: read the log when Okta allows it, insist on it, or never read it. */
export type SystemLogMode = 'auto' | 'required' | 'off';
export const SYSTEM_LOG_MODES: readonly SystemLogMode[] = ['auto', 'required', 'off'];

/**
 * How much earlier than the previous watermark the log is read from: an event can reach the log
 * a little after it happened. Okta does not publish a bound; minutes cover what is observed, and
 * an event read twice only means its user is read again.
 */
export const DEFAULT_SYSTEM_LOG_MARGIN_MS = 5 * 60 * 1000;

/**
 * Above this many distinct users named by the log (group privilege events expanded), reading
 * each again by id costs more than listing everyone (200 a request): the sync runs full instead.
 */
export const DEFAULT_SYSTEM_LOG_MAX_USERS = 20_000;

/** Ids read by id per page of the by-id phase: the size of a listed page. */
export const CHANGED_USERS_PAGE_SIZE = 200;

/** Where the users of an incremental sync came from. */
export interface SourceCounts {
  /** Users listed by `lastUpdated gt <watermark>`. */
  lastUpdated: number;
  /** Distinct users the System Log named (group privilege events expanded to members). */
  systemLog: number;
  /** Named by the log and also listed by `lastUpdated`: delivered once, from the listing. */
  both: number;
  /** Named by the log only, read again by id and found. */
  readById: number;
  /** Named by the log only and gone (404): deleted since; no event. */
  deleted: number;
}

export function emptySources(): SourceCounts {
  return { lastUpdated: 0, systemLog: 0, both: 0, readById: 0, deleted: 0 };
}

/** The System Log part of the summary and of the `progress` query. */
export interface SystemLogReport {
  /**
   * `read` (the log was read), `off` (OKTA_OCSF_SYSTEM_LOG=off), `unavailable: <Okta's reason>`
   * (403 with `auto`), `not used: <why>` (full sync, retention, too many users).
   */
  status: string;
  since: string | null;
  until: string | null;
  /** Matching events read. */
  events: number;
  /** Groups whose privilege changed, expanded to their current members. */
  groupsExpanded: number;
  sources: SourceCounts;
}

/** Carried across continue-as-new. */
export interface SystemLogPhaseState {
  report: SystemLogReport;
  /** The log has been read (or will not be) for this sync. */
  collected: boolean;
  /** The `lastUpdated` listing has reached its last page. */
  listingDone: boolean;
  /** Pages of log-only users to read by id; null until planned (after the listing). */
  pagesPlanned: number | null;
  pagesDone: number;
}

export interface CollectChangedUsersInput {
  orgUrl: string;
  syncId: string;
  since: string;
  until: string;
  /** `required`: a refused log fails the sync; `auto`: it is reported and the sync goes on. */
  required: boolean;
  maxUsers: number;
}

export type CollectChangedUsersResult = {
  apiCalls: number;
  rateLimited: number;
  events: number;
  groupsExpanded: number;
} & (
  | { outcome: 'read'; users: number }
  | { outcome: 'unavailable'; reason: string }
  | { outcome: 'too_many'; users: number }
);

export interface PlanChangedUsersInput {
  orgUrl: string;
  syncId: string;
  /** Pages 1…listedPages hold the users the `lastUpdated` listing emitted. */
  listedPages: number;
  pageSize: number;
}

export interface PlanChangedUsersResult {
  /** Log-named users the listing already emitted. */
  both: number;
  /** Log-named users to read by id. */
  toRead: number;
  pages: number;
}

export interface ReadChangedUsersPageInput {
  orgUrl: string;
  syncId: string;
  /** The staging page the users are written to (numbered after the listed pages). */
  page: number;
  /** 0-based index of the slice of ids to read. */
  index: number;
  pageSize: number;
}

export interface ReadChangedUsersPageResult {
  apiCalls: number;
  rateLimited: number;
  users: number;
  deleted: number;
}
