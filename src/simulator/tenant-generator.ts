/**
 * Deterministic generation of a simulated Okta tenant from a seed.
 *
 * Users are never all held as objects: a user is a pure function of (seed, index), drawn from its
 * own PRNG stream, so the tenant keeps only each user's status and lastUpdated in typed arrays
 * (what list filters need) and regenerates the rest on demand. Groups and their role assignments
 * are few and are materialised once.
 *
 * Ids are shaped like Okta's (`00u` + 17 alphanumerics) and, like Okta's, grow with creation
 * time: a fixed-width base-62 counter followed by random characters. Sorting by id is therefore
 * sorting by index, which gives the list a stable order in which a user created mid-paging lands
 * at the end and never shifts anyone else; and an id can be turned back into its index without
 * an index of a million strings.
 *
 * Awkward data that real tenants have (missing names or email, an email without '@' or with two,
 * non-ASCII names and emails, empty displayName, …), every user status, and the "heavy" user are
 * pinned to a few seeded indices so that even a small tenant is guaranteed to contain them, and
 * are also sprinkled at random through large tenants.
 */

import { base62, fromBase62, hash32, Rng, saltOf, WeightTable } from './prng';
import { type OktaUserProfileJson, type UserStatus, USER_STATUSES } from './okta-json';

const DAY = 86_400_000;

/**
 * Generated timestamps all fall before this instant, so that anything the simulator changes later
 * ("now" by its clock) is strictly newer. Fixed, so that one seed gives one tenant on any day.
 */
export const GENERATION_ANCHOR_MS = Date.UTC(2025, 5, 1);

export interface RoleRecord {
  id: string;
  type: string;
  label: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: number;
  lastUpdated: number;
  /** CUSTOM roles only. */
  customRoleId?: string;
  resourceSetId?: string;
}

export interface FactorRecord {
  id: string;
  factorType: string;
  provider: string;
  vendorName: string;
  status: string;
  created: number;
  lastUpdated: number;
  profile: Record<string, unknown>;
}

export interface GroupRecord {
  index: number;
  id: string;
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
  created: number;
  lastUpdated: number;
  lastMembershipUpdated: number;
  name: string;
  description: string | null;
  /** Attributes beyond name/description (APP_GROUPs imported from a directory carry several). */
  extraProfile: Record<string, unknown>;
  /** APP_GROUP only: the app the group is sourced from. */
  appId?: string;
  roles: RoleRecord[];
}

export interface UserRecord extends UserCore {
  index: number;
  id: string;
  typeId: string;
  profile: OktaUserProfileJson;
  credentialProvider: { type: string; name: string };
  hasPassword: boolean;
  hasRecoveryQuestion: boolean;
  /** Group indices, ascending (so in id order); always contains 0, the Everyone group. */
  groups: number[];
  /** Roles assigned to the user directly; roles held through groups live on the groups. */
  roles: RoleRecord[];
  factors: FactorRecord[];
}

/** What a user's list-filter fields need, computed for every user at start. */
export interface UserCore {
  status: UserStatus;
  created: number;
  activated: number | null;
  statusChanged: number | null;
  lastLogin: number | null;
  lastUpdated: number;
  passwordChanged: number | null;
}

export const AWKWARD_KINDS = [
  'noFirstName',
  'noLastName',
  'noNames',
  'emptyNames',
  'noEmail',
  'nullEmail',
  'emptyEmail',
  'emailNoAt',
  'emailTwoAt',
  'latinNonAscii',
  'cjkName',
  'nonAsciiEmail',
  'emptyDisplayName',
  'emojiName',
  'longName',
  'oddLogin',
] as const;
export type AwkwardKind = (typeof AWKWARD_KINDS)[number];

export const FEATURE_KINDS = [
  'dozensGroups',
  'everyoneOnly',
  'noFactors',
  'pendingFactorsOnly',
  'directAdmin',
  'inactiveRoleOnly',
  'customRole',
] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];

export type SpecialKind = 'heavy' | `status:${UserStatus}` | AwkwardKind | FeatureKind;

/** Okta's labels for its standard admin roles (what `GET …/roles` returns as `label`). */
export const ROLE_LABELS: Readonly<Record<string, string>> = {
  SUPER_ADMIN: 'Super Administrator',
  ORG_ADMIN: 'Organizational Administrator',
  APP_ADMIN: 'Application Administrator',
  USER_ADMIN: 'Group Administrator',
  HELP_DESK_ADMIN: 'Help Desk Administrator',
  READ_ONLY_ADMIN: 'Read-only Administrator',
  REPORT_ADMIN: 'Report Administrator',
  GROUP_MEMBERSHIP_ADMIN: 'Group Membership Administrator',
  API_ACCESS_MANAGEMENT_ADMIN: 'API Access Management Administrator',
  ACCESS_CERTIFICATIONS_ADMIN: 'Access Certifications Administrator',
  ACCESS_REQUESTS_ADMIN: 'Access Requests Administrator',
  WORKFLOWS_ADMIN: 'Workflows Administrator',
  MOBILE_ADMIN: 'Mobile Administrator',
};

