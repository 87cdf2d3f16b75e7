/**
 * The dev server that jest's globalSetup starts for the whole integration run, handed to
 * globalTeardown. Both run in jest's parent process, which shares one `globalThis` between them
 * (but not module instances), hence a registry-wide symbol rather than a module variable.
 */
import type { DevServer } from '../../src/devtools/temporal-dev-server';

export interface GlobalDevServer {
  server: DevServer;
  /** Temporary folder holding the database and log; removed by the teardown. */
  dir: string;
}

const KEY = Symbol.for('okta-ocsf.test.globalDevServer');

export function setGlobalDevServer(value: GlobalDevServer | undefined): void {
  (globalThis as Record<symbol, unknown>)[KEY] = value;
}

export function getGlobalDevServer(): GlobalDevServer | undefined {
  const value = (globalThis as Record<symbol, unknown>)[KEY];
  return value === undefined ? undefined : (value as GlobalDevServer);
}
