/**
 * Issue 6: an operator resyncs from the real Temporal Web UI of the dev server, in headless
 * Chromium. (1) On the schedule's page, "Schedule Actions" → "Trigger" runs a sync to completion.
 * (2) "Start Workflow" with the README's fields (`okta-ocsf-sync-<orgKey>-full`, the task queue,
 * `oktaSync`, `{"orgUrl": …, "mode": "full"}`) runs a full resync to completion. Temporal's
 * client confirms each run, and the UI shows it Completed. Screenshots go to test-artifacts/.
 *
 * Uses Debian's /usr/bin/chromium (or CHROMIUM_PATH; scripts/ensure-chromium.sh installs it) and
 * never downloads a browser; without one the tests are skipped, saying why.
 */
import type { Client } from '@temporalio/client';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { OktaSimulator } from '../../src/simulator';
import { scheduleId, SYNC_WORKFLOW_TYPE, syncWorkflowId } from '../../src/contract';
import type { SyncResult } from '../../src/sync/types';
import { cliOk } from '../support/run-cli';
import {
  REPO,
  eventually,
  inProcessWorker,
  readEvents,
  sleep,
  temporalClient,
  testEnv,
  type TestEnv,
} from '../support/sync-harness';
import { GENEROUS_LIMITS } from '../support/fault-harness';

jest.setTimeout(240_000);

// The same variable scripts/ensure-chromium.sh honours.
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  process.stderr.write(
    `temporal-ui.test.ts: SKIPPED — no browser at ${CHROMIUM} ` +
      '(scripts/ensure-chromium.sh installs Debian’s chromium; `make test` runs it)\n',
  );
}
const uiTest = HAVE_CHROMIUM ? test : test.skip;

const ARTIFACTS = path.join(REPO, 'test-artifacts');
const TOKEN = 'ui-token';
/**
 * Bound on each UI step. The dev server's UI answers in well under a second on a quiet machine;
 * on a loaded 2-core runner a page load with Chromium takes seconds, so the bound is generous: it
 * only keeps a UI that never shows the run from hanging the suite.
 */
const STEP_MS = 45_000;

function uiUrl(): string {
  const url = process.env.TEMPORAL_TEST_UI_URL;
  if (!url) {
    throw new Error(
      'TEMPORAL_TEST_UI_URL is not set: the dev server of the test run has no Web UI ' +
        '(set it too when you point TEMPORAL_TEST_ADDRESS at a server of your own)',
    );
  }
  return url;
}

/** One org per test: its simulator, environment (task queue, folders) and worker. */
interface Org {
  sim: OktaSimulator;
  t: TestEnv;
  expectedUsers: number;
  close: () => Promise<void>;
}

async function startOrg(seed: number): Promise<Org> {
  const sim = await OktaSimulator.start({
    users: 250,
    groups: 20,
    seed,
    token: TOKEN,
    rateLimits: GENEROUS_LIMITS,
  });
  const t = await testEnv(sim.url, TOKEN);
  const w = await inProcessWorker(t.config);
  return {
    sim,
    t,
    expectedUsers: sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED').length,
    close: async () => {
      await w.stop();
      await sim.close();
    },
  };
}

/**
 * Reloads `url` until `row()` holds `text` (the UI shows visibility, which may trail the server
 * by a moment); bounded by STEP_MS.
 */
async function reloadUntil(page: Page, url: string, row: () => Locator, text: string) {
  const end = Date.now() + STEP_MS;
  for (;;) {
    await page.goto(url, { waitUntil: 'networkidle' });
    const r = row();
    if ((await r.count()) > 0 && (await r.first().innerText()).includes(text)) return r.first();
    if (Date.now() > end) {
      const seen = (await r.count()) > 0 ? await r.first().innerText() : '(no such row)';
      throw new Error(`${url}: no row with "${text}" after ${STEP_MS} ms; the row: ${seen}`);
    }
    await sleep(500);
  }
}

