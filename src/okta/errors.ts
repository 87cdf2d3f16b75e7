/**
 * The typed errors of the Okta client.
 *
 * Every error the client throws is one of these classes, never an axios error: axios errors carry
 * the request configuration, including the `Authorization` header. Each class has a stable `name`
 * (which Temporal uses as the failure type) and `kind`, and says whether a later retry can help
 * (`retryable`, read from the error table, src/contract/error-table.ts). Messages and fields hold
 * only what Okta said about the failure, the method and path
 * (never the query, which may hold a filter with e-mail addresses) and our own diagnosis.
 */

import { ErrorType, isTransientType } from '../contract/error-table';
import { isRecord } from './records';

export type OktaErrorKind =
  | 'rate_limited'
  | 'transient'
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'unexpected_response'
  | 'unsafe_link'
  | 'aborted'
  | 'oauth';

/** The read scopes the connector needs as a whole (an OAuth service app must be granted them). */
export const REQUIRED_SCOPES: readonly string[] = [
  'okta.users.read',
  'okta.groups.read',
  'okta.roles.read',
];

/** What the client knows about the request that failed and Okta's error body, if any. */
export interface OktaErrorContext {
  /** The endpoint template, e.g. `GET /api/v1/users/{userId}/groups`. */
  endpoint: string;
  /** The request path without query, e.g. `/api/v1/users/00u1/groups`. */
  path: string;
  /** HTTP status, when a response arrived. */
  status?: number | null;
  /** Okta's `errorCode` (e.g. `E0000011`). */
  errorCode?: string | null;
  /** Okta's `errorSummary`. */
  errorSummary?: string | null;
  /** Okta's `errorId`, which Okta support can look up. */
  errorId?: string | null;
}

const MAX_SUMMARY = 300;

function clip(s: string | null | undefined): string | null {
  if (s === null || s === undefined || s === '') return null;
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SUMMARY ? `${flat.slice(0, MAX_SUMMARY)}…` : flat;
}

/** "HTTP 500 E0000009: Internal Server Error" from what is known. */
export function describeOktaResponse(ctx: OktaErrorContext): string {
  const parts: string[] = [];
  if (ctx.status !== null && ctx.status !== undefined) parts.push(`HTTP ${ctx.status}`);
  const code = clip(ctx.errorCode);
  const summary = clip(ctx.errorSummary);
  if (code !== null) parts.push(code);
  let s = parts.join(' ');
  if (summary !== null) s = s === '' ? summary : `${s}: ${summary}`;
  if (ctx.errorId !== null && ctx.errorId !== undefined && ctx.errorId !== '') {
    s += ` (errorId ${clip(ctx.errorId)})`;
  }
  return s;
}

/** Base class of every error thrown by the Okta client. */
export abstract class OktaApiError extends Error {
  abstract readonly kind: OktaErrorKind;
  /** Whether retrying later can succeed (a Temporal retry, after `retryDelayMs` if given). */
  abstract readonly retryable: boolean;
  readonly endpoint: string;
  readonly path: string;
  readonly status: number | null;
  readonly errorCode: string | null;
  readonly errorSummary: string | null;
  readonly errorId: string | null;

  protected constructor(message: string, ctx: OktaErrorContext) {
    super(message);
    this.endpoint = ctx.endpoint;
    this.path = ctx.path;
    this.status = ctx.status ?? null;
    this.errorCode = clip(ctx.errorCode);
    this.errorSummary = clip(ctx.errorSummary);
    this.errorId = clip(ctx.errorId);
  }
}

/**
 * Okta answered 429, or the client's own limiter would have had to wait past the caller's budget
 * for the bucket to reset (`proactive`). `resetAtMs` is on the LOCAL clock: Okta's
 * `X-Rate-Limit-Reset` corrected by the difference between its `Date` header and the local clock.
 */
export class OktaRateLimitedError extends OktaApiError {
  override readonly name = ErrorType.OktaRateLimitedError;
  readonly kind = 'rate_limited' as const;
  readonly retryable = isTransientType(ErrorType.OktaRateLimitedError);
  /** When the bucket is expected to have budget again, in local epoch milliseconds. */
  readonly resetAtMs: number;
  /** Okta's org-wide concurrency limit (429 with `X-Rate-Limit-Limit: 0`), not a window limit. */
  readonly concurrency: boolean;
  /** The rate-limit bucket the request counts against. */
  readonly bucket: string;
  /** True when no 429 was received: the limiter refused to wait longer than the caller allowed. */
  readonly proactive: boolean;

