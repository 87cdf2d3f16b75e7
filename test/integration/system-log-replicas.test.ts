/**
 * Issue 13 applied to issue 12's System Log phase: replicas that share no disk finish an
 * incremental sync with the System Log. Two `okta-ocsf worker` processes on one task queue, each
 * with its own OKTA_OCSF_STATE_DIR (and its own process group, which the test SIGKILLs whole).
 *
 * After a full sync the tenant changes: several groups gain an admin role (their ~450 members are
 * named by the log only: read by id, three pages or more), a few users get a direct admin role
 * (log only), a few are locked (named by the log AND listed by `lastUpdated`), one is deleted. The
 * incremental runs; once a by-id page is staged on a replica and not yet delivered, that replica
 * is SIGKILLed. The sync still completes with exactly the changed users — the expectation comes
 * from the plan of changes and the simulator's tenant, not from the connector — each once, the
 * deleted one counted, and the per-source counts right.
 */
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { followSync, startSync } from '../../src/cli/sync-runner';
import type { AppConfig } from '../../src/config';
import { mapUserToOcsf } from '../../src/ocsf/map-user';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { OktaSimulator, type TenantChange } from '../../src/simulator';
import { GENEROUS_LIMITS, timeline } from '../support/fault-harness';
import { readEvents, sleep, temporalClient, testEnv, type TestEnv } from '../support/sync-harness';
import { killWorker, spawnWorker, stopWorker } from '../support/worker-process';
import { stagedPages } from '../support/worker-staging';

jest.setTimeout(300_000);

const TOKEN = 'syslog-replica-token';
const PAGE_CONCURRENCY = 2;

/** A worker replica: the real process, leader of its own process group, with its own folder. */
interface Replica {
  child: ChildProcess;
  stateDir: string;
}

class Replicas {
  readonly all: Replica[] = [];
  constructor(private readonly t: TestEnv) {}

  start(): Replica {
    const n = this.all.length + 1;
    const stateDir = `${this.t.stateDir}-replica-${n}`;
    const child = spawnWorker({ ...this.t.env, OKTA_OCSF_STATE_DIR: stateDir }, [
      'ignore',
      'ignore',
      'pipe',
    ]);
    const log = path.join(path.dirname(this.t.outDir), `replica-${n}.log`);
    child.stderr?.on('data', (b: Buffer) => void fs.appendFile(log, b).catch(() => {}));
    const r = { child, stateDir };
    this.all.push(r);
    return r;
  }

  private alive(r: Replica): boolean {
    return r.child.exitCode === null && r.child.signalCode === null;
  }

  /** SIGKILL to the replica's whole process group: nothing flushed, no graceful shutdown. */
  async kill(r: Replica): Promise<void> {
    await killWorker(r.child);
  }

  /**
   * The live replica doing a by-id page: it has staged a page numbered above `lastListedPage`
   * that is not delivered yet. Preferably the one that read the System Log (it holds the named
   * ids in its staging): whoever redoes its page then has no copy of them and reads the log
   * window again. Polled, bounded.
   */
  async doingByIdPage(
    syncDir: string,
    lastListedPage: number,
  ): Promise<{ replica: Replica; collector: boolean }> {
    const start = Date.now();
    for (;;) {
      const delivered = await deliveredPages(syncDir);
      const busy: Array<{ replica: Replica; collector: boolean }> = [];
      for (const r of this.all.filter((x) => this.alive(x))) {
        const staged = await stagedPages(r.stateDir, 'users.json');
        if (staged.some((p) => p > lastListedPage && !delivered.has(p))) {
          busy.push({ replica: r, collector: await holdsNamedIds(r.stateDir) });
        }
      }
      const pick = busy.find((b) => b.collector) ?? (Date.now() - start > 3_000 ? busy[0] : null);
      if (pick) return pick;
      if (Date.now() - start > 120_000) throw new Error('no live replica holds a by-id page');
      await sleep(20);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((r) => stopWorker(r.child)));
  }
}

