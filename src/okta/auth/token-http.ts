/**
 * The HTTP exchange with Okta's token endpoint: a form POST that never throws and never lets an
 * axios error (whose config holds the client assertion) escape.
 */
import axios, { type AxiosInstance } from 'axios';
import type { HeaderBag } from '../headers';

export type TokenHttpOutcome =
  | { kind: 'response'; status: number; headers: HeaderBag; text: string }
  | { kind: 'failure'; reason: 'timeout' | 'network'; code: string | null };

export interface TokenHttp {
  post(
    url: URL,
    form: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<TokenHttpOutcome>;
}

export function axiosTokenHttp(timeoutMs: number): TokenHttp {
  const http: AxiosInstance = axios.create({
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxContentLength: 1024 * 1024,
    timeout: timeoutMs,
  });
  return {
    async post(url, form, headers, signal) {
      try {
        const res = await http.request<unknown>({
          method: 'POST',
          url: url.toString(),
          data: form,
          headers,
          signal,
        });
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(res.headers as Record<string, unknown>)) {
          out[k.toLowerCase()] = v;
        }
        return {
          kind: 'response',
          status: res.status,
          headers: out,
          text: typeof res.data === 'string' ? res.data : '',
        };
      } catch (e: unknown) {
        const code =
          typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
            ? (e as { code: string }).code
            : null;
        const timeout = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
        return { kind: 'failure', reason: timeout ? 'timeout' : 'network', code };
      }
    },
  };
}
