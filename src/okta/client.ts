/**
 * The Okta Management API client of the connector: the read endpoints it needs, each response
 * reduced to the shapes of `types.ts`.
 *
 * - Authenticates with `Authorization: SSWS <token>` or an OAuth access token (`auth/`), and sends
 *   it to the org origin only: paging links to any other origin are refused, redirects are never
 *   followed.
 * - Pages by following the `Link` header's `rel="next"` URL (never building cursors; `paging.ts`).
 * - Throttles through a shared `RateLimiter` (one per process), and retries within a call
 *   (`request.ts`, `retry-policy.ts`): transient failures with exponential backoff and jitter,
 *   rate limits by waiting for Okta's reset up to a wait budget. What is still failing afterwards
 *   is thrown as a typed error from `errors.ts`, for the calling activity to hand to Temporal
 *   (with `retryDelayMs` for rate limits). The HTTP exchange itself is `transport.ts` (axios).
 *
 * No Temporal imports: cancellation arrives as an AbortSignal, heartbeats leave through `onWait`.
 */

import { ApiTokenAuthorizer, type RequestAuthorizer } from './auth/authorizer';
import { ClientCounters, type OktaClientMetrics } from './client-counters';
import { systemClock, type Clock } from './clock';
import { malformedResponse, OktaUnexpectedResponseError } from './errors';
import type { OktaObserver } from './observer';
import { validateOrgUrl } from './org-url';
import { OktaPaging } from './paging';
import { RateLimiter } from './rate-limiter';
import { isRecord, reduceFactor, reduceGroup, reduceRole, reduceUser } from './records';
import { OktaRequester, USERS_LIST_ENDPOINT, type CallOptions } from './request';
import { resolveRetryPolicy, type RetryPolicy } from './retry-policy';
import { reduceLogEvent, type LogEvent } from './system-log';
import { OktaTransport } from './transport';
import type { OktaFactor, OktaGroup, OktaRole, OktaUser } from './types';

// The client's public API, whichever module holds each part.
export type { CallOptions } from './request';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
export {
  newCallCounters,
  type BucketCounters,
  type OktaCallCounters,
  type OktaClientMetrics,
} from './client-counters';

export interface OktaClientOptions {
  /** The org URL, validated by `validateOrgUrl`. */
  orgUrl: string | URL;
  /** The Okta API token, sent as `Authorization: SSWS <token>`; or give `authorizer`. */
  token?: string;
  /** Supplies each request's credentials (e.g. OAuth, src/okta/auth/); instead of `token`. */
  authorizer?: RequestAuthorizer;
  /** The process-wide limiter; share one between all clients of a worker. Default: a private one. */
  limiter?: RateLimiter;
  /** Timeout of one HTTP request, connection to last byte. Default 30 000 ms. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Upper bound on pages followed by one listing call (a guard against paging loops). Default 10 000. */
  maxPages?: number;
  clock?: Clock;
  /** Source of jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  userAgent?: string;
  /** Told of every request and every wait (the worker's metrics); never sees the token. */
  observer?: OktaObserver;
}

export interface ListUsersPageParams {
  /** The `nextUrl` of the previous page; when given, `filter` and `search` are ignored (the cursor URL carries them). */
  nextUrl?: string | null;
  /**
   * Okta `filter` expression, e.g. `lastUpdated gt "2024-01-01T00:00:00.000Z"`; null or absent for
   * none. With a filter or search Okta includes DEPROVISIONED users; without, it omits them.
   */
  filter?: string | null;
  /** Okta `search` expression; null or absent for none. */
  search?: string | null;
}

export interface UsersPage {
  users: OktaUser[];
  /** The next page's URL, to pass back as `nextUrl`; null on the last page. */
  nextUrl: string | null;
  /** Okta's `Date` header as ISO 8601 (Okta's clock, for watermarks); null if absent. */
  serverDate: string | null;
}

export interface SystemLogPageParams {
  /** The `next` link of the previous page; when given, the other fields are ignored. */
  nextUrl?: string | null;
  /** ISO 8601 bounds of `published`: since inclusive, until exclusive. */
  since: string;
  until: string;
  /** Okta's System Log filter, e.g. `eventType eq "…" or eventType eq "…"`. */
  filter: string;
}

export interface LogPage {
  events: LogEvent[];
  /** The next page's URL; null when this page was empty or had no `next` link. */
  nextUrl: string | null;
  serverDate: string | null;
}

