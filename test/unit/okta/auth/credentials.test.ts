/**
 * Reading the Okta credentials from the environment: exactly one of an API token or an OAuth
 * service app; private keys in each accepted form, each refused one with a message naming the
 * variable and never quoting the key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  DEFAULT_OAUTH_SCOPES,
  parseOktaCredentials,
  type OAuthCredentials,
} from '../../../../src/okta/auth/credentials';

const dir = mkdtempSync(path.join(os.tmpdir(), 'okta-creds-'));
function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });

function oauth(keyFile: string, extra: NodeJS.ProcessEnv = {}): OAuthCredentials {
  const r = parseOktaCredentials({
    OKTA_OAUTH_CLIENT_ID: '0oa1',
    OKTA_OAUTH_PRIVATE_KEY_FILE: keyFile,
    ...extra,
  });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  if (r.credentials.kind !== 'oauth') throw new Error('not oauth');
  return r.credentials;
}
function errors(env: NodeJS.ProcessEnv): string[] {
  const r = parseOktaCredentials(env);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

test('an API token alone', () => {
  expect(parseOktaCredentials({ OKTA_API_TOKEN: ' abc ' })).toEqual({
    ok: true,
    credentials: { kind: 'api_token', token: 'abc' },
  });
});

test('PEM PKCS#8 and PKCS#1 RSA, SEC1 and JWK EC keys; algorithm from the key; defaults', () => {
  const pkcs8 = file(
    'rsa8.pem',
    rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const pkcs1 = file(
    'rsa1.pem',
    rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  );
  const sec1 = file('ec.pem', ec384.privateKey.export({ type: 'sec1', format: 'pem' }).toString());
  const jwk = file(
    'ec.json',
    JSON.stringify({ ...ec384.privateKey.export({ format: 'jwk' }), kid: 'from-jwk' }),
  );
  expect(oauth(pkcs8)).toMatchObject({
    alg: 'RS256',
    keyId: null,
    scopes: DEFAULT_OAUTH_SCOPES,
    dpop: 'auto',
  });
  expect(oauth(pkcs1).alg).toBe('RS256');
  expect(oauth(sec1).alg).toBe('ES384');
  expect(oauth(jwk)).toMatchObject({ alg: 'ES384', keyId: 'from-jwk' });
  expect(oauth(jwk, { OKTA_OAUTH_KEY_ID: 'explicit' }).keyId).toBe('explicit');
  expect(
    oauth(pkcs8, { OKTA_OAUTH_SCOPES: 'okta.users.read  okta.groups.read', OKTA_OAUTH_DPOP: 'ON' }),
  ).toMatchObject({ scopes: ['okta.users.read', 'okta.groups.read'], dpop: 'on' });
  // The key never shows through serialisation of the configuration.
  expect(JSON.stringify(oauth(pkcs8))).not.toContain('BEGIN');
});

test('refused keys name the variable and never quote the file', () => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const cases: [string, RegExp][] = [
    [
      file('pub.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      /public key/,
    ],
    [file('pub.json', JSON.stringify(rsa.publicKey.export({ format: 'jwk' }))), /public JWK/],
    [
      file('small.pem', small.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      /1024 bits/,
    ],
    [
      file(
        'enc.pem',
        rsa.privateKey
          .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
          .toString(),
      ),
      /encrypted/,
    ],
    [file('junk.txt', 'not a key at all'), /neither a PEM private key nor a JWK/],
    [
      file(
        'ed.pem',
        generateKeyPairSync('ed25519')
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      ),
      /ed25519/,
    ],
    [path.join(dir, 'missing.pem'), /ENOENT/],
  ];
  for (const [f, why] of cases) {
    const errs = errors({ OKTA_OAUTH_CLIENT_ID: '0oa1', OKTA_OAUTH_PRIVATE_KEY_FILE: f });
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^OKTA_OAUTH_PRIVATE_KEY_FILE: /);
    expect(errs[0]).toMatch(why);
    expect(errs[0]).not.toMatch(/MII|"d"/);
  }
});
