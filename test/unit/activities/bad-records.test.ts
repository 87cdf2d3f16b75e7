/**
 * Issue 8, bad input at the activity layer: Okta records outside the happy path go through the
 * real activities (listUsersPage → enrichments → deliverPage) in `MockActivityEnvironment`, with a
 * fake Okta session, a real StagingStore in a temporary folder and an in-memory sink.
 *
 * Contract ("Which users", "a bad record must never crash a sync"): each such user is still
 * emitted as a schema-valid event as far as the mapping contract allows, or skipped with a
 * counted and logged reason; the page itself never crashes. An event that fails validation is a
 * mapping bug: the page fails, non-retryably, naming the user, and nothing half-valid is sent.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createActivities, type SyncActivities } from '../../../src/activities';
import type { OktaSession } from '../../../src/activities/okta-session';
import { mapUserToOcsf } from '../../../src/ocsf/map-user';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import { validateEvent } from '../../../src/ocsf/validate';
import { OktaNotFoundError } from '../../../src/okta/errors';
import type { OktaFactor, OktaGroup, OktaRole, OktaUser } from '../../../src/okta/types';
import type { Delivery, DeliveryResult, EventSink } from '../../../src/sinks/sink';
import { StagingStore } from '../../../src/sync/staging';
import type { DeliverPageResult, PageRef } from '../../../src/sync/types';
import { ErrorType } from '../../../src/contract/error-table';

// The real mapping, behind a mock that a test can override for one user (a mapping bug, a record
// it cannot handle); every other call goes to the real function.
jest.mock('../../../src/ocsf/map-user', () => {
  const actual: typeof import('../../../src/ocsf/map-user') = jest.requireActual(
    '../../../src/ocsf/map-user',
  );
  return { ...actual, mapUserToOcsf: jest.fn(actual.mapUserToOcsf) };
});
const realMapUser: typeof mapUserToOcsf = jest.requireActual(
  '../../../src/ocsf/map-user',
).mapUserToOcsf;
const mockedMap = jest.mocked(mapUserToOcsf);

const ORG = 'https://acme.okta.com';
const SYNC = '20260101T000000Z-full-abcdef12';
const MAX_ATTEMPTS = 8;

/** What the fake Okta answers, per user and group; a thrown error is returned as a rejection. */
interface FakeTenant {
  users: OktaUser[];
  groups?: Record<string, OktaGroup[] | Error>;
  groupRoles?: Record<string, OktaRole[] | Error>;
  factors?: Record<string, OktaFactor[] | Error>;
  roles?: Record<string, OktaRole[] | Error>;
}

function fakeSession(t: FakeTenant): () => OktaSession {
  return () => {
    let apiCalls = 0;
    const answer = async <T>(v: T[] | Error | undefined): Promise<T[]> => {
      apiCalls += 1;
      if (v instanceof Error) throw v;
      return v ?? [];
    };
    return {
      listUsersPage: async () => {
        apiCalls += 1;
        // A deep copy, as if it came over the wire: staging must not share objects with the test.
        return { users: structuredClone(t.users), nextUrl: null, serverDate: null };
      },
      listUserGroups: (id) => answer(t.groups?.[id]),
      listGroupRoles: (id) => answer(t.groupRoles?.[id]),
      listUserFactors: (id) => answer(t.factors?.[id]),
      listUserRoles: (id) => answer(t.roles?.[id]),
      // Not used by the full-sync path these tests run.
      getUser: () => Promise.reject(new Error('getUser is not faked')),
      listGroupMembers: () => Promise.reject(new Error('listGroupMembers is not faked')),
      listSystemLogPage: () => Promise.reject(new Error('listSystemLogPage is not faked')),
      // The bulk strategy's reads are not exercised here.
      listGroupsPage: () => Promise.reject(new Error('not used by these tests')),
      listGroupMembersPage: () => Promise.reject(new Error('not used by these tests')),
      listRoleAssignees: () => Promise.reject(new Error('not used by these tests')),
      counters: () => ({ apiCalls, rateLimited: 0 }),
    };
  };
}

