/**
 * Measures the membership index alone at tenant scale: `node dist/bench/membership-index.js
 * [users] [membershipsPerUser] [runPairs]` (default 1,000,000 users × 10 = 10,000,000
 * memberships, runs of 200,000). Memberships are fed group by group, as the index build reads
 * them from `GET /api/v1/groups/{id}/users`, through the same buffer, runs and merge; then
 * lookups of random users are checked against the generating rule (computed independently, from
 * the user side) and timed. Prints one JSON object: peak RSS, disk at its peak (runs) and after
 * (index), build and merge times, lookup rate.
 *
 * Memberships: v ranges over [0, users × perUser); group = v mod G, user = v × P mod users,
 * with G prime and P coprime to `users`. A user's memberships are its perUser preimages
 * v ≡ user × P⁻¹ (mod users), which fall in distinct groups because users mod G ≠ 0.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OktaGroup } from '../src/okta/types';
import {
  MembershipIndexReader,
  MembershipIndexStore,
  PairBuffer,
} from '../src/sync/membership-index';

const P = 7919;

function modInverse(a: number, m: number): number {
  let [oldR, r] = [BigInt(a), BigInt(m)];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return Number(((oldS % BigInt(m)) + BigInt(m)) % BigInt(m));
}

function largestPrimeBelow(n: number): number {
  const isPrime = (k: number): boolean => {
    if (k < 2) return false;
    for (let d = 2; d * d <= k; d++) if (k % d === 0) return false;
    return true;
  };
  for (let k = n; k > 2; k--) if (isPrime(k)) return k;
  return 2;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await fs.readdir(dir)) total += (await fs.stat(path.join(dir, f))).size;
  return total;
}

const userId = (u: number): string => `00u${u.toString(36).padStart(17, '0')}`;
const groupId = (g: number): string => `00g${g.toString(36).padStart(17, '0')}`;

async function main(): Promise<void> {
  const users = Number(process.argv[2] ?? 1_000_000);
  const perUser = Number(process.argv[3] ?? 10);
  const runPairs = Number(process.argv[4] ?? 200_000);
  const total = users * perUser;
  // About 100 members per group, as in a large org; prime so that memberships stay distinct.
  const G = largestPrimeBelow(Math.max(perUser + 1, Math.floor(total / 100)));
  if (users % G === 0) throw new Error('users must not be a multiple of the group count');
  const pInv = modInverse(P, users);

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-index-bench-'));
  try {
    const store = new MembershipIndexStore(dir);
    const groups: OktaGroup[] = Array.from({ length: G }, (_, g) => ({
      id: groupId(g),
      type: 'OKTA_GROUP',
      profile: { name: `Group ${g}`, description: null },
    }));
    await store.writeGroups({ groups, snapshotStart: new Date().toISOString() });

    const t0 = Date.now();
    const buffer = new PairBuffer();
    let runs = 0;
    let peakDisk = 0;
    for (let g = 0; g < G; g++) {
      for (let v = g; v < total; v += G) {
        buffer.add(userId(Number((BigInt(v) * BigInt(P)) % BigInt(users))), g);
        if (buffer.size >= runPairs) await store.writeRun(++runs, buffer.drainSorted());
      }
    }
    if (buffer.size > 0) await store.writeRun(++runs, buffer.drainSorted());
    const runsMs = Date.now() - t0;
    peakDisk = await dirBytes(dir);
    const t1 = Date.now();
    const meta = await store.merge(runs, new Set(), new Date().toISOString());
    const mergeMs = Date.now() - t1;
    const indexDisk = await dirBytes(dir);

    const reader = (await MembershipIndexReader.open(dir))!;
    const lookups = 2000;
    const t2 = Date.now();
    for (let i = 0; i < lookups; i++) {
      const u = Math.floor((i * 2654435761) % users);
      const got = (await reader.groupsOf(userId(u)))!.map((x) => x.id);
      const v0 = Number((BigInt(u) * BigInt(pInv)) % BigInt(users));
      const expected: number[] = [];
      for (let k = 0; k < perUser; k++) expected.push((v0 + k * users) % G);
      const want = expected.sort((a, b) => a - b).map(groupId);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`lookup of ${userId(u)}: got ${got.join(',')}, expected ${want.join(',')}`);
      }
    }
    const lookupMs = Date.now() - t2;
    console.log(
      JSON.stringify(
        {
          users,
          memberships: meta.memberships,
          groups: G,
          runPairs,
          runs,
          runsMs,
          mergeMs,
          peakRssMb: Math.round(peakRssMb()),
          peakDiskMb: +(peakDisk / 2 ** 20).toFixed(1),
          indexDiskMb: +(indexDisk / 2 ** 20).toFixed(1),
          lookupsPerSecond: Math.round((lookups / Math.max(1, lookupMs)) * 1000),
          lookupsChecked: lookups,
        },
        null,
        2,
      ),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
