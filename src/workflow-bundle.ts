/**
 * The workflow code bundle, built in a short-lived child process. Webpack inside the worker would
 * raise the worker's resident memory by some 75 MB for its whole life (V8 keeps the heap pages it
 * grew while bundling) for a job done once at start; in a child, that memory goes back to the
 * system when the child exits. Measured by the benchmark (bench/README.md, "Worker memory").
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface BuiltBundle {
  codePath: string;
  /** Removes the bundle file; call once the Worker has read it (Worker.create). */
  cleanup(): Promise<void>;
}

export interface BundleOptions {
  workflowsPath: string;
  /** The data converter's failure converter module, which the bundle must contain too. */
  failureConverterPath?: string;
  timeoutMs?: number;
}

// Runs in the child: argv[1] is a JSON object of the options and the output file.
const CHILD_SCRIPT = `
const o = JSON.parse(process.argv[1]);
const { bundleWorkflowCode } = require(o.workerModule);
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error(m) { process.stderr.write(String(m) + '\\n'); } };
bundleWorkflowCode({ workflowsPath: o.workflowsPath, failureConverterPath: o.failureConverterPath, logger: quiet })
  .then(({ code }) => require('node:fs').writeFileSync(o.out, code, { mode: 0o600 }))
  .catch((e) => { process.stderr.write(String(e && e.stack || e) + '\\n'); process.exit(1); });
`;

export async function bundleInChildProcess(opts: BundleOptions): Promise<BuiltBundle> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-bundle-'));
  const out = path.join(dir, 'workflow-bundle.js');
  const args = JSON.stringify({
    workerModule: require.resolve('@temporalio/worker'),
    workflowsPath: opts.workflowsPath,
    failureConverterPath: opts.failureConverterPath,
    out,
  });
  const cleanup = (): Promise<void> => fs.rm(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-e', CHILD_SCRIPT, args],
        { timeout: opts.timeoutMs ?? 300_000, maxBuffer: 8 * 1024 * 1024 },
        (err, _stdout, stderr) => {
          if (err) {
            reject(new Error(`bundling the workflow code failed: ${stderr.trim() || err.message}`));
          } else {
            resolve();
          }
        },
      );
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { codePath: out, cleanup };
}