class MemorySink implements EventSink {
  readonly kind = 'memory';
  readonly deliveries: Delivery[] = [];
  async deliver(d: Delivery): Promise<DeliveryResult> {
    this.deliveries.push(d);
    return { delivered: d.events.length, location: 'memory' };
  }
  async close(): Promise<void> {}
}

interface LogLine {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMetadata): void => {
      lines.push({ level, message, meta });
    };
  return {
    log: (level, message, meta) => lines.push({ level, message, meta }),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

let root: string;
let logs: LogLine[];
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-bad-records-'));
  logs = [];
  mockedMap.mockImplementation(realMapUser);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function activitiesFor(t: FakeTenant, sink: EventSink): SyncActivities {
  return createActivities({
    orgUrl: ORG,
    staging: new StagingStore(path.join(root, 'state')),
    sink,
    oktaSession: fakeSession(t),
    temporalClient: (): Promise<Client> => Promise.reject(new Error('no Temporal in unit tests')),
  });
}

/** Runs `fn` as an activity on attempt `attempt`, logging into `logs`. */
function run<A, R>(fn: (a: A) => Promise<R>, arg: A, attempt = 1): Promise<R> {
  const env = new MockActivityEnvironment({ attempt }, { logger: recordingLogger(logs) });
  return env.run(fn, arg);
}

/** One page through every activity of the workflow, in the workflow's order. */
async function syncPage(
  acts: SyncActivities,
  opts: { enrichAttempt?: number } = {},
): Promise<DeliverPageResult> {
  const ref: PageRef = { orgUrl: ORG, syncId: SYNC, page: 1 };
  const attempt = opts.enrichAttempt ?? 1;
  await run(acts.listUsersPage, { ...ref, nextUrl: null, filter: null });
  const enrich = { ...ref, maxAttempts: MAX_ATTEMPTS };
  await run(acts.fetchUserGroups, enrich, attempt);
  await run(acts.fetchGroupRoles, enrich, attempt);
  await run(acts.fetchUserFactors, enrich, attempt);
  await run(acts.fetchUserRoles, enrich, attempt);
  return run(acts.deliverPage, { ...ref, runNumber: 1 });
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

const CREATED = '2020-05-01T10:00:00.000Z';
const ACTIVE_ROLE = (type: string, label?: string): OktaRole => ({
  id: `ra-${type}`,
  type,
  status: 'ACTIVE',
  ...(label !== undefined && { label }),
});

/** Users a real tenant (or a damaged record) can send, each outside the happy path in one way. */
const ODD_TENANT: FakeTenant = {
  users: [
    { id: '00u-no-profile', status: 'ACTIVE', created: CREATED },
    { id: '00u-null-profile', status: 'ACTIVE', created: CREATED, profile: null },
    { id: '00u-empty-profile', status: 'ACTIVE', created: CREATED, profile: {} },
    {
      id: '00u-null-login',
      status: 'ACTIVE',
      created: CREATED,
      profile: { login: null, email: '', firstName: null, lastName: '', displayName: '' },
    },
    {
      id: '00u-new-admin-type',
      status: 'ACTIVE',
      created: CREATED,
      profile: { login: 'a@x.test', email: 'a@x.test' },
    },
    {
      id: '00u-odd-roles',
      status: 'ACTIVE',
      created: CREATED,
      profile: { login: 'b@x.test', email: 'b@x.test' },
    },
    {
      id: '00u-odd-factors',
      status: 'ACTIVE',
      created: CREATED,
      profile: { login: 'c@x.test', email: 'c@x.test' },
    },
    {
      id: '00u-odd-groups',
      status: 'ACTIVE',
      created: CREATED,
      profile: { login: 'd@x.test', email: 'd@@x.test' },
    },
    {
      id: '00u-odd-status-and-dates',
      status: 'FROZEN_BY_A_FUTURE_OKTA',
      created: null,
      lastUpdated: 'yesterday',
      profile: { login: 'e@x.test', email: 'no-at-sign' },
    },
    {
      id: '00u-normal',
      status: 'ACTIVE',
      created: CREATED,
      lastUpdated: CREATED,
      profile: {
        login: 'f@x.test',
        email: 'f@x.test',
        firstName: 'F',
        lastName: 'G',
        displayName: 'F G',
      },
    },
  ],
  groups: {
    '00u-odd-groups': [
      { id: '00g-no-profile' },
      { id: '00g-null-profile', profile: null },
      { id: '00g-null-name', type: 'SOMETHING_NEW', profile: { name: null, description: null } },
    ],
    '00u-normal': [{ id: '00g-normal', type: 'OKTA_GROUP', profile: { name: 'Staff' } }],
  },
  groupRoles: {
    '00g-no-profile': [ACTIVE_ROLE('NOT_A_KNOWN_ROLE_TYPE')],
    '00g-null-name': [{ id: 'ra-bare' }],
  },
  factors: {
    '00u-odd-factors': [
      { id: 'f1', factorType: 'quantum:entanglement', provider: 'ACME', status: 'ACTIVE' },
      { id: 'f2' },
    ],
  },
  roles: {
    '00u-new-admin-type': [ACTIVE_ROLE('QUANTUM_ADMIN')],
    '00u-odd-roles': [
      ACTIVE_ROLE('SOMETHING_NEW', 'Something new'),
      { id: 'ra-untyped', status: 'ACTIVE' },
      { id: 'ra-inactive-admin', type: 'SUPER_ADMIN', status: 'INACTIVE' },
    ],
  },
};

/** `event` with `patch` applied: deliberately no longer what the types promise (a mapping bug). */
function spoiled(event: UserInventoryInfo, patch: Record<string, unknown>): UserInventoryInfo {
  return { ...event, ...patch } as unknown as UserInventoryInfo;
}

function byUid(events: UserInventoryInfo[]): Map<string, UserInventoryInfo> {
  return new Map(events.map((e) => [e.user.uid ?? '', e]));
}

describe('Okta data outside the happy path', () => {
  test('every odd user is emitted as a schema-valid event; the page does not crash', async () => {
    const sink = new MemorySink();
    const result = await syncPage(activitiesFor(ODD_TENANT, sink));

    expect(result).toMatchObject({ events: ODD_TENANT.users.length, skipped: 0, fallbacks: 0 });
    expect(sink.deliveries).toHaveLength(1);
    const events = sink.deliveries[0]!.events;
    expect(events).toHaveLength(ODD_TENANT.users.length);
    for (const e of events) expect(() => validateEvent(e)).not.toThrow();
    const got = byUid(events);
    expect([...got.keys()].sort()).toEqual(ODD_TENANT.users.map((u) => u.id).sort());

    // U2/U3/A1: without a login, no name is invented; the uids still identify the user.
    for (const id of [
      '00u-no-profile',
      '00u-null-profile',
      '00u-empty-profile',
      '00u-null-login',
    ]) {
      const user = got.get(id)!.user;
      expect(user).not.toHaveProperty('name');
      expect(user).not.toHaveProperty('uid_alt');
      expect(user).not.toHaveProperty('email_addr');
      expect(user.account).toMatchObject({ uid: id });
      expect(user.account).not.toHaveProperty('name');
      expect(user.full_name).toBe('None None'); // U4
      expect(user.domain).toBe(''); // U7
    }
    // U8: an unknown role type counts as admin when it says so, and only when ACTIVE.
    expect(got.get('00u-new-admin-type')!.user.type).toBe('Admin');
    expect(got.get('00u-odd-roles')!.user).toMatchObject({ type: 'User', type_id: 1 });
    // U9: an unknown factor type still protects the account when ACTIVE; a bare one does not.
    expect(got.get('00u-odd-factors')!.user.has_mfa).toBe(true);
    // U10–U12: groups without profile keep their uid; an unknown role type still names a privilege.
    expect(got.get('00u-odd-groups')!.user.groups).toEqual([
      { uid: '00g-no-profile', privileges: ['NOT_A_KNOWN_ROLE_TYPE'] },
      { uid: '00g-null-profile', privileges: [] },
      { uid: '00g-null-name', privileges: [] },
    ]);
    expect(got.get('00u-odd-groups')!.user.domain).toBe(''); // `d@@x.test`.split('@')[1]
    // R2: no usable date → the observation time, and the event says so; an unknown status is kept.
    const odd = got.get('00u-odd-status-and-dates')!;
    expect(odd.unmapped?.okta).toMatchObject({
      status: 'FROZEN_BY_A_FUTURE_OKTA',
      time_source: 'observed',
    });
    expect(odd.user.account).toMatchObject({ is_disabled: false, is_locked: false });
    // Control: the normal user is mapped exactly as the mapping says.
    const normal = got.get('00u-normal')!;
    expect(normal).toEqual(
      realMapUser(
        {
          user: ODD_TENANT.users.find((u) => u.id === '00u-normal')!,
          groups: [{ id: '00g-normal', type: 'OKTA_GROUP', profile: { name: 'Staff' } }],
          groupRoles: { '00g-normal': [] },
          factors: [],
          roles: [],
          enrichmentErrors: [],
        },
        { observedAtMs: normal.time },
      ),
    );
    expect(logs.filter((l) => l.level === 'WARN' || l.level === 'ERROR')).toEqual([]);
  });

  test('a record the mapping cannot handle is skipped, counted and logged; the rest is delivered', async () => {
    mockedMap.mockImplementation((input, opts) => {
      if (input.user.id === '00u-odd-groups') throw new TypeError('cannot read this record');
      return realMapUser(input, opts);
    });
    const sink = new MemorySink();
    const result = await syncPage(activitiesFor(ODD_TENANT, sink));

    expect(result.events).toBe(ODD_TENANT.users.length - 1);
    expect(result.skipped).toBe(1);
    expect(result.skippedReasons).toEqual({ 'unmappable record: cannot read this record': 1 });
    const uids = sink.deliveries[0]!.events.map((e) => e.user.uid);
    expect(uids).not.toContain('00u-odd-groups');
    expect(uids).toHaveLength(ODD_TENANT.users.length - 1);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        meta: expect.objectContaining({
          userId: '00u-odd-groups',
          reason: expect.stringContaining('unmappable record'),
        }),
      }),
    );
  });

  test('a user deleted during the sync (404 on an enrichment) is skipped with its reason', async () => {
    const gone = new OktaNotFoundError({
      endpoint: 'GET /api/v1/users/{userId}/factors',
      path: '/api/v1/users/00u-normal/factors',
      status: 404,
    });
    const sink = new MemorySink();
    const result = await syncPage(
      activitiesFor({ ...ODD_TENANT, factors: { '00u-normal': gone } }, sink),
    );
    expect(result).toMatchObject({
      events: ODD_TENANT.users.length - 1,
      skipped: 1,
      skippedReasons: { 'deleted during sync': 1 },
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        meta: expect.objectContaining({ userId: '00u-normal' }),
      }),
    );
  });

  test('ids named like Object.prototype members are ordinary ids', async () => {
    // Staged results are keyed by Okta ids; `constructor` once read Object.prototype's and
    // crashed deliverPage with a retryable TypeError, retried for ever.
    const ids = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
    const tenant: FakeTenant = { users: [], groups: {}, groupRoles: {}, factors: {} };
    for (const id of ids) {
      tenant.users.push({
        id,
        status: 'ACTIVE',
        created: CREATED,
        profile: { login: `${id}@x.test` },
      });
      tenant.groups![id] = [{ id, profile: { name: `group ${id}` } }];
      tenant.groupRoles![id] = [ACTIVE_ROLE('ORG_ADMIN', `label ${id}`)];
      tenant.factors![id] = [{ id: `f-${id}`, status: 'ACTIVE' }];
    }
    const sink = new MemorySink();
    const result = await syncPage(activitiesFor(tenant, sink));
    expect(result).toMatchObject({ events: ids.length, skipped: 0, fallbacks: 0 });
    const got = byUid(sink.deliveries[0]!.events);
    for (const id of ids) {
      const event = got.get(id)!;
      expect(() => validateEvent(event)).not.toThrow();
      expect(event.user).toMatchObject({
        name: `${id}@x.test`,
        type: 'Admin',
        has_mfa: true,
        groups: [{ uid: id, name: `group ${id}`, privileges: [`label ${id}`] }],
      });
    }
  });

  test('a group id that is no safe file name never becomes a path; on the last attempt it falls back', async () => {
    // Okta ids are alphanumeric; a hostile or damaged answer must not write outside staging.
    const hostile = '../../../../escaped';
    const tenant: FakeTenant = {
      users: [{ id: '00u-1', status: 'ACTIVE', created: CREATED, profile: { login: 'x@y.test' } }],
      groups: { '00u-1': [{ id: hostile, profile: { name: 'Hostile' } }] },
      groupRoles: { [hostile]: [ACTIVE_ROLE('SUPER_ADMIN')] },
    };
    const sink = new MemorySink();
    const acts = activitiesFor(tenant, sink);
    const ref = { orgUrl: ORG, syncId: SYNC, page: 1, maxAttempts: MAX_ATTEMPTS };
    await run(acts.listUsersPage, { ...ref, nextUrl: null, filter: null });
    await run(acts.fetchUserGroups, ref);
    // Before the last attempt: a retryable failure, not a crash of the worker.
    const early = await failureOf(run(acts.fetchGroupRoles, ref, 1));
    expect(early.nonRetryable).toBe(false);
    expect(early.message).toContain('invalid group id');

    const result = await syncPage(acts, { enrichAttempt: MAX_ATTEMPTS });
    expect(result).toMatchObject({ events: 1, fallbacks: 1, fallbacksByKind: { group_roles: 1 } });
    const event = sink.deliveries[0]!.events[0]!;
    expect(() => validateEvent(event)).not.toThrow();
    expect(event.unmapped?.okta?.enrichment_errors).toEqual(['group_roles']);
    expect(event.user.groups).toEqual([{ uid: hostile, name: 'Hostile', privileges: [] }]);
    expect(existsSync(path.join(root, 'escaped.json'))).toBe(false);
  });
});