/** Whether a worker's staging holds the ids the System Log named (it read the log). */
async function holdsNamedIds(stateDir: string): Promise<boolean> {
  const walk = async (dir: string, depth: number): Promise<boolean> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      const sub = path.join(dir, e.name);
      if (e.name === 'page-000000') {
        if (await fs.stat(path.join(sub, 'changed-users.json')).catch(() => null)) return true;
      } else if (depth < 3 && (await walk(sub, depth + 1))) return true;
    }
    return false;
  };
  return walk(stateDir, 0);
}

/** Page numbers of the parts the file sink has delivered under one sync's folder. */
async function deliveredPages(syncDir: string): Promise<Set<number>> {
  const pages = new Set<number>();
  for (const f of await fs.readdir(syncDir).catch(() => [] as string[])) {
    const m = /^page-(\d+)\.ndjson$/.exec(f);
    if (m) pages.add(Number(m[1]));
  }
  return pages;
}

const isAdminRole = (r: { type: string; status: string }) =>
  r.status === 'ACTIVE' && /admin/i.test(r.type);

interface Plan {
  promotedGroups: string[];
  /** Members of the promoted groups: named by the log only. */
  members: Set<string>;
  granted: string[];
  locked: string[];
  deleted: string;
  changes: TenantChange[];
}

/** Groups gaining an admin role until ~450 users are named; a few direct changes besides. */
function plan(sim: OktaSimulator): Plan {
  const t = sim.tenant;
  const groups = Array.from({ length: t.groupCount }, (_, i) => t.groupJson(i).id);
  const plain = groups
    .slice(1) // not Everyone
    .filter((g) => !t.groupRoles(g).some(isAdminRole))
    .map((g) => ({ g, ids: t.groupMemberIds(g) }))
    .filter((x) => x.ids.length >= 5)
    .sort((a, b) => b.ids.length - a.ids.length);
  const members = new Set<string>();
  const promotedGroups: string[] = [];
  for (const { g, ids } of plain) {
    if (members.size >= 450) break;
    promotedGroups.push(g);
    for (const id of ids) members.add(id);
  }
  expect(members.size).toBeGreaterThanOrEqual(450);
  const active = t
    .listUsers()
    .filter((u) => u.status === 'ACTIVE')
    .map((u) => u.id);
  const outside = active.filter((id) => !members.has(id));
  const granted = outside.slice(0, 4);
  // Locked: two outside the groups, two members (named twice by the log, listed once).
  const insideActive = active.filter((id) => members.has(id));
  const locked = [...outside.slice(4, 6), ...insideActive.slice(0, 2)];
  const deleted = outside[6];
  expect(deleted).toBeDefined();
  return {
    promotedGroups,
    members,
    granted,
    locked,
    deleted,
    changes: [
      ...promotedGroups.map((groupId): TenantChange => ({
        op: 'grantGroupRole',
        groupId,
        roleType: 'ORG_ADMIN',
      })),
      ...granted.map((userId): TenantChange => ({
        op: 'grantRole',
        userId,
        roleType: 'SUPER_ADMIN',
      })),
      ...locked.map((userId): TenantChange => ({ op: 'lock', userId })),
      { op: 'delete', userId: deleted },
    ],
  };
}

async function run(client: Client, config: AppConfig, mode: 'full' | 'incremental') {
  const started = await startSync(client, config, mode);
  return { started, summary: followSync(started.handle, started.workflowId, { pollMs: 200 }) };
}

