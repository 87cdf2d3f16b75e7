/**
 * Keys for trying OAuth against the simulator: generate a service app key pair (the private JWK
 * written to a file for the worker, the public one registered with the simulator, as one uploads
 * it to Okta), or read a public key a user already has.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * The public JWK of the private key in `file`, creating the file first (an RSA 2048 private JWK
 * with a `kid`, mode 0600) when it does not exist.
 */
export async function ensureClientKey(file: string): Promise<{ publicJwk: JWK; created: boolean }> {
  if (existsSync(file)) return { publicJwk: publicJwkFromFile(file), created: false };
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  await fs.writeFile(file, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' }, created: true };
}

/** The public JWK of a PEM (public or private) or JWK file; never echoes the file's content. */
export function publicJwkFromFile(file: string): JWK {
  const text = readFileSync(file, 'utf8').trim();
  try {
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as JWK;
      const pub = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      return { ...(pub.export({ format: 'jwk' }) as JWK), ...(jwk.kid ? { kid: jwk.kid } : {}) };
    }
    return createPublicKey(text).export({ format: 'jwk' }) as JWK;
  } catch {
    throw new Error(`${file} is not a PEM or JWK key (RSA or EC)`);
  }
}