describe('deliverPage with an invalid event', () => {
  test('fails non-retryably, naming the user, and delivers nothing of the page', async () => {
    mockedMap.mockImplementation((input, opts) => {
      const event = realMapUser(input, opts);
      // The product documentation's type_uid, which the schema rejects (R1).
      return input.user.id === '00u-odd-roles' ? spoiled(event, { type_uid: 5003002 }) : event;
    });
    const sink = new MemorySink();
    const err = await failureOf(syncPage(activitiesFor(ODD_TENANT, sink)));
    expect(err.nonRetryable).toBe(true);
    expect(err.type).toBe(ErrorType.OcsfValidationError);
    expect(err.message).toContain('"00u-odd-roles"');
    expect(err.message).toContain('/type_uid');
    expect(sink.deliveries).toHaveLength(0);
  });

  test('an event failing only the R2 time rule is refused the same way', async () => {
    mockedMap.mockImplementation((input, opts) => {
      const event = realMapUser(input, opts);
      // Seconds instead of milliseconds: schema-valid, but January 1970 (R2).
      return input.user.id === '00u-normal'
        ? spoiled(event, { time: Math.floor(event.time / 1000) })
        : event;
    });
    const sink = new MemorySink();
    const err = await failureOf(syncPage(activitiesFor(ODD_TENANT, sink)));
    expect(err).toMatchObject({ nonRetryable: true, type: ErrorType.OcsfValidationError });
    expect(err.message).toContain('"00u-normal"');
    expect(sink.deliveries).toHaveLength(0);
  });
});
