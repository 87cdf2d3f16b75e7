/**
 * The configuration of the worker and the CLI, read from the environment once, validated as a
 * whole: every bad variable is reported (one line each, naming it), not just the first.
 * Secrets are kept here and in the activities' closure only — never in workflow inputs.
 */
import { ENRICHMENT_CHOICES, type EnrichmentChoice } from './sync/bulk-types';
import * as path from 'node:path';
import {
  DEFAULT_ACTIVITY_BUDGET_MS,
  MAX_ACTIVITY_BUDGET_MS,
  MIN_ACTIVITY_BUDGET_MS,
} from './contract/activity-budget';
import { parseKeyring, type Keyring } from './codec/keyring';
import { parseMetricsAddress } from './metrics/metrics-address';
import { parseOktaCredentials, type OktaCredentials } from './okta/auth/credentials';
import { validateOrgUrl } from './okta/org-url';
import { parseSinkConfig, type SinkConfig } from './sinks/sink-config';
import { SYSTEM_LOG_MODES, type SystemLogMode } from './sync/system-log-phase';

export interface OktaConfig {
  /** Origin only, e.g. `https://acme.okta.com`. */
  orgUrl: string;
  /** An API token or an OAuth service app (src/okta/auth/credentials.ts). */
  credentials: OktaCredentials;
  rateLimitShare: number;
  maxConcurrency: number;
  requestTimeoutMs: number;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

export interface AppConfig {
  temporal: TemporalConfig;
  /** Present when the caller asked for the Okta URL (and token, for the worker). */
  orgUrl: string | null;
  okta: OktaConfig | null;
  sink: SinkConfig | null;
  keyring: Keyring | null;
  stateDir: string;
  pagesPerRun: number;
  pageConcurrency: number;
  maxConcurrentActivities: number;
  /** OKTA_OCSF_METRICS_ADDRESS: where the worker serves Prometheus `/metrics`; null: off. */
  metricsAddress: string | null;
  /** OKTA_OCSF_SYSTEM_LOG: whether incremental syncs read Okta's System Log. */
  systemLog: SystemLogMode;
  /** OKTA_OCSF_SYSTEM_LOG_MARGIN_SECONDS, in ms: the log is read from the watermark less this. */
  systemLogMarginMs: number;
  /** `OKTA_OCSF_ENRICHMENT`: auto (bulk for full syncs), bulk or per-user. */
  enrichment: EnrichmentChoice;
  /** `OKTA_OCSF_INDEX_RUN_PAIRS`: memberships buffered per sorted run of the index build. */
  indexRunPairs: number;
  /** Wall-clock bound of one sync activity, retries included (src/contract/activity-budget.ts). */
  activityBudgetMs: number;
}

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; errors: string[] };

export interface ConfigNeeds {
  /** `full`: URL and token (the worker); `url`: the org URL only (the CLI); `none`. */
  okta: 'full' | 'url' | 'none';
  sink: boolean;
}

/** Thrown by commands that cannot run with the configuration; the CLI exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly errors: string[]) {
    super(`invalid configuration:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  }
}

interface NumberSetting {
  name: string;
  dflt: number;
  min: number;
  max: number;
  integer?: boolean;
  /** What the variable expects, quoted in the error. */
  what: string;
}

