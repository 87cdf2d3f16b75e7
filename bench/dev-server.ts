/**
 * The benchmark's own Temporal dev server: headless, on a free loopback port, with a SQLite file
 * in the run's work folder, so a benchmark never shares a server (and its load) with a
 * developer's or the tests'. Same starter as the tests (src/devtools/temporal-dev-server.ts).
 */
import * as path from 'node:path';
import { freePort, startDevServer, type DevServer } from '../src/devtools/temporal-dev-server';

export type BenchDevServer = DevServer;

export async function startBenchDevServer(dir: string): Promise<BenchDevServer> {
  return startDevServer({
    port: await freePort(),
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    headless: true,
    logLevel: 'warn',
    startTimeoutMs: 90_000,
  });
}