  constructor(
    ctx: OktaErrorContext & {
      resetAtMs: number;
      concurrency: boolean;
      bucket: string;
      proactive?: boolean;
      detail?: string;
    },
  ) {
    const what = ctx.concurrency
      ? 'Okta concurrent request limit reached'
      : ctx.proactive === true
        ? 'Okta rate limit budget exhausted'
        : 'Okta rate limit reached';
    const okta = describeOktaResponse(ctx);
    super(
      `${what} on ${ctx.endpoint.split(' ')[0]} ${ctx.path} (bucket ${ctx.bucket})` +
        `${okta === '' ? '' : ` [${okta}]`}; expected to reset at ` +
        `${new Date(ctx.resetAtMs).toISOString()}${ctx.detail === undefined ? '' : `; ${ctx.detail}`}`,
      ctx,
    );
    this.resetAtMs = ctx.resetAtMs;
    this.concurrency = ctx.concurrency;
    this.bucket = ctx.bucket;
    this.proactive = ctx.proactive === true;
  }

  /** How long to wait before retrying, from `nowMs` (local clock); never negative. */
  retryDelayMs(nowMs: number = Date.now()): number {
    return Math.max(0, this.resetAtMs - nowMs);
  }
}

export type TransientReason = 'server_error' | 'timeout' | 'network' | 'malformed_response';

/** A failure a retry may cure: HTTP 5xx, a timeout, a dropped connection, an unparseable body. */
export class OktaTransientError extends OktaApiError {
  override readonly name = ErrorType.OktaTransientError;
  readonly kind = 'transient' as const;
  readonly retryable = isTransientType(ErrorType.OktaTransientError);
  readonly reason: TransientReason;
  /** The system error code for network failures (`ECONNRESET`, `ETIMEDOUT`, …). */
  readonly code: string | null;

  constructor(
    ctx: OktaErrorContext & { reason: TransientReason; code?: string | null; detail?: string },
  ) {
    const okta = describeOktaResponse(ctx);
    const detail = ctx.detail ?? okta;
    const extra = ctx.detail !== undefined && okta !== '' ? ` [${okta}]` : '';
    super(
      `Okta ${ctx.endpoint.split(' ')[0]} ${ctx.path} failed transiently (${ctx.reason}): ${detail}${extra}`,
      ctx,
    );
    this.reason = ctx.reason;
    this.code = ctx.code ?? null;
  }
}

/** The `WWW-Authenticate` challenge of a 401/403, reduced to its diagnostic parameters. */
export interface AuthChallenge {
  error: string | null;
  errorDescription: string | null;
  scope: string | null;
}

/**
 * 401 or 403: the token is invalid, expired, or lacks permission. Never retried: the run must fail
 * fast with a message an operator can act on.
 */
export class OktaAuthError extends OktaApiError {
  override readonly name = ErrorType.OktaAuthError;
  readonly kind = 'auth' as const;
  readonly retryable = isTransientType(ErrorType.OktaAuthError);
  readonly challenge: AuthChallenge | null;
  /** Scopes the connector needs; the one Okta named first when it named one. */
  readonly requiredScopes: readonly string[];

  constructor(
    ctx: OktaErrorContext & {
      challenge?: AuthChallenge | null;
      /** What was sent: an SSWS API token (default) or an OAuth access token. */
      credential?: 'api_token' | 'oauth';
    },
  ) {
    const challenge = ctx.challenge ?? null;
    const okta = describeOktaResponse(ctx);
    const said: string[] = [];
    if (okta !== '') said.push(okta);
    if (challenge !== null && (challenge.error !== null || challenge.errorDescription !== null)) {
      const c = [challenge.error, clip(challenge.errorDescription)].filter((x) => x !== null);
      said.push(`WWW-Authenticate: ${c.join(': ')}`);
      if (challenge.scope !== null) said.push(`scope required by Okta: ${clip(challenge.scope)}`);
    }
    const named = challenge?.scope
      ? challenge.scope.split(/[\s,]+/).filter((s) => s.startsWith('okta.'))
      : [];
    const requiredScopes = [...new Set([...named, ...REQUIRED_SCOPES])];
    let verdict: string;
    let hint: string;
    if (ctx.credential === 'oauth') {
      const missing = challenge?.error === 'insufficient_scope' && named.length > 0;
      verdict = missing
        ? `The OAuth service app's access token lacks scope ${named.join(' ')}`
        : ctx.status === 401
          ? 'Okta rejected the OAuth access token'
          : 'Okta refused access with this OAuth access token';
      hint = missing
        ? `Grant ${named.join(' ')} to the service app (Admin Console: Applications > the app > ` +
          `Okta API Scopes) and include it in OKTA_OAUTH_SCOPES.`
        : ctx.status === 401
          ? 'Check that the service app is active and its token was issued by this org.'
          : "The service app's admin role lacks a permission (assign e.g. Read-only Administrator).";
    } else {
      verdict =
        ctx.status === 401
          ? 'Okta rejected the API token'
          : 'Okta refused access with this API token';
      hint =
        ctx.status === 401
          ? 'Check that the token is current (Okta revokes API tokens unused for 30 days) and was issued by this org.'
          : 'The token lacks a permission this connector needs.';
    }
    super(
      `${verdict} on ${ctx.endpoint.split(' ')[0]} ${ctx.path} (${said.join('; ')}). ${hint} ` +
        `The connector needs read access to users, groups and roles: OAuth scopes ` +
        `${requiredScopes.join(' ')} (factors are covered by okta.users.read); an SSWS API token ` +
        `acts with its creating admin's role, e.g. Read-Only Administrator.`,
      ctx,
    );
    this.challenge = challenge;
    this.requiredScopes = requiredScopes;
  }
}

