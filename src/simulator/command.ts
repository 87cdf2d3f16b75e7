/**
 * `okta-ocsf simulate`: runs the Okta tenant simulator in the foreground, so that the product can
 * be tried (and the worker, demo or benchmark run) without a real Okta org.
 */

import { Command, InvalidArgumentError, Option } from 'commander';

import { processOutput, waitForShutdownSignal } from '../cli/process-io';
import { BUCKET_IDS, type BucketId } from '../okta/buckets';
import { DEFAULT_GRANTED_SCOPES, type OAuthSimOptions } from './oauth/authorization-server';
import { ensureClientKey, publicJwkFromFile } from './oauth/client-keys';
import { DEFAULT_RATE_LIMITS, LIMITS, type SimulatorOptions } from './options';
import { OktaSimulator } from './server';

export const DEFAULT_SIMULATOR_PORT = 8090;

/** Process edges, injectable so tests run the command in-process. */
export interface SimulateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves with a reason (e.g. the signal name) when the simulator should stop. */
  waitForShutdown: () => Promise<string>;
  /** Called once the simulator listens (a test learns the URL of a `--port 0` simulator). */
  onListening?: (sim: OktaSimulator) => void;
  /** Sets the process exit code (1 when the simulator cannot start). */
  setExitCode: (code: number) => void;
}

function processIo(): SimulateIo {
  return {
    ...processOutput,
    waitForShutdown: waitForShutdownSignal,
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };
}

interface SimulateFlags {
  port: number;
  host: string;
  users: number;
  groups: number;
  seed: number;
  latencyMs: number;
  rateLimit?: number;
  rateLimitBucket: Array<[BucketId, number]>;
  rateWindowMs: number;
  concurrencyLimit: number;
  faultRate: number;
  heavyUserGroups?: number;
  token: string;
  oauthClientId: string;
  oauthKeyOut?: string;
  oauthPublicKey?: string;
  oauthScopes: string;
  oauthDpop: boolean;
  oauthTokenLifetime: number;
}

function intParser(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return value;
  };
}

function probability(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidArgumentError('expected a probability from 0 to 1 (e.g. 0.05).');
  }
  return value;
}

function bucketLimit(raw: string, previous: Array<[BucketId, number]>): Array<[BucketId, number]> {
  const m = /^([a-z0-9-]+)=(\d+)$/.exec(raw.trim());
  if (!m || !(BUCKET_IDS as readonly string[]).includes(m[1])) {
    throw new InvalidArgumentError(
      `expected <bucket>=<n> with bucket one of ${BUCKET_IDS.join(', ')}.`,
    );
  }
  const n = intParser(1, LIMITS.rateLimit)(m[2]);
  return [...previous, [m[1] as BucketId, n]];
}

function hostParser(raw: string): string {
  if (!/^[A-Za-z0-9.:-]+$/.test(raw)) {
    throw new InvalidArgumentError(
      'expected a host name or IP address (e.g. 127.0.0.1 or 0.0.0.0).',
    );
  }
  return raw;
}

function tokenParser(raw: string): string {
  if (!/^[\x21-\x7e]{1,512}$/.test(raw)) {
    throw new InvalidArgumentError('expected 1 to 512 visible ASCII characters without spaces.');
  }
  return raw;
}

/** One flag of `okta-ocsf simulate`, as commander's `.option()` takes it. */
interface FlagRow {
  flags: string;
  description: string;
  /** Parses (and, for repeatable flags, accumulates) the value; rejects bad input by name. */
  parse?: (raw: string, previous: never) => unknown;
  default?: unknown;
}

const BUCKET_DEFAULTS = BUCKET_IDS.map((b) => `${b}=${DEFAULT_RATE_LIMITS[b]}`).join(', ');

