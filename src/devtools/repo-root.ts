/**
 * Where the repository is, whether a module runs compiled (dist/…/*.js) or as TypeScript under
 * jest: the nearest folder above with a package.json and tsconfig.build.json. Dev tooling (the
 * benchmark, the tests' dev server) needs the repository's scripts, not the package's files.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export function findRepoRoot(start: string): string {
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
