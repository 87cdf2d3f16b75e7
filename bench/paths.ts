/**
 * Where the benchmark finds the repository and its build, compiled (dist/bench/*.js)
 * or as TypeScript under jest (bench/*.ts).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { findRepoRoot } from '../src/devtools/repo-root';

export const REPO_ROOT = findRepoRoot(__dirname);
/** The operator CLI, as `npm run build` leaves it. */
export const CLI_JS = path.join(REPO_ROOT, 'dist', 'src', 'client.js');
/** The bare walk, compiled; run as its own process like the worker. */
export const BARE_WALK_JS = path.join(REPO_ROOT, 'dist', 'bench', 'bare-walk.js');

export function requireBuilt(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return file;
}
