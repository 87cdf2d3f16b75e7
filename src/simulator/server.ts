/**
 * The simulator's HTTP server (node:http only): Okta's Management API endpoints the connector
 * calls, with Okta's paging, errors, rate-limit headers and 429s, plus admin endpoints under
 * `/__sim/` for the processes (worker, demo, benchmark) that drive a simulator they did not start.
 *
 * Order of checks for an API request, each answering as Okta would: concurrency limit (429,
 * `X-Rate-Limit-Limit: 0`) → the bucket's window (429 E0000047) → credentials: an SSWS token, or
 * an OAuth access token with the endpoint's scope (401 E0000011, 403 insufficient_scope; see
 * oauth/) → injected fault → latency → the endpoint. Rate-limit headers and `Date` (by the simulator clock)
 * are on every API response.
 */

import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { bucketFor, type BucketId } from '../okta/buckets';
import { ApiError, groupNotFound } from './api-error';
import { countingWindow } from './bucket-grouping';
import { BulkEndpoints } from './bulk-endpoints';
import { CursorCodec } from './cursor';
import { type FaultOptions, FaultInjector, validateFaults } from './faults';
import { FilterError, type FilterNode, parseFilter } from './filter';
import {
  SimAuthorizationServer,
  type OAuthClientRegistration,
  type OAuthStats,
} from './oauth/authorization-server';
import type { OktaErrorJson } from './okta-json';
import {
  LIMITS,
  resolveOptions,
  type ResolvedOptions,
  type SimulatorOptions,
  validateRateLimits,
  validateToken,
} from './options';
import { Rng, saltOf } from './prng';
import { ConcurrencyGate, RateWindows } from './rate-windows';
import { endpointTemplate, type SimulatorStats, StatsCollector } from './stats';
import { LogRequestError } from './system-log';
import { type MutationRequest, SimulatedTenant, type TenantChange } from './tenant';

/** Okta's page size for users and a user's groups: default and maximum. */
export const PAGE_LIMIT = 200;

const ADMIN_BODY_LIMIT = 1 << 20;

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
}