/** The numeric variables: one row each, read by `num`. */
const NUMBERS = {
  rateLimitShare: {
    name: 'OKTA_RATE_LIMIT_SHARE',
    dflt: 0.5,
    min: 0.01,
    max: 1,
    what: 'a number > 0 and <= 1 (share of each Okta rate-limit bucket this sync may use)',
  },
  maxConcurrency: {
    name: 'OKTA_MAX_CONCURRENCY',
    dflt: 10,
    min: 1,
    max: 75,
    integer: true,
    what: 'an integer from 1 to 75 (requests in flight, below the org concurrency limit)',
  },
  requestTimeoutMs: {
    name: 'OKTA_REQUEST_TIMEOUT_MS',
    dflt: 30_000,
    min: 100,
    max: 600_000,
    integer: true,
    what: 'an integer number of milliseconds from 100 to 600000',
  },
  pagesPerRun: {
    name: 'OKTA_OCSF_PAGES_PER_RUN',
    dflt: 50,
    min: 1,
    max: 10_000,
    integer: true,
    what: 'an integer from 1 to 10000 (pages per workflow run before continue-as-new)',
  },
  pageConcurrency: {
    name: 'OKTA_OCSF_PAGE_CONCURRENCY',
    dflt: 2,
    min: 1,
    max: 16,
    integer: true,
    what: 'an integer from 1 to 16 (pages enriched at the same time)',
  },
  maxConcurrentActivities: {
    name: 'OKTA_OCSF_WORKER_ACTIVITIES',
    dflt: 20,
    min: 1,
    max: 1000,
    integer: true,
    what: 'an integer from 1 to 1000 (activities one worker runs at once)',
  },
  systemLogMarginSeconds: {
    name: 'OKTA_OCSF_SYSTEM_LOG_MARGIN_SECONDS',
    dflt: 300,
    min: 0,
    max: 86_400,
    integer: true,
    what: 'an integer number of seconds from 0 to 86400 (how far before the watermark the System Log is read)',
  },
  indexRunPairs: {
    name: 'OKTA_OCSF_INDEX_RUN_PAIRS',
    dflt: 200_000,
    min: 100,
    max: 10_000_000,
    integer: true,
    what: 'an integer from 100 to 10000000 (memberships buffered per sorted run of the membership index)',
  },
  activityBudgetMs: {
    name: 'OKTA_OCSF_RETRY_BUDGET_MS',
    dflt: DEFAULT_ACTIVITY_BUDGET_MS,
    min: MIN_ACTIVITY_BUDGET_MS,
    max: MAX_ACTIVITY_BUDGET_MS,
    integer: true,
    what: `an integer from ${MIN_ACTIVITY_BUDGET_MS} to ${MAX_ACTIVITY_BUDGET_MS} (ms one activity may take, retries and rate-limit waits included)`,
  },
} satisfies Record<string, NumberSetting>;

/** A variable's trimmed value, or `dflt` when it is unset or empty. */
function str(env: NodeJS.ProcessEnv, name: string, dflt: string): string {
  const v = env[name];
  return v === undefined || v === '' ? dflt : v.trim();
}

export function loadConfig(env: NodeJS.ProcessEnv, needs: ConfigNeeds): ConfigResult {
  // Each step appends its problems here, so that all of them are reported at once.
  const errors: string[] = [];
  const temporal = temporalConfig(env, errors);
  const orgUrl = needs.okta === 'none' ? null : oktaOrgUrl(env, errors);
  const okta = needs.okta === 'full' ? oktaConfig(env, orgUrl, errors) : null;

  let sink: SinkConfig | null = null;
  if (needs.sink) {
    const parsed = parseSinkConfig(env);
    if (parsed.ok) sink = parsed.config;
    else errors.push(...parsed.errors);
  }

  const keys = parseKeyring(env);
  const keyring = keys.ok ? keys.keyring : null;
  if (!keys.ok) errors.push(...keys.errors);

  const stateDir = path.resolve(str(env, 'OKTA_OCSF_STATE_DIR', './.okta-ocsf'));
  const pagesPerRun = num(env, NUMBERS.pagesPerRun, errors);
  const pageConcurrency = num(env, NUMBERS.pageConcurrency, errors);
  const maxConcurrentActivities = num(env, NUMBERS.maxConcurrentActivities, errors);
  const metricsAddress = metricsAddressOf(env, errors);
  const systemLog = systemLogMode(env, errors);
  const systemLogMarginSeconds = num(env, NUMBERS.systemLogMarginSeconds, errors);
  const indexRunPairs = num(env, NUMBERS.indexRunPairs, errors);
  const enrichment = enrichmentChoice(env, errors);
  const activityBudgetMs = num(env, NUMBERS.activityBudgetMs, errors);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      temporal,
      orgUrl,
      okta,
      sink,
      keyring,
      stateDir,
      pagesPerRun,
      pageConcurrency,
      maxConcurrentActivities,
      metricsAddress,
      systemLog,
      systemLogMarginMs: systemLogMarginSeconds * 1000,
      enrichment,
      indexRunPairs,
      activityBudgetMs,
    },
  };
}

