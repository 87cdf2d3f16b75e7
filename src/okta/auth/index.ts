/** The authorizer of the worker's Okta client, from its configured credentials. */
import type { OktaCredentials } from './credentials';
import { ApiTokenAuthorizer, type RequestAuthorizer } from './authorizer';
import { OAuthAuthorizer } from './oauth-authorizer';
import { OAuthTokenSource } from './oauth-token-source';

export function authorizerFor(
  orgUrl: string,
  credentials: OktaCredentials,
  timeoutMs: number,
): RequestAuthorizer {
  if (credentials.kind === 'api_token') return new ApiTokenAuthorizer(credentials.token);
  return new OAuthAuthorizer(
    new OAuthTokenSource({
      orgUrl: new URL(orgUrl),
      clientId: credentials.clientId,
      privateKey: credentials.privateKey,
      alg: credentials.alg,
      keyId: credentials.keyId,
      scopes: credentials.scopes,
      dpop: credentials.dpop,
      timeoutMs,
    }),
  );
}
