/**
 * The per-user enrichment activities of a page (groups, factors, own roles) and the roles of the
 * page's groups, each over the one per-item loop (`fetchEach`).
 */
import { Context } from '@temporalio/activity';
import type { OktaFactor, OktaGroup, OktaRole } from '../okta/types';
import type { EnrichInput, EnrichResult, GroupRolesResult } from '../sync/types';
import { enrichPage } from './enrich-page';
import { fetchEach } from './fetch-each';
import type { PagePipeline } from './page-pipeline';
import {
  FACTORS,
  GROUP_ROLES,
  GROUPS,
  USER_ROLES,
  type StagedEnrichment,
  type StagedGroupRoles,
} from './staged-page';

export async function fetchUserGroups(p: PagePipeline, input: EnrichInput): Promise<EnrichResult> {
  const s = p.oktaSession();
  return enrichPage<OktaGroup[]>(p.staging, s, input, GROUPS, [], (id, call) =>
    s.listUserGroups(id, call),
  );
}

export async function fetchUserFactors(p: PagePipeline, input: EnrichInput): Promise<EnrichResult> {
  const s = p.oktaSession();
  return enrichPage<OktaFactor[]>(p.staging, s, input, FACTORS, [], (id, call) =>
    s.listUserFactors(id, call),
  );
}

export async function fetchUserRoles(p: PagePipeline, input: EnrichInput): Promise<EnrichResult> {
  const s = p.oktaSession();
  return enrichPage<OktaRole[]>(p.staging, s, input, USER_ROLES, [], (id, call) =>
    s.listUserRoles(id, call),
  );
}

/**
 * Roles of the page's groups, fetched once per distinct group per sync: a group already
 * resolved by an earlier page (or by a concurrent one) is not asked for again.
 */
export async function fetchGroupRoles(
  p: PagePipeline,
  input: EnrichInput,
): Promise<GroupRolesResult> {
  const { orgUrl, syncId, page } = input;
  const groups = await p.staging.requirePage<StagedEnrichment<OktaGroup[]>>(
    orgUrl,
    syncId,
    page,
    GROUPS,
  );
  const staged = (await p.staging.readPage<StagedGroupRoles>(
    orgUrl,
    syncId,
    page,
    GROUP_ROLES,
  )) ?? {
    fallbackGroups: [],
    apiCalls: 0,
    rateLimited: 0,
  };
  const distinct = new Set<string>();
  for (const list of Object.values(groups.results)) for (const g of list) distinct.add(g.id);

  const session = p.oktaSession();
  const fallbackGroups: string[] = [];
  let fetched = 0;
  await fetchEach({
    items: [...distinct],
    lastAttempt: Context.current().info.attempt >= input.maxAttempts,
    fetchOne: async (groupId, call) => {
      const r = await p.groupRoles.resolve(orgUrl, syncId, groupId, () =>
        session.listGroupRoles(groupId, call),
      );
      if (r.fetched) fetched += 1;
    },
    // The group was deleted mid-sync: it grants nothing any more.
    onNotFound: (groupId) => p.groupRoles.store(orgUrl, syncId, groupId, []),
    onFallback: (groupId) => fallbackGroups.push(groupId),
    save: async () => {
      const used = session.counters();
      staged.apiCalls += used.apiCalls;
      staged.rateLimited += used.rateLimited;
      staged.fallbackGroups = fallbackGroups;
      await p.staging.writePage(orgUrl, syncId, page, GROUP_ROLES, staged);
    },
  });
  return {
    apiCalls: staged.apiCalls,
    rateLimited: staged.rateLimited,
    fallbacks: fallbackGroups.length,
    notFound: 0,
    fetched,
  };
}
