/**
 * Issue 8, secrets: the Okta API token and the Sekoia.io API key never leave the worker's
 * process memory and its HTTP headers — not into Temporal history (any run, any form), not into
 * the worker's logs, not into the CLI's output — on the happy path and on the failure paths where
 * they are most likely to slip out: a sink that echoes the key back in its error body, and Okta
 * rejecting the token (401).
 *
 * Everything runs as operators run it: `okta-ocsf worker` and `okta-ocsf sync --wait --json` as
 * child processes of dist/, a simulated Okta tenant, and a Sekoia.io-like receiver on 127.0.0.1.
 * Each search is paired with a control showing that the same search does find what is there.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { SyncSummary } from '../../src/cli/sync-runner';
import { OktaSimulator } from '../../src/simulator';
import { syncWorkflowId } from '../../src/sync/naming';
import { historyHaystacks, syncRunsOf, whereFound, type Haystack } from '../support/history-search';
import { capturedWorker, type CapturedWorker } from '../support/captured-process';
import { runCli, type CliResult } from '../support/run-cli';
import { CLI, temporalClient, testEnv, waitExit } from '../support/sync-harness';
import { GENEROUS_LIMITS } from '../support/fault-harness';
import { signalGroup, stopWorker } from '../support/worker-process';

jest.setTimeout(180_000);

const TOKEN = `tok-${randomUUID()}`;
const SEKOIA_KEY = `sk-${randomBytes(18).toString('hex')}`;
const CONNECTOR = randomUUID();

/** A Sekoia.io asset-connector endpoint: accepts batches, or rejects them echoing the key. */
class Receiver {
  mode: 'accept' | 'reject-echoing-key' = 'accept';
  readonly bodies: string[] = [];
  readonly uids = new Set<string>();
  private server!: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const auth = req.headers.authorization ?? '';
        if (req.url !== `/api/v2/asset-management/asset-connector/${CONNECTOR}`) {
          res.writeHead(404).end('{"message":"no such connector"}');
          return;
        }
        if (this.mode === 'reject-echoing-key' || auth !== `Bearer ${SEKOIA_KEY}`) {
          // Receivers do echo what they were sent; the sink must redact it.
          res
            .writeHead(401, { 'content-type': 'application/json' })
            .end(JSON.stringify({ message: `invalid credentials: ${auth}` }));
          return;
        }
        this.bodies.push(body);
        const parsed = JSON.parse(body) as { items: { user: { uid: string } }[] };
        for (const item of parsed.items) this.uids.add(item.user.uid);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function summaryOf(run: CliResult): SyncSummary {
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as SyncSummary;
}

describe('the Okta token and the Sekoia key stay out of history, logs and CLI output', () => {
  let sim: OktaSimulator;
  let receiver: Receiver;
  let w: CapturedWorker | null = null;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    sim = await OktaSimulator.start({
      users: 450,
      groups: 40,
      seed: 11,
      token: TOKEN,
      rateLimits: GENEROUS_LIMITS,
    });
    receiver = new Receiver();
    await receiver.start();
  });

  afterAll(async () => {
    if (w) await stopWorker(w.child);
    await receiver.close();
    await sim.close();
  });

