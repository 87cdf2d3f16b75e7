/**
 * CLI commands for payload encryption: `okta-ocsf codec-server` and `okta-ocsf keygen`.
 * Keys come only from the environment (OKTA_OCSF_ENCRYPTION_KEYS), never from flags, so they stay
 * out of shell history and process listings.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_CODEC_HOST,
  DEFAULT_CODEC_PORT,
  normalizeCorsOrigin,
  startCodecServer,
  type RunningCodecServer,
} from './codec-server';
import { processOutput, waitForShutdownSignal } from '../cli/process-io';
import {
  ENCRYPTION_KEYS_ENV,
  KEY_ID_PATTERN,
  generateKeyringEntry,
  parseKeyring,
  type Keyring,
} from './keyring';

export const CODEC_AUTH_TOKEN_ENV = 'OKTA_OCSF_CODEC_AUTH_TOKEN';
const MIN_AUTH_TOKEN_LENGTH = 16;
/** Where `temporal server start-dev` serves its UI. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = [
  'http://127.0.0.1:8233',
  'http://localhost:8233',
];
const CONFIG_EXIT_CODE = 2;

/** Process edges, injectable so tests run the commands in-process. */
export interface CommandIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves with a reason (e.g. the signal name) when the codec server should stop. */
  waitForShutdown: () => Promise<string>;
  /** Called once the codec server listens; lets a test learn the URL of a `--port 0` server. */
  onListening?: (url: string) => void;
}

function processIo(): CommandIo {
  return { env: process.env, ...processOutput, waitForShutdown: waitForShutdownSignal };
}

interface CodecServerFlags {
  port: number;
  host: string;
  corsOrigin?: string[];
}

const CODEC_SERVER_HELP = `
Environment:
  ${ENCRYPTION_KEYS_ENV}   required; keyId:base64key[,keyId:base64key...] (first entry encrypts,
                              all decrypt). Create an entry with "okta-ocsf keygen".
  ${CODEC_AUTH_TOKEN_ENV}  optional; when set (${MIN_AUTH_TOKEN_LENGTH}+ characters) every request must send
                              "Authorization: Bearer <token>" (e.g. temporal --codec-auth).

Point Temporal at it:
  temporal server start-dev --ui-codec-endpoint http://127.0.0.1:${DEFAULT_CODEC_PORT}
  temporal workflow show --workflow-id <id> --codec-endpoint http://127.0.0.1:${DEFAULT_CODEC_PORT}
  Temporal UI container: TEMPORAL_CODEC_ENDPOINT=http://localhost:${DEFAULT_CODEC_PORT} and
  --cors-origin <the UI's origin, e.g. http://localhost:8080>.

Anyone who can call this server can read decrypted payloads (Okta emails and names): keep it on
loopback or behind authentication.`;

