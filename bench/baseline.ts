/**
 * The "before" of a before/after comparison: the worker of an earlier commit, built once into a
 * cache folder next to the system's temp files (`git archive` of its src/ and tsconfig files,
 * this checkout's node_modules linked in, compiled with this checkout's TypeScript). The
 * repository itself is not touched: no worktree, no checkout, no stash.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './paths';

export interface BaselineBuild {
  ref: string;
  commit: string;
  /** `dist/src/client.js` of that commit. */
  cliPath: string;
}

function git(args: string[], opts: { input?: Buffer } = {}): Buffer {
  return execFileSync('git', args, { cwd: REPO_ROOT, maxBuffer: 256 * 1024 * 1024, ...opts });
}

export function buildBaseline(ref: string, log: (l: string) => void): BaselineBuild {
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`])
    .toString()
    .trim();
  const dir = path.join(os.tmpdir(), `okta-ocsf-bench-baseline-${commit.slice(0, 12)}`);
  const cliPath = path.join(dir, 'dist', 'src', 'client.js');
  if (existsSync(cliPath)) return { ref, commit, cliPath };
  log(`bench: building the baseline worker of ${ref} (${commit.slice(0, 12)}) in ${dir}…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const files = ['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
    const tar = git(['archive', '--format=tar', commit, ...files]);
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    try {
      execFileSync(
        process.execPath,
        [
          path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          'tsconfig.build.json',
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (err) {
      // Type errors still emit JavaScript; only a build that produced no CLI is a failure.
      if (!existsSync(cliPath)) throw err;
    }
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building the baseline ${ref} failed: ${(err as Error).message}\n${out}`);
  }
  if (!existsSync(cliPath)) throw new Error(`building the baseline ${ref} left no ${cliPath}`);
  return { ref, commit, cliPath };
}
