/**
 * Issue 8, bad configuration: the CLI as operators run it (`node dist/src/client.js`), with one or
 * several variables wrong. Every case must exit 2 with one stderr line per problem, each naming
 * its variable (or option), print nothing on stdout, echo no secret value, and — for the worker
 * and every command that talks to Temporal — fail before opening any connection.
 *
 * "Before connecting" is observed, not assumed: TEMPORAL_ADDRESS points at a TCP listener of this
 * test that counts the connections it accepts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { runCli as cli } from '../support/run-cli';
import { CLI, tempDir } from '../support/sync-harness';

jest.setTimeout(120_000);

// Distinctive values: finding one of them in the output can only mean it was echoed.
const TOKEN = `tok${randomBytes(12).toString('hex')}`;
const SEKOIA_KEY = `sk${randomBytes(12).toString('hex')}`;
const PASSWORD = `pw${randomBytes(12).toString('hex')}`;
/** 31 random bytes: a key of the wrong length, whose material must not be echoed either. */
const SHORT_KEY_B64 = randomBytes(31).toString('base64');
const SECRETS = [TOKEN, SEKOIA_KEY, PASSWORD, SHORT_KEY_B64];

let listener: net.Server;
let connections = 0;
let dir: string;
let base: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  listener = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  dir = await tempDir('config-errors');
  // A valid configuration: each case spoils some of it.
  base = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OKTA_ORG_URL: 'https://acme.okta.com',
    OKTA_API_TOKEN: TOKEN,
    OCSF_SINK: `file:${path.join(dir, 'out')}`,
    OKTA_OCSF_STATE_DIR: path.join(dir, 'state'),
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
  };
});

afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await fs.rm(dir, { recursive: true, force: true });
});

const SEKOIA_OK = {
  OCSF_SINK: 'sekoia',
  SEKOIA_API_KEY: SEKOIA_KEY,
  SEKOIA_CONNECTOR_UUID: '04716e25-c97f-4a22-925e-8b636ad9c8a4',
};

interface Case {
  name: string;
  args: string[];
  /** Variables to set (undefined: remove from the base configuration). */
  env: Record<string, string | undefined>;
  /** What each stderr line names, one line per entry, in any order. */
  named: string[];
}

