/**
 * Where the repository and its build are, whether this module runs compiled (dist/bench/*.js)
 * or as TypeScript under jest (bench/*.ts): the nearest folder above with a package.json.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 10; i++) {
    if (
      existsSync(path.join(dir, 'package.json')) &&
      existsSync(path.join(dir, 'tsconfig.build.json'))
    )
      return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`cannot find the okta-ocsf repository above ${start}`);
}

export const REPO_ROOT = findRoot(__dirname);
/** The operator CLI, as `npm run build` leaves it. */
export const CLI_JS = path.join(REPO_ROOT, 'dist', 'src', 'client.js');
/** The bare walk, compiled; run as its own process like the worker. */
export const BARE_WALK_JS = path.join(REPO_ROOT, 'dist', 'bench', 'bare-walk.js');

export function requireBuilt(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return file;
}
