/**
 * The activities of the bulk enrichment strategy (full syncs): the membership index built from
 * the groups side, the role assignees, and the per-page enrichments that read them.
 *
 * Index build, crash-safe: groups are listed once (`groups.ndjson`, their ordinals fixed for the
 * build), then members are read by a few lanes, group by group, into a bounded buffer that is
 * written out as a sorted run whenever it fills. Each run is a checkpoint, sent in the heartbeat
 * details: `{runs, groupsDone}` — every group below `groupsDone` is entirely in runs 1..runs. A
 * retry on the same worker resumes from there (groups in flight at the checkpoint are read again;
 * the merge drops the duplicates). A retry on a worker without those runs starts over: the index
 * is a cache, never a shared source of truth.
 */
import { Context, log } from '@temporalio/activity';
import * as path from 'node:path';
import { OktaAuthError, OktaNotFoundError } from '../okta/errors';
import type { OktaGroup, OktaRole, OktaUser } from '../okta/types';
import type {
  BuildIndexResult,
  BulkEnrichInput,
  RoleAssigneesResult,
  SyncRef,
} from '../sync/bulk-types';
import { MembershipIndexReader, MembershipIndexStore, PairBuffer } from '../sync/membership-index';
import { orgKey } from '../sync/naming';
import type { StagingStore } from '../sync/staging';
import type { EnrichResult } from '../sync/types';
import { enrichPage, USERS } from './enrich-page';
import { isNotFound, toApplicationFailure } from './failures';
import type { CallOptions, OktaSession } from './okta-session';

export interface BulkActivityDeps {
  staging: StagingStore;
  oktaSession: () => OktaSession;
  checkOrg: (orgUrl: string) => void;
  /** Pairs buffered before a sorted run is written (bounds the build's memory). */
  runPairs?: number;
  /** Groups whose members are read at the same time. */
  memberLanes?: number;
}

const DEFAULT_RUN_PAIRS = 200_000;
const DEFAULT_MEMBER_LANES = 8;

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

/** One open index per process (the sync in progress); reopened when another sync asks. */
let openIndex: { dir: string; reader: Promise<MembershipIndexReader | undefined> } | null = null;

function readerFor(dir: string): Promise<MembershipIndexReader | undefined> {
  if (openIndex?.dir !== dir) openIndex = { dir, reader: MembershipIndexReader.open(dir) };
  const current = openIndex;
  // A missing index is not cached: it may be complete the next time a page asks.
  void current.reader.then((r) => {
    if (r === undefined && openIndex === current) openIndex = null;
  });
  return current.reader;
}

let openAssignees: { dir: string; ids: Promise<Set<string> | null | undefined> } | null = null;

function assigneesFor(dir: string): Promise<Set<string> | null | undefined> {
  if (openAssignees?.dir !== dir) {
    const ids = new MembershipIndexStore(dir)
      .readAssignees()
      .then((a) => (a === undefined || a === null ? a : new Set(a)));
    const current = { dir, ids };
    openAssignees = current;
    // Not read yet on this worker: not cached, it may be there the next time a page asks.
    void ids.then((a) => {
      if (a === undefined && openAssignees === current) openAssignees = null;
    });
  }
  return openAssignees.ids;
}

/** Okta's `Date` has 1 s resolution: one second less is no later than the response. */
function snapshotStartFrom(serverDate: string | null): string {
  const at = serverDate ? Date.parse(serverDate) : NaN;
  return new Date((Number.isFinite(at) ? at : Date.now() - 60_000) - 1000).toISOString();
}