/** The flags in the order `--help` lists them. */
const FLAGS: readonly FlagRow[] = [
  {
    flags: '--port <n>',
    description: 'port to listen on (0 = any free port)',
    parse: intParser(0, 65535),
    default: DEFAULT_SIMULATOR_PORT,
  },
  {
    flags: '--host <host>',
    description: 'address to listen on (0.0.0.0 exposes it beyond this machine)',
    parse: hostParser,
    default: '127.0.0.1',
  },
  {
    flags: '--users <n>',
    description: 'users in the tenant (every Okta status, awkward data included)',
    parse: intParser(0, LIMITS.users),
    default: 1000,
  },
  {
    flags: '--groups <n>',
    description: 'groups in the tenant, the Everyone group included',
    parse: intParser(1, LIMITS.groups),
    default: 100,
  },
  {
    flags: '--seed <n>',
    description: 'seed: the same seed always gives the same tenant',
    parse: intParser(0, 0xffffffff),
    default: 1,
  },
  {
    flags: '--heavy-user-groups <n>',
    description: 'groups of the user in the most groups (default min(450, groups))',
    parse: intParser(1, LIMITS.groups),
  },
  {
    flags: '--latency-ms <n>',
    description: 'delay added to every API response',
    parse: intParser(0, LIMITS.latencyMs),
    default: 0,
  },
  {
    flags: '--rate-limit <n>',
    description: 'requests per window for every bucket (overrides the defaults)',
    parse: intParser(1, LIMITS.rateLimit),
  },
  {
    flags: '--rate-limit-bucket <bucket=n>',
    description: `requests per window for one bucket; repeatable (defaults: ${BUCKET_DEFAULTS})`,
    parse: bucketLimit,
    default: [],
  },
  {
    flags: '--rate-window-ms <n>',
    description: 'length of a rate-limit window (Okta: 60000, on the minute)',
    parse: intParser(1, LIMITS.windowMs),
    default: 60_000,
  },
  {
    flags: '--concurrency-limit <n>',
    description: 'requests in flight at once before 429 (0 = no limit)',
    parse: intParser(0, LIMITS.concurrency),
    default: 75,
  },
  {
    flags: '--fault-rate <p>',
    description:
      'probability of a fault per request, spread evenly over 500, 503 and reset connections',
    parse: probability,
    default: 0,
  },
  {
    flags: '--token <token>',
    description: 'API token to accept as "Authorization: SSWS <token>"',
    parse: tokenParser,
    default: 'sim-token',
  },
  {
    flags: '--oauth-key-out <file>',
    description:
      'OAuth: register a service app whose private key is in <file> (generated, RSA JWK, if absent)',
  },
  {
    flags: '--oauth-public-key <file>',
    description:
      'OAuth: register a service app with this public key (PEM or JWK), as uploaded to Okta',
  },
  {
    flags: '--oauth-client-id <id>',
    description: 'OAuth: client id of the registered app',
    default: 'sim-service-app',
  },
  {
    flags: '--oauth-scopes <scopes>',
    description: 'OAuth: scopes granted to the app (space-separated)',
    default: DEFAULT_GRANTED_SCOPES.join(' '),
  },
  {
    flags: '--oauth-dpop',
    description: 'OAuth: the app requires DPoP-bound tokens',
    default: false,
  },
  {
    flags: '--oauth-token-lifetime <s>',
    description: 'OAuth: access token lifetime in seconds',
    parse: intParser(1, 86_400),
    default: 3600,
  },
];

const HELP_AFTER = [
  '',
  'Buckets (as Okta counts them): ' + BUCKET_IDS.join(', ') + '.',
  '',
  'Admin endpoints on the same server (no auth, not counted, not rate limited):',
  '  GET  /__sim/stats   /__sim/info   /__sim/users/<id>/enriched',
  '  POST /__sim/reset-stats',
  '  POST /__sim/mutate            {"update": 25, "create": 10, "deprovision": 5}',
  '  POST /__sim/change            {"changes": [{"op": "grantRole", "userId": "00u…", "roleType": "SUPER_ADMIN"}]}',
  '  POST /__sim/system-log-access {"denied": "You do not have permission"} (null allows)',
  '  POST /__sim/faults            {"rate500": 0.01, "rate503": 0.01, "rateReset": 0.01, "rateSlow": 0.05, "slowMs": 2000, "rateMalformed": 0}',
  '                                {"failPaths": ["/api/v1/users/<id>/factors"]}  (503 on every request to these paths)',
  '  POST /__sim/rate-limits       {"users-list": 100}',
  '  POST /__sim/concurrency-limit {"limit": 15}',
  '  POST /__sim/token             {"token": "new-token"}',
  '  POST /__sim/oauth/clients     {"clientId": "app", "keys": [<public JWK>], "scopes": [...], "dpop": true}',
  '  POST /__sim/oauth/token-lifetime {"seconds": 5}     GET /__sim/oauth/stats',
  '',
  'Example:',
  '  okta-ocsf simulate --users 50000 --groups 500 --rate-limit-bucket users-list=100',
  '  OKTA_ORG_URL=http://127.0.0.1:8090 OKTA_API_TOKEN=sim-token okta-ocsf sync',
].join('\n');

export function simulateCommand(overrides: Partial<SimulateIo> = {}): Command {
  const io: SimulateIo = { ...processIo(), ...overrides };
  const command = new Command('simulate').description(
    'Run a simulated Okta tenant: a local HTTP server that behaves like Okta’s Management API\n' +
      '(users, groups, roles, factors; paging, rate limits, errors), to try okta-ocsf without an org.',
  );
  for (const row of FLAGS) {
    const option = new Option(row.flags, row.description);
    if (row.parse) option.argParser(row.parse as (value: string, previous: unknown) => unknown);
    if ('default' in row) option.default(row.default);
    command.addOption(option);
  }
  return command
    .addHelpText('after', HELP_AFTER)
    .action((flags: SimulateFlags) => runSimulator(io, flags));
}

