/**
 * `okta-ocsf` child processes whose whole output a test can search afterwards: the worker with
 * stdout and stderr captured together (as a log collector would see them). One-shot commands:
 * `runCli` (run-cli.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from './sync-harness';

export interface CapturedWorker {
  child: ChildProcess;
  /** Everything written so far, stdout and stderr interleaved. */
  output(): string;
}

export function capturedWorker(env: NodeJS.ProcessEnv): CapturedWorker {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, 'worker'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => chunks.push(b));
  child.stderr?.on('data', (b: Buffer) => chunks.push(b));
  return { child, output: () => Buffer.concat(chunks).toString('utf8') };
}
