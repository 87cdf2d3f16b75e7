/**
 * The on-disk membership index: runs merged into one lookup file, duplicates (a resumed build
 * reads some groups twice) and deleted groups left out, lookups equal to an independent in-memory
 * computation of the same memberships.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OktaGroup } from '../../../src/okta/types';
import {
  MembershipIndexReader,
  MembershipIndexStore,
  PairBuffer,
} from '../../../src/sync/membership-index';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mi-'));
});
afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

function group(i: number): OktaGroup {
  return {
    id: `00g${String(i).padStart(17, '0')}`,
    type: 'OKTA_GROUP',
    profile: { name: `G${i}` },
  };
}

function userId(i: number): string {
  return `00u${String(i).padStart(17, '0')}`;
}

test('lookups equal the memberships written, in listing order, without duplicates or gone groups', async () => {
  const store = new MembershipIndexStore(dir);
  const groups = Array.from({ length: 50 }, (_, i) => group(i));
  await store.writeGroups({ groups, snapshotStart: '2026-01-01T00:00:00.000Z' });
  // Memberships by a deterministic rule; the expectation is computed from the rule directly.
  const isMember = (u: number, g: number): boolean => (u * 7 + g * 13) % 5 === 0 || g === 0;
  const gone = new Set([3]);
  const buffer = new PairBuffer();
  let runs = 0;
  // Groups read out of order and some twice (as a resumed build does), runs of 300 pairs.
  const order = [...Array.from({ length: 50 }, (_, g) => 49 - g), 10, 11, 12];
  for (const g of order) {
    for (let u = 0; u < 700; u++) {
      if (!isMember(u, g)) continue;
      buffer.add(userId(u), g);
      if (buffer.size >= 300) await store.writeRun(++runs, buffer.drainSorted());
    }
  }
  await store.writeRun(++runs, buffer.drainSorted());
  expect(runs).toBeGreaterThan(5);
  const meta = await store.merge(runs, gone, '2026-01-01T00:00:00.000Z');
  expect(meta.users).toBe(700);
  expect(await fs.readdir(dir)).not.toContain('run-000001.tsv');

  const reader = (await MembershipIndexReader.open(dir))!;
  expect(reader).toBeDefined();
  let memberships = 0;
  for (let u = 0; u < 700; u++) {
    const expected = groups.filter((g, i) => isMember(u, i) && !gone.has(i)).map((g) => g.id);
    memberships += expected.length;
    expect((await reader.groupsOf(userId(u)))!.map((g) => g.id)).toEqual(expected);
  }
  expect(meta.memberships).toBe(memberships);
  expect(await reader.groupsOf(userId(700))).toBeUndefined();
  expect(await reader.groupsOf('00a')).toBeUndefined();
  expect(await reader.groupsOf('zzz')).toBeUndefined();

  // A page at once: consecutive users (several adjacent blocks), scattered ones, unknown ones.
  const expectedOf = (u: number): string[] =>
    groups.filter((g, i) => isMember(u, i) && !gone.has(i)).map((g) => g.id);
  const asked = [...Array.from({ length: 200 }, (_, i) => 250 + i), 3, 699, 0, 520].map(userId);
  const many = await reader.groupsOfMany([...asked, '00a', userId(700), 'zzz']);
  expect([...many.keys()].sort()).toEqual([...new Set(asked)].sort());
  for (const id of asked) {
    expect(many.get(id)!.map((g) => g.id)).toEqual(expectedOf(Number(id.slice(3))));
  }
  expect((await reader.groupsOfMany([])).size).toBe(0);
});

test('an index without meta.json is not complete, and runs past a checkpoint are dropped', async () => {
  const store = new MembershipIndexStore(dir);
  await store.writeGroups({ groups: [group(0)], snapshotStart: '2026-01-01T00:00:00.000Z' });
  await store.writeRun(1, [`${userId(1)}\t0`]);
  await store.writeRun(2, [`${userId(2)}\t0`]);
  expect(await MembershipIndexReader.open(dir)).toBeUndefined();
  expect(await store.hasRuns(2)).toBe(true);
  await store.dropRunsAfter(1);
  expect(await store.hasRuns(2)).toBe(false);
  expect(await store.hasRuns(1)).toBe(true);
});
