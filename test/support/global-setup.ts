/**
 * jest globalSetup of the integration project: one Temporal dev server for every integration
 * test, on free loopback ports, with its SQLite file in a fresh temporary folder.
 *
 * Tests find it through process.env.TEMPORAL_TEST_ADDRESS (and the Web UI through
 * TEMPORAL_TEST_UI_URL): jest runs this in its parent process before it spawns the test workers,
 * and the workers inherit the parent's environment. A caller that already set
 * TEMPORAL_TEST_ADDRESS (e.g. to a server of its own) gets that server, and none is started.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  freePorts,
  resolveTemporalCli,
  startDevServer,
} from '../../src/devtools/temporal-dev-server';
import { setGlobalDevServer } from './global-dev-server';

/**
 * Webpack-bundling the workflow takes seconds; done once here, every test worker's Worker reads
 * the file (sync-harness.ts) instead of bundling again.
 */
async function bundleWorkflowsOnce(): Promise<void> {
  const code = (
    await bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    })
  ).code;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'okta-ocsf-bundle-')), 'workflows.js');
  writeFileSync(file, code);
  process.env.OKTA_OCSF_TEST_WORKFLOW_BUNDLE = file;
}

export default async function globalSetup(): Promise<void> {
  await bundleWorkflowsOnce();
  const given = process.env.TEMPORAL_TEST_ADDRESS;
  if (given !== undefined && given !== '') {
    process.stderr.write(
      `\nintegration tests use the Temporal server at ${given} (TEMPORAL_TEST_ADDRESS)\n`,
    );
    return;
  }

  // Workers (and scripts/ensure-temporal.sh, which honours TEMPORAL_CLI first) reuse this answer.
  process.env.TEMPORAL_CLI = await resolveTemporalCli();

  const dir = mkdtempSync(path.join(tmpdir(), 'okta-ocsf-it-'));
  const [port, uiPort] = (await freePorts(2)) as [number, number];
  const server = await startDevServer({ port, uiPort, dbFile: path.join(dir, 'temporal.db') });
  setGlobalDevServer({ server, dir });

  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  if (server.uiUrl !== undefined) process.env.TEMPORAL_TEST_UI_URL = server.uiUrl;
  process.stderr.write(
    `\nTemporal dev server for integration tests: ${server.address}, UI ${server.uiUrl ?? 'off'} (log ${server.logFile})\n`,
  );
}
