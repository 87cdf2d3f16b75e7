/**
 * The checks of one DPoP proof (RFC 9449 §4.3), as Okta makes them: a `dpop+jwt` signed by the
 * public key it embeds, `htm` and `htu` of the request, `iat` within a minute, a `jti`, and, with
 * an access token, `ath` = base64url(SHA-256(token)). Replay (`jti`), nonce and key binding are
 * the caller's, which keeps the state. Verification is jose's.
 */
import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose';

export const PROOF_IAT_WINDOW_S = 60;
const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'PS256'];

export interface CheckedProof {
  /** Thumbprint of the proof's key (RFC 7638), what a bound token's `cnf.jkt` holds. */
  jkt: string;
  jti: string;
  iat: number;
  nonce: string | null;
}

/** The proof's facts, or the `error_description` saying why it is refused. */
export async function verifyDpopProof(
  proof: string,
  expected: { method: string; htu: string; accessToken: string | null; nowMs: number },
): Promise<CheckedProof | string> {
  let header;
  let claims;
  try {
    header = decodeProtectedHeader(proof);
    ({ payload: claims } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: DPOP_ALGS,
      currentDate: new Date(expected.nowMs),
    }));
  } catch {
    return 'The DPoP proof JWT is invalid (signature, typ or embedded jwk).';
  }
  if (header.jwk === undefined) return 'The DPoP proof has no jwk header.';
  if (claims.htm !== expected.method)
    return `The DPoP proof htm does not match the request method ${expected.method}.`;
  if (claims.htu !== expected.htu) return 'The DPoP proof htu does not match the request URL.';
  const nowS = Math.floor(expected.nowMs / 1000);
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - nowS) > PROOF_IAT_WINDOW_S) {
    return 'The DPoP proof iat is outside the accepted window.';
  }
  if (typeof claims.jti !== 'string' || claims.jti === '') return 'The DPoP proof has no jti.';
  if (expected.accessToken !== null) {
    const ath = createHash('sha256').update(expected.accessToken, 'ascii').digest('base64url');
    if (claims.ath !== ath) return 'The DPoP proof ath does not match the access token.';
  }
  return {
    jkt: await calculateJwkThumbprint(header.jwk),
    jti: claims.jti,
    iat: claims.iat,
    nonce: typeof claims.nonce === 'string' ? claims.nonce : null,
  };
}
