/**
 * The bare walk: the same Okta reads as a sync — list users (following `next` links); per user
 * its groups (every page), factors and roles; the roles of each distinct group once — with the
 * same in-flight cap, and nothing else: no Temporal, no staging, no mapping, no delivery, results
 * discarded. The fastest a single process can read the tenant under that cap; the benchmark
 * compares the full pipeline against it.
 *
 * Run by the benchmark as its own process (`OKTA_API_TOKEN=… node dist/bench/bare-walk.js --url …
 * --concurrency N`, prints one JSON line), so it competes with the simulator for the CPU the
 * same way the worker does.
 */
import http from 'node:http';

export interface BareWalkOptions {
  url: string;
  token: string;
  /** Requests in flight at most (the pipeline's OKTA_MAX_CONCURRENCY). */
  concurrency: number;
}

export interface BareWalkResult {
  users: number;
  distinctGroups: number;
  requests: number;
  rateLimited: number;
  byEndpoint: Record<string, number>;
  durationMs: number;
  usersPerSecond: number;
  /** CPU time (user + system) of this process during the walk, seconds. */
  cpuSeconds: number;
}

interface Reply {
  status: number;
  body: unknown;
  next: string | null;
  resetAtMs: number | null;
}

/** Bound on 429 retries of one request (the benchmark's bare walk runs unthrottled). */
const MAX_RETRIES = 20;

export async function bareWalk(opts: BareWalkOptions): Promise<BareWalkResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const byEndpoint: Record<string, number> = {};
  let requests = 0;
  let rateLimited = 0;

  // A counting semaphore; listing jumps the queue so that users keep arriving while earlier
  // pages are enriched (what the pipeline's page pipelining does too).
  let inFlight = 0;
  const urgent: (() => void)[] = [];
  const normal: (() => void)[] = [];
  const acquire = (first: boolean): Promise<void> =>
    new Promise((resolve) => {
      if (inFlight < opts.concurrency) {
        inFlight += 1;
        resolve();
      } else (first ? urgent : normal).push(resolve);
    });
  const release = (): void => {
    const next = urgent.shift() ?? normal.shift();
    if (next) next();
    else inFlight -= 1;
  };

  const get = async (target: string, endpoint: string, first = false): Promise<Reply> => {
    for (let attempt = 0; ; attempt++) {
      await acquire(first);
      let reply: Reply;
      try {
        requests += 1;
        byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + 1;
        reply = await request(agent, target, opts.token);
      } finally {
        release();
      }
      if (reply.status === 429 && attempt < MAX_RETRIES) {
        rateLimited += 1;
        const wait = Math.max(50, (reply.resetAtMs ?? Date.now() + 1000) - Date.now());
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      if (reply.status !== 200) throw new Error(`bare walk: HTTP ${reply.status} for ${endpoint}`);
      return reply;
    }
  };

  const all = async (first: string, endpoint: string): Promise<unknown[]> => {
    const out: unknown[] = [];
    let next: string | null = first;
    for (let pages = 0; next !== null && pages < 10_000; pages++) {
      const r: Reply = await get(next, endpoint);
      if (Array.isArray(r.body)) out.push(...(r.body as unknown[]));
      next = r.next;
    }
    return out;
  };

  const seenGroups = new Set<string>();
  const work: Promise<unknown>[] = [];
  const started = Date.now();
  const cpuAtStart = process.cpuUsage();
  let users = 0;
  let next: string | null = `${opts.url}/api/v1/users?limit=200`;
  for (let pages = 0; next !== null && pages < 100_000; pages++) {
    const page: Reply = await get(next, 'GET /api/v1/users', true);
    next = page.next;
    for (const u of Array.isArray(page.body) ? (page.body as unknown[]) : []) {
      const id = idOf(u);
      if (id === null) continue;
      users += 1;
      const base = `${opts.url}/api/v1/users/${encodeURIComponent(id)}`;
      work.push(
        all(`${base}/groups?limit=200`, 'GET /api/v1/users/{id}/groups').then((groups) =>
          Promise.all(
            groups.map((g) => {
              const gid = idOf(g);
              if (gid === null || seenGroups.has(gid)) return null;
              seenGroups.add(gid);
              return get(
                `${opts.url}/api/v1/groups/${encodeURIComponent(gid)}/roles`,
                'GET /api/v1/groups/{id}/roles',
              );
            }),
          ),
        ),
        get(`${base}/factors`, 'GET /api/v1/users/{id}/factors'),
        get(`${base}/roles`, 'GET /api/v1/users/{id}/roles'),
      );
    }
  }
  await Promise.all(work);
  const durationMs = Date.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  agent.destroy();
  return {
    users,
    distinctGroups: seenGroups.size,
    requests,
    rateLimited,
    byEndpoint,
    durationMs,
    usersPerSecond: durationMs > 0 ? (users / durationMs) * 1000 : 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function idOf(v: unknown): string | null {
  if (v === null || typeof v !== 'object') return null;
  const id = (v as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}

function request(agent: http.Agent, target: string, token: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      target,
      { agent, headers: { Authorization: `SSWS ${token}`, Accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown = null;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = null;
          }
          const reset = Number(res.headers['x-rate-limit-reset']);
          resolve({
            status: res.statusCode ?? 0,
            body,
            next: nextOf(res.headers.link),
            resetAtMs: Number.isFinite(reset) ? reset * 1000 : null,
          });
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`bare walk: timeout for ${target}`)));
    req.on('error', reject);
  });
}

function nextOf(link: string | string[] | undefined): string | null {
  const lines = Array.isArray(link) ? link : link ? [link] : [];
  for (const line of lines) {
    for (const part of line.split(/,(?=\s*<)/)) {
      const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
      if (m) return m[1] ?? null;
    }
  }
  return null;
}

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`bare-walk: --${name} is required`);
  return v;
}

if (require.main === module) {
  const concurrency = Number(arg('concurrency'));
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write('bare-walk: --concurrency: expected a positive integer\n');
    process.exit(2);
  }
  const token = process.env.OKTA_API_TOKEN ?? '';
  bareWalk({ url: arg('url'), token, concurrency }).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`bare-walk: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