/** 404: the user or group is gone (deleted between listing and enrichment), or a wrong path. */
export class OktaNotFoundError extends OktaApiError {
  override readonly name = ErrorType.OktaNotFoundError;
  readonly kind = 'not_found' as const;
  readonly retryable = isTransientType(ErrorType.OktaNotFoundError);

  constructor(ctx: OktaErrorContext) {
    const okta = describeOktaResponse(ctx);
    super(`Okta ${ctx.endpoint.split(' ')[0]} ${ctx.path}: not found [${okta}]`, ctx);
  }
}

/** 400: Okta rejected the request itself (e.g. an invalid `filter` or `search` expression). */
export class OktaBadRequestError extends OktaApiError {
  override readonly name = ErrorType.OktaBadRequestError;
  readonly kind = 'bad_request' as const;
  readonly retryable = isTransientType(ErrorType.OktaBadRequestError);
  /** The `errorSummary` of each of Okta's `errorCauses`. */
  readonly causes: readonly string[];

  constructor(ctx: OktaErrorContext & { causes?: readonly string[] }) {
    const okta = describeOktaResponse(ctx);
    const causes = (ctx.causes ?? []).map((c) => clip(c)).filter((c): c is string => c !== null);
    super(
      `Okta ${ctx.endpoint.split(' ')[0]} ${ctx.path}: bad request [${okta}]` +
        `${causes.length > 0 ? `; causes: ${causes.join('; ')}` : ''}`,
      ctx,
    );
    this.causes = causes;
  }
}

/** Any other status (3xx — redirects are never followed —, 405, 409, …): not retried. */
export class OktaUnexpectedResponseError extends OktaApiError {
  override readonly name = ErrorType.OktaUnexpectedResponseError;
  readonly kind = 'unexpected_response' as const;
  readonly retryable = isTransientType(ErrorType.OktaUnexpectedResponseError);

  constructor(ctx: OktaErrorContext & { detail: string }) {
    const okta = describeOktaResponse(ctx);
    super(
      `Okta ${ctx.endpoint.split(' ')[0]} ${ctx.path}: ${ctx.detail}${okta === '' ? '' : ` [${okta}]`}`,
      ctx,
    );
  }
}

/**
 * A paging link that the client refuses to follow: another origin than the org (the token would be
 * sent there), or another endpoint than the one being paged.
 */
export class OktaUnsafeLinkError extends OktaApiError {
  override readonly name = ErrorType.OktaUnsafeLinkError;
  readonly kind = 'unsafe_link' as const;
  readonly retryable = isTransientType(ErrorType.OktaUnsafeLinkError);

  constructor(ctx: OktaErrorContext & { detail: string }) {
    super(`Okta ${ctx.endpoint}: refusing to follow a paging link: ${ctx.detail}`, ctx);
  }
}

/** The caller's AbortSignal fired; `reason` is the signal's reason (e.g. Temporal's cancellation). */
export class OktaAbortedError extends OktaApiError {
  override readonly name = ErrorType.OktaAbortedError;
  readonly kind = 'aborted' as const;
  readonly retryable = isTransientType(ErrorType.OktaAbortedError);
  readonly reason: unknown;

  constructor(ctx: OktaErrorContext & { reason: unknown }) {
    super(`Okta ${ctx.endpoint.split(' ')[0]} ${ctx.path}: aborted by the caller`, ctx);
    this.reason = ctx.reason;
  }
}

export function isOktaApiError(e: unknown): e is OktaApiError {
  return e instanceof OktaApiError;
}

/** A 2xx body the client cannot use (not JSON, wrong shape): transient, since a retry may cure it. */
export function malformedResponse(
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

/** Okta's error body fields, tolerating any body (HTML from a proxy, nothing at all). */
export function oktaErrorBody(
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

/** The `errorSummary` of each of Okta's `errorCauses` in an error body. */
export function oktaErrorCauses(text: string): string[] {
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