export interface GroupsPage {
  groups: OktaGroup[];
  nextUrl: string | null;
  /** Okta's `Date` header as ISO 8601; null if absent. */
  serverDate: string | null;
}

export interface GroupMembersPage {
  users: OktaUser[];
  nextUrl: string | null;
}

export interface RoleAssigneesPage {
  userIds: string[];
  nextUrl: string | null;
}

const EP_USERS = USERS_LIST_ENDPOINT;
const EP_USER_GROUPS = 'GET /api/v1/users/{userId}/groups';
const EP_GROUP_ROLES = 'GET /api/v1/groups/{groupId}/roles';
const EP_USER_FACTORS = 'GET /api/v1/users/{userId}/factors';
const EP_USER_ROLES = 'GET /api/v1/users/{userId}/roles';
const EP_USER = 'GET /api/v1/users/{userId}';
const EP_GROUPS = 'GET /api/v1/groups';
const EP_GROUP_MEMBERS = 'GET /api/v1/groups/{groupId}/users';
const EP_ROLE_ASSIGNEES = 'GET /api/v1/iam/assignees/users';
const EP_LOGS = 'GET /api/v1/logs';
/** Okta's maximum page size of the group members and System Log listings. */
const LARGE_PAGE_LIMIT = 1000;
/** Okta documents no maximum for assignees; 200 keeps pages like the others. */
const ASSIGNEES_PAGE_LIMIT = 200;
/** Okta's page size maximum for users and user groups. */
const PAGE_LIMIT = 200;

export class OktaClient {
  readonly orgUrl: URL;
  readonly limiter: RateLimiter;
  readonly retryPolicy: Readonly<RetryPolicy>;
  readonly timeoutMs: number;
  private readonly counters = new ClientCounters();
  private readonly requester: OktaRequester;
  private readonly paging: OktaPaging;

