/**
 * Real Temporal dev servers for the tests and the benchmark: `temporal server start-dev` with a
 * SQLite file, the programmatic twin of scripts/dev-server.sh (same binary, same flags, loopback
 * only).
 *
 * The binary comes from scripts/ensure-temporal.sh, asked once per process; jest's globalSetup
 * exports the answer as TEMPORAL_CLI so that test workers skip even that one call.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { findRepoRoot } from './repo-root';

export interface DevServerOptions {
  /** Frontend gRPC port on 127.0.0.1. */
  port: number;
  /** Web UI port; without it the server runs headless (the CLI's default, port + 1000, could collide). */
  uiPort?: number;
  /** SQLite database: what survives a stop and a start on the same file. */
  dbFile: string;
  /** Server log, appended to; default: beside dbFile, with `.log` for `.db`. */
  logFile?: string;
  headless?: boolean;
  /** The server's own log level (the CLI's default is info). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Bound on the wait for health; default 60 s. */
  startTimeoutMs?: number;
}

export interface DevServer {
  /** `127.0.0.1:<port>`, for Connection.connect / NativeConnection.connect. */
  address: string;
  /** `http://127.0.0.1:<uiPort>` when the Web UI runs. */
  uiUrl?: string;
  pid: number;
  dbFile: string;
  logFile: string;
  /** SIGTERM, then SIGKILL if the server is still up after 15 s; resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: nothing is flushed); resolves once it has exited. */
  kill(): Promise<void>;
}

const IP = '127.0.0.1';
const REPO_ROOT = findRepoRoot(__dirname);
const ENSURE_SCRIPT = path.join(REPO_ROOT, 'scripts', 'ensure-temporal.sh');
// Building the CLI from source (no binary anywhere) takes minutes on a 2-core machine.
const ENSURE_TIMEOUT_MS = 20 * 60_000;
const STOP_GRACE_MS = 15_000;
const LOG_TAIL_LINES = 40;

let cliPath: Promise<string> | undefined;

/** Absolute path of the Temporal CLI (see scripts/ensure-temporal.sh for the search order). */
export function resolveTemporalCli(): Promise<string> {
  if (cliPath === undefined) {
    cliPath = new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        [ENSURE_SCRIPT],
        { timeout: ENSURE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const found = stdout.trim();
          if (err !== null || found === '') {
            reject(
              new Error(
                `scripts/ensure-temporal.sh found no Temporal CLI (${err?.message ?? 'empty output'}):\n${stderr}`,
              ),
            );
          } else {
            resolve(found);
          }
        },
      );
    });
    // A failure is not cached: the next caller tries again (e.g. after installing the CLI).
    cliPath.catch(() => {
      cliPath = undefined;
    });
  }
  return cliPath;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/** `count` distinct free ports: all are held open together, so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, IP, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Starts a dev server and resolves once a client can use its `default` namespace.
 * Rejects, with the tail of the server log, when the process exits or the wait times out
 * (and then leaves no process behind).
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  checkPort('port', opts.port);
  const headless = opts.headless ?? opts.uiPort === undefined;
  if (!headless) checkPort('uiPort', opts.uiPort);
  const dbFile = path.resolve(opts.dbFile);
  const logFile = path.resolve(opts.logFile ?? dbFile.replace(/\.db$/, '') + '.log');
  const address = `${IP}:${opts.port}`;

  const cli = await resolveTemporalCli();
  const child = spawnServer(cli, devServerArgs(opts, dbFile, headless), dbFile, logFile);
  const { pid } = child;
  const { stop, kill, exitInfo } = processControl(child);
  await waitUntilHealthy(opts, address, logFile, pid, exitInfo, kill);

  return {
    address,
    uiUrl: headless ? undefined : `http://${IP}:${opts.uiPort}`,
    pid: pid as number,
    dbFile,
    logFile,
    stop,
    kill,
  };
}

function devServerArgs(opts: DevServerOptions, dbFile: string, headless: boolean): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    IP,
    '--port',
    String(opts.port),
    '--db-filename',
    dbFile,
  ];
  if (headless) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  if (opts.logLevel !== undefined) args.push('--log-level', opts.logLevel);
  // The CLI would otherwise apply a developer's TEMPORAL_* variables and profile file.
  args.push('--disable-config-file', '--disable-config-env');
  return args;
}

/** Starts the server with its output appended to logFile. */
function spawnServer(cli: string, args: string[], dbFile: string, logFile: string): ChildProcess {
  mkdirSync(path.dirname(dbFile), { recursive: true });
  mkdirSync(path.dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'a');
  try {
    return spawn(cli, args, {
      stdio: ['ignore', logFd, logFd],
      env: withoutTemporalVars(process.env),
    });
  } finally {
    // The child has its own copy of the descriptor.
    closeSync(logFd);
  }
}

interface ProcessControl {
  stop: () => Promise<void>;
  kill: () => Promise<void>;
  /** How the process ended, or undefined while it runs. */
  exitInfo: () => string | undefined;
}

/** Stop and kill that resolve once the process has exited, whatever state it is in. */
function processControl(child: ChildProcess): ProcessControl {
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      exitInfo = `could not be started: ${err.message}`;
      resolve();
    });
  });

  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<boolean> => {
    if (exitInfo !== undefined) return true;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    try {
      return await Promise.race([exited.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
  const kill = async (): Promise<void> => {
    await signalAndWait('SIGKILL', 10_000);
  };
  const stop = async (): Promise<void> => {
    if (!(await signalAndWait('SIGTERM', STOP_GRACE_MS))) await kill();
  };
  return { stop, kill, exitInfo: () => exitInfo };
}

/** Polls health until it answers; on exit or timeout, throws with the log tail (killing on timeout). */
async function waitUntilHealthy(
  opts: DevServerOptions,
  address: string,
  logFile: string,
  pid: number | undefined,
  exitInfo: () => string | undefined,
  kill: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  let lastError = 'no attempt';
  for (;;) {
    const exited = exitInfo();
    if (exited !== undefined || pid === undefined) {
      throw new Error(
        `Temporal dev server on ${address} ${exited ?? 'has no pid'} during startup; ${logTail(logFile)}`,
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      await kill();
      throw new Error(
        `Temporal dev server on ${address} not healthy after ${opts.startTimeoutMs ?? 60_000} ms ` +
          `(last error: ${lastError}); ${logTail(logFile)}`,
      );
    }
    try {
      await checkHealth(address, Math.min(remaining, 3_000));
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Connects and describes `default`: a worker needs the namespace, not just a listening port. */
async function checkHealth(address: string, budgetMs: number): Promise<void> {
  const connection = Connection.lazy({ address, connectTimeout: budgetMs });
  try {
    await connection.ensureConnected();
    await connection.withDeadline(Date.now() + budgetMs, () =>
      connection.workflowService.describeNamespace({ namespace: 'default' }),
    );
  } finally {
    await connection.close();
  }
}

function checkPort(name: string, port: number | undefined): void {
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(
      `startDevServer: ${name} must be an integer from 1 to 65535, got ${String(port)}`,
    );
  }
}

function withoutTemporalVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('TEMPORAL_')));
}

function logTail(logFile: string): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    return `last lines of ${logFile}:\n${lines.slice(-LOG_TAIL_LINES).join('\n')}`;
  } catch {
    return `no log at ${logFile}`;
  }
}
