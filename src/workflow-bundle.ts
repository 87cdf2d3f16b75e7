/**
 * The workflow code bundles, built once at build time (`npm run build` runs this module after tsc,
 * as Temporal's production sample does) and only read at worker start. Bundling at start cost
 * every worker seconds of webpack and, in process, some 75 MB of heap it kept for its life.
 *
 * Two bundles, because a bundle's failure converter is fixed when it is built: with payload
 * encryption on, failure messages and stack traces must be moved into (encrypted) payloads.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FAILURE_CONVERTER_PATH } from './codec/data-converter';

const PLAIN = 'workflow-bundle.js';
const ENCRYPTED = 'workflow-bundle-encrypted.js';

/**
 * dist/workflow-bundles, whether this module runs compiled (dist/src/workflow-bundle.js) or as
 * TypeScript from src/ under jest.
 */
export function workflowBundleDir(): string {
  const compiled = __filename.endsWith('.js');
  const root = path.resolve(__dirname, '..');
  return compiled
    ? path.join(root, 'workflow-bundles')
    : path.join(root, 'dist', 'workflow-bundles');
}

/** The prebuilt bundle a worker loads; a clear error when the build did not make it. */
export function workflowBundlePath(encrypted: boolean): string {
  const file = path.join(workflowBundleDir(), encrypted ? ENCRYPTED : PLAIN);
  if (!existsSync(file)) {
    throw new Error(
      `the workflow bundle ${file} is missing: run \`npm run build\` (or \`make build\`)`,
    );
  }
  return file;
}

export async function buildWorkflowBundles(outDir = workflowBundleDir()): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const workflowsPath = require.resolve('./workflows');
  const written: string[] = [];
  for (const [name, failureConverterPath] of [
    [PLAIN, undefined],
    [ENCRYPTED, FAILURE_CONVERTER_PATH],
  ] as const) {
    const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath });
    const file = path.join(outDir, name);
    writeFileSync(file, code);
    written.push(file);
  }
  return written;
}

if (require.main === module) {
  buildWorkflowBundles().then(
    (files) => process.stdout.write(`workflow bundles: ${files.join(', ')}\n`),
    (err: unknown) => {
      process.stderr.write(`bundling the workflow code failed: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
