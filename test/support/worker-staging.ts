/**
 * What a worker has staged on its own disk (`OKTA_OCSF_STATE_DIR`), for the replica tests that
 * pick the worker doing the work: the page numbers of its `page-NNNNNN` folders.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Page numbers staged under `stateDir`; with `withFile`, only the pages that hold that file
 * (for example `users.json`: the page was listed or read there, not merely begun).
 */
export async function stagedPages(stateDir: string, withFile?: string): Promise<number[]> {
  const pages: number[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const m = /^page-(\d+)$/.exec(e.name);
      if (!m) {
        if (depth < 3) await walk(path.join(dir, e.name), depth + 1);
        continue;
      }
      const file = withFile === undefined ? null : path.join(dir, e.name, withFile);
      if (file === null || (await fs.stat(file).catch(() => null))) pages.push(Number(m[1]));
    }
  };
  await walk(stateDir, 0);
  return pages;
}
