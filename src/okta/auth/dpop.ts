/**
 * DPoP proofs (RFC 9449) as Okta checks them: one key pair per worker process, a fresh proof per
 * request — header `typ: dpop+jwt`, the public `jwk`; claims `htm`, `htu` (no query, no
 * fragment), `iat`, a unique `jti`, `nonce` when the server gave one, and `ath` (base64url
 * SHA-256 of the access token) on resource requests. Signing is jose's.
 */
import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface ProofRequest {
  method: string;
  url: URL;
  /** The access token the proof accompanies (resource requests); sets `ath`. */
  accessToken?: string;
  nonce?: string | null;
}

export class DpopProofs {
  readonly #privateKey: KeyObject;
  readonly publicJwk: JWK;

  private constructor(privateKey: KeyObject, publicJwk: JWK) {
    this.#privateKey = privateKey;
    this.publicJwk = publicJwk;
  }

  /** A new ES256 key pair, never written anywhere. */
  static async generate(): Promise<DpopProofs> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    return new DpopProofs(privateKey as KeyObject, {
      kty: jwk.kty,
      crv: jwk.crv,
      x: jwk.x,
      y: jwk.y,
    });
  }

  async proof(req: ProofRequest, nowMs: number = Date.now()): Promise<string> {
    const claims: Record<string, string> = { htm: req.method.toUpperCase(), htu: htu(req.url) };
    if (req.accessToken !== undefined) claims.ath = accessTokenHash(req.accessToken);
    if (req.nonce) claims.nonce = req.nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: this.publicJwk })
      .setIssuedAt(Math.floor(nowMs / 1000))
      .setJti(randomUUID())
      .sign(this.#privateKey);
  }
}

/** The `htu` of a request: its URL without query and fragment. */
export function htu(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** `ath`: base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}