  constructor(options: OktaClientOptions) {
    this.orgUrl = validateOrgUrl(String(options.orgUrl));
    if ((options.token === undefined) === (options.authorizer === undefined)) {
      throw new Error('OktaClient needs exactly one of the options token and authorizer');
    }
    const authorizer = options.authorizer ?? new ApiTokenAuthorizer(options.token as string);
    this.limiter = options.limiter ?? new RateLimiter();
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new Error(`OktaClient option timeoutMs must be a positive number; got ${timeoutMs}`);
    }
    this.timeoutMs = timeoutMs;
    this.retryPolicy = resolveRetryPolicy(options.retry);
    const clock = options.clock ?? systemClock;
    const userAgent = options.userAgent ?? 'okta-ocsf';
    this.requester = new OktaRequester({
      authorizer,
      limiter: this.limiter,
      transport: new OktaTransport({ timeoutMs, userAgent, clock }),
      retryPolicy: this.retryPolicy,
      timeoutMs,
      counters: this.counters,
      clock,
      random: options.random ?? Math.random,
      observer: options.observer,
    });
    this.paging = new OktaPaging({
      orgUrl: this.orgUrl,
      requester: this.requester,
      counters: this.counters,
      maxPages: options.maxPages ?? 10_000,
    });
  }

  /** A snapshot of the client's counters since it was created. */
  metrics(): OktaClientMetrics {
    return this.counters.snapshot();
  }

  /**
   * One page of `GET /api/v1/users` (200 users). Without `nextUrl` the first page is requested with
   * `filter`/`search`; with it, that URL is followed as is (after checking it is on the org).
   */
  async listUsersPage(
    params: ListUsersPageParams = {},
    call: CallOptions = {},
  ): Promise<UsersPage> {
    let url: URL;
    if (params.nextUrl !== undefined && params.nextUrl !== null) {
      url = this.paging.link(params.nextUrl, '/api/v1/users', EP_USERS, 'nextUrl');
    } else {
      const query: [string, string][] = [['limit', String(PAGE_LIMIT)]];
      if (params.filter != null) query.push(['filter', checkString(params.filter, 'filter')]);
      if (params.search != null) query.push(['search', checkString(params.search, 'search')]);
      url = this.paging.url('/api/v1/users', query);
    }
    const page = await this.paging.page(EP_USERS, url, call);
    const users = this.paging.reduce(EP_USERS, page.body, reduceUser, url, call);
    return {
      users,
      nextUrl: page.nextUrl,
      serverDate: page.serverDateMs === null ? null : new Date(page.serverDateMs).toISOString(),
    };
  }

  /** Every group of the user, following every page of `GET /api/v1/users/{id}/groups`. */
  async listUserGroups(userId: string, call: CallOptions = {}): Promise<OktaGroup[]> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}/groups`;
    return this.paging.all(
      EP_USER_GROUPS,
      path,
      [['limit', String(PAGE_LIMIT)]],
      reduceGroup,
      call,
    );
  }

  /** Role assignments of a group (`GET /api/v1/groups/{id}/roles`). */
  async listGroupRoles(groupId: string, call: CallOptions = {}): Promise<OktaRole[]> {
    const path = `/api/v1/groups/${encodeURIComponent(checkId(groupId, 'groupId'))}/roles`;
    return this.paging.all(EP_GROUP_ROLES, path, [], reduceRole, call);
  }

  /** Enrolled factors of a user (`GET /api/v1/users/{id}/factors`). */
  async listUserFactors(userId: string, call: CallOptions = {}): Promise<OktaFactor[]> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}/factors`;
    return this.paging.all(EP_USER_FACTORS, path, [], reduceFactor, call);
  }

  /** Role assignments of a user, direct and through groups (`GET /api/v1/users/{id}/roles`). */
  async listUserRoles(userId: string, call: CallOptions = {}): Promise<OktaRole[]> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}/roles`;
    return this.paging.all(EP_USER_ROLES, path, [], reduceRole, call);
  }

  /** One user by id (`GET /api/v1/users/{id}`); a deleted user is `OktaNotFoundError`. */
  async getUser(userId: string, call: CallOptions = {}): Promise<OktaUser> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}`;
    const url = this.paging.url(path, []);
    const res = await this.requester.get(EP_USER, url, call, 'object');
    const user = reduceUser(res.body);
    if (user === null) throw malformedResponse(EP_USER, url, 'the body is not a user with an id');
    return user;
  }

  /** One page of `GET /api/v1/groups` (200 groups; the first page when `nextUrl` is null). */
  async listGroupsPage(nextUrl: string | null, call: CallOptions = {}): Promise<GroupsPage> {
    const url =
      nextUrl !== null
        ? this.paging.link(nextUrl, '/api/v1/groups', EP_GROUPS, 'nextUrl')
        : this.paging.url('/api/v1/groups', [['limit', String(PAGE_LIMIT)]]);
    const page = await this.paging.page(EP_GROUPS, url, call);
    return {
      groups: this.paging.reduce(EP_GROUPS, page.body, reduceGroup, url, call),
      nextUrl: page.nextUrl,
      serverDate: page.serverDateMs === null ? null : new Date(page.serverDateMs).toISOString(),
    };
  }

  /** Every group of the org (all pages of `GET /api/v1/groups`). */
  async listGroups(call: CallOptions = {}): Promise<OktaGroup[]> {
    return this.paging.all(
      EP_GROUPS,
      '/api/v1/groups',
      [['limit', String(PAGE_LIMIT)]],
      reduceGroup,
      call,
    );
  }

  /**
   * One page of the System Log (`GET /api/v1/logs`, 1000 events, oldest first). Without `nextUrl`
   * the first page is asked for with `since`, `until` and `filter`; with it, that URL is followed.
   * Okta may answer an empty page with a `next` link (it does so for polling): an empty page is
   * the end of what there is.
   */
  async listSystemLogPage(params: SystemLogPageParams, call: CallOptions = {}): Promise<LogPage> {
    let url: URL;
    if (params.nextUrl != null) {
      url = this.paging.link(params.nextUrl, '/api/v1/logs', EP_LOGS, 'nextUrl');
    } else {
      url = this.paging.url('/api/v1/logs', [
        ['since', checkString(params.since, 'since')],
        ['until', checkString(params.until, 'until')],
        ['filter', checkString(params.filter, 'filter')],
        ['limit', String(LARGE_PAGE_LIMIT)],
        ['sortOrder', 'ASCENDING'],
      ]);
    }
    const page = await this.paging.page(EP_LOGS, url, call);
    const events = this.paging.reduce(EP_LOGS, page.body, reduceLogEvent, url, call);
    return {
      events,
      nextUrl: (page.body as unknown[]).length === 0 ? null : page.nextUrl,
      serverDate: page.serverDateMs === null ? null : new Date(page.serverDateMs).toISOString(),
    };
  }

  /**
   * One page of a group's members (`GET /api/v1/groups/{id}/users`, 1000 users, Okta's maximum);
   * the first page when `nextUrl` is null. 404 (`OktaNotFoundError`) once the group is deleted.
   */
  async listGroupMembersPage(
    groupId: string,
    nextUrl: string | null,
    call: CallOptions = {},
  ): Promise<GroupMembersPage> {
    const path = `/api/v1/groups/${encodeURIComponent(checkId(groupId, 'groupId'))}/users`;
    const url =
      nextUrl !== null
        ? this.paging.link(nextUrl, path, EP_GROUP_MEMBERS, 'nextUrl')
        : this.paging.url(path, [['limit', String(LARGE_PAGE_LIMIT)]]);
    const page = await this.paging.page(EP_GROUP_MEMBERS, url, call);
    return {
      users: this.paging.reduce(EP_GROUP_MEMBERS, page.body, reduceUser, url, call),
      nextUrl: page.nextUrl,
    };
  }

  /** Every member of a group (all pages of `GET /api/v1/groups/{id}/users`). */
  async listGroupMembers(groupId: string, call: CallOptions = {}): Promise<OktaUser[]> {
    const out: OktaUser[] = [];
    let next: string | null = null;
    for (let pages = 0; pages === 0 || next !== null; pages++) {
      if (pages >= this.paging.maxPages) {
        throw new OktaUnexpectedResponseError({
          endpoint: EP_GROUP_MEMBERS,
          path: `/api/v1/groups/${groupId}/users`,
          detail: `more than ${this.paging.maxPages} pages; giving up (maxPages)`,
        });
      }
      const page: GroupMembersPage = await this.listGroupMembersPage(groupId, next, call);
      out.push(...page.users);
      next = page.nextUrl;
    }
    return out;
  }

  /**
   * One page of `GET /api/v1/iam/assignees/users`: ids of the users holding role assignments.
   * Paged through `_links.next` in the body, not the `Link` header.
   */
  async listRoleAssigneesPage(
    nextUrl: string | null,
    call: CallOptions = {},
  ): Promise<RoleAssigneesPage> {
    const path = '/api/v1/iam/assignees/users';
    const url =
      nextUrl !== null
        ? this.paging.link(nextUrl, path, EP_ROLE_ASSIGNEES, 'nextUrl')
        : this.paging.url(path, [['limit', String(ASSIGNEES_PAGE_LIMIT)]]);
    const res = await this.requester.get(EP_ROLE_ASSIGNEES, url, call, 'object');
    const body = res.body as Record<string, unknown>;
    if (!Array.isArray(body['value'])) {
      throw malformedResponse(EP_ROLE_ASSIGNEES, url, 'the body has no `value` array');
    }
    const userIds = this.paging.reduce(
      EP_ROLE_ASSIGNEES,
      body['value'],
      (v) => (isRecord(v) && typeof v['id'] === 'string' && v['id'] !== '' ? v['id'] : null),
      url,
      call,
    );
    const links = body['_links'];
    const next = isRecord(links) && isRecord(links['next']) ? links['next']['href'] : undefined;
    const resolved = typeof next === 'string' ? new URL(next, url).toString() : null;
    return {
      userIds,
      nextUrl:
        resolved === null
          ? null
          : this.paging.link(resolved, path, EP_ROLE_ASSIGNEES, 'the next link').toString(),
    };
  }

  /** Ids of every user holding a role assignment (all pages of `iam/assignees/users`). */
  async listRoleAssignees(call: CallOptions = {}): Promise<string[]> {
    const out: string[] = [];
    const seen = new Set<string>();
    let next: string | null = null;
    for (let pages = 0; pages === 0 || next !== null; pages++) {
      if (pages >= this.paging.maxPages || (next !== null && seen.has(next))) {
        throw new OktaUnexpectedResponseError({
          endpoint: EP_ROLE_ASSIGNEES,
          path: '/api/v1/iam/assignees/users',
          detail: `paging does not end (${pages} pages); giving up`,
        });
      }
      if (next !== null) seen.add(next);
      const page: RoleAssigneesPage = await this.listRoleAssigneesPage(next, call);
      out.push(...page.userIds);
      next = page.nextUrl;
    }
    return out;
  }
}

function checkId(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new TypeError(
      `${name} must be a non-empty Okta id string; got ${typeof v === 'string' ? 'an empty string' : typeof v}`,
    );
  }
  return v;
}

function checkString(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new TypeError(`${name} must be a non-empty string when given`);
  }
  return v;
}
