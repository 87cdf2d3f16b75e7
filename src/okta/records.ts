/**
 * Reduction of Okta's JSON records to the shapes of `types.ts`.
 *
 * Okta's bodies are untrusted input: a record that is not an object or has no usable `id` is
 * dropped (and counted by the caller), a field of the wrong type is left out, and nothing here
 * throws. Only the fields `types.ts` names are kept, so what travels between activities stays small.
 */

import {
  OKTA_USER_SCALAR_FIELDS,
  type OktaFactor,
  type OktaGroup,
  type OktaRole,
  type OktaUser,
  type OktaUserProfile,
} from './types';

export type JsonRecord = Record<string, unknown>;

export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copies `keys` from `src` when each is a string or null; other types are omitted. */
function pickStrings<K extends string>(
  src: JsonRecord,
  keys: readonly K[],
): Partial<Record<K, string | null>> {
  const out: Partial<Record<K, string | null>> = {};
  for (const k of keys) {
    const v = src[k];
    if (typeof v === 'string' || v === null) out[k] = v;
  }
  return out;
}

function idOf(v: unknown): string | null {
  if (!isRecord(v)) return null;
  const id = v['id'];
  return typeof id === 'string' && id.trim() !== '' ? id : null;
}

const PROFILE_FIELDS = ['login', 'email', 'firstName', 'lastName', 'displayName'] as const;

export function reduceUser(v: unknown): OktaUser | null {
  const id = idOf(v);
  if (id === null || !isRecord(v)) return null;
  const user: OktaUser = { id, ...pickStrings(v, OKTA_USER_SCALAR_FIELDS) };
  const p = v['profile'];
  if (isRecord(p)) user.profile = pickStrings(p, PROFILE_FIELDS) as OktaUserProfile;
  else if (p === null) user.profile = null;
  return user;
}

export function reduceGroup(v: unknown): OktaGroup | null {
  const id = idOf(v);
  if (id === null || !isRecord(v)) return null;
  const group: OktaGroup = { id, ...pickStrings(v, ['type'] as const) };
  const p = v['profile'];
  if (isRecord(p)) group.profile = pickStrings(p, ['name', 'description'] as const);
  else if (p === null) group.profile = null;
  return group;
}

export function reduceRole(v: unknown): OktaRole | null {
  const id = idOf(v);
  if (id === null || !isRecord(v)) return null;
  return { id, ...pickStrings(v, ['label', 'type', 'status', 'assignmentType'] as const) };
}

export function reduceFactor(v: unknown): OktaFactor | null {
  const id = idOf(v);
  if (id === null || !isRecord(v)) return null;
  return { id, ...pickStrings(v, ['factorType', 'provider', 'status'] as const) };
}
