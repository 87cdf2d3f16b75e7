/**
 * How the worker authenticates to Okta, read from the environment: an SSWS API token, or an OAuth
 * 2.0 service app (client credentials with a private_key_jwt assertion, optionally DPoP-bound).
 * Exactly one of the two. The private key is parsed here, once, so a bad key file stops the
 * process at start-up (exit 2) naming the variable; it is then held as a KeyObject, which neither
 * JSON.stringify nor util.inspect reveals.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Scopes the connector asks for when OKTA_OAUTH_SCOPES is not set. */
export const DEFAULT_OAUTH_SCOPES: readonly string[] = [
  'okta.users.read',
  'okta.groups.read',
  'okta.roles.read',
  'okta.logs.read',
];

export type DpopMode = 'auto' | 'on' | 'off';

/** The JWS algorithms Okta accepts for private_key_jwt, by key type. */
export type AssertionAlg = 'RS256' | 'ES256' | 'ES384' | 'ES512';

export interface OAuthCredentials {
  kind: 'oauth';
  clientId: string;
  privateKey: KeyObject;
  alg: AssertionAlg;
  /** The `kid` header of the assertion; null sends none (Okta then tries every key of the app). */
  keyId: string | null;
  scopes: readonly string[];
  dpop: DpopMode;
}

export interface ApiTokenCredentials {
  kind: 'api_token';
  token: string;
}

export type OktaCredentials = ApiTokenCredentials | OAuthCredentials;

export type CredentialsResult =
  { ok: true; credentials: OktaCredentials } | { ok: false; errors: string[] };

const OAUTH_VARS = 'OKTA_OAUTH_CLIENT_ID and OKTA_OAUTH_PRIVATE_KEY_FILE';

/** Reads the environment's value of a variable, trimmed; null when unset or blank. */
type EnvLookup = (name: string) => string | null;

export function parseOktaCredentials(env: NodeJS.ProcessEnv): CredentialsResult {
  const set: EnvLookup = (name) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? null : v.trim();
  };
  const token = set('OKTA_API_TOKEN');
  const oauthAny =
    set('OKTA_OAUTH_CLIENT_ID') !== null || set('OKTA_OAUTH_PRIVATE_KEY_FILE') !== null;

  if (token !== null && oauthAny) {
    return {
      ok: false,
      errors: [
        `OKTA_API_TOKEN and OKTA_OAUTH_CLIENT_ID/OKTA_OAUTH_PRIVATE_KEY_FILE are both set: ` +
          `configure exactly one way to authenticate to Okta (an API token, or an OAuth service app)`,
      ],
    };
  }
  if (token === null && !oauthAny) {
    return {
      ok: false,
      errors: [
        `OKTA_API_TOKEN or ${OAUTH_VARS}: required, one of the two — an Okta API token ` +
          `(sent as "SSWS <token>"), or an OAuth 2.0 service app's client id and private key file`,
      ],
    };
  }
  if (token !== null) {
    if (/[\s\p{Cc}]/u.test(token)) {
      return {
        ok: false,
        errors: ['OKTA_API_TOKEN: must not contain whitespace or control characters'],
      };
    }
    return { ok: true, credentials: { kind: 'api_token', token } };
  }
  return parseOAuthCredentials(set, env);
}

