/**
 * OAuth 2.0 access tokens for an Okta service app: client credentials with a private_key_jwt
 * assertion, optionally DPoP-bound. One source per worker process:
 *
 * - the token is cached and renewed before it expires (a fifth of its lifetime early, at most
 *   five minutes; if the token endpoint fails transiently meanwhile, the current token serves
 *   until 5 s before its expiry), and dropped when Okta says it expired (`invalidate`);
 * - concurrent callers share one token request (single flight);
 * - DPoP: `on` always sends a proof, `off` never, `auto` starts without and switches when Okta
 *   asks for one (`invalid_dpop_proof` / `use_dpop_nonce`); a `use_dpop_nonce` answer is retried
 *   with the nonce from its `DPoP-Nonce` header.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

import { sleep, systemClock, type Clock } from '../clock';
import { OktaAbortedError, OktaRateLimitedError, OktaTransientError } from '../errors';
import { headerValues, type HeaderBag } from '../headers';
import type { OAuthCredentials } from './credentials';
import { DpopProofs } from './dpop';
import { OktaOAuthError, type OAuthFailureReason } from './oauth-errors';
import { axiosTokenHttp, type TokenHttp, type TokenHttpOutcome } from './token-http';

export interface AccessToken {
  value: string;
  type: 'Bearer' | 'DPoP';
  /** Local epoch ms. */
  expiresAtMs: number;
  /** When to renew it, before it expires. */
  renewAtMs: number;
}

/** The service app's configured credentials, and where and how to ask for tokens. */
export interface OAuthTokenSourceOptions extends Omit<OAuthCredentials, 'kind'> {
  orgUrl: URL;
  http?: TokenHttp;
  timeoutMs?: number;
  clock?: Clock;
  /** Supplies the DPoP key pair (tests); default a new ES256 pair per source. */
  dpopProofs?: () => Promise<DpopProofs>;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Lifetime of a client assertion; Okta accepts up to one hour. */
const ASSERTION_LIFETIME_S = 300;
const TRANSIENT_ATTEMPTS = 3;
/** Nonce and DPoP switches one token request may go through before it gives up. */
const MAX_DPOP_ROUNDS = 3;
/** Beyond this, a refused assertion is blamed on this machine's clock. */
const SKEW_TOLERANCE_MS = 60_000;

/** What one token request has been through. */
interface TokenTries {
  transient: number;
  dpopRounds: number;
}

export class OAuthTokenSource {
  readonly tokenUrl: URL;
  readonly #key: KeyObject;
  private readonly opts: OAuthTokenSourceOptions;
  private readonly http: TokenHttp;
  private readonly clock: Clock;
  #token: AccessToken | null = null;
  #pending: Promise<AccessToken> | null = null;
  #dpop: Promise<DpopProofs> | null = null;
  private useDpop: boolean;
  private tokenNonce: string | null = null;
  /** Token requests that returned a token (for metrics and tests). */
  issued = 0;

  constructor(opts: OAuthTokenSourceOptions) {
    this.opts = opts;
    this.#key = opts.privateKey;
    this.tokenUrl = new URL('/oauth2/v1/token', opts.orgUrl);
    this.http = opts.http ?? axiosTokenHttp(opts.timeoutMs ?? 30_000);
    this.clock = opts.clock ?? systemClock;
    this.useDpop = opts.dpop === 'on';
  }

  /** Whether tokens are DPoP-bound (after `auto` has learnt what Okta wants). */
  get dpopActive(): boolean {
    return this.useDpop;
  }

  /** The DPoP key pair of this process (created on first use). */
  dpopProofs(): Promise<DpopProofs> {
    this.#dpop ??= (this.opts.dpopProofs ?? DpopProofs.generate)();
    return this.#dpop;
  }

  /** A token valid for a while yet: the cached one, or a renewed one shared by every caller. */
  async current(signal?: AbortSignal): Promise<AccessToken> {
    const t = this.#token;
    if (t !== null && this.clock.now() < t.renewAtMs) return t;
    try {
      return await this.renew(signal);
    } catch (err) {
      // Renewing early is a precaution: while Okta's token endpoint has a passing failure, the
      // current token still serves until shortly before it expires.
      const usable = t !== null && this.#token === t && this.clock.now() < t.expiresAtMs - 5_000;
      if (usable && (err instanceof OktaTransientError || err instanceof OktaRateLimitedError)) {
        return t;
      }
      throw err;
    }
  }

