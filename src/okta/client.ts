/**
 * The Okta Management API client of the connector: the read endpoints it needs, each response
 * reduced to the shapes of `types.ts`.
 *
 * - Authenticates with `Authorization: SSWS <token>` or an OAuth access token (`auth/`), and sends
 *   it to the org origin only: paging links to any other origin are refused, redirects are never
 *   followed.
 * - Pages by following the `Link` header's `rel="next"` URL (never building cursors).
 * - Throttles through a shared `RateLimiter` (one per process), and retries within a call:
 *   transient failures with exponential backoff and jitter, rate limits by waiting for Okta's reset
 *   up to a wait budget. What is still failing afterwards is thrown as a typed error from
 *   `errors.ts`, for the calling activity to hand to Temporal (with `retryDelayMs` for rate limits).
 *
 * No Temporal imports: cancellation arrives as an AbortSignal, heartbeats leave through `onWait`.
 */

import axios, { type AxiosInstance } from 'axios';

import { ApiTokenAuthorizer, type RequestAuthorizer } from './auth/authorizer';
import { authChallenge } from './auth/www-authenticate';
import { bucketFor, type BucketId } from './buckets';
import { sleep, systemClock, type Clock } from './clock';
import {
  OktaAbortedError,
  OktaAuthError,
  OktaBadRequestError,
  OktaNotFoundError,
  OktaRateLimitedError,
  OktaTransientError,
  OktaUnexpectedResponseError,
  OktaUnsafeLinkError,
  type OktaErrorContext,
} from './errors';
import { limiterKeyFor } from './limiter-keys';
import { nextLink } from './link-header';
import { notify, type OktaObserver } from './observer';
import { validateOrgUrl } from './org-url';
import {
  headerValues,
  readRateLimitHeaders,
  type HeaderBag,
  type RateLimitObservation,
} from './headers';
import {
  AcquireAborted,
  RateLimiter,
  RateLimitWaitExceeded,
  type OnWait,
  type WaitReason,
} from './rate-limiter';
import { isRecord, reduceFactor, reduceGroup, reduceRole, reduceUser } from './records';
import { reduceLogEvent, type LogEvent } from './system-log';
import type { OktaFactor, OktaGroup, OktaRole, OktaUser } from './types';

/** How one call retries before it gives up and throws. */
export interface RetryPolicy {
  /** Attempts per request against transient failures, the first included. Default 4. */
  maxAttempts: number;
  /** First backoff delay after a transient failure. Default 500 ms. */
  baseDelayMs: number;
  /** Upper bound of one backoff delay. Default 10 000 ms. */
  maxDelayMs: number;
  /**
   * Total time one request may wait for rate limits (window resets, 429s, concurrency backoff)
   * before `OktaRateLimitedError` is thrown. Default 90 000 ms: one whole Okta window and change.
   */
  rateLimitWaitBudgetMs: number;
  /** 429s (window) retried per request within the budget. Default 5. */
  maxRateLimitRetries: number;
  /** Concurrency 429s retried per request. Default 8. */
  maxConcurrencyRetries: number;
  /** First backoff after a concurrency 429 (doubles, with jitter, up to 4 s). Default 250 ms. */
  concurrencyBaseDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  rateLimitWaitBudgetMs: 90_000,
  maxRateLimitRetries: 5,
  maxConcurrencyRetries: 8,
  concurrencyBaseDelayMs: 250,
};

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

export interface CallOptions {
  /** Aborts waits and the request in flight; the call then throws `OktaAbortedError`. */
  signal?: AbortSignal;
  /** Called when the call starts waiting (and every few seconds while it waits): heartbeat here. */
  onWait?: OnWait;
  /** Counters of this call alone, incremented alongside the client's (see `OktaCallCounters`). */
  counters?: OktaCallCounters;
}

/** Per-call counters, for an activity that shares one client with others but reports its own. */
export interface OktaCallCounters {
  requests: number;
  rateLimited: number;
  transientErrors: number;
  droppedRecords: number;
}

export function newCallCounters(): OktaCallCounters {
  return { requests: 0, rateLimited: 0, transientErrors: 0, droppedRecords: 0 };
}

export interface BucketCounters {
  requests: number;
  rateLimited: number;
}

