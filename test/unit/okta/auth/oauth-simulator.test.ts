/**
 * The OAuth client (token source, authorizer, OktaClient) against the simulator's authorization
 * server over real HTTP: Bearer and DPoP tokens, scopes, renewal on expiry, and the simulator's
 * own checks of assertions and proofs (signature, aud, exp, jti replay, nonce, htu, ath).
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';

import type { DpopMode } from '../../../../src/okta/auth/credentials';
import { DpopProofs } from '../../../../src/okta/auth/dpop';
import { OAuthAuthorizer } from '../../../../src/okta/auth/oauth-authorizer';
import { OktaOAuthError } from '../../../../src/okta/auth/oauth-errors';
import { OAuthTokenSource } from '../../../../src/okta/auth/oauth-token-source';
import { OktaClient } from '../../../../src/okta/client';
import { OktaAuthError } from '../../../../src/okta/errors';
import { RateLimiter } from '../../../../src/okta/rate-limiter';
import { OktaSimulator } from '../../../../src/simulator';

jest.setTimeout(30_000);

const CLIENT_ID = '0oa-sim-test';
let sim: OktaSimulator;
let rsa: { privateKey: KeyObject; publicJwk: JWK };
let ec: { privateKey: KeyObject; publicJwk: JWK };

beforeAll(async () => {
  const r = await generateKeyPair('RS256', { modulusLength: 2048 });
  rsa = { privateKey: r.privateKey as KeyObject, publicJwk: await exportJWK(r.publicKey) };
  const e = await generateKeyPair('ES256');
  ec = { privateKey: e.privateKey as KeyObject, publicJwk: await exportJWK(e.publicKey) };
  sim = await OktaSimulator.start({ users: 30, groups: 5, seed: 3 });
});
afterAll(() => sim.close());

function source(
  opts: Partial<{
    clientId: string;
    key: KeyObject;
    alg: 'RS256' | 'ES256';
    scopes: string[];
    dpop: DpopMode;
  }> = {},
): OAuthTokenSource {
  return new OAuthTokenSource({
    orgUrl: new URL(sim.url),
    clientId: opts.clientId ?? CLIENT_ID,
    privateKey: opts.key ?? rsa.privateKey,
    alg: opts.alg ?? 'RS256',
    keyId: null,
    scopes: opts.scopes ?? ['okta.users.read', 'okta.groups.read', 'okta.roles.read'],
    dpop: opts.dpop ?? 'auto',
  });
}

function client(src: OAuthTokenSource): OktaClient {
  return new OktaClient({
    orgUrl: sim.url,
    authorizer: new OAuthAuthorizer(src),
    limiter: new RateLimiter({ share: 1 }),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
}

function register(
  id: string,
  extra: { dpop?: boolean; scopes?: string[]; keys?: JWK[] } = {},
): void {
  sim.registerOAuthClient({ clientId: id, keys: extra.keys ?? [rsa.publicJwk], ...extra });
}

test('a Bearer token lists users and enrichments; one token serves many requests', async () => {
  const id = `c-${randomUUID()}`;
  register(id);
  const before = sim.oauthStats().tokensIssued;
  const src = source({ clientId: id });
  const c = client(src);
  const page = await c.listUsersPage();
  expect(page.users.length).toBe(
    sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED').length,
  );
  const u = page.users[0]!;
  const truth = sim.tenant.enriched(u.id);
  expect((await c.listUserGroups(u.id)).map((g) => g.id).sort()).toEqual(
    truth.groups.map((g) => g.id).sort(),
  );
  await c.listUserRoles(u.id);
  await c.listUserFactors(u.id);
  expect(src.dpopActive).toBe(false);
  expect(sim.oauthStats().tokensIssued - before).toBe(1);
});

test('auto DPoP: an app requiring DPoP gets proofs with the nonce, and DPoP-bound API calls', async () => {
  const id = `c-${randomUUID()}`;
  register(id, { dpop: true, keys: [ec.publicJwk] });
  const before = sim.oauthStats();
  const src = source({ clientId: id, key: ec.privateKey, alg: 'ES256' });
  const c = client(src);
  const page = await c.listUsersPage();
  expect(page.users.length).toBeGreaterThan(0);
  await c.listUserRoles(page.users[0]!.id);
  expect(src.dpopActive).toBe(true);
  const after = sim.oauthStats();
  expect(after.tokensIssued - before.tokensIssued).toBe(1);
  // First answer: the app requires DPoP; second: the nonce is missing; third: a token.
  expect(
    (after.tokenErrors.invalid_dpop_proof ?? 0) - (before.tokenErrors.invalid_dpop_proof ?? 0),
  ).toBe(1);
  expect((after.tokenErrors.use_dpop_nonce ?? 0) - (before.tokenErrors.use_dpop_nonce ?? 0)).toBe(
    1,
  );
});

test('an expired token is renewed once on the 401 that says so; concurrent callers share one renewal', async () => {
  const id = `c-${randomUUID()}`;
  register(id);
  const src = source({ clientId: id });
  const c = client(src);
  await c.listUsersPage();
  const t1 = await src.current();
  // Okta expires the token before the cache expected it to (here: every token, at once).
  sim.oauth.expireTokens();
  const issuedBefore = sim.oauthStats().tokensIssued;
  const refusedBefore = sim.oauthStats().resourceRefusals.invalid_token ?? 0;
  const ids = sim.tenant
    .listUsers()
    .slice(0, 8)
    .map((u) => u.id);
  const results = await Promise.all(ids.map((u) => c.listUserFactors(u)));
  expect(results.map((r) => r.length)).toEqual(
    ids.map((u) => sim.tenant.enriched(u).factors.length),
  );
  // Requests that met the expired token got 401 "expired" (those the limiter held back found the
  // new one); whatever their number, one renewal served them all.
  expect(
    (sim.oauthStats().resourceRefusals.invalid_token ?? 0) - refusedBefore,
  ).toBeGreaterThanOrEqual(1);
  expect(sim.oauthStats().tokensIssued - issuedBefore).toBe(1);
  expect((await src.current()).value).not.toBe(t1.value);
});

test('a missing scope fails with OktaAuthError naming it', async () => {
  const id = `c-${randomUUID()}`;
  register(id, { scopes: ['okta.users.read', 'okta.groups.read'] });
  const c = client(source({ clientId: id, scopes: ['okta.users.read', 'okta.groups.read'] }));
  const page = await c.listUsersPage();
  const err = await c.listUserRoles(page.users[0]!.id).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OktaAuthError);
  expect((err as Error).message).toContain('access token lacks scope okta.roles.read');
  expect((err as OktaAuthError).status).toBe(403);
});

test('requesting a scope the app was not granted fails at the token endpoint, naming it', async () => {
  const id = `c-${randomUUID()}`;
  register(id, { scopes: ['okta.users.read'] });
  const err = await source({ clientId: id, scopes: ['okta.users.read', 'okta.logs.read'] })
    .current()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OktaOAuthError);
  expect((err as OktaOAuthError).reason).toBe('invalid_scope');
  expect((err as Error).message).toContain('okta.logs.read');
});

test('a wrong key, an unknown client: OktaOAuthError saying which, without the assertion', async () => {
  const id = `c-${randomUUID()}`;
  register(id);
  const wrong = await source({ clientId: id, key: ec.privateKey, alg: 'ES256' })
    .current()
    .catch((e: unknown) => e);
  expect(wrong).toBeInstanceOf(OktaOAuthError);
  expect((wrong as OktaOAuthError).reason).toBe('bad_key');
  expect((wrong as Error).message).toContain('OKTA_OAUTH_PRIVATE_KEY_FILE');
  expect((wrong as Error).message).not.toMatch(/eyJ/);

  const unknown = await source({ clientId: 'nobody' })
    .current()
    .catch((e: unknown) => e);
  expect(unknown).toBeInstanceOf(OktaOAuthError);
  expect((unknown as OktaOAuthError).reason).toBe('unknown_client');
  expect((unknown as Error).message).toContain('OKTA_OAUTH_CLIENT_ID');
});

describe('the simulator token endpoint checks assertions', () => {
  const id = `c-${randomUUID()}`;
  const tokenUrl = (): string => `${sim.url}/oauth2/v1/token`;
  beforeAll(() => register(id));

  async function assertion(claims: {
    aud?: string;
    exp?: number;
    jti?: string;
    key?: KeyObject;
    alg?: string;
  }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: claims.alg ?? 'RS256' })
      .setIssuer(id)
      .setSubject(id)
      .setAudience(claims.aud ?? tokenUrl())
      .setIssuedAt(now)
      .setExpirationTime(claims.exp ?? now + 300)
      .setJti(claims.jti ?? randomUUID())
      .sign(claims.key ?? rsa.privateKey);
  }
  async function post(
    a: string,
  ): Promise<{ status: number; body: { error?: string; error_description?: string } }> {
    const res = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'okta.users.read',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: a,
      }).toString(),
    });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  }

  test('accepts a good one once; refuses a replay, a wrong aud, an expired one, a wrong key', async () => {
    const jti = randomUUID();
    expect((await post(await assertion({ jti }))).status).toBe(200);
    const replay = await post(await assertion({ jti }));
    expect(replay).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(replay.body.error_description).toMatch(/already been used/);
    const aud = await post(await assertion({ aud: 'https://other.okta.com/oauth2/v1/token' }));
    expect(aud.body.error_description).toMatch(/audience/);
    const expired = await post(await assertion({ exp: Math.floor(Date.now() / 1000) - 120 }));
    expect(expired.body.error_description).toMatch(/expired/);
    const far = await post(await assertion({ exp: Math.floor(Date.now() / 1000) + 7200 }));
    expect(far.body.error_description).toMatch(/too far/);
    const wrongKey = await post(await assertion({ key: ec.privateKey, alg: 'ES256' }));
    expect(wrongKey.body.error_description).toMatch(/signature/);
  });
});

describe('the simulator checks DPoP proofs on API calls', () => {
  const id = `c-${randomUUID()}`;
  let token: string;
  let proofs: DpopProofs;
  beforeAll(async () => {
    register(id, { dpop: true });
    proofs = await DpopProofs.generate();
    const src = new OAuthTokenSource({
      orgUrl: new URL(sim.url),
      clientId: id,
      privateKey: rsa.privateKey,
      alg: 'RS256',
      keyId: null,
      scopes: ['okta.users.read'],
      dpop: 'on',
      dpopProofs: () => Promise.resolve(proofs),
    });
    const t = await src.current();
    expect(t.type).toBe('DPoP');
    token = t.value;
  });

  async function call(
    path: string,
    dpop: string | null,
    scheme = 'DPoP',
  ): Promise<{ status: number; challenge: string }> {
    const headers: Record<string, string> = { authorization: `${scheme} ${token}` };
    if (dpop !== null) headers.dpop = dpop;
    const res = await fetch(`${sim.url}${path}`, { headers });
    await res.arrayBuffer();
    return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '' };
  }
  const url = (p: string): URL => new URL(p, sim.url);

  test('a correct proof passes; wrong htm, htu, ath, a replay, another key, no proof, Bearer fail', async () => {
    const good = await proofs.proof({
      method: 'GET',
      url: url('/api/v1/users?limit=2'),
      accessToken: token,
    });
    expect((await call('/api/v1/users?limit=2', good)).status).toBe(200);
    const replay = await call('/api/v1/users?limit=2', good);
    expect(replay).toMatchObject({ status: 401 });
    expect(replay.challenge).toMatch(/invalid_dpop_proof.*already been used/);
    const htm = await proofs.proof({
      method: 'POST',
      url: url('/api/v1/users'),
      accessToken: token,
    });
    expect((await call('/api/v1/users', htm)).challenge).toMatch(/htm/);
    const htu = await proofs.proof({
      method: 'GET',
      url: url('/api/v1/groups/x/roles'),
      accessToken: token,
    });
    expect((await call('/api/v1/users', htu)).challenge).toMatch(/htu/);
    const ath = await proofs.proof({
      method: 'GET',
      url: url('/api/v1/users'),
      accessToken: 'other',
    });
    expect((await call('/api/v1/users', ath)).challenge).toMatch(/ath/);
    const other = await (
      await DpopProofs.generate()
    ).proof({ method: 'GET', url: url('/api/v1/users'), accessToken: token });
    expect((await call('/api/v1/users', other)).challenge).toMatch(/does not match the key/);
    expect((await call('/api/v1/users', null)).challenge).toMatch(/missing/);
    expect((await call('/api/v1/users', null, 'Bearer')).challenge).toMatch(/DPoP-bound/);
  });
});
