import type http from 'node:http';
import { inspect } from 'node:util';

import { OktaClient, newCallCounters, type OktaClientOptions } from '../../../src/okta/client';
import {
  OktaAbortedError,
  OktaAuthError,
  OktaBadRequestError,
  OktaNotFoundError,
  OktaRateLimitedError,
  OktaTransientError,
  OktaUnexpectedResponseError,
  OktaUnsafeLinkError,
} from '../../../src/okta/errors';
import { RateLimiter, type WaitReason } from '../../../src/okta/rate-limiter';
import { rateHeaders, sendJson, startServer, type TestServer } from './helpers';
import { ErrorType } from '../../../src/contract/error-table';

const TOKEN = '00tEsT-T0k3n_nEvEr-lEaK-9f8e7d6c5b4a';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void,
): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

function client(server: TestServer, opts: Partial<OktaClientOptions> = {}): OktaClient {
  return new OktaClient({
    orgUrl: server.url,
    token: TOKEN,
    limiter: new RateLimiter({ share: 1 }),
    retry: { baseDelayMs: 1, maxDelayMs: 5, concurrencyBaseDelayMs: 1 },
    ...opts,
  });
}

/** The error a promise rejects with; fails the test if it resolves. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expectNoSecret(e);
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** The token appears nowhere in an error: message, stack, enumerable fields, inspection. */
function expectNoSecret(e: unknown): void {
  const err = e as Error;
  expect(err.message).not.toContain(TOKEN);
  expect(String(err.stack)).not.toContain(TOKEN);
  expect(JSON.stringify(err)).not.toContain(TOKEN);
  expect(inspect(err, { depth: 10, showHidden: true })).not.toContain(TOKEN);
}

function query(server: TestServer, i: number): URLSearchParams {
  return new URL(server.requests[i]!.url, server.url).searchParams;
}

const user = (id: string) => ({
  id,
  status: 'ACTIVE',
  created: '2024-01-02T03:04:05.000Z',
  activated: null,
  lastLogin: null,
  lastUpdated: '2024-05-06T07:08:09.000Z',
  passwordChanged: null,
  statusChanged: null,
  type: { id: 'oty1' },
  profile: {
    login: `${id}@example.com`,
    email: `${id}@example.com`,
    firstName: 'Ada',
    lastName: null,
    displayName: 'Ada',
    department: 'R&D',
  },
  credentials: { provider: { type: 'OKTA' } },
  _links: { self: { href: `https://x/api/v1/users/${id}` } },
});

/** A handler paging `items` at `size` per page, with Okta's link headers in the given form. */
function pager(
  items: unknown[],
  size: number,
  form: 'lines' | 'joined',
  extra: (n: number) => Record<string, string> = () => ({}),
) {
  return (req: http.IncomingMessage, res: http.ServerResponse, n: number) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const after = Number(url.searchParams.get('after') ?? '0');
    const origin = `http://${req.headers.host}`;
    const self = `<${origin}${url.pathname}${url.search}>; rel="self"`;
    const page = items.slice(after, after + size);
    const links = [self];
    if (after + size < items.length) {
      links.push(`<${origin}${url.pathname}?after=${after + size}&limit=${size}>; rel="next"`);
    }
    sendJson(res, 200, page, {
      ...rateHeaders({ limit: 600, remaining: 600 - n, resetInS: 60 }),
      ...extra(n),
      link: form === 'lines' ? links : links.join(', '),
    });
  };
}

