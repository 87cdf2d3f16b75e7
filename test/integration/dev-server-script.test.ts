/**
 * scripts/dev-server.sh (what `make` and developers call) on a real Temporal dev server: start is
 * idempotent, status tells the truth, stop ends only its own process and keeps the database.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePorts } from '../../src/devtools/temporal-dev-server';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'dev-server.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stateDir: string;
let env: NodeJS.ProcessEnv;

function script(command: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, command], { env, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeEach(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'okta-ocsf-devscript-'));
  const [port, uiPort] = (await freePorts(2)) as [number, number];
  env = {
    ...process.env,
    TEMPORAL_DEV_PORT: String(port),
    TEMPORAL_DEV_UI_PORT: String(uiPort),
    OKTA_OCSF_STATE_DIR: stateDir,
    // Not "default": the script must create it at launch and wait for it.
    TEMPORAL_NAMESPACE: 'okta-ocsf-script-test',
    TEMPORAL_DEV_START_TIMEOUT: '60',
  };
});

afterEach(async () => {
  await script('stop');
  rmSync(stateDir, { recursive: true, force: true });
});

test('start, start again, status, stop: one server, stopped cleanly, database kept', async () => {
  const pidFile = path.join(stateDir, 'temporal-dev.pid');
  const dbFile = path.join(stateDir, 'temporal-dev.db');

  const started = await script('start');
  expect(started.code).toBe(0);
  expect(started.stdout).toContain(`address:  127.0.0.1:${env.TEMPORAL_DEV_PORT}`);
  expect(started.stdout).toContain(`Web UI:   http://127.0.0.1:${env.TEMPORAL_DEV_UI_PORT}`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  expect(alive(pid)).toBe(true);

  const again = await script('start');
  expect(again.code).toBe(0);
  expect(again.stderr).toContain('already running');
  expect(again.stdout).toContain(`running (pid ${pid})`);

  await expect(script('status')).resolves.toMatchObject({ code: 0 });

  const stopped = await script('stop');
  expect(stopped.code).toBe(0);
  expect(alive(pid)).toBe(false);
  expect(existsSync(pidFile)).toBe(false);
  expect(existsSync(dbFile)).toBe(true);
  await expect(script('status')).resolves.toMatchObject({ code: 3 });
}, 120_000);

test('refuses a frontend port held by something that is not Temporal', async () => {
  const squatter = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) =>
    squatter.listen(Number(env.TEMPORAL_DEV_PORT), '127.0.0.1', resolve),
  );
  try {
    const r = await script('start');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`port ${env.TEMPORAL_DEV_PORT} on 127.0.0.1 is in use`);
    expect(existsSync(path.join(stateDir, 'temporal-dev.pid'))).toBe(false);
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
}, 60_000);
