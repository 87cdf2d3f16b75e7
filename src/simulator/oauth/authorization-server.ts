/**
 * The simulator's OAuth 2.0 authorization server and resource-side token checks, as Okta's org
 * authorization server behaves for API service apps (Okta API facts, "Authentication"):
 *
 * - `POST /oauth2/v1/token`, client credentials with a private_key_jwt assertion verified against
 *   the client's registered public keys: signature, `iss` = `sub` = client id, `aud` = the token
 *   URL, `exp` (at most an hour ahead), a `jti` never seen before;
 * - scopes: every requested scope must be granted to the client; tokens carry them, and each API
 *   request needs the scope of its endpoint (endpoint-scopes.ts), else 403 `insufficient_scope`;
 * - DPoP (RFC 9449) for clients that require it: the token request needs a proof with the
 *   server's nonce (first answer: 400 `use_dpop_nonce` with `DPoP-Nonce`); the token is bound to
 *   the proof key's thumbprint (`cnf.jkt`); each API request needs `Authorization: DPoP` and a
 *   fresh proof (`htm`, `htu`, `ath`, `iat` within a minute, unused `jti`, same key).
 *
 * Access tokens are opaque and short-lived (lifetime configurable). Verification is jose's.
 */
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from 'jose';

import { PROOF_IAT_WINDOW_S, verifyDpopProof, type CheckedProof } from './dpop-verifier';

import { requiredScope } from './endpoint-scopes';

export const DEFAULT_GRANTED_SCOPES: readonly string[] = [
  'okta.users.read',
  'okta.groups.read',
  'okta.roles.read',
  'okta.logs.read',
];

export interface OAuthClientRegistration {
  clientId: string;
  /** Public JWKs of the client (a private JWK is reduced to its public part). */
  keys: JWK[];
  /** Scopes granted to the app; default the four read scopes. */
  scopes?: string[];
  /** The app requires DPoP-bound tokens (Okta's "Require DPoP header in token requests"). */
  dpop?: boolean;
}

export interface OAuthSimOptions {
  /** Access token lifetime; default 3600 (Okta's hour). */
  tokenLifetimeSeconds?: number;
  clients?: OAuthClientRegistration[];
}

export interface OAuthStats {
  tokensIssued: number;
  /** Refused token requests by OAuth `error`. */
  tokenErrors: Record<string, number>;
  /** Refused API requests by reason (`invalid_token`, `insufficient_scope`, `invalid_dpop_proof`). */
  resourceRefusals: Record<string, number>;
}

export interface SimHttpReply {
  status: number;
  /** A JSON body, or null for an empty body. */
  body: unknown;
  headers: Record<string, string>;
}

/** Why an API request was refused; the server renders Okta's body for it. */
export interface ResourceRefusal {
  status: 401 | 403;
  headers: Record<string, string>;
  /** Okta's error body for 401s; 403 insufficient_scope has an empty body. */
  oktaError: { code: string; summary: string } | null;
}

interface Client {
  clientId: string;
  keys: JWK[];
  scopes: Set<string>;
  dpop: boolean;
}

interface IssuedToken {
  clientId: string;
  scopes: Set<string>;
  expiresAtMs: number;
  jkt: string | null;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
const NONCE_ROTATION_MS = 5 * 60_000;
const MAX_LIFETIME_S = 86_400;

class TokenEndpointError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

export class SimAuthorizationServer {
  private readonly clients = new Map<string, Client>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** Used `jti`s (assertions and proofs) until they could no longer be accepted anyway. */
  private readonly seenJti = new Map<string, number>();
  private lifetimeS: number;
  private nonces: { current: string; previous: string | null; rotatedAtMs: number };
  private counters: OAuthStats = { tokensIssued: 0, tokenErrors: {}, resourceRefusals: {} };
  /** The latest assertions received and tokens issued, for tests that search for leaks. */
  private readonly seen = { assertions: [] as string[], tokens: [] as string[] };