/** Starts the simulator the flags describe, prints how to use it, and serves until shutdown. */
async function runSimulator(io: SimulateIo, flags: SimulateFlags): Promise<void> {
  if (flags.heavyUserGroups !== undefined && flags.heavyUserGroups > flags.groups) {
    io.stderr(
      `okta-ocsf simulate: --heavy-user-groups (${flags.heavyUserGroups}) cannot exceed --groups (${flags.groups})\n`,
    );
    io.setExitCode(2);
    return;
  }
  const options = simulatorOptions(flags);
  let sim: OktaSimulator;
  let oauthLines: (url: string) => string[];
  try {
    const oauth = await oauthApp(flags);
    if (oauth) options.oauth = oauth.options;
    oauthLines = oauth?.lines ?? noOauthLines;
    sim = await OktaSimulator.start(options);
  } catch (err) {
    io.stderr(`okta-ocsf simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    io.setExitCode(1);
    return;
  }
  io.stdout(banner(sim, flags, oauthLines(sim.url)));
  io.onListening?.(sim);
  const reason = await io.waitForShutdown();
  await sim.close();
  io.stdout(
    `Okta tenant simulator stopped (${reason}); served ${sim.stats().requests} API requests.\n`,
  );
}

function simulatorOptions(flags: SimulateFlags): SimulatorOptions {
  // --rate-limit sets every bucket; --rate-limit-bucket then overrides single buckets.
  const rateLimits: Partial<Record<BucketId, number>> = {};
  if (flags.rateLimit !== undefined) for (const b of BUCKET_IDS) rateLimits[b] = flags.rateLimit;
  for (const [bucket, n] of flags.rateLimitBucket) rateLimits[bucket] = n;
  return {
    port: flags.port,
    host: flags.host,
    users: flags.users,
    groups: flags.groups,
    seed: flags.seed,
    token: flags.token,
    latencyMs: flags.latencyMs,
    rateLimits,
    rateLimitWindowMs: flags.rateWindowMs,
    concurrencyLimit: flags.concurrencyLimit,
    heavyUserGroups: flags.heavyUserGroups,
    faults:
      flags.faultRate > 0
        ? {
            rate500: flags.faultRate / 3,
            rate503: flags.faultRate / 3,
            rateReset: flags.faultRate / 3,
          }
        : {},
  };
}

function noOauthLines(): string[] {
  return [
    '  OAuth:    no service app; --oauth-key-out ./sim-oauth-key.json generates a key and registers it',
  ];
}

/** The OAuth service app the flags register (generating its key if asked), or null for none. */
async function oauthApp(
  flags: SimulateFlags,
): Promise<{ options: OAuthSimOptions; lines: (url: string) => string[] } | null> {
  const keyFile = flags.oauthKeyOut ?? null;
  if (keyFile === null && flags.oauthPublicKey === undefined) return null;
  const publicJwk =
    keyFile !== null
      ? (await ensureClientKey(keyFile)).publicJwk
      : publicJwkFromFile(flags.oauthPublicKey!);
  const options: OAuthSimOptions = {
    tokenLifetimeSeconds: flags.oauthTokenLifetime,
    clients: [
      {
        clientId: flags.oauthClientId,
        keys: [publicJwk],
        scopes: flags.oauthScopes.split(/[\s,]+/).filter((x) => x !== ''),
        dpop: flags.oauthDpop,
      },
    ],
  };
  const lines = (url: string): string[] => [
    `  OAuth:    service app ${flags.oauthClientId}, key ${publicJwk.kid ?? '(no kid)'}, ` +
      `${flags.oauthDpop ? 'DPoP required' : 'DPoP not required'}, tokens for ${flags.oauthTokenLifetime} s`,
    `            scopes granted: ${flags.oauthScopes}`,
    keyFile !== null
      ? `  Try:      OKTA_ORG_URL=${url} OKTA_OAUTH_CLIENT_ID=${flags.oauthClientId} OKTA_OAUTH_PRIVATE_KEY_FILE=${keyFile} okta-ocsf sync`
      : `  Try:      OKTA_ORG_URL=${url} OKTA_OAUTH_CLIENT_ID=${flags.oauthClientId} OKTA_OAUTH_PRIVATE_KEY_FILE=<your private key> okta-ocsf sync`,
  ];
  return { options, lines };
}

function banner(sim: OktaSimulator, flags: SimulateFlags, oauthLines: string[]): string {
  const info = sim.info();
  const limits = BUCKET_IDS.map((b) => `${b} ${info.rateLimits[b]}`).join(', ');
  return [
    `Okta tenant simulator (seed ${info.seed}): ${info.users} users, ${info.groups} groups, org domain ${info.orgDomain}`,
    `  Org URL:  ${sim.url}`,
    `  Token:    ${flags.token}   (send "Authorization: SSWS ${flags.token}")`,
    `  Try:      OKTA_ORG_URL=${sim.url} OKTA_API_TOKEN=${flags.token} okta-ocsf sync`,
    ...oauthLines,
    `  Limits:   ${limits} per ${info.rateLimitWindowMs} ms; ${info.concurrencyLimit || 'no'} concurrent`,
    `  Admin:    ${sim.url}/__sim/stats`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}
