/**
 * What an activity needs from Okta, narrowed to one interface so activities can be exercised in
 * unit tests with `MockActivityEnvironment` and a fake, and so they count their own calls.
 *
 * A session is made per activity execution: it counts that execution's requests and 429s, while
 * the rate limiter underneath is shared by every activity of the process.
 */
import type { LogPage, SystemLogPageParams } from '../okta/client';
import type { OktaFactor, OktaGroup, OktaRole, OktaUser } from '../okta/types';

export interface CallOptions {
  signal?: AbortSignal;
  /** Called when a request waits for rate-limit budget; activities heartbeat from it. */
  onWait?: (ms: number, reason: string) => void;
}

export interface UsersPage {
  users: OktaUser[];
  nextUrl: string | null;
  serverDate: string | null;
}

export interface OktaSession {
  listUsersPage(
    opts: { nextUrl: string | null; filter: string | null },
    call?: CallOptions,
  ): Promise<UsersPage>;
  listUserGroups(userId: string, call?: CallOptions): Promise<OktaGroup[]>;
  listGroupRoles(groupId: string, call?: CallOptions): Promise<OktaRole[]>;
  listUserFactors(userId: string, call?: CallOptions): Promise<OktaFactor[]>;
  listUserRoles(userId: string, call?: CallOptions): Promise<OktaRole[]>;
  /** One user by id; a deleted one throws `OktaNotFoundError`. */
  getUser(userId: string, call?: CallOptions): Promise<OktaUser>;
  listGroupMembers(groupId: string, call?: CallOptions): Promise<OktaUser[]>;
  listSystemLogPage(params: SystemLogPageParams, call?: CallOptions): Promise<LogPage>;
  /** Bulk strategy: one page of `GET /api/v1/groups` (the first when `nextUrl` is null). */
  listGroupsPage(
    nextUrl: string | null,
    call?: CallOptions,
  ): Promise<{ groups: OktaGroup[]; nextUrl: string | null; serverDate: string | null }>;
  /** Bulk strategy: one page of a group's members (404 once the group is deleted). */
  listGroupMembersPage(
    groupId: string,
    nextUrl: string | null,
    call?: CallOptions,
  ): Promise<{ users: OktaUser[]; nextUrl: string | null }>;
  /** Bulk strategy: ids of every user holding a role assignment (`iam/assignees/users`). */
  listRoleAssignees(call?: CallOptions): Promise<string[]>;
  /** Requests this session sent (retries included) and how many Okta answered with 429. */
  counters(): { apiCalls: number; rateLimited: number };
}
