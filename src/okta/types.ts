/**
 * The Okta resources as the connector keeps them: Okta's own JSON field names, reduced to what the
 * OCSF mapping (and `unmapped.okta`) needs. The client reduces every response to these shapes, so
 * what travels between activities and sits in staging stays small.
 *
 * Every field is optional or nullable where real tenants send null or omit it: a bad record must
 * never crash a sync (see the mapping contract, "Which users").
 */

export interface OktaUserProfile {
  login?: string | null;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
}

/** The timestamps of an Okta user record (ISO 8601 strings, or null when the event never happened). */
export const OKTA_USER_DATE_FIELDS = [
  'created',
  'activated',
  'statusChanged',
  'lastLogin',
  'lastUpdated',
  'passwordChanged',
] as const;

/** The top-level scalar fields the connector keeps from a user record: its status and dates. */
export const OKTA_USER_SCALAR_FIELDS = ['status', ...OKTA_USER_DATE_FIELDS] as const;

export interface OktaUser {
  id: string;
  status?: string | null;
  created?: string | null;
  activated?: string | null;
  statusChanged?: string | null;
  lastLogin?: string | null;
  lastUpdated?: string | null;
  passwordChanged?: string | null;
  profile?: OktaUserProfile | null;
}

export interface OktaGroup {
  id: string;
  /** OKTA_GROUP, APP_GROUP, BUILT_IN */
  type?: string | null;
  profile?: { name?: string | null; description?: string | null } | null;
}

/** A role assignment, from `/users/{id}/roles` or `/groups/{id}/roles`. */
export interface OktaRole {
  id: string;
  label?: string | null;
  /** SUPER_ADMIN, ORG_ADMIN, …, CUSTOM; unknown future types must not break anything. */
  type?: string | null;
  /** ACTIVE | INACTIVE */
  status?: string | null;
  /** USER | GROUP | CLIENT */
  assignmentType?: string | null;
}

export interface OktaFactor {
  id: string;
  factorType?: string | null;
  provider?: string | null;
  /** ACTIVE, DISABLED, ENROLLED, EXPIRED, INACTIVE, NOT_SETUP, PENDING_ACTIVATION */
  status?: string | null;
}

/** The enrichments of a user, each of which may fall back after exhausted retries. */
export type EnrichmentKind = 'groups' | 'group_roles' | 'factors' | 'user_roles';

export const ENRICHMENT_KINDS: readonly EnrichmentKind[] = [
  'groups',
  'group_roles',
  'factors',
  'user_roles',
];

/** One user with everything the mapping needs; the input of `mapUserToOcsf`. */
export interface EnrichedUser {
  user: OktaUser;
  /** Every page of `/users/{id}/groups`; `[]` when that enrichment fell back. */
  groups: OktaGroup[];
  /** Roles of each of the user's groups, by group id; a missing key means none known. */
  groupRoles: Record<string, OktaRole[]>;
  factors: OktaFactor[];
  roles: OktaRole[];
  /** Enrichments that fell back to their documented default after exhausted retries. */
  enrichmentErrors: EnrichmentKind[];
}
