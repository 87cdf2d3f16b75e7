/**
 * What travels through Temporal for the System Log phase of an incremental sync (issue 12): its
 * settings, the state carried across continue-as-new, the activities' inputs and results and
 * what the summary reports. Small on purpose: no user id crosses Temporal, only the log's window
 * (`since`, `until`), counts and bucket numbers.
 *
 * Why not carry the log-named ids in the workflow (issue 13: any worker must be able to finish
 * the phase, staging is only a per-worker cache): up to `DEFAULT_SYSTEM_LOG_MAX_USERS` = 20,000
 * Okta ids of 20 characters are ~460 KB of JSON — close to Temporal's 512 KB per-payload warning,
 * copied into history by the collecting activity's result and again by every continue-as-new of
 * the by-id phase, and a list of "who just became admin" in history that the claim-check rule
 * keeps out. Instead the window is in history and Okta's past log does not change, so a worker
 * without the cache reads the log again (a call per 1,000 events in the System Log bucket,
 * plus one members listing per privileged group); a by-id page is "the named ids whose hash falls
 * in bucket k of n" (`changedUsersBucket`), so two workers whose readings differ slightly (an
 * event that reached the log late, a group's members changed since) never both deliver one user.
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

/**
 * Ids read by id per page of the by-id phase, on average: the size of a listed page. Pages are
 * hash buckets (`changedUsersBucket`), so one holds a few more or fewer.
 */
export const CHANGED_USERS_PAGE_SIZE = 200;

/** Buckets (by-id pages) for `users` log-named users. */
export function changedUsersBuckets(users: number): number {
  return Math.ceil(users / CHANGED_USERS_PAGE_SIZE);
}

/**
 * The by-id page (0 ≤ bucket < `buckets`) that reads user `id`: FNV-1a over the id's UTF-16 code
 * units. Pure and the same on every worker, so each id belongs to exactly one page whatever set
 * of ids a worker derived from the log.
 */
export function changedUsersBucket(id: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % buckets;
}

/**
 * Whether a log-named user, as read by id now, is the `lastUpdated` listing's to deliver rather
 * than the by-id phase's: its `lastUpdated` is after the previous watermark. `lastUpdated` never
 * goes back, so either it was after the watermark while the listing passed it (the listing, whose
 * filter is `lastUpdated gt <previous watermark>`, emitted it), or it moved after the listing
 * passed it — after this sync started, hence after this sync's watermark, and the next sync's
 * listing emits it. Either way it is delivered once per sync and not missed, without reading
 * what the listed pages staged (on other workers' disks).
 */
export function coveredByListing(
  lastUpdated: string | null | undefined,
  previousWatermark: string,
): boolean {
  const at = typeof lastUpdated === 'string' ? Date.parse(lastUpdated) : NaN;
  const since = Date.parse(previousWatermark);
  return Number.isFinite(at) && Number.isFinite(since) && at > since;
}

/** Where the users of an incremental sync came from. */
export interface SourceCounts {
  /** Users listed by `lastUpdated gt <watermark>`. */
  lastUpdated: number;
  /** Distinct users the System Log named (group privilege events expanded to members). */
  systemLog: number;
  /**
   * Named by the log and covered by the `lastUpdated` listing (read by id, its `lastUpdated` is
   * after the previous watermark: `coveredByListing`): delivered once, from the listing.
   */
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
  /**
   * By-id pages (hash buckets of the log-named users), known once the log was read; null before
   * (and in a state saved by a version that planned them after the listing).
   */
  pagesPlanned: number | null;
  /** By-id pages started (buckets 0…pagesDone-1); each runs to its end before continue-as-new. */
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

export interface ReadChangedUsersPageInput {
  orgUrl: string;
  syncId: string;
  /** The staging page the users are written to (numbered after the listed pages). */
  page: number;
  /** The log's window: a worker without the ids in its staging reads the log again. */
  since: string;
  until: string;
  /** This page reads the named ids with `changedUsersBucket(id, buckets) === bucket`. */
  bucket: number;
  buckets: number;
  /** The listing's filter is `lastUpdated gt <previousWatermark>` (`coveredByListing`). */
  previousWatermark: string;
}

export interface ReadChangedUsersPageResult {
  apiCalls: number;
  rateLimited: number;
  /** Staged for enrichment and delivery: found, and not the listing's. */
  users: number;
  /** Found, and the listing's (`coveredByListing`): not staged. */
  both: number;
  /** 404: deleted since. */
  deleted: number;
}
