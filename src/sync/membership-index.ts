/**
 * The group-membership index of a bulk full sync: which groups each user is in, read from the
 * groups side (`GET /api/v1/groups/{id}/users`) and kept on the worker's disk, never in its
 * memory, so a tenant of 1,000,000 users with ~10 memberships each fits the worker's memory target.
 *
 * Structure (chosen by measurement, see README "Bulk enrichment"): sorted runs and one k-way merge.
 * - `groups.ndjson`: the groups in listing order; a group's line number is its ordinal.
 * - `run-NNNNNN.tsv`: `userId<TAB>ordinal` lines sorted by user id then ordinal, each written
 *   atomically once a bounded buffer of pairs fills (so memory is bounded by the buffer).
 * - `index.tsv`: the merge of the runs, one line per user, `userId<TAB>ord,ord,…`, sorted by user
 *   id, duplicates dropped (a resumed build may read a group twice: the merge makes that
 *   harmless), deleted groups left out.
 * - `sparse.json`: every SPARSE_EVERY-th key of `index.tsv` with its byte offset: a lookup reads
 *   one small block. At 1,000,000 users that is under 16,000 keys in memory.
 * - `meta.json`: written last; its presence means the index is complete.
 *
 * The index is a cache of one sync on one worker: anything missing is rebuilt (or the page
 * falls back to per-user reads), it is never a shared source of truth. Every file is written to a
 * temporary name and renamed, so a worker killed mid-write leaves the previous state or nothing.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { OktaGroup } from '../okta/types';
import { readJsonFile, writeFileAtomic } from './json-files';

const SPARSE_EVERY = 64;
const READ_CHUNK = 64 * 1024;
const WRITE_CHUNK = 1 << 20;

export interface IndexMeta {
  /** When the membership snapshot began, by Okta's clock (ISO). */
  snapshotStart: string;
  groups: number;
  users: number;
  memberships: number;
  indexBytes: number;
}

export interface GroupsSnapshot {
  groups: OktaGroup[];
  snapshotStart: string;
}

/** Pairs waiting for the next run file; bounded by the builder, not by the tenant. */
export class PairBuffer {
  private users: string[] = [];
  private ords: number[] = [];

  add(userId: string, ordinal: number): void {
    this.users.push(userId);
    this.ords.push(ordinal);
  }

  get size(): number {
    return this.users.length;
  }

  /** The buffered pairs as sorted `userId\tord` lines; empties the buffer. */
  drainSorted(): string[] {
    const { users, ords } = this;
    this.users = [];
    this.ords = [];
    const order = users.map((_, i) => i);
    order.sort((a, b) => compareKey(users[a], ords[a], users[b], ords[b]));
    return order.map((i) => `${users[i]}\t${ords[i]}`);
  }
}

function compareKey(ua: string, oa: number, ub: string, ob: number): number {
  if (ua < ub) return -1;
  if (ua > ub) return 1;
  return oa - ob;
}

export class MembershipIndexStore {
  constructor(readonly dir: string) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  runName(n: number): string {
    return `run-${String(n).padStart(6, '0')}.tsv`;
  }

  async writeGroups(snapshot: GroupsSnapshot): Promise<void> {
    const lines = snapshot.groups.map((g) => JSON.stringify(g));
    await writeFileAtomic(
      this.file('groups.ndjson'),
      lines.join('\n') + (lines.length ? '\n' : ''),
    );
    await writeFileAtomic(
      this.file('groups-meta.json'),
      JSON.stringify({ snapshotStart: snapshot.snapshotStart, groups: snapshot.groups.length }),
    );
  }

