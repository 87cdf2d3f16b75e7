/**
 * `okta-ocsf simulate --oauth-key-out`: generates a service app key the worker's configuration
 * accepts, registers its public half, prints the variables to use, and a token obtained with that
 * key (through the connector's own token source) reads the API with DPoP.
 */
import { promises as fs, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { parseOktaCredentials } from '../../../src/okta/auth/credentials';
import { OAuthTokenSource } from '../../../src/okta/auth/oauth-token-source';
import type { OktaSimulator } from '../../../src/simulator';
import { simulateCommand } from '../../../src/simulator/command';

jest.setTimeout(30_000);

test('--oauth-key-out writes a private JWK (0600), registers it, and the banner says how to use it', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-oauth-'));
  const keyFile = path.join(dir, 'key.json');
  const out: string[] = [];
  let stop: (r: string) => void = () => undefined;
  let listening!: (s: OktaSimulator) => void;
  const started = new Promise<OktaSimulator>((r) => (listening = r));
  const done = simulateCommand({
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
    waitForShutdown: () => new Promise((r) => (stop = r)),
    onListening: (s) => listening(s),
    setExitCode: () => undefined,
  }).parseAsync(
    ['--port', '0', '--users', '10', '--groups', '3', '--oauth-key-out', keyFile, '--oauth-dpop'],
    { from: 'user' },
  );
  const sim = await started;
  try {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const banner = out.join('');
    expect(banner).toContain(
      `OKTA_ORG_URL=${sim.url} OKTA_OAUTH_CLIENT_ID=sim-service-app OKTA_OAUTH_PRIVATE_KEY_FILE=${keyFile}`,
    );
    expect(banner).toContain('DPoP required');
    expect(banner).not.toContain(
      (JSON.parse(await fs.readFile(keyFile, 'utf8')) as { d: string }).d,
    );

    const parsed = parseOktaCredentials({
      OKTA_OAUTH_CLIENT_ID: 'sim-service-app',
      OKTA_OAUTH_PRIVATE_KEY_FILE: keyFile,
    });
    if (!parsed.ok || parsed.credentials.kind !== 'oauth') throw new Error(JSON.stringify(parsed));
    const c = parsed.credentials;
    expect(c.keyId).not.toBeNull();
    const token = await new OAuthTokenSource({
      orgUrl: new URL(sim.url),
      clientId: c.clientId,
      privateKey: c.privateKey,
      alg: c.alg,
      keyId: c.keyId,
      scopes: c.scopes,
      dpop: c.dpop,
    }).current();
    expect(token.type).toBe('DPoP');
  } finally {
    stop('SIGINT');
    await done;
    await fs.rm(dir, { recursive: true, force: true });
  }
});
