import { CommanderError, type Command } from 'commander';
import {
  CODEC_AUTH_TOKEN_ENV,
  codecServerCommand,
  keygenCommand,
  type CommandIo,
} from '../../../src/codec/command';
import {
  ENCRYPTION_KEYS_ENV,
  generateKeyringEntry,
  parseKeyring,
} from '../../../src/codec/keyring';
import { call } from './http';

interface Harness {
  io: Partial<CommandIo>;
  out: string[];
  err: string[];
  stop: (reason: string) => void;
  listening: Promise<string>;
}

function harness(env: Record<string, string | undefined>): Harness {
  const out: string[] = [];
  const err: string[] = [];
  let stop: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  let listened: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (listened = resolve));
  return {
    out,
    err,
    stop: (reason) => stop(reason),
    listening,
    io: {
      env,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      waitForShutdown: () => stopped,
      onListening: (url) => listened(url),
    },
  };
}

async function runExpectingExit(command: Command, args: string[]): Promise<CommanderError> {
  command.exitOverride();
  try {
    await command.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
  throw new Error('command was expected to exit');
}

/** A decode request from a browser at `origin`. */
async function postDecode(
  url: string,
  origin: string,
): Promise<{ status: number; body: string; acao?: string }> {
  const reply = await call(url, {
    headers: { 'Content-Type': 'application/json', Origin: origin },
    body: '{"payloads":[]}',
  });
  const acao = reply.headers['access-control-allow-origin'];
  return {
    status: reply.status,
    body: reply.text,
    acao: typeof acao === 'string' ? acao : undefined,
  };
}

describe('okta-ocsf codec-server', () => {
  it('exits 2 naming the variable when no keys are configured', async () => {
    const h = harness({});
    const error = await runExpectingExit(codecServerCommand(h.io), []);
    expect(error.exitCode).toBe(2);
    expect(h.err.join('')).toContain(`${ENCRYPTION_KEYS_ENV} is not set`);
  });

  it('exits 2 with every configuration error and no key material', async () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const h = harness({ [ENCRYPTION_KEYS_ENV]: `k1:${short}`, [CODEC_AUTH_TOKEN_ENV]: 'tooshort' });
    const error = await runExpectingExit(codecServerCommand(h.io), []);
    expect(error.exitCode).toBe(2);
    const stderr = h.err.join('');
    expect(stderr).toContain('exactly 32 bytes');
    expect(stderr).toContain(`${CODEC_AUTH_TOKEN_ENV} must be at least 16 characters`);
    expect(stderr).not.toContain(short);
    expect(stderr).not.toContain('tooshort');
  });

  it('explains itself in --help', async () => {
    const h = harness({});
    const error = await runExpectingExit(codecServerCommand(h.io), ['--help']);
    expect(error.exitCode).toBe(0);
    const help = h.out.join('');
    for (const text of [
      '--port <port>',
      '--host <host>',
      '--cors-origin <origin>',
      'http://127.0.0.1:8233 and http://localhost:8233',
      ENCRYPTION_KEYS_ENV,
      CODEC_AUTH_TOKEN_ENV,
      '--ui-codec-endpoint',
      'TEMPORAL_CODEC_ENDPOINT',
    ]) {
      expect(help).toContain(text);
    }
  });

  it('rejects a malformed --cors-origin or --port', async () => {
    const env = { [ENCRYPTION_KEYS_ENV]: generateKeyringEntry('k1') };
    const origin = harness(env);
    const bad = await runExpectingExit(codecServerCommand(origin.io), ['--cors-origin', '*']);
    expect(bad.exitCode).toBe(1);
    expect(origin.err.join('')).toContain('list the Temporal UI origin explicitly');
    const port = harness(env);
    await runExpectingExit(codecServerCommand(port.io), ['--port', '80a']);
    expect(port.err.join('')).toContain('expected an integer from 0 to 65535');
  });

  it('serves with the configured origins until asked to shut down', async () => {
    const entries = [generateKeyringEntry('k2'), generateKeyringEntry('k1')];
    const h = harness({ [ENCRYPTION_KEYS_ENV]: entries.join(',') });
    const command = codecServerCommand(h.io).exitOverride();
    const done = command.parseAsync(
      [
        '--port',
        '0',
        '--cors-origin',
        'http://localhost:8080/',
        '--cors-origin',
        'http://127.0.0.1:8080',
      ],
      { from: 'user' },
    );
    try {
      const url = await h.listening;
      const allowed = await postDecode(url, 'http://localhost:8080');
      expect(allowed.status).toBe(200);
      expect(allowed.acao).toBe('http://localhost:8080');
      // Repeated --cors-origin replaces the defaults rather than adding to them.
      expect((await postDecode(url, 'http://127.0.0.1:8233')).status).toBe(403);
    } finally {
      h.stop('SIGTERM');
      await done;
    }
    const stderr = h.err.join('');
    expect(stderr).toContain('encrypts with key id k2; also decrypts k1');
    expect(stderr).toContain('CORS origins: http://localhost:8080, http://127.0.0.1:8080');
    expect(stderr).toContain('codec server stopped (SIGTERM)');
    for (const entry of entries) expect(stderr).not.toContain(entry.slice(3, 20));
  });
});

describe('okta-ocsf keygen', () => {
  it('prints one parseable entry under the given id, and only that, on stdout', async () => {
    const h = harness({});
    await keygenCommand(h.io).parseAsync(['--id', 'k1'], { from: 'user' });
    expect(h.out).toHaveLength(1);
    const printed = h.out[0] as string;
    expect(printed).toMatch(/^k1:[A-Za-z0-9+/]{43}=\n$/);
    const parsed = parseKeyring({ [ENCRYPTION_KEYS_ENV]: printed.trim() });
    expect(parsed.ok && parsed.keyring?.encryptionKeyId).toBe('k1');
  });

  it('defaults to a dated id so successive rotations do not collide', async () => {
    const h = harness({});
    await keygenCommand(h.io).parseAsync([], { from: 'user' });
    expect(h.out[0]).toMatch(/^k\d{8}:/);
  });

  it('warns when the id is already configured', async () => {
    const h = harness({ [ENCRYPTION_KEYS_ENV]: generateKeyringEntry('k1') });
    await keygenCommand(h.io).parseAsync(['--id', 'k1'], { from: 'user' });
    expect(h.err.join('')).toContain('key id "k1" is already in');
    expect(h.out).toHaveLength(1);
  });

  it('rejects an invalid id and documents rotation in --help', async () => {
    const bad = harness({});
    await runExpectingExit(keygenCommand(bad.io), ['--id', 'has space']);
    expect(bad.err.join('')).toContain('expected 1-64 characters');
    expect(bad.out).toHaveLength(0);

    const help = harness({});
    await runExpectingExit(keygenCommand(help.io), ['--help']);
    expect(help.out.join('')).toContain(`"$(okta-ocsf keygen --id k2),$${ENCRYPTION_KEYS_ENV}"`);
  });
});
