/**
 * The Sekoia.io sink against a real HTTP receiver on 127.0.0.1, scripted per test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { inspect } from 'node:util';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import {
  SekoiaSink,
  parseRetryAfter,
  type SekoiaRetryOptions,
} from '../../../src/sinks/sekoia-sink';
import { Secret } from '../../../src/sinks/secret';
import { SinkRejectedError, SinkTransientError } from '../../../src/sinks/sink';
import { ErrorType } from '../../../src/contract/error-table';

const OCSF_FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'ocsf');
const EVENTS = readdirSync(OCSF_FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(OCSF_FIXTURES, f), 'utf8')) as UserInventoryInfo);

const API_KEY = 'sk-TEST-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const CONNECTOR = '04716e25-c97f-4a22-925e-8b636ad9c8a4';
const PATH = `/api/v2/asset-management/asset-connector/${CONNECTOR}`;
// Small delays keep the suite fast; the logic is the same as with the production defaults.
const FAST: Partial<SekoiaRetryOptions> = {
  baseDelayMs: 5,
  maxDelayMs: 20,
  budgetMs: 2_000,
  requestTimeoutMs: 2_000,
};

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'reset' | 'hang';

interface Receiver {
  baseUrl: string;
  requests: Received[];
  close(): Promise<void>;
}

const receivers: Receiver[] = [];
const sinks: SekoiaSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(reply: (req: Received, n: number) => Reply): Promise<Receiver> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      const r = reply(received, requests.length);
      if (r === 'reset') return req.socket.destroy();
      if (r === 'hang') return; // never answers; closed by closeAllConnections
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const r: Receiver = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(r);
  return r;
}

function sekoia(
  baseUrl: string,
  batchSize: number,
  retry: Partial<SekoiaRetryOptions> = {},
): SekoiaSink {
  const sink = new SekoiaSink(
    { baseUrl, connectorUuid: CONNECTOR, apiKey: new Secret(API_KEY), batchSize },
    { ...FAST, ...retry },
  );
  sinks.push(sink);
  return sink;
}

const delivery = (events: UserInventoryInfo[]) => ({
  syncId: 'sync-1',
  partId: 'run-000001-page-000001',
  events,
});

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the delivery to fail');
}

/** Nothing reachable from the error may contain the key: message, stack, fields, JSON. */
function expectNoKey(err: Error): void {
  expect(err.message).not.toContain(API_KEY);
  expect(String(err.stack)).not.toContain(API_KEY);
  expect(JSON.stringify(err)).not.toContain(API_KEY);
  expect(inspect(err, { depth: 10, showHidden: true })).not.toContain(API_KEY);
}