describe('Temporal Web UI: operator-triggered resync', () => {
  let ctx: BrowserContext;
  let page: Page;
  let profileDir: string;
  let client: Client;
  let closeClient: () => Promise<void>;
  let ui: string;

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return;
    ui = uiUrl();
    // globalSetup waits for the server's gRPC port; the UI server may come up a moment later.
    await eventually(
      async () => (await fetch(`${ui}/api/v1/settings`).catch(() => null))?.ok === true,
      30_000,
      `the Temporal Web UI at ${ui}`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    ({ client, close: closeClient } = await temporalClient());
    // A fresh profile per run: nothing from an earlier run (or the user's browser) leaks in.
    profileDir = mkdtempSync(path.join(tmpdir(), 'okta-ocsf-chromium-'));
    ctx = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 1000 },
      timeout: STEP_MS,
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(STEP_MS);
  });

  afterAll(async () => {
    if (!HAVE_CHROMIUM) return;
    await ctx?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    await closeClient?.();
  });

  uiTest("the schedule page's Trigger action runs a sync to completion", async () => {
    const org = await startOrg(21);
    const id = scheduleId(org.sim.url, 'incremental');
    try {
      await cliOk(['schedule', 'create', '--every', '1h'], org.t.env);

      await page.goto(`${ui}/namespaces/default/schedules/${encodeURIComponent(id)}`, {
        waitUntil: 'networkidle',
      });
      await page.getByRole('heading', { name: id }).waitFor();
      // The operator's path: the menu beside "Pause", then "Trigger", then confirm in the dialog
      // with the schedule's own overlap policy (SKIP).
      await page.getByRole('button', { name: 'Schedule Actions' }).click();
      await page.getByRole('menuitem', { name: 'Trigger' }).click();
      const dialog = page.getByRole('dialog').filter({ hasText: 'Trigger Immediately' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Trigger', exact: true }).click();

      let workflowId = '';
      await eventually(
        async () => {
          const d = await client.schedule.getHandle(id).describe();
          workflowId = d.info.recentActions[0]?.action.workflow.workflowId ?? '';
          return workflowId !== '';
        },
        STEP_MS,
        'the schedule to start a workflow after the UI trigger',
      );
      expect(workflowId.startsWith(`${syncWorkflowId(org.sim.url, 'incremental')}-`)).toBe(true);
      const result = await client.workflow
        .getHandle<() => Promise<SyncResult>>(workflowId)
        .result();
      expect(result).toMatchObject({ status: 'completed', orgUrl: org.sim.url });
      expect(result.totals.events).toBe(org.expectedUsers);
      expect((await readEvents(org.t.outDir)).events.length).toBe(org.expectedUsers);

      // The UI shows the run: Completed under Recent Runs, and in the workflow list behind
      // "View All Runs" (the schedule's runs only).
      const schedulePage = `${ui}/namespaces/default/schedules/${encodeURIComponent(id)}`;
      await reloadUntil(
        page,
        schedulePage,
        // A run is a row of status, link and time: the link's grandparent.
        () => page.getByRole('link', { name: workflowId, exact: true }).locator('xpath=../..'),
        'Completed',
      );
      await page.screenshot({
        path: path.join(ARTIFACTS, 'temporal-ui-trigger.png'),
        fullPage: true,
      });
      const allRuns = await page.getByRole('link', { name: 'View All Runs' }).getAttribute('href');
      expect(allRuns).toContain(encodeURIComponent(id));
      const row = await reloadUntil(
        page,
        `${ui}${allRuns}`,
        () => page.getByRole('row').filter({ hasText: workflowId }),
        'Completed',
      );
      expect(await row.innerText()).toContain(SYNC_WORKFLOW_TYPE);
    } finally {
      await client.schedule
        .getHandle(id)
        .delete()
        .catch(() => {});
      await org.close();
    }
  });

  uiTest('Start Workflow with the README fields runs a full resync to completion', async () => {
    const org = await startOrg(22);
    const workflowId = syncWorkflowId(org.sim.url, 'full');
    try {
      await page.goto(`${ui}/namespaces/default/workflows`, { waitUntil: 'networkidle' });
      await page.getByRole('button', { name: 'Start Workflow' }).click();
      await page.getByRole('heading', { name: 'Start a Workflow' }).waitFor();

      await page.getByLabel('Workflow ID').fill(workflowId);
      await page.getByLabel('Task Queue').fill(org.t.taskQueue);
      await page.getByLabel('Workflow Type').fill(SYNC_WORKFLOW_TYPE);
      const data = page.getByRole('textbox').and(page.locator('.cm-content'));
      await data.click();
      // insertText, not typing: the editor would auto-close every brace and quote typed.
      await page.keyboard.insertText(JSON.stringify({ orgUrl: org.sim.url, mode: 'full' }));
      // The form takes the editor's text when the editor loses focus (it reformats it then).
      await page.getByRole('heading', { name: 'Start a Workflow' }).click();
      await eventually(
        async () => (await data.innerText()).includes('"mode": "full"'),
        STEP_MS,
        'the Input editor to take the JSON',
      );
      await page.getByRole('button', { name: 'Start Workflow' }).click();
      await page.getByText('Workflow started successfully').waitFor();

      const result = await client.workflow
        .getHandle<() => Promise<SyncResult>>(workflowId)
        .result();
      expect(result).toMatchObject({
        status: 'completed',
        orgUrl: org.sim.url,
        mode: 'full',
        effectiveMode: 'full',
      });
      expect(result.totals.events).toBe(org.expectedUsers);
      expect((await readEvents(org.t.outDir)).events.length).toBe(org.expectedUsers);

      // The workflow's own page says Completed, with the input the operator typed.
      const wfPage = `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
      // The status badge sits beside the id heading (the history below says "Completed" of tasks).
      await reloadUntil(
        page,
        wfPage,
        () => page.getByRole('heading', { name: workflowId }).locator('xpath=../..'),
        'Completed',
      );
      const main = await page.locator('main').innerText();
      expect(main).toContain(org.t.taskQueue);
      expect(main).toContain('"mode": "full"');
      await page.screenshot({
        path: path.join(ARTIFACTS, 'temporal-ui-start-workflow.png'),
        fullPage: false,
      });

      // And the workflow list has it, Completed.
      const row = await reloadUntil(
        page,
        `${ui}/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId="${workflowId}"`)}`,
        () => page.getByRole('row').filter({ hasText: workflowId }),
        'Completed',
      );
      expect(await row.innerText()).toContain(SYNC_WORKFLOW_TYPE);
    } finally {
      await org.close();
    }
  });
});
