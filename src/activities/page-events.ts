/**
 * A staged page turned into OCSF events: each user with its enrichments, the fallbacks it got
 * (recorded in `enrichment_errors`), mapped and validated. A user deleted during the sync or a
 * record the mapping cannot use is skipped, counted and logged; an event that fails validation is
 * a mapping bug and fails the page.
 */
import { log } from '@temporalio/activity';
import { mapUserToOcsf } from '../ocsf/map-user';
import type { UserInventoryInfo } from '../ocsf/types';
import { validateEvent } from '../ocsf/validate';
import type { EnrichmentKind, OktaFactor, OktaGroup, OktaRole, OktaUser } from '../okta/types';
import { pagePartId } from '../sync/naming';
import { StagingMissingError } from '../sync/staging';
import type { DeliverPageResult, PageRef } from '../sync/types';
import { toApplicationFailure } from './failures';
import type { PagePipeline } from './page-pipeline';
import {
  FACTORS,
  GROUP_ROLES,
  GROUPS,
  resultOf,
  USER_ROLES,
  USERS,
  type StagedEnrichment,
  type StagedGroupRoles,
} from './staged-page';

/** What a page's events say about its users, before delivery. */
export type PageTally = Omit<DeliverPageResult, 'events' | 'location'>;

interface StagedPage {
  users: OktaUser[];
  groups: StagedEnrichment<OktaGroup[]>;
  factors: StagedEnrichment<OktaFactor[]>;
  roles: StagedEnrichment<OktaRole[]>;
  fallbackGroups: Set<string>;
  /** Users whose enrichment of that kind fell back after exhausted retries. */
  fell: Record<'groups' | 'factors' | 'user_roles', Set<string>>;
  /** Users Okta answered 404 for in any enrichment: deleted during the sync. */
  gone: Set<string>;
}

async function readStagedPage(p: PagePipeline, ref: PageRef): Promise<StagedPage> {
  const read = <T>(name: string) =>
    p.staging.requirePage<T>(ref.orgUrl, ref.syncId, ref.page, name);
  const users = await read<OktaUser[]>(USERS);
  const groups = await read<StagedEnrichment<OktaGroup[]>>(GROUPS);
  const factors = await read<StagedEnrichment<OktaFactor[]>>(FACTORS);
  const roles = await read<StagedEnrichment<OktaRole[]>>(USER_ROLES);
  const gr = await read<StagedGroupRoles>(GROUP_ROLES);
  return {
    users,
    groups,
    factors,
    roles,
    fallbackGroups: new Set(gr.fallbackGroups),
    fell: {
      groups: new Set(groups.fallbacks),
      factors: new Set(factors.fallbacks),
      user_roles: new Set(roles.fallbacks),
    },
    gone: new Set([...groups.notFound, ...factors.notFound, ...roles.notFound]),
  };
}

/** Roles of the user's groups; whether any fell back on this page. */
async function rolesOfGroups(
  p: PagePipeline,
  ref: PageRef,
  staged: StagedPage,
  groups: OktaGroup[],
): Promise<{ byGroup: Record<string, OktaRole[]>; fellBack: boolean }> {
  const byGroup: Record<string, OktaRole[]> = {};
  let fellBack = false;
  for (const g of groups) {
    if (staged.fallbackGroups.has(g.id)) {
      fellBack = true;
      byGroup[g.id] = [];
      continue;
    }
    const known = await p.groupRoles.get(ref.orgUrl, ref.syncId, g.id);
    if (known === undefined) {
      throw toApplicationFailure(
        new StagingMissingError(
          `roles of group ${g.id} are missing from staging for ${pagePartId(ref.page)}`,
        ),
      );
    }
    byGroup[g.id] = known;
  }
  return { byGroup, fellBack };
}

/** The enrichments of this user that fell back (its event's `enrichment_errors`). */
function fallbacksOf(
  staged: StagedPage,
  userId: string,
  groupRolesFellBack: boolean,
): EnrichmentKind[] {
  const kinds: EnrichmentKind[] = [];
  if (staged.fell.groups.has(userId)) kinds.push('groups');
  if (groupRolesFellBack) kinds.push('group_roles');
  if (staged.fell.factors.has(userId)) kinds.push('factors');
  if (staged.fell.user_roles.has(userId)) kinds.push('user_roles');
  return kinds;
}

/** The page's events, in staged order (the same on every attempt, only `time` differs). */
export async function eventsOfPage(
  p: PagePipeline,
  ref: PageRef,
): Promise<{ events: UserInventoryInfo[]; tally: PageTally }> {
  const staged = await readStagedPage(p, ref);
  const tally: PageTally = {
    skipped: 0,
    skippedReasons: {},
    fallbacks: 0,
    fallbacksByKind: { groups: 0, group_roles: 0, factors: 0, user_roles: 0 },
  };
  const skip = (userId: string, reason: string): void => {
    tally.skipped += 1;
    tally.skippedReasons[reason] = (tally.skippedReasons[reason] ?? 0) + 1;
    log.warn('user not emitted', { userId, reason });
  };
  const observedAtMs = Date.now();
  const events: UserInventoryInfo[] = [];
  for (const user of staged.users) {
    if (staged.gone.has(user.id)) {
      skip(user.id, 'deleted during sync');
      continue;
    }
    const groups = resultOf(staged.groups.results, user.id) ?? [];
    const groupRoles = await rolesOfGroups(p, ref, staged, groups);
    const enrichmentErrors = fallbacksOf(staged, user.id, groupRoles.fellBack);
    for (const kind of enrichmentErrors) tally.fallbacksByKind[kind] += 1;
    tally.fallbacks += enrichmentErrors.length;
    let event: UserInventoryInfo;
    try {
      event = mapUserToOcsf(
        {
          user,
          groups,
          groupRoles: groupRoles.byGroup,
          factors: resultOf(staged.factors.results, user.id) ?? [],
          roles: resultOf(staged.roles.results, user.id) ?? [],
          enrichmentErrors,
        },
        { observedAtMs },
      );
    } catch (err) {
      // One unusable record never stops the sync; it is counted and logged instead.
      skip(user.id, `unmappable record: ${(err as Error).message}`);
      continue;
    }
    try {
      validateEvent(event);
    } catch (err) {
      // An invalid event is a bug in the mapping: fail loudly, never send it half-valid.
      throw toApplicationFailure(err);
    }
    events.push(event);
  }
  return { events, tally };
}
