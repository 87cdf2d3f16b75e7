/**
 * Issue 8, the connector's two HTTP clients (Okta, Sekoia.io) against hostile servers on
 * 127.0.0.1:
 * - a response that starts at once and then trickles a byte at a time for ever must still end
 *   in a timeout (an idle timeout alone never fires on it), as a retryable failure;
 * - no redirect status is followed, to another origin or the same one, so the token or API key
 *   is never sent anywhere but the configured origin.
 * (The Temporal connection of the CLI has its own 10 s connect deadline; the config-errors
 * integration test exercises it against a listener that accepts and closes.)
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { OktaClient } from '../../../src/okta/client';
import { OktaTransientError, OktaUnexpectedResponseError } from '../../../src/okta/errors';
import { RateLimiter } from '../../../src/okta/rate-limiter';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import { SekoiaSink } from '../../../src/sinks/sekoia-sink';
import { Secret } from '../../../src/sinks/secret';
import { SinkRejectedError, SinkTransientError } from '../../../src/sinks/sink';

const TOKEN = 'tok-http-9b1c2d3e4f5a6b7c8d9e';
const API_KEY = 'sk-http-0a9b8c7d6e5f4a3b2c1d';
const CONNECTOR = '04716e25-c97f-4a22-925e-8b636ad9c8a4';
const EVENT = JSON.parse(
  readFileSync(path.join(__dirname, '../../fixtures/ocsf/01-active-super-admin.json'), 'utf8'),
) as UserInventoryInfo;

interface Server {
  url: string;
  requests: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

const open: Server[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Server> {
  const requests: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: Server = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  open.push(s);
  return s;
}

/** Headers at once, then one byte of a never-ending JSON body every 20 ms. */
function trickle(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('[');
  const t = setInterval(() => res.write(' '), 20);
  timers.push(t);
  res.on('close', () => clearInterval(t));
}

function okta(url: string, timeoutMs = 30_000): OktaClient {
  return new OktaClient({
    orgUrl: url,
    token: TOKEN,
    limiter: new RateLimiter({ share: 1 }),
    timeoutMs,
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
}

const sinks: SekoiaSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

function sekoia(url: string, requestTimeoutMs = 30_000): SekoiaSink {
  const sink = new SekoiaSink(
    { baseUrl: url, connectorUuid: CONNECTOR, apiKey: new Secret(API_KEY), batchSize: 100 },
    { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 10, requestTimeoutMs },
  );
  sinks.push(sink);
  return sink;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    const text = `${String((e as Error).message)} ${inspect(e, { depth: 5, showHidden: true })}`;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(API_KEY);
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const delivery = { syncId: 'sync-1', partId: 'page-000001', events: [EVENT] };

describe('a response that trickles for ever ends in a timeout', () => {
  test('Okta client: OktaTransientError (timeout), retryable', async () => {
    const s = await serve(trickle);
    const err = await failure(okta(s.url, 300).listUserFactors('00u1'));
    expect(err).toBeInstanceOf(OktaTransientError);
    expect((err as OktaTransientError).reason).toBe('timeout');
    expect((err as OktaTransientError).retryable).toBe(true);
    expect(s.requests).toHaveLength(1);
  });

  test('Sekoia.io sink: SinkTransientError (no complete response)', async () => {
    const s = await serve(trickle);
    const err = await failure(sekoia(s.url, 300).deliver(delivery));
    expect(err).toBeInstanceOf(SinkTransientError);
    expect(err.message).toContain('no complete response within 300 ms');
    expect(s.requests).toHaveLength(1);
  });
});

describe.each([301, 302, 303, 307, 308])('HTTP %i is never followed', (status) => {
  test('Okta client: neither to another origin nor to its own', async () => {
    const elsewhere = await serve((_q, res) => res.writeHead(200).end('[]'));
    const s = await serve((_req, res) => {
      // The first request is sent away, the second (if any) back to the same origin.
      const same = s.requests.length > 1;
      const target = same ? `${s.url}/api/v1/users` : `${elsewhere.url}/api/v1/users`;
      res.writeHead(status, { location: target }).end();
    });
    for (const _ of [1, 2]) {
      const err = await failure(okta(s.url).listUsersPage());
      expect(err).toBeInstanceOf(OktaUnexpectedResponseError);
      expect(err.message).toContain(`unexpected redirect (HTTP ${status})`);
    }
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]!.authorization).toBe(`SSWS ${TOKEN}`);
    expect(elsewhere.requests).toHaveLength(0);
  });

  test('Sekoia.io sink: the key never travels to the Location', async () => {
    const elsewhere = await serve((_q, res) => res.writeHead(200).end('{}'));
    const s = await serve((_q, res) =>
      res.writeHead(status, { location: `${elsewhere.url}/api/v2/x` }).end(),
    );
    const err = await failure(sekoia(s.url).deliver(delivery));
    expect(err).toBeInstanceOf(SinkRejectedError);
    expect(err.message).toContain(`HTTP ${status} redirect`);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]!.authorization).toBe(`Bearer ${API_KEY}`);
    expect(elsewhere.requests).toHaveLength(0);
  });
});