function temporalConfig(env: NodeJS.ProcessEnv, errors: string[]): TemporalConfig {
  const address = str(env, 'TEMPORAL_ADDRESS', '127.0.0.1:7233');
  if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(address)) {
    errors.push(`TEMPORAL_ADDRESS: expected host:port (e.g. 127.0.0.1:7233), got "${address}"`);
  }
  const namespace = str(env, 'TEMPORAL_NAMESPACE', 'default');
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(namespace)) {
    errors.push(`TEMPORAL_NAMESPACE: expected a namespace name, got "${namespace}"`);
  }
  const taskQueue = str(env, 'TEMPORAL_TASK_QUEUE', 'okta-ocsf');
  if (taskQueue.length === 0 || taskQueue.length > 255) {
    errors.push('TEMPORAL_TASK_QUEUE: expected a non-empty task queue name');
  }
  return { address, namespace, taskQueue };
}

function oktaOrgUrl(env: NodeJS.ProcessEnv, errors: string[]): string | null {
  const raw = env.OKTA_ORG_URL;
  if (raw === undefined || raw.trim() === '') {
    errors.push('OKTA_ORG_URL: required, e.g. https://acme.okta.com');
    return null;
  }
  try {
    return validateOrgUrl(raw.trim()).origin;
  } catch (err) {
    errors.push((err as Error).message);
    return null;
  }
}

/** Credentials and client limits; null unless the whole configuration so far is valid. */
function oktaConfig(
  env: NodeJS.ProcessEnv,
  orgUrl: string | null,
  errors: string[],
): OktaConfig | null {
  const parsedCredentials = parseOktaCredentials(env);
  if (!parsedCredentials.ok) errors.push(...parsedCredentials.errors);
  const rateLimitShare = num(env, NUMBERS.rateLimitShare, errors);
  const maxConcurrency = num(env, NUMBERS.maxConcurrency, errors);
  const requestTimeoutMs = num(env, NUMBERS.requestTimeoutMs, errors);
  if (!orgUrl || !parsedCredentials.ok || errors.length > 0) return null;
  const credentials = parsedCredentials.credentials;
  return { orgUrl, credentials, rateLimitShare, maxConcurrency, requestTimeoutMs };
}

function metricsAddressOf(env: NodeJS.ProcessEnv, errors: string[]): string | null {
  const raw = str(env, 'OKTA_OCSF_METRICS_ADDRESS', '');
  if (raw === '') return null;
  const parsed = parseMetricsAddress(raw);
  if (parsed.ok) return parsed.address;
  errors.push(parsed.error);
  return null;
}

function systemLogMode(env: NodeJS.ProcessEnv, errors: string[]): SystemLogMode {
  const systemLog = str(env, 'OKTA_OCSF_SYSTEM_LOG', 'auto').toLowerCase();
  if (!(SYSTEM_LOG_MODES as readonly string[]).includes(systemLog)) {
    errors.push(
      `OKTA_OCSF_SYSTEM_LOG: expected auto, required or off (whether incremental syncs read Okta's System Log), got "${env.OKTA_OCSF_SYSTEM_LOG}"`,
    );
  }
  return systemLog as SystemLogMode;
}

function enrichmentChoice(env: NodeJS.ProcessEnv, errors: string[]): EnrichmentChoice {
  const enrichment = str(env, 'OKTA_OCSF_ENRICHMENT', 'auto') as EnrichmentChoice;
  if (!ENRICHMENT_CHOICES.includes(enrichment)) {
    errors.push(
      `OKTA_OCSF_ENRICHMENT must be one of ${ENRICHMENT_CHOICES.join(', ')} (got ${JSON.stringify(enrichment)})`,
    );
  }
  return enrichment;
}

/** Like `loadConfig`, but throws `ConfigError` listing every problem. */
export function requireConfig(env: NodeJS.ProcessEnv, needs: ConfigNeeds): AppConfig {
  const r = loadConfig(env, needs);
  if (!r.ok) throw new ConfigError(r.errors);
  return r.config;
}

/** The variable as a number within its setting's bounds; the default (and an error) otherwise. */
function num(env: NodeJS.ProcessEnv, setting: NumberSetting, errors: string[]): number {
  const raw = env[setting.name];
  if (raw === undefined || raw.trim() === '') return setting.dflt;
  const v = Number(raw.trim());
  if (
    !Number.isFinite(v) ||
    v < setting.min ||
    v > setting.max ||
    (setting.integer === true && !Number.isInteger(v))
  ) {
    errors.push(`${setting.name}: expected ${setting.what}, got "${raw}"`);
    return setting.dflt;
  }
  return v;
}
