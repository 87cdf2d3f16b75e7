/**
 * Issue 14: OAuth 2.0 service apps (private_key_jwt client credentials, scoped tokens, DPoP)
 * against the simulator's authorization server, on the real Temporal dev server.
 *
 * - A full sync with an OAuth Bearer token, and with DPoP, delivers what a sync with an API token
 *   delivers (each event equal to the mapping of the tenant's data, mapping rules U1…/A1…/R1…).
 * - Tokens living two seconds are renewed during the sync: several tokens, no fallback, no
 *   failed page. This runs as operators run it (`okta-ocsf worker` child process, CLI), and then
 *   every history, log and CLI output is searched for the key, the assertions and the tokens.
 * - A missing scope and a wrong key fail the sync fast, saying so.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { JWK } from 'jose';

import type { SyncSummary } from '../../src/cli/sync-runner';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { OktaSimulator } from '../../src/simulator';
import { syncWorkflowId } from '../../src/sync/naming';
import { capturedWorker, type CapturedWorker } from '../support/captured-process';
import { GENEROUS_LIMITS } from '../support/fault-harness';
import { historyHaystacks, syncRunsOf, whereFound, type Haystack } from '../support/history-search';
import { runCli, type CliResult } from '../support/run-cli';
import {
  CLI,
  inProcessWorker,
  readEvents,
  tempDir,
  temporalClient,
  testEnv,
  waitExit,
  type TestEnv,
} from '../support/sync-harness';
import { expectTenantOutput, runFullSync } from '../support/tenant-output';
import { signalGroup, stopWorker } from '../support/worker-process';

jest.setTimeout(240_000);

/** As in auth-failures.test.ts: a refused sync must stop on the first refusal, not retry. */
const FAIL_FAST_BOUND_MS = 30_000;
const API_TOKEN = 'oauth-test-api-token';

interface AppKey {
  privateKey: KeyObject;
  publicJwk: JWK;
  /** The private key file the worker reads (PEM or JWK). */
  file: string;
  /** Distinctive parts of the private key, which must appear nowhere. */
  secretParts: string[];
}

let dir: string;
let sim: OktaSimulator;

async function appKey(name: string, kind: 'rsa-pem' | 'ec-jwk'): Promise<AppKey> {
  const pair =
    kind === 'rsa-pem'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
  const file = path.join(dir, `${name}.${kind === 'rsa-pem' ? 'pem' : 'json'}`);
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await fs.writeFile(file, kind === 'rsa-pem' ? pem : JSON.stringify({ ...privateJwk, kid: name }));
  const pemLines = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return {
    privateKey: pair.privateKey,
    publicJwk: { ...publicJwk, kid: name },
    file,
    secretParts: [privateJwk.d!, ...pemLines.slice(1, 3)],
  };
}

/** The environment of a worker authenticating as `clientId` with `key` (no API token). */
async function oauthEnv(
  clientId: string,
  key: AppKey,
  extra: NodeJS.ProcessEnv = {},
  orgUrl: string = sim.url,
): Promise<TestEnv> {
  const t = await testEnv(orgUrl, 'unused', {
    OKTA_API_TOKEN: undefined,
    OKTA_OAUTH_CLIENT_ID: clientId,
    OKTA_OAUTH_PRIVATE_KEY_FILE: key.file,
    ...extra,
  });
  delete t.env.OKTA_API_TOKEN;
  return t;
}