describe('SekoiaSink', () => {
  test('503 three times then 200: every item arrives exactly once as sent, in batches', async () => {
    const r = await receiver((_req, n) =>
      n <= 3 ? { status: 503, body: 'busy' } : { status: 200, body: '{}' },
    );
    const sink = sekoia(r.baseUrl, 4);
    const result = await sink.deliver(delivery(EVENTS));

    expect(result).toEqual({ delivered: EVENTS.length, location: `${r.baseUrl}${PATH}` });
    const batches = Math.ceil(EVENTS.length / 4);
    expect(r.requests).toHaveLength(batches + 3);
    for (const req of r.requests) {
      expect(req.method).toBe('POST');
      expect(req.url).toBe(PATH);
      expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(req.headers['content-type']).toMatch(/^application\/json/);
    }
    // The three refused attempts were the first batch, re-sent identically.
    expect(new Set(r.requests.slice(0, 4).map((q) => q.body)).size).toBe(1);
    const accepted = r.requests.slice(3).map((q) => JSON.parse(q.body) as unknown);
    for (const body of accepted) {
      expect(Object.keys(body as object).sort()).toEqual(['items', 'version']);
      expect((body as { version: unknown }).version).toBe(1);
    }
    const items = accepted.flatMap((b) => (b as { items: UserInventoryInfo[] }).items);
    expect(items).toHaveLength(EVENTS.length);
    expect(items).toEqual(EVENTS);
    expect(accepted.map((b) => (b as { items: unknown[] }).items.length)).toEqual([
      ...Array<number>(batches - 1).fill(4),
      EVENTS.length - 4 * (batches - 1),
    ]);
  });

  test('400 with a body: rejected with that body, never the key', async () => {
    const body = '{"message":"items[0].user: unexpected field","code":"INVALID_ASSET"}';
    const r = await receiver(() => ({ status: 400, body }));
    const err = await failure(sekoia(r.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 3))));

    expect(err).toBeInstanceOf(SinkRejectedError);
    expect(err.name).toBe(ErrorType.SinkRejectedError);
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain(body);
    expect((err as SinkRejectedError).status).toBe(400);
    expect((err as SinkRejectedError).responseBody).toBe(body);
    expectNoKey(err);
    expect(r.requests).toHaveLength(1); // not retried
  });

  test('a receiver echoing the Authorization header has the key redacted from the error', async () => {
    const r = await receiver((req) => ({
      status: 403,
      body: JSON.stringify({ error: 'forbidden', seen: req.headers.authorization }),
    }));
    const err = await failure(sekoia(r.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 1))));
    expect(err).toBeInstanceOf(SinkRejectedError);
    expect(err.message).toContain('Bearer [redacted]');
    expect(err.message).toContain('SEKOIA_API_KEY');
    expectNoKey(err);
  });

  test('a long error body is truncated in the message', async () => {
    const r = await receiver(() => ({ status: 422, body: 'x'.repeat(50_000) }));
    const err = await failure(sekoia(r.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 1))));
    expect(err.message.length).toBeLessThan(2_000);
    expect(err.message).toContain('(50000 characters)');
  });

  test('a 5xx that never ends: SinkTransientError after exactly maxAttempts requests', async () => {
    const r = await receiver(() => ({ status: 502, body: 'bad gateway' }));
    const err = await failure(sekoia(r.baseUrl, 100, { maxAttempts: 3 }).deliver(delivery(EVENTS)));
    expect(err).toBeInstanceOf(SinkTransientError);
    expect(err.message).toContain('HTTP 502');
    expect(err.message).toContain('gave up after 3 attempts');
    expectNoKey(err);
    expect(r.requests).toHaveLength(3);
  });

  test('429 with Retry-After: 0 is retried and then accepted', async () => {
    const r = await receiver((_q, n) =>
      n === 1 ? { status: 429, body: '', headers: { 'retry-after': '0' } } : { status: 200 },
    );
    await expect(sekoia(r.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 2)))).resolves.toEqual({
      delivered: 2,
      location: `${r.baseUrl}${PATH}`,
    });
    expect(r.requests).toHaveLength(2);
  });

  test('onRetry is told of each retried request (the worker counts sink retries), not of the last failure', async () => {
    const flaky = await receiver((_q, n) => (n <= 3 ? { status: 503 } : { status: 200 }));
    let retries = 0;
    await sekoia(flaky.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 2)), {
      onRetry: () => (retries += 1),
    });
    expect(flaky.requests).toHaveLength(4);
    expect(retries).toBe(3);

    const down = await receiver(() => ({ status: 502 }));
    retries = 0;
    await failure(
      sekoia(down.baseUrl, 100, { maxAttempts: 3 }).deliver(delivery(EVENTS.slice(0, 2)), {
        onRetry: () => (retries += 1),
      }),
    );
    expect(down.requests).toHaveLength(3);
    expect(retries).toBe(2);
  });

  test('429 with a Retry-After beyond the retry budget: gives up at once, saying when to retry', async () => {
    const r = await receiver(() => ({
      status: 429,
      body: 'slow down',
      headers: { 'retry-after': '120' },
    }));
    const before = Date.now();
    const err = await failure(sekoia(r.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 2))));
    expect(err).toBeInstanceOf(SinkTransientError);
    expect(r.requests).toHaveLength(1);
    const resetAtMs = (err as SinkTransientError).resetAtMs;
    expect(resetAtMs).toBeGreaterThanOrEqual(before + 120_000);
    expect(resetAtMs).toBeLessThanOrEqual(Date.now() + 120_000);
  });

  test('a connection reset is retried', async () => {
    const r = await receiver((_q, n) => (n === 1 ? 'reset' : { status: 200 }));
    await expect(
      sekoia(r.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 2))),
    ).resolves.toMatchObject({
      delivered: 2,
    });
    expect(r.requests).toHaveLength(2);
  });

  test('a receiver that never answers: each attempt times out, then SinkTransientError', async () => {
    const r = await receiver(() => 'hang');
    const err = await failure(
      sekoia(r.baseUrl, 100, { requestTimeoutMs: 150, maxAttempts: 2 }).deliver(
        delivery(EVENTS.slice(0, 1)),
      ),
    );
    expect(err).toBeInstanceOf(SinkTransientError);
    expect(err.message).toContain('no complete response within 150 ms');
    expectNoKey(err);
    expect(r.requests).toHaveLength(2);
  });

  test('nothing listening: connection refused is transient', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const url = r.baseUrl;
    await r.close();
    receivers.splice(receivers.indexOf(r), 1);
    const err = await failure(
      sekoia(url, 100, { maxAttempts: 2 }).deliver(delivery(EVENTS.slice(0, 1))),
    );
    expect(err).toBeInstanceOf(SinkTransientError);
    expect(err.message).toContain('ECONNREFUSED');
    expectNoKey(err);
  });

  test('a redirect is not followed (the key must not travel to another host)', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const r = await receiver(() => ({
      status: 307,
      headers: { location: `${target.baseUrl}${PATH}` },
    }));
    const err = await failure(sekoia(r.baseUrl, 100).deliver(delivery(EVENTS.slice(0, 1))));
    expect(err).toBeInstanceOf(SinkRejectedError);
    expect(err.message).toContain('HTTP 307 redirect');
    expect(err.message).toContain('check SEKOIA_BASE_URL');
    expect(target.requests).toHaveLength(0);
  });

  test('a failure in a later batch says how many batches were already accepted', async () => {
    const r = await receiver((_q, n) => (n <= 2 ? { status: 200 } : { status: 400, body: 'no' }));
    const err = await failure(sekoia(r.baseUrl, 2).deliver(delivery(EVENTS.slice(0, 6))));
    expect(err.message).toContain('batch 3 of 3');
    expect(err.message).toContain('2 batches accepted before it');
  });

  test('an empty page sends nothing', async () => {
    const r = await receiver(() => ({ status: 200 }));
    await expect(sekoia(r.baseUrl, 100).deliver(delivery([]))).resolves.toMatchObject({
      delivered: 0,
    });
    expect(r.requests).toHaveLength(0);
  });

  test('close() during the backoff ends the delivery promptly as transient', async () => {
    const r = await receiver(() => ({ status: 503 }));
    const sink = sekoia(r.baseUrl, 100, {
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
      budgetMs: 600_000,
    });
    const pending = failure(sink.deliver(delivery(EVENTS.slice(0, 1))));
    while (r.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await sink.close();
    const err = await pending;
    expect(err).toBeInstanceOf(SinkTransientError);
    expect(err.message).toContain('closed');
  });
});