  constructor(
    private readonly clock: () => number,
    options: OAuthSimOptions = {},
  ) {
    this.lifetimeS = validateLifetime(options.tokenLifetimeSeconds ?? 3600);
    this.nonces = { current: newNonce(), previous: null, rotatedAtMs: clock() };
    for (const c of options.clients ?? []) this.register(c);
  }

  register(reg: OAuthClientRegistration): void {
    if (typeof reg !== 'object' || reg === null) throw new TypeError('client must be an object');
    if (typeof reg.clientId !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(reg.clientId)) {
      throw new TypeError('clientId must be 1 to 255 visible ASCII characters');
    }
    if (!Array.isArray(reg.keys) || reg.keys.length === 0) {
      throw new TypeError('keys must be a non-empty array of public JWKs');
    }
    const keys = reg.keys.map((k, i) => publicPart(k, `keys[${i}]`));
    const scopes = reg.scopes ?? [...DEFAULT_GRANTED_SCOPES];
    if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || s === '')) {
      throw new TypeError('scopes must be an array of scope names');
    }
    if (reg.dpop !== undefined && typeof reg.dpop !== 'boolean') {
      throw new TypeError('dpop must be a boolean');
    }
    this.clients.set(reg.clientId, {
      clientId: reg.clientId,
      keys,
      scopes: new Set(scopes),
      dpop: reg.dpop === true,
    });
  }

  setTokenLifetime(seconds: number): void {
    this.lifetimeS = validateLifetime(seconds);
  }

  /** The last (up to 1000) client assertions received and access tokens issued. */
  credentialsSeen(): { assertions: string[]; tokens: string[] } {
    return { assertions: [...this.seen.assertions], tokens: [...this.seen.tokens] };
  }

  /** Every token issued so far expires now (as if Okta's clock had reached their `exp`). */
  expireTokens(): void {
    const now = this.clock();
    for (const t of this.tokens.values()) t.expiresAtMs = Math.min(t.expiresAtMs, now);
  }

  get tokenLifetimeSeconds(): number {
    return this.lifetimeS;
  }

  stats(): OAuthStats {
    return {
      tokensIssued: this.counters.tokensIssued,
      tokenErrors: { ...this.counters.tokenErrors },
      resourceRefusals: { ...this.counters.resourceRefusals },
    };
  }

  resetStats(): void {
    this.counters = { tokensIssued: 0, tokenErrors: {}, resourceRefusals: {} };
  }

  // ---- the token endpoint ------------------------------------------------------------------

  /** `POST /oauth2/v1/token`; `tokenUrl` is the URL the client reached it at (the `aud`). */
  async token(
    form: URLSearchParams,
    dpopProof: string | undefined,
    tokenUrl: string,
  ): Promise<SimHttpReply> {
    try {
      const issued = await this.issue(form, dpopProof, tokenUrl);
      this.counters.tokensIssued++;
      return {
        status: 200,
        body: issued,
        headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      };
    } catch (err) {
      if (!(err instanceof TokenEndpointError)) throw err;
      this.counters.tokenErrors[err.error] = (this.counters.tokenErrors[err.error] ?? 0) + 1;
      return {
        status: err.status,
        body: { error: err.error, error_description: err.description },
        headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache', ...err.headers },
      };
    }
  }

  private async issue(
    form: URLSearchParams,
    dpopProof: string | undefined,
    tokenUrl: string,
  ): Promise<Record<string, unknown>> {
    // One error per request, the first that applies: grant type, client authentication, scopes, DPoP.
    const assertion = clientAssertion(form);
    remember(this.seen.assertions, assertion);
    const now = this.clock();
    const client = await this.authenticate(assertion, form.get('client_id'), tokenUrl, now);
    const requested = grantedScopes(form, client);
    const jkt = await this.proofKey(client, dpopProof, tokenUrl);
    const value = randomBytes(32).toString('base64url');
    this.pruneTokens(now);
    remember(this.seen.tokens, value);
    this.tokens.set(value, {
      clientId: client.clientId,
      scopes: new Set(requested),
      expiresAtMs: now + this.lifetimeS * 1000,
      jkt,
    });
    return {
      token_type: jkt === null ? 'Bearer' : 'DPoP',
      expires_in: this.lifetimeS,
      access_token: value,
      scope: requested.join(' '),
    };
  }

  /** private_key_jwt: the assertion is signed by a registered key, fresh, and used once. */
  private async authenticate(
    assertion: string,
    formClientId: string | null,
    tokenUrl: string,
    now: number,
  ): Promise<Client> {
    const client = this.clientOf(assertion, formClientId);
    const nowS = Math.floor(now / 1000);
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(assertion, createLocalJWKSet({ keys: client.keys }), {
        issuer: client.clientId,
        subject: client.clientId,
        audience: tokenUrl,
        algorithms: ASSERTION_ALGS,
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(now),
      }));
    } catch (err) {
      throw new TokenEndpointError(401, 'invalid_client', assertionFailure(err));
    }
    if ((claims.exp ?? 0) > nowS + 3600) {
      throw new TokenEndpointError(
        401,
        'invalid_client',
        'The client_assertion token has an expiration too far into the future.',
      );
    }
    if (claims.iat !== undefined && claims.iat > nowS + PROOF_IAT_WINDOW_S) {
      throw new TokenEndpointError(
        401,
        'invalid_client',
        'The client_assertion token was issued in the future.',
      );
    }
    if (!this.firstUse(`assertion:${client.clientId}:${claims.jti}`, (claims.exp ?? nowS) * 1000)) {
      throw new TokenEndpointError(
        401,
        'invalid_client',
        'The client_assertion token has already been used.',
      );
    }
    return client;
  }

  /** The `jkt` the token is bound to, or null for a Bearer token (refused to a DPoP app). */
  private async proofKey(
    client: Client,
    dpopProof: string | undefined,
    tokenUrl: string,
  ): Promise<string | null> {
    if (dpopProof !== undefined) return this.tokenProof(dpopProof, tokenUrl);
    if (client.dpop) {
      throw new TokenEndpointError(
        400,
        'invalid_dpop_proof',
        'The DPoP proof JWT header is missing.',
      );
    }
    return null;
  }

  private clientOf(assertion: string, formClientId: string | null): Client {
    let iss: unknown;
    try {
      iss = decodeJwt(assertion).iss;
    } catch {
      throw new TokenEndpointError(
        401,
        'invalid_client',
        'The client_assertion is not a valid JWT.',
      );
    }
    const clientId = typeof iss === 'string' ? iss : formClientId;
    const client = clientId === null ? undefined : this.clients.get(clientId);
    if (client === undefined) {
      throw new TokenEndpointError(
        401,
        'invalid_client',
        "Invalid value for 'client_id' parameter.",
      );
    }
    return client;
  }

  /** Checks the token request's DPoP proof (with the current nonce); returns its key's `jkt`. */
  private async tokenProof(proof: string, tokenUrl: string): Promise<string> {
    const checked = await this.verifyProof(proof, 'POST', tokenUrl, null);
    if (typeof checked === 'string') {
      throw new TokenEndpointError(400, 'invalid_dpop_proof', checked);
    }
    this.rotateNonce();
    const nonce = checked.nonce;
    if (nonce !== this.nonces.current && (nonce === null || nonce !== this.nonces.previous)) {
      throw new TokenEndpointError(
        400,
        'use_dpop_nonce',
        'Authorization server requires nonce in DPoP proof.',
        { 'DPoP-Nonce': this.nonces.current },
      );
    }
    if (!this.firstUse(`proof:${checked.jti}`, (checked.iat + PROOF_IAT_WINDOW_S) * 1000)) {
      throw new TokenEndpointError(
        400,
        'invalid_dpop_proof',
        'The DPoP proof jti has already been used.',
      );
    }
    return checked.jkt;
  }

  // ---- API requests ------------------------------------------------------------------------

  /**
   * Checks `Authorization: Bearer|DPoP <token>` of an API request: null when it may proceed, the
   * refusal otherwise. `htu` is the request URL as the client reached it, without query.
   */
  async checkResource(
    authorization: string,
    dpopProof: string | undefined,
    method: string,
    htu: string,
    path: string,
  ): Promise<ResourceRefusal | null> {
    const m = /^(Bearer|DPoP) ([\x21-\x7e]+)$/.exec(authorization.trim());
    if (m === null) return this.invalidToken('Bearer', 'The access token is invalid.');
    const scheme = m[1] as 'Bearer' | 'DPoP';
    const value = m[2];
    const token = this.tokens.get(value);
    const now = this.clock();
    if (token === undefined) return this.invalidToken(scheme, 'The access token is invalid.');
    if (now >= token.expiresAtMs) return this.invalidToken(scheme, 'The token has expired.');
    if (token.jkt !== null) {
      if (scheme !== 'DPoP') {
        return this.invalidToken(
          'DPoP',
          'The access token is DPoP-bound; send it with the DPoP scheme and a proof.',
        );
      }
      const failure = await this.resourceProof(dpopProof, method, htu, value, token.jkt);
      if (failure !== null) {
        this.refused('invalid_dpop_proof');
        return {
          status: 401,
          headers: {
            'WWW-Authenticate': `DPoP error="invalid_dpop_proof", error_description="${failure}"`,
          },
          oktaError: { code: 'E0000011', summary: 'Invalid token provided' },
        };
      }
    } else if (scheme === 'DPoP') {
      return this.invalidToken(
        'Bearer',
        'The access token is not DPoP-bound; send it as a Bearer token.',
      );
    }
    const scope = requiredScope(method, path);
    if (scope !== null && !token.scopes.has(scope)) {
      this.refused('insufficient_scope');
      return {
        status: 403,
        headers: {
          'WWW-Authenticate':
            `${scheme} authorization_uri="${new URL(htu).origin}/oauth2/v1/authorize", realm="IdpMyAccountAPI", ` +
            `scope="${scope}", error="insufficient_scope", ` +
            `error_description="The access token provided does not contain the required scopes.", resource="${path}"`,
        },
        oktaError: null,
      };
    }
    return null;
  }

  private async resourceProof(
    proof: string | undefined,
    method: string,
    htu: string,
    token: string,
    jkt: string,
  ): Promise<string | null> {
    if (proof === undefined) return 'The DPoP proof JWT header is missing.';
    const checked = await this.verifyProof(proof, method, htu, token);
    if (typeof checked === 'string') return checked;
    if (checked.jkt !== jkt)
      return 'The DPoP proof key does not match the key the token is bound to.';
    if (!this.firstUse(`proof:${checked.jti}`, (checked.iat + PROOF_IAT_WINDOW_S) * 1000)) {
      return 'The DPoP proof jti has already been used.';
    }
    return null;
  }

  private verifyProof(
    proof: string,
    method: string,
    htu: string,
    token: string | null,
  ): Promise<CheckedProof | string> {
    return verifyDpopProof(proof, { method, htu, accessToken: token, nowMs: this.clock() });
  }

  private invalidToken(scheme: 'Bearer' | 'DPoP', description: string): ResourceRefusal {
    this.refused('invalid_token');
    return {
      status: 401,
      headers: {
        'WWW-Authenticate': `${scheme} realm="IdpMyAccountAPI", error="invalid_token", error_description="${description}"`,
      },
      oktaError: { code: 'E0000011', summary: 'Invalid token provided' },
    };
  }

  private refused(reason: string): void {
    this.counters.resourceRefusals[reason] = (this.counters.resourceRefusals[reason] ?? 0) + 1;
  }

  private firstUse(key: string, keepUntilMs: number): boolean {
    const now = this.clock();
    if (this.seenJti.size > 50_000) {
      for (const [k, until] of this.seenJti) if (until < now) this.seenJti.delete(k);
    }
    const until = this.seenJti.get(key);
    if (until !== undefined && until >= now) return false;
    this.seenJti.set(key, Math.max(keepUntilMs, now + 1000));
    return true;
  }

  private pruneTokens(now: number): void {
    if (this.tokens.size < 10_000) return;
    for (const [k, t] of this.tokens) if (t.expiresAtMs <= now) this.tokens.delete(k);
  }

  private rotateNonce(): void {
    const now = this.clock();
    if (now - this.nonces.rotatedAtMs < NONCE_ROTATION_MS) return;
    this.nonces = { current: newNonce(), previous: this.nonces.current, rotatedAtMs: now };
  }
}