  /** The listed groups, or undefined when the listing has not completed. */
  async readGroups(): Promise<GroupsSnapshot | undefined> {
    const meta = await readJsonFile<{ snapshotStart: string; groups: number }>(
      this.file('groups-meta.json'),
    );
    if (!meta) return undefined;
    const text = await fs.readFile(this.file('groups.ndjson'), 'utf8');
    const groups = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as OktaGroup);
    if (groups.length !== meta.groups) return undefined;
    return { groups, snapshotStart: meta.snapshotStart };
  }

  async writeRun(n: number, sortedLines: string[]): Promise<void> {
    await writeFileAtomic(this.file(this.runName(n)), sortedLines.join('\n') + '\n');
  }

  /** Whether runs 1..n are all on disk (a checkpoint from another worker's disk is not). */
  async hasRuns(n: number): Promise<boolean> {
    for (let i = 1; i <= n; i++) {
      if (!(await exists(this.file(this.runName(i))))) return false;
    }
    return true;
  }

  /** Drops run files past the checkpoint: written after it, their groups are read again. */
  async dropRunsAfter(n: number): Promise<void> {
    for (const name of await listDir(this.dir)) {
      const m = /^run-(\d{6})\.tsv$/.exec(name);
      if (m && Number(m[1]) > n) await fs.rm(this.file(name), { force: true });
    }
  }

  async clear(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  async readMeta(): Promise<IndexMeta | undefined> {
    return readJsonFile<IndexMeta>(this.file('meta.json'));
  }

  /**
   * Merges runs 1..runs into `index.tsv` (+ `sparse.json`, then `meta.json`), leaving out
   * duplicate pairs and the `gone` group ordinals, and deletes the runs.
   */
  async merge(runs: number, gone: ReadonlySet<number>, snapshotStart: string): Promise<IndexMeta> {
    const readers: LineReader[] = [];
    for (let i = 1; i <= runs; i++) readers.push(new LineReader(this.file(this.runName(i))));
    const tmp = `${this.file('index.tsv')}.${randomBytes(4).toString('hex')}.tmp`;
    const out = new ChunkWriter(tmp);
    const sparse: Array<[string, number]> = [];
    let users = 0;
    let memberships = 0;
    try {
      const heap = new RunHeap();
      for (const r of readers) heap.pushFrom(r);
      let current: string | null = null;
      let ords: number[] = [];
      const flush = (): void => {
        if (current === null || ords.length === 0) return;
        // A copy, not a slice: a slice would keep its whole 64 KB read chunk alive.
        if (users % SPARSE_EVERY === 0) sparse.push([detached(current), out.offset]);
        out.write(`${current}\t${ords.join(',')}\n`);
        users += 1;
        memberships += ords.length;
      };
      for (let top = heap.pop(); top !== undefined; top = heap.pop()) {
        const { userId, ordinal } = top;
        if (userId !== current) {
          flush();
          current = userId;
          ords = [];
        }
        if (!gone.has(ordinal) && ords[ords.length - 1] !== ordinal) ords.push(ordinal);
      }
      flush();
      out.close();
    } finally {
      for (const r of readers) r.close();
      out.close();
    }
    await fs.rename(tmp, this.file('index.tsv'));
    const indexBytes = out.offset;
    await writeFileAtomic(
      this.file('sparse.json'),
      JSON.stringify({ keys: sparse, end: indexBytes }),
    );
    const groups = (await this.readGroups())?.groups.length ?? 0;
    const meta: IndexMeta = { snapshotStart, groups, users, memberships, indexBytes };
    await writeFileAtomic(this.file('gone.json'), JSON.stringify([...gone]));
    await writeFileAtomic(this.file('meta.json'), JSON.stringify(meta));
    await this.dropRunsAfter(0);
    return meta;
  }

  /** Users holding role assignments, or null when Okta refused to list them. */
  async writeAssignees(ids: string[] | null): Promise<void> {
    await writeFileAtomic(this.file('assignees.json'), JSON.stringify({ ids }));
  }

  /** undefined: not read yet; null: refused (roles are read per user). */
  async readAssignees(): Promise<string[] | null | undefined> {
    const a = await readJsonFile<{ ids: string[] | null }>(this.file('assignees.json'));
    return a === undefined ? undefined : a.ids;
  }
}

/** Lookups in a complete index: one read per page of users, nothing of the tenant held in memory. */
export class MembershipIndexReader {
  private constructor(
    private readonly indexFile: string,
    private readonly keys: string[],
    private readonly offsets: number[],
    private readonly end: number,
    private readonly groups: OktaGroup[],
    private readonly gone: ReadonlySet<number>,
    readonly meta: IndexMeta,
  ) {}

  /** The complete index in `dir`, or undefined when there is none (not built here, or partial). */
  static async open(dir: string): Promise<MembershipIndexReader | undefined> {
    const store = new MembershipIndexStore(dir);
    const meta = await store.readMeta();
    if (!meta) return undefined;
    const sparse = await readJsonFile<{ keys: Array<[string, number]>; end: number }>(
      path.join(dir, 'sparse.json'),
    );
    const snapshot = await store.readGroups();
    const gone = await readJsonFile<number[]>(path.join(dir, 'gone.json'));
    if (!sparse || !snapshot || !gone) return undefined;
    return new MembershipIndexReader(
      path.join(dir, 'index.tsv'),
      sparse.keys.map(([k]) => k),
      sparse.keys.map(([, o]) => o),
      sparse.end,
      snapshot.groups,
      new Set(gone),
      meta,
    );
  }

  get snapshotStartMs(): number {
    return Date.parse(this.meta.snapshotStart);
  }

  /** The user's groups in listing order, or undefined when the index does not know the user. */
  async groupsOf(userId: string): Promise<OktaGroup[] | undefined> {
    return (await this.groupsOfMany([userId])).get(userId);
  }

