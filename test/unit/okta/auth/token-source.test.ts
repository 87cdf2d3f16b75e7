/**
 * The OAuth token source on its own, against a scripted token endpoint: caching, early renewal,
 * single-flight renewal, the DPoP nonce dance, and DPoP proofs checked with jose independently.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  EmbeddedJWK,
} from 'jose';

import type { DpopMode } from '../../../../src/okta/auth/credentials';
import { DpopProofs } from '../../../../src/okta/auth/dpop';
import { OAuthTokenSource } from '../../../../src/okta/auth/oauth-token-source';
import type { TokenHttp, TokenHttpOutcome } from '../../../../src/okta/auth/token-http';
import type { Clock } from '../../../../src/okta/clock';
import { ErrorType } from '../../../../src/contract/error-table';

interface Sent {
  form: URLSearchParams;
  headers: Record<string, string>;
}

class ScriptedEndpoint implements TokenHttp {
  readonly sent: Sent[] = [];
  gate: Promise<void> = Promise.resolve();
  constructor(private readonly answer: (s: Sent, n: number) => TokenHttpOutcome) {}
  async post(_url: URL, form: string, headers: Record<string, string>): Promise<TokenHttpOutcome> {
    const s = { form: new URLSearchParams(form), headers };
    this.sent.push(s);
    await this.gate;
    return this.answer(s, this.sent.length);
  }
}

const ok = (token: string, expiresIn = 3600, type = 'Bearer'): TokenHttpOutcome => ({
  kind: 'response',
  status: 200,
  headers: {},
  text: JSON.stringify({ access_token: token, token_type: type, expires_in: expiresIn }),
});

class ManualClock implements Clock {
  t = Date.parse('2026-01-01T00:00:00Z');
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const h = setTimeout(fn, 0 * ms);
    return () => clearTimeout(h);
  }
}

let key: KeyObject;
beforeAll(async () => {
  key = (await generateKeyPair('ES256')).privateKey as KeyObject;
});

function source(
  http: TokenHttp,
  clock: Clock,
  dpop: DpopMode = 'auto',
  proofs?: DpopProofs,
): OAuthTokenSource {
  return new OAuthTokenSource({
    orgUrl: new URL('https://acme.okta.com'),
    clientId: '0oa-client',
    privateKey: key,
    alg: 'ES256',
    keyId: 'kid-1',
    scopes: ['okta.users.read', 'okta.roles.read'],
    dpop,
    http,
    clock,
    ...(proofs ? { dpopProofs: () => Promise.resolve(proofs) } : {}),
  });
}

test('the token request is client credentials with a private_key_jwt assertion (verified by jose)', async () => {
  const http = new ScriptedEndpoint(() => ok('t1'));
  const clock = new ManualClock();
  await source(http, clock).current();
  const { form, headers } = http.sent[0]!;
  expect(form.get('grant_type')).toBe('client_credentials');
  expect(form.get('scope')).toBe('okta.users.read okta.roles.read');
  expect(form.get('client_assertion_type')).toBe(
    'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  );
  expect(headers.DPoP).toBeUndefined();
  const assertion = form.get('client_assertion')!;
  const { payload, protectedHeader } = await jwtVerify(assertion, createPublicKey(key), {
    currentDate: new Date(clock.t),
  });
  expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'kid-1' });
  expect(payload).toMatchObject({
    iss: '0oa-client',
    sub: '0oa-client',
    aud: 'https://acme.okta.com/oauth2/v1/token',
  });
  expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3600);
  expect(typeof payload.jti).toBe('string');
});

test('cached until a fifth of its lifetime is left, then renewed; every assertion has a new jti', async () => {
  let n = 0;
  const http = new ScriptedEndpoint(() => ok(`t${++n}`, 100));
  const clock = new ManualClock();
  const src = source(http, clock);
  expect((await src.current()).value).toBe('t1');
  clock.t += 79_000;
  expect((await src.current()).value).toBe('t1');
  expect(http.sent).toHaveLength(1);
  clock.t += 2_000;
  expect((await src.current()).value).toBe('t2');
  expect(http.sent).toHaveLength(2);
  const jtis = http.sent.map((s) => decodeJwt(s.form.get('client_assertion')!).jti);
  expect(new Set(jtis).size).toBe(2);
});

test('a transient failure of an early renewal keeps the current token until just before expiry', async () => {
  let n = 0;
  const http = new ScriptedEndpoint(() =>
    ++n === 1 ? ok('t1', 100) : { kind: 'response', status: 503, headers: {}, text: '{}' },
  );
  const clock = new ManualClock();
  const src = source(http, clock);
  await src.current();
  clock.t += 85_000;
  expect((await src.current()).value).toBe('t1');
  expect(http.sent.length).toBe(1 + 3);
  clock.t += 11_000;
  await expect(src.current()).rejects.toMatchObject({
    name: ErrorType.OktaTransientError,
    status: 503,
  });
});

test('concurrent callers share one renewal; invalidate drops only the token that failed', async () => {
  let n = 0;
  let release!: () => void;
  const http = new ScriptedEndpoint(() => ok(`t${++n}`));
  http.gate = new Promise((r) => (release = r));
  const src = source(http, new ManualClock());
  const all = Promise.all(Array.from({ length: 10 }, () => src.current()));
  await new Promise((r) => setImmediate(r));
  release();
  expect((await all).map((t) => t.value)).toEqual(Array(10).fill('t1'));
  expect(http.sent).toHaveLength(1);
  src.invalidate('some-older-token');
  expect((await src.current()).value).toBe('t1');
  src.invalidate('t1');
  expect((await src.current()).value).toBe('t2');
});

test('DPoP auto: invalid_dpop_proof switches to DPoP, use_dpop_nonce is answered with the nonce', async () => {
  const proofs = await DpopProofs.generate();
  const http = new ScriptedEndpoint((s, n) => {
    if (n === 1) {
      return {
        kind: 'response',
        status: 400,
        headers: {},
        text: JSON.stringify({
          error: 'invalid_dpop_proof',
          error_description: 'The DPoP proof JWT header is missing.',
        }),
      };
    }
    const claims = decodeJwt(s.headers.DPoP!);
    if (claims.nonce !== 'n-42') {
      return {
        kind: 'response',
        status: 400,
        headers: { 'dpop-nonce': 'n-42' },
        text: JSON.stringify({ error: 'use_dpop_nonce' }),
      };
    }
    return ok('bound', 3600, 'DPoP');
  });
  const src = source(http, new ManualClock(), 'auto', proofs);
  const t = await src.current();
  expect(t).toMatchObject({ value: 'bound', type: 'DPoP' });
  expect(http.sent).toHaveLength(3);
  expect(http.sent[0]!.headers.DPoP).toBeUndefined();
  expect(decodeJwt(http.sent[1]!.headers.DPoP!).nonce).toBeUndefined();
  expect(decodeJwt(http.sent[2]!.headers.DPoP!)).toMatchObject({
    htm: 'POST',
    htu: 'https://acme.okta.com/oauth2/v1/token',
    nonce: 'n-42',
  });
});

test('DPoP off: Okta asking for a proof is an error that says to change OKTA_OAUTH_DPOP', async () => {
  const http = new ScriptedEndpoint(() => ({
    kind: 'response',
    status: 400,
    headers: {},
    text: JSON.stringify({
      error: 'invalid_dpop_proof',
      error_description: 'The DPoP proof JWT header is missing.',
    }),
  }));
  const err = await source(http, new ManualClock(), 'off')
    .current()
    .catch((e: unknown) => e);
  expect((err as Error).message).toContain('OKTA_OAUTH_DPOP');
  expect(http.sent).toHaveLength(1);
});

test('a refused assertion with Okta’s clock far off is diagnosed as clock skew', async () => {
  const clock = new ManualClock();
  const http = new ScriptedEndpoint(() => ({
    kind: 'response',
    status: 401,
    headers: { date: new Date(clock.t + 10 * 60_000).toUTCString() },
    text: JSON.stringify({
      error: 'invalid_client',
      error_description: 'The client_assertion token is expired.',
    }),
  }));
  const err = await source(http, clock)
    .current()
    .catch((e: unknown) => e);
  expect(err).toMatchObject({
    name: ErrorType.OktaOAuthError,
    reason: 'clock_skew',
    retryable: false,
  });
  expect((err as Error).message).toMatch(/600 s ahead/);
  expect((err as Error).message).not.toContain(http.sent[0]!.form.get('client_assertion')!);
});

test('DPoP proofs: typ, public jwk, htm, htu without query, iat, unique jti, ath = SHA-256 of the token', async () => {
  const proofs = await DpopProofs.generate();
  const url = new URL('https://acme.okta.com/api/v1/users?limit=200&filter=x#frag');
  const a = await proofs.proof({ method: 'get', url, accessToken: 'tok-123' });
  const b = await proofs.proof({ method: 'GET', url, accessToken: 'tok-123' });
  const header = decodeProtectedHeader(a);
  expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
  expect(header.jwk).toBeDefined();
  expect((header.jwk as Record<string, unknown>).d).toBeUndefined();
  const { payload } = await jwtVerify(a, EmbeddedJWK, { typ: 'dpop+jwt' });
  expect(payload).toMatchObject({
    htm: 'GET',
    htu: 'https://acme.okta.com/api/v1/users',
    ath: createHash('sha256').update('tok-123').digest('base64url'),
  });
  expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
  expect(decodeJwt(b).jti).not.toBe(payload.jti);
  expect(await calculateJwkThumbprint(header.jwk!)).toBe(
    await calculateJwkThumbprint(proofs.publicJwk),
  );
});