export function bulkActivities(deps: BulkActivityDeps) {
  const runPairs = deps.runPairs ?? DEFAULT_RUN_PAIRS;
  const lanes = deps.memberLanes ?? DEFAULT_MEMBER_LANES;
  const dirOf = (ref: SyncRef): string =>
    membershipIndexDir(deps.staging.root, ref.orgUrl, ref.syncId);

  return {
    /** Builds (or resumes, or finds) the sync's membership index on this worker. */
    async buildMembershipIndex(input: SyncRef): Promise<BuildIndexResult> {
      deps.checkOrg(input.orgUrl);
      const ctx = Context.current();
      const started = Date.now();
      const store = new MembershipIndexStore(dirOf(input));
      const session = deps.oktaSession();
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
      let checkpoint: IndexCheckpoint | null = resumedIndexCheckpoint(
        ctx.info.heartbeatDetails,
        input.syncId,
      );
      const call = (): CallOptions => ({
        signal: ctx.cancellationSignal,
        // A wait keeps the checkpoint in the details, or a crash during it would lose it.
        onWait: (ms, reason) => ctx.heartbeat({ ...checkpoint, waitingMs: ms, reason }),
      });
      try {
        let snapshot = await store.readGroups();
        if (!snapshot) {
          checkpoint = null;
          const groups: OktaGroup[] = [];
          let next: string | null = null;
          let first: string | null = null;
          do {
            const page = await session.listGroupsPage(next, call());
            if (first === null) first = snapshotStartFrom(page.serverDate);
            groups.push(...page.groups);
            next = page.nextUrl;
            ctx.heartbeat({ syncId: input.syncId, phase: 'groups', listed: groups.length });
          } while (next !== null);
          snapshot = { groups, snapshotStart: first ?? snapshotStartFrom(null) };
          await store.writeGroups(snapshot);
        }
        if (checkpoint && !(await store.hasRuns(checkpoint.runs))) checkpoint = null;
        const resumedAtGroup = checkpoint?.groupsDone ?? 0;
        if (checkpoint) log.info('membership index resumes', { ...checkpoint });
        await store.dropRunsAfter(checkpoint?.runs ?? 0);

        const groups = snapshot.groups;
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
            await store.writeRun(n, lines);
            checkpoint = {
              syncId: input.syncId,
              phase: 'members',
              runs: n,
              groupsDone,
              gone: goneNow,
            };
            ctx.heartbeat(checkpoint);
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
                const page = await session.listGroupMembersPage(groups[ordinal].id, next, call());
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
        const meta = await store.merge(runs, gone, snapshot.snapshotStart);
        const used = session.counters();
        const result: BuildIndexResult = {
          ...meta,
          apiCalls: used.apiCalls,
          rateLimited: used.rateLimited,
          groupsGone: gone.size,
          resumedAtGroup,
          buildMs: Date.now() - started,
        };
        log.info('membership index built', { ...result });
        return result;
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    /** Reads who holds role assignments; a refusal (403/404) means per-user roles, visibly. */
    async readRoleAssignees(input: SyncRef): Promise<RoleAssigneesResult> {
      deps.checkOrg(input.orgUrl);
      const ctx = Context.current();
      const store = new MembershipIndexStore(dirOf(input));
      const session = deps.oktaSession();
      const call: CallOptions = {
        signal: ctx.cancellationSignal,
        onWait: (ms, reason) => ctx.heartbeat({ waitingMs: ms, reason }),
      };
      let ids: string[] | null;
      let refusal: string | null = null;
      try {
        ids = await session.listRoleAssignees(call);
      } catch (err) {
        const refused =
          err instanceof OktaNotFoundError || (err instanceof OktaAuthError && err.status === 403);
        if (!refused) throw toApplicationFailure(err);
        refusal = (err as Error).message;
        ids = null;
        log.warn('GET /api/v1/iam/assignees/users refused: user roles are read per user', {
          refusal,
        });
      }
      await store.writeAssignees(ids);
      const used = session.counters();
      return {
        apiCalls: used.apiCalls,
        rateLimited: used.rateLimited,
        available: ids !== null,
        assignees: ids?.length ?? 0,
        refusal,
      };
    },

    /**
     * Groups of the page's users from the index; per user for those the snapshot may not show
     * (created or updated at or after it began, or absent from the index), and for the whole page
     * when this worker has no index for the sync.
     */
    async fetchUserGroupsBulk(input: BulkEnrichInput): Promise<EnrichResult> {
      deps.checkOrg(input.orgUrl);
      const s = deps.oktaSession();
      const index = await readerFor(dirOf(input));
      if (!index)
        log.warn('no membership index on this worker: groups read per user', { ...input });
      const users = await deps.staging.requirePage<OktaUser[]>(
        input.orgUrl,
        input.syncId,
        input.page,
        USERS,
      );
      const byId = new Map(users.map((u) => [u.id, u]));
      const snapshotMs = Date.parse(input.snapshotStart);
      return enrichPage<OktaGroup[]>(deps.staging, s, input, 'groups', [], async (id, call) => {
        const u = byId.get(id);
        if (index && u && !changedSince(u, snapshotMs)) {
          const groups = await index.groupsOf(id);
          if (groups !== undefined) return groups;
        }
        return s.listUserGroups(id, call);
      });
    },

    /** Roles of the page's assignees; everyone else holds no role of its own (U8 via groups). */
    async fetchUserRolesBulk(input: BulkEnrichInput): Promise<EnrichResult> {
      deps.checkOrg(input.orgUrl);
      const s = deps.oktaSession();
      const assignees = await assigneesFor(dirOf(input));
      if (!assignees)
        log.warn('no role assignees on this worker: roles read per user', { ...input });
      return enrichPage<OktaRole[]>(deps.staging, s, input, 'user_roles', [], (id, call) =>
        assignees && !assignees.has(id) ? Promise.resolve([]) : s.listUserRoles(id, call),
      );
    },

    /** Drops the sync's index from this worker. */
    async dropMembershipIndex(input: SyncRef): Promise<void> {
      deps.checkOrg(input.orgUrl);
      const dir = dirOf(input);
      if (openIndex?.dir === dir) openIndex = null;
      if (openAssignees?.dir === dir) openAssignees = null;
      await new MembershipIndexStore(dir).clear();
    },
  };
}

/** Created or updated at or after the snapshot began, by Okta's clock: the index may be stale. */
function changedSince(u: OktaUser, snapshotMs: number): boolean {
  for (const t of [u.created, u.lastUpdated]) {
    const ms = typeof t === 'string' ? Date.parse(t) : NaN;
    // An unreadable timestamp proves nothing: ask Okta.
    if (!Number.isFinite(ms) || ms >= snapshotMs) return true;
  }
  return false;
}
