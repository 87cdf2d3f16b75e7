/**
 * `OCSF_SINK=sekoia`: Sekoia.io's asset connector API.
 *
 *   POST {SEKOIA_BASE_URL}/api/v2/asset-management/asset-connector/{SEKOIA_CONNECTOR_UUID}
 *   Authorization: Bearer {SEKOIA_API_KEY}
 *   {"version": 1, "items": [<OCSF event>, …]}
 *
 * A page is sent as consecutive batches of SEKOIA_BATCH_SIZE events. Each batch is retried here
 * on 429, 408, 5xx, timeouts and connection failures, with exponential backoff honouring
 * `Retry-After`, for a bounded time; after that the delivery fails with `SinkTransientError` and
 * the workflow retries the page later.
 *
 * Resuming: after each accepted batch the sink reports the number of the part's events accepted
 * so far (`onProgress`); the deliver activity heartbeats it, and a retry of the same part passes
 * it back as `alreadyDelivered`, so a page whose third batch failed resumes at its third batch
 * instead of re-sending the first two. Only when the worker dies between an accepted batch and
 * the heartbeat reaching Temporal is a batch sent twice, which an inventory keyed by user.uid
 * absorbs (the mapping contract allows a user to be emitted more than once, never to be missed).
 *
 * The API key lives in a `Secret` and only ever in the request header. Errors are built here from
 * status, code and (redacted, truncated) response body; an axios error, which holds the request
 * headers, never leaves this module.
 */

import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import type { UserInventoryInfo } from '../ocsf/types';
import { Secret } from './secret';
import {
  SinkRejectedError,
  SinkTransientError,
  type DeliverOptions,
  type Delivery,
  type DeliveryResult,
  type EventSink,
  type SinkDefinition,
} from './sink';

export const SEKOIA_DEFAULT_BASE_URL = 'https://api.sekoia.io';
export const SEKOIA_DEFAULT_BATCH_SIZE = 100;
/** Sekoia's own connector SDK sends at most 1000 assets per request. */
export const SEKOIA_MAX_BATCH_SIZE = 1000;
/** The `version` of the request body: Sekoia's asset list format, not the OCSF version. */
const SEKOIA_BODY_VERSION = 1;

export interface SekoiaSinkSettings {
  /** Origin plus optional path prefix, no trailing slash. */
  baseUrl: string;
  connectorUuid: string;
  apiKey: Secret;
  batchSize: number;
}

export interface SekoiaRetryOptions {
  /** Requests per batch, the first included. */
  maxAttempts: number;
  /** First backoff; doubles each attempt, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total waiting between attempts of one batch; a longer `Retry-After` ends the retries. */
  budgetMs: number;
  /** Per request, connection to last byte. */
  requestTimeoutMs: number;
}

/**
 * Worst case per batch: 5 × 20 s of requests + 30 s of waiting ≈ 2 min 10 s; a page of N events
 * is ceil(N / batchSize) batches. The activity's timeout must allow for it.
 */
export const SEKOIA_DEFAULT_RETRY: SekoiaRetryOptions = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 10_000,
  budgetMs: 30_000,
  requestTimeoutMs: 20_000,
};

// Worth another attempt: the receiver is busy, restarting, or the network hiccupped.
const RETRYABLE_STATUS = (status: number): boolean =>
  status === 429 || status === 408 || status >= 500;

