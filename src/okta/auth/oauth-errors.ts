/**
 * Failures of the OAuth token request, each saying what to fix. Never retried: a wrong client id,
 * key, scope or clock does not fix itself. Messages hold Okta's `error` and `error_description`
 * and our diagnosis — never the key, the assertion, a proof or a token.
 */
import { ErrorType, isTransientType } from '../../contract/error-table';
import { OktaApiError } from '../errors';

export type OAuthFailureReason =
  | 'unknown_client'
  | 'bad_key'
  | 'clock_skew'
  | 'invalid_scope'
  | 'dpop'
  | 'unauthorized_client'
  | 'other';

const ADVICE: Record<OAuthFailureReason, string> = {
  unknown_client:
    'Okta does not know this client: check OKTA_OAUTH_CLIENT_ID (the service app’s client id) and OKTA_ORG_URL.',
  bad_key:
    'Okta could not verify the client assertion with the app’s public keys: the private key in ' +
    'OKTA_OAUTH_PRIVATE_KEY_FILE does not match a public key uploaded to the app (or OKTA_OAUTH_KEY_ID names another key).',
  clock_skew:
    'The client assertion’s times were refused: this machine’s clock differs from Okta’s; synchronise it (NTP).',
  invalid_scope:
    'Okta refused the requested scopes: grant each of OKTA_OAUTH_SCOPES to the service app (Okta API Scopes tab), or remove it from OKTA_OAUTH_SCOPES.',
  dpop: 'Okta refused the DPoP proof; set OKTA_OAUTH_DPOP to match the app’s "Require DPoP" setting (or auto).',
  unauthorized_client:
    'The app may not use client credentials: it must be an API Services app with public key / private key client authentication.',
  other: 'See Okta’s error above.',
};

export class OktaOAuthError extends OktaApiError {
  override readonly name = ErrorType.OktaOAuthError;
  readonly kind = 'oauth' as const;
  readonly retryable = isTransientType(ErrorType.OktaOAuthError);
  readonly reason: OAuthFailureReason;
  /** Okta's OAuth `error` code (`invalid_client`, `invalid_scope`, …). */
  readonly oauthError: string | null;

  constructor(ctx: {
    path: string;
    status: number | null;
    reason: OAuthFailureReason;
    oauthError: string | null;
    description: string | null;
    detail?: string;
  }) {
    const said = [ctx.oauthError, ctx.description].filter((x): x is string => !!x).join(': ');
    super(
      `Okta OAuth token request failed (POST ${ctx.path}` +
        `${ctx.status === null ? '' : `, HTTP ${ctx.status}`}${said === '' ? '' : `, ${said}`}). ` +
        `${ADVICE[ctx.reason]}${ctx.detail === undefined ? '' : ` ${ctx.detail}`}`,
      {
        endpoint: `POST ${ctx.path}`,
        path: ctx.path,
        status: ctx.status,
        errorCode: ctx.oauthError,
        errorSummary: ctx.description,
      },
    );
    this.reason = ctx.reason;
    this.oauthError = ctx.oauthError;
  }
}