/** The OKTA_OAUTH_* variables, every problem named at once. */
function parseOAuthCredentials(set: EnvLookup, env: NodeJS.ProcessEnv): CredentialsResult {
  const errors: string[] = [];
  const clientId = set('OKTA_OAUTH_CLIENT_ID');
  const keyFile = set('OKTA_OAUTH_PRIVATE_KEY_FILE');
  if (clientId === null) {
    errors.push(
      `OKTA_OAUTH_CLIENT_ID: required with OKTA_OAUTH_PRIVATE_KEY_FILE (the service app's client id)`,
    );
  } else if (!/^[\x21-\x7e]{1,255}$/.test(clientId)) {
    errors.push('OKTA_OAUTH_CLIENT_ID: expected the client id of the service app (visible ASCII)');
  }
  let key: { privateKey: KeyObject; alg: AssertionAlg; kid: string | null } | null = null;
  if (keyFile === null) {
    errors.push(
      'OKTA_OAUTH_PRIVATE_KEY_FILE: required with OKTA_OAUTH_CLIENT_ID (a PEM or JWK private key file)',
    );
  } else {
    const parsed = readPrivateKey(keyFile);
    if (typeof parsed === 'string') errors.push(`OKTA_OAUTH_PRIVATE_KEY_FILE: ${parsed}`);
    else key = parsed;
  }
  const keyIdVar = set('OKTA_OAUTH_KEY_ID');
  if (keyIdVar !== null && !/^[\x21-\x7e]{1,255}$/.test(keyIdVar)) {
    errors.push('OKTA_OAUTH_KEY_ID: expected the key id (kid) shown in Okta, visible ASCII');
  }
  const scopesVar = set('OKTA_OAUTH_SCOPES');
  const scopes = scopesVar === null ? [...DEFAULT_OAUTH_SCOPES] : scopesVar.split(/[\s,]+/);
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    errors.push(
      `OKTA_OAUTH_SCOPES: expected scope names separated by spaces, e.g. "${DEFAULT_OAUTH_SCOPES.join(' ')}"`,
    );
  }
  const dpopVar = (set('OKTA_OAUTH_DPOP') ?? 'auto').toLowerCase();
  if (dpopVar !== 'auto' && dpopVar !== 'on' && dpopVar !== 'off') {
    errors.push(`OKTA_OAUTH_DPOP: expected auto, on or off, got "${env.OKTA_OAUTH_DPOP ?? ''}"`);
  }
  if (errors.length > 0 || key === null || clientId === null) return { ok: false, errors };
  return {
    ok: true,
    credentials: {
      kind: 'oauth',
      clientId,
      privateKey: key.privateKey,
      alg: key.alg,
      keyId: keyIdVar ?? key.kid,
      scopes,
      dpop: dpopVar as DpopMode,
    },
  };
}

/**
 * A private key from a PEM (PKCS#8, PKCS#1 or SEC1) or JWK JSON file; an error message (never
 * quoting the file's content) when it is not one.
 */
export function readPrivateKey(
  file: string,
): { privateKey: KeyObject; alg: AssertionAlg; kid: string | null } | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`;
  }
  let privateKey: KeyObject;
  let kid: string | null = null;
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>;
      if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') {
        return `${file} is JSON but not a JWK (no "kty")`;
      }
      if (typeof jwk.d !== 'string') {
        return `${file} holds a public JWK; the connector needs the private key (upload the public one to Okta)`;
      }
      kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : null;
      privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    } else if (trimmed.includes('-----BEGIN')) {
      if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(trimmed)) {
        return `${file} holds a public key or certificate; the connector needs the private key`;
      }
      if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(trimmed)) {
        return `${file} is an encrypted PEM key; give an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt)`;
      }
      privateKey = createPrivateKey({ key: trimmed, format: 'pem' });
    } else {
      return `${file} is neither a PEM private key nor a JWK JSON file`;
    }
  } catch {
    return `${file} could not be parsed as a private key (expected PEM PKCS#8/PKCS#1/SEC1 or a private JWK)`;
  }
  const type = privateKey.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) return `${file} is an RSA key of ${bits} bits; Okta requires at least 2048`;
    return { privateKey, alg: 'RS256', kid };
  }
  if (type === 'ec') {
    const curve = privateKey.asymmetricKeyDetails?.namedCurve;
    const alg: AssertionAlg | null =
      curve === 'prime256v1' || curve === 'P-256'
        ? 'ES256'
        : curve === 'secp384r1' || curve === 'P-384'
          ? 'ES384'
          : curve === 'secp521r1' || curve === 'P-521'
            ? 'ES512'
            : null;
    if (alg === null)
      return `${file} is an EC key on curve ${curve ?? '?'}; Okta accepts P-256, P-384 and P-521`;
    return { privateKey, alg, kid };
  }
  return `${file} is a ${type ?? 'unknown'} key; Okta accepts RSA or EC (P-256, P-384, P-521) keys`;
}
