/**
 * The JSON the simulator sends, in Okta's full shapes (field names, order and nullability as
 * Okta's Management API returns them; see /work/shared/spec/okta-api-facts.md). The connector's
 * reduced shapes are in src/okta/types.ts; these are what travels on the wire before reduction.
 */

export interface OktaLinkJson {
  href: string;
  hints?: { allow: string[] };
  name?: string;
  type?: string;
}

export type OktaLinksJson = Record<string, OktaLinkJson | OktaLinkJson[]>;

/** Okta's base user profile plus whatever custom attributes the org's schema adds. */
export interface OktaUserProfileJson {
  login: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  secondEmail?: string | null;
  mobilePhone?: string | null;
  [attribute: string]: unknown;
}

export interface OktaUserJson {
  id: string;
  status: string;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  type: { id: string };
  profile: OktaUserProfileJson;
  credentials: Record<string, unknown>;
  _links: OktaLinksJson;
}

export interface OktaGroupJson {
  id: string;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  objectClass: string[];
  /** OKTA_GROUP, APP_GROUP, BUILT_IN */
  type: string;
  profile: { name: string; description: string | null; [attribute: string]: unknown };
  _links: OktaLinksJson;
}

export interface OktaRoleJson {
  id: string;
  label: string;
  type: string;
  status: string;
  created: string;
  lastUpdated: string;
  assignmentType: string;
  /** Only on CUSTOM roles: the custom role's id. */
  role?: string;
  /** Only on CUSTOM roles: the resource set the role is bound to. */
  'resource-set'?: string;
  _links: OktaLinksJson;
}

export interface OktaFactorJson {
  id: string;
  factorType: string;
  provider: string;
  vendorName: string;
  status: string;
  created: string;
  lastUpdated: string;
  profile: Record<string, unknown>;
  _links: OktaLinksJson;
}

export interface OktaErrorJson {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: Array<{ errorSummary: string }>;
}

export const USER_STATUSES = [
  'ACTIVE',
  'PROVISIONED',
  'STAGED',
  'RECOVERY',
  'PASSWORD_EXPIRED',
  'LOCKED_OUT',
  'SUSPENDED',
  'DEPROVISIONED',
] as const;

export type UserStatus = (typeof USER_STATUSES)[number];

/** Index of DEPROVISIONED in USER_STATUSES: the status the unfiltered list omits. */
export const DEPROVISIONED_CODE = USER_STATUSES.indexOf('DEPROVISIONED');

/** Okta's timestamp format, `YYYY-MM-DDTHH:mm:ss.SSSZ`, which is exactly toISOString's. */
export function oktaTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function oktaTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : oktaTime(ms);
}
