/**
 * Issue 6, incremental sync (mapping contract, "Which users": incremental). The watermark is when
 * the previous successful sync started by Okta's clock, kept by Temporal (the completed sync's
 * memo): no change is missed, a user may repeat, a deprovisioning reaches the inventory.
 */
import * as path from 'node:path';
import { followSync, startSync } from '../../src/cli/sync-runner';
import { mapUserToOcsf } from '../../src/ocsf/map-user';
import { OktaSimulator } from '../../src/simulator';
import { inProcessWorker, readEvents, temporalClient, testEnv } from '../support/sync-harness';
import type { AppConfig } from '../../src/config';
import type { Client } from '@temporalio/client';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { GENEROUS_LIMITS } from '../support/fault-harness';

jest.setTimeout(240_000);

async function run(client: Client, config: AppConfig, mode: 'full' | 'incremental') {
  const started = await startSync(client, config, mode);
  return followSync(started.handle, started.workflowId, { pollMs: 200 });
}

describe('incremental sync', () => {
  let sim: OktaSimulator;
  beforeEach(async () => {
    sim = await OktaSimulator.start({
      users: 1500,
      groups: 150,
      seed: 11,
      token: 'inc-token',
      rateLimits: GENEROUS_LIMITS,
    });
  });
  afterEach(async () => sim.close());

  test('after 50 updates, 20 creations and 10 deprovisionings it emits exactly those 80 users', async () => {
    const t = await testEnv(sim.url, 'inc-token');
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const full = await run(client, t.config, 'full');
      expect(full.status).toBe('completed');
      expect(full.watermark).not.toBeNull();

      const changed = sim.tenant.mutate({ update: 50, create: 20, deprovision: 10 });
      const expectedIds = new Set([
        ...changed.updated,
        ...changed.created,
        ...changed.deprovisioned,
      ]);
      expect(expectedIds.size).toBe(80);

      const inc = await run(client, t.config, 'incremental');
      expect(inc).toMatchObject({ status: 'completed', effectiveMode: 'incremental' });
      const events = await syncEvents(t.outDir, inc.syncId!);
      const ids = events.map((e) => e.user.uid);
      expect(new Set(ids).size).toBe(ids.length);
      // Exactly those 80: the tenant's other users were last updated long before the watermark,
      // so none can sit in the watermark's second and repeat here.
      expect(new Set(ids)).toEqual(expectedIds);
      for (const e of events) {
        // Each event is the mapping of the user as Okta has it now (A4: deprovisioned → disabled).
        expect(e).toEqual(mapUserToOcsf(sim.tenant.enriched(e.user.uid), { observedAtMs: e.time }));
      }
      for (const id of changed.deprovisioned) {
        const e = events.find((x) => x.user.uid === id)!;
        expect(e.user.account?.is_disabled).toBe(true);
      }
      expect(inc.users).toBe(80);
      // The incremental asked Okta with the previous sync's watermark.
      const listCalls = sim.stats().byEndpoint['GET /api/v1/users'] ?? 0;
      expect(listCalls).toBeGreaterThan(0);
    } finally {
      await close();
      await w.stop();
    }
  });

  test('a user updated while a sync runs, on a page already passed, is caught by the next sync', async () => {
    const t = await testEnv(sim.url, 'inc-token');
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      sim.setFaults({ rateSlow: 1, slowMs: 15 }); // every response a little slow: a longer sync
      const started = await startSync(client, t.config, 'full');
      // Wait until the first page is delivered, then change users of that page.
      let firstPageIds: string[] = [];
      const deadline = Date.now() + 180_000; // a bulk full sync builds its membership index first
      while (Date.now() < deadline) {
        const { events } = await readEvents(t.outDir);
        if (events.length >= 200) {
          firstPageIds = events.slice(0, 200).map((e) => e.user.uid);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(firstPageIds.length).toBe(200);
      const changed = sim.tenant.mutate({ updateIds: firstPageIds.slice(0, 5) });
      expect(changed.updated).toEqual(firstPageIds.slice(0, 5));
      const full = await followSync(started.handle, started.workflowId);
      expect(full.status).toBe('completed');
      sim.setFaults({});

      const inc = await run(client, t.config, 'incremental');
      expect(inc.status).toBe('completed');
      const ids = new Set((await syncEvents(t.outDir, inc.syncId!)).map((e) => e.user.uid));
      for (const id of changed.updated) expect(ids.has(id)).toBe(true);
    } finally {
      await close();
      await w.stop();
    }
  });

  test('with no previous successful sync, incremental runs as a full sync', async () => {
    const t = await testEnv(sim.url, 'inc-token');
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const inc = await run(client, t.config, 'incremental');
      expect(inc).toMatchObject({
        status: 'completed',
        mode: 'incremental',
        effectiveMode: 'full',
      });
      const expected = sim.tenant.listUsers().length;
      expect((await syncEvents(t.outDir, inc.syncId!)).length).toBe(expected);
    } finally {
      await close();
      await w.stop();
    }
  });
});

/** The events one sync delivered: the file sink writes each sync under `<out>/<syncId>/`. */
async function syncEvents(outDir: string, syncId: string): Promise<UserInventoryInfo[]> {
  return (await readEvents(path.join(outDir, syncId), { flat: true })).events;
}
