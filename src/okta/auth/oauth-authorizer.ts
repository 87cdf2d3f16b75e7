/**
 * Per-request credentials from an OAuth token source: `Authorization: Bearer <token>`, or
 * `Authorization: DPoP <token>` with a fresh proof bound to the request and the token.
 */
import { authChallengeParams } from './www-authenticate';
import { headerValues } from '../headers';
import type { AuthorizeOptions, RefusedRequest, RequestAuthorizer } from './authorizer';
import type { OAuthTokenSource } from './oauth-token-source';

export class OAuthAuthorizer implements RequestAuthorizer {
  readonly credential = 'oauth' as const;
  /** A nonce the resource server asked for (RFC 9449 §9), sent in later proofs. */
  private resourceNonce: string | null = null;

  constructor(private readonly source: OAuthTokenSource) {}

  async authorize(
    method: string,
    url: URL,
    opts: AuthorizeOptions = {},
  ): Promise<Record<string, string>> {
    const token = await this.source.current(opts.signal);
    if (token.type === 'Bearer') return { Authorization: `Bearer ${token.value}` };
    const proofs = await this.source.dpopProofs();
    return {
      Authorization: `DPoP ${token.value}`,
      DPoP: await proofs.proof({
        method,
        url,
        accessToken: token.value,
        nonce: this.resourceNonce,
      }),
    };
  }

  onRefused(refused: RefusedRequest): Promise<boolean> {
    const challenge = authChallengeParams(refused.headers);
    const error = challenge.error ?? '';
    if (error === 'use_dpop_nonce') {
      const nonce = headerValues(refused.headers, 'dpop-nonce')[0];
      if (nonce === undefined) return Promise.resolve(false);
      this.resourceNonce = nonce;
      return Promise.resolve(true);
    }
    if (
      refused.status === 401 &&
      error === 'invalid_token' &&
      /expired/i.test(challenge.description ?? '')
    ) {
      const sent = refused.sentAuthorization.replace(/^(Bearer|DPoP) /, '');
      this.source.invalidate(sent);
      return Promise.resolve(true);
    }
    return Promise.resolve(false);
  }
}
