/**
 * One GET to Okta with throttling and the in-call retry policy: a permit from the shared
 * `RateLimiter`, the request's credentials, the exchange (`transport.ts`), and what to do with
 * its outcome. Transient failures are retried with backoff, 429s by waiting for Okta's reset (or
 * a short backoff for the concurrency limit) within the wait budget, an expired token or a DPoP
 * nonce once; everything else, and whatever still fails, ends as a typed error from `errors.ts`.
 */

import type { RequestAuthorizer } from './auth/authorizer';
import { authChallenge } from './auth/www-authenticate';
import { bucketFor, type BucketId } from './buckets';
import type { ClientCounters, OktaCallCounters } from './client-counters';
import { sleep, type Clock } from './clock';
import {
  malformedResponse,
  OktaAbortedError,
  OktaAuthError,
  OktaBadRequestError,
  OktaNotFoundError,
  oktaErrorBody,
  oktaErrorCauses,
  OktaRateLimitedError,
  OktaTransientError,
  OktaUnexpectedResponseError,
  type OktaErrorContext,
} from './errors';
import { readRateLimitHeaders, type HeaderBag, type RateLimitObservation } from './headers';
import { limiterKeyFor } from './limiter-keys';
import { notify, type OktaObserver } from './observer';
import {
  AcquireAborted,
  RateLimitWaitExceeded,
  type OnWait,
  type Permit,
  type RateLimiter,
  type WaitReason,
} from './rate-limiter';
import { isRecord } from './records';
import { backoffDelay, type RetryPolicy } from './retry-policy';
import type { OktaTransport, SendOutcome } from './transport';

export interface CallOptions {
  /** Aborts waits and the request in flight; the call then throws `OktaAbortedError`. */
  signal?: AbortSignal;
  /** Called when the call starts waiting (and every few seconds while it waits): heartbeat here. */
  onWait?: OnWait;
  /** Counters of this call alone, incremented alongside the client's (see `OktaCallCounters`). */
  counters?: OktaCallCounters;
}

/** A 2xx response whose JSON body has the expected shape. */
export interface OktaResponse {
  body: unknown;
  headers: HeaderBag;
  observation: RateLimitObservation;
}

export interface OktaRequesterOptions {
  authorizer: RequestAuthorizer;
  limiter: RateLimiter;
  transport: OktaTransport;
  retryPolicy: Readonly<RetryPolicy>;
  timeoutMs: number;
  counters: ClientCounters;
  clock: Clock;
  random: () => number;
  observer: OktaObserver | undefined;
}

/** Hard bound on the retry loop of one request, whatever the policy says. */
const MAX_LOOP = 100;
/** Upper bound of one backoff after a concurrency 429. */
const MAX_CONCURRENCY_DELAY_MS = 4000;
/** Long waits report this often, so a heartbeating activity stays alive through them. */
const PAUSE_REPORT_MS = 5000;

/** What one request has been through so far. */
interface Attempts {
  readonly endpoint: string;
  readonly url: URL;
  readonly bucket: BucketId;
  readonly ctx: OktaErrorContext;
  readonly call: CallOptions;
  readonly shape: 'array' | 'object';
  /** Local time after which no rate-limit wait is accepted. */
  readonly waitDeadline: number;
  transientFailures: number;
  rateLimitedRetries: number;
  concurrencyRetries: number;
  authRetried: boolean;
}

/** The request is to be sent again (after whatever wait it needed). */
const RETRY = Symbol('retry');

/** The users listing: every other call of a sync waits on it, so the limiter serves it first. */
export const USERS_LIST_ENDPOINT = 'GET /api/v1/users';

/** A response, with what its rate-limit headers said. */
type Answer = Extract<SendOutcome, { kind: 'response' }> & { observation: RateLimitObservation };
type NoAnswer = Exclude<SendOutcome, { kind: 'response' }>;

export class OktaRequester {
  // An ES private field: kept out of JSON.stringify, util.inspect and error objects.
  readonly #auth: RequestAuthorizer;
  private readonly opts: Omit<OktaRequesterOptions, 'authorizer'>;

  constructor(options: OktaRequesterOptions) {
    const { authorizer, ...rest } = options;
    this.#auth = authorizer;
    this.opts = rest;
  }

  /**
   * Resolves with a 2xx JSON body of the expected shape (an array for listings); everything else
   * ends as a typed error.
   */
  async get(
    endpoint: string,
    url: URL,
    call: CallOptions,
    shape: 'array' | 'object' = 'array',
  ): Promise<OktaResponse> {
    const a: Attempts = {
      endpoint,
      url,
      bucket: bucketFor('GET', url.pathname),
      ctx: { endpoint, path: url.pathname },
      call,
      shape,
      waitDeadline: this.opts.clock.now() + this.opts.retryPolicy.rateLimitWaitBudgetMs,
      transientFailures: 0,
      rateLimitedRetries: 0,
      concurrencyRetries: 0,
      authRetried: false,
    };
    const limiterKey = limiterKeyFor('GET', url.pathname);
    for (let loop = 0; loop < MAX_LOOP; loop++) {
      const permit = await this.acquire(limiterKey, a);
      let authHeaders: Record<string, string>;
      try {
        authHeaders = await this.#auth.authorize('GET', url, { signal: call.signal });
      } catch (e) {
        permit.release(null);
        throw e;
      }
      this.opts.counters.count(a.bucket, 'requests', call.counters);
      const outcome = await this.exchange(a, permit, authHeaders);
      const result =
        outcome.kind === 'response'
          ? await this.onResponse(a, outcome, authHeaders)
          : await this.onNoResponse(a, outcome);
      if (result !== RETRY) return result;
    }
    throw new OktaUnexpectedResponseError({
      ...a.ctx,
      detail: `gave up after ${MAX_LOOP} attempts`,
    });
  }

