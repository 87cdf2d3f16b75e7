/**
 * Rule-by-rule tests of mapUserToOcsf against /work/shared/spec/okta-user-to-ocsf.md. Every test
 * names the rule it checks; every mapped event is also run through the schema validator.
 */
import { mapUserToOcsf } from '../../../src/ocsf/map-user';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import { eventErrors, validateEvent } from '../../../src/ocsf/validate';
import type {
  EnrichedUser,
  OktaFactor,
  OktaGroup,
  OktaRole,
  OktaUser,
  OktaUserProfile,
} from '../../../src/okta/types';

const CREATED = '2021-03-04T10:15:30.123Z';
const CREATED_MS = Date.UTC(2021, 2, 4, 10, 15, 30, 123);
const OBSERVED_MS = Date.UTC(2026, 0, 1);

function enriched(
  overrides: Partial<EnrichedUser> = {},
  user: Partial<OktaUser> = {},
): EnrichedUser {
  return {
    user: {
      id: '00uTEST',
      status: 'ACTIVE',
      created: CREATED,
      lastUpdated: '2025-01-01T00:00:00.000Z',
      profile: {
        login: 'ann.lee@acme.example',
        email: 'ann@acme.example',
        firstName: 'Ann',
        lastName: 'Lee',
        displayName: 'Ann L.',
      },
      ...user,
    },
    groups: [],
    groupRoles: {},
    factors: [],
    roles: [],
    enrichmentErrors: [],
    ...overrides,
  };
}

function withProfile(profile: OktaUserProfile | null | undefined): EnrichedUser {
  return enriched({}, { profile });
}

/** Maps and insists on schema validity: every rule must hold without breaking OCSF. */
function map(input: EnrichedUser, observedAtMs = OBSERVED_MS): UserInventoryInfo {
  const event = mapUserToOcsf(input, { observedAtMs });
  expect(eventErrors(event)).toEqual([]);
  return event;
}

const role = (
  type: string | null,
  status: string | null,
  label: string | null = type,
): OktaRole => ({
  id: `ra${type}${status}${label}`,
  type,
  status,
  label,
});
const factor = (status: string | null): OktaFactor => ({
  id: `f${status}`,
  factorType: 'push',
  status,
});
const group = (id: string, name?: string | null, description?: string | null): OktaGroup => ({
  id,
  type: 'OKTA_GROUP',
  profile: { name, description },
});