const CUSTOM_ROLE_LABELS = [
  'UserCreator',
  'Security Auditor',
  'Contractor Onboarding',
  'Helpdesk Tier 2 (custom)',
  'App Owner – Finance',
];

const STATUS_TABLE = new WeightTable<UserStatus>([
  ['ACTIVE', 80],
  ['PROVISIONED', 4],
  ['STAGED', 3],
  ['RECOVERY', 1.5],
  ['PASSWORD_EXPIRED', 2],
  ['LOCKED_OUT', 2],
  ['SUSPENDED', 2.5],
  ['DEPROVISIONED', 5],
]);

const ROLE_TYPE_TABLE = new WeightTable<string>([
  ['SUPER_ADMIN', 3],
  ['ORG_ADMIN', 4],
  ['APP_ADMIN', 4],
  ['USER_ADMIN', 4],
  ['HELP_DESK_ADMIN', 6],
  ['READ_ONLY_ADMIN', 6],
  ['REPORT_ADMIN', 3],
  ['GROUP_MEMBERSHIP_ADMIN', 3],
  ['API_ACCESS_MANAGEMENT_ADMIN', 2],
  ['ACCESS_CERTIFICATIONS_ADMIN', 1],
  ['ACCESS_REQUESTS_ADMIN', 1],
  ['WORKFLOWS_ADMIN', 1],
  ['MOBILE_ADMIN', 1],
  ['CUSTOM', 6],
]);

const FACTOR_TYPE_TABLE = new WeightTable<string>([
  ['push', 25],
  ['sms', 15],
  ['token:software:totp', 15],
  ['email', 10],
  ['webauthn', 8],
  ['signed_nonce', 8],
  ['question', 5],
  ['call', 4],
  ['u2f', 3],
  ['token:hardware', 3],
  ['token', 2],
  ['token:hotp', 1],
  ['web', 1],
]);

const FACTOR_STATUS_TABLE = new WeightTable<string>([
  ['ACTIVE', 80],
  ['PENDING_ACTIVATION', 8],
  ['NOT_SETUP', 4],
  ['ENROLLED', 2],
  ['DISABLED', 2],
  ['EXPIRED', 2],
  ['INACTIVE', 2],
]);

/** Okta's id prefixes per factor type (the first three characters of a factor id). */
const FACTOR_ID_PREFIX: Readonly<Record<string, string>> = {
  push: 'opf',
  sms: 'mbl',
  'token:software:totp': 'uft',
  email: 'emf',
  webauthn: 'fwf',
  signed_nonce: 'aid',
  question: 'ufs',
  call: 'clf',
  u2f: 'fuf',
  'token:hardware': 'ykf',
  token: 'rsa',
  'token:hotp': 'chf',
  web: 'dsf',
};