describe('SekoiaSink resuming a part (alreadyDelivered, onProgress)', () => {
  const itemsOf = (r: Receiver): UserInventoryInfo[][] =>
    r.requests.map((q) => (JSON.parse(q.body) as { items: UserInventoryInfo[] }).items);
  const uids = (events: UserInventoryInfo[]): string[] => events.map((e) => e.user.uid);

  test('reports the events accepted after each batch, and a retry resumes after them', async () => {
    const events = EVENTS.slice(0, 7);
    // Batches 1 and 2 are accepted, then the receiver is down for longer than the sink retries.
    let down = false;
    const r = await receiver((_q, n) => {
      if (n === 3) down = true;
      return down ? { status: 503, body: 'down' } : { status: 200 };
    });
    const sink = sekoia(r.baseUrl, 3, { maxAttempts: 2 });
    const progress: number[] = [];
    const err = await failure(
      sink.deliver(delivery(events), { onProgress: (n) => progress.push(n) }),
    );
    expect(err).toBeInstanceOf(SinkTransientError);
    expect(err.message).toContain('batch 3 of 3');
    expect(progress).toEqual([3, 6]);

    down = false;
    const accepted = r.requests.length;
    const again: number[] = [];
    await expect(
      sink.deliver(delivery(events), {
        alreadyDelivered: progress[progress.length - 1],
        onProgress: (n) => again.push(n),
      }),
    ).resolves.toMatchObject({ delivered: 7 });
    expect(again).toEqual([7]);
    // Only the last event was sent again, and across both attempts every event was accepted once.
    const sent = itemsOf(r).slice(accepted);
    expect(sent.map(uids)).toEqual([uids(events.slice(6))]);
    const acceptedItems = [...itemsOf(r).slice(0, 2), ...sent].flat();
    expect(uids(acceptedItems)).toEqual(uids(events));
  });

  test('the batch size may change between attempts: resuming counts events, not batches', async () => {
    const events = EVENTS.slice(0, 9);
    const r = await receiver(() => ({ status: 200 }));
    const progress: number[] = [];
    await sekoia(r.baseUrl, 2).deliver(delivery(events), {
      alreadyDelivered: 4,
      onProgress: (n) => progress.push(n),
    });
    expect(itemsOf(r).map(uids)).toEqual([
      uids(events.slice(4, 6)),
      uids(events.slice(6, 8)),
      uids(events.slice(8, 9)),
    ]);
    expect(progress).toEqual([6, 8, 9]);
  });

  test('everything already delivered: nothing is sent, the whole part counts as delivered', async () => {
    const r = await receiver(() => ({ status: 200 }));
    await expect(
      sekoia(r.baseUrl, 2).deliver(delivery(EVENTS.slice(0, 4)), { alreadyDelivered: 4 }),
    ).resolves.toMatchObject({ delivered: 4 });
    expect(r.requests).toHaveLength(0);
  });

  test.each([[-1], [1.5], [Number.NaN], [99]])(
    'a count that cannot belong to this part (%p) re-sends the whole part: never lose events',
    async (alreadyDelivered) => {
      const events = EVENTS.slice(0, 4);
      const r = await receiver(() => ({ status: 200 }));
      await sekoia(r.baseUrl, 10).deliver(delivery(events), { alreadyDelivered });
      expect(itemsOf(r).map(uids)).toEqual([uids(events)]);
    },
  );
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  test.each([
    ['0', 0],
    ['30', 30_000],
    [' 5 ', 5_000],
    ['Thu, 01 Jan 2026 12:00:10 GMT', 10_000],
    ['Thu, 01 Jan 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
    ['-3', undefined],
  ])('%p → %p ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
