/** The parameters of a `WWW-Authenticate` challenge that say why a request was refused. */
import type { AuthChallenge } from '../errors';
import { headerValues, type HeaderBag } from '../headers';

export interface ChallengeParams {
  error: string | null;
  description: string | null;
  scope: string | null;
}

export function authChallengeParams(headers: HeaderBag): ChallengeParams {
  const raw = headerValues(headers, 'www-authenticate').join(', ');
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(raw), n = 0; m !== null && n < 50; m = re.exec(raw), n++) {
    const key = (m[1] ?? '').toLowerCase();
    if (!(key in params)) params[key] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return {
    error: params['error'] ?? null,
    description: params['error_description'] ?? null,
    scope: params['scope'] ?? null,
  };
}

/** The challenge as the client's `OktaAuthError` carries it; null when the header says nothing. */
export function authChallenge(headers: HeaderBag): AuthChallenge | null {
  const p = authChallengeParams(headers);
  if (p.error === null && p.description === null && p.scope === null) return null;
  return { error: p.error, errorDescription: p.description, scope: p.scope };
}
