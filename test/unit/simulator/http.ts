/**
 * A bare HTTP client for the simulator tests: node:http without keep-alive, so every test sees the
 * raw header lines (repeated `link` headers are not joined) and leaves no socket open.
 */
import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Name/value pairs exactly as received, repeated headers kept apart. */
  rawHeaders: Array<[string, string]>;
  body: string;
}

export function request(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload =
      opts.rawBody !== undefined
        ? Buffer.from(opts.rawBody)
        : opts.body === undefined
          ? undefined
          : Buffer.from(JSON.stringify(opts.body));
    const req = http.request(
      url,
      {
        method: opts.method ?? 'GET',
        agent: false,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw: Array<[string, string]> = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            raw.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: raw,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function api(url: string, token = 'sim-token'): Promise<RawResponse> {
  return request(url, { headers: { authorization: `SSWS ${token}` } });
}

export function json<T = unknown>(res: RawResponse): T {
  return JSON.parse(res.body) as T;
}

/** The `link` header lines, each as sent. */
export function linkLines(res: RawResponse): string[] {
  return res.rawHeaders.filter(([name]) => name.toLowerCase() === 'link').map(([, v]) => v);
}

export function nextLink(res: RawResponse): string | undefined {
  for (const line of linkLines(res)) {
    const m = /^<([^>]+)>;\s*rel="next"$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Follows `next` links from `url`; returns every page's parsed body and response. */
export async function pages<T>(
  url: string,
  token = 'sim-token',
  maxPages = 1000,
): Promise<Array<{ res: RawResponse; items: T[] }>> {
  const out: Array<{ res: RawResponse; items: T[] }> = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    if (out.length >= maxPages) throw new Error(`more than ${maxPages} pages from ${url}`);
    const res = await api(next, token);
    if (res.status !== 200) throw new Error(`GET ${next} → ${res.status} ${res.body}`);
    out.push({ res, items: json<T[]>(res) });
    next = nextLink(res);
  }
  return out;
}

/** A clock tests move by hand. */
export function manualClock(start = Date.UTC(2026, 0, 15, 12, 0, 10)): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}
