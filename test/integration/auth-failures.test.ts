/**
 * Credential faults (mapping contract "When an enrichment call fails": 401/403 fail at once, not
 * retryable; Okta API facts: 401 E0000011 "Invalid token provided").
 *
 * (a) Issue 5: a wrong token fails the sync within seconds, through the CLI an operator runs
 *     (`okta-ocsf sync --wait --json`): exit code 1, Okta's error in the summary, a handful of
 *     requests — no retry storm against an org that said no.
 * (b) Issue 8: the token is revoked in the middle of a sync. The sync fails fast, saying the
 *     token was rejected; what was delivered before stays delivered, intact, and the failure
 *     summary counts exactly those events.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { followSync, startSync, type SyncSummary } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import { FileSink } from '../../src/sinks/file-sink';
import type { EventSink } from '../../src/sinks/sink';
import { orgKey } from '../../src/sync/naming';
import { createSyncWorker } from '../../src/worker';
import {
  GENEROUS_LIMITS,
  ProgressRecorder,
  expectEventsMatchTenant,
  pollUntil,
  timeline,
  waitForParts,
} from '../support/fault-harness';
import { runCli } from '../support/run-cli';
import {
  inProcessWorker,
  readEvents,
  sleep,
  temporalClient,
  testEnv,
  workflowBundle,
} from '../support/sync-harness';

jest.setTimeout(120_000);

/**
 * A behaviour bound, not a speed benchmark: a sync that cannot authenticate must stop on the
 * first 401 instead of retrying for minutes (Temporal's default policy would retry forever, the
 * client's rate-limit waits could take a minute). 30 s leaves a loaded 2-core CI machine ample
 * room for process start-up and a few workflow tasks; a retried 401 would blow through it.
 */
const FAIL_FAST_BOUND_MS = 30_000;

const USERS_LIST = 'GET /api/v1/users';

describe('a wrong token', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 600,
      groups: 50,
      seed: 5,
      token: 'the-right-token',
      rateLimits: GENEROUS_LIMITS,
    });
  });
  afterAll(async () => sim.close());

  test('`sync --wait --json` fails within seconds, exit 1, with Okta E0000011, in a handful of requests', async () => {
    const wrongToken = 'wrong-token-4f1c9a';
    const t = await testEnv(sim.url, wrongToken);
    const w = await inProcessWorker(t.config);
    try {
      const startedAt = Date.now();
      const r = await runCli(['sync', '--wait', '--json'], t.env, 90_000);
      const elapsed = Date.now() - startedAt;

      expect(r.code).toBe(1);
      const summary = JSON.parse(r.stdout.trim()) as SyncSummary;
      expect(summary.status).toBe('failed');
      expect(summary.error).toContain('E0000011');
      expect(summary.error).toContain('Invalid token provided');
      expect(summary.error).toMatch(/Okta rejected the API token/);
      expect(summary).toMatchObject({ users: 0, events: 0, pages: 0 });
      expect(elapsed).toBeLessThan(FAIL_FAST_BOUND_MS);

      // One refused request is enough to know; a few are tolerated, a retry loop is not.
      const stats = sim.stats();
      expect(stats.byStatus['401'] ?? 0).toBeGreaterThanOrEqual(1);
      expect(stats.requests).toBeLessThanOrEqual(5);
      expect(stats.byStatus['200'] ?? 0).toBe(0);

      // Nothing delivered, and the token appears nowhere in what the operator sees.
      expect((await readEvents(t.outDir)).events).toHaveLength(0);
      expect(r.stdout + r.stderr).not.toContain(wrongToken);

      // Temporal agrees: the workflow failed (it is not left retrying in the background).
      const { client, close } = await temporalClient();
      try {
        const d = await client.workflow.getHandle(summary.workflowId).describe();
        expect(d.status.name).toBe('FAILED');
      } finally {
        await close();
      }
    } finally {
      await w.stop();
    }
  });
});

