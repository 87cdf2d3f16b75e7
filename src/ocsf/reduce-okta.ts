/**
 * Raw Okta JSON (as the Management API returns it: `_links`, `credentials`, custom profile
 * attributes and all) → the `EnrichedUser` that `mapUserToOcsf` reads, for code holding recorded
 * responses (the golden tests). The reduction itself is the client's (`src/okta/records.ts`), so
 * fixtures and live syncs reduce alike; here a resource the client would drop is an error that
 * names where it is, because a fixture should never contain one.
 */
import {
  isRecord,
  reduceFactor as factorOf,
  reduceGroup as groupOf,
  reduceRole as roleOf,
  reduceUser as userOf,
} from '../okta/records';
import type { EnrichedUser, EnrichmentKind, OktaRole } from '../okta/types';

export function toEnrichedUser(
  rawUser: unknown,
  rawGroups: unknown,
  groupRolesById: unknown,
  rawFactors: unknown,
  rawRoles: unknown,
  enrichmentErrors: readonly EnrichmentKind[] = [],
): EnrichedUser {
  const groupRoles: Record<string, OktaRole[]> = {};
  if (groupRolesById !== undefined && groupRolesById !== null) {
    if (!isRecord(groupRolesById)) {
      throw new TypeError(`groupRolesById: expected an object, got ${describe(groupRolesById)}`);
    }
    for (const [groupId, roles] of Object.entries(groupRolesById)) {
      groupRoles[groupId] = all(roles, `groupRolesById.${groupId}`, roleOf);
    }
  }
  return {
    user: one(rawUser, 'user', userOf),
    groups: all(rawGroups, 'groups', groupOf),
    groupRoles,
    factors: all(rawFactors, 'factors', factorOf),
    roles: all(rawRoles, 'roles', roleOf),
    enrichmentErrors: [...enrichmentErrors],
  };
}

function one<T>(raw: unknown, where: string, reduce: (v: unknown) => T | null): T {
  const r = reduce(raw);
  if (r !== null) return r;
  if (!isRecord(raw)) throw new TypeError(`${where}: expected an object, got ${describe(raw)}`);
  throw new TypeError(`${where}.id: expected a non-empty string, got ${describe(raw.id)}`);
}

function all<T>(raw: unknown, where: string, reduce: (v: unknown) => T | null): T[] {
  if (!Array.isArray(raw)) throw new TypeError(`${where}: expected an array, got ${describe(raw)}`);
  return raw.map((v, i) => one(v, `${where}[${i}]`, reduce));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
