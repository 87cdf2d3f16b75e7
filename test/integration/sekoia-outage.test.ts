/**
 * Issue 8, "Sink: the Sekoia receiver down (503) for a minute, then back": a full sync delivering
 * to a Sekoia.io-like receiver that goes down after accepting the first batches, longer than the
 * sink's own retries last, so the deliver activity fails and Temporal retries it. The receiver
 * must end with every event exactly once: nothing missing, and the batches accepted before the
 * outage not sent again (the retry resumes from the heartbeat of the failed attempt).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UserInventoryInfo } from '../../src/ocsf/types';
import { OktaSimulator } from '../../src/simulator';
import { expectTenantOutput, runFullSync } from '../support/tenant-output';
import { inProcessWorker, temporalClient, testEnv } from '../support/sync-harness';

jest.setTimeout(180_000);

const TOKEN = 'sekoia-it-token';
const API_KEY = 'sekoia-it-key-4f1c9a7e2b';
const CONNECTOR = '2f9c6a1e-7b3d-4e8f-9a0b-1c2d3e4f5a6b';
const PATH = `/api/v2/asset-management/asset-connector/${CONNECTOR}`;
const BATCH_SIZE = 50;
/** Batches accepted before the receiver goes down. */
const ACCEPTED_BEFORE_OUTAGE = 2;
/** Longer than the sink's own retries of one batch (about 30 s), so the activity fails. */
const OUTAGE_MS = 62_000;

interface Receiver {
  baseUrl: string;
  /** Every item of every request answered 200, in arrival order. */
  accepted: UserInventoryInfo[];
  /** Requests answered 503 while down. */
  refused: number;
  /** Batches that had to be refused or were malformed: a test failure. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A Sekoia.io asset-connector endpoint on 127.0.0.1 that records what it accepts, and answers 503
 * for `OUTAGE_MS` once `ACCEPTED_BEFORE_OUTAGE` batches were accepted.
 */
async function sekoiaReceiver(): Promise<Receiver> {
  let downUntil = 0;
  let outageTimer: NodeJS.Timeout | undefined;
  const r: Omit<Receiver, 'baseUrl' | 'close'> = { accepted: [], refused: 0, problems: [] };
  let acceptedBatches = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: string): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (req.method !== 'POST' || req.url !== PATH) {
        r.problems.push(`${req.method} ${req.url}`);
        return reply(404, '{"message":"not found"}');
      }
      if (req.headers.authorization !== `Bearer ${API_KEY}`) {
        r.problems.push('missing or wrong API key');
        return reply(401, '{"message":"unauthorized"}');
      }
      if (Date.now() < downUntil) {
        r.refused += 1;
        return reply(503, '{"message":"service unavailable"}');
      }
      let items: UserInventoryInfo[];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          version: unknown;
          items: UserInventoryInfo[];
        };
        if (body.version !== 1 || !Array.isArray(body.items)) throw new Error('shape');
        items = body.items;
      } catch {
        r.problems.push('malformed body');
        return reply(400, '{"message":"bad request"}');
      }
      if (items.length > BATCH_SIZE) r.problems.push(`batch of ${items.length}`);
      r.accepted.push(...items);
      acceptedBatches += 1;
      reply(200, '{}');
      if (acceptedBatches === ACCEPTED_BEFORE_OUTAGE) {
        downUntil = Date.now() + OUTAGE_MS;
        outageTimer = setTimeout(() => (downUntil = 0), OUTAGE_MS);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(r, {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(outageTimer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

describe('Sekoia.io receiver down for a minute in the middle of a sync', () => {
  let sim: OktaSimulator;
  let receiver: Receiver;
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 500,
      groups: 40,
      seed: 804,
      token: TOKEN,
      rateLimits: { 'users-list': 1_000_000, 'api-v1': 1_000_000, groups: 1_000_000 },
    });
    receiver = await sekoiaReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await sim.close();
  });

  test('every event reaches the receiver exactly once', async () => {
    const t = await testEnv(sim.url, TOKEN, {
      OCSF_SINK: 'sekoia',
      SEKOIA_BASE_URL: receiver.baseUrl,
      SEKOIA_API_KEY: API_KEY,
      SEKOIA_CONNECTOR_UUID: CONNECTOR,
      SEKOIA_BATCH_SIZE: String(BATCH_SIZE),
    });
    const w = await inProcessWorker(t.config);
    const { client, close } = await temporalClient();
    try {
      const { summary, syncHandle } = await runFullSync(client, t.config);
      expect(summary).toMatchObject({ status: 'completed', error: null, fallbacks: 0 });
      expect(receiver.problems).toEqual([]);

      // The outage happened mid-sync, after batches were accepted, and outlasted the sink's own
      // retries: Temporal retried a delivery whose part had batches accepted before the outage.
      expect(receiver.refused).toBeGreaterThan(0);
      const history = (await syncHandle!.fetchHistory()).events ?? [];
      const deliveries = new Set(
        history
          .filter(
            (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverPage',
          )
          .map((e) => String(e.eventId)),
      );
      const deliverAttempts = history
        .map((e) => e.activityTaskStartedEventAttributes)
        .filter((a) => a && deliveries.has(String(a.scheduledEventId)))
        .map((a) => a?.attempt ?? 1);
      expect(deliverAttempts.length).toBeGreaterThan(0);
      expect(Math.max(...deliverAttempts)).toBeGreaterThan(1);

      // Nothing missing, nothing twice, each event the mapping of the tenant's data.
      expectTenantOutput(receiver.accepted, sim);
      expect(summary.events).toBe(receiver.accepted.length);
    } finally {
      await close();
      await w.stop();
    }
  });
});