describe('a token revoked during a sync', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 3000,
      groups: 300,
      seed: 13,
      token: 'live-token',
      rateLimits: GENEROUS_LIMITS,
      // Slow enough that pages are still to come when the token is revoked.
      latencyMs: 10,
    });
  });
  afterAll(async () => sim.close());

  test('fails fast naming the auth problem; pages delivered before stay intact and are counted', async () => {
    // Per-user enrichment: every page reads Okta until it is delivered, so a revocation between
    // pages meets calls in flight. (Bulk reads factors ahead and groups from its index: by the
    // third delivered page its reads may all be done. Its preparation's 401 is the first test's.)
    const t = await testEnv(sim.url, 'live-token', { OKTA_OCSF_ENRICHMENT: 'per-user' });
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    let progress: ProgressRecorder | undefined;
    const mark = timeline('auth-revoked');
    try {
      const started = await startSync(client, t.config, 'full');
      progress = new ProgressRecorder(started.handle);
      const summaryPromise = followSync(started.handle, started.workflowId);

      // Revoke just after a page was listed: its enrichment (and maybe the previous page's)
      // is in flight, so the 401s hit enrichment calls, not only the next listing.
      await waitForParts(t.outDir, 3, 60_000);
      const listed = sim.stats().byEndpoint[USERS_LIST] ?? 0;
      await pollUntil(
        () => (sim.stats().byEndpoint[USERS_LIST] ?? 0) > listed,
        60_000,
        'the next page to be listed',
      );
      sim.setToken('rotated-token');
      const revokedAt = Date.now();
      const okBefore = sim.stats().byStatus['200'] ?? 0;
      const before = await snapshotParts(t.outDir);
      mark(`token revoked at ${before.size} parts`);

      const summary = await summaryPromise;
      const failedAfter = Date.now() - revokedAt;
      mark(`done: ${summary.status} after ${failedAfter} ms: ${summary.error}`);
      await progress.stop();

      expect(summary.status).toBe('failed');
      expect(summary.error).toMatch(/Okta rejected the API token/);
      expect(summary.error).toContain('E0000011');
      expect(summary.error).toContain('Invalid token provided');
      expect(summary.error).not.toContain('live-token');
      expect(summary.error).not.toContain('rotated-token');
      expect(failedAfter).toBeLessThan(FAIL_FAST_BOUND_MS);

      // What was delivered before the revocation is still there, byte for byte.
      const after = await snapshotParts(t.outDir);
      for (const [file, content] of before) expect(after.get(file)).toBe(content);

      // The summary counts exactly what the sink holds; each event once, each the tenant's truth
      // (no user slipped through with a fallback for the 401s).
      const { events } = await readEvents(t.outDir);
      expect(summary.events).toBe(events.length);
      expect(events.length).toBeGreaterThanOrEqual(3 * 200);
      const uids = events.map((e) => e.user.uid);
      expect(new Set(uids).size).toBe(uids.length);
      expectEventsMatchTenant(sim, events);
      expect(summary.fallbacks).toBe(0);
      expect(summary.users).toBeGreaterThanOrEqual(summary.events);
      const expected = sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED');
      expect(summary.events).toBeLessThan(expected.length);

      // Failing fast also means not hammering Okta with a revoked token: the requests already
      // in flight at the revocation come back 401 and nothing is retried after that.
      const stats = sim.stats();
      mark(
        `after revocation: ${JSON.stringify(stats.byStatus)}, 200s before: ${okBefore}, ` +
          `by endpoint: ${JSON.stringify(stats.byEndpoint)}`,
      );
      const refused = stats.byStatus['401'] ?? 0;
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(refused).toBeLessThanOrEqual(100);
      // Requests the revocation found in flight may still have been answered 200, but no page
      // was listed and enriched to the end after it.
      expect((stats.byStatus['200'] ?? 0) - okBefore).toBeLessThan(200 * 4);

      const d = await started.handle.describe();
      expect(d.status.name).toBe('FAILED');
      progress.expectSane(expected.length);

      // A failed sync drops its staging (user data on disk), and no activity still finishing
      // when the sync failed writes it back.
      await sleep(3_000);
      expect(existsSync(path.join(t.stateDir, orgKey(sim.url), summary.syncId!))).toBe(false);
    } finally {
      await progress?.stop();
      await close();
      await w.stop();
    }
  });
});

describe('a token revoked while a page is being delivered', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 1200,
      groups: 100,
      seed: 17,
      token: 'live-token',
      rateLimits: GENEROUS_LIMITS,
    });
  });
  afterAll(async () => sim.close());

  test('the page in delivery is delivered and counted, or neither; no staged data is left', async () => {
    // Per-user enrichment, for the reason given in the test above: the next page must still have
    // Okta reads to make when the token is revoked.
    const t = await testEnv(sim.url, 'live-token', { OKTA_OCSF_ENRICHMENT: 'per-user' });
    // The file sink, held back on the third part for a few seconds: the sync fails (the next
    // page meets the revoked token) while that delivery is under way.
    const HELD_PART = 'page-000003';
    let holding: (() => void) | null = null;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const files = new FileSink({ dir: t.outDir });
    const sink: EventSink = {
      kind: 'file',
      async deliver(d) {
        if (d.partId === HELD_PART) {
          holding?.();
          await sleep(4_000);
        }
        return files.deliver(d);
      },
      close: () => files.close(),
    };
    const worker = await createSyncWorker(t.config, {
      workflowBundle: await workflowBundle(),
      sink,
    });
    const running = worker.run();
    const { client, close } = await temporalClient();
    const mark = timeline('auth-during-delivery');
    try {
      const started = await startSync(client, t.config, 'full');
      const summaryPromise = followSync(started.handle, started.workflowId);
      await held;
      sim.setToken('rotated-token');
      mark('token revoked while page 3 is delivered');
      const summary = await summaryPromise;
      mark(`done: ${summary.status}, ${summary.events} events: ${summary.error}`);
      expect(summary.status).toBe('failed');
      expect(summary.error).toContain('E0000011');

      // Let a delivery that outlived the workflow land, if there is one: it must be counted.
      await sleep(5_000);
      // A failed sync drops its staging (user data on disk), and nothing recreates it later.
      const staged = path.join(t.stateDir, orgKey(sim.url), summary.syncId!);
      expect(existsSync(staged)).toBe(false);

      const { events } = await readEvents(t.outDir);
      expect(summary.events).toBe(events.length);
      const uids = events.map((e) => e.user.uid);
      expect(new Set(uids).size).toBe(uids.length);
      expectEventsMatchTenant(sim, events);
    } finally {
      await close();
      worker.shutdown();
      await running;
      await worker.close();
    }
  });
});

/** Every delivered part's content by file name. */
async function snapshotParts(outDir: string): Promise<Map<string, string>> {
  const { files } = await readEvents(outDir);
  const out = new Map<string, string>();
  for (const f of files) out.set(f, await fs.readFile(f, 'utf8'));
  return out;
}
