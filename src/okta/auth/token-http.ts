/**
 * The HTTP exchange with Okta's token endpoint: a form POST that never throws and never lets an
 * axios error (whose config holds the client assertion) escape.
 */
import type { AxiosInstance } from 'axios';

import type { HeaderBag } from '../headers';
import { failureCode, isTimeoutCode, lowerCaseHeaders, rawTextAxios } from '../transport';

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
  const http: AxiosInstance = rawTextAxios(1024 * 1024, timeoutMs);
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
        return {
          kind: 'response',
          status: res.status,
          headers: lowerCaseHeaders(res.headers),
          text: typeof res.data === 'string' ? res.data : '',
        };
      } catch (e: unknown) {
        const code = failureCode(e);
        return { kind: 'failure', reason: isTimeoutCode(code) ? 'timeout' : 'network', code };
      }
    },
  };
}