const CASES: Case[] = [
  {
    name: 'OKTA_ORG_URL not https',
    args: ['worker'],
    env: { OKTA_ORG_URL: 'ftp://acme.okta.com' },
    named: ['OKTA_ORG_URL'],
  },
  {
    name: 'OKTA_ORG_URL plain http to a non-loopback host',
    args: ['worker'],
    env: { OKTA_ORG_URL: 'http://acme.okta.com' },
    named: ['OKTA_ORG_URL'],
  },
  {
    name: 'OKTA_ORG_URL holding credentials',
    args: ['worker'],
    env: { OKTA_ORG_URL: `https://admin:${PASSWORD}@acme.okta.com` },
    named: ['OKTA_ORG_URL'],
  },
  {
    name: 'the token pasted into OKTA_ORG_URL',
    args: ['worker'],
    env: { OKTA_ORG_URL: TOKEN },
    named: ['OKTA_ORG_URL'],
  },
  {
    name: 'OKTA_ORG_URL missing for the worker',
    args: ['worker'],
    env: { OKTA_ORG_URL: undefined },
    named: ['OKTA_ORG_URL'],
  },
  {
    name: 'OKTA_ORG_URL missing for sync',
    args: ['sync'],
    env: { OKTA_ORG_URL: undefined },
    named: ['OKTA_ORG_URL'],
  },
  {
    name: 'empty OKTA_API_TOKEN',
    args: ['worker'],
    env: { OKTA_API_TOKEN: '' },
    named: ['OKTA_API_TOKEN'],
  },
  {
    name: 'OKTA_API_TOKEN with a space in it',
    args: ['worker'],
    env: { OKTA_API_TOKEN: `${TOKEN} ${TOKEN}` },
    named: ['OKTA_API_TOKEN'],
  },
  {
    name: 'unknown OCSF_SINK',
    args: ['worker'],
    env: { OCSF_SINK: 'kafka:broker:9092' },
    named: ['OCSF_SINK'],
  },
  {
    name: 'SEKOIA_BATCH_SIZE=0',
    args: ['worker'],
    env: { ...SEKOIA_OK, SEKOIA_BATCH_SIZE: '0' },
    named: ['SEKOIA_BATCH_SIZE'],
  },
  {
    name: 'Sekoia sink without its key',
    args: ['worker'],
    env: { ...SEKOIA_OK, SEKOIA_API_KEY: undefined },
    named: ['SEKOIA_API_KEY'],
  },
  {
    name: 'the Sekoia key pasted into SEKOIA_CONNECTOR_UUID',
    args: ['worker'],
    env: { ...SEKOIA_OK, SEKOIA_CONNECTOR_UUID: SEKOIA_KEY },
    named: ['SEKOIA_CONNECTOR_UUID'],
  },
  {
    name: 'SEKOIA_BASE_URL plain http to a non-loopback host',
    args: ['worker'],
    env: { ...SEKOIA_OK, SEKOIA_BASE_URL: 'http://api.sekoia.io' },
    named: ['SEKOIA_BASE_URL'],
  },
  {
    name: 'OKTA_RATE_LIMIT_SHARE=2',
    args: ['worker'],
    env: { OKTA_RATE_LIMIT_SHARE: '2' },
    named: ['OKTA_RATE_LIMIT_SHARE'],
  },
  {
    name: 'TEMPORAL_ADDRESS=bad',
    args: ['worker'],
    env: { TEMPORAL_ADDRESS: 'bad' },
    named: ['TEMPORAL_ADDRESS'],
  },
  {
    name: 'OKTA_OCSF_ENCRYPTION_KEYS=bad',
    args: ['worker'],
    env: { OKTA_OCSF_ENCRYPTION_KEYS: 'bad' },
    named: ['OKTA_OCSF_ENCRYPTION_KEYS'],
  },
  {
    name: 'OKTA_OCSF_ENCRYPTION_KEYS with a 31-byte key',
    args: ['worker'],
    env: { OKTA_OCSF_ENCRYPTION_KEYS: `k1:${SHORT_KEY_B64}` },
    named: ['OKTA_OCSF_ENCRYPTION_KEYS'],
  },
  {
    name: 'OKTA_OCSF_ENCRYPTION_KEYS set but empty',
    args: ['sync'],
    env: { OKTA_OCSF_ENCRYPTION_KEYS: ' ' },
    named: ['OKTA_OCSF_ENCRYPTION_KEYS'],
  },
  {
    name: 'a bad duration',
    args: ['schedule', 'create', '--every', '5x'],
    env: {},
    named: ['--every'],
  },
  {
    name: 'schedule create without --every',
    args: ['schedule', 'create'],
    env: {},
    named: ['--every'],
  },
  {
    name: 'a bad --full-every',
    args: ['schedule', 'update', '--full-every', '0s'],
    env: {},
    named: ['--full-every'],
  },
  {
    name: 'status with a bad TEMPORAL_NAMESPACE',
    args: ['status'],
    env: { TEMPORAL_NAMESPACE: 'no spaces allowed' },
    named: ['TEMPORAL_NAMESPACE'],
  },
  {
    name: 'several bad at once: one line each',
    args: ['worker'],
    env: {
      OKTA_ORG_URL: 'http://acme.okta.com',
      OKTA_API_TOKEN: '',
      OCSF_SINK: 'kafka',
      OKTA_RATE_LIMIT_SHARE: '2',
      OKTA_MAX_CONCURRENCY: '0',
      OKTA_REQUEST_TIMEOUT_MS: 'soon',
      TEMPORAL_ADDRESS: 'bad',
      OKTA_OCSF_ENCRYPTION_KEYS: `k1:${SHORT_KEY_B64}`,
      OKTA_OCSF_PAGES_PER_RUN: '0',
      OKTA_OCSF_PAGE_CONCURRENCY: '17',
      OKTA_OCSF_WORKER_ACTIVITIES: '-1',
      OKTA_OCSF_RETRY_BUDGET_MS: '5',
    },
    named: [
      'OKTA_ORG_URL',
      'OKTA_API_TOKEN',
      'OCSF_SINK',
      'OKTA_RATE_LIMIT_SHARE',
      'OKTA_MAX_CONCURRENCY',
      'OKTA_REQUEST_TIMEOUT_MS',
      'TEMPORAL_ADDRESS',
      'OKTA_OCSF_ENCRYPTION_KEYS',
      'OKTA_OCSF_PAGES_PER_RUN',
      'OKTA_OCSF_PAGE_CONCURRENCY',
      'OKTA_OCSF_WORKER_ACTIVITIES',
      'OKTA_OCSF_RETRY_BUDGET_MS',
    ],
  },
  {
    name: 'several Sekoia variables bad at once',
    args: ['worker'],
    env: {
      OCSF_SINK: 'sekoia',
      SEKOIA_API_KEY: `${SEKOIA_KEY} x`,
      SEKOIA_CONNECTOR_UUID: 'not-a-uuid',
      SEKOIA_BATCH_SIZE: '1001',
      SEKOIA_BASE_URL: 'ftp://api.sekoia.io',
    },
    named: ['SEKOIA_API_KEY', 'SEKOIA_CONNECTOR_UUID', 'SEKOIA_BATCH_SIZE', 'SEKOIA_BASE_URL'],
  },
];

