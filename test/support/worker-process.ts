/**
 * The worker as operators run it — `node dist/src/client.js worker` — as a child process that
 * leads its own process group. A test that kills a worker signals that group, so the signal
 * reaches the real worker and anything it started: never only a wrapper (npx, a shell) whose death
 * would leave the worker polling the task queue, taking the next test's tasks. The one place
 * where tests spawn, kill (the crash) and stop (cleanup) such workers.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const CLI = path.resolve(__dirname, '../../dist/src/client.js');

/** Bound on a SIGKILLed worker being reaped: the kernel ends it at once, even on a busy machine. */
const REAP_MS = 10_000;
/** Bound on the group having no process left once its leader is reaped. */
const GROUP_GONE_MS = 5_000;
/** What cleanup grants a graceful stop (SIGTERM) before it SIGKILLs the group. */
const STOP_GRACE_MS = 15_000;

/** Spawns `okta-ocsf worker` as the leader of a new process group (its pgid is its pid). */
export function spawnWorker(
  env: NodeJS.ProcessEnv,
  stdio: StdioOptions = ['ignore', 'pipe', 'pipe'],
): ChildProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, 'worker'], { env, stdio, detached: true });
  if (child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${CLI} worker`);
  return child;
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (!running(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Not yet reaped by this process (Node sets exitCode or signalCode when it reaps a child). */
function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function groupOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('the worker has no pid: it was never spawned');
  return child.pid;
}

/** Duck-typed: under jest, errors from Node's own functions fail `instanceof Error`. */
function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/** Sends `signal` to the worker's whole process group; false when no process of it is left. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-groupOf(child), signal);
    return true;
  } catch (e) {
    if (isErrno(e, 'ESRCH')) return false;
    throw e;
  }
}

/** Signal 0 checks for existence only; EPERM still means a process of the group exists. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    if (isErrno(e, 'ESRCH')) return false;
    if (isErrno(e, 'EPERM')) return true;
    throw e;
  }
}

/** Resolves true once `child` has been reaped, false if `ms` pass first; leaves no timer. */
async function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([waitExit(child).then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fails unless the worker's process group is empty within `timeoutMs` (ESRCH from
 * `kill(-pgid, 0)`): a test cannot silently leave a worker, or something it started, running.
 */
export async function expectGroupGone(
  child: ChildProcess,
  timeoutMs = GROUP_GONE_MS,
): Promise<void> {
  const pgid = groupOf(child);
  const end = Date.now() + timeoutMs;
  while (groupExists(pgid)) {
    if (Date.now() > end) {
      throw new Error(
        `process group ${pgid} of a killed worker still has processes after ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The crash: SIGKILL to the worker's whole process group — nothing flushed, no graceful
 * shutdown. Resolves once the worker is reaped, killed by that signal, and its group is empty.
 */
export async function killWorker(child: ChildProcess): Promise<void> {
  const pgid = groupOf(child);
  if (!running(child)) {
    throw new Error(
      `worker ${pgid} had already ended (code ${child.exitCode}, signal ${child.signalCode}) before the test killed it`,
    );
  }
  process.kill(-pgid, 'SIGKILL');
  if (!(await exitsWithin(child, REAP_MS))) {
    throw new Error(`worker ${pgid} not reaped ${REAP_MS} ms after SIGKILL to its group`);
  }
  if (child.signalCode !== 'SIGKILL') {
    throw new Error(
      `worker ${pgid} ended by ${child.signalCode ?? `exit code ${child.exitCode}`}, not by the SIGKILL`,
    );
  }
  await expectGroupGone(child);
}

/**
 * Cleanup: SIGTERM to the worker's group (the graceful path), SIGKILL to it after `graceMs`.
 * Resolves once the worker is reaped and its group is empty; a worker that already ended is
 * fine (whatever it left in its group is killed all the same).
 */
export async function stopWorker(child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (running(child) && signalGroup(child, 'SIGTERM') && !(await exitsWithin(child, graceMs))) {
    signalGroup(child, 'SIGKILL');
    if (!(await exitsWithin(child, REAP_MS))) {
      throw new Error(
        `worker ${groupOf(child)} not reaped ${REAP_MS} ms after SIGKILL to its group`,
      );
    }
  }
  signalGroup(child, 'SIGKILL');
  await expectGroupGone(child);
}
