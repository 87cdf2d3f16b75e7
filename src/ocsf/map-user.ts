/**
 * Okta user (+ its enrichments) → one OCSF User Inventory Info event, rule by rule from the
 * mapping contract (/work/shared/spec/okta-user-to-ocsf.md). Pure: no I/O, no clock unless the
 * caller lets `time` fall back to "now".
 *
 * Input comes from staging and ultimately from Okta, so every field is read defensively: a value
 * of the wrong JSON type counts as absent. A bad record still yields a schema-valid event.
 */

import {
  ENRICHMENT_KINDS,
  OKTA_USER_SCALAR_FIELDS,
  type EnrichedUser,
  type EnrichmentKind,
  type OktaFactor,
  type OktaGroup,
  type OktaRole,
  type OktaUser,
} from '../okta/types';
import { isPlausibleEventTimeMs, parseOktaTimestamp } from './event-time';
import {
  OCSF_SCHEMA_VERSION,
  type OcsfAccount,
  type OcsfGroup,
  type OcsfTimeSource,
  type OcsfUser,
  type OktaUnmapped,
  type UserInventoryInfo,
} from './types';

/** Raw Okta JSON → `EnrichedUser`, so callers holding Okta responses need one import. */
export { toEnrichedUser } from './reduce-okta';

export interface MapUserOptions {
  /**
   * When the sync observed the user, in integer ms since the epoch: the last resort for `time`
   * (R2) when neither `created` nor `lastUpdated` is a usable timestamp. Defaults to `Date.now()`
   * at mapping time; pass it to make the mapping deterministic.
   */
  observedAtMs?: number;
}

export function mapUserToOcsf(input: EnrichedUser, opts: MapUserOptions = {}): UserInventoryInfo {
  const { observedAtMs } = opts;
  if (observedAtMs !== undefined && !isPlausibleEventTimeMs(observedAtMs)) {
    throw new RangeError(
      `mapUserToOcsf: observedAtMs must be integer milliseconds since the epoch (R2), got ${String(observedAtMs)}`,
    );
  }
  const user = input.user;
  const { time, source } = eventTime(user, observedAtMs);

  return {
    activity_id: 2,
    activity_name: 'Collect',
    category_uid: 5,
    category_name: 'Discovery',
    class_uid: 5003,
    class_name: 'User Inventory Info',
    type_uid: 500302, // R1: 5003 * 100 + 2; the product documentation's 5003002 is invalid OCSF.
    type_name: 'User Inventory Info: Collect',
    severity_id: 1,
    severity: 'Informational',
    time,
    metadata: { version: OCSF_SCHEMA_VERSION, product: { name: 'Okta', vendor_name: 'Okta' } },
    user: ocsfUser(input),
    unmapped: { okta: unmappedOkta(user, source, input.enrichmentErrors) },
  };
}

/**
 * R2: `time` is the user's `created` in integer ms. Okta always sends `created`, but a null or
 * unparsable one must not drop the user, so the fallbacks are, in order: `lastUpdated` (the
 * closest Okta-side date we have, and never later than the observation), then the moment the sync
 * observed the user. `unmapped.okta.time_source` says which fallback was used, so a consumer never
 * mistakes an observation time for a creation time.
 */
function eventTime(
  user: OktaUser,
  observedAtMs: number | undefined,
): { time: number; source?: OcsfTimeSource } {
  const created = parseOktaTimestamp(user.created);
  if (created !== undefined) return { time: created };
  const lastUpdated = parseOktaTimestamp(user.lastUpdated);
  if (lastUpdated !== undefined) return { time: lastUpdated, source: 'lastUpdated' };
  return { time: observedAtMs ?? Date.now(), source: 'observed' };
}

function ocsfUser(input: EnrichedUser): OcsfUser {
  const user = input.user;
  const profile = isRecord(user.profile) ? user.profile : {};
  // U2/U3/A1: a user without a login (only seen in damaged records: Okta requires one) keeps
  // `name`, `uid_alt` and `account.name` absent rather than invented; `user.uid` and
  // `account.uid` still satisfy the schema's "uid or name" constraints on both objects.
  const login = nonEmptyString(profile.login);
  const email = nonEmptyString(profile.email);
  const displayName = nonEmptyString(profile.displayName);
  // A damaged group entry (not an object, no id) cannot become an OCSF group; skip it, keep the user.
  const groups = records(input.groups).filter((g) => typeof g.id === 'string');
  const groupRoles = isRecord(input.groupRoles) ? input.groupRoles : {};
  const admin = isAdmin(input.roles, groups, groupRoles);

  const out: OcsfUser = {
    uid: user.id, // U1
    ...(login !== undefined && { name: login, uid_alt: login }), // U2, U3
    full_name: fullName(profile.firstName, profile.lastName), // U4
    ...(email !== undefined && { email_addr: email }), // U5
    ...(displayName !== undefined && { display_name: displayName }), // U6
    domain: emailDomain(profile.email), // U7
    type: admin ? 'Admin' : 'User', // U8
    type_id: admin ? 2 : 1,
    has_mfa: hasActiveFactor(input.factors), // U9 (R3)
    groups: groups.map((g) => ocsfGroup(g, groupRoles[g.id])), // U10
    account: ocsfAccount(user, login),
  };
  return out;
}