/** The variable or option a line is about: the one it starts with, after the `okta-ocsf: ` prefix. */
function subject(line: string): string | null {
  const m = /^okta-ocsf: (--[a-z-]+|[A-Z][A-Z0-9_]+)\b/.exec(line);
  return m ? (m[1] as string) : null;
}

describe('bad configuration exits 2 with one line per problem, naming it', () => {
  test.each(CASES)('$name', async (c) => {
    const env: NodeJS.ProcessEnv = { ...base };
    for (const [k, v] of Object.entries(c.env)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    const before = connections;
    const r = await cli(c.args, env);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');

    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(lines).toHaveLength(c.named.length);
    // Each line starts with the variable it is about; each expected one has its own line.
    expect(lines.map(subject).sort()).toEqual([...c.named].sort());
    for (const s of SECRETS) {
      expect(r.stderr).not.toContain(s);
      expect(r.stdout).not.toContain(s);
    }
    // Validation comes first: nothing reached the address in TEMPORAL_ADDRESS.
    expect(connections).toBe(before);
  });

  test('commander usage errors are exit 2 too, before connecting', async () => {
    const before = connections;
    const r = await cli(['sync', '--mode', 'sideways'], base);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mode');
    expect(r.stderr).not.toContain(TOKEN);
    expect(connections).toBe(before);
  });

  test('control: the listener does count a connection attempt (status with a valid config)', async () => {
    // Without this, "no connection" above could mean the listener never worked.
    const before = connections;
    const r = await cli(['status'], { ...base, OKTA_ORG_URL: `https://${randomUUID()}.okta.com` });
    expect(r.code).toBe(1);
    expect(connections).toBeGreaterThan(before);
    expect(r.stderr).toContain('TEMPORAL_ADDRESS');
    expect(r.stderr).not.toContain(TOKEN);
  });
});

describe('Okta credentials: exactly one of an API token or an OAuth service app (issue 14)', () => {
  const run = async (env: Record<string, string | undefined>): Promise<string[]> => {
    const e: NodeJS.ProcessEnv = { ...base };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete e[k];
      else e[k] = v;
    }
    const before = connections;
    const r = await cli(['worker'], e);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(connections).toBe(before);
    for (const s of SECRETS) expect(r.stderr).not.toContain(s);
    return r.stderr.split('\n').filter((l) => l.trim() !== '');
  };

  test('both, neither, half an OAuth app, a public key, a bad DPoP mode', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const priv = path.join(dir, 'oauth-key.pem');
    const pub = path.join(dir, 'oauth-pub.pem');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await fs.writeFile(priv, pem);
    await fs.writeFile(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const body = pem.split('\n')[1]!;

    const both = await run({ OKTA_OAUTH_CLIENT_ID: '0oa1', OKTA_OAUTH_PRIVATE_KEY_FILE: priv });
    expect(both).toHaveLength(1);
    expect(both[0]).toMatch(
      /^okta-ocsf: OKTA_API_TOKEN and OKTA_OAUTH_CLIENT_ID\/OKTA_OAUTH_PRIVATE_KEY_FILE are both set/,
    );

    const neither = await run({ OKTA_API_TOKEN: undefined });
    expect(neither).toHaveLength(1);
    expect(neither[0]).toMatch(
      /^okta-ocsf: OKTA_API_TOKEN or OKTA_OAUTH_CLIENT_ID and OKTA_OAUTH_PRIVATE_KEY_FILE: required/,
    );

    const half = await run({ OKTA_API_TOKEN: undefined, OKTA_OAUTH_CLIENT_ID: '0oa1' });
    expect(half.map(subject)).toEqual(['OKTA_OAUTH_PRIVATE_KEY_FILE']);

    const several = await run({
      OKTA_API_TOKEN: undefined,
      OKTA_OAUTH_CLIENT_ID: '0oa1',
      OKTA_OAUTH_PRIVATE_KEY_FILE: pub,
      OKTA_OAUTH_DPOP: 'sometimes',
    });
    expect(several.map(subject).sort()).toEqual(['OKTA_OAUTH_DPOP', 'OKTA_OAUTH_PRIVATE_KEY_FILE']);
    expect(several.join('\n')).toContain('public key');

    const missing = await run({
      OKTA_API_TOKEN: undefined,
      OKTA_OAUTH_CLIENT_ID: '0oa1',
      OKTA_OAUTH_PRIVATE_KEY_FILE: path.join(dir, 'nope.pem'),
    });
    expect(missing.map(subject)).toEqual(['OKTA_OAUTH_PRIVATE_KEY_FILE']);
    expect(missing[0]).toContain('ENOENT');
    // A key file's content is never echoed, whatever goes wrong.
    for (const l of [...both, ...neither, ...half, ...several, ...missing])
      expect(l).not.toContain(body);
  });
});
