/**
 * scripts/ensure-temporal.sh, run for real in a sandbox: a PATH holding only the shell tools it
 * needs plus fake `temporal` / `go` programs, and a temporary cache folder. Nothing is built or
 * downloaded.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'scripts', 'ensure-temporal.sh');
const TOOLS = [
  'bash',
  'sh',
  'cat',
  'mkdir',
  'mktemp',
  'rm',
  'mv',
  'sleep',
  'head',
  'dirname',
  'basename',
  'chmod',
];

// Answers --version and shows the flags the scripts rely on, like CLI v1.5.1 does.
const FAKE_TEMPORAL = `#!/bin/sh
case "$1" in
  --version) echo "temporal version 1.5.1 (fake)" ;;
  *) echo "      --command-timeout duration"; echo "      --disable-config-env"; echo "      --disable-config-file" ;;
esac
`;
const OLD_TEMPORAL = `#!/bin/sh
case "$1" in
  --version) echo "temporal version 0.13.0 (fake)" ;;
  *) echo "usage: temporal ..." ;;
esac
`;
// A Go that "builds" by writing the fake CLI into $GOBIN, slowly, and counts its builds.
const fakeGo = (version: string, counter: string): string => `#!/bin/sh
if [ "$1" = env ]; then echo "${version}"; exit 0; fi
if [ "$1" = install ]; then
  echo build >> "${counter}"
  sleep 1
  cat > "$GOBIN/temporal" <<'EOF'
${FAKE_TEMPORAL}EOF
  chmod +x "$GOBIN/temporal"
  exit 0
fi
exit 2
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sandbox: string;
let tools: string;
let bin: string;
let cache: string;

function writeProgram(file: string, text: string): string {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

function run(env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      path.join(tools, 'bash'),
      [SCRIPT],
      {
        // Only what is given here: no developer TEMPORAL_CLI, XDG_CACHE_HOME or real CLI leaks in.
        env: {
          PATH: `${bin}:${tools}`,
          HOME: sandbox,
          OKTA_OCSF_CACHE: cache,
          OKTA_OCSF_GO_DIRS: '',
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeEach(() => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'okta-ocsf-ensure-'));
  tools = path.join(sandbox, 'tools');
  bin = path.join(sandbox, 'bin');
  cache = path.join(sandbox, 'cache');
  mkdirSync(tools);
  mkdirSync(bin);
  for (const tool of TOOLS) {
    const real = execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    symlinkSync(real, path.join(tools, tool));
  }
});

afterEach(() => {
  rmSync(sandbox, { recursive: true, force: true });
});

function cachedCli(): string {
  const dir = path.join(cache, 'temporal-v1.5.1');
  mkdirSync(dir, { recursive: true });
  return writeProgram(path.join(dir, 'temporal'), FAKE_TEMPORAL);
}

test('finds the cached CLI when PATH has no temporal, printing only its path on stdout', async () => {
  const cached = cachedCli();
  const r = await run();
  expect(r).toMatchObject({ code: 0, stdout: `${cached}\n` });
  expect(r.stderr).toContain('using temporal version 1.5.1');
});

test('prefers temporal on PATH over the cache', async () => {
  cachedCli();
  const onPath = writeProgram(path.join(bin, 'temporal'), FAKE_TEMPORAL);
  await expect(run()).resolves.toMatchObject({ code: 0, stdout: `${onPath}\n` });
});

test('skips a temporal on PATH that lacks the flags the scripts pass', async () => {
  const cached = cachedCli();
  writeProgram(path.join(bin, 'temporal'), OLD_TEMPORAL);
  const r = await run();
  expect(r).toMatchObject({ code: 0, stdout: `${cached}\n` });
  expect(r.stderr).toContain('too old');
});

test('TEMPORAL_CLI wins, and a broken one is an error rather than a silent fallback', async () => {
  cachedCli();
  const chosen = writeProgram(path.join(sandbox, 'my-temporal'), FAKE_TEMPORAL);
  await expect(run({ TEMPORAL_CLI: chosen })).resolves.toMatchObject({
    code: 0,
    stdout: `${chosen}\n`,
  });

  const broken = await run({ TEMPORAL_CLI: path.join(sandbox, 'missing') });
  expect(broken.code).toBe(1);
  expect(broken.stdout).toBe('');
  expect(broken.stderr).toContain('TEMPORAL_CLI=');
});

test('with no CLI and no Go, exits 1 with the ways to install the CLI', async () => {
  const r = await run();
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('brew install temporal');
  expect(r.stderr).toContain('temporal_cli_1.5.1_');
  expect(r.stderr).toContain('go install github.com/temporalio/cli/cmd/temporal@v1.5.1');
});

test('refuses to build with a Go older than 1.25', async () => {
  const counter = path.join(sandbox, 'builds');
  writeProgram(path.join(bin, 'go'), fakeGo('go1.22.5', counter));
  const r = await run();
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("Go >= 1.25, found 'go1.22.5'");
  expect(() => readFileSync(counter)).toThrow();
});

test('builds into the cache once when two callers race for it', async () => {
  const counter = path.join(sandbox, 'builds');
  writeProgram(path.join(bin, 'go'), fakeGo('go1.26.0', counter));
  const [a, b] = await Promise.all([run(), run()]);
  const cached = path.join(cache, 'temporal-v1.5.1', 'temporal');
  expect(a).toMatchObject({ code: 0, stdout: `${cached}\n` });
  expect(b).toMatchObject({ code: 0, stdout: `${cached}\n` });
  expect(readFileSync(counter, 'utf8')).toBe('build\n');

  // Later callers find it without building.
  await expect(run()).resolves.toMatchObject({ code: 0, stdout: `${cached}\n` });
  expect(readFileSync(counter, 'utf8')).toBe('build\n');
}, 30_000);