/** What `GET /__sim/info` returns. */
export interface SimulatorInfo {
  url: string;
  seed: number;
  users: number;
  groups: number;
  orgDomain: string;
  statusCounts: Record<string, number>;
  heavyUserId: string | undefined;
  heavyUserGroups: number;
  generatedBefore: string;
  rateLimits: Record<BucketId, number>;
  rateLimitWindowMs: number;
  concurrencyLimit: number;
  latencyMs: number;
  faults: FaultOptions;
  bucketGrouping: string;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class OktaSimulator {
  /** Base URL of the org, e.g. http://127.0.0.1:41234 (what a client uses as its Okta domain). */
  readonly url: string;
  readonly tenant: SimulatedTenant;
  /** OAuth service apps: the token endpoint and the checks of Bearer/DPoP tokens. */
  readonly oauth: SimAuthorizationServer;
  /** The bulk read endpoints of full syncs (groups, members, role assignees). */
  readonly bulk: BulkEndpoints;

  private readonly opts: ResolvedOptions;
  private token: string;
  private readonly windows: RateWindows;
  private readonly gate: ConcurrencyGate;
  private readonly faults: FaultInjector;
  private readonly counters = new StatsCollector();
  private readonly cursors: CursorCodec;
  private readonly idRng: Rng;
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** When set, `GET /api/v1/logs` answers 403 with this reason (a token without okta.logs.read). */
  private systemLogDenied: string | null = null;

  private constructor(
    private readonly server: http.Server,
    url: string,
    tenant: SimulatedTenant,
    opts: ResolvedOptions,
  ) {
    this.url = url;
    this.tenant = tenant;
    this.opts = opts;
    this.token = opts.token;
    this.oauth = new SimAuthorizationServer(opts.clock, opts.oauth);
    this.windows = new RateWindows(opts.rateLimits, opts.rateLimitWindowMs, opts.clock);
    this.gate = new ConcurrencyGate(opts.concurrencyLimit);
    this.faults = new FaultInjector(opts.seed, opts.faults);
    this.cursors = new CursorCodec(opts.seed);
    this.idRng = new Rng(opts.seed, saltOf('request-ids'));
    this.bulk = new BulkEndpoints(tenant, this.cursors, `00o${this.idRng.alnum(17)}`);
    server.on('request', (req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent)
          this.sendJson(res, 500, this.errorBody('E0000009', 'Internal Server Error'));
        else res.destroy();
      });
    });
  }

  /** Generates the tenant and listens; resolves once requests are accepted. */
  static async start(options: SimulatorOptions = {}): Promise<OktaSimulator> {
    const opts = resolveOptions(options);
    const tenant = new SimulatedTenant({
      users: opts.users,
      groups: opts.groups,
      seed: opts.seed,
      heavyUserGroups: opts.heavyUserGroups,
      clock: opts.clock,
    });
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new Error(
            `Okta simulator cannot listen on ${opts.host}:${opts.port}: ${err.code ?? err.message}`,
          ),
        );
      };
      server.once('error', onError);
      server.listen(opts.port, opts.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${urlHost(opts.host)}:${port}`;
    tenant.baseUrl = url;
    return new OktaSimulator(server, url, tenant, opts);
  }

  stats(): SimulatorStats {
    return this.counters.snapshot({
      maxInFlight: this.gate.maxInFlight,
      peakWindowUse: this.windows.peakUse(),
    });
  }

  resetStats(): void {
    this.counters.reset();
    this.oauth.resetStats();
    this.windows.resetPeaks();
    this.gate.resetMax();
  }

  /** Replaces the fault configuration; `{}` turns faults off. */
  setFaults(f: FaultOptions): void {
    this.faults.set(validateFaults(f));
  }

  /** Changes the given buckets' budgets; the others keep theirs. */
  setRateLimits(limits: Partial<Record<BucketId, number>>): void {
    this.windows.setLimits(validateRateLimits(limits));
  }

  /** 0 removes the limit. */
  setConcurrencyLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 0 || limit > LIMITS.concurrency) {
      throw new RangeError(`concurrencyLimit must be an integer from 0 to ${LIMITS.concurrency}`);
    }
    this.gate.setLimit(limit);
  }

  /**
   * Refuses the System Log from now on, as Okta does for a token whose admin or scopes lack
   * `okta.logs.read` (403 E0000006); null allows it again.
   */
  setSystemLogDenied(reason: string | null): void {
    this.systemLogDenied = reason;
  }

  /** From now on only this token is accepted (the old one gets 401, as after a revocation). */
  setToken(token: string): void {
    this.token = validateToken(token);
  }

  info(): SimulatorInfo {
    return {
      url: this.url,
      seed: this.opts.seed,
      users: this.tenant.userCount,
      groups: this.tenant.groupCount,
      orgDomain: this.tenant.orgDomain,
      statusCounts: this.tenant.statusCounts(),
      heavyUserId: this.tenant.heavyUserId,
      heavyUserGroups: this.tenant.heavyUserGroups,
      generatedBefore: new Date(this.tenant.generatedBefore).toISOString(),
      rateLimits: this.windows.currentLimits(),
      rateLimitWindowMs: this.windows.windowMs,
      concurrencyLimit: this.gate.configuredLimit,
      latencyMs: this.opts.latencyMs,
      faults: this.faults.current(),
      bucketGrouping: this.opts.bucketGrouping,
    };
  }

  /** Stops listening, drops open connections and wakes delayed responses. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.closed = true;
      for (const s of this.sleeps) {
        clearTimeout(s.timer);
        s.wake();
      }
      this.sleeps.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  // ---- API requests ----------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    if (url.pathname === '/__sim' || url.pathname.startsWith('/__sim/')) {
      await this.handleAdmin(req, res, url);
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/oauth2/v1/token') {
      await this.handleToken(req, res, method);
      return;
    }
    req.resume();
    const bucket = bucketFor(method, url.pathname);
    const endpoint = endpointTemplate(method, url.pathname);
    const record = (status: string): void => this.counters.record(bucket, endpoint, status);

    if (!this.gate.tryEnter()) {
      this.counters.countConcurrencyRejected();
      // Okta gives no real reset for this 429; a second from now is the honest estimate.
      this.sendJson(
        res,
        429,
        this.errorBody('E0000047', 'API call exceeded rate limit due to too many requests.'),
        {
          'X-Rate-Limit-Limit': '0',
          'X-Rate-Limit-Remaining': '0',
          'X-Rate-Limit-Reset': String(Math.ceil(this.opts.clock() / 1000) + 1),
        },
      );
      record('429');
      return;
    }
    try {
      const counted = countingWindow(this.opts.bucketGrouping, method, url.pathname);
      const window = this.windows.take(counted.bucket, counted.key);
      const rateHeaders = {
        'X-Rate-Limit-Limit': String(window.limit),
        'X-Rate-Limit-Remaining': String(window.remaining),
        'X-Rate-Limit-Reset': String(window.resetEpochSeconds),
      };
      if (!window.allowed) {
        this.counters.countRateLimited();
        this.sendJson(
          res,
          429,
          this.errorBody('E0000047', 'API call exceeded rate limit due to too many requests.'),
          rateHeaders,
        );
        record('429');
        return;
      }
      await this.serveAdmitted(req, res, method, url, rateHeaders, record);
    } finally {
      this.gate.leave();
    }
  }

  /** A request within the rate and concurrency limits: credentials, faults, then the route. */
  private async serveAdmitted(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    url: URL,
    rateHeaders: Record<string, string>,
    record: (status: string) => void,
  ): Promise<void> {
    const refusal = await this.checkCredentials(req, method, url);
    if (refusal !== null) {
      const { status, headers, oktaError } = refusal;
      const body =
        oktaError === null
          ? Buffer.alloc(0)
          : Buffer.from(JSON.stringify(this.errorBody(oktaError.code, oktaError.summary)));
      this.send(res, status, body, { ...rateHeaders, ...headers });
      record(String(status));
      return;
    }
    const fault = this.faults.draw(url.pathname);
    if (fault.slowMs > 0) this.counters.countFault('slow');
    const delay = this.opts.latencyMs + fault.slowMs;
    if (delay > 0) await this.sleep(delay);
    if (this.closed) {
      res.destroy();
      return;
    }
    if (fault.kind === 'reset') {
      this.counters.countFault('reset');
      record('reset');
      req.socket.destroy();
      return;
    }
    if (fault.kind === '500' || fault.kind === '503') {
      this.counters.countFault(fault.kind);
      const body =
        fault.kind === '500'
          ? this.errorBody('E0000009', 'Internal Server Error')
          : this.errorBody('E0000010', 'Service is in read only mode');
      this.sendJson(res, Number(fault.kind), body, rateHeaders);
      record(fault.kind);
      return;
    }
    const reply = this.route(method, url, this.linkBase(req));
    let payload = Buffer.from(JSON.stringify(reply.body));
    if (fault.kind === 'malformed' && reply.status === 200) {
      this.counters.countFault('malformed');
      payload = payload.subarray(0, Math.max(1, Math.floor(payload.length / 2)));
    }
    this.send(res, reply.status, payload, { ...rateHeaders, ...reply.headers });
    record(String(reply.status));
  }

  /** SSWS API token, or an OAuth access token (Bearer or DPoP-bound) with the endpoint's scope. */
  private async checkCredentials(
    req: http.IncomingMessage,
    method: string,
    url: URL,
  ): Promise<{
    status: number;
    headers: Record<string, string>;
    oktaError: { code: string; summary: string } | null;
  } | null> {
    const header = req.headers.authorization;
    if (header !== undefined && /^(Bearer|DPoP) /.test(header)) {
      const proof = req.headers.dpop;
      const htu = `${this.linkBase(req)}${url.pathname}`;
      return this.oauth.checkResource(
        header,
        typeof proof === 'string' ? proof : undefined,
        method,
        htu,
        url.pathname,
      );
    }
    if (this.authorized(header)) return null;
    return {
      status: 401,
      headers: {},
      oktaError: { code: 'E0000011', summary: 'Invalid token provided' },
    };
  }

  /** `POST /oauth2/v1/token` (form-encoded), answered by the authorization server. */
  private async handleToken(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
  ): Promise<void> {
    if (method !== 'POST') {
      req.resume();
      this.sendJson(res, 405, { error: 'invalid_request', error_description: 'POST only' });
      return;
    }
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readText(req));
    } catch {
      this.sendJson(res, 413, { error: 'invalid_request', error_description: 'body too large' });
      return;
    }
    const proof = req.headers.dpop;
    const reply = await this.oauth.token(
      form,
      typeof proof === 'string' ? proof : undefined,
      `${this.linkBase(req)}/oauth2/v1/token`,
    );
    this.send(res, reply.status, Buffer.from(JSON.stringify(reply.body)), reply.headers);
  }

  /** Registers (or replaces) an OAuth service app. */
  registerOAuthClient(reg: OAuthClientRegistration): void {
    this.oauth.register(reg);
  }

  oauthStats(): OAuthStats {
    return this.oauth.stats();
  }

  private authorized(header: string | undefined): boolean {
    if (!header?.startsWith('SSWS ')) return false;
    const given = Buffer.from(header.slice(5).trim());
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private route(method: string, url: URL, base: string): Reply {
    try {
      const segments = url.pathname.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
      if (segments[0] !== 'api' || segments[1] !== 'v1') throw pathNotFound();
      const [resource, id, sub, ...rest] = segments.slice(2);
      const get = (fn: () => Reply): Reply => {
        if (method !== 'GET')
          throw new ApiError(
            405,
            'E0000022',
            'The endpoint does not support the provided HTTP method',
          );
        return fn();
      };
      if (rest.length > 0) throw pathNotFound();
      if (resource === 'users') {
        if (id === undefined) return get(() => this.listUsers(url, base));
        if (sub === undefined) return get(() => this.getUser(id, base));
        if (sub === 'groups') return get(() => this.listUserGroups(id, url, base));
        if (sub === 'factors') return get(() => this.listUserFactors(id, base));
        if (sub === 'roles') return get(() => this.listUserRoles(id, base));
      } else if (resource === 'groups' && id === undefined) {
        return get(() => this.bulk.listGroups(url, base));
      } else if (resource === 'groups' && id !== undefined) {
        if (sub === undefined) return get(() => this.getGroup(id, base));
        if (sub === 'roles') return get(() => this.listGroupRoles(id, base));
        if (sub === 'users') return get(() => this.bulk.listGroupMembers(id, url, base));
      } else if (resource === 'logs' && id === undefined) {
        return get(() => this.listLogs(url, base));
      } else if (resource === 'iam' && id === 'assignees' && sub === 'users') {
        return get(() => this.bulk.listRoleAssignees(url, base));
      }
      throw pathNotFound();
    } catch (err) {
      if (err instanceof ApiError)
        return { status: err.status, body: this.errorBody(err.errorCode, err.summary, err.causes) };
      if (err instanceof LogRequestError) {
        return { status: 400, body: this.errorBody(err.errorCode, err.summary, err.causes) };
      }
      if (err instanceof FilterError) {
        const summary = err.errorCode === 'E0000031' ? 'Invalid search criteria.' : err.message;
        return { status: 400, body: this.errorBody(err.errorCode, summary, [err.message]) };
      }
      if (err instanceof URIError)
        return {
          status: 404,
          body: this.errorBody('E0000008', 'The requested path was not found'),
        };
      throw err;
    }
  }

  private listUsers(url: URL, base: string): Reply {
    const q = url.searchParams;
    const limit = pageLimit(q.get('limit'));
    const after = this.cursors.afterParam('users', q.get('after'));
    const filterText = q.get('filter');
    const searchText = q.get('search');
    let filter: FilterNode | undefined;
    if (filterText !== null) filter = parseFilter(filterText, 'filter');
    if (searchText !== null) {
      const search = parseFilter(searchText, 'search');
      filter = filter ? { kind: 'and', left: filter, right: search } : search;
    }
    const page = this.tenant.pageUsers({
      after,
      limit,
      filter,
      // Okta omits DEPROVISIONED users unless the request filters or searches.
      includeDeprovisioned: filterText !== null || searchText !== null,
    });
    const body = page.indices.map((i) => this.tenant.userJson(i, base));
    const links = [`<${base}/api/v1/users${url.search}>; rel="self"`];
    if (page.more) {
      const next = new URLSearchParams();
      next.set('after', this.cursors.encode('users', page.indices[page.indices.length - 1]));
      next.set('limit', String(limit));
      if (filterText !== null) next.set('filter', filterText);
      if (searchText !== null) next.set('search', searchText);
      links.push(`<${base}/api/v1/users?${next.toString()}>; rel="next"`);
    }
    return { status: 200, body, headers: { link: links } };
  }

  private getUser(idOrLogin: string, base: string): Reply {
    const index = this.tenant.indexOfIdOrLogin(idOrLogin);
    if (index === undefined) throw userNotFound(idOrLogin);
    return { status: 200, body: this.tenant.userJson(index, base, true) };
  }

  private listUserGroups(userId: string, url: URL, base: string): Reply {
    const index = this.tenant.indexOf(userId);
    if (index === undefined) throw userNotFound(userId);
    const listing = `groups:${userId}`;
    const limit = pageLimit(url.searchParams.get('limit'));
    const after = this.cursors.afterParam(listing, url.searchParams.get('after'));
    // Positions are group indices, so a membership change between pages skips or repeats nothing.
    const remaining = this.tenant.recordAt(index).groups.filter((g) => g > after);
    const page = remaining.slice(0, limit);
    const links = [`<${base}/api/v1/users/${userId}/groups${url.search}>; rel="self"`];
    if (remaining.length > limit) {
      const next = new URLSearchParams();
      next.set('after', this.cursors.encode(listing, page[page.length - 1]));
      next.set('limit', String(limit));
      links.push(`<${base}/api/v1/users/${userId}/groups?${next.toString()}>; rel="next"`);
    }
    return {
      status: 200,
      body: page.map((g) => this.tenant.groupJson(g, base)),
      headers: { link: links },
    };
  }

  private listUserFactors(userId: string, base: string): Reply {
    const index = this.tenant.indexOf(userId);
    if (index === undefined) throw userNotFound(userId);
    return { status: 200, body: this.tenant.userFactorsJson(this.tenant.recordAt(index), base) };
  }

  private listUserRoles(userId: string, base: string): Reply {
    const index = this.tenant.indexOf(userId);
    if (index === undefined) throw userNotFound(userId);
    return { status: 200, body: this.tenant.userRolesJson(this.tenant.recordAt(index), base) };
  }

  private getGroup(groupId: string, base: string): Reply {
    const index = this.tenant.groupIndexOf(groupId);
    if (index === undefined) throw groupNotFound(groupId);
    return { status: 200, body: this.tenant.groupJson(index, base) };
  }

  private listGroupRoles(groupId: string, base: string): Reply {
    const index = this.tenant.groupIndexOf(groupId);
    if (index === undefined) throw groupNotFound(groupId);
    return { status: 200, body: this.tenant.groupRolesJson(index, base) };
  }

  private listLogs(url: URL, base: string): Reply {
    if (this.systemLogDenied !== null) {
      throw new ApiError(403, 'E0000006', this.systemLogDenied);
    }
    const page = this.tenant.log.page(url.searchParams);
    const links = [`<${base}/api/v1/logs${url.search}>; rel="self"`];
    if (page.nextQuery !== null) links.push(`<${base}/api/v1/logs?${page.nextQuery}>; rel="next"`);
    return { status: 200, body: page.body, headers: { link: links } };
  }

  /** Links point where the client reached us (Host), so they work behind a port mapping too. */
  private linkBase(req: http.IncomingMessage): string {
    const host = req.headers.host;
    return host && /^[A-Za-z0-9.\-[\]:]+$/.test(host) ? `http://${host}` : this.url;
  }

  private errorBody(errorCode: string, errorSummary: string, causes: string[] = []): OktaErrorJson {
    return {
      errorCode,
      errorSummary,
      errorLink: errorCode,
      errorId: 'oae' + this.idRng.alnum(22),
      errorCauses: causes.map((c) => ({ errorSummary: c })),
    };
  }

  private sendJson(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    this.send(res, status, Buffer.from(JSON.stringify(body)), headers);
  }

  private send(
    res: http.ServerResponse,
    status: number,
    payload: Buffer,
    headers: Record<string, string | string[]>,
  ): void {
    if (res.destroyed || res.headersSent) return;
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', payload.length);
    res.setHeader('Date', new Date(this.opts.clock()).toUTCString());
    res.setHeader('X-Okta-Request-Id', this.idRng.alnum(27));
    res.setHeader('Cache-Control', 'no-cache, no-store');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Expires', '0');
    // An array value is sent as separate header lines, as Okta sends its `link` headers.
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.end(payload);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleeps.add(entry);
    });
  }

  // ---- admin endpoints (/__sim/…): no auth, never counted, never rate limited ---------------

  private async handleAdmin(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
  ): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\/+$/, '');
    const reply = (status: number, body: unknown): void => {
      const payload = Buffer.from(JSON.stringify(body));
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': payload.length,
      });
      res.end(payload);
    };
    try {
      return reply(200, await this.adminAnswer(req, method, path));
    } catch (err) {
      if (err instanceof AdminError) return reply(err.status, { error: err.message });
      if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) {
        return reply(400, { error: err.message });
      }
      throw err;
    }
  }

  /** Finds the endpoint, checks the method, and answers with the endpoint's JSON body. */
  private async adminAnswer(
    req: http.IncomingMessage,
    method: string,
    path: string,
  ): Promise<unknown> {
    const expect = (m: 'GET' | 'POST'): void => {
      if (method !== m) throw new AdminError(405, `${path} accepts ${m} only`);
    };
    const enriched = /^\/__sim\/users\/([^/]+)\/enriched$/.exec(path);
    if (enriched) {
      expect('GET');
      const id = decodeURIComponent(enriched[1]);
      if (this.tenant.indexOf(id) === undefined)
        throw new AdminError(404, `no simulated user with id ${id}`);
      return this.tenant.enriched(id);
    }
    const expected = ADMIN_METHODS[path];
    if (expected === undefined) throw new AdminError(404, `unknown admin endpoint ${path}`);
    expect(expected);
    return expected === 'GET' ? this.adminRead(path) : this.adminWrite(path, await readJson(req));
  }

  private adminRead(path: string): unknown {
    switch (path) {
      case '/__sim/oauth/stats':
        return this.oauth.stats();
      case '/__sim/stats':
        return this.stats();
      case '/__sim/info':
        return this.info();
      default:
        throw new AdminError(404, `unknown admin endpoint ${path}`);
    }
  }

  /** The POST endpoints: each validates its JSON body, applies it, and says what it set. */
  private adminWrite(path: string, body: unknown): unknown {
    switch (path) {
      case '/__sim/oauth/clients':
        this.registerOAuthClient(asObject(body, 'client') as unknown as OAuthClientRegistration);
        return { ok: true };
      case '/__sim/oauth/token-lifetime':
        this.oauth.setTokenLifetime(asObject(body, 'token-lifetime body').seconds as number);
        return { tokenLifetimeSeconds: this.oauth.tokenLifetimeSeconds };
      case '/__sim/reset-stats':
        this.resetStats();
        return this.stats();
      case '/__sim/mutate':
        return this.tenant.mutate(mutationRequest(body));
      case '/__sim/change': {
        const changes = changeList(body);
        for (const c of changes) this.tenant.change(c);
        return { applied: changes.length, systemLogEvents: this.tenant.log.size };
      }
      case '/__sim/system-log-access': {
        const denied = deniedReason(body);
        this.setSystemLogDenied(denied);
        return { denied };
      }
      case '/__sim/faults':
        this.setFaults(validateFaults(body, 'faults'));
        return { faults: this.faults.current() };
      case '/__sim/rate-limits':
        this.setRateLimits(validateRateLimits(body));
        return {
          rateLimits: this.windows.currentLimits(),
          rateLimitWindowMs: this.windows.windowMs,
        };
      case '/__sim/concurrency-limit':
        this.setConcurrencyLimit(asObject(body, 'concurrency-limit body').limit as number);
        return { concurrencyLimit: this.gate.configuredLimit };
      case '/__sim/token':
        this.setToken(validateToken(asObject(body, 'token body').token, 'token'));
        return { ok: true };
      default:
        throw new AdminError(404, `unknown admin endpoint ${path}`);
    }
  }
}

