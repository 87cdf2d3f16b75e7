/**
 * Syncs started, succeeded, failed and skipped, counted from the workflow through the SDK's
 * workflow `metricMeter`: it records nothing while a workflow is replayed, so a sync is counted
 * once however often its history is replayed. Served on the worker's `/metrics` as
 * `okta_ocsf_syncs_*_total`; a no-op when the worker serves no metrics.
 */
import { metricMeter } from '@temporalio/workflow';
import { SYNC_HELP, syncCounterName, type SyncOutcome } from '../metrics/names';
import { orgKey } from '../sync/naming';
import type { SyncMode } from '../sync/types';

export function countSync(outcome: SyncOutcome, orgUrl: string, mode: SyncMode): void {
  metricMeter
    .createCounter(syncCounterName(outcome), '', SYNC_HELP[outcome])
    .add(1, { org: orgKey(orgUrl), mode });
}