// prettier-ignore
const FIRST_NAMES = [
  'James', 'Mary', 'Olivia', 'Liam', 'Noah', 'Emma', 'Ava', 'Sophia', 'Mateo', 'Lucas', 'Aarav',
  'Priya', 'Wei', 'Yuki', 'Hiroshi', 'Fatima', 'Omar', 'Grace', 'Daniel', 'Elena', 'Ivan', 'Aisha',
  'Kwame', 'Sven', 'Ingrid', 'Carlos', 'Lucía', 'Chloé', 'Zoë', 'Søren', 'Łukasz', 'Björn',
  'Amélie', 'François', 'Siobhán', 'Mia', 'Ethan', 'Maya', 'Leo', 'Nora', 'Arjun', 'Hana', 'Diego',
  'Sara', 'Tomás', 'Anna', 'Jonas', 'Layla', 'Samuel', 'Ruth',
];
// prettier-ignore
const LAST_NAMES = [
  'Smith', 'Johnson', 'Garcia', 'Nguyen', 'Kim', 'Patel', 'Brown', 'Williams', 'Jones', 'Miller',
  'Davis', 'Martinez', 'Lopez', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson',
  'Lee', 'Chen', 'Wang', 'Tanaka', 'Suzuki', 'Kowalski', 'Schmidt', 'Rossi', 'Silva', 'Haddad',
  'Dubois', 'Andersson', "O'Brien", 'Müller', 'García', 'Ødegaard', 'Nowak', 'van der Berg',
  'Okafor', 'Mensah', 'Ivanova', 'Cohen', 'Singh', 'Khan', 'Novak', 'Fischer', 'Moreau',
];
// prettier-ignore
const DEPARTMENTS = [
  'Engineering', 'Sales', 'Marketing', 'Finance', 'Human Resources', 'Legal', 'Support',
  'Operations', 'Security', 'IT', 'Product', 'Design', 'Research', 'Procurement',
];
// prettier-ignore
const TITLES = [
  'Engineer', 'Senior Engineer', 'Manager', 'Director', 'Analyst', 'Specialist', 'Consultant',
  'Account Executive', 'Administrator', 'Coordinator', 'Vice President', 'Intern',
];
const CITIES: ReadonlyArray<readonly [string, string, string]> = [
  ['San Francisco', 'US', 'America/Los_Angeles'],
  ['New York', 'US', 'America/New_York'],
  ['London', 'GB', 'Europe/London'],
  ['Berlin', 'DE', 'Europe/Berlin'],
  ['Paris', 'FR', 'Europe/Paris'],
  ['São Paulo', 'BR', 'America/Sao_Paulo'],
  ['Bengaluru', 'IN', 'Asia/Kolkata'],
  ['Tokyo', 'JP', 'Asia/Tokyo'],
  ['Sydney', 'AU', 'Australia/Sydney'],
  ['Zürich', 'CH', 'Europe/Zurich'],
];
const REGIONS = ['EMEA', 'AMER', 'APAC', 'LATAM'];
// prettier-ignore
const ADMIN_GROUP_NAMES = [
  'Okta Super Admins', 'Help Desk Tier 1', 'IT Operations Admins', 'Security Operations',
  'App Administrators', 'Read-only Auditors', 'Identity Governance', 'Workflow Builders',
];
// prettier-ignore
const OKTA_GROUP_NAMES = [
  'All Employees', 'Contractors', 'VPN Users', 'Office 365 Licensed', 'Slack Users', 'Managers',
  'New Hires', 'Remote Workers', 'Badge Access – HQ', 'Équipe Qualité (Montréal)', 'On-call',
  'Interns', 'Board Observers', 'Beta Testers',
];
// prettier-ignore
const APP_GROUP_NAMES = [
  'Domain Users', 'GG-App-Salesforce-Users', 'GG-App-Jira-Admins', 'Workday - Managers',
  'SG-Finance-ReadOnly', 'SG-VPN-Full-Tunnel', 'GitHub Org Members', 'AWS-Prod-ReadOnly',
];
const ORG_DOMAINS = ['acme.example', 'globex.example', 'initech.example', 'umbrella.example'];
const DEVICE_NAMES = ['iPhone 15', 'Pixel 8', 'Galaxy S24', 'iPhone 13 mini', 'MacBook Pro'];

interface FactorShape {
  /** Default OKTA; the vendor name defaults to the provider. */
  provider?: string;
  vendorName?: string;
  profile: Record<string, unknown>;
}

function phoneNumber(rng: Rng): string {
  return `+1-555-${rng.int(100, 999)}-${rng.int(1000, 9999)}`;
}

/**
 * Provider and profile of each factor type, in the shapes Okta's factors API returns. The draws
 * from `rng` keep their order: a seed always gives the same factors.
 */
const FACTOR_SHAPES: Readonly<
  Record<string, (rng: Rng, login: string, email: string) => FactorShape>
> = {
  push: (rng, login) => {
    const device = rng.pick(DEVICE_NAMES.slice(0, 4));
    const ios = device.startsWith('iPhone');
    return {
      profile: {
        credentialId: login,
        deviceType: ios ? 'SmartPhone_IPhone' : 'SmartPhone_Android',
        name: device,
        platform: ios ? 'IOS' : 'ANDROID',
        version: ios ? '17.4' : '34',
      },
    };
  },
  sms: (rng) => ({ profile: { phoneNumber: phoneNumber(rng) } }),
  call: (rng) => ({ profile: { phoneNumber: phoneNumber(rng), phoneExtension: null } }),
  email: (_rng, _login, email) => ({ profile: { email } }),
  question: () => ({
    profile: {
      question: 'disliked_food',
      questionText: 'What is the food you least liked as a child?',
    },
  }),
  'token:software:totp': (rng, login) => ({
    ...(rng.chance(0.3) ? { provider: 'GOOGLE' } : {}),
    profile: { credentialId: login },
  }),
  webauthn: (rng) => ({
    provider: 'FIDO',
    profile: {
      credentialId: rng.alnum(43),
      authenticatorName: rng.pick(['Touch ID', 'YubiKey 5 NFC', 'Windows Hello']),
    },
  }),
  u2f: (rng) => ({ provider: 'FIDO', profile: { credentialId: rng.alnum(43), version: 'U2F_V2' } }),
  'token:hardware': (rng) => ({
    provider: 'YUBICO',
    profile: { credentialId: String(rng.int(100000000, 999999999)).padStart(12, '0') },
  }),
  token: (rng, login) => ({
    provider: rng.chance(0.5) ? 'RSA' : 'SYMANTEC',
    profile: { credentialId: login },
  }),
  'token:hotp': (_rng, login) => ({
    provider: 'CUSTOM',
    vendorName: 'HOTP Factor',
    profile: { credentialId: login },
  }),
  web: (_rng, login) => ({ provider: 'DUO', profile: { credentialId: login } }),
  signed_nonce: () => ({
    profile: { name: 'MacBook Pro', platform: 'MACOS', deviceType: 'Desktop' },
  }),
};

