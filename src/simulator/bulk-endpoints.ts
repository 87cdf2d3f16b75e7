/**
 * The bulk read endpoints a full sync uses (see /work/shared/spec/okta-api-facts.md, "Bulk
 * reads"), as Okta serves them:
 * - `GET /api/v1/groups`: every group, `limit` default and maximum 10000, `after` from the `next`
 *   link;
 * - `GET /api/v1/groups/{id}/users`: a group's members as user objects, `limit` default and
 *   maximum 1000 (a larger one gets the maximum page), `next` link paging, 404 `E0000007` for a
 *   group that does not exist (or was deleted since it was listed);
 * - `GET /api/v1/iam/assignees/users`: the users holding role assignments of their own, as
 *   `{value: [{id, orn, _links}], _links: {next?}}`, paged through `_links.next` in the body (not
 *   the `Link` header), `limit` default 100.
 *
 * Positions in cursors are group or user indices, so a change between two pages skips or repeats
 * nothing that was there before it.
 */
import { ApiError, groupNotFound, limitParam } from './api-error';
import type { CursorCodec } from './cursor';
import type { SimulatedTenant } from './tenant';

export interface BulkReply {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
}

export const GROUPS_PAGE_MAX = 10_000;
export const MEMBERS_PAGE_MAX = 1000;
export const ASSIGNEES_PAGE_DEFAULT = 100;
/** Okta documents no maximum for assignees; the simulator caps a page here. */
export const ASSIGNEES_PAGE_MAX = 1000;

export class BulkEndpoints {
  /**
   * Called (once, then cleared) when the last page of `GET /api/v1/groups` is served: lets a test
   * change the tenant between a client's listing of the groups and its reading of their members.
   */
  onGroupsListed: (() => void) | undefined;
  /**
   * Answer `iam/assignees/users` with 403 E0000006, as an org without the endpoint (or a token
   * without okta.roles.read for it) does: the connector must fall back to per-user roles.
   */
  refuseRoleAssignees = false;

  constructor(
    private readonly tenant: SimulatedTenant,
    private readonly cursors: CursorCodec,
    private readonly orgId: string,
  ) {}

  listGroups(url: URL, base: string): BulkReply {
    const q = url.searchParams;
    for (const p of ['q', 'filter', 'search', 'expand']) {
      if (q.has(p)) {
        throw new ApiError(400, 'E0000031', 'Invalid search criteria.', [
          `${p}: not supported by the simulator (list all groups without it)`,
        ]);
      }
    }
    const limit = limitParam(q.get('limit'), GROUPS_PAGE_MAX, GROUPS_PAGE_MAX);
    const after = this.cursors.afterParam('groups', q.get('after'));
    const remaining = this.tenant.liveGroupIndices().filter((g) => g > after);
    const page = remaining.slice(0, limit);
    const links = [`<${base}/api/v1/groups${url.search}>; rel="self"`];
    if (remaining.length > limit) {
      const next = new URLSearchParams();
      next.set('after', this.cursors.encode('groups', page[page.length - 1]));
      next.set('limit', String(limit));
      links.push(`<${base}/api/v1/groups?${next.toString()}>; rel="next"`);
    } else {
      const hook = this.onGroupsListed;
      this.onGroupsListed = undefined;
      hook?.();
    }
    return {
      status: 200,
      body: page.map((g) => this.tenant.groupJson(g, base)),
      headers: { link: links },
    };
  }

  listGroupMembers(groupId: string, url: URL, base: string): BulkReply {
    const g = this.tenant.groupIndexOf(groupId);
    if (g === undefined) throw groupNotFound(groupId);
    const listing = `members:${groupId}`;
    const limit = limitParam(url.searchParams.get('limit'), MEMBERS_PAGE_MAX, MEMBERS_PAGE_MAX);
    const after = this.cursors.afterParam(listing, url.searchParams.get('after'));
    const members = this.tenant.membersOf(g);
    let start = 0;
    while (start < members.length && members[start] <= after) start++;
    const page = Array.from(members.subarray(start, start + limit));
    const path = `/api/v1/groups/${groupId}/users`;
    const links = [`<${base}${path}${url.search}>; rel="self"`];
    if (start + limit < members.length) {
      const next = new URLSearchParams();
      next.set('after', this.cursors.encode(listing, page[page.length - 1]));
      next.set('limit', String(limit));
      links.push(`<${base}${path}?${next.toString()}>; rel="next"`);
    }
    return {
      status: 200,
      body: page.map((i) => this.tenant.userJson(i, base)),
      headers: { link: links },
    };
  }

  listRoleAssignees(url: URL, base: string): BulkReply {
    if (this.refuseRoleAssignees) {
      throw new ApiError(
        403,
        'E0000006',
        'You do not have permission to perform the requested action',
      );
    }
    const q = url.searchParams;
    const limit = limitParam(q.get('limit'), ASSIGNEES_PAGE_DEFAULT, ASSIGNEES_PAGE_MAX);
    const after = this.cursors.afterParam('assignees', q.get('after'));
    const value: unknown[] = [];
    let more = false;
    let last = after;
    for (let i = Math.max(0, after + 1); i < this.tenant.userCount; i++) {
      if (!this.tenant.hasDirectRoles(i)) continue;
      if (value.length === limit) {
        more = true;
        break;
      }
      const id = this.tenant.recordAt(i).id;
      value.push({
        id,
        orn: `orn:okta:directory:${this.orgId}:users:${id}`,
        _links: {
          self: { href: `${base}/api/v1/users/${id}` },
          roles: { href: `${base}/api/v1/users/${id}/roles` },
        },
      });
      last = i;
    }
    const links: Record<string, { href: string }> = {};
    if (more) {
      const next = new URLSearchParams();
      next.set('after', this.cursors.encode('assignees', last));
      next.set('limit', String(limit));
      links.next = { href: `${base}/api/v1/iam/assignees/users?${next.toString()}` };
    }
    return { status: 200, body: { value, _links: links } };
  }
}
