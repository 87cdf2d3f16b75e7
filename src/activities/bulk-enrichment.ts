/**
 * The per-page activities of the bulk enrichment strategy (full syncs): the role assignees, the
 * page enrichments that read them and the membership index (built by membership-index-build.ts),
 * and dropping that index.
 */
import { log } from '@temporalio/activity';
import { OktaAuthError, OktaNotFoundError } from '../okta/errors';
import type { OktaGroup, OktaRole, OktaUser } from '../okta/types';
import type { BulkEnrichInput, RoleAssigneesResult, SyncRef } from '../sync/bulk-types';
import { MembershipIndexStore } from '../sync/membership-index';
import type { EnrichResult } from '../sync/types';
import { enrichPage, enrichUsers } from './enrich-page';
import { toApplicationFailure } from './failures';
import { membershipIndexDir } from './membership-index-build';
import { heartbeatingCall, type PagePipeline } from './page-pipeline';
import { GROUPS, USER_ROLES, USERS } from './staged-page';

const dirOf = (p: PagePipeline, ref: SyncRef): string =>
  membershipIndexDir(p.staging.root, ref.orgUrl, ref.syncId);

/** Reads who holds role assignments; a refusal (403/404) means per-user roles, visibly. */
export async function readRoleAssignees(
  p: PagePipeline,
  input: SyncRef,
): Promise<RoleAssigneesResult> {
  const session = p.oktaSession();
  let ids: string[] | null;
  let refusal: string | null = null;
  try {
    ids = await session.listRoleAssignees(heartbeatingCall());
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
  await new MembershipIndexStore(dirOf(p, input)).writeAssignees(ids);
  const used = session.counters();
  return {
    apiCalls: used.apiCalls,
    rateLimited: used.rateLimited,
    available: ids !== null,
    assignees: ids?.length ?? 0,
    refusal,
  };
}

/**
 * Groups of the page's users from the index; per user for those the snapshot may not show
 * (created or updated at or after it began, or absent from the index), and for the whole page
 * when this worker has no index for the sync.
 */
export async function fetchUserGroupsBulk(
  p: PagePipeline,
  input: BulkEnrichInput,
): Promise<EnrichResult> {
  const s = p.oktaSession();
  const index = await p.indexReaders.readerFor(dirOf(p, input));
  if (!index) log.warn('no membership index on this worker: groups read per user', { ...input });
  const users = await p.staging.requirePage<OktaUser[]>(
    input.orgUrl,
    input.syncId,
    input.page,
    USERS,
  );
  const snapshotMs = Date.parse(input.snapshotStart);
  const fromIndex = index
    ? await index.groupsOfMany(users.filter((u) => !changedSince(u, snapshotMs)).map((u) => u.id))
    : new Map<string, OktaGroup[]>();
  return enrichUsers<OktaGroup[]>(p.staging, s, input, GROUPS, [], users, (id, call) => {
    const groups = fromIndex.get(id);
    return groups !== undefined ? Promise.resolve(groups) : s.listUserGroups(id, call);
  });
}

/** Roles of the page's assignees; everyone else holds no role of its own (U8 via groups). */
export async function fetchUserRolesBulk(
  p: PagePipeline,
  input: BulkEnrichInput,
): Promise<EnrichResult> {
  const s = p.oktaSession();
  const assignees = await p.indexReaders.assigneesFor(dirOf(p, input));
  if (!assignees) log.warn('no role assignees on this worker: roles read per user', { ...input });
  return enrichPage<OktaRole[]>(p.staging, s, input, USER_ROLES, [], (id, call) =>
    assignees && !assignees.has(id) ? Promise.resolve([]) : s.listUserRoles(id, call),
  );
}

/** Drops the sync's index from this worker. */
export async function dropMembershipIndex(p: PagePipeline, input: SyncRef): Promise<void> {
  const dir = dirOf(p, input);
  p.indexReaders.close(dir);
  await new MembershipIndexStore(dir).clear();
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