export interface GeneratorOptions {
  seed: number;
  users: number;
  groups: number;
  heavyUserGroups: number;
  anchorMs: number;
}

export class TenantGenerator {
  readonly seed: number;
  readonly userCount: number;
  readonly groupCount: number;
  readonly heavyUserGroups: number;
  readonly anchorMs: number;
  readonly orgDomain: string;
  /** Seeded indices pinned to a kind of data (see the file comment). */
  readonly specials = new Map<number, SpecialKind>();
  /** Index of the user in exactly `heavyUserGroups` groups, or -1 in an empty tenant. */
  readonly heavyIndex: number;
  readonly groups: GroupRecord[];
  readonly defaultUserTypeId: string;
  readonly contractorUserTypeId: string;

  private readonly userSalt: number;
  private readonly userIdBase: number;
  private readonly groupIdBase: number;
  private readonly roleGroupSet = new Set<number>();

  /** Ids grow by 1..ID_STRIDE per user, so consecutive ids are not consecutive numbers. */
  private static readonly ID_STRIDE = 37;

  constructor(opts: GeneratorOptions) {
    this.seed = opts.seed;
    this.userCount = opts.users;
    this.groupCount = opts.groups;
    this.heavyUserGroups = opts.heavyUserGroups;
    this.anchorMs = opts.anchorMs;
    this.userSalt = hash32(opts.seed, saltOf('users'));
    const orgRng = new Rng(opts.seed, saltOf('org'));
    this.orgDomain = orgRng.pick(ORG_DOMAINS);
    // First base-62 digit between '1' and 'U': ids look like Okta's and the counter has room.
    this.userIdBase = orgRng.int(62 ** 5, 30 * 62 ** 5);
    this.groupIdBase = orgRng.int(62 ** 5, 30 * 62 ** 5);
    this.defaultUserTypeId = 'oty' + orgRng.alnum(17);
    this.contractorUserTypeId = 'oty' + orgRng.alnum(17);
    this.groups = this.generateGroups();
    this.heavyIndex = this.pinSpecials();
  }

  // ---- ids -------------------------------------------------------------------------------

  userId(index: number): string {
    return this.idFor('00u', this.userIdBase, index, this.userSalt);
  }

  /** The index an id was generated for, if it is one of ours and below `count`. */
  userIndexOf(id: string, count: number): number | undefined {
    const index = this.indexFor('00u', this.userIdBase, id);
    if (index === undefined || index >= count || this.userId(index) !== id) return undefined;
    return index;
  }

  private idFor(prefix: string, base: number, index: number, salt: number): string {
    const stride = TenantGenerator.ID_STRIDE;
    const counter = base + index * stride + (hash32(salt, 0x1d, index) % stride);
    const tail = new Rng(salt, 0x1e, index).alnum(11);
    return prefix + base62(counter, 6) + tail;
  }

  private indexFor(prefix: string, base: number, id: string): number | undefined {
    if (id.length !== 20 || !id.startsWith(prefix)) return undefined;
    const counter = fromBase62(id.slice(3, 9));
    if (counter === undefined || counter < base) return undefined;
    return Math.floor((counter - base) / TenantGenerator.ID_STRIDE);
  }

  // ---- users -----------------------------------------------------------------------------

  /** Status and timestamps of user `index`, the first draws of its stream. */
  core(index: number): UserCore {
    return this.drawCore(new Rng(this.userSalt, index), index);
  }

  /** The full user `index` as generated (before any mutation). */
  user(index: number): UserRecord {
    const rng = new Rng(this.userSalt, index);
    const core = this.drawCore(rng, index);
    const special = this.specials.get(index);
    let awkward: AwkwardKind | undefined;
    if (special && (AWKWARD_KINDS as readonly string[]).includes(special)) {
      awkward = special as AwkwardKind;
    } else if (!special && rng.chance(0.015)) {
      awkward = rng.pick(AWKWARD_KINDS);
    }
    const id = this.userId(index);
    const profile = this.drawProfile(rng, index, awkward);
    const federated = rng.chance(0.12);
    const groups = this.drawMemberships(rng, index, special);
    const roles = this.drawDirectRoles(rng, core.status, special);
    const factors = this.drawFactors(rng, core, special, profile);
    return {
      index,
      id,
      ...core,
      typeId:
        profile.userType === 'Contractor' ? this.contractorUserTypeId : this.defaultUserTypeId,
      profile,
      credentialProvider: federated
        ? { type: 'ACTIVE_DIRECTORY', name: `corp.${this.orgDomain}` }
        : { type: 'OKTA', name: 'OKTA' },
      hasPassword: !federated && core.status !== 'STAGED' && core.status !== 'PROVISIONED',
      hasRecoveryQuestion: !federated && core.passwordChanged !== null && rng.chance(0.6),
      groups,
      roles,
      factors,
    };
  }