  /**
   * The groups of each of `userIds` the index knows (listing order); users it does not know are
   * absent from the map. A page's users are consecutive in id order, so their blocks are too:
   * adjacent blocks are read together, one file open and one read for a whole page.
   */
  async groupsOfMany(userIds: readonly string[]): Promise<Map<string, OktaGroup[]>> {
    const wanted = new Set(userIds);
    const blocks = [...new Set(userIds.map((id) => this.blockOf(id)).filter((b) => b >= 0))];
    blocks.sort((a, b) => a - b);
    const found = new Map<string, OktaGroup[]>();
    if (blocks.length === 0) return found;
    const fh = await fs.open(this.indexFile, 'r');
    try {
      for (const [first, last] of adjacentRuns(blocks)) {
        const start = this.offsets[first];
        const stop = last + 1 < this.offsets.length ? this.offsets[last + 1] : this.end;
        const buf = Buffer.alloc(stop - start);
        await fh.read(buf, 0, buf.length, start);
        for (const line of buf.toString('utf8').split('\n')) {
          const tab = line.indexOf('\t');
          if (tab <= 0) continue;
          const id = line.slice(0, tab);
          if (wanted.has(id)) found.set(id, this.groupsOfLine(line.slice(tab + 1)));
        }
      }
    } finally {
      await fh.close();
    }
    return found;
  }

  /** The last block whose first key is <= userId: the one that holds it, if any does; else -1. */
  private blockOf(userId: string): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    let block = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid] <= userId) {
        block = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return block;
  }

  private groupsOfLine(ordinals: string): OktaGroup[] {
    const out: OktaGroup[] = [];
    for (const o of ordinals.split(',')) {
      const ord = Number(o);
      if (!this.gone.has(ord)) out.push(this.groups[ord]);
    }
    return out;
  }
}

/** Sorted distinct block numbers as [first, last] runs of consecutive numbers. */
function adjacentRuns(sorted: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const b of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[1] + 1 === b) last[1] = b;
    else runs.push([b, b]);
  }
  return runs;
}

// ---- merge machinery ----------------------------------------------------------------------

interface HeapEntry {
  userId: string;
  ordinal: number;
  reader: LineReader;
}

/** A binary min-heap over the runs' current lines. */
class RunHeap {
  private readonly items: HeapEntry[] = [];

  pushFrom(reader: LineReader): void {
    const line = reader.next();
    if (line === undefined) return;
    const tab = line.indexOf('\t');
    this.push({ userId: line.slice(0, tab), ordinal: Number(line.slice(tab + 1)), reader });
  }

  pop(): { userId: string; ordinal: number } | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.down(0);
    }
    this.pushFrom(top.reader);
    return top;
  }

  private push(e: HeapEntry): void {
    const items = this.items;
    items.push(e);
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(items[p], items[i])) break;
      [items[p], items[i]] = [items[i], items[p]];
      i = p;
    }
  }

  private down(i: number): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && this.less(items[l], items[m])) m = l;
      if (r < items.length && this.less(items[r], items[m])) m = r;
      if (m === i) return;
      [items[m], items[i]] = [items[i], items[m]];
      i = m;
    }
  }

  private less(a: HeapEntry, b: HeapEntry): boolean {
    return compareKey(a.userId, a.ordinal, b.userId, b.ordinal) < 0;
  }
}

/** Lines of a file read in fixed chunks (synchronously: the merge is CPU-bound anyway). */
class LineReader {
  private fd: number | null;
  private rest = '';
  private lines: string[] = [];
  private at = 0;
  private eof = false;

  constructor(file: string) {
    this.fd = openSync(file, 'r');
  }

  next(): string | undefined {
    while (this.at >= this.lines.length) {
      if (this.eof || this.fd === null) return undefined;
      const buf = Buffer.alloc(READ_CHUNK);
      const n = readSync(this.fd, buf, 0, READ_CHUNK, null);
      if (n === 0) {
        this.eof = true;
        this.lines = this.rest === '' ? [] : [this.rest];
        this.rest = '';
      } else {
        const parts = (this.rest + buf.toString('utf8', 0, n)).split('\n');
        this.rest = parts.pop() ?? '';
        this.lines = parts;
      }
      this.at = 0;
    }
    return this.lines[this.at++];
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

class ChunkWriter {
  offset = 0;
  private fd: number | null;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'w', 0o600);
  }

  write(s: string): void {
    this.pending.push(s);
    const n = Buffer.byteLength(s);
    this.pendingBytes += n;
    this.offset += n;
    if (this.pendingBytes >= WRITE_CHUNK) this.flush();
  }

  private flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''));
    let off = 0;
    while (off < buf.length) off += writeSyncAll(this.fd, buf, off);
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }
}

function writeSyncAll(fd: number, buf: Buffer, off: number): number {
  return writeSync(fd, buf, off);
}

/** A flat copy of `s`, holding no reference to the string it was sliced from. */
function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
