/**
 * `okta-ocsf` child processes whose whole output a test can search afterwards: the worker with
 * stdout and stderr captured together (as a log collector would see them). One-shot commands:
 * `runCli` (run-cli.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { spawnWorker } from './worker-process';

export interface CapturedWorker {
  child: ChildProcess;
  /** Everything written so far, stdout and stderr interleaved. */
  output(): string;
}

/** The worker leads its own process group: stop it with `stopWorker` (worker-process.ts). */
export function capturedWorker(env: NodeJS.ProcessEnv): CapturedWorker {
  const child = spawnWorker(env);
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => chunks.push(b));
  child.stderr?.on('data', (b: Buffer) => chunks.push(b));
  return { child, output: () => Buffer.concat(chunks).toString('utf8') };
}