function remember(list: string[], value: string): void {
  list.push(value);
  if (list.length > 1000) list.shift();
}

function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

function validateLifetime(s: unknown): number {
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > MAX_LIFETIME_S) {
    throw new RangeError(`tokenLifetimeSeconds must be an integer from 1 to ${MAX_LIFETIME_S}`);
  }
  return s;
}

/** The public members of a JWK (RSA or EC); refuses symmetric keys. */
function publicPart(jwk: unknown, name: string): JWK {
  if (typeof jwk !== 'object' || jwk === null) throw new TypeError(`${name} must be a JWK object`);
  const k = jwk as JWK;
  if (k.kty === 'RSA' && typeof k.n === 'string' && typeof k.e === 'string') {
    return { kty: 'RSA', n: k.n, e: k.e, ...(k.kid ? { kid: k.kid } : {}) };
  }
  if (
    k.kty === 'EC' &&
    typeof k.crv === 'string' &&
    typeof k.x === 'string' &&
    typeof k.y === 'string'
  ) {
    return { kty: 'EC', crv: k.crv, x: k.x, y: k.y, ...(k.kid ? { kid: k.kid } : {}) };
  }
  throw new TypeError(`${name} must be an RSA or EC JWK`);
}

/** Okta's `error_description` for an assertion jose refused. */
function assertionFailure(err: unknown): string {
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
  const claim =
    typeof err === 'object' && err !== null ? (err as { claim?: string }).claim : undefined;
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'The client_assertion signature is invalid.';
    case 'ERR_JWT_EXPIRED':
      return 'The client_assertion token is expired.';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The client_assertion algorithm is not allowed.';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'aud') return 'The audience [aud] claim in client_assertion is invalid.';
      if (claim === 'nbf') return 'The client_assertion token is not yet valid (nbf).';
      if (claim === 'iss' || claim === 'sub')
        return 'The issuer [iss] and subject [sub] claims in client_assertion must be the client_id.';
      return `The client_assertion ${claim ?? ''} claim is invalid.`.replace('  ', ' ');
    default:
      return 'The client_assertion is invalid.';
  }
}

/** The client_credentials grant's client assertion; Okta's errors for anything else. */
function clientAssertion(form: URLSearchParams): string {
  if (form.get('grant_type') !== 'client_credentials') {
    throw new TokenEndpointError(
      400,
      'unsupported_grant_type',
      'The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].',
    );
  }
  const assertion = form.get('client_assertion');
  if (form.get('client_assertion_type') !== ASSERTION_TYPE || assertion === null) {
    throw new TokenEndpointError(
      401,
      'invalid_client',
      'Client authentication failed: a private_key_jwt client_assertion is required.',
    );
  }
  return assertion;
}

/** The requested scopes, all of which the client must have been granted (no default scopes). */
function grantedScopes(form: URLSearchParams, client: Client): string[] {
  const requested = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
  if (requested.length === 0) {
    throw new TokenEndpointError(
      400,
      'invalid_scope',
      "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
    );
  }
  const notGranted = requested.filter((s) => !client.scopes.has(s));
  if (notGranted.length > 0) {
    throw new TokenEndpointError(
      400,
      'invalid_scope',
      `The following scopes are not allowed: ${notGranted.join(' ')}`,
    );
  }
  return requested;
}