  /**
   * A user created by `mutate` at `now`: a fresh, ordinary member of a few groups, with no
   * history before its creation.
   */
  createdUser(index: number, now: number): UserRecord {
    const rng = new Rng(this.userSalt, saltOf('created'), index);
    const status = new WeightTable<UserStatus>([
      ['ACTIVE', 80],
      ['STAGED', 10],
      ['PROVISIONED', 10],
    ]).draw(rng);
    const profile = this.drawProfile(rng, index, undefined);
    const groups = [0, ...this.sampleGroups(rng, rng.int(1, 3))].sort((a, b) => a - b);
    const core: UserCore = {
      status,
      created: now,
      activated: status === 'STAGED' ? null : now,
      statusChanged: status === 'STAGED' ? null : now,
      lastLogin: null,
      lastUpdated: now,
      passwordChanged: status === 'ACTIVE' ? now : null,
    };
    const factors =
      status === 'ACTIVE' && rng.chance(0.5)
        ? [this.newFactor(rng, 'push', 'ACTIVE', now, profile)]
        : [];
    return {
      index,
      id: this.userId(index),
      ...core,
      typeId: this.defaultUserTypeId,
      profile,
      credentialProvider: { type: 'OKTA', name: 'OKTA' },
      hasPassword: status === 'ACTIVE',
      hasRecoveryQuestion: false,
      groups,
      roles: [],
      factors,
    };
  }

  private drawCore(rng: Rng, index: number): UserCore {
    const special = this.specials.get(index);
    let status: UserStatus;
    if (special?.startsWith('status:')) status = special.slice(7) as UserStatus;
    else if (special) status = 'ACTIVE';
    else status = STATUS_TABLE.draw(rng);
    const anchor = this.anchorMs;
    const created = anchor - rng.int(DAY, 8 * 365 * DAY);
    let activated: number | null = null;
    let statusChanged: number | null = null;
    let lastLogin: number | null = null;
    let passwordChanged: number | null = null;
    if (status !== 'STAGED') {
      // Okta leaves `activated` null for some users activated at creation by an import.
      activated =
        status === 'ACTIVE' && rng.chance(0.03)
          ? null
          : created + rng.int(0, Math.min(14 * DAY, anchor - created));
      const since = activated ?? created;
      statusChanged =
        status === 'ACTIVE' || status === 'PROVISIONED'
          ? activated
          : since + rng.int(0, anchor - since);
      if (status !== 'PROVISIONED') {
        const loginUntil = status === 'DEPROVISIONED' ? (statusChanged ?? anchor) : anchor;
        lastLogin = rng.chance(0.1) ? null : since + rng.int(0, loginUntil - since);
        passwordChanged = rng.chance(0.15) ? null : since + rng.int(0, loginUntil - since);
      }
    }
    // lastLogin is not a profile change: Okta does not move lastUpdated when a user signs in.
    const latest = Math.max(created, activated ?? 0, statusChanged ?? 0, passwordChanged ?? 0);
    const lastUpdated = Math.min(anchor - 1, latest + rng.int(0, 10 * DAY));
    return { status, created, activated, statusChanged, lastLogin, lastUpdated, passwordChanged };
  }

