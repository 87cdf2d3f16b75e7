/**
 * The worker as operators run it — `node dist/src/client.js worker`, a child process — so that its
 * memory is its own and can be measured: the kernel's high-water mark (`VmHWM` in
 * /proc/<pid>/status, exact) read just before it is stopped, and `VmRSS` sampled during the run
 * (the sampled peak is a cross-check and shows in the results when /proc has no VmHWM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { CLI_JS, requireBuilt } from './paths';

export interface WorkerMemory {
  /** Kernel high-water mark of resident memory (VmHWM), bytes; null where /proc is absent. */
  peakRssBytes: number | null;
  /** Largest VmRSS seen by sampling, bytes. */
  sampledPeakRssBytes: number | null;
  /** VmRSS when the sync finished, bytes. */
  finalRssBytes: number | null;
  /** VmHWM and VmRSS when the worker became RUNNING (start-up: bundling the workflow code). */
  readyPeakRssBytes: number | null;
  readyRssBytes: number | null;
  samples: number;
  sampleIntervalMs: number;
  /** [seconds since the worker started, VmRSS MB], about one a second: the shape of the growth. */
  timeline: [number, number][];
  /** CPU time (user + system) of the worker so far, seconds, from /proc/<pid>/stat. */
  cpuSeconds: number | null;
  /** CPU time when the worker became RUNNING (start-up), seconds. */
  readyCpuSeconds: number | null;
}

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  /** Resolves once the worker logs that it is RUNNING (polling its task queue). */
  ready: Promise<void>;
  /** Memory so far (VmHWM now, sampled peak so far). */
  memory(): WorkerMemory;
  /** SIGTERM, SIGKILL after 20 s; resolves with the memory read just before the signal. */
  stop(): Promise<WorkerMemory>;
}

const SAMPLE_MS = 250;
const MB = 1024 * 1024;
/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS = 100;

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
const READY_TIMEOUT_MS = 120_000;

/** `VmHWM` / `VmRSS` of a process in bytes, or null. */
export function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** utime + stime of a process, seconds (Linux reports clock ticks of 1/100 s). */
export function procCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}

export function startWorkerProcess(
  env: NodeJS.ProcessEnv,
  logFile: string,
  opts: { nodeArgs?: string[]; cliPath?: string } = {},
): WorkerProcess {
  const cli = requireBuilt(opts.cliPath ?? CLI_JS);
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), cli, 'worker'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  const log = createWriteStream(logFile, { flags: 'a' });
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

  let sampledPeak: number | null = null;
  let readyPeak: number | null = null;
  let readyRss: number | null = null;
  let readyCpu: number | null = null;
  let samples = 0;
  const timeline: [number, number][] = [];
  const startedAt = Date.now();
  const sample = (): void => {
    const rss = procStatusBytes(pid, 'VmRSS');
    if (rss === null) return;
    const t = (Date.now() - startedAt) / 1000;
    const last = timeline[timeline.length - 1];
    if (last === undefined || t - last[0] >= 1) timeline.push([round1(t), round1(rss / MB)]);
    samples += 1;
    if (sampledPeak === null || rss > sampledPeak) sampledPeak = rss;
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  sampler.unref();

  const ready = new Promise<void>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`worker not RUNNING after ${READY_TIMEOUT_MS} ms; see ${logFile}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      buffered += chunk.toString('utf8');
      // Only the start-up lines are scanned; afterwards the output just goes to the log.
      if (/"Worker state changed".*"RUNNING"/.test(buffered)) {
        clearTimeout(timer);
        readyPeak = procStatusBytes(pid, 'VmHWM');
        readyRss = procStatusBytes(pid, 'VmRSS');
        readyCpu = procCpuSeconds(pid);
        buffered = '';
        child.stderr?.off('data', onData);
        child.stderr?.on('data', (b: Buffer) => log.write(b));
        resolve();
      } else if (buffered.length > 1_000_000) {
        buffered = buffered.slice(-10_000);
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', (b: Buffer) => log.write(b));
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker ${exited ?? 'exited'} before it was RUNNING; see ${logFile}`));
    });
  });
  // A caller that never awaits `ready` must not see an unhandled rejection at exit.
  ready.catch(() => {});

  const memory = (): WorkerMemory => {
    sample();
    return {
      peakRssBytes: procStatusBytes(pid, 'VmHWM'),
      sampledPeakRssBytes: sampledPeak,
      finalRssBytes: procStatusBytes(pid, 'VmRSS'),
      readyPeakRssBytes: readyPeak,
      readyRssBytes: readyRss,
      samples,
      sampleIntervalMs: SAMPLE_MS,
      timeline: [...timeline],
      cpuSeconds: procCpuSeconds(pid),
      readyCpuSeconds: readyCpu,
    };
  };

  const stop = async (): Promise<WorkerMemory> => {
    const m = memory();
    clearInterval(sampler);
    if (exited === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 20_000)));
      if (await Promise.race([exit.then(() => false), late])) {
        child.kill('SIGKILL');
        await exit;
      }
      clearTimeout(timer);
    }
    await new Promise<void>((r) => log.end(() => r()));
    return m;
  };

  return { pid, child, ready, memory, stop };
}
