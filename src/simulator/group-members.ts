/**
 * `GET /api/v1/groups/{id}/users`: a group's members, in user list order, 1000 a page at most
 * (Okta's default and maximum for this listing), paged by an opaque `after` cursor in the `next`
 * link. The server handles the group's 404 and the cursor's 400; this module only pages.
 */

import type { OktaUserJson } from './okta-json';
import type { SimulatedTenant } from './tenant';

export const GROUP_MEMBERS_LIMIT = 1000;

export interface GroupMembersPage {
  body: OktaUserJson[];
  /** Position (user index) of the last member on this page when more follow, else null. */
  nextAfter: number | null;
  limit: number;
}

/** `limit` as Okta reads it: a positive integer, a larger one is served as the maximum. */
export function groupMembersLimit(raw: string | null): number | null {
  if (raw === null) return GROUP_MEMBERS_LIMIT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) return null;
  return Math.min(GROUP_MEMBERS_LIMIT, Number(raw));
}

export function groupMembersPage(
  tenant: SimulatedTenant,
  groupIndex: number,
  after: number,
  limit: number,
  base: string,
): GroupMembersPage {
  const page = tenant.pageGroupMembers(groupIndex, after, limit);
  return {
    body: page.indices.map((i) => tenant.userJson(i, base)),
    nextAfter: page.more ? page.indices[page.indices.length - 1] : null,
    limit,
  };
}
