/**
 * The index build of the bulk enrichment strategy (full syncs): who is in which group, read from
 * the groups side into the sync's membership index on this worker.
 *
 * Crash-safe: groups are listed once (`groups.ndjson`, their ordinals fixed for the build), then
 * members are read by a few lanes, group by group, into a bounded buffer that is written out as a
 * sorted run whenever it fills. Each run is a checkpoint, sent in the heartbeat details:
 * `{runs, groupsDone}` — every group below `groupsDone` is entirely in runs 1..runs. A retry on
 * the same worker resumes from there (groups in flight at the checkpoint are read again; the merge
 * drops the duplicates). A retry on a worker without those runs starts over: the index is a
 * cache, never a shared source of truth.
 */
import { Context, log } from '@temporalio/activity';
import * as path from 'node:path';
import type { OktaGroup } from '../okta/types';
import type { BuildIndexResult, SyncRef } from '../sync/bulk-types';
import { MembershipIndexStore, PairBuffer, type GroupsSnapshot } from '../sync/membership-index';
import { orgKey } from '../sync/naming';
import { isNotFound, toApplicationFailure } from './failures';
import type { CallOptions, OktaSession } from './okta-session';
import type { PagePipeline } from './page-pipeline';

/** The checkpoint of an index build, in the heartbeat details. */
export interface IndexCheckpoint {
  syncId: string;
  phase: 'members';
  runs: number;
  groupsDone: number;
  gone: number[];
}

/** Where a sync's index lives: the worker's state dir, beside (not inside) staging. */
export function membershipIndexDir(stateDir: string, orgUrl: string, syncId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(syncId)) throw new Error(`invalid sync id: ${syncId}`);
  return path.join(stateDir, 'membership-index', orgKey(orgUrl), syncId);
}

export function resumedIndexCheckpoint(details: unknown, syncId: string): IndexCheckpoint | null {
  if (details === null || typeof details !== 'object') return null;
  const d = details as Partial<IndexCheckpoint>;
  if (d.syncId !== syncId || d.phase !== 'members') return null;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (!ok(d.runs) || !ok(d.groupsDone) || !Array.isArray(d.gone) || !d.gone.every(ok)) return null;
  return { syncId, phase: 'members', runs: d.runs, groupsDone: d.groupsDone, gone: d.gone };
}