/** The admin endpoints (besides /__sim/users/<id>/enriched) and the one method each accepts. */
const ADMIN_METHODS: Readonly<Record<string, 'GET' | 'POST'>> = {
  '/__sim/oauth/clients': 'POST',
  '/__sim/oauth/token-lifetime': 'POST',
  '/__sim/oauth/stats': 'GET',
  '/__sim/stats': 'GET',
  '/__sim/info': 'GET',
  '/__sim/reset-stats': 'POST',
  '/__sim/mutate': 'POST',
  '/__sim/change': 'POST',
  '/__sim/system-log-access': 'POST',
  '/__sim/faults': 'POST',
  '/__sim/rate-limits': 'POST',
  '/__sim/concurrency-limit': 'POST',
  '/__sim/token': 'POST',
};

function mutationRequest(value: unknown): MutationRequest {
  const body = asObject(value, 'mutate body');
  for (const key of Object.keys(body)) {
    if (!['update', 'create', 'deprovision'].includes(key)) {
      throw new AdminError(
        400,
        `mutate: unknown field ${key} (expected update, create, deprovision)`,
      );
    }
  }
  return body as MutationRequest;
}

/** The changes of a /__sim/change body; each is checked by `SimulatedTenant.change`. */
function changeList(value: unknown): TenantChange[] {
  const changes = asObject(value, 'change body').changes;
  if (!Array.isArray(changes)) {
    throw new AdminError(400, 'change: expected {"changes": [{"op": …}, …]}');
  }
  return changes as TenantChange[];
}

function deniedReason(value: unknown): string | null {
  const denied = asObject(value, 'system-log-access body').denied;
  if (denied !== null && (typeof denied !== 'string' || denied === '')) {
    throw new AdminError(400, 'system-log-access: "denied" must be a reason or null');
  }
  return denied;
}

function pageLimit(raw: string | null): number {
  if (raw === null) return PAGE_LIMIT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new ApiError(400, 'E0000001', 'Api validation failed: limit', [
      'limit: must be a positive integer',
    ]);
  }
  // Okta answers a larger limit with its maximum page rather than an error.
  return Math.min(PAGE_LIMIT, Number(raw));
}

function userNotFound(id: string): ApiError {
  return new ApiError(404, 'E0000007', `Not found: Resource not found: ${id} (User)`);
}

function pathNotFound(): ApiError {
  return new ApiError(404, 'E0000008', 'The requested path was not found');
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AdminError(400, `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

async function readText(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > ADMIN_BODY_LIMIT) throw new AdminError(413, 'request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const text = (await readText(req)).trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AdminError(400, 'request body is not valid JSON');
  }
}
