/**
 * The benchmark's own Temporal dev server: `temporal server start-dev`, headless, on free loopback
 * ports, with a SQLite file in the run's work folder, so a benchmark never shares a server (and
 * its load) with a developer's or the tests'. The binary is the one scripts/ensure-temporal.sh
 * finds or builds, the same as `make dev-server` uses.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { REPO_ROOT } from './paths';

const IP = '127.0.0.1';
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;

export interface BenchDevServer {
  /** `127.0.0.1:<port>` */
  address: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/** `count` distinct free loopback ports (held open together so none is handed out twice). */
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
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function temporalCli(): Promise<string> {
  const given = process.env.TEMPORAL_CLI;
  if (given) return Promise.resolve(given);
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [path.join(REPO_ROOT, 'scripts', 'ensure-temporal.sh')],
      { timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const found = stdout.trim();
        if (err !== null || found === '') {
          reject(new Error(`scripts/ensure-temporal.sh found no Temporal CLI: ${stderr.trim()}`));
        } else {
          resolve(found);
        }
      },
    );
  });
}

export async function startBenchDevServer(dir: string): Promise<BenchDevServer> {
  const cli = await temporalCli();
  const [port] = (await freePorts(1)) as [number];
  mkdirSync(dir, { recursive: true });
  const dbFile = path.join(dir, 'temporal.db');
  const logFile = path.join(dir, 'temporal.log');
  const logFd = openSync(logFile, 'a');
  const args = ['server', 'start-dev', '--ip', IP, '--port', String(port)];
  args.push('--db-filename', dbFile, '--headless', '--log-level', 'warn');
  // A developer's TEMPORAL_* variables or profile must not point this server elsewhere.
  args.push('--disable-config-file', '--disable-config-env');
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_')),
  );
  let child;
  try {
    child = spawn(cli, args, { stdio: ['ignore', logFd, logFd], env });
  } finally {
    closeSync(logFd);
  }
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ?? `exit code ${code}`;
      resolve();
    });
    child.once('error', (e) => {
      exited = e.message;
      resolve();
    });
  });
  const address = `${IP}:${port}`;
  const stop = async (): Promise<void> => {
    if (exited !== null) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_GRACE_MS)));
    if (await Promise.race([exit.then(() => false), late])) {
      child.kill('SIGKILL');
      await exit;
    }
    clearTimeout(timer);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited !== null) {
      throw new Error(
        `Temporal dev server ${exited} during startup; see ${logFile}:\n${tail(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `Temporal dev server not healthy within ${START_TIMEOUT_MS} ms; see ${logFile}`,
      );
    }
    if (await healthy(address)) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  return { address, pid: child.pid ?? -1, logFile, stop };
}

/** A worker needs the `default` namespace, not just a listening port. */
async function healthy(address: string): Promise<boolean> {
  const connection = Connection.lazy({ address, connectTimeout: 2000 });
  try {
    await connection.ensureConnected();
    await connection.withDeadline(Date.now() + 2000, () =>
      connection.workflowService.describeNamespace({ namespace: 'default' }),
    );
    return true;
  } catch {
    return false;
  } finally {
    await connection.close();
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}