export interface OktaClientMetrics {
  /** HTTP requests sent (each attempt and each page counts). */
  requests: number;
  /** 429 responses, window and concurrency alike. */
  rateLimited: number;
  /** Of `rateLimited`, those for Okta's concurrency limit. */
  concurrencyLimited: number;
  /** 5xx responses, timeouts, connection failures and malformed bodies. */
  transientErrors: number;
  /** Records dropped for having no `id` or not being objects. */
  droppedRecords: number;
  byBucket: Partial<Record<BucketId, BucketCounters>>;
  /** `droppedRecords` by endpoint template. */
  droppedByEndpoint: Record<string, number>;
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

const EP_USERS = 'GET /api/v1/users';
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
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Hard bound on the retry loop of one request, whatever the policy says. */
const MAX_LOOP = 100;

interface Page {
  body: unknown;
  nextUrl: string | null;
  serverDateMs: number | null;
}

type SendOutcome =
  | { kind: 'response'; status: number; headers: HeaderBag; text: string; receivedAtMs: number }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string | null }
  | { kind: 'aborted'; reason: unknown };

const TIMEOUT = Symbol('okta-request-timeout');

export class OktaClient {
  readonly orgUrl: URL;
  readonly limiter: RateLimiter;
  readonly retryPolicy: Readonly<RetryPolicy>;
  readonly timeoutMs: number;
  // An ES private field: kept out of JSON.stringify, util.inspect and error objects.
  readonly #auth: RequestAuthorizer;
  private readonly http: AxiosInstance;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxPages: number;
  private readonly userAgent: string;
  private readonly observer: OktaObserver | undefined;
  private readonly counters: OktaClientMetrics = {
    requests: 0,
    rateLimited: 0,
    concurrencyLimited: 0,
    transientErrors: 0,
    droppedRecords: 0,
    byBucket: {},
    droppedByEndpoint: {},
  };