// A certificate problem is a configuration problem: retrying cannot fix it.
const TLS_ERROR =
  /^(CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

const MAX_BODY_IN_MESSAGE = 1_000;

export class SekoiaSink implements EventSink {
  readonly kind = 'sekoia';
  /** Where batches are posted; contains no secret. */
  readonly url: string;
  private readonly retry: SekoiaRetryOptions;
  private readonly http: AxiosInstance;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly shutdown = new AbortController();

  constructor(
    private readonly settings: SekoiaSinkSettings,
    retry: Partial<SekoiaRetryOptions> = {},
  ) {
    this.retry = { ...SEKOIA_DEFAULT_RETRY, ...retry };
    this.url = `${settings.baseUrl}/api/v2/asset-management/asset-connector/${settings.connectorUuid}`;
    this.agents = {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({ keepAlive: true }),
    };
    const loopback = isLoopbackHost(new URL(settings.baseUrl).hostname);
    this.http = axios.create({
      timeout: this.retry.requestTimeoutMs,
      maxRedirects: 0,
      // Every status is handled below; axios must not turn one into an error carrying headers.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxContentLength: 1024 * 1024,
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      // A proxy from HTTP(S)_PROXY cannot reach this machine's loopback.
      ...(loopback && { proxy: false as const }),
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'okta-ocsf' },
    });
  }

  async deliver(d: Delivery, opts: DeliverOptions = {}): Promise<DeliveryResult> {
    const size = this.settings.batchSize;
    const total = d.events.length;
    const skip = resumeOffset(opts.alreadyDelivered, total);
    // Batches are counted from the resume point: the batch size may differ from the earlier
    // attempt's (a worker restarted with another SEKOIA_BATCH_SIZE), the event count does not.
    const batches = Math.ceil((total - skip) / size);
    for (let i = 0; i < batches; i++) {
      const from = skip + i * size;
      const items = d.events.slice(from, from + size);
      const where =
        `batch ${i + 1} of ${batches} of part ${d.partId} ` +
        `(${i} batch${i === 1 ? '' : 'es'} accepted before it` +
        `${skip > 0 ? ` after resuming at event ${skip + 1} of ${total}` : ''}; ` +
        'a retry resumes after them)';
      await this.sendBatch(items, where, opts.onRetry);
      opts.onProgress?.(from + items.length);
    }
    return { delivered: total, location: this.url };
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async sendBatch(
    items: UserInventoryInfo[],
    where: string,
    onRetry: (() => void) | undefined,
  ): Promise<void> {
    const body = JSON.stringify({ version: SEKOIA_BODY_VERSION, items });
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      this.throwIfClosed();
      const outcome = await this.post(body);
      if (outcome.kind === 'ok') return;
      if (outcome.kind === 'rejected') {
        throw new SinkRejectedError(`Sekoia.io: ${outcome.reason} at POST ${this.url}, ${where}`, {
          ...(outcome.status !== undefined && { status: outcome.status }),
          ...(outcome.body !== undefined && { responseBody: outcome.body }),
        });
      }
      const backoff = Math.min(
        this.retry.maxDelayMs,
        this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2),
      );
      const delay = Math.round(Math.max(backoff, outcome.retryAfterMs ?? 0));
      const giveUp = attempt >= this.retry.maxAttempts || waited + delay > this.retry.budgetMs;
      if (giveUp) {
        const resetAtMs =
          outcome.retryAfterMs !== undefined ? Date.now() + outcome.retryAfterMs : undefined;
        throw new SinkTransientError(
          `Sekoia.io: ${outcome.reason} at POST ${this.url}, ${where}; gave up after ` +
            `${attempt} attempt${attempt === 1 ? '' : 's'}`,
          resetAtMs !== undefined ? { resetAtMs } : {},
        );
      }
      try {
        onRetry?.();
      } catch {
        // An observer's failure is not the delivery's.
      }
      await sleep(delay, this.shutdown.signal);
      waited += delay;
    }
  }

  private async post(body: string): Promise<Outcome> {
    // Aborts on close() and on a total deadline: axios's `timeout` alone is an idle timeout, which
    // a receiver trickling bytes never trips.
    const attempt = new AbortController();
    const onShutdown = (): void => attempt.abort();
    this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const deadline = setTimeout(() => attempt.abort(), this.retry.requestTimeoutMs);
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.post(this.url, body, {
        headers: { Authorization: `Bearer ${this.settings.apiKey.reveal()}` },
        signal: attempt.signal,
      });
    } catch (err) {
      return this.networkFailure(err, attempt.signal.aborted);
    } finally {
      clearTimeout(deadline);
      this.shutdown.signal.removeEventListener('abort', onShutdown);
    }
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: 'ok' };
    const responseBody = this.bodyText(response.data);
    if (RETRYABLE_STATUS(status)) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      return {
        kind: 'retry',
        reason: `HTTP ${status}: ${responseBody}`,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
      };
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.location;
      return {
        kind: 'rejected',
        status,
        body: responseBody,
        reason:
          `HTTP ${status} redirect${typeof location === 'string' ? ` to ${this.redact(location)}` : ''} ` +
          'not followed (check SEKOIA_BASE_URL)',
      };
    }
    const hint =
      status === 401 || status === 403
        ? ' (check SEKOIA_API_KEY and its permissions)'
        : status === 404
          ? ' (check SEKOIA_CONNECTOR_UUID and SEKOIA_BASE_URL)'
          : status === 413
            ? ' (lower SEKOIA_BATCH_SIZE)'
            : '';
    return {
      kind: 'rejected',
      status,
      body: responseBody,
      reason: `HTTP ${status}${hint}: ${responseBody}`,
    };
  }

  private networkFailure(err: unknown, aborted: boolean): Outcome {
    this.throwIfClosed();
    // Only the code and message of the failure are read: never the error object itself.
    const code =
      typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
    const raw = (err as { message?: unknown } | null)?.message;
    const message = typeof raw === 'string' ? this.redact(raw) : 'request failed';
    // Our deadline and axios's idle timeout are the same length; whichever fires, it is a timeout.
    if (aborted || code === 'ECONNABORTED') {
      return {
        kind: 'retry',
        reason: `no complete response within ${this.retry.requestTimeoutMs} ms`,
      };
    }
    if (TLS_ERROR.test(code)) {
      return {
        kind: 'rejected',
        reason: `TLS failure ${code}: ${message} (check SEKOIA_BASE_URL and the CA certificates)`,
      };
    }
    return { kind: 'retry', reason: `${code || 'network error'}: ${message}` };
  }

  private bodyText(data: unknown): string {
    const text = typeof data === 'string' ? data : data === undefined ? '' : String(data);
    const redacted = this.redact(text).trim();
    if (redacted === '') return '(empty body)';
    return redacted.length > MAX_BODY_IN_MESSAGE
      ? `${redacted.slice(0, MAX_BODY_IN_MESSAGE)}… (${redacted.length} characters)`
      : redacted;
  }

  private redact(text: string): string {
    return this.settings.apiKey.redact(text);
  }

  private throwIfClosed(): void {
    if (this.shutdown.signal.aborted) throw new SinkTransientError('Sekoia.io sink: closed');
  }
}