  private drawProfile(
    rng: Rng,
    index: number,
    awkward: AwkwardKind | undefined,
  ): OktaUserProfileJson {
    const drawn: [string, string] = [rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)];
    const [first, last] = (awkward !== undefined && AWKWARD_NAMES[awkward]) || drawn;
    const localPart = `${asciiSlug(first)}.${asciiSlug(last)}${index + 1}`;
    let login = `${localPart}@${this.orgDomain}`;
    if (awkward === 'oddLogin')
      login = `${localPart.toUpperCase()}+okta@${this.orgDomain.toUpperCase()}`;
    if (awkward === 'cjkName') login = `li.lei${index + 1}@${this.orgDomain}`;
    const [city, countryCode, timezone] = rng.pick(CITIES);
    const department = rng.pick(DEPARTMENTS);
    const contractor = rng.chance(0.08);
    const profile: OktaUserProfileJson = {
      login,
      email: login.toLowerCase(),
      firstName: first,
      lastName: last,
      displayName: `${first} ${last}`,
      secondEmail: rng.chance(0.2) ? `${asciiSlug(first)}${index + 1}@mail.example.org` : null,
      mobilePhone: rng.chance(0.6) ? `+1-555-${rng.int(100, 999)}-${rng.int(1000, 9999)}` : null,
      title: `${rng.pick(TITLES)}`,
      department,
      organization: `${this.orgDomain.split('.')[0].replace(/^./, (c) => c.toUpperCase())} Inc.`,
      division: `${department} ${rng.pick(REGIONS)}`,
      employeeNumber: String(100000 + index),
      userType: contractor ? 'Contractor' : 'Employee',
      city,
      countryCode,
      timezone,
      locale: countryCode === 'US' ? 'en_US' : 'en_GB',
      preferredLanguage: 'en',
      manager: rng.chance(0.7) ? `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}` : null,
      // Custom attributes of this org's schema, of several JSON types, as real orgs add them.
      costCenter: `CC-${rng.int(1000, 9999)}`,
      isContractor: contractor,
      startDate: new Date(this.anchorMs - rng.int(30, 4000) * DAY).toISOString().slice(0, 10),
      clearanceLevel: rng.int(0, 4),
      githubUsername: rng.chance(0.3) ? `${asciiSlug(first)}-${rng.alnum(4).toLowerCase()}` : null,
      entitlements: rng.chance(0.4) ? ['vpn', rng.pick(['aws-prod', 'salesforce', 'jira'])] : [],
    };
    if (rng.chance(0.1)) profile.nickName = first;
    applyAwkwardFields(profile, awkward, { first, last, localPart, orgDomain: this.orgDomain });
    return profile;
  }

  private drawMemberships(rng: Rng, index: number, special: SpecialKind | undefined): number[] {
    const others = this.groupCount - 1;
    let extra: number;
    if (index === this.heavyIndex) extra = this.heavyUserGroups - 1;
    else if (special === 'dozensGroups') extra = Math.min(others, rng.int(24, 60));
    else if (special === 'everyoneOnly') extra = 0;
    else {
      const r = rng.next();
      if (r < 0.08) extra = 0;
      else if (r < 0.78) extra = rng.int(1, 4);
      else if (r < 0.98) extra = rng.int(5, 10);
      else extra = rng.int(12, 40);
    }
    return [0, ...this.sampleGroups(rng, Math.min(extra, others))].sort((a, b) => a - b);
  }

  /** `k` distinct non-Everyone group indices. Admin groups are joined less often, as in life. */
  sampleGroups(rng: Rng, k: number, exclude?: ReadonlySet<number>): number[] {
    let excluded = 0;
    for (const g of exclude ?? []) if (g > 0 && g < this.groupCount) excluded++;
    const pool = this.groupCount - 1 - excluded;
    if (k <= 0 || pool <= 0) return [];
    if (k >= pool || k > pool / 2) {
      const all: number[] = [];
      for (let g = 1; g < this.groupCount; g++) if (!exclude?.has(g)) all.push(g);
      for (let i = 0; i < Math.min(k, all.length); i++) {
        const j = i + Math.floor(rng.next() * (all.length - i));
        [all[i], all[j]] = [all[j], all[i]];
      }
      return all.slice(0, Math.min(k, all.length));
    }
    const chosen = new Set<number>();
    for (let attempts = 0; chosen.size < k && attempts < 64 * k; attempts++) {
      const g = 1 + Math.floor(rng.next() * (this.groupCount - 1));
      if (chosen.has(g) || exclude?.has(g)) continue;
      if (this.roleGroupSet.has(g) && !rng.chance(0.15)) continue;
      chosen.add(g);
    }
    // The heavy user's count must be exact, however unlucky the draws were.
    for (let g = 1; chosen.size < k && g < this.groupCount; g++) {
      if (!exclude?.has(g)) chosen.add(g);
    }
    return [...chosen];
  }

  private drawDirectRoles(
    rng: Rng,
    status: UserStatus,
    special: SpecialKind | undefined,
  ): RoleRecord[] {
    const at = this.anchorMs - rng.int(DAY, 900 * DAY);
    switch (special) {
      case 'directAdmin':
        return [this.newRole(rng, rng.chance(0.5) ? 'SUPER_ADMIN' : 'ORG_ADMIN', 'ACTIVE', at)];
      case 'inactiveRoleOnly':
        return [this.newRole(rng, 'HELP_DESK_ADMIN', 'INACTIVE', at)];
      case 'customRole':
        return [this.newRole(rng, 'CUSTOM', 'ACTIVE', at)];
      default:
        break;
    }
    if (status === 'STAGED' || !rng.chance(0.02)) return [];
    return this.randomRoles(rng, 0.9, at);
  }

  /** One or two roles of the usual types, each active with the given chance. */
  private randomRoles(rng: Rng, activeChance: number, at: number): RoleRecord[] {
    const roles: RoleRecord[] = [];
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) {
      const type = ROLE_TYPE_TABLE.draw(rng);
      roles.push(this.newRole(rng, type, rng.chance(activeChance) ? 'ACTIVE' : 'INACTIVE', at));
    }
    return roles;
  }

  newRole(rng: Rng, type: string, status: 'ACTIVE' | 'INACTIVE', at: number): RoleRecord {
    if (type === 'CUSTOM') {
      return {
        id: 'irb' + rng.alnum(17),
        type,
        label: rng.pick(CUSTOM_ROLE_LABELS),
        status,
        created: at,
        lastUpdated: at,
        customRoleId: 'cr0' + rng.alnum(17),
        resourceSetId: 'iam' + rng.alnum(17),
      };
    }
    return {
      id: 'ra1' + rng.alnum(17),
      type,
      label: ROLE_LABELS[type] ?? type,
      status,
      created: at,
      lastUpdated: at,
    };
  }

  private drawFactors(
    rng: Rng,
    core: UserCore,
    special: SpecialKind | undefined,
    profileHint: OktaUserProfileJson,
  ): FactorRecord[] {
    if (special === 'noFactors') return [];
    const enrolledAt = (core.activated ?? core.created) + rng.int(0, 30 * DAY);
    const at = Math.min(this.anchorMs - 1, enrolledAt);
    if (special === 'pendingFactorsOnly') {
      return [
        this.newFactor(rng, 'push', 'PENDING_ACTIVATION', at, profileHint),
        this.newFactor(rng, 'sms', 'NOT_SETUP', at, profileHint),
      ];
    }
    const notStarted = core.status === 'STAGED' || core.status === 'PROVISIONED';
    if (rng.chance(notStarted ? 0.7 : 0.2)) return [];
    const n = rng.int(1, 3);
    const factors: FactorRecord[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const type = FACTOR_TYPE_TABLE.draw(rng);
      if (seen.has(type) && type !== 'webauthn') continue;
      seen.add(type);
      const status = notStarted
        ? rng.pick(['PENDING_ACTIVATION', 'NOT_SETUP'])
        : FACTOR_STATUS_TABLE.draw(rng);
      factors.push(this.newFactor(rng, type, status, at, profileHint));
    }
    return factors;
  }

  newFactor(
    rng: Rng,
    factorType: string,
    status: string,
    at: number,
    user: { login?: unknown; email?: unknown },
  ): FactorRecord {
    const login = typeof user.login === 'string' ? user.login : 'user';
    const email = typeof user.email === 'string' ? user.email : login;
    const shape = Object.hasOwn(FACTOR_SHAPES, factorType)
      ? FACTOR_SHAPES[factorType](rng, login, email)
      : { profile: {} };
    const provider = shape.provider ?? 'OKTA';
    return {
      id: (FACTOR_ID_PREFIX[factorType] ?? 'fac') + rng.alnum(17),
      factorType,
      provider,
      vendorName: shape.vendorName ?? provider,
      status,
      created: at,
      lastUpdated: at,
      profile: shape.profile,
    };
  }

  // ---- groups ----------------------------------------------------------------------------

  private generateGroups(): GroupRecord[] {
    const rng = new Rng(this.seed, saltOf('groups'));
    const groupSalt = hash32(this.seed, saltOf('group-ids'));
    const groups: GroupRecord[] = [];
    const orgCreated = this.anchorMs - 9 * 365 * DAY + rng.int(0, 30 * DAY);
    // Roles sit on a few groups only (never Everyone, which would make every user an admin).
    const others = this.groupCount - 1;
    const roleGroupCount =
      others === 0 ? 0 : Math.min(others, Math.max(3, Math.round(others * 0.06)));
    const roleGroups = new Set<number>();
    while (roleGroups.size < roleGroupCount) roleGroups.add(1 + Math.floor(rng.next() * others));
    for (const g of roleGroups) this.roleGroupSet.add(g);
    const usedNames = new Set<string>();
    let roleGroupOrdinal = 0;
    for (let index = 0; index < this.groupCount; index++) {
      const id = this.idFor('00g', this.groupIdBase, index, groupSalt);
      if (index === 0) {
        groups.push({
          index,
          id,
          type: 'BUILT_IN',
          created: orgCreated,
          lastUpdated: orgCreated,
          lastMembershipUpdated: this.anchorMs - rng.int(1, DAY),
          name: 'Everyone',
          description: 'All users in your organization',
          extraProfile: {},
          roles: [],
        });
        continue;
      }
      const created = orgCreated + rng.int(DAY, 8 * 365 * DAY);
      const lastUpdated = created + rng.int(0, Math.max(0, this.anchorMs - created - DAY));
      const isRoleGroup = roleGroups.has(index);
      const type = !isRoleGroup && rng.chance(0.2) ? 'APP_GROUP' : 'OKTA_GROUP';
      let base: string;
      if (isRoleGroup) base = ADMIN_GROUP_NAMES[roleGroupOrdinal % ADMIN_GROUP_NAMES.length];
      else if (type === 'APP_GROUP') base = rng.pick(APP_GROUP_NAMES);
      else if (rng.chance(0.5)) base = rng.pick(OKTA_GROUP_NAMES);
      else base = `${rng.pick(DEPARTMENTS)} - ${rng.pick(REGIONS)}`;
      let name = base;
      for (let n = 2; usedNames.has(name); n++) name = `${base} ${n}`;
      usedNames.add(name);
      const d = rng.next();
      // Okta's description is nullable; some orgs also leave it as an empty string.
      const description = d < 0.3 ? null : d < 0.35 ? '' : `${name} (managed by IT)`;
      const group: GroupRecord = {
        index,
        id,
        type,
        created,
        lastUpdated,
        lastMembershipUpdated:
          lastUpdated + rng.int(0, Math.max(0, this.anchorMs - lastUpdated - 1)),
        name,
        description,
        extraProfile: {},
        roles: [],
      };
      if (type === 'APP_GROUP') {
        const sam = name.replace(/[^A-Za-z0-9-]/g, '');
        group.appId = '0oa' + rng.alnum(17);
        group.extraProfile = {
          groupType: 'Security',
          samAccountName: sam,
          objectSid: `S-1-5-21-${rng.int(1e8, 4e9)}-${rng.int(1e8, 4e9)}-${rng.int(1000, 99999)}`,
          groupScope: 'Global',
          dn: `CN=${sam},OU=Groups,DC=corp,DC=${this.orgDomain.split('.')[0]},DC=example`,
          windowsDomainQualifiedName: `CORP\\${sam}`,
          externalId: rng.alnum(22) + '==',
        };
      }
      if (isRoleGroup) {
        group.roles = this.drawGroupRoles(rng, roleGroupOrdinal, lastUpdated);
        roleGroupOrdinal++;
      }
      groups.push(group);
    }
    return groups;
  }

  /** The first role groups carry one of each kind that matters to the mapping (U8, U12). */
  private drawGroupRoles(rng: Rng, ordinal: number, at: number): RoleRecord[] {
    if (ordinal === 0) return [this.newRole(rng, 'SUPER_ADMIN', 'ACTIVE', at)];
    if (ordinal === 1) {
      return [
        this.newRole(rng, 'HELP_DESK_ADMIN', 'ACTIVE', at),
        this.newRole(rng, 'REPORT_ADMIN', 'INACTIVE', at),
      ];
    }
    if (ordinal === 2) return [this.newRole(rng, 'CUSTOM', 'ACTIVE', at)];
    return this.randomRoles(rng, 0.85, at);
  }

  isRoleGroup(groupIndex: number): boolean {
    return this.roleGroupSet.has(groupIndex);
  }

  // ---- pinned data -----------------------------------------------------------------------

  /** Pins each special kind to a distinct seeded index; returns the heavy user's index. */
  private pinSpecials(): number {
    const n = this.userCount;
    if (n === 0) return -1;
    const kinds: SpecialKind[] = [
      'heavy',
      ...USER_STATUSES.map((s) => `status:${s}` as const),
      ...AWKWARD_KINDS,
      ...FEATURE_KINDS,
    ];
    const rng = new Rng(this.seed, saltOf('specials'));
    const taken = new Set<number>();
    let heavy = -1;
    for (const kind of kinds) {
      if (taken.size >= n) break;
      let index: number;
      do index = Math.floor(rng.next() * n);
      while (taken.has(index));
      taken.add(index);
      if (kind === 'heavy') heavy = index;
      else this.specials.set(index, kind);
    }
    this.specials.set(heavy, 'heavy');
    return heavy;
  }
}

