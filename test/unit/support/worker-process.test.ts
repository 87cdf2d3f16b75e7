/**
 * The test-support helpers that kill workers (test/support/worker-process.ts) kill the whole
 * process group and fail when something of it is left. Checked on a stand-in for the worker: a
 * node process that leads its own group and starts a grandchild, as a wrapper or a worker that
 * forks would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expectGroupGone, killWorker, stopWorker, waitExit } from '../../support/worker-process';

/** Starts a grandchild in its own group, prints the grandchild's pid; `exit`: then ends itself. */
const LEADER = `
const { spawn } = require('node:child_process');
const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
process.stdout.write(g.pid + '\\n');
if (process.argv[1] === 'exit') { g.unref(); process.exit(0); }
setInterval(() => {}, 1000);
`;

const started: ChildProcess[] = [];

async function leader(mode: 'stay' | 'exit'): Promise<{ child: ChildProcess; grandchild: number }> {
  const child = spawn(process.execPath, ['-e', LEADER, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  started.push(child);
  const grandchild = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('error', reject);
  });
  return { child, grandchild };
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  // Whatever a failed assertion left behind.
  for (const c of started) await stopWorker(c, 1_000).catch(() => {});
});

test('killWorker SIGKILLs the leader and everything in its group', async () => {
  const { child, grandchild } = await leader('stay');
  expect(exists(grandchild)).toBe(true);
  await killWorker(child);
  expect(child.signalCode).toBe('SIGKILL');
  expect(exists(grandchild)).toBe(false);
});

test('a group that outlives its leader fails the check; stopWorker then clears it', async () => {
  const { child, grandchild } = await leader('exit');
  expect(await waitExit(child)).toBe(0);
  await expect(expectGroupGone(child, 300)).rejects.toThrow(
    `process group ${child.pid} of a killed worker still has processes after 300 ms`,
  );
  expect(exists(grandchild)).toBe(true);
  await stopWorker(child);
  expect(exists(grandchild)).toBe(false);
});

test('killing a worker that already ended is an error, not a silent pass', async () => {
  const { child } = await leader('stay');
  await stopWorker(child);
  await expect(killWorker(child)).rejects.toThrow('before the test killed it');
});
