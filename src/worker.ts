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
import type { OktaSession } from './activities/okta-session';
import { dataConverterFor } from './codec/data-converter';
import { createSink } from './sinks/sink-config';
import type { EventSink } from './sinks/sink';
import { StagingStore } from './sync/staging';
import { bundleInChildProcess } from './workflow-bundle';

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

/**
 * Temporal's logs go to stderr, so that `OCSF_SINK=stdout` output stays a clean NDJSON stream.
 * Installed once per process, before the first connection.
 */
export function installRuntime(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'INFO'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
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
  if (!config.okta) throw new Error('the worker needs OKTA_ORG_URL and OKTA_API_TOKEN');
  if (!config.sink && !opts.sink) throw new Error('the worker needs a sink (OCSF_SINK)');
  installRuntime();
  const okta = config.okta;
  const dataConverter = dataConverterFor(config.keyring);
  if (config.keyring && opts.workflowBundle) {
    // A prebuilt bundle lacks the failure converter that encrypts workflow failure messages.
    throw new Error('a prebuilt workflow bundle cannot be used with OKTA_OCSF_ENCRYPTION_KEYS');
  }
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: config.temporal.address });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address} (TEMPORAL_ADDRESS): ${(err as Error).message}`,
    );
  }

  let clientPromise: Promise<Client> | null = null;
  let clientConnection: Connection | null = null;
  const temporalClient = (): Promise<Client> => {
    clientPromise ??= Connection.connect({ address: config.temporal.address }).then((c) => {
      clientConnection = c;
      return new Client({ connection: c, namespace: config.temporal.namespace, dataConverter });
    });
    return clientPromise;
  };

  const sink = opts.sink ?? createSink(config.sink!);
  const activities = createActivities({
    orgUrl: okta.orgUrl,
    staging: new StagingStore(config.stateDir),
    sink,
    oktaSession: opts.oktaSession ?? oktaSessionFactory(okta),
    temporalClient,
    indexRunPairs: config.indexRunPairs,
  });

  // Bundled in a child process, so that webpack's memory is not the worker's for its whole life.
  const built = opts.workflowBundle
    ? null
    : await bundleInChildProcess({
        workflowsPath: require.resolve('./workflows'),
        failureConverterPath: dataConverter?.failureConverterPath,
      });
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
      workflowBundle: opts.workflowBundle ?? { codePath: built!.codePath },
      activities,
      dataConverter,
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
      // Long enough for an activity to save its progress to staging on shutdown.
      shutdownGraceTime: '10 seconds',
    });
  } finally {
    await built?.cleanup();
  }

  return {
    worker,
    run: () => worker.run(),
    shutdown: () => worker.shutdown(),
    close: async () => {
      await sink.close();
      await connection.close();
      if (clientConnection) await (clientConnection as Connection).close();
    },
  };
}