  constructor(options: OktaClientOptions) {
    this.orgUrl = validateOrgUrl(String(options.orgUrl));
    if ((options.token === undefined) === (options.authorizer === undefined)) {
      throw new Error('OktaClient needs exactly one of the options token and authorizer');
    }
    this.#auth = options.authorizer ?? new ApiTokenAuthorizer(options.token as string);
    this.limiter = options.limiter ?? new RateLimiter();
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new Error(`OktaClient option timeoutMs must be a positive number; got ${timeoutMs}`);
    }
    this.timeoutMs = timeoutMs;
    const policy = { ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) };
    if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
      throw new Error(`OktaClient option retry.maxAttempts must be an integer >= 1`);
    }
    for (const k of [
      'baseDelayMs',
      'maxDelayMs',
      'rateLimitWaitBudgetMs',
      'maxRateLimitRetries',
      'maxConcurrencyRetries',
      'concurrencyBaseDelayMs',
    ] as const) {
      if (!Number.isFinite(policy[k]) || policy[k] < 0) {
        throw new Error(`OktaClient option retry.${k} must be a number >= 0`);
      }
    }
    this.retryPolicy = Object.freeze(policy);
    this.maxPages = options.maxPages ?? 10_000;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.userAgent = options.userAgent ?? 'okta-ocsf';
    this.observer = options.observer;
    this.http = axios.create({
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'text',
      // Keep the raw text: a body that is not JSON must become a typed error, not a string.
      transformResponse: [(data: unknown) => data],
      maxContentLength: MAX_BODY_BYTES,
    });
  }

  /** A snapshot of the client's counters since it was created. */
  metrics(): OktaClientMetrics {
    const byBucket: Partial<Record<BucketId, BucketCounters>> = {};
    for (const [k, v] of Object.entries(this.counters.byBucket) as [BucketId, BucketCounters][]) {
      byBucket[k] = { ...v };
    }
    return {
      ...this.counters,
      byBucket,
      droppedByEndpoint: { ...this.counters.droppedByEndpoint },
    };
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
      url = this.checkLink(params.nextUrl, '/api/v1/users', EP_USERS, 'nextUrl');
    } else {
      const query: [string, string][] = [['limit', String(PAGE_LIMIT)]];
      if (params.filter != null) query.push(['filter', checkString(params.filter, 'filter')]);
      if (params.search != null) query.push(['search', checkString(params.search, 'search')]);
      url = this.buildUrl('/api/v1/users', query);
    }
    const page = await this.getPage(EP_USERS, url, call);
    const users = this.reduceList(EP_USERS, page.body, reduceUser, url, call);
    return {
      users,
      nextUrl: page.nextUrl,
      serverDate: page.serverDateMs === null ? null : new Date(page.serverDateMs).toISOString(),
    };
  }

  /** Every group of the user, following every page of `GET /api/v1/users/{id}/groups`. */
  async listUserGroups(userId: string, call: CallOptions = {}): Promise<OktaGroup[]> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}/groups`;
    return this.listAll(EP_USER_GROUPS, path, [['limit', String(PAGE_LIMIT)]], reduceGroup, call);
  }

  /** Role assignments of a group (`GET /api/v1/groups/{id}/roles`). */
  async listGroupRoles(groupId: string, call: CallOptions = {}): Promise<OktaRole[]> {
    const path = `/api/v1/groups/${encodeURIComponent(checkId(groupId, 'groupId'))}/roles`;
    return this.listAll(EP_GROUP_ROLES, path, [], reduceRole, call);
  }

  /** Enrolled factors of a user (`GET /api/v1/users/{id}/factors`). */
  async listUserFactors(userId: string, call: CallOptions = {}): Promise<OktaFactor[]> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}/factors`;
    return this.listAll(EP_USER_FACTORS, path, [], reduceFactor, call);
  }

  /** Role assignments of a user, direct and through groups (`GET /api/v1/users/{id}/roles`). */
  async listUserRoles(userId: string, call: CallOptions = {}): Promise<OktaRole[]> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}/roles`;
    return this.listAll(EP_USER_ROLES, path, [], reduceRole, call);
  }

  /** One user by id (`GET /api/v1/users/{id}`); a deleted user is `OktaNotFoundError`. */
  async getUser(userId: string, call: CallOptions = {}): Promise<OktaUser> {
    const path = `/api/v1/users/${encodeURIComponent(checkId(userId, 'userId'))}`;
    const url = this.buildUrl(path, []);
    const res = await this.request(EP_USER, url, call, 'object');
    const user = reduceUser(res.body);
    if (user === null) throw this.malformed(EP_USER, url, 'the body is not a user with an id');
    return user;
  }

  /** One page of `GET /api/v1/groups` (200 groups; the first page when `nextUrl` is null). */
  async listGroupsPage(nextUrl: string | null, call: CallOptions = {}): Promise<GroupsPage> {
    const url =
      nextUrl !== null
        ? this.checkLink(nextUrl, '/api/v1/groups', EP_GROUPS, 'nextUrl')
        : this.buildUrl('/api/v1/groups', [['limit', String(PAGE_LIMIT)]]);
    const page = await this.getPage(EP_GROUPS, url, call);
    return {
      groups: this.reduceList(EP_GROUPS, page.body, reduceGroup, url, call),
      nextUrl: page.nextUrl,
      serverDate: page.serverDateMs === null ? null : new Date(page.serverDateMs).toISOString(),
    };
  }

  /** Every group of the org (all pages of `GET /api/v1/groups`). */
  async listGroups(call: CallOptions = {}): Promise<OktaGroup[]> {
    return this.listAll(
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
      url = this.checkLink(params.nextUrl, '/api/v1/logs', EP_LOGS, 'nextUrl');
    } else {
      url = this.buildUrl('/api/v1/logs', [
        ['since', checkString(params.since, 'since')],
        ['until', checkString(params.until, 'until')],
        ['filter', checkString(params.filter, 'filter')],
        ['limit', String(LARGE_PAGE_LIMIT)],
        ['sortOrder', 'ASCENDING'],
      ]);
    }
    const page = await this.getPage(EP_LOGS, url, call);
    const events = this.reduceList(EP_LOGS, page.body, reduceLogEvent, url, call);
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
        ? this.checkLink(nextUrl, path, EP_GROUP_MEMBERS, 'nextUrl')
        : this.buildUrl(path, [['limit', String(LARGE_PAGE_LIMIT)]]);
    const page = await this.getPage(EP_GROUP_MEMBERS, url, call);
    return {
      users: this.reduceList(EP_GROUP_MEMBERS, page.body, reduceUser, url, call),
      nextUrl: page.nextUrl,
    };
  }

  /** Every member of a group (all pages of `GET /api/v1/groups/{id}/users`). */
  async listGroupMembers(groupId: string, call: CallOptions = {}): Promise<OktaUser[]> {
    const out: OktaUser[] = [];
    let next: string | null = null;
    for (let pages = 0; pages === 0 || next !== null; pages++) {
      if (pages >= this.maxPages) {
        throw new OktaUnexpectedResponseError({
          endpoint: EP_GROUP_MEMBERS,
          path: `/api/v1/groups/${groupId}/users`,
          detail: `more than ${this.maxPages} pages; giving up (maxPages)`,
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
        ? this.checkLink(nextUrl, path, EP_ROLE_ASSIGNEES, 'nextUrl')
        : this.buildUrl(path, [['limit', String(ASSIGNEES_PAGE_LIMIT)]]);
    const res = await this.request(EP_ROLE_ASSIGNEES, url, call, 'object');
    const body = res.body as Record<string, unknown>;
    if (!Array.isArray(body['value'])) {
      throw this.malformed(EP_ROLE_ASSIGNEES, url, 'the body has no `value` array');
    }
    const userIds = this.reduceList(
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
          : this.checkLink(resolved, path, EP_ROLE_ASSIGNEES, 'the next link').toString(),
    };
  }

  /** Ids of every user holding a role assignment (all pages of `iam/assignees/users`). */
  async listRoleAssignees(call: CallOptions = {}): Promise<string[]> {
    const out: string[] = [];
    const seen = new Set<string>();
    let next: string | null = null;
    for (let pages = 0; pages === 0 || next !== null; pages++) {
      if (pages >= this.maxPages || (next !== null && seen.has(next))) {
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

  /**
   * Fetches a listing to its end. The roles and factors endpoints are documented as unpaginated;
   * a `next` link is followed anyway, since stopping early would silently lose records.
   */
  private async listAll<T>(
    endpoint: string,
    path: string,
    query: [string, string][],
    reduce: (v: unknown) => T | null,
    call: CallOptions,
  ): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let url: URL | null = this.buildUrl(path, query);
    for (let pages = 0; url !== null; pages++) {
      if (pages >= this.maxPages) {
        throw new OktaUnexpectedResponseError({
          endpoint,
          path,
          detail: `more than ${this.maxPages} pages; giving up (maxPages)`,
        });
      }
      seen.add(url.toString());
      const page = await this.getPage(endpoint, url, call);
      for (const item of this.reduceList(endpoint, page.body, reduce, url, call)) out.push(item);
      if (page.nextUrl !== null && seen.has(page.nextUrl)) {
        throw new OktaUnexpectedResponseError({
          endpoint,
          path,
          detail: 'the next link points to a page already read (a paging loop)',
        });
      }
      url = page.nextUrl === null ? null : new URL(page.nextUrl);
    }
    return out;
  }

  private reduceList<T>(
    endpoint: string,
    body: unknown,
    reduce: (v: unknown) => T | null,
    url: URL,
    call: CallOptions,
  ): T[] {
    if (!Array.isArray(body)) {
      // getPage already checked this; kept so a reducer can never see a non-array.
      throw this.malformed(endpoint, url, 'the body is not a JSON array');
    }
    const out: T[] = [];
    let dropped = 0;
    for (const item of body) {
      const r = reduce(item);
      if (r === null) dropped++;
      else out.push(r);
    }
    if (dropped > 0) {
      this.counters.droppedRecords += dropped;
      this.counters.droppedByEndpoint[endpoint] =
        (this.counters.droppedByEndpoint[endpoint] ?? 0) + dropped;
      if (call.counters) call.counters.droppedRecords += dropped;
    }
    return out;
  }

  private buildUrl(path: string, query: [string, string][]): URL {
    const url = new URL(path, this.orgUrl);
    // encodeURIComponent (%20 for spaces) rather than URLSearchParams ('+'), as Okta documents.
    url.search = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return url;
  }

  /** Checks a paging link: same origin as the org (the token goes nowhere else), same path. */
  private checkLink(raw: string, expectedPath: string, endpoint: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OktaUnsafeLinkError({
        endpoint,
        path: expectedPath,
        detail: `${what} is not a URL`,
      });
    }
    if (url.origin !== this.orgUrl.origin) {
      throw new OktaUnsafeLinkError({
        endpoint,
        path: expectedPath,
        detail: `${what} is on ${url.origin}, not on the org ${this.orgUrl.origin}; the API token is only ever sent to the org`,
      });
    }
    if (url.pathname !== expectedPath) {
      throw new OktaUnsafeLinkError({
        endpoint,
        path: expectedPath,
        detail: `${what} points to ${url.pathname}, not to ${expectedPath}`,
      });
    }
    if (url.username !== '' || url.password !== '') {
      throw new OktaUnsafeLinkError({
        endpoint,
        path: expectedPath,
        detail: `${what} carries credentials`,
      });
    }
    url.hash = '';
    return url;
  }

  /** One page: the parsed JSON array body and the checked next link. */
  private async getPage(endpoint: string, url: URL, call: CallOptions): Promise<Page> {
    const res = await this.request(endpoint, url, call);
    let next: string | null;
    try {
      next = nextLink(headerValues(res.headers, 'link'), url);
    } catch (e) {
      throw this.malformed(endpoint, url, (e as Error).message);
    }
    const nextUrl =
      next === null
        ? null
        : this.checkLink(next, url.pathname, endpoint, 'the next link').toString();
    return { body: res.body, nextUrl, serverDateMs: res.observation.serverDateMs };
  }

  /**
   * One GET with throttling and the in-call retry policy. Resolves with a 2xx JSON body of the
   * expected shape (an array for listings);
   * everything else ends as a typed error.
   */
  private async request(
    endpoint: string,
    url: URL,
    call: CallOptions,
    shape: 'array' | 'object' = 'array',
  ): Promise<{ body: unknown; headers: HeaderBag; observation: RateLimitObservation }> {
    const bucket = bucketFor('GET', url.pathname);
    const limiterKey = limiterKeyFor('GET', url.pathname);
    const policy = this.retryPolicy;
    const waitDeadline = this.clock.now() + policy.rateLimitWaitBudgetMs;
    const ctx = { endpoint, path: url.pathname };
    let transientFailures = 0;
    let rateLimitedRetries = 0;
    let concurrencyRetries = 0;
    let authRetried = false;

    for (let loop = 0; loop < MAX_LOOP; loop++) {
      const askedAt = this.clock.now();
      const waited: { reason: WaitReason | null } = { reason: null };
      const onWait: OnWait | undefined = this.observer
        ? (ms, reason) => {
            waited.reason = reason;
            call.onWait?.(ms, reason);
          }
        : call.onWait;
      const permit = await this.limiter
        .acquire(limiterKey, {
          signal: call.signal,
          onWait,
          waitUntilMs: waitDeadline,
          // Every other call of a sync waits on the users list: it goes first.
          priority: endpoint === EP_USERS,
        })
        .catch((e: unknown) => {
          if (e instanceof RateLimitWaitExceeded) {
            throw new OktaRateLimitedError({
              ...ctx,
              resetAtMs: e.untilMs,
              concurrency: false,
              bucket,
              proactive: true,
              detail: `not waiting beyond the ${policy.rateLimitWaitBudgetMs} ms rate-limit wait budget`,
            });
          }
          if (e instanceof AcquireAborted) throw new OktaAbortedError({ ...ctx, reason: e.reason });
          throw e;
        });

      const reason = waited.reason;
      const permittedAt = this.clock.now();
      if (reason !== null)
        notify(this.observer, (o) => o.waited(bucket, reason, permittedAt - askedAt));

      let authHeaders: Record<string, string>;
      try {
        authHeaders = await this.#auth.authorize('GET', url, { signal: call.signal });
      } catch (e) {
        permit.release(null);
        throw e;
      }
      this.count(bucket, 'requests', call);
      // Latency of Okta's answer alone: a token renewal above is not the endpoint's.
      const sentAt = this.clock.now();
      const outcome = await this.send(url, call.signal, authHeaders);
      const exchange = { endpoint, bucket, durationMs: this.clock.now() - sentAt };
      if (outcome.kind !== 'response') {
        permit.release(null);
        notify(this.observer, (o) =>
          o.exchanged({ ...exchange, status: null, failure: outcome.kind, observation: null }),
        );
        if (outcome.kind === 'aborted')
          throw new OktaAbortedError({ ...ctx, reason: outcome.reason });
        const err =
          outcome.kind === 'timeout'
            ? new OktaTransientError({
                ...ctx,
                reason: 'timeout',
                code: 'ETIMEDOUT',
                detail: `no complete response within ${this.timeoutMs} ms`,
              })
            : new OktaTransientError({
                ...ctx,
                reason: 'network',
                code: outcome.code,
                detail: `network error ${outcome.code ?? '(no code)'}`,
              });
        transientFailures = await this.afterTransient(err, transientFailures, call);
        continue;
      }

      const obs = readRateLimitHeaders(outcome.headers, outcome.status, outcome.receivedAtMs);
      permit.release(obs);
      notify(this.observer, (o) =>
        o.exchanged({ ...exchange, status: outcome.status, failure: null, observation: obs }),
      );
      const status = outcome.status;

      if (status >= 200 && status < 300) {
        let body: unknown;
        try {
          body = JSON.parse(outcome.text);
        } catch {
          body = undefined;
        }
        if (shape === 'array' ? !Array.isArray(body) : !isRecord(body)) {
          const what =
            body === undefined
              ? 'the body is not valid JSON'
              : `the body is not a JSON ${shape === 'array' ? 'array' : 'object'}`;
          const err = this.malformed(endpoint, url, what, status);
          transientFailures = await this.afterTransient(err, transientFailures, call);
          continue;
        }
        return { body, headers: outcome.headers, observation: obs };
      }

      const okta = { ...ctx, status, ...oktaErrorBody(outcome.text) };
      if (status === 429) {
        this.count(bucket, 'rateLimited', call);
        if (obs.concurrency) this.counters.concurrencyLimited++;
        const now = this.clock.now();
        if (obs.concurrency) {
          // Okta's Reset is only an estimate here; the org's in-flight count drops within moments.
          concurrencyRetries++;
          const delay = this.backoff(policy.concurrencyBaseDelayMs, concurrencyRetries, 4000);
          const err = new OktaRateLimitedError({
            ...okta,
            resetAtMs: now + delay,
            concurrency: true,
            bucket,
          });
          if (concurrencyRetries > policy.maxConcurrencyRetries || now + delay > waitDeadline)
            throw err;
          await this.pause(delay, 'concurrency', call, ctx);
          continue;
        }
        rateLimitedRetries++;
        // Okta sends Reset on every 429; without one, a whole default window is the safe guess.
        const resetAtMs = Math.max(obs.resetAtMs ?? now + 60_000, now);
        const err = new OktaRateLimitedError({ ...okta, resetAtMs, concurrency: false, bucket });
        if (rateLimitedRetries > policy.maxRateLimitRetries || resetAtMs > waitDeadline) throw err;
        await this.pause(resetAtMs - now, 'rate_limited', call, ctx);
        continue;
      }
      if (status >= 500) {
        const err = new OktaTransientError({ ...okta, reason: 'server_error' });
        transientFailures = await this.afterTransient(err, transientFailures, call);
        continue;
      }
      if ((status === 401 || status === 400) && !authRetried) {
        // A renewed token after "expired", or the DPoP nonce Okta asked for: one more try.
        const refused = { status, headers: outcome.headers };
        const sentAuthorization = authHeaders.Authorization ?? '';
        if (await this.#auth.onRefused({ ...refused, sentAuthorization })) {
          authRetried = true;
          continue;
        }
      }
      if (status === 401 || status === 403) {
        throw new OktaAuthError({
          ...okta,
          challenge: authChallenge(outcome.headers),
          credential: this.#auth.credential,
        });
      }
      if (status === 404) throw new OktaNotFoundError(okta);
      if (status === 400) {
        throw new OktaBadRequestError({ ...okta, causes: oktaErrorCauses(outcome.text) });
      }
      throw new OktaUnexpectedResponseError({
        ...okta,
        detail:
          status >= 300 && status < 400
            ? `unexpected redirect (HTTP ${status}); redirects are not followed, so the token never leaves the org. Is OKTA_ORG_URL the org's own URL?`
            : `unexpected HTTP ${status}`,
      });
    }
    throw new OktaUnexpectedResponseError({ ...ctx, detail: `gave up after ${MAX_LOOP} attempts` });
  }

  /** Counts a transient failure, throws it when attempts are exhausted, else backs off. */
  private async afterTransient(
    err: OktaTransientError,
    failuresSoFar: number,
    call: CallOptions,
  ): Promise<number> {
    this.counters.transientErrors++;
    if (call.counters) call.counters.transientErrors++;
    const failures = failuresSoFar + 1;
    if (failures >= this.retryPolicy.maxAttempts) throw err;
    const delay = this.backoff(this.retryPolicy.baseDelayMs, failures, this.retryPolicy.maxDelayMs);
    await this.pause(delay, 'backoff', call, { endpoint: err.endpoint, path: err.path });
    return failures;
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
  private backoff(base: number, attempt: number, max: number): number {
    const d = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
    return Math.round(d / 2 + this.random() * (d / 2));
  }

  private async pause(
    ms: number,
    reason: 'backoff' | 'rate_limited' | 'concurrency',
    call: CallOptions,
    ctx: OktaErrorContext,
  ): Promise<void> {
    if (call.onWait) {
      try {
        call.onWait(ms, reason);
      } catch {
        // An observer's failure must not turn into a request failure.
      }
    }
    const startedAt = this.clock.now();
    // Long waits keep reporting, so a heartbeating activity stays alive through them.
    let left = ms;
    while (left > 0) {
      const step = Math.min(left, 5000);
      await sleep(
        this.clock,
        step,
        call.signal,
        () => new OktaAbortedError({ ...ctx, reason: call.signal?.reason }),
      );
      left -= step;
      if (left > 0 && call.onWait) {
        try {
          call.onWait(left, reason);
        } catch {
          // as above
        }
      }
    }
    if (call.signal?.aborted) throw new OktaAbortedError({ ...ctx, reason: call.signal.reason });
    const bucket = bucketFor('GET', ctx.path);
    notify(this.observer, (o) => o.waited(bucket, reason, this.clock.now() - startedAt));
  }

  private count(bucket: BucketId, what: 'requests' | 'rateLimited', call: CallOptions): void {
    this.counters[what]++;
    const b = (this.counters.byBucket[bucket] ??= { requests: 0, rateLimited: 0 });
    b[what]++;
    if (call.counters) call.counters[what]++;
  }

  private malformed(
    endpoint: string,
    url: URL,
    detail: string,
    status?: number,
  ): OktaTransientError {
    return new OktaTransientError({
      endpoint,
      path: url.pathname,
      status: status ?? null,
      reason: 'malformed_response',
      detail: `malformed response, ${detail}`,
    });
  }

  /** The HTTP exchange itself; never throws, never lets an axios error (which holds the token) out. */
  private async send(
    url: URL,
    signal: AbortSignal | undefined,
    authHeaders: Record<string, string>,
  ): Promise<SendOutcome> {
    if (signal?.aborted) return { kind: 'aborted', reason: signal.reason };
    const controller = new AbortController();
    const cancelTimer = this.clock.setTimer(() => controller.abort(TIMEOUT), this.timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.http.request<unknown>({
        method: 'GET',
        url: url.toString(),
        headers: {
          ...authHeaders,
          Accept: 'application/json',
          'User-Agent': this.userAgent,
        },
        signal: controller.signal,
      });
      const headers: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(res.headers as Record<string, unknown>)) {
        headers[k.toLowerCase()] = v;
      }
      return {
        kind: 'response',
        status: res.status,
        headers,
        text: typeof res.data === 'string' ? res.data : '',
        receivedAtMs: this.clock.now(),
      };
    } catch (e: unknown) {
      if (controller.signal.aborted) {
        return controller.signal.reason === TIMEOUT
          ? { kind: 'timeout' }
          : { kind: 'aborted', reason: signal?.reason };
      }
      const code = isRecord(e) && typeof e['code'] === 'string' ? e['code'] : null;
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return { kind: 'timeout' };
      return { kind: 'network', code };
    } finally {
      cancelTimer();
      signal?.removeEventListener('abort', onAbort);
    }
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

/** Okta's error body fields, tolerating any body (HTML from a proxy, nothing at all). */
function oktaErrorBody(
  text: string,
): Pick<OktaErrorContext, 'errorCode' | 'errorSummary' | 'errorId'> {
  const body = safeJson(text);
  if (!isRecord(body)) return {};
  const str = (k: string): string | null =>
    typeof body[k] === 'string' ? (body[k] as string) : null;
  return {
    errorCode: str('errorCode'),
    errorSummary: str('errorSummary'),
    errorId: str('errorId'),
  };
}

function oktaErrorCauses(text: string): string[] {
  const body = safeJson(text);
  if (!isRecord(body) || !Array.isArray(body['errorCauses'])) return [];
  return body['errorCauses']
    .map((c: unknown) =>
      isRecord(c) && typeof c['errorSummary'] === 'string' ? c['errorSummary'] : null,
    )
    .filter((c): c is string => c !== null);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
