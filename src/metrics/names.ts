/**
 * The names of the connector's metrics: pure values, shared by the worker's metrics module and the
 * workflow (which counts syncs), and by the dashboard test.
 */

/**
 * Every metric name the connector exports, as scraped (counters with the exporter's `_total`).
 * The sync counters are recorded by the workflow (src/workflows/sync-metrics.ts).
 */
export const METRIC = {
  oktaRequests: 'okta_ocsf_okta_requests_total',
  oktaRateLimited: 'okta_ocsf_okta_rate_limited_total',
  oktaRequestDuration: 'okta_ocsf_okta_request_duration_seconds',
  rateLimitLimit: 'okta_ocsf_rate_limit_limit',
  rateLimitRemaining: 'okta_ocsf_rate_limit_remaining',
  rateLimitReset: 'okta_ocsf_rate_limit_reset_timestamp_seconds',
  rateLimitShare: 'okta_ocsf_rate_limit_share',
  rateLimitWait: 'okta_ocsf_rate_limit_wait_seconds',
  usersListed: 'okta_ocsf_users_listed_total',
  usersSkipped: 'okta_ocsf_users_skipped_total',
  eventsDelivered: 'okta_ocsf_events_delivered_total',
  fallbacks: 'okta_ocsf_fallbacks_total',
  sinkRetries: 'okta_ocsf_sink_retries_total',
  syncsStarted: 'okta_ocsf_syncs_started_total',
  syncsSucceeded: 'okta_ocsf_syncs_succeeded_total',
  syncsFailed: 'okta_ocsf_syncs_failed_total',
  syncsSkipped: 'okta_ocsf_syncs_skipped_total',
} as const;

export const SYNC_OUTCOMES = ['started', 'succeeded', 'failed', 'skipped'] as const;
export type SyncOutcome = (typeof SYNC_OUTCOMES)[number];

export const SYNC_HELP: Readonly<Record<SyncOutcome, string>> = {
  started: 'Syncs started (continue-as-new runs of one sync are not counted again), by mode',
  succeeded: 'Syncs that completed, by mode',
  failed: 'Syncs that ended failed (with their reason in the workflow result), by mode',
  skipped: 'Syncs that did not run because another sync of the org and mode was running, by mode',
};

/** The counter name to create for a sync outcome (the exporter adds `_total`). */
export function syncCounterName(outcome: SyncOutcome): string {
  return `okta_ocsf_syncs_${outcome}`;
}