/** Same events for the same users, whatever the observation times. */
function byUid(events: readonly UserInventoryInfo[]): Map<string, unknown> {
  return new Map(events.map((e) => [e.user.uid, { ...e, time: 0 }]));
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  dir = await tempDir('oauth');
  sim = await OktaSimulator.start({
    users: 250,
    groups: 20,
    seed: 14,
    token: API_TOKEN,
    rateLimits: GENEROUS_LIMITS,
  });
});
afterAll(async () => {
  await sim.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('a full sync with OAuth gives the same output as with an API token', () => {
  test('API token, then OAuth Bearer (RSA PEM key), then DPoP (EC JWK key, DPoP required)', async () => {
    const { client, close } = await temporalClient();
    const runWith = async (
      t: TestEnv,
    ): Promise<{ events: UserInventoryInfo[]; summary: SyncSummary }> => {
      const w = await inProcessWorker(t.config);
      try {
        const { summary } = await runFullSync(client, t.config);
        expect(summary).toMatchObject({ status: 'completed', fallbacks: 0, error: null });
        return { events: (await readEvents(t.outDir)).events, summary };
      } finally {
        await w.stop();
      }
    };
    try {
      const withToken = await runWith(await testEnv(sim.url, API_TOKEN));
      expectTenantOutput(withToken.events, sim);

      const rsa = await appKey('bearer-app-key', 'rsa-pem');
      sim.registerOAuthClient({ clientId: 'bearer-app', keys: [rsa.publicJwk] });
      let before = sim.oauthStats();
      const bearer = await runWith(await oauthEnv('bearer-app', rsa));
      expectTenantOutput(bearer.events, sim);
      expect(byUid(bearer.events)).toEqual(byUid(withToken.events));
      let after = sim.oauthStats();
      // One token per worker process, for hundreds of requests (at least a factors read per user).
      expect(after.tokensIssued - before.tokensIssued).toBe(1);
      expect(bearer.summary.apiCalls).toBeGreaterThan(sim.tenant.listUsers().length);
      expect(after.resourceRefusals).toEqual(before.resourceRefusals);

      const ec = await appKey('dpop-app-key', 'ec-jwk');
      sim.registerOAuthClient({ clientId: 'dpop-app', keys: [ec.publicJwk], dpop: true });
      before = sim.oauthStats();
      // OKTA_OAUTH_DPOP defaults to auto: the worker learns from Okta that the app requires DPoP.
      const dpop = await runWith(await oauthEnv('dpop-app', ec));
      expectTenantOutput(dpop.events, sim);
      expect(byUid(dpop.events)).toEqual(byUid(withToken.events));
      after = sim.oauthStats();
      expect(after.tokensIssued - before.tokensIssued).toBe(1);
      const delta = (k: string): number =>
        (after.tokenErrors[k] ?? 0) - (before.tokenErrors[k] ?? 0);
      expect(delta('invalid_dpop_proof')).toBe(1);
      expect(delta('use_dpop_nonce')).toBe(1);
      // Every API call carried a proof the simulator accepted (htm, htu, ath, jti, key).
      expect(after.resourceRefusals).toEqual(before.resourceRefusals);
    } finally {
      await close();
    }
  });
});

describe('failures that retrying cannot fix end the sync fast, saying what to fix', () => {
  async function failFast(t: TestEnv): Promise<SyncSummary> {
    const w = await inProcessWorker(t.config);
    try {
      const startedAt = Date.now();
      const r = await runCli(['sync', '--wait', '--json'], t.env, 120_000);
      expect(Date.now() - startedAt).toBeLessThan(FAIL_FAST_BOUND_MS);
      expect(r.code).toBe(1);
      const summary = JSON.parse(r.stdout.trim()) as SyncSummary;
      expect(summary.status).toBe('failed');
      expect(summary.events).toBe(0);
      return summary;
    } finally {
      await w.stop();
    }
  }

  test('a scope the app lacks (403 insufficient_scope) is named', async () => {
    const key = await appKey('noroles-app-key', 'ec-jwk');
    const scopes = ['okta.users.read', 'okta.groups.read'];
    sim.registerOAuthClient({ clientId: 'noroles-app', keys: [key.publicJwk], scopes });
    const before = sim.oauthStats().resourceRefusals.insufficient_scope ?? 0;
    const summary = await failFast(
      await oauthEnv('noroles-app', key, { OKTA_OAUTH_SCOPES: scopes.join(' ') }),
    );
    expect(summary.error).toContain('access token lacks scope okta.roles.read');
    expect(summary.error).toContain('OKTA_OAUTH_SCOPES');
    const refused = (sim.oauthStats().resourceRefusals.insufficient_scope ?? 0) - before;
    expect(refused).toBeGreaterThanOrEqual(1);
    // Not retried: the refusals are the enrichment calls in flight when the first came back (as in
    // auth-failures.test.ts), not a retry loop over hundreds of users.
    expect(refused).toBeLessThanOrEqual(100);
  });

  test('a key that is not the one uploaded to the app is reported as such', async () => {
    const uploaded = await appKey('uploaded-key', 'rsa-pem');
    const other = await appKey('other-key', 'rsa-pem');
    sim.registerOAuthClient({ clientId: 'wrongkey-app', keys: [uploaded.publicJwk] });
    const before = sim.oauthStats().tokenErrors.invalid_client ?? 0;
    const summary = await failFast(await oauthEnv('wrongkey-app', other));
    expect(summary.error).toContain('The client_assertion signature is invalid.');
    expect(summary.error).toContain('does not match a public key uploaded to the app');
    expect(summary.apiCalls).toBe(0);
    expect((sim.oauthStats().tokenErrors.invalid_client ?? 0) - before).toBeLessThanOrEqual(3);
  });
});

describe('short-lived DPoP tokens, as operators run it; no secret anywhere', () => {
  let w: CapturedWorker | null = null;
  let slow: OktaSimulator;
  beforeAll(async () => {
    // Slow enough responses that the sync outlives several two-second tokens.
    slow = await OktaSimulator.start({
      users: 420,
      groups: 30,
      seed: 15,
      latencyMs: 20,
      rateLimits: GENEROUS_LIMITS,
      oauth: { tokenLifetimeSeconds: 2 },
    });
  });
  afterAll(async () => {
    await slow.close();
    if (w) await stopWorker(w.child);
  });

  test('tokens renewed mid-sync without a failed page; then a refused scope; histories, logs and outputs searched', async () => {
    const sim = slow;
    const key = await appKey('renew-app-key', 'ec-jwk');
    sim.registerOAuthClient({ clientId: 'renew-app', keys: [key.publicJwk], dpop: true });
    const t = await oauthEnv(
      'renew-app',
      key,
      {
        OKTA_OAUTH_DPOP: 'on',
        OKTA_OCSF_PAGES_PER_RUN: '1',
      },
      sim.url,
    );
    const outputs: Haystack[] = [];
    const sync = async (label: string): Promise<SyncSummary> => {
      const r: CliResult = await runCli(['sync', '--wait', '--json'], t.env, 180_000);
      outputs.push({ name: `CLI ${label} stdout`, data: r.stdout });
      outputs.push({ name: `CLI ${label} stderr`, data: r.stderr });
      return JSON.parse(r.stdout.trim()) as SyncSummary;
    };
    const before = sim.oauthStats();
    w = capturedWorker(t.env);
    const ok = await sync('completed');
    const after = sim.oauthStats();

    expect(ok).toMatchObject({ status: 'completed', fallbacks: 0, skipped: 0, error: null });
    expect(ok.durationMs).toBeGreaterThan(2_000);
    expect(after.tokensIssued - before.tokensIssued).toBeGreaterThan(1);
    expectTenantOutput((await readEvents(t.outDir)).events, sim);

    // The app loses okta.logs.read: the token request (which asks for the default scopes) fails.
    sim.registerOAuthClient({
      clientId: 'renew-app',
      keys: [key.publicJwk],
      dpop: true,
      scopes: ['okta.users.read', 'okta.groups.read', 'okta.roles.read'],
    });
    sim.oauth.expireTokens();
    const refused = await sync('refused scope');
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain('The following scopes are not allowed: okta.logs.read');

    signalGroup(w.child, 'SIGTERM');
    expect(await waitExit(w.child)).toBe(0);
    const logs: Haystack = { name: 'worker stdout+stderr', data: w.output() };

    const { client, close } = await temporalClient();
    try {
      const runs = await syncRunsOf(client, syncWorkflowId(sim.url, 'full'), {
        requests: 2,
        childRuns: ok.runs + 1,
      });
      const { haystacks } = await historyHaystacks(client, runs);
      const everything = [...haystacks, logs, ...outputs];
      const seen = sim.oauth.credentialsSeen();
      const tokens = seen.tokens.slice(-(after.tokensIssued - before.tokensIssued + 1));
      const assertions = seen.assertions.slice(-10);
      expect(tokens.length).toBeGreaterThan(1);
      for (const secret of [...key.secretParts, ...tokens, ...assertions]) {
        expect(whereFound(everything, secret)).toEqual([]);
      }
      // Controls: the searches find what is there.
      for (const h of haystacks) expect(whereFound([h], sim.url)).not.toEqual([]);
      expect(whereFound(haystacks, 'okta.logs.read').length).toBeGreaterThan(0);
      expect(whereFound([logs], 'okta.logs.read').length).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });
});
