/**
 * The HTTP exchanges with Okta, over axios: one request, one outcome. Redirects are never followed
 * (the credentials stay on the org), every status is an answer rather than an exception, the body
 * stays raw text (a body that is not JSON must become a typed error, not a string), and the
 * timeout covers the whole exchange, connection to last byte.
 *
 * Nothing here throws or lets an axios error out: axios errors carry the request configuration,
 * `Authorization` header included.
 */

import axios, { type AxiosInstance } from 'axios';

import type { Clock } from './clock';
import type { HeaderBag } from './headers';

/** How one exchange ended. */
export type SendOutcome =
  | { kind: 'response'; status: number; headers: HeaderBag; text: string; receivedAtMs: number }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string | null }
  | { kind: 'aborted'; reason: unknown };

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const TIMEOUT = Symbol('okta-request-timeout');

/** An axios instance that follows no redirect, throws on no status and keeps bodies as text. */
export function rawTextAxios(maxContentLength: number, timeoutMs?: number): AxiosInstance {
  return axios.create({
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxContentLength,
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
  });
}

/** Response headers with lower-case names. */
export function lowerCaseHeaders(headers: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    out[k.toLowerCase()] = v;
  }
  return out;
}

/** The system error code of a failed request (`ECONNRESET`, …), never anything else of it. */
export function failureCode(e: unknown): string | null {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : null;
}

export function isTimeoutCode(code: string | null): boolean {
  return code === 'ECONNABORTED' || code === 'ETIMEDOUT';
}

export interface OktaTransportOptions {
  /** Timeout of one exchange, connection to last byte. */
  timeoutMs: number;
  userAgent: string;
  clock: Clock;
}

/** GET requests to the Management API. */
export class OktaTransport {
  private readonly http: AxiosInstance = rawTextAxios(MAX_BODY_BYTES);

  constructor(private readonly opts: OktaTransportOptions) {}

  /** One GET; aborted by `signal` or the timeout, whichever comes first. Never throws. */
  async get(
    url: URL,
    signal: AbortSignal | undefined,
    authHeaders: Record<string, string>,
  ): Promise<SendOutcome> {
    if (signal?.aborted) return { kind: 'aborted', reason: signal.reason };
    const { clock, timeoutMs, userAgent } = this.opts;
    const controller = new AbortController();
    const cancelTimer = clock.setTimer(() => controller.abort(TIMEOUT), timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.http.request<unknown>({
        method: 'GET',
        url: url.toString(),
        headers: { ...authHeaders, Accept: 'application/json', 'User-Agent': userAgent },
        signal: controller.signal,
      });
      return {
        kind: 'response',
        status: res.status,
        headers: lowerCaseHeaders(res.headers),
        text: typeof res.data === 'string' ? res.data : '',
        receivedAtMs: clock.now(),
      };
    } catch (e: unknown) {
      if (controller.signal.aborted) {
        return controller.signal.reason === TIMEOUT
          ? { kind: 'timeout' }
          : { kind: 'aborted', reason: signal?.reason };
      }
      const code = failureCode(e);
      return isTimeoutCode(code) ? { kind: 'timeout' } : { kind: 'network', code };
    } finally {
      cancelTimer();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