describe('replicas without a shared disk, incremental sync with the System Log', () => {
  let sim: OktaSimulator;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 700,
      groups: 40,
      seed: 1312,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
      // Slow enough that by-id pages are in flight when the test kills their worker.
      latencyMs: 20,
    });
  });
  afterAll(async () => sim.close());

  test('SIGKILL of the replica doing a by-id page: exact output, each user once, counts right', async () => {
    const t = await testEnv(sim.url, TOKEN, {
      OKTA_OCSF_PAGE_CONCURRENCY: String(PAGE_CONCURRENCY),
      OKTA_OCSF_ENRICHMENT: 'per-user',
    });
    const replicas = new Replicas(t);
    const { client, close } = await temporalClient();
    const mark = timeline('system-log-replicas');
    try {
      replicas.start();
      replicas.start();
      const full = await (await run(client, t.config, 'full')).summary;
      expect(full).toMatchObject({ status: 'completed', error: null });
      mark(`full sync: ${full.events} events`);

      const p = plan(sim);
      for (const c of p.changes) sim.tenant.change(c);
      const named = new Set([...p.members, ...p.granted, ...p.locked, p.deleted]);
      const expected = new Set(named);
      expected.delete(p.deleted);
      sim.resetStats();

      const inc = await run(client, t.config, 'incremental');
      const syncDir = path.join(t.outDir, await incrementalSyncId(t.outDir, full.syncId!));
      // The lastUpdated listing is one page (the locked users); by-id pages come after it.
      const victim = await replicas.doingByIdPage(syncDir, 1);
      const partsAtKill = (await deliveredPages(syncDir)).size;
      mark(`kill at ${partsAtKill} parts delivered; the victim read the log: ${victim.collector}`);
      await replicas.kill(victim.replica);
      replicas.start();
      const summary = await inc.summary;
      mark(`incremental: ${summary.status}, ${summary.events} events`);

      expect(summary).toMatchObject({
        status: 'completed',
        error: null,
        effectiveMode: 'incremental',
        systemLog: 'read',
      });
      const events: UserInventoryInfo[] = (await readEvents(syncDir, { flat: true })).events;
      const ids = events.map((e) => e.user.uid!);
      expect(ids.length).toBe(new Set(ids).size); // nothing duplicated
      expect(new Set(ids)).toEqual(expected); // nothing missing, nothing else
      for (const e of events) {
        expect(e).toEqual(
          mapUserToOcsf(sim.tenant.enriched(e.user.uid!), { observedAtMs: e.time }),
        );
      }
      expect(summary.sources).toEqual({
        lastUpdated: p.locked.length,
        systemLog: named.size,
        both: p.locked.length,
        readById: named.size - p.locked.length - 1,
        deleted: 1,
      });
      expect(summary.deleted).toBe(1);
      expect(summary.events).toBe(expected.size);

      // What the lost page cost: its users read by id again (at most the pages in flight, ~200
      // each), and the log window read again by a replica that had no copy of it (one call a
      // reading here: fewer than 1,000 events, no next link), at most once per replica.
      const calls = sim.stats().byEndpoint;
      const byId = calls['GET /api/v1/users/{id}'] ?? 0;
      const logCalls = calls['GET /api/v1/logs'] ?? 0;
      mark(`by id: ${byId} reads for ${named.size} named users; log: ${logCalls} calls`);
      expect(byId).toBeGreaterThanOrEqual(named.size);
      expect(byId).toBeLessThanOrEqual(named.size + PAGE_CONCURRENCY * 300);
      // Killing the replica that read the log leaves no copy of the named ids: read again.
      expect(logCalls).toBeGreaterThanOrEqual(victim.collector ? 2 : 1);
      expect(logCalls).toBeLessThanOrEqual(replicas.all.length);
    } finally {
      await replicas.stopAll();
      await close();
    }
  });
});

/** The incremental's output folder: the one that is not the full sync's (waited for). */
async function incrementalSyncId(outDir: string, fullSyncId: string): Promise<string> {
  const end = Date.now() + 120_000;
  for (;;) {
    const dirs = (await fs.readdir(outDir).catch(() => [] as string[])).filter(
      (d) => d !== fullSyncId,
    );
    if (dirs.length > 0) return dirs[0];
    if (Date.now() > end) throw new Error('the incremental sync delivered nothing');
    await sleep(20);
  }
}