describe('OktaClient: construction', () => {
  it('validates the org URL and the token without echoing the token', () => {
    expect(() => new OktaClient({ orgUrl: 'http://acme.okta.com', token: TOKEN })).toThrow(
      /OKTA_ORG_URL: must use https/,
    );
    for (const bad of ['', '  ', 'abc def', 'abc\ndef']) {
      let message = '';
      try {
        new OktaClient({ orgUrl: 'https://acme.okta.com', token: bad });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/token must be a non-empty Okta API token/);
      if (bad.trim() !== '') expect(message).not.toContain(bad);
    }
  });

  it('keeps the token out of inspection and serialisation of the client', () => {
    const c = new OktaClient({ orgUrl: 'https://acme.okta.com', token: TOKEN });
    expect(inspect(c, { depth: 5 })).not.toContain(TOKEN);
    expect(JSON.stringify(c)).not.toContain(TOKEN);
  });
});

describe('OktaClient: requests and paging', () => {
  it('sends SSWS auth, asks for 200 per page and encodes filter as Okta documents', async () => {
    const s = await serve(pager([user('00u1')], 200, 'lines'));
    const c = client(s);
    const page = await c.listUsersPage({ filter: 'lastUpdated gt "2024-01-01T00:00:00.000Z"' });
    expect(page.users.map((u) => u.id)).toEqual(['00u1']);
    expect(page.nextUrl).toBeNull();
    const req = s.requests[0]!;
    expect(req.headers.authorization).toBe(`SSWS ${TOKEN}`);
    expect(req.headers.accept).toBe('application/json');
    expect(req.url).toBe(
      '/api/v1/users?limit=200&filter=lastUpdated%20gt%20%222024-01-01T00%3A00%3A00.000Z%22',
    );
    expect(query(s, 0).get('filter')).toBe('lastUpdated gt "2024-01-01T00:00:00.000Z"');
  });

  it("reduces users to the shapes of types.ts and reports Okta's Date as serverDate", async () => {
    const s = await serve(pager([user('00u1')], 200, 'lines'));
    const page = await client(s).listUsersPage();
    expect(page.users[0]).toEqual({
      id: '00u1',
      status: 'ACTIVE',
      created: '2024-01-02T03:04:05.000Z',
      activated: null,
      lastLogin: null,
      lastUpdated: '2024-05-06T07:08:09.000Z',
      passwordChanged: null,
      statusChanged: null,
      profile: {
        login: '00u1@example.com',
        email: '00u1@example.com',
        firstName: 'Ada',
        lastName: null,
        displayName: 'Ada',
      },
    });
    const date = Date.parse(page.serverDate ?? '');
    expect(Math.abs(date - Date.now())).toBeLessThan(60_000);
    expect(page.serverDate).toBe(new Date(date).toISOString());
  });

  it.each(['lines', 'joined'] as const)(
    'follows rel="next" to the end with link headers as %s, every user once',
    async (form) => {
      const users = Array.from({ length: 450 }, (_, i) => user(`00u${i}`));
      const s = await serve(pager(users, 200, form));
      const c = client(s);
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const page = await c.listUsersPage({ nextUrl: next });
        seen.push(...page.users.map((u) => u.id));
        next = page.nextUrl;
        pages++;
      } while (next !== null && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(users.map((u) => u.id));
      expect(s.requests.map((r) => query(s, s.requests.indexOf(r)).get('after'))).toEqual([
        null,
        '200',
        '400',
      ]);
    },
  );

  it('listUserGroups returns every page; roles and factors are reduced', async () => {
    const groups = Array.from({ length: 450 }, (_, i) => ({
      id: `00g${i}`,
      type: i === 0 ? 'BUILT_IN' : 'OKTA_GROUP',
      profile: { name: `G${i}`, description: i % 2 ? null : 'd' },
      objectClass: ['okta:user_group'],
      _links: {},
    }));
    const usersPager = pager(groups, 200, 'joined');
    const s = await serve((req, res, n) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/api/v1/users/00u%2F1/groups') return usersPager(req, res, n);
      if (path.endsWith('/roles')) {
        return sendJson(res, 200, [
          {
            id: 'ra1',
            label: 'Super Administrator',
            type: 'SUPER_ADMIN',
            status: 'ACTIVE',
            assignmentType: 'GROUP',
            created: 'x',
            _links: {},
          },
          {
            id: 'ra2',
            label: 'Brand new',
            type: 'SOMETHING_NEW',
            status: 'INACTIVE',
            assignmentType: 'USER',
          },
        ]);
      }
      if (path.endsWith('/factors')) {
        return sendJson(res, 200, [
          {
            id: 'f1',
            factorType: 'push',
            provider: 'OKTA',
            vendorName: 'OKTA',
            status: 'ACTIVE',
            profile: { deviceType: 'x' },
          },
        ]);
      }
      sendJson(res, 404, { errorCode: 'E0000007', errorSummary: 'Not found' });
    });
    const c = client(s);
    const got = await c.listUserGroups('00u/1');
    expect(got).toHaveLength(450);
    expect(new Set(got.map((g) => g.id)).size).toBe(450);
    expect(got[0]).toEqual({
      id: '00g0',
      type: 'BUILT_IN',
      profile: { name: 'G0', description: 'd' },
    });
    expect(query(s, 0).get('limit')).toBe('200');
    expect(await c.listGroupRoles('00g1')).toEqual([
      {
        id: 'ra1',
        label: 'Super Administrator',
        type: 'SUPER_ADMIN',
        status: 'ACTIVE',
        assignmentType: 'GROUP',
      },
      {
        id: 'ra2',
        label: 'Brand new',
        type: 'SOMETHING_NEW',
        status: 'INACTIVE',
        assignmentType: 'USER',
      },
    ]);
    expect(await c.listUserRoles('00u1')).toHaveLength(2);
    expect(await c.listUserFactors('00u1')).toEqual([
      { id: 'f1', factorType: 'push', provider: 'OKTA', status: 'ACTIVE' },
    ]);
    const paths = s.requests.map((r) => new URL(r.url, s.url).pathname);
    expect(paths.slice(3)).toEqual([
      '/api/v1/groups/00g1/roles',
      '/api/v1/users/00u1/roles',
      '/api/v1/users/00u1/factors',
    ]);
    expect(c.metrics().byBucket).toEqual({
      'api-v1': { requests: 5, rateLimited: 0 },
      groups: { requests: 1, rateLimited: 0 },
    });
  });

  it('drops and counts records without an id, keeping the rest', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 200, [
        user('00u1'),
        { status: 'ACTIVE' },
        'str',
        null,
        { id: '' },
        { id: 5 },
        user('00u2'),
      ]),
    );
    const c = client(s);
    const counters = newCallCounters();
    const page = await c.listUsersPage({}, { counters });
    expect(page.users.map((u) => u.id)).toEqual(['00u1', '00u2']);
    expect(c.metrics().droppedRecords).toBe(5);
    expect(c.metrics().droppedByEndpoint).toEqual({ 'GET /api/v1/users': 5 });
    expect(counters).toEqual({
      requests: 1,
      rateLimited: 0,
      transientErrors: 0,
      droppedRecords: 5,
    });
  });

  it('rejects an empty id argument naming it, before any request', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, []));
    await expect(client(s).listUserGroups('')).rejects.toThrow(/userId must be a non-empty/);
    await expect(client(s).listGroupRoles(' ')).rejects.toThrow(/groupId/);
    expect(s.requests).toHaveLength(0);
  });
});