export function codecServerCommand(overrides: Partial<CommandIo> = {}): Command {
  const io: CommandIo = { ...processIo(), ...overrides };
  const command = new Command('codec-server');
  command
    .description(
      'Serve the Temporal codec-server protocol (POST /decode, /encode) so the Temporal Web UI and CLI ' +
        `show payloads encrypted with ${ENCRYPTION_KEYS_ENV} in clear text to operators who can reach it`,
    )
    .addOption(
      new Option('--port <port>', 'TCP port to listen on (0 picks a free port)')
        .default(DEFAULT_CODEC_PORT)
        .argParser(parsePort),
    )
    .addOption(
      new Option(
        '--host <host>',
        'interface to bind; keep it on loopback unless a bearer token or an authenticating proxy protects it',
      ).default(DEFAULT_CODEC_HOST),
    )
    .addOption(
      new Option(
        '--cors-origin <origin>',
        'browser origin of a Temporal UI allowed to call this server; repeat for several ' +
          `(default: ${DEFAULT_CORS_ORIGINS.join(' and ')})`,
      ).argParser(collectOrigin),
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText('after', CODEC_SERVER_HELP)
    .action((flags: CodecServerFlags) => runCodecServer(command, io, flags));
  return command;
}

interface CodecServerEnv {
  keyring: Keyring;
  authToken: string | undefined;
}

/** Reads the keys and the optional bearer token; every problem is listed, not just the first. */
function codecServerEnv(env: CommandIo['env']): CodecServerEnv | { errors: string[] } {
  const errors: string[] = [];
  const parsed = parseKeyring(env);
  if (!parsed.ok) errors.push(...parsed.errors);
  else if (parsed.keyring === null) {
    errors.push(
      `${ENCRYPTION_KEYS_ENV} is not set: the codec server needs the keys payloads were encrypted ` +
        `with (keyId:base64key[,...]; create one with "okta-ocsf keygen")`,
    );
  }
  const authToken = env[CODEC_AUTH_TOKEN_ENV];
  if (authToken !== undefined && authToken.length < MIN_AUTH_TOKEN_LENGTH) {
    errors.push(
      `${CODEC_AUTH_TOKEN_ENV} must be at least ${MIN_AUTH_TOKEN_LENGTH} characters when set ` +
        `(unset it to run without a bearer token)`,
    );
  }
  if (errors.length > 0 || !parsed.ok || parsed.keyring === null) return { errors };
  return { keyring: parsed.keyring, authToken };
}

/** Starts the server, tells the operator how it is set up, and serves until shutdown. */
async function runCodecServer(
  command: Command,
  io: CommandIo,
  flags: CodecServerFlags,
): Promise<void> {
  const env = codecServerEnv(io.env);
  if ('errors' in env) {
    return command.error(env.errors.join('\n'), {
      exitCode: CONFIG_EXIT_CODE,
      code: 'okta-ocsf.codec-server.config',
    });
  }
  const { keyring, authToken } = env;
  const corsOrigins = flags.corsOrigin ?? [...DEFAULT_CORS_ORIGINS];

  let server: RunningCodecServer;
  try {
    server = await startCodecServer({
      port: flags.port,
      host: flags.host,
      keyring,
      corsOrigins,
      authToken,
      log: (line) => io.stderr(`${line}\n`),
    });
  } catch (error) {
    return command.error(error instanceof Error ? error.message : String(error), {
      exitCode: 1,
      code: 'okta-ocsf.codec-server.listen',
    });
  }
  announceCodecServer(io, server.url, flags.host, keyring, corsOrigins, authToken);
  io.onListening?.(server.url);

  const reason = await io.waitForShutdown();
  await server.close();
  io.stderr(`codec server stopped (${reason})\n`);
}

/** What the operator needs to point Temporal at the server, and a warning when it is exposed. */
function announceCodecServer(
  io: CommandIo,
  url: string,
  host: string,
  keyring: Keyring,
  corsOrigins: string[],
  authToken: string | undefined,
): void {
  const [first, ...older] = keyring.keyIds;
  io.stderr(
    [
      `okta-ocsf codec server listening on ${url}`,
      `  encrypts with key id ${first}; also decrypts ${older.length > 0 ? older.join(', ') : '(no older keys)'}`,
      `  CORS origins: ${corsOrigins.map(normalizeCorsOrigin).join(', ')}`,
      `  bearer token: ${authToken === undefined ? 'not required' : `required (${CODEC_AUTH_TOKEN_ENV})`}`,
      `  Temporal dev server: temporal server start-dev --ui-codec-endpoint ${url}`,
      '',
    ].join('\n'),
  );
  if (!isLoopback(host) && authToken === undefined) {
    io.stderr(
      `warning: listening on ${host} without ${CODEC_AUTH_TOKEN_ENV}: anyone who can reach ` +
        'this port can decrypt payloads\n',
    );
  }
}

export function keygenCommand(overrides: Partial<CommandIo> = {}): Command {
  const io: CommandIo = { ...processIo(), ...overrides };
  // A dated default keeps successive rotations from colliding on the same id.
  const defaultId = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;
  const command = new Command('keygen');
  command
    .description(
      `Print a new random AES-256 key entry (keyId:base64key) for ${ENCRYPTION_KEYS_ENV} to stdout`,
    )
    .addOption(
      new Option(
        '--id <id>',
        'key id stored in each encrypted payload ([A-Za-z0-9._-], 1-64 chars)',
      )
        .default(defaultId)
        .argParser(parseKeyId),
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      'after',
      `
Enable encryption:
  export ${ENCRYPTION_KEYS_ENV}="$(okta-ocsf keygen --id k1)"
Rotate (the first entry encrypts new payloads; keep old keys until histories written with them
have passed the namespace retention period, then drop them):
  export ${ENCRYPTION_KEYS_ENV}="$(okta-ocsf keygen --id k2),$${ENCRYPTION_KEYS_ENV}"
The entry is a secret: keep it in a secret manager, never in source control or logs.`,
    )
    .action((flags: { id: string }) => {
      const current = parseKeyring(io.env);
      if (current.ok && current.keyring?.has(flags.id)) {
        io.stderr(
          `warning: key id "${flags.id}" is already in ${ENCRYPTION_KEYS_ENV}; pick another --id before adding this entry\n`,
        );
      }
      io.stdout(`${generateKeyringEntry(flags.id)}\n`);
    });
  return command;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError('expected an integer from 0 to 65535');
  }
  return port;
}

function collectOrigin(value: string, previous: string[] | undefined): string[] {
  try {
    return [...(previous ?? []), normalizeCorsOrigin(value)];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function parseKeyId(value: string): string {
  if (!KEY_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError('expected 1-64 characters from A-Z a-z 0-9 . _ -');
  }
  return value;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
