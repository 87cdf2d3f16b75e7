/** jest globalTeardown of the integration project: stops the server globalSetup started, if any. */
import { rmSync } from 'node:fs';
import { getGlobalDevServer, setGlobalDevServer } from './global-dev-server';

export default async function globalTeardown(): Promise<void> {
  const started = getGlobalDevServer();
  if (started === undefined) return; // the caller's own server (TEMPORAL_TEST_ADDRESS): not ours to stop
  setGlobalDevServer(undefined);
  await started.server.stop();
  rmSync(started.dir, { recursive: true, force: true });
}