describe('OktaClient: the token stays on the org', () => {
  it('refuses a next link to another origin; the other server never sees a request', async () => {
    const evil = await serve((_req, res) => sendJson(res, 200, []));
    const s = await serve((_req, res) =>
      sendJson(res, 200, [user('00u1')], {
        link: [`<${evil.url}/api/v1/users?after=x>; rel="next"`],
      }),
    );
    const err = await failure(client(s).listUsersPage());
    expect(err).toBeInstanceOf(OktaUnsafeLinkError);
    expect(err.message).toContain(evil.origin.origin);
    expect(err.message).toMatch(/only ever sent to the org/);
    const groupsErr = await failure(client(s).listUserGroups('00u1'));
    expect(groupsErr).toBeInstanceOf(OktaUnsafeLinkError);
    expect(evil.requests).toHaveLength(0);
  });

  it('refuses a caller-supplied nextUrl on another origin or path without sending anything', async () => {
    const s = await serve((_req, res) => sendJson(res, 200, []));
    const c = client(s);
    for (const nextUrl of [
      'https://evil.example.com/api/v1/users?after=x',
      `${s.url.replace('127.0.0.1', 'localhost')}/api/v1/users?after=x`,
      `${s.url}/api/v1/groups?after=x`,
      'not a url',
    ]) {
      expect(await failure(c.listUsersPage({ nextUrl }))).toBeInstanceOf(OktaUnsafeLinkError);
    }
    expect(s.requests).toHaveLength(0);
  });

  it('does not follow redirects', async () => {
    const elsewhere = await serve((_req, res) => sendJson(res, 200, []));
    const s = await serve((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/api/v1/users` });
      res.end();
    });
    const err = await failure(client(s).listUsersPage());
    expect(err).toBeInstanceOf(OktaUnexpectedResponseError);
    expect(err.message).toMatch(/redirect/);
    expect(elsewhere.requests).toHaveLength(0);
    expect(s.requests).toHaveLength(1);
  });

  it('detects a paging loop instead of looping', async () => {
    const s = await serve((req, res) =>
      sendJson(res, 200, [{ id: '00g1' }], {
        link: `<http://${req.headers.host}${req.url}>; rel="next"`,
      }),
    );
    const err = await failure(client(s).listUserGroups('00u1'));
    expect(err).toBeInstanceOf(OktaUnexpectedResponseError);
    expect(err.message).toMatch(/paging loop/);
    expect(s.requests).toHaveLength(1);
  });
});