type Outcome =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'rejected'; reason: string; status?: number; body?: string };

/** Where a delivery resumes: a count outside 0..total (a stale or foreign record) means from the start. */
function resumeOffset(alreadyDelivered: number | undefined, total: number): number {
  const n = alreadyDelivered ?? 0;
  return Number.isInteger(n) && n > 0 && n <= total ? n : 0;
}

/** `Retry-After` as delay-seconds or an HTTP-date, in ms from now; undefined when unusable. */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date always names a day or month; without letters `Date.parse` would read "-3" as a year.
  if (!/[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h === '[::1]' ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const sekoiaSinkDefinition: SinkDefinition<'sekoia', SekoiaSinkSettings> = {
  kind: 'sekoia',
  syntax: 'sekoia',
  parse(arg, env) {
    const errors: string[] = [];
    if (arg !== undefined) errors.push('OCSF_SINK: expected "sekoia" with nothing after it');

    // Values of SEKOIA_* are never repeated in errors: a key pasted into the wrong variable
    // would otherwise end up in the logs.
    const apiKey = (env.SEKOIA_API_KEY ?? '').trim();
    if (apiKey === '') {
      errors.push('SEKOIA_API_KEY: required with OCSF_SINK=sekoia (a Sekoia.io API key)');
    } else if (!/^[\x21-\x7e]+$/.test(apiKey)) {
      errors.push(
        'SEKOIA_API_KEY: expected printable ASCII without spaces (it is sent as an HTTP header)',
      );
    }

    const connectorUuid = (env.SEKOIA_CONNECTOR_UUID ?? '').trim();
    if (connectorUuid === '') {
      errors.push(
        'SEKOIA_CONNECTOR_UUID: required with OCSF_SINK=sekoia (the UUID of the asset connector in Sekoia.io)',
      );
    } else if (!UUID.test(connectorUuid)) {
      errors.push(
        `SEKOIA_CONNECTOR_UUID: expected a UUID (8-4-4-4-12 hexadecimal digits), got a value of ${connectorUuid.length} characters`,
      );
    }

    const baseUrl = parseBaseUrl(env.SEKOIA_BASE_URL, errors);

    const rawBatch = (env.SEKOIA_BATCH_SIZE ?? '').trim();
    let batchSize = SEKOIA_DEFAULT_BATCH_SIZE;
    if (rawBatch !== '') {
      batchSize = /^\d{1,7}$/.test(rawBatch) ? Number(rawBatch) : NaN;
      if (!(batchSize >= 1 && batchSize <= SEKOIA_MAX_BATCH_SIZE)) {
        errors.push(
          `SEKOIA_BATCH_SIZE: expected an integer from 1 to ${SEKOIA_MAX_BATCH_SIZE} (events per request), ` +
            (/^[-+\d.eE]{1,20}$/.test(rawBatch) ? `got ${rawBatch}` : 'got a non-numeric value'),
        );
      }
    }

    if (errors.length > 0 || baseUrl === undefined) return { ok: false, errors };
    return {
      ok: true,
      settings: {
        baseUrl,
        connectorUuid: connectorUuid.toLowerCase(),
        apiKey: new Secret(apiKey),
        batchSize,
      },
    };
  },
  describe: (s) => `sekoia ${s.baseUrl} connector ${s.connectorUuid} (batches of ${s.batchSize})`,
  create: (s) => new SekoiaSink(s),
};

function parseBaseUrl(raw: string | undefined, errors: string[]): string | undefined {
  const value = (raw ?? '').trim() || SEKOIA_DEFAULT_BASE_URL;
  const expected = `expected an https URL such as ${SEKOIA_DEFAULT_BASE_URL} (http only for a loopback host)`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    errors.push(`SEKOIA_BASE_URL: ${expected}; the value is not a URL`);
    return undefined;
  }
  const problems: string[] = [];
  if (url.username !== '' || url.password !== '') problems.push('it must not contain credentials');
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname))
      problems.push(`plain http is allowed only for a loopback host`);
  } else if (url.protocol !== 'https:') {
    problems.push(`unsupported scheme ${JSON.stringify(url.protocol)}`);
  }
  if (url.search !== '' || url.hash !== '') problems.push('it must not have a query or fragment');
  if (problems.length > 0) {
    errors.push(`SEKOIA_BASE_URL: ${expected}; ${problems.join(', ')}`);
    return undefined;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