  /** A permit of the limiter, translating its refusals into typed errors. */
  private async acquire(limiterKey: string, a: Attempts): Promise<Permit> {
    const { clock, observer, limiter } = this.opts;
    const askedAt = clock.now();
    const waited: { reason: WaitReason | null } = { reason: null };
    const onWait: OnWait | undefined = observer
      ? (ms, reason) => {
          waited.reason = reason;
          a.call.onWait?.(ms, reason);
        }
      : a.call.onWait;
    const permit = await limiter
      .acquire(limiterKey, {
        signal: a.call.signal,
        onWait,
        waitUntilMs: a.waitDeadline,
        priority: a.endpoint === USERS_LIST_ENDPOINT,
      })
      .catch((e: unknown) => {
        if (e instanceof RateLimitWaitExceeded) {
          throw new OktaRateLimitedError({
            ...a.ctx,
            resetAtMs: e.untilMs,
            concurrency: false,
            bucket: a.bucket,
            proactive: true,
            detail: `not waiting beyond the ${this.opts.retryPolicy.rateLimitWaitBudgetMs} ms rate-limit wait budget`,
          });
        }
        if (e instanceof AcquireAborted) throw new OktaAbortedError({ ...a.ctx, reason: e.reason });
        throw e;
      });
    const reason = waited.reason;
    const permittedAt = clock.now();
    if (reason !== null) notify(observer, (o) => o.waited(a.bucket, reason, permittedAt - askedAt));
    return permit;
  }

  /** Sends the request, releases the permit with what the response said, tells the observer. */
  private async exchange(
    a: Attempts,
    permit: Permit,
    authHeaders: Record<string, string>,
  ): Promise<Answer | NoAnswer> {
    const { clock, observer } = this.opts;
    // Latency of Okta's answer alone: a token renewal before it is not the endpoint's.
    const sentAt = clock.now();
    const outcome = await this.opts.transport.get(a.url, a.call.signal, authHeaders);
    const exchange = { endpoint: a.endpoint, bucket: a.bucket, durationMs: clock.now() - sentAt };
    if (outcome.kind !== 'response') {
      permit.release(null);
      notify(observer, (o) =>
        o.exchanged({ ...exchange, status: null, failure: outcome.kind, observation: null }),
      );
      return outcome;
    }
    const observation = readRateLimitHeaders(outcome.headers, outcome.status, outcome.receivedAtMs);
    permit.release(observation);
    notify(observer, (o) =>
      o.exchanged({ ...exchange, status: outcome.status, failure: null, observation }),
    );
    return { ...outcome, observation };
  }

  /** A timeout or a network failure is transient; an abort ends the call. */
  private async onNoResponse(a: Attempts, outcome: NoAnswer): Promise<typeof RETRY> {
    if (outcome.kind === 'aborted')
      throw new OktaAbortedError({ ...a.ctx, reason: outcome.reason });
    const err =
      outcome.kind === 'timeout'
        ? new OktaTransientError({
            ...a.ctx,
            reason: 'timeout',
            code: 'ETIMEDOUT',
            detail: `no complete response within ${this.opts.timeoutMs} ms`,
          })
        : new OktaTransientError({
            ...a.ctx,
            reason: 'network',
            code: outcome.code,
            detail: `network error ${outcome.code ?? '(no code)'}`,
          });
    await this.afterTransient(err, a);
    return RETRY;
  }

  private async onResponse(
    a: Attempts,
    res: Answer,
    authHeaders: Record<string, string>,
  ): Promise<OktaResponse | typeof RETRY> {
    const status = res.status;
    if (status >= 200 && status < 300) return this.onSuccess(a, res);
    const okta = { ...a.ctx, status, ...oktaErrorBody(res.text) };
    if (status === 429) {
      await this.on429(a, okta, res.observation);
      return RETRY;
    }
    if (status >= 500) {
      await this.afterTransient(new OktaTransientError({ ...okta, reason: 'server_error' }), a);
      return RETRY;
    }
    if ((status === 401 || status === 400) && !a.authRetried) {
      // A renewed token after "expired", or the DPoP nonce Okta asked for: one more try.
      const sentAuthorization = authHeaders.Authorization ?? '';
      if (await this.#auth.onRefused({ status, headers: res.headers, sentAuthorization })) {
        a.authRetried = true;
        return RETRY;
      }
    }
    throw this.refusal(okta, res);
  }

