/**
 * The Temporal worker: runs the sync workflow and its activities for one Okta org. The token,
 * the sink's keys and the encryption keys live in this process only.
 */
import { Connection, Client } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import type { AppConfig } from './config';
import { createActivities } from './activities';
import { oktaSessionFactory } from './activities/okta-client-session';
import { ownTaskQueueOf, pagePlacementActivities } from './activities/page-placement';
import type { OktaSession } from './activities/okta-session';
import { dataConverterFor } from './codec/data-converter';
import { ConnectorMetrics } from './metrics/connector-metrics';
import { prometheusTelemetry } from './metrics/prometheus-exporter';
import { createSink } from './sinks/sink-config';
import type { EventSink } from './sinks/sink';
import { orgKey } from './sync/naming';
import { StagingStore } from './sync/staging';
import { workflowBundlePath } from './workflow-bundle';

export interface SyncWorkerOptions {
  /** A prebuilt workflow bundle (tests bundle once for many workers). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Replaces the Okta session (unit tests). */
  oktaSession?: () => OktaSession;
  sink?: EventSink;
  /** Replaces the task queue of the configuration (tests isolate themselves with it). */
  taskQueue?: string;
}

let runtimeInstalled = false;
let runtimeMetricsAddress: string | null = null;

/**
 * Temporal's logs go to stderr, so that `OCSF_SINK=stdout` output stays a clean NDJSON stream.
 * Installed once per process, before the first connection. With `metricsAddress` the runtime's
 * Prometheus exporter serves `/metrics` there (the SDK's metrics and the connector's).
 */
export function installRuntime(
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'INFO',
  metricsAddress: string | null = null,
): void {
  if (runtimeInstalled) {
    if (metricsAddress !== null && metricsAddress !== runtimeMetricsAddress) {
      // The exporter is part of the runtime, installed once: metrics asked for later cannot be served.
      throw new Error(
        `OKTA_OCSF_METRICS_ADDRESS: cannot serve metrics on ${metricsAddress}: the Temporal runtime ` +
          `of this process was installed ${runtimeMetricsAddress === null ? 'without metrics' : `with metrics on ${runtimeMetricsAddress}`}`,
      );
    }
    return;
  }
  try {
    Runtime.install({
      ...(metricsAddress !== null && { telemetryOptions: prometheusTelemetry(metricsAddress) }),
      logger: new DefaultLogger(level, (entry) => {
        const meta = entry.meta && Object.keys(entry.meta).length > 0 ? entry.meta : undefined;
        const line = {
          time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
          level: entry.level,
          message: entry.message,
          ...(meta ? { meta } : {}),
        };
        process.stderr.write(`${safeJson(line)}\n`);
      }),
    });
  } catch (err) {
    if (metricsAddress === null) throw err;
    throw new Error(
      `OKTA_OCSF_METRICS_ADDRESS: cannot serve metrics on ${metricsAddress}: ${(err as Error).message}`,
    );
  }
  runtimeInstalled = true;
  runtimeMetricsAddress = metricsAddress;
}

function stopBoth(...workers: Worker[]): void {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return JSON.stringify({ message: String(v) });
  }
}

export interface SyncWorker {
  worker: Worker;
  /** Runs until `shutdown()` or SIGINT/SIGTERM, then finishes in-flight tasks. */
  run(): Promise<void>;
  shutdown(): void;
  close(): Promise<void>;
}

export async function createSyncWorker(
  config: AppConfig,
  opts: SyncWorkerOptions = {},
): Promise<SyncWorker> {
  if (!config.okta)
    throw new Error('the worker needs OKTA_ORG_URL and OKTA_API_TOKEN (or an OAuth service app)');
  if (!config.sink && !opts.sink) throw new Error('the worker needs a sink (OCSF_SINK)');
  installRuntime('INFO', config.metricsAddress);
  const okta = config.okta;
  const dataConverter = dataConverterFor(config.keyring);
  if (config.keyring && opts.workflowBundle) {
    // A prebuilt bundle lacks the failure converter that encrypts workflow failure messages.
    throw new Error('a prebuilt workflow bundle cannot be used with OKTA_OCSF_ENCRYPTION_KEYS');
  }
  const connection = await connectWorker(config.temporal.address);
  const client = lazyClient(config, dataConverter);

  const sink = opts.sink ?? createSink(config.sink!);
  const taskQueue = opts.taskQueue ?? config.temporal.taskQueue;
  const metrics = connectorMetrics(config, okta, sink, taskQueue);
  const ownTaskQueue = ownTaskQueueOf(taskQueue);
  const syncActivities = createActivities({
    orgUrl: okta.orgUrl,
    staging: new StagingStore(config.stateDir),
    sink,
    oktaSession: opts.oktaSession ?? oktaSessionFactory(okta, metrics),
    temporalClient: client.get,
    metrics,
    indexRunPairs: config.indexRunPairs,
  });
  const activities = { ...syncActivities, ...pagePlacementActivities(ownTaskQueue) };

  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    // Built by `npm run build`; the encrypted variant carries the failure converter.
    workflowBundle: opts.workflowBundle ?? {
      codePath: workflowBundlePath(dataConverter !== undefined),
    },
    activities,
    dataConverter,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    // Long enough for an activity to save its progress to staging on shutdown.
    shutdownGraceTime: '10 seconds',
  });
  // The same activities on this process's own queue: where the pages it claims run, next to
  // their staging (src/workflows/page-placement.ts). Activities only, no workflows.
  const pageWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: ownTaskQueue,
    activities,
    dataConverter,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    shutdownGraceTime: '10 seconds',
  });

  return {
    worker,
    run: () => runBoth(worker, pageWorker),
    shutdown: () => stopBoth(worker, pageWorker),
    close: async () => {
      await sink.close();
      await connection.close();
      await client.close();
    },
  };
}

async function connectWorker(address: string): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${(err as Error).message}`,
    );
  }
}

/** The client the coordination activities signal through, connected on first use only. */
function lazyClient(
  config: AppConfig,
  dataConverter: ReturnType<typeof dataConverterFor>,
): { get: () => Promise<Client>; close: () => Promise<void> } {
  let clientPromise: Promise<Client> | null = null;
  let clientConnection: Connection | null = null;
  return {
    get: () => {
      clientPromise ??= Connection.connect({ address: config.temporal.address }).then((c) => {
        clientConnection = c;
        return new Client({ connection: c, namespace: config.temporal.namespace, dataConverter });
      });
      return clientPromise;
    },
    close: async () => {
      if (clientConnection) await (clientConnection as Connection).close();
    },
  };
}

/** The connector's own series, only when the runtime serves metrics. */
function connectorMetrics(
  config: AppConfig,
  okta: NonNullable<AppConfig['okta']>,
  sink: EventSink,
  taskQueue: string,
): ConnectorMetrics | undefined {
  if (config.metricsAddress === null) return undefined;
  const metrics = new ConnectorMetrics(Runtime.instance().metricMeter, orgKey(okta.orgUrl));
  metrics.setRateLimitShare(okta.rateLimitShare);
  metrics.initSeries(sink.kind, { namespace: config.temporal.namespace, taskQueue });
  return metrics;
}

async function runBoth(worker: Worker, pageWorker: Worker): Promise<void> {
  const runs = [worker.run(), pageWorker.run()];
  try {
    await Promise.all(runs);
  } catch (err) {
    // One of the two failed: the process stops polling both, as one worker.
    stopBoth(worker, pageWorker);
    await Promise.allSettled(runs);
    throw err;
  }
}