describe('OktaClient: errors', () => {
  it('401 fails at once with what Okta said and the scopes needed', async () => {
    const s = await serve((_req, res) =>
      sendJson(res, 401, {
        errorCode: 'E0000011',
        errorSummary: 'Invalid token provided',
        errorLink: 'E0000011',
        errorId: 'oaeXyZ',
        errorCauses: [],
      }),
    );
    const err = await failure(client(s).listUsersPage());
    expect(err).toBeInstanceOf(OktaAuthError);
    expect(err.name).toBe(ErrorType.OktaAuthError);
    expect((err as OktaAuthError).kind).toBe('auth');
    expect((err as OktaAuthError).retryable).toBe(false);
    expect((err as OktaAuthError).status).toBe(401);
    expect(err.message).toContain('E0000011');
    expect(err.message).toContain('Invalid token provided');
    expect(err.message).toContain('okta.users.read okta.groups.read okta.roles.read');
    expect(s.requests).toHaveLength(1);
  });

  it('403 insufficient_scope: reports the challenge and the scope Okta asked for', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(403, {
        'www-authenticate':
          'Bearer authorization_uri="http://x/oauth2/v1/authorize", realm="IdpRealm", ' +
          'scope="okta.roles.read", error="insufficient_scope", ' +
          'error_description="The access token provided does not contain the required scopes.", ' +
          'resource="/api/v1/users/00u1/roles"',
      });
      res.end();
    });
    const err = (await failure(client(s).listUserRoles('00u1'))) as OktaAuthError;
    expect(err).toBeInstanceOf(OktaAuthError);
    expect(err.challenge).toEqual({
      error: 'insufficient_scope',
      errorDescription: 'The access token provided does not contain the required scopes.',
      scope: 'okta.roles.read',
    });
    expect(err.message).toContain('insufficient_scope');
    expect(err.message).toContain('scope required by Okta: okta.roles.read');
    expect(err.requiredScopes[0]).toBe('okta.roles.read');
    expect(s.requests).toHaveLength(1);
  });

  it('404 and 400 are typed and never retried', async () => {
    const s = await serve((req, res) => {
      if ((req.url ?? '').includes('/users/')) {
        return sendJson(res, 404, {
          errorCode: 'E0000007',
          errorSummary: 'Not found: Resource not found: 00ux (User)',
        });
      }
      sendJson(res, 400, {
        errorCode: 'E0000031',
        errorSummary: 'Invalid search.',
        errorCauses: [{ errorSummary: 'Invalid search criteria.' }],
      });
    });
    const c = client(s);
    const nf = await failure(c.listUserFactors('00ux'));
    expect(nf).toBeInstanceOf(OktaNotFoundError);
    expect(nf.message).toContain('E0000007');
    const br = (await failure(c.listUsersPage({ search: 'bad' }))) as OktaBadRequestError;
    expect(br).toBeInstanceOf(OktaBadRequestError);
    expect(br.causes).toEqual(['Invalid search criteria.']);
    expect(s.requests).toHaveLength(2);
  });

  it('retries a 5xx with backoff and succeeds', async () => {
    const s = await serve((_req, res, n) =>
      n === 1
        ? sendJson(res, 500, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' })
        : sendJson(res, 200, [{ id: 'f1' }]),
    );
    const waits: WaitReason[] = [];
    const c = client(s);
    expect(await c.listUserFactors('00u1', { onWait: (_ms, r) => waits.push(r) })).toHaveLength(1);
    expect(s.requests).toHaveLength(2);
    expect(waits).toEqual(['backoff']);
    expect(c.metrics()).toMatchObject({ requests: 2, transientErrors: 1 });
  });

  it('gives up after maxAttempts transient failures with a transient error', async () => {
    const s = await serve((_req, res) => sendJson(res, 503, 'Service Unavailable'));
    const c = client(s, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const err = (await failure(c.listUserRoles('00u1'))) as OktaTransientError;
    expect(err).toBeInstanceOf(OktaTransientError);
    expect(err.reason).toBe('server_error');
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(503);
    expect(s.requests).toHaveLength(3);
    expect(c.metrics().transientErrors).toBe(3);
  });

  it.each([
    ['not JSON', '<html>oops</html>', /not valid JSON/],
    ['not an array', '{"users":[]}', /not a JSON array/],
  ])(
    'a body that is %s is a transient malformed-response error naming the endpoint',
    async (_w, body, re) => {
      const s = await serve((_req, res) => sendJson(res, 200, body));
      const err = (await failure(
        client(s, { retry: { maxAttempts: 2, baseDelayMs: 1 } }).listUsersPage(),
      )) as OktaTransientError;
      expect(err).toBeInstanceOf(OktaTransientError);
      expect(err.reason).toBe('malformed_response');
      expect(err.message).toContain('GET /api/v1/users');
      expect(err.message).toMatch(re);
      expect(s.requests).toHaveLength(2);
    },
  );

  it('times out a request that never completes, as a transient error', async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const c = client(s, { timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const err = (await failure(c.listUserFactors('00u1'))) as OktaTransientError;
    expect(err).toBeInstanceOf(OktaTransientError);
    expect(err.reason).toBe('timeout');
    expect(s.requests).toHaveLength(2);
  });

  it('a reset connection is a transient network error', async () => {
    const s = await serve((req) => req.socket.destroy());
    const c = client(s, { retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const err = (await failure(c.listUserFactors('00u1'))) as OktaTransientError;
    expect(err).toBeInstanceOf(OktaTransientError);
    expect(err.reason).toBe('network');
    expect(err.code).toBe('ECONNRESET');
  });

  it('an AbortSignal ends the call at once with OktaAbortedError', async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const ac = new AbortController();
    const p = client(s).listUserFactors('00u1', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('activity cancelled')), 30);
    const err = (await failure(p)) as OktaAbortedError;
    expect(err).toBeInstanceOf(OktaAbortedError);
    expect((err.reason as Error).message).toBe('activity cancelled');
    expect(s.requests).toHaveLength(1);
  });
});

describe('OktaClient: rate limits', () => {
  it("429: resetAtMs is Okta's Reset on the local clock, corrected by the Date header", async () => {
    const s = await serve((_req, res) => {
      // Okta's clock runs 2 hours ahead; Reset is 30 s after its Date, and sent twice (smallest wins).
      const h = rateHeaders({
        limit: 600,
        remaining: 0,
        resetInS: 30,
        serverNowMs: Date.now() + 7_200_000,
      });
      const reset = Number(h['x-rate-limit-reset']);
      sendJson(
        res,
        429,
        {
          errorCode: 'E0000047',
          errorSummary: 'API call exceeded rate limit due to too many requests.',
        },
        {
          ...h,
          'x-rate-limit-reset': [String(reset + 20), String(reset)],
        },
      );
    });
    const c = client(s, { retry: { rateLimitWaitBudgetMs: 0 } });
    const before = Date.now();
    const err = (await failure(c.listUsersPage())) as OktaRateLimitedError;
    const after = Date.now();
    expect(err).toBeInstanceOf(OktaRateLimitedError);
    expect(err.kind).toBe('rate_limited');
    expect(err.concurrency).toBe(false);
    expect(err.proactive).toBe(false);
    expect(err.bucket).toBe('users-list');
    expect(err.errorCode).toBe('E0000047');
    // Okta's Date is truncated to the second, so the local reset lies within this range.
    expect(err.resetAtMs).toBeGreaterThanOrEqual(before + 30_000);
    expect(err.resetAtMs).toBeLessThanOrEqual(after + 31_000);
    expect(s.requests).toHaveLength(1);
    expect(c.metrics()).toMatchObject({ requests: 1, rateLimited: 1 });
    expect(c.metrics().byBucket['users-list']).toEqual({ requests: 1, rateLimited: 1 });

    // The shared limiter now knows the bucket is spent: a second call within a small budget fails
    // without sending anything.
    const again = (await failure(c.listUsersPage())) as OktaRateLimitedError;
    expect(again.proactive).toBe(true);
    expect(again.resetAtMs).toBeLessThanOrEqual(err.resetAtMs);
    expect(s.requests).toHaveLength(1);
  });

  it('429: waits until the reset (reporting the wait) and retries', async () => {
    const s = await serve((_req, res, n) => {
      const h = rateHeaders({
        limit: 600,
        remaining: n === 1 ? 0 : 599,
        resetInS: n === 1 ? 0 : 60,
      });
      if (n === 1) return sendJson(res, 429, { errorCode: 'E0000047' }, h);
      sendJson(res, 200, [{ id: 'r1' }], h);
    });
    const waits: WaitReason[] = [];
    const c = client(s);
    expect(await c.listUserRoles('00u1', { onWait: (_ms, r) => waits.push(r) })).toHaveLength(1);
    expect(s.requests).toHaveLength(2);
    expect(waits[0]).toBe('rate_limited');
    expect(c.metrics().rateLimited).toBe(1);
  });

  it('concurrency 429 (Limit 0): brief backoff and retry, counted separately', async () => {
    const s = await serve((_req, res, n) => {
      if (n === 1) {
        return sendJson(
          res,
          429,
          { errorCode: 'E0000047' },
          {
            ...rateHeaders({ limit: 0, remaining: 0, resetInS: 60 }),
          },
        );
      }
      sendJson(res, 200, [], rateHeaders({ limit: 600, remaining: 500, resetInS: 60 }));
    });
    const waits: WaitReason[] = [];
    const c = client(s);
    expect(await c.listUserFactors('00u1', { onWait: (_ms, r) => waits.push(r) })).toEqual([]);
    expect(waits).toEqual(['concurrency']);
    expect(c.metrics()).toMatchObject({ requests: 2, rateLimited: 1, concurrencyLimited: 1 });
  });
});