  test('a sync, a sink rejection that echoes the key, and a 401 for the token', async () => {
    const t = await testEnv(sim.url, TOKEN, {
      OCSF_SINK: 'sekoia',
      SEKOIA_API_KEY: SEKOIA_KEY,
      SEKOIA_CONNECTOR_UUID: CONNECTOR,
      SEKOIA_BASE_URL: receiver.url,
      SEKOIA_BATCH_SIZE: '50',
      // One page per run: the sync continues as new, and every run's history is searched.
      OKTA_OCSF_PAGES_PER_RUN: '1',
    });
    w = capturedWorker(t.env);
    const outputs: Haystack[] = [];
    const syncOnce = async (label: string): Promise<SyncSummary> => {
      // The CLI gets the very same environment, secrets included: it must not print them either.
      const r = await runCli(['sync', '--wait', '--json'], t.env, 120_000);
      outputs.push({ name: `CLI ${label} stdout`, data: r.stdout });
      outputs.push({ name: `CLI ${label} stderr`, data: r.stderr });
      const s = summaryOf(r);
      expect(r.code).toBe(s.status === 'completed' ? 0 : 1);
      return s;
    };

    // 1. The happy path: every user reaches the receiver, over three runs.
    const ok = await syncOnce('completed sync');
    const expected = sim.tenant.listUsers().filter((u) => u.status !== 'DEPROVISIONED');
    expect(ok).toMatchObject({ status: 'completed', events: expected.length, runs: 3 });
    expect(receiver.uids.size).toBe(expected.length);

    // 2. The receiver refuses the key and echoes it back in its error body.
    receiver.mode = 'reject-echoing-key';
    const rejected = await syncOnce('sink rejection');
    expect(rejected.status).toBe('failed');
    expect(rejected.error).toContain('check SEKOIA_API_KEY');
    // Control: the echo did reach the message, redacted.
    expect(rejected.error).toContain('invalid credentials: Bearer [redacted]');
    receiver.mode = 'accept';

    // 3. Okta revokes the token: the worker keeps sending it and gets 401.
    sim.setToken(`revoked-${randomUUID()}`);
    const denied = await syncOnce('401');
    expect(denied.status).toBe('failed');
    expect(denied.error).toContain('Okta rejected the API token');
    const status = await runCli(['status', '--json'], t.env, 120_000);
    expect(status.code).toBe(0);
    outputs.push({ name: 'CLI status stdout', data: status.stdout });
    outputs.push({ name: 'CLI status stderr', data: status.stderr });

    signalGroup(w.child, 'SIGTERM');
    expect(await waitExit(w.child)).toBe(0);
    const logs: Haystack = { name: 'worker stdout+stderr', data: w.output() };

    const { client, close } = await temporalClient();
    try {
      const runs = await syncRunsOf(client, syncWorkflowId(sim.url, 'full'), {
        requests: 3,
        childRuns: 3 + 1 + 1,
      });
      expect(runs.map((r) => r.status).sort()).toEqual([
        'COMPLETED', // the completed request
        'COMPLETED', // its child's last run
        'CONTINUED_AS_NEW',
        'CONTINUED_AS_NEW',
        'FAILED', // the failed requests
        'FAILED',
        'FAILED', // their children
        'FAILED',
      ]);
      const { haystacks } = await historyHaystacks(client, runs);
      const everything = [...haystacks, logs, ...outputs];

      expect(whereFound(everything, TOKEN)).toEqual([]);
      expect(whereFound(everything, SEKOIA_KEY)).toEqual([]);
      // Nor in anything sent to the receiver (the events themselves).
      expect(
        whereFound([{ name: 'receiver bodies', data: receiver.bodies.join('\n') }], TOKEN),
      ).toEqual([]);

      // Controls: the same searches do find what these haystacks hold. The org URL is inside
      // payloads (workflow input) of every run, only base64-encoded in the JSON forms.
      for (const h of haystacks) expect(whereFound([h], sim.url)).not.toEqual([]);
      expect(whereFound([logs], sim.url)).not.toEqual([]);
      const failureText = 'Okta rejected the API token';
      expect(whereFound(haystacks, failureText).length).toBeGreaterThan(0);
      expect(whereFound([logs], failureText).length).toBeGreaterThan(0);
      expect(whereFound(haystacks, 'Bearer [redacted]').length).toBeGreaterThan(0);
      // The connector UUID travels in the very message the key was echoed into.
      expect(whereFound(haystacks, CONNECTOR).length).toBeGreaterThan(0);
    } finally {
      await close();
    }
    await fs.rm(path.dirname(t.outDir), { recursive: true, force: true });
  });
});