/** U4: each missing or empty part becomes the placeholder `None`; only the ends are trimmed. */
function fullName(firstName: unknown, lastName: unknown): string {
  return `${nonEmptyString(firstName) ?? 'None'} ${nonEmptyString(lastName) ?? 'None'}`.trim();
}

/** U7: `email.split("@")[1]`, i.e. the text between the first and the second `@`; else `""`. */
function emailDomain(email: unknown): string {
  if (typeof email !== 'string' || !email.includes('@')) return '';
  return email.split('@')[1] ?? '';
}

/**
 * U8: Admin when an ACTIVE role's `type` contains "admin" (any case). Okta's `/users/{id}/roles`
 * already lists roles held through groups; the group roles are consulted as well so that a group
 * admin stays an admin when only the `user_roles` enrichment fell back. When both are known this
 * changes nothing. A CUSTOM role is not "admin" by type, whatever its label says.
 */
function isAdmin(
  userRoles: readonly OktaRole[] | undefined,
  groups: readonly OktaGroup[],
  groupRoles: Record<string, OktaRole[] | undefined>,
): boolean {
  const isAdminRole = (r: OktaRole): boolean =>
    isActive(r.status) && typeof r.type === 'string' && r.type.toLowerCase().includes('admin');
  if (records(userRoles).some(isAdminRole)) return true;
  return groups.some((g) => records(groupRoles[g.id]).some(isAdminRole));
}

/** U9 (R3): only an ACTIVE factor protects anything; PENDING_ACTIVATION, NOT_SETUP… do not. */
function hasActiveFactor(factors: readonly OktaFactor[] | undefined): boolean {
  return records(factors).some((f) => isActive(f.status));
}

/** U11/U12 */
function ocsfGroup(group: OktaGroup, roles: readonly OktaRole[] | undefined): OcsfGroup {
  const profile = isRecord(group.profile) ? group.profile : {};
  const name = typeof profile.name === 'string' ? profile.name : undefined;
  // U11 omits `desc` only when null: an empty description is what Okta holds, so it is kept.
  const desc = typeof profile.description === 'string' ? profile.description : undefined;
  return {
    uid: group.id,
    ...(name !== undefined && { name }),
    ...(desc !== undefined && { desc }),
    privileges: privileges(roles),
  };
}

/**
 * U12: labels of the ACTIVE roles, in Okta's order, each once (two assignments of one role, e.g.
 * a custom role on two resource sets, grant one privilege). A role without a label is named by
 * its `type`, so an unlabeled admin role is never silently dropped.
 */
function privileges(roles: readonly OktaRole[] | undefined): string[] {
  const out: string[] = [];
  for (const role of records(roles)) {
    if (!isActive(role.status)) continue;
    const label = nonEmptyString(role.label) ?? nonEmptyString(role.type);
    if (label !== undefined && !out.includes(label)) out.push(label);
  }
  return out;
}

/** A1–A5 (R4) */
function ocsfAccount(user: OktaUser, login: string | undefined): OcsfAccount {
  const status = typeof user.status === 'string' ? user.status.toUpperCase() : '';
  return {
    uid: user.id, // A2
    ...(login !== undefined && { name: login }), // A1
    type: 'Okta Account', // A3
    type_id: 99,
    is_disabled: status === 'SUSPENDED' || status === 'DEPROVISIONED', // A4
    is_locked: status === 'LOCKED_OUT', // A5
  };
}

function unmappedOkta(
  user: OktaUser,
  timeSource: OcsfTimeSource | undefined,
  enrichmentErrors: readonly EnrichmentKind[] | undefined,
): OktaUnmapped {
  const okta: OktaUnmapped = {};
  for (const field of OKTA_USER_SCALAR_FIELDS) {
    const value: unknown = user[field];
    if (typeof value === 'string' || value === null) okta[field] = value;
  }
  if (timeSource !== undefined) okta.time_source = timeSource;
  // Canonical order, each kind once: the list is compared and counted downstream.
  const failed = new Set(asArray(enrichmentErrors));
  const errors = ENRICHMENT_KINDS.filter((k) => failed.has(k));
  if (errors.length > 0) okta.enrichment_errors = errors;
  return okta;
}

function isActive(status: unknown): boolean {
  return typeof status === 'string' && status.toUpperCase() === 'ACTIVE';
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray<T>(value: readonly T[] | undefined | null): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/** The object elements of a list that should hold only objects; junk elements count as absent. */
function records<T extends object>(value: readonly T[] | undefined | null): readonly T[] {
  return asArray(value).filter((item) => isRecord(item));
}