  private async onSuccess(a: Attempts, res: Answer): Promise<OktaResponse | typeof RETRY> {
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    if (a.shape === 'array' ? Array.isArray(body) : isRecord(body)) {
      return { body, headers: res.headers, observation: res.observation };
    }
    const what =
      body === undefined
        ? 'the body is not valid JSON'
        : `the body is not a JSON ${a.shape === 'array' ? 'array' : 'object'}`;
    await this.afterTransient(malformedResponse(a.endpoint, a.url, what, res.status), a);
    return RETRY;
  }

  /** Waits out a 429 when the policy allows, else throws `OktaRateLimitedError`. */
  private async on429(
    a: Attempts,
    okta: OktaErrorContext,
    obs: RateLimitObservation,
  ): Promise<void> {
    const policy = this.opts.retryPolicy;
    this.opts.counters.count(a.bucket, 'rateLimited', a.call.counters);
    if (obs.concurrency) this.opts.counters.concurrencyLimited();
    const now = this.opts.clock.now();
    if (obs.concurrency) {
      // Okta's Reset is only an estimate here; the org's in-flight count drops within moments.
      a.concurrencyRetries++;
      const delay = this.backoff(
        policy.concurrencyBaseDelayMs,
        a.concurrencyRetries,
        MAX_CONCURRENCY_DELAY_MS,
      );
      const err = new OktaRateLimitedError({
        ...okta,
        resetAtMs: now + delay,
        concurrency: true,
        bucket: a.bucket,
      });
      if (a.concurrencyRetries > policy.maxConcurrencyRetries || now + delay > a.waitDeadline)
        throw err;
      await this.pause(delay, 'concurrency', a.call, a.ctx);
      return;
    }
    a.rateLimitedRetries++;
    // Okta sends Reset on every 429; without one, a whole default window is the safe guess.
    const resetAtMs = Math.max(obs.resetAtMs ?? now + 60_000, now);
    const err = new OktaRateLimitedError({
      ...okta,
      resetAtMs,
      concurrency: false,
      bucket: a.bucket,
    });
    if (a.rateLimitedRetries > policy.maxRateLimitRetries || resetAtMs > a.waitDeadline) throw err;
    await this.pause(resetAtMs - now, 'rate_limited', a.call, a.ctx);
  }

  /** The error of a status no retry within the call can cure. */
  private refusal(
    okta: OktaErrorContext & { status: number },
    res: { headers: HeaderBag; text: string },
  ): Error {
    const status = okta.status;
    if (status === 401 || status === 403) {
      return new OktaAuthError({
        ...okta,
        challenge: authChallenge(res.headers),
        credential: this.#auth.credential,
      });
    }
    if (status === 404) return new OktaNotFoundError(okta);
    if (status === 400)
      return new OktaBadRequestError({ ...okta, causes: oktaErrorCauses(res.text) });
    return new OktaUnexpectedResponseError({
      ...okta,
      detail:
        status >= 300 && status < 400
          ? `unexpected redirect (HTTP ${status}); redirects are not followed, so the token never leaves the org. Is OKTA_ORG_URL the org's own URL?`
          : `unexpected HTTP ${status}`,
    });
  }

  /** Counts a transient failure, throws it when attempts are exhausted, else backs off. */
  private async afterTransient(err: OktaTransientError, a: Attempts): Promise<void> {
    const policy = this.opts.retryPolicy;
    this.opts.counters.transient(a.call.counters);
    a.transientFailures++;
    if (a.transientFailures >= policy.maxAttempts) throw err;
    const delay = this.backoff(policy.baseDelayMs, a.transientFailures, policy.maxDelayMs);
    await this.pause(delay, 'backoff', a.call, { endpoint: err.endpoint, path: err.path });
  }

  private backoff(base: number, attempt: number, max: number): number {
    return backoffDelay(base, attempt, max, this.opts.random);
  }

  /** Sleeps `ms`, reporting through `onWait` as it goes; an abort ends it with `OktaAbortedError`. */
  private async pause(
    ms: number,
    reason: 'backoff' | 'rate_limited' | 'concurrency',
    call: CallOptions,
    ctx: OktaErrorContext,
  ): Promise<void> {
    const { clock, observer } = this.opts;
    tellWaiting(call, ms, reason);
    const startedAt = clock.now();
    let left = ms;
    while (left > 0) {
      const step = Math.min(left, PAUSE_REPORT_MS);
      await sleep(
        clock,
        step,
        call.signal,
        () => new OktaAbortedError({ ...ctx, reason: call.signal?.reason }),
      );
      left -= step;
      if (left > 0) tellWaiting(call, left, reason);
    }
    if (call.signal?.aborted) throw new OktaAbortedError({ ...ctx, reason: call.signal.reason });
    const bucket = bucketFor('GET', ctx.path);
    notify(observer, (o) => o.waited(bucket, reason, clock.now() - startedAt));
  }
}

function tellWaiting(call: CallOptions, ms: number, reason: WaitReason): void {
  if (!call.onWait) return;
  try {
    call.onWait(ms, reason);
  } catch {
    // An observer's failure must not turn into a request failure.
  }
}