/** Builds (or resumes, or finds) the sync's membership index on this worker. */
export async function buildMembershipIndex(
  p: PagePipeline,
  input: SyncRef,
): Promise<BuildIndexResult> {
  const started = Date.now();
  const store = new MembershipIndexStore(
    membershipIndexDir(p.staging.root, input.orgUrl, input.syncId),
  );
  const done = await store.readMeta();
  if (done) {
    return {
      ...done,
      apiCalls: 0,
      rateLimited: 0,
      groupsGone: 0,
      resumedAtGroup: done.groups,
      buildMs: 0,
    };
  }
  const session = p.oktaSession();
  try {
    const build = new IndexBuild(input.syncId, store, session, Context.current());
    const snapshot = await build.groupsSnapshot();
    const members = await build.readMembers(snapshot.groups, p.indexRunPairs, p.indexMemberLanes);
    const meta = await store.merge(members.runs, members.gone, snapshot.snapshotStart);
    const used = session.counters();
    const result: BuildIndexResult = {
      ...meta,
      apiCalls: used.apiCalls,
      rateLimited: used.rateLimited,
      groupsGone: members.gone.size,
      resumedAtGroup: members.resumedAtGroup,
      buildMs: Date.now() - started,
    };
    log.info('membership index built', { ...result });
    return result;
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

/** Okta's `Date` has 1 s resolution: one second less is no later than the response. */
function snapshotStartFrom(serverDate: string | null): string {
  const at = serverDate ? Date.parse(serverDate) : NaN;
  return new Date((Number.isFinite(at) ? at : Date.now() - 60_000) - 1000).toISOString();
}

/** One attempt at building the index: its checkpoint, and the calls that heartbeat it. */
class IndexBuild {
  private checkpoint: IndexCheckpoint | null;

  constructor(
    private readonly syncId: string,
    private readonly store: MembershipIndexStore,
    private readonly session: OktaSession,
    private readonly ctx: Context,
  ) {
    this.checkpoint = resumedIndexCheckpoint(ctx.info.heartbeatDetails, syncId);
  }

  private call(): CallOptions {
    return {
      signal: this.ctx.cancellationSignal,
      // A wait keeps the checkpoint in the details, or a crash during it would lose it.
      onWait: (ms, reason) => this.ctx.heartbeat({ ...this.checkpoint, waitingMs: ms, reason }),
    };
  }

  /** Every group, listed once per build; a new listing invalidates any earlier checkpoint. */
  async groupsSnapshot(): Promise<GroupsSnapshot> {
    const kept = await this.store.readGroups();
    if (kept) return kept;
    this.checkpoint = null;
    const groups: OktaGroup[] = [];
    let next: string | null = null;
    let first: string | null = null;
    do {
      const page = await this.session.listGroupsPage(next, this.call());
      if (first === null) first = snapshotStartFrom(page.serverDate);
      groups.push(...page.groups);
      next = page.nextUrl;
      this.ctx.heartbeat({ syncId: this.syncId, phase: 'groups', listed: groups.length });
    } while (next !== null);
    const snapshot = { groups, snapshotStart: first ?? snapshotStartFrom(null) };
    await this.store.writeGroups(snapshot);
    return snapshot;
  }

  /** Members of every group into sorted runs, from the checkpoint when its runs are here. */
  async readMembers(
    groups: OktaGroup[],
    runPairs: number,
    lanes: number,
  ): Promise<{ runs: number; gone: Set<number>; resumedAtGroup: number }> {
    if (this.checkpoint && !(await this.store.hasRuns(this.checkpoint.runs))) {
      this.checkpoint = null;
    }
    const checkpoint = this.checkpoint;
    if (checkpoint) log.info('membership index resumes', { ...checkpoint });
    await this.store.dropRunsAfter(checkpoint?.runs ?? 0);
    const resumedAtGroup = checkpoint?.groupsDone ?? 0;
    const buffer = new PairBuffer();
    const gone = new Set<number>(checkpoint?.gone ?? []);
    const inProgress = new Set<number>();
    let runs = checkpoint?.runs ?? 0;
    let nextGroup = resumedAtGroup;
    let writing: Promise<void> = Promise.resolve();

    // Drains the buffer now (so the checkpoint is exact) and writes it after earlier runs.
    const flush = (): Promise<void> => {
      if (buffer.size === 0) return writing;
      const lines = buffer.drainSorted();
      const n = ++runs;
      const groupsDone = Math.min(nextGroup, ...inProgress);
      const goneNow = [...gone].filter((g) => g < groupsDone);
      writing = writing.then(async () => {
        await this.store.writeRun(n, lines);
        this.checkpoint = {
          syncId: this.syncId,
          phase: 'members',
          runs: n,
          groupsDone,
          gone: goneNow,
        };
        this.ctx.heartbeat(this.checkpoint);
      });
      return writing;
    };

    const lane = async (): Promise<void> => {
      while (nextGroup < groups.length) {
        const ordinal = nextGroup++;
        inProgress.add(ordinal);
        let next: string | null = null;
        try {
          do {
            const page = await this.session.listGroupMembersPage(
              groups[ordinal].id,
              next,
              this.call(),
            );
            for (const u of page.users) buffer.add(u.id, ordinal);
            next = page.nextUrl;
            if (buffer.size >= runPairs) await flush();
          } while (next !== null);
        } catch (err) {
          // Deleted since it was listed: it grants nothing any more, to anyone.
          if (!isNotFound(err)) throw err;
          gone.add(ordinal);
        }
        inProgress.delete(ordinal);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    await flush();
    await writing;
    return { runs, gone, resumedAtGroup };
  }
}
