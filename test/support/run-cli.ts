/**
 * The CLI as an operator runs it: `node dist/src/client.js <args>` as a child process, so tests
 * see the real exit codes and the real stdout/stderr (commander parsing included).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from './sync-harness';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command to its end; kills it and rejects after `timeoutMs`. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `okta-ocsf ${args.join(' ')} still running after ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString()}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close', not 'exit': the pipes are drained by then.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Runs a command that must succeed; the error carries its output when it does not. */
export async function cliOk(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs?: number,
): Promise<string> {
  const r = await runCli(args, env, timeoutMs);
  if (r.code !== 0) {
    throw new Error(
      `okta-ocsf ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  return r.stdout;
}
