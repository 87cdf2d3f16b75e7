/**
 * The bound every activity of a sync has: nothing retries forever.
 *
 * - `maximumAttempts` (`TRANSIENT_MAX_ATTEMPTS`) caps the attempts of any activity, whatever the
 *   error (a worker lost mid-activity costs one); errors of `bounded` retryability stop sooner
 *   (`BOUNDED_ATTEMPTS`, src/contract/error-table.ts), `fatal` ones at once.
 * - `scheduleToCloseTimeout` = the activity budget caps the wall-clock time of one activity, all
 *   its attempts and the rate-limit waits between them included. Okta's windows are one minute
 *   long and the client waits out at most `rateLimitWaitBudgetMs` (90 s) per request before the
 *   attempt fails and Temporal retries at the window's reset: a page that is still rate-limited
 *   after the budget means the org's budget is consumed by someone else, and the sync fails
 *   saying so rather than waiting on.
 *
 * Configurable per sync (`SyncInput.activityBudgetMs`, from OKTA_OCSF_RETRY_BUDGET_MS).
 * Workflow code imports this module: plain values only.
 */

/** Default budget of one activity, all attempts included: 30 minutes. */
export const DEFAULT_ACTIVITY_BUDGET_MS = 30 * 60_000;
/** The smallest budget accepted: one Okta rate-limit window and the client's wait, plus margin. */
export const MIN_ACTIVITY_BUDGET_MS = 60_000;
export const MAX_ACTIVITY_BUDGET_MS = 24 * 60 * 60_000;

/** Attempts of the listing, delivery and housekeeping activities, the first included. */
export const TRANSIENT_MAX_ATTEMPTS = 20;

/** Whether `ms` is an acceptable activity budget (an integer within the bounds above). */
export function isValidActivityBudget(ms: unknown): ms is number {
  return (
    typeof ms === 'number' &&
    Number.isInteger(ms) &&
    ms >= MIN_ACTIVITY_BUDGET_MS &&
    ms <= MAX_ACTIVITY_BUDGET_MS
  );
}