  /** Okta refused `value` as expired: the next `current()` fetches a new one. */
  invalidate(value: string): void {
    if (this.#token?.value === value) this.#token = null;
  }

  private renew(signal?: AbortSignal): Promise<AccessToken> {
    this.#pending ??= this.request(signal)
      .then((t) => {
        this.#token = t;
        this.issued++;
        return t;
      })
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }

  private async assertion(): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    const header: { alg: string; kid?: string } = { alg: this.opts.alg };
    if (this.opts.keyId !== null) header.kid = this.opts.keyId;
    return new SignJWT({})
      .setProtectedHeader(header)
      .setIssuer(this.opts.clientId)
      .setSubject(this.opts.clientId)
      .setAudience(this.tokenUrl.toString())
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_LIFETIME_S)
      .setJti(randomUUID())
      .sign(this.#key);
  }

  private async request(signal?: AbortSignal): Promise<AccessToken> {
    const path = this.tokenUrl.pathname;
    const endpoint = `POST ${path}`;
    const tries: TokenTries = { transient: 0, dpopRounds: 0 };
    for (;;) {
      if (signal?.aborted) throw new OktaAbortedError({ endpoint, path, reason: signal.reason });
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: this.opts.scopes.join(' '),
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await this.assertion(),
      }).toString();
      const headers = await this.requestHeaders();
      const sentAt = this.clock.now();
      const res = await this.http.post(this.tokenUrl, form, headers, signal);
      if (res.kind === 'failure') {
        if (signal?.aborted) throw new OktaAbortedError({ endpoint, path, reason: signal.reason });
        tries.transient = await this.backoffOrThrow(
          tries.transient,
          new OktaTransientError({
            endpoint,
            path,
            reason: res.reason,
            code: res.code,
            detail: `token request: ${res.reason} ${res.code ?? ''}`.trim(),
          }),
          signal,
        );
        continue;
      }
      const token = await this.onResponse(res, sentAt, tries, signal);
      if (token !== null) return token;
    }
  }

  private async requestHeaders(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      'User-Agent': 'okta-ocsf',
    };
    if (this.useDpop) {
      const proofs = await this.dpopProofs();
      headers.DPoP = await proofs.proof(
        { method: 'POST', url: this.tokenUrl, nonce: this.tokenNonce },
        this.clock.now(),
      );
    }
    return headers;
  }

  /** The token of a response; null to send the request again; throws when that cannot help. */
  private async onResponse(
    res: Extract<TokenHttpOutcome, { kind: 'response' }>,
    sentAt: number,
    tries: TokenTries,
    signal: AbortSignal | undefined,
  ): Promise<AccessToken | null> {
    const path = this.tokenUrl.pathname;
    const endpoint = `POST ${path}`;
    const body = parseJson(res.text);
    if (res.status === 200) {
      const token = this.accept(body, sentAt);
      if (token !== null) return token;
      tries.transient = await this.backoffOrThrow(
        tries.transient,
        new OktaTransientError({
          endpoint,
          path,
          status: 200,
          reason: 'malformed_response',
          detail: 'the token response has no usable access_token',
        }),
        signal,
      );
      return null;
    }
    const error = str(body, 'error');
    const description = str(body, 'error_description');
    if (this.dpopRetry(error, res.headers, tries)) return null;
    if (res.status === 429) {
      const reset = Number(headerValues(res.headers, 'x-rate-limit-reset')[0]);
      throw new OktaRateLimitedError({
        endpoint,
        path,
        status: 429,
        resetAtMs: Number.isFinite(reset) ? reset * 1000 : this.clock.now() + 60_000,
        concurrency: false,
        bucket: 'oauth2-token',
      });
    }
    if (res.status >= 500) {
      tries.transient = await this.backoffOrThrow(
        tries.transient,
        new OktaTransientError({
          endpoint,
          path,
          status: res.status,
          reason: 'server_error',
          errorCode: error,
          errorSummary: description,
        }),
        signal,
      );
      return null;
    }
    throw this.failure(res.status, res.headers, error, description);
  }

  /** Whether Okta's DPoP answer is worth another request (with its nonce, or with DPoP on). */
  private dpopRetry(error: string | null, headers: HeaderBag, tries: TokenTries): boolean {
    if (
      (error !== 'use_dpop_nonce' && error !== 'invalid_dpop_proof') ||
      tries.dpopRounds >= MAX_DPOP_ROUNDS ||
      this.opts.dpop === 'off'
    ) {
      return false;
    }
    tries.dpopRounds++;
    const nonce = headerValues(headers, 'dpop-nonce')[0] ?? null;
    if (nonce !== null) this.tokenNonce = nonce;
    // `auto` learns here that the app requires DPoP; `on` only takes the nonce.
    if (!this.useDpop || error === 'use_dpop_nonce') {
      this.useDpop = true;
      return true;
    }
    return false;
  }

  private accept(body: unknown, sentAtMs: number): AccessToken | null {
    const value = str(body, 'access_token');
    if (value === null || !/^[\x21-\x7e]+$/.test(value)) return null;
    const type = (str(body, 'token_type') ?? 'Bearer').toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    if (type === 'DPoP') this.useDpop = true;
    const raw = isObject(body) ? Number(body.expires_in) : NaN;
    const lifetimeMs = (Number.isFinite(raw) && raw > 0 ? raw : 3600) * 1000;
    const expiresAtMs = sentAtMs + lifetimeMs;
    const renewAtMs = expiresAtMs - Math.min(300_000, lifetimeMs / 5);
    return { value, type, expiresAtMs, renewAtMs };
  }

  private async backoffOrThrow(
    failures: number,
    err: OktaTransientError,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const n = failures + 1;
    if (n >= TRANSIENT_ATTEMPTS) throw err;
    await sleep(this.clock, 500 * 2 ** (n - 1), signal, () => err);
    return n;
  }

  private failure(
    status: number,
    headers: HeaderBag,
    error: string | null,
    description: string | null,
  ): OktaOAuthError {
    const desc = description ?? '';
    const dateMs = Date.parse(headerValues(headers, 'date')[0] ?? '');
    const skewMs = Number.isFinite(dateMs) ? dateMs - this.clock.now() : 0;
    const skewed = Math.abs(skewMs) > SKEW_TOLERANCE_MS;
    let reason: OAuthFailureReason = 'other';
    let detail: string | undefined;
    if (error === 'invalid_client') {
      if (/signature/i.test(desc)) reason = 'bad_key';
      else if (skewed || /expired|issued|\biat\b|\bnbf\b|future|not yet valid/i.test(desc))
        reason = 'clock_skew';
      else if (/client_id|client id|not found|unknown/i.test(desc)) reason = 'unknown_client';
      else if (/aud/i.test(desc))
        detail = `The assertion's audience is ${this.tokenUrl.toString()}; check OKTA_ORG_URL.`;
      else if (/kid|key/i.test(desc)) reason = 'bad_key';
    } else if (error === 'invalid_scope') {
      reason = 'invalid_scope';
      detail = `Requested: ${this.opts.scopes.join(' ')}.`;
    } else if (error === 'invalid_dpop_proof' || error === 'use_dpop_nonce') {
      reason = 'dpop';
    } else if (error === 'unauthorized_client') {
      reason = 'unauthorized_client';
    }
    if (skewed) {
      const s = Math.round(Math.abs(skewMs) / 1000);
      detail =
        `${detail ?? ''} Okta's clock is ${s} s ${skewMs > 0 ? 'ahead of' : 'behind'} this machine's.`.trim();
    }
    return new OktaOAuthError({
      path: this.tokenUrl.pathname,
      status,
      reason,
      oauthError: error,
      description,
      detail,
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(body: unknown, key: string): string | null {
  return isObject(body) && typeof body[key] === 'string' ? body[key] : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
