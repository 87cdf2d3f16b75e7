/**
 * The Temporal SDK runtime's Prometheus exporter, which serves `/metrics` for the SDK's own
 * metrics and for the connector's (recorded through the same runtime's MetricMeter; see
 * connector-metrics.ts).
 */
import type { TelemetryOptions } from '@temporalio/worker';
import { HISTOGRAM_BUCKETS } from './connector-metrics';

export function prometheusTelemetry(bindAddress: string): TelemetryOptions {
  return {
    metrics: {
      prometheus: {
        bindAddress,
        // Prometheus' naming conventions: counters end in _total, durations are in seconds and
        // say so in their names (the SDK's own histograms; ours carry the unit in the name).
        countersTotalSuffix: true,
        unitSuffix: true,
        useSecondsForDurations: true,
        histogramBucketOverrides: { ...HISTOGRAM_BUCKETS },
      },
    },
  };
}
