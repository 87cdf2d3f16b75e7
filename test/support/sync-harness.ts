/**
 * What the integration tests share: a real Temporal dev server (started by global-setup), a
 * simulated Okta tenant over real HTTP, a worker — in this process, or as a child process that a
 * test can SIGKILL — and readers for the file sink's output.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, type AppConfig } from '../../src/config';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { createSyncWorker, installRuntime, type SyncWorker } from '../../src/worker';
import { CLI, spawnWorker, waitExit } from './worker-process';

export { CLI, waitExit };

export const REPO = path.resolve(__dirname, '../..');

export function temporalAddress(): string {
  const a = process.env.TEMPORAL_TEST_ADDRESS;
  if (!a) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run integration tests through jest');
  return a;
}

let bundle: Promise<WorkflowBundle> | null = null;
/** One workflow bundle per test file (webpack takes seconds; workers reuse it). */
export function workflowBundle(): Promise<WorkflowBundle> {
  const prebuilt = process.env.OKTA_OCSF_TEST_WORKFLOW_BUNDLE;
  if (prebuilt && existsSync(prebuilt)) {
    bundle ??= fs.readFile(prebuilt, 'utf8').then((code) => ({ code }));
  }
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: quietLogger,
  });
  return bundle;
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (m: string) => process.stderr.write(`${m}\n`),
};

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `okta-ocsf-${prefix}-`));
}

export interface TestEnv {
  env: NodeJS.ProcessEnv;
  config: AppConfig;
  outDir: string;
  stateDir: string;
  taskQueue: string;
}

/** Environment of one test: its own task queue, output and state folders. */
export async function testEnv(orgUrl: string, token: string, extra: NodeJS.ProcessEnv = {}) {
  const dir = await tempDir('it');
  const outDir = path.join(dir, 'out');
  const stateDir = path.join(dir, 'state');
  const taskQueue = `it-${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OKTA_ORG_URL: orgUrl,
    OKTA_API_TOKEN: token,
    OCSF_SINK: `file:${outDir}`,
    OKTA_OCSF_STATE_DIR: stateDir,
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...extra,
  };
  const r = loadConfig(env, { okta: 'full', sink: true });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return { env, config: r.config, outDir, stateDir, taskQueue } satisfies TestEnv;
}

export async function inProcessWorker(config: AppConfig): Promise<{
  worker: SyncWorker;
  stop: () => Promise<void>;
}> {
  // Worker INFO logs would bury jest's own output; OKTA_OCSF_TEST_LOG_LEVEL=INFO brings them back.
  installRuntime(testLogLevel());
  // With encryption keys the worker bundles its own workflow code (with the failure converter).
  const worker = await createSyncWorker(
    config,
    config.keyring ? {} : { workflowBundle: await workflowBundle() },
  );
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
      await worker.close();
    },
  };
}

/**
 * The worker as operators run it: `okta-ocsf worker`, a child process leading its own process
 * group, which a test may SIGKILL (`killWorker`, worker-process.ts).
 */
export function childWorker(env: NodeJS.ProcessEnv, logFile?: string): ChildProcess {
  const child = spawnWorker(env);
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => chunks.push(b));
  child.stderr?.on('data', (b: Buffer) => chunks.push(b));
  if (logFile) {
    child.on('exit', () => void fs.appendFile(logFile, Buffer.concat(chunks)).catch(() => {}));
  }
  return child;
}

export async function temporalClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/**
 * Every event the file sink wrote under `outDir` (one folder per sync), in page order, with the
 * files they came from; `flat`: `outDir` is one sync's folder.
 */
export async function readEvents(
  outDir: string,
  opts: { flat?: boolean } = {},
): Promise<{ events: UserInventoryInfo[]; files: string[] }> {
  const events: UserInventoryInfo[] = [];
  const files: string[] = [];
  if (!existsSync(outDir)) return { events, files };
  const dirs = opts.flat ? [outDir] : (await fs.readdir(outDir)).map((d) => path.join(outDir, d));
  for (const full of dirs.sort()) {
    if (!(await fs.stat(full)).isDirectory()) continue;
    for (const f of (await fs.readdir(full)).sort()) {
      if (!f.endsWith('.ndjson')) continue;
      files.push(path.join(full, f));
      const text = await fs.readFile(path.join(full, f), 'utf8');
      for (const line of text.split('\n')) {
        if (line.trim()) events.push(JSON.parse(line) as UserInventoryInfo);
      }
    }
  }
  return { events, files };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true, at most `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function testLogLevel(): 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' {
  const v = process.env.OKTA_OCSF_TEST_LOG_LEVEL;
  return v === 'DEBUG' || v === 'INFO' || v === 'ERROR' ? v : 'WARN';
}