/** An ASCII local part for a login built from a name that may not be ASCII. */
/** Names that replace the drawn ones for the users whose names are awkward on purpose. */
const AWKWARD_NAMES: Partial<Record<AwkwardKind, [string, string]>> = {
  latinNonAscii: ['José', 'Müller'],
  cjkName: ['雷', '李'],
  emojiName: ['Ana 🌟', 'Ruiz'],
  longName: ['Maximiliana-Alexandra-Josephine', 'von Habsburg-Lothringen '.repeat(8).trim()],
};

/** Breaks the profile the way its awkward kind says (missing, null, empty or odd fields). */
function applyAwkwardFields(
  profile: OktaUserProfileJson,
  awkward: AwkwardKind | undefined,
  user: { first: string; last: string; localPart: string; orgDomain: string },
): void {
  const { first, last, localPart, orgDomain } = user;
  switch (awkward) {
    case 'noFirstName':
      profile.firstName = null;
      profile.displayName = last;
      break;
    case 'noLastName':
      delete profile.lastName;
      profile.displayName = first;
      break;
    case 'noNames':
      profile.firstName = null;
      profile.lastName = null;
      delete profile.displayName;
      break;
    case 'emptyNames':
      profile.firstName = '';
      profile.lastName = '';
      profile.displayName = null;
      break;
    case 'noEmail':
      delete profile.email;
      break;
    case 'nullEmail':
      profile.email = null;
      break;
    case 'emptyEmail':
      profile.email = '';
      break;
    case 'emailNoAt':
      profile.email = `${localPart}.${orgDomain}`;
      break;
    case 'emailTwoAt':
      profile.email = `${asciiSlug(first)}@${asciiSlug(last)}@${orgDomain}`;
      break;
    case 'nonAsciiEmail':
      profile.firstName = 'Zoë';
      profile.displayName = `Zoë ${last}`;
      profile.email = 'zoë@exämple.com';
      break;
    case 'emptyDisplayName':
      profile.displayName = '';
      break;
    default:
      break;
  }
}

function asciiSlug(name: string): string {
  const folded = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .replace(/ł/gi, 'l')
    .replace(/ß/g, 'ss')
    .replace(/æ/gi, 'ae')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
  return folded || 'user';
}
