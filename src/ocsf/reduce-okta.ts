/**
 * Raw Okta JSON (as the Management API returns it: `_links`, `credentials`, custom profile
 * attributes and all) → the reduced shapes of src/okta/types.ts that `mapUserToOcsf` reads.
 *
 * Used by the golden tests to go from recorded Okta responses to events, and usable by any code
 * holding raw responses. Fields the mapping does not read are dropped; a field of the wrong JSON
 * type is dropped too (the mapping treats it as absent). Only what no mapping can survive throws:
 * a resource that is not an object, or has no string `id`.
 */

import type {
  EnrichedUser,
  EnrichmentKind,
  OktaFactor,
  OktaGroup,
  OktaRole,
  OktaUser,
  OktaUserProfile,
} from '../okta/types';

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
    const byId = record(groupRolesById, 'groupRolesById');
    for (const [groupId, roles] of Object.entries(byId)) {
      groupRoles[groupId] = list(roles, `groupRolesById.${groupId}`).map((r, i) =>
        reduceRole(r, `groupRolesById.${groupId}[${i}]`),
      );
    }
  }
  return {
    user: reduceUser(rawUser),
    groups: list(rawGroups, 'groups').map((g, i) => reduceGroup(g, `groups[${i}]`)),
    groupRoles,
    factors: list(rawFactors, 'factors').map((f, i) => reduceFactor(f, `factors[${i}]`)),
    roles: list(rawRoles, 'roles').map((r, i) => reduceRole(r, `roles[${i}]`)),
    enrichmentErrors: [...enrichmentErrors],
  };
}

export function reduceUser(raw: unknown): OktaUser {
  const u = record(raw, 'user');
  const out: OktaUser = { id: id(u, 'user') };
  copyNullableStrings(u, out, [
    'status',
    'created',
    'activated',
    'statusChanged',
    'lastLogin',
    'lastUpdated',
    'passwordChanged',
  ]);
  if (u.profile === null) out.profile = null;
  else if (isRecord(u.profile)) {
    const profile: OktaUserProfile = {};
    copyNullableStrings(u.profile, profile, [
      'login',
      'email',
      'firstName',
      'lastName',
      'displayName',
    ]);
    out.profile = profile;
  }
  return out;
}

export function reduceGroup(raw: unknown, where = 'group'): OktaGroup {
  const g = record(raw, where);
  const out: OktaGroup = { id: id(g, where) };
  copyNullableStrings(g, out, ['type']);
  if (g.profile === null) out.profile = null;
  else if (isRecord(g.profile)) {
    const profile: NonNullable<OktaGroup['profile']> = {};
    copyNullableStrings(g.profile, profile, ['name', 'description']);
    out.profile = profile;
  }
  return out;
}

export function reduceRole(raw: unknown, where = 'role'): OktaRole {
  const r = record(raw, where);
  const out: OktaRole = { id: id(r, where) };
  copyNullableStrings(r, out, ['label', 'type', 'status', 'assignmentType']);
  return out;
}

export function reduceFactor(raw: unknown, where = 'factor'): OktaFactor {
  const f = record(raw, where);
  const out: OktaFactor = { id: id(f, where) };
  copyNullableStrings(f, out, ['factorType', 'provider', 'status']);
  return out;
}

function copyNullableStrings<K extends string>(
  from: Record<string, unknown>,
  to: Partial<Record<K, string | null>>,
  keys: readonly K[],
): void {
  for (const key of keys) {
    const value = from[key];
    if (typeof value === 'string' || value === null) to[key] = value;
  }
}

function id(resource: Record<string, unknown>, where: string): string {
  const value = resource.id;
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${where}.id: expected a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw new TypeError(`${where}: expected an object, got ${describe(value)}`);
  return value;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value))
    throw new TypeError(`${where}: expected an array, got ${describe(value)}`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
