/**
 * A real Prometheus server for the metrics tests: Debian's `prometheus` (scripts/ensure-prometheus.sh
 * installs it; PROMETHEUS_PATH overrides), on a free loopback port, with a temporary configuration
 * and storage folder, scraping the given targets every second. `stop()` ends it (SIGTERM, then
 * SIGKILL) and removes its folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { freePorts } from '../../src/devtools/temporal-dev-server';
import { sleep, tempDir, waitExit } from './sync-harness';

/** The Prometheus binary, or null (the tests then skip, saying why). */
export function findPrometheus(): string | null {
  const given = process.env.PROMETHEUS_PATH;
  if (given) return existsSync(given) ? given : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat('/usr/bin')) {
    if (dir && existsSync(path.join(dir, 'prometheus'))) return path.join(dir, 'prometheus');
  }
  return null;
}

/** promtool from the same package, next to prometheus; null without it. */
export function findPromtool(prometheus: string): string | null {
  const p = path.join(path.dirname(prometheus), 'promtool');
  return existsSync(p) ? p : null;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  url: string;
  /** An instant query through the HTTP API; rejects with Prometheus' error (e.g. a parse error). */
  query(promql: string): Promise<PromSample[]>;
  /** The sum of an instant query's values (0 when it returns nothing). */
  sum(promql: string): Promise<number>;
  /** Resolves once every target was scraped successfully after `afterMs` (epoch ms). */
  scrapedAfter(afterMs: number, timeoutMs?: number): Promise<void>;
  /** Names of every series Prometheus holds. */
  seriesNames(): Promise<string[]>;
  stop(): Promise<void>;
}

interface TargetsAnswer {
  data: { activeTargets: { health: string; lastScrape: string; lastError: string }[] };
}

export async function startPrometheus(
  binary: string,
  targets: string[],
  opts: { logFile?: string; ruleFiles?: string[] } = {},
): Promise<Prometheus> {
  const logFile = opts.logFile;
  const dir = await tempDir('prometheus');
  const [port] = await freePorts(1);
  const config = path.join(dir, 'prometheus.yml');
  await fs.writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      ...(opts.ruleFiles?.length
        ? ['rule_files:', ...opts.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)]
        : []),
      'scrape_configs:',
      '  - job_name: okta-ocsf-worker',
      '    static_configs:',
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => log.push(b));
  child.stderr?.on('data', (b: Buffer) => log.push(b));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const exited = await Promise.race([waitExit(child).then(() => true), sleep(10_000)]);
      if (exited !== true) {
        child.kill('SIGKILL');
        await waitExit(child);
      }
    }
    if (logFile) await fs.writeFile(logFile, Buffer.concat(log)).catch(() => {});
    await fs.rm(dir, { recursive: true, force: true });
  };

  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`);
    const body = (await res.json()) as { status: string; error?: string; data: unknown };
    if (body.status !== 'success') {
      throw new Error(`Prometheus ${p.split('?')[0]}: ${body.error ?? res.status}`);
    }
    return body as T;
  };

  try {
    const end = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`prometheus exited (${child.exitCode}): ${Buffer.concat(log).toString()}`);
      }
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > end) throw new Error('prometheus not ready after 30 s');
      await sleep(200);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const query = async (promql: string): Promise<PromSample[]> => {
    const r = await api<{ data: { resultType: string; result: unknown } }>(
      `/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    if (r.data.resultType === 'scalar') {
      return [{ metric: {}, value: r.data.result as [number, string] }];
    }
    return r.data.result as PromSample[];
  };

  return {
    url,
    query,
    sum: async (promql) => (await query(promql)).reduce((acc, s) => acc + Number(s.value[1]), 0),
    scrapedAfter: async (afterMs, timeoutMs = 15_000) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const t = await api<TargetsAnswer>('/api/v1/targets?state=active');
        const all = t.data.activeTargets;
        if (
          all.length === targets.length &&
          all.every((x) => x.health === 'up' && Date.parse(x.lastScrape) > afterMs)
        ) {
          return;
        }
        if (Date.now() > end) {
          throw new Error(
            `no successful scrape after ${new Date(afterMs).toISOString()}: ${JSON.stringify(all)}`,
          );
        }
        await sleep(200);
      }
    },
    seriesNames: async () => (await api<{ data: string[] }>('/api/v1/label/__name__/values')).data,
    stop,
  };
}
