/**
 * The OCSF 1.8.0 "User Inventory Info" event (class 5003) exactly as this connector emits it: only
 * the attributes the mapping contract (/work/shared/spec/okta-user-to-ocsf.md) fills, with the
 * literal values it fixes. The JSON Schema beside this file is the authority on validity; these
 * types make the compiler reject an event the contract does not describe.
 */

import type { EnrichmentKind } from '../okta/types';

export const OCSF_SCHEMA_VERSION = '1.8.0';

export interface OcsfProduct {
  name: 'Okta';
  vendor_name: 'Okta';
  /** Only when the Okta release is known (it is not, from the Management API). */
  version?: string;
}

export interface OcsfMetadata {
  version: typeof OCSF_SCHEMA_VERSION;
  product: OcsfProduct;
}

/** U10–U12: one of the user's Okta groups. */
export interface OcsfGroup {
  /** U11: group `id`. */
  uid: string;
  /** U11: `profile.name`; absent when Okta sent no profile or no name. */
  name?: string;
  /** U11: `profile.description`; absent when null. */
  desc?: string;
  /** U12: labels of the group's ACTIVE roles. */
  privileges: string[];
}

/** A1–A5: the Okta account behind the user. */
export interface OcsfAccount {
  /** A2 */
  uid: string;
  /** A1: `profile.login`; absent when Okta sent no login (`uid` keeps the object valid). */
  name?: string;
  /** A3 */
  type: 'Okta Account';
  type_id: 99;
  /** A4 (R4) */
  is_disabled: boolean;
  /** A5 (R4) */
  is_locked: boolean;
}

/** U1–U12. */
export interface OcsfUser {
  /** U1 */
  uid: string;
  /** U2: `profile.login`; absent when Okta sent no login. */
  name?: string;
  /** U3: `profile.login`; absent when Okta sent no login. */
  uid_alt?: string;
  /** U4 */
  full_name: string;
  /** U5 */
  email_addr?: string;
  /** U6 */
  display_name?: string;
  /** U7: `""` when the email has no `@`. */
  domain: string;
  /** U8 */
  type: 'Admin' | 'User';
  type_id: 1 | 2;
  /** U9 (R3) */
  has_mfa: boolean;
  /** U10 */
  groups: OcsfGroup[];
  account: OcsfAccount;
}

/** Where `time` came from when `created` was unusable (R2 fallback, see map-user.ts). */
export type OcsfTimeSource = 'lastUpdated' | 'observed';

/**
 * Okta facts with no OCSF attribute, under `unmapped.okta` (the schema forbids new top-level
 * fields). Okta's timestamps are kept verbatim, including `null` (e.g. `lastLogin: null` = never
 * signed in); a field Okta did not send is absent.
 */
export interface OktaUnmapped {
  status?: string | null;
  created?: string | null;
  activated?: string | null;
  statusChanged?: string | null;
  lastLogin?: string | null;
  lastUpdated?: string | null;
  passwordChanged?: string | null;
  /** Present only when `time` is not the user's `created`. */
  time_source?: OcsfTimeSource;
  /** Enrichments that fell back to their documented default; present only when non-empty. */
  enrichment_errors?: EnrichmentKind[];
}

/** One event per Okta user. */
export interface UserInventoryInfo {
  activity_id: 2;
  activity_name: 'Collect';
  category_uid: 5;
  category_name: 'Discovery';
  class_uid: 5003;
  class_name: 'User Inventory Info';
  /** R1: class_uid * 100 + activity_id. */
  type_uid: 500302;
  type_name: 'User Inventory Info: Collect';
  severity_id: 1;
  severity: 'Informational';
  /** R2: integer milliseconds since the Unix epoch. */
  time: number;
  metadata: OcsfMetadata;
  user: OcsfUser;
  /** Always present: it holds at least `created`, or `time_source` when `created` was unusable. */
  unmapped: { okta: OktaUnmapped };
}
