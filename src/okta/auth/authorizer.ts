/**
 * What the Okta client asks of an authentication scheme, per request: the headers to send, and
 * what to do when Okta answers 401/400 about them. The client knows nothing of tokens, keys or
 * proofs beyond this.
 */
import type { HeaderBag } from '../headers';

export interface AuthorizeOptions {
  signal?: AbortSignal;
}

/** What the client saw when Okta refused a request's credentials. */
export interface RefusedRequest {
  status: number;
  headers: HeaderBag;
  /** The `Authorization` value that was refused (to renew only the token that failed). */
  sentAuthorization: string;
}

export interface RequestAuthorizer {
  /** `api_token` or `oauth`: how errors describe the credential. */
  readonly credential: 'api_token' | 'oauth';
  /** Headers for one request (`Authorization`, and `DPoP` for a DPoP-bound token). */
  authorize(method: string, url: URL, opts?: AuthorizeOptions): Promise<Record<string, string>>;
  /**
   * Okta refused the credentials of a request. True when sending it again may succeed (a renewed
   * token after "expired", a proof with the nonce Okta asked for); the client does so once.
   */
  onRefused(refused: RefusedRequest): Promise<boolean>;
}

/** `Authorization: SSWS <token>`; nothing to renew. */
export class ApiTokenAuthorizer implements RequestAuthorizer {
  readonly credential = 'api_token' as const;
  // An ES private field: kept out of JSON.stringify, util.inspect and error objects.
  readonly #header: string;

  constructor(token: string) {
    if (typeof token !== 'string' || token.trim() === '' || /[\s\p{Cc}]/u.test(token)) {
      throw new Error(
        'OktaClient option token must be a non-empty Okta API token without whitespace or control characters',
      );
    }
    this.#header = `SSWS ${token}`;
  }

  authorize(): Promise<Record<string, string>> {
    return Promise.resolve({ Authorization: this.#header });
  }

  onRefused(): Promise<boolean> {
    return Promise.resolve(false);
  }
}