describe('event envelope', () => {
  test('R1: type_uid is 500302 (class_uid 5003 * 100 + activity_id 2), never 5003002', () => {
    const e = map(enriched());
    expect(e.type_uid).toBe(500302);
    expect(e.type_uid).toBe(e.class_uid * 100 + e.activity_id);
    expect(e).toMatchObject({
      activity_id: 2,
      activity_name: 'Collect',
      category_uid: 5,
      category_name: 'Discovery',
      class_uid: 5003,
      class_name: 'User Inventory Info',
      type_name: 'User Inventory Info: Collect',
      severity_id: 1,
      severity: 'Informational',
    });
  });

  test('metadata: OCSF version 1.8.0 and product Okta/Okta without an invented version', () => {
    expect(map(enriched()).metadata).toStrictEqual({
      version: '1.8.0',
      product: { name: 'Okta', vendor_name: 'Okta' },
    });
  });

  test('the event only has attributes the class defines, Okta extras only under unmapped.okta', () => {
    const e = map(enriched({}, { lastLogin: null, passwordChanged: '2025-02-02T00:00:00.000Z' }));
    expect(Object.keys(e).sort()).toEqual(
      [
        'activity_id',
        'activity_name',
        'category_name',
        'category_uid',
        'class_name',
        'class_uid',
        'metadata',
        'severity',
        'severity_id',
        'time',
        'type_name',
        'type_uid',
        'unmapped',
        'user',
      ].sort(),
    );
    expect(e.unmapped.okta).toMatchObject({
      status: 'ACTIVE',
      lastLogin: null,
      passwordChanged: '2025-02-02T00:00:00.000Z',
    });
  });

  test('the input is not modified', () => {
    const input = enriched({
      groups: [group('00g1', 'G', null)],
      groupRoles: { '00g1': [role('SUPER_ADMIN', 'ACTIVE')] },
      enrichmentErrors: ['factors', 'groups'],
    });
    const before = JSON.stringify(input);
    map(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe('R2: time is integer milliseconds since the epoch', () => {
  test('R2: from created, to the millisecond', () => {
    expect(map(enriched()).time).toBe(CREATED_MS);
  });

  test.each([
    ['2021-03-04T12:15:30.123+02:00', CREATED_MS],
    ['2021-03-04T10:15:30Z', CREATED_MS - 123],
    ['2021-03-04T10:15:30.1239Z', CREATED_MS], // truncated, not rounded up
    ['2021-03-04T10:15:30.5Z', CREATED_MS - 123 + 500],
  ])('R2: created %s → %d', (created, expected) => {
    const e = map(enriched({}, { created }));
    expect(e.time).toBe(expected);
    expect(Number.isInteger(e.time)).toBe(true);
    expect(e.unmapped.okta.time_source).toBeUndefined();
  });

  test.each([
    null,
    undefined,
    '',
    'not-a-date',
    '2021-02-30T00:00:00.000Z',
    '2021-03-04',
    '1999-12-31T23:59:59.999Z',
    '1614852930',
  ])('R2: created %p is unusable → lastUpdated, and time_source says so', (created) => {
    const e = map(enriched({}, { created, lastUpdated: '2025-05-20T17:45:12.345Z' }));
    expect(e.time).toBe(Date.UTC(2025, 4, 20, 17, 45, 12, 345));
    expect(e.unmapped.okta.time_source).toBe('lastUpdated');
  });

  test('R2: neither created nor lastUpdated usable → observedAtMs, and time_source says so', () => {
    const e = map(enriched({}, { created: null, lastUpdated: 'garbage' }));
    expect(e.time).toBe(OBSERVED_MS);
    expect(e.unmapped.okta.time_source).toBe('observed');
  });

  test('R2: without observedAtMs the last resort is the clock at mapping time', () => {
    const before = Date.now();
    const e = mapUserToOcsf(enriched({}, { created: undefined, lastUpdated: undefined }));
    const after = Date.now();
    expect(e.time).toBeGreaterThanOrEqual(before);
    expect(e.time).toBeLessThanOrEqual(after);
    validateEvent(e);
  });

  test.each([1_767_225_600, 1.5e12 + 0.5, Number.NaN, -1])(
    'R2: observedAtMs %p (seconds, fractional, NaN, negative) is a caller bug, named in the error',
    (observedAtMs) => {
      expect(() => mapUserToOcsf(enriched(), { observedAtMs })).toThrow(/observedAtMs/);
    },
  );
});

describe('user identity (U1–U7)', () => {
  test('U1, U2, U3: uid is id; name and uid_alt are profile.login', () => {
    const u = map(enriched()).user;
    expect(u.uid).toBe('00uTEST');
    expect(u.name).toBe('ann.lee@acme.example');
    expect(u.uid_alt).toBe('ann.lee@acme.example');
  });

  test.each([
    ['no profile', undefined],
    ['a null profile', null],
    ['no login', { email: 'x@y.z' }],
    ['an empty login', { login: '' }],
    ['a non-string login', { login: 42 as unknown as string }],
  ])('U2, U3, A1: %s → name, uid_alt and account.name absent, uid kept', (_what, profile) => {
    const u = map(withProfile(profile)).user;
    expect(u).not.toHaveProperty('name');
    expect(u).not.toHaveProperty('uid_alt');
    expect(u.account).not.toHaveProperty('name');
    expect(u.uid).toBe('00uTEST');
    expect(u.account.uid).toBe('00uTEST');
  });

  test.each([
    ['Ann', 'Lee', 'Ann Lee'],
    [null, 'Lee', 'None Lee'],
    ['Ann', null, 'Ann None'],
    [undefined, undefined, 'None None'],
    ['', '', 'None None'],
    [null, '', 'None None'],
    [' Ann', 'Lee ', 'Ann Lee'],
    ['Ann ', ' Lee', 'Ann   Lee'],
    [7, true, 'None None'],
  ])('U4: firstName %p + lastName %p → full_name %p', (firstName, lastName, fullName) => {
    const profile = { login: 'a@b.c', firstName, lastName } as unknown as OktaUserProfile;
    expect(map(withProfile(profile)).user.full_name).toBe(fullName);
  });

  test('U4: no profile at all → "None None"', () => {
    expect(map(withProfile(undefined)).user.full_name).toBe('None None');
  });

  test.each([
    ['ann@acme.example', 'ann@acme.example'],
    ['not-an-email', 'not-an-email'],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('U5: email %p → email_addr %p', (email, expected) => {
    const u = map(withProfile({ login: 'l', email })).user;
    if (expected === undefined) expect(u).not.toHaveProperty('email_addr');
    else expect(u.email_addr).toBe(expected);
  });

  test.each([
    ['Ann L.', 'Ann L.'],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
    [12, undefined],
  ])('U6: displayName %p → display_name %p', (displayName, expected) => {
    const profile = { login: 'l', displayName } as unknown as OktaUserProfile;
    const u = map(withProfile(profile)).user;
    if (expected === undefined) expect(u).not.toHaveProperty('display_name');
    else expect(u.display_name).toBe(expected);
  });

  test.each([
    ['ann@acme.example', 'acme.example'],
    ['ann@sub@acme.example', 'sub'],
    ['ann@', ''],
    ['@acme.example', 'acme.example'],
    ['jürgen@bücher.example', 'bücher.example'],
    ['no-at-sign', ''],
    ['', ''],
    [null, ''],
    [undefined, ''],
  ])('U7: email %p → domain %p (always present)', (email, domain) => {
    expect(map(withProfile({ login: 'l', email })).user.domain).toBe(domain);
  });
});

describe('U8: user.type / type_id', () => {
  const admin = { type: 'Admin', type_id: 2 };
  const user = { type: 'User', type_id: 1 };

  test.each([
    ['an ACTIVE SUPER_ADMIN role', [role('SUPER_ADMIN', 'ACTIVE')], admin],
    ['an ACTIVE HELP_DESK_ADMIN role', [role('HELP_DESK_ADMIN', 'ACTIVE')], admin],
    ['an admin type in any case (future types)', [role('workflows_Admin', 'ACTIVE')], admin],
    ['an INACTIVE SUPER_ADMIN role', [role('SUPER_ADMIN', 'INACTIVE')], user],
    [
      'a CUSTOM role, even labelled Administrator',
      [role('CUSTOM', 'ACTIVE', 'Administrator')],
      user,
    ],
    ['a role without type', [role(null, 'ACTIVE', 'Super Administrator')], user],
    ['a role without status', [role('ORG_ADMIN', null)], user],
    ['an unknown future type', [role('SOMETHING_NEW', 'ACTIVE')], user],
    ['no roles', [], user],
    [
      'INACTIVE admin plus ACTIVE READ_ONLY_ADMIN',
      [role('ORG_ADMIN', 'INACTIVE'), role('READ_ONLY_ADMIN', 'ACTIVE')],
      admin,
    ],
  ])('U8: %s', (_what, roles, expected) => {
    expect(map(enriched({ roles })).user).toMatchObject(expected);
  });

  test('U8: an admin role held through a group counts even when the user_roles enrichment fell back', () => {
    const e = map(
      enriched({
        roles: [],
        enrichmentErrors: ['user_roles'],
        groups: [group('00gADM', 'Admins')],
        groupRoles: { '00gADM': [role('ORG_ADMIN', 'ACTIVE', 'Organizational Administrator')] },
      }),
    );
    expect(e.user).toMatchObject(admin);
  });

  test('U8: roles of a group the user is not listed in do not count', () => {
    const e = map(
      enriched({ groups: [], groupRoles: { '00gOTHER': [role('SUPER_ADMIN', 'ACTIVE')] } }),
    );
    expect(e.user).toMatchObject(user);
  });
});

describe('U9 (R3): has_mfa counts only ACTIVE factors', () => {
  test.each([
    [['ACTIVE'], true],
    [['PENDING_ACTIVATION', 'ACTIVE'], true],
    [['PENDING_ACTIVATION'], false],
    [['NOT_SETUP', 'ENROLLED', 'DISABLED', 'EXPIRED', 'INACTIVE'], false],
    [[null], false],
    [[], false],
  ])('U9, R3: factor statuses %p → has_mfa %p', (statuses, expected) => {
    const factors = (statuses as (string | null)[]).map(factor);
    expect(map(enriched({ factors })).user.has_mfa).toBe(expected);
  });
});

describe('groups (U10–U12)', () => {
  test('U10, U11: one entry per group, in Okta order, uid/name/desc from id/profile', () => {
    const groups = [group('00g1', 'Everyone', 'All users'), group('00g2', 'Eng', null)];
    expect(map(enriched({ groups })).user.groups).toStrictEqual([
      { uid: '00g1', name: 'Everyone', desc: 'All users', privileges: [] },
      { uid: '00g2', name: 'Eng', privileges: [] },
    ]);
  });

  test('U11: desc is omitted only when null; an empty description is what Okta holds', () => {
    const groups = [group('00g1', 'A', ''), group('00g2', 'B', undefined)];
    const out = map(enriched({ groups })).user.groups;
    expect(out[0]).toHaveProperty('desc', '');
    expect(out[1]).not.toHaveProperty('desc');
  });

  test('U11: a group without profile keeps its uid only (still a valid OCSF group)', () => {
    const groups: OktaGroup[] = [{ id: '00gA' }, { id: '00gB', profile: null }];
    expect(map(enriched({ groups })).user.groups).toStrictEqual([
      { uid: '00gA', privileges: [] },
      { uid: '00gB', privileges: [] },
    ]);
  });

  test('U10: damaged entries (not an object, no id) are skipped, the user is still emitted', () => {
    const groups = [
      null,
      { profile: { name: 'no id' } },
      group('00gOK', 'ok'),
    ] as unknown as OktaGroup[];
    expect(map(enriched({ groups })).user.groups.map((g) => g.uid)).toEqual(['00gOK']);
  });

  test('U12: privileges are the labels of the ACTIVE roles only, in order, each once', () => {
    const groups = [group('00g1', 'Admins')];
    const groupRoles = {
      '00g1': [
        role('HELP_DESK_ADMIN', 'ACTIVE', 'Help Desk Administrator'),
        role('SUPER_ADMIN', 'INACTIVE', 'Super Administrator'),
        role('CUSTOM', 'ACTIVE', 'Access Reviewer'),
        { ...role('CUSTOM', 'ACTIVE', 'Access Reviewer'), id: 'second-resource-set' },
      ],
    };
    expect(map(enriched({ groups, groupRoles })).user.groups[0]?.privileges).toEqual([
      'Help Desk Administrator',
      'Access Reviewer',
    ]);
  });

  test('U12: an ACTIVE role without label is named by its type, never dropped', () => {
    const groups = [group('00g1', 'Admins')];
    const groupRoles = { '00g1': [role('REPORT_ADMIN', 'ACTIVE', null), role(null, 'ACTIVE', '')] };
    expect(map(enriched({ groups, groupRoles })).user.groups[0]?.privileges).toEqual([
      'REPORT_ADMIN',
    ]);
  });

  test('U12: [] when the group has no roles, or its roles are unknown (group_roles fell back)', () => {
    const groups = [group('00g1', 'A'), group('00g2', 'B')];
    const out = map(
      enriched({ groups, groupRoles: { '00g1': [] }, enrichmentErrors: ['group_roles'] }),
    ).user.groups;
    expect(out.map((g) => g.privileges)).toEqual([[], []]);
  });
});

describe('account (A1–A5, R4)', () => {
  test('A1, A2, A3: name is login, uid is id, type Okta Account / 99', () => {
    expect(map(enriched()).user.account).toMatchObject({
      name: 'ann.lee@acme.example',
      uid: '00uTEST',
      type: 'Okta Account',
      type_id: 99,
    });
  });

  test.each([
    ['ACTIVE', false, false],
    ['STAGED', false, false],
    ['PROVISIONED', false, false],
    ['RECOVERY', false, false],
    ['PASSWORD_EXPIRED', false, false],
    ['SUSPENDED', true, false],
    ['DEPROVISIONED', true, false],
    ['LOCKED_OUT', false, true],
    [null, false, false],
    [undefined, false, false],
  ])('A4, A5, R4: status %p → is_disabled %p, is_locked %p', (status, disabled, locked) => {
    const account = map(enriched({}, { status })).user.account;
    expect(account.is_disabled).toBe(disabled);
    expect(account.is_locked).toBe(locked);
  });
});

describe('unmapped.okta', () => {
  test('carries the Okta timestamps and status verbatim; absent fields stay absent', () => {
    const e = map(
      enriched(
        {},
        {
          status: 'ACTIVE',
          created: CREATED,
          activated: null,
          statusChanged: '2022-01-01T00:00:00.000Z',
          lastLogin: '2026-01-01T00:00:00.000Z',
          lastUpdated: '2025-01-01T00:00:00.000Z',
          passwordChanged: undefined,
        },
      ),
    );
    expect(e.unmapped.okta).toStrictEqual({
      status: 'ACTIVE',
      created: CREATED,
      activated: null,
      statusChanged: '2022-01-01T00:00:00.000Z',
      lastLogin: '2026-01-01T00:00:00.000Z',
      lastUpdated: '2025-01-01T00:00:00.000Z',
    });
  });

  test('enrichment_errors is absent when every enrichment succeeded', () => {
    expect(map(enriched()).unmapped.okta).not.toHaveProperty('enrichment_errors');
  });

  test('enrichment_errors lists each fallen-back enrichment once, in canonical order', () => {
    const e = map(
      enriched({ enrichmentErrors: ['user_roles', 'factors', 'groups', 'factors', 'group_roles'] }),
    );
    expect(e.unmapped.okta.enrichment_errors).toEqual([
      'groups',
      'group_roles',
      'factors',
      'user_roles',
    ]);
  });

  test('documented fallbacks: groups [], has_mfa false, type User, and the event says which', () => {
    const e = map(
      enriched({
        groups: [],
        factors: [],
        roles: [],
        enrichmentErrors: ['groups', 'factors', 'user_roles'],
      }),
    );
    expect(e.user).toMatchObject({ groups: [], has_mfa: false, type: 'User', type_id: 1 });
    expect(e.unmapped.okta.enrichment_errors).toEqual(['groups', 'factors', 'user_roles']);
  });

  test.each([
    [{ id: '00uBARE', created: CREATED }, { created: CREATED }],
    [{ id: '00uBARE' }, { time_source: 'observed' }],
  ])('unmapped.okta is always there: %p → %p', (user, okta) => {
    const e = map({
      user,
      groups: [],
      groupRoles: {},
      factors: [],
      roles: [],
      enrichmentErrors: [],
    });
    expect(e.unmapped).toStrictEqual({ okta });
  });
});

describe('robustness: damaged records still give schema-valid events', () => {
  // A small deterministic PRNG: the same "random" records on every run.
  function prng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const rnd = prng(20260101);
  const JUNK: unknown[] = [
    undefined,
    null,
    '',
    ' ',
    'x',
    'a@b',
    '@',
    'ACTIVE',
    'LOCKED_OUT',
    'SUSPENDED',
    'SUPER_ADMIN',
    '2021-03-04T10:15:30.123Z',
    '0000-00-00T00:00:00Z',
    0,
    -1,
    1e20,
    true,
    [],
    {},
    ['x'],
    { name: 'n' },
  ];
  const pick = (): unknown => JUNK[Math.floor(rnd() * JUNK.length)];
  const maybeList = (make: () => unknown): unknown =>
    rnd() < 0.2 ? pick() : Array.from({ length: Math.floor(rnd() * 4) }, make);

  test('300 random damaged records: no throw, every event valid', () => {
    for (let i = 0; i < 300; i++) {
      const groups = maybeList(() =>
        rnd() < 0.8
          ? {
              id: `00g${i}${Math.floor(rnd() * 3)}`,
              profile: rnd() < 0.7 ? { name: pick(), description: pick() } : pick(),
            }
          : pick(),
      );
      const groupRoles: Record<string, unknown> = {};
      if (Array.isArray(groups)) {
        for (const g of groups) {
          const id = (g as { id?: unknown } | null)?.id;
          if (typeof id === 'string') {
            groupRoles[id] = maybeList(() =>
              rnd() < 0.8 ? { id: 'r', type: pick(), status: pick(), label: pick() } : pick(),
            );
          }
        }
      }
      const input = {
        user: {
          id: `00u${i}`,
          status: pick(),
          created: pick(),
          lastUpdated: pick(),
          lastLogin: pick(),
          profile:
            rnd() < 0.8
              ? {
                  login: pick(),
                  email: pick(),
                  firstName: pick(),
                  lastName: pick(),
                  displayName: pick(),
                }
              : pick(),
        },
        groups,
        groupRoles: rnd() < 0.9 ? groupRoles : pick(),
        factors: maybeList(() => (rnd() < 0.8 ? { id: 'f', status: pick() } : pick())),
        roles: maybeList(() =>
          rnd() < 0.8 ? { id: 'r', type: pick(), status: pick(), label: pick() } : pick(),
        ),
        enrichmentErrors: rnd() < 0.8 ? ['factors'] : pick(),
      } as unknown as EnrichedUser;
      const event = mapUserToOcsf(input, { observedAtMs: OBSERVED_MS });
      expect({ i, errors: eventErrors(event) }).toEqual({ i, errors: [] });
    }
  });
});
