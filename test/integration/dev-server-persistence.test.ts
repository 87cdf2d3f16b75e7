/**
 * The dev-server setup on a real Temporal server (no mocks):
 * - acceptance: stopping and restarting the dev server keeps completed workflow histories,
 *   because they live in its SQLite file;
 * - the shared server from jest's globalSetup is reachable from a test worker.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { freePorts, startDevServer, type DevServer } from '../../src/devtools/temporal-dev-server';
import { echo, type EchoActivities } from '../support/workflows/echo';

const activities: EchoActivities = {
  shout: async (text) => text.toUpperCase(),
};

interface Snapshot {
  runId: string;
  status: string;
  result: string;
  eventTypes: string[];
}

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // Worker lifecycle lines at INFO would bury the test output; warnings and errors still show.
  const logger = new DefaultLogger('WARN');
  try {
    Runtime.install({ logger });
  } catch (err) {
    if (!(err instanceof IllegalStateError)) throw err;
  }
  // Bundled once for the file: webpack is the slow part of creating a worker.
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../support/workflows/echo'),
    logger,
  });
}, 120_000);

async function withClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

/** Runs `echo` to completion on a real worker, which is shut down before this returns. */
async function runEcho(address: string, workflowId: string, text: string): Promise<string> {
  const taskQueue = `echo-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities,
    });
    return await withClient(address, (client) =>
      worker.runUntil(
        client.workflow.execute(echo, {
          taskQueue,
          workflowId,
          args: [text],
          // Bounds the test: a workflow that cannot progress fails instead of hanging.
          workflowExecutionTimeout: '30 seconds',
        }),
      ),
    );
  } finally {
    await nativeConnection.close();
  }
}

/** What the server knows about a workflow: from its persistence, no worker involved. */
async function snapshot(address: string, workflowId: string): Promise<Snapshot> {
  return withClient(address, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    return {
      runId: description.runId,
      status: description.status.name,
      result: (await handle.result()) as string,
      eventTypes: (history.events ?? []).map((e) => String(e.eventType)),
    };
  });
}

describe('Temporal dev server with a SQLite file', () => {
  let dir: string;
  let server: DevServer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'okta-ocsf-persist-'));
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  test('stopping and restarting the dev server keeps completed workflow histories (SQLite file)', async () => {
    const dbFile = path.join(dir, 'temporal.db');
    const [port, freshPort] = (await freePorts(2)) as [number, number];
    const workflowId = `echo-persist-${randomUUID()}`;

    server = await startDevServer({ port, dbFile, headless: true });
    const result = await runEcho(server.address, workflowId, 'persist me');
    expect(result).toBe('echo: PERSIST ME');
    const before = await snapshot(server.address, workflowId);
    expect(before.status).toBe('COMPLETED');
    expect(before.result).toBe(result);
    // Started, tasks, the activity scheduled/started/completed, completed: a real history.
    expect(before.eventTypes.length).toBeGreaterThan(5);

    const firstPid = server.pid;
    await server.stop();
    server = undefined;
    server = await startDevServer({ port, dbFile, headless: true });
    expect(server.pid).not.toBe(firstPid);

    const after = await snapshot(server.address, workflowId);
    expect(after.status).toBe('COMPLETED');
    expect(after.result).toBe(before.result);
    expect(after.runId).toBe(before.runId);
    expect(after.eventTypes).toHaveLength(before.eventTypes.length);
    expect(after.eventTypes).toEqual(before.eventTypes);

    // Control: the history came from the file. A server on a new file has never heard of it.
    const fresh = await startDevServer({
      port: freshPort,
      dbFile: path.join(dir, 'fresh.db'),
      headless: true,
    });
    try {
      await expect(
        withClient(fresh.address, (client) => client.workflow.getHandle(workflowId).describe()),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    } finally {
      await fresh.stop();
    }
  }, 120_000);
});

describe('shared dev server from globalSetup', () => {
  test('TEMPORAL_TEST_ADDRESS reaches a server that runs workflows', async () => {
    const address = process.env.TEMPORAL_TEST_ADDRESS;
    expect(address).toEqual(expect.stringMatching(/^[^\s:]+:\d+$/));
    const workflowId = `echo-shared-${randomUUID()}`;

    await expect(runEcho(address as string, workflowId, 'shared')).resolves.toBe('echo: SHARED');
    const seen = await snapshot(address as string, workflowId);
    expect(seen.status).toBe('COMPLETED');
  }, 60_000);
});
