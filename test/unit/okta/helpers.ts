/** Test helpers for the Okta client: a manual clock and small loopback HTTP servers. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Clock } from '../../../src/okta/clock';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; timers fire in time order as it moves. */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.UTC(2025, 0, 1, 0, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  pendingTimers(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  /** When the earliest pending timer is due, or null when none is pending. */
  nextTimerAt(): number | null {
    let best: number | null = null;
    for (const x of this.timers) if (!x.cancelled && (best === null || x.at < best)) best = x.at;
    return best;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    // Bounded: each iteration fires one timer or ends the loop.
    for (let i = 0; i < 100_000; i++) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      const due = this.timers
        .filter((x) => x.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      due.cancelled = true;
      due.fn();
      await flush();
    }
    this.t = target;
    await flush();
  }
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  url: string;
  origin: URL;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 with an ephemeral port; `handler` answers every request. */
export async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void,
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    origin: new URL(url),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Rate-limit headers as Okta sends them, on Okta's clock (`serverNowMs`). */
export function rateHeaders(opts: {
  limit: number;
  remaining: number;
  resetInS: number;
  serverNowMs?: number;
}): Record<string, string> {
  const now = opts.serverNowMs ?? Date.now();
  const dateS = Math.floor(now / 1000);
  return {
    date: new Date(dateS * 1000).toUTCString(),
    'x-rate-limit-limit': String(opts.limit),
    'x-rate-limit-remaining': String(opts.remaining),
    'x-rate-limit-reset': String(dateS + opts.resetInS),
  };
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}
