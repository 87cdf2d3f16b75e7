/**
 * Issue 12: the System Log activities in `MockActivityEnvironment`, over a fake Okta session and a
 * real StagingStore: users named by events (User targets only), group privilege events expanded
 * to members, each named id read by exactly one hash bucket (on any worker: one without the ids
 * in its staging reads the log window again), users whose lastUpdated is after the previous
 * watermark left to the lastUpdated listing, 404 counted as deleted, a refused log
 * reported (`auto`) or fatal (`required`), and the bound that turns the sync full.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { changedUsersActivities } from '../../../src/activities/changed-users';
import type { OktaSession } from '../../../src/activities/okta-session';
import type { LogPage, SystemLogPageParams } from '../../../src/okta/client';
import { OktaAuthError, OktaNotFoundError } from '../../../src/okta/errors';
import { reduceLogEvent, type LogEvent } from '../../../src/okta/system-log';
import type { OktaUser } from '../../../src/okta/types';
import { StagingStore } from '../../../src/sync/staging';
import { changedUsersBucket } from '../../../src/sync/system-log-phase';
import { ErrorType } from '../../../src/contract/error-table';

const ORG = 'https://acme.okta.com';
const SYNC = 'sync-1';
const BASE = { orgUrl: ORG, syncId: SYNC };
const RANGE = { since: '2026-01-01T00:00:00.000Z', until: '2026-01-02T00:00:00.000Z' };

function ev(eventType: string, ...targets: Array<[string, string]>): LogEvent {
  return reduceLogEvent({
    eventType,
    target: targets.map(([type, id]) => ({ id, type, alternateId: id, displayName: id })),
  })!;
}

interface Fake {
  logPages: LogEvent[][] | Error;
  members?: Record<string, string[]>;
  users?: Record<string, OktaUser>;
}

function session(f: Fake, calls: SystemLogPageParams[]): () => OktaSession {
  return () => {
    let apiCalls = 0;
    const notFound = (p: string) =>
      new OktaNotFoundError({ endpoint: `GET ${p}`, path: p, status: 404, errorCode: 'E0000007' });
    return {
      listSystemLogPage: async (p: SystemLogPageParams): Promise<LogPage> => {
        apiCalls++;
        calls.push(p);
        if (f.logPages instanceof Error) throw f.logPages;
        const i = p.nextUrl == null ? 0 : Number(new URL(p.nextUrl).searchParams.get('page'));
        const events = f.logPages[i] ?? [];
        return {
          events,
          // Like Okta's polling: a next link until a page comes back empty.
          nextUrl: events.length === 0 ? null : `${ORG}/api/v1/logs?page=${i + 1}`,
          serverDate: null,
        };
      },
      listGroupsPage: () => Promise.reject(new Error('not used by the System Log phase')),
      listGroupMembersPage: () => Promise.reject(new Error('not used by the System Log phase')),
      listRoleAssignees: () => Promise.reject(new Error('not used by the System Log phase')),
      listGroupMembers: async (id: string) => {
        apiCalls++;
        const m = f.members?.[id];
        if (!m) throw notFound(`/api/v1/groups/${id}/users`);
        return m.map((u) => ({ id: u }));
      },
      getUser: async (id: string) => {
        apiCalls++;
        const u = f.users?.[id];
        if (!u) throw notFound(`/api/v1/users/${id}`);
        return u;
      },
      listUsersPage: () => Promise.reject(new Error('not faked')),
      listUserGroups: () => Promise.reject(new Error('not faked')),
      listGroupRoles: () => Promise.reject(new Error('not faked')),
      listUserFactors: () => Promise.reject(new Error('not faked')),
      listUserRoles: () => Promise.reject(new Error('not faked')),
      counters: () => ({ apiCalls, rateLimited: 0 }),
    };
  };
}

/** The tenant of the first tests: events naming users directly and through a group. */
const WATERMARK = '2026-01-01T00:00:00.000Z';
const before = '2025-12-31T23:00:00.000Z';
const after = '2026-01-01T00:30:00.000Z';
const FAKE: Fake = {
  logPages: [
    [
      ev('group.user_membership.add', ['UserGroup', '00gA'], ['User', '00u1']),
      ev('user.mfa.factor.deactivate', ['User', '00u2'], ['Factor', 'f1']),
      ev('user.account.privilege.grant', ['User', '00u1']),
    ],
    [
      ev('group.privilege.grant', ['UserGroup', '00gAdmins']),
      ev('group.privilege.revoke', ['UserGroup', '00gGone']),
      ev('user.session.start', ['User', '00uNoise']),
      ev('user.lifecycle.delete.completed', ['User', '00uDeleted']),
    ],
  ],
  members: { '00gAdmins': ['00u2', '00u3', '00u4'] },
  users: {
    // Membership, factor and role changes do not move lastUpdated: read by id.
    '00u1': { id: '00u1', lastUpdated: before },
    '00u2': { id: '00u2', lastUpdated: before },
    '00u4': { id: '00u4' },
    // Updated after the previous watermark: the lastUpdated listing's to deliver.
    '00u3': { id: '00u3', lastUpdated: after },
  },
};

describe('System Log activities', () => {
  let staging: StagingStore;
  beforeEach(async () => {
    staging = new StagingStore(await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-cu-')));
  });
  afterEach(() => fs.rm(staging.root, { recursive: true, force: true }));

  const acts = (f: Fake, calls: SystemLogPageParams[] = []) =>
    changedUsersActivities({ staging, oktaSession: session(f, calls), checkOrg: () => {} });
  const run = <A, R>(fn: (a: A) => Promise<R>, arg: A): Promise<R> =>
    new MockActivityEnvironment().run(fn, arg) as Promise<R>;

  type Acts = ReturnType<typeof acts>;
  const readBucket = (a: Acts, bucket: number, buckets: number) =>
    run(a.readChangedUsersPage, {
      ...BASE,
      ...RANGE,
      page: 2 + bucket,
      bucket,
      buckets,
      previousWatermark: WATERMARK,
    });
  /** Every bucket's result and staged users (page 2 + bucket). */
  async function readAllBuckets(a: Acts, buckets: number, store = staging) {
    const pages = [];
    for (let bucket = 0; bucket < buckets; bucket++) {
      const r = await readBucket(a, bucket, buckets);
      const users = (await store.readPage<OktaUser[]>(ORG, SYNC, 2 + bucket, 'users'))!;
      pages.push({ bucket, r, ids: users.map((u) => u.id) });
    }
    return pages;
  }
  /** Independent of the code: which bucket each id hashes to, and what each id is. */
  function expectBucketsCoverNamedUsers(
    pages: Array<{
      bucket: number;
      r: { users: number; both: number; deleted: number };
      ids: string[];
    }>,
  ) {
    const delivered = pages.flatMap((p) => p.ids).sort();
    expect(delivered).toEqual(['00u1', '00u2', '00u4']);
    for (const p of pages) {
      for (const id of p.ids) expect(changedUsersBucket(id, 2)).toBe(p.bucket);
      expect(p.r.users).toBe(p.ids.length);
    }
    const sum = (k: 'users' | 'both' | 'deleted') => pages.reduce((n, p) => n + p.r[k], 0);
    // 00u3 is the listing's; 00uDeleted is gone (404).
    expect([sum('users'), sum('both'), sum('deleted')]).toEqual([3, 1, 1]);
  }

  test('collects User targets, expands group privilege events, reads each bucket by id, leaves the listing its users', async () => {
    const calls: SystemLogPageParams[] = [];
    const a = acts(FAKE, calls);
    const r = await run(a.collectChangedUsers, {
      ...BASE,
      ...RANGE,
      required: true,
      maxUsers: 100,
    });
    // 00u1, 00u2, 00uDeleted from events; 00u3, 00u4 through 00gAdmins; 00gGone has no members.
    expect(r).toMatchObject({ outcome: 'read', users: 5, events: 7, groupsExpanded: 2 });
    // 3 log pages (the last one empty), 2 group listings.
    expect(r.apiCalls).toBe(5);
    expect(calls[0]).toMatchObject({ ...RANGE, nextUrl: null });
    expect(calls[0].filter).toContain('eventType eq "group.privilege.grant"');

    // Two buckets: every named id is read by exactly one of them, and nothing from the log again
    // on the worker that collected (its staging is the cache).
    const pages = await readAllBuckets(a, 2);
    expect(calls).toHaveLength(3);
    expectBucketsCoverNamedUsers(pages);
  });

  test('a worker without the cache reads the log window again; its pages are the same', async () => {
    const collector = acts(FAKE);
    await run(collector.collectChangedUsers, { ...BASE, ...RANGE, required: true, maxUsers: 100 });
    // Another replica: its own (empty) staging folder.
    const otherStaging = new StagingStore(
      await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-cu-')),
    );
    try {
      const calls: SystemLogPageParams[] = [];
      const other = changedUsersActivities({
        staging: otherStaging,
        oktaSession: session(FAKE, calls),
        checkOrg: () => {},
      });
      const pages = await readAllBuckets(other, 2, otherStaging);
      expectBucketsCoverNamedUsers(pages);
      // Read once for both buckets (3 log pages), then from this worker's own cache.
      expect(calls).toHaveLength(3);
      expect(calls.every((c) => c.since === RANGE.since && c.until === RANGE.until)).toBe(true);
      // Two pages of this sync at once on a worker without the cache share one reading.
      calls.length = 0;
      await otherStaging.removeSync(ORG, SYNC);
      await Promise.all([0, 1].map((bucket) => readBucket(other, bucket, 2)));
      expect(calls).toHaveLength(3);
    } finally {
      await fs.rm(otherStaging.root, { recursive: true, force: true });
    }
  });

  test('a refused log: auto reports Okta’s reason, required fails without retry', async () => {
    const refused = new OktaAuthError({
      endpoint: 'GET /api/v1/logs',
      path: '/api/v1/logs',
      status: 403,
      errorCode: 'E0000006',
      errorSummary: 'You do not have permission to perform the requested action',
    });
    const a = acts({ logPages: refused });
    const auto = await run(a.collectChangedUsers, {
      ...BASE,
      ...RANGE,
      required: false,
      maxUsers: 100,
    });
    expect(auto).toMatchObject({ outcome: 'unavailable' });
    expect(auto.outcome === 'unavailable' && auto.reason).toMatch(
      /^HTTP 403 E0000006: You do not have permission.*okta\.logs\.read/,
    );
    await expect(
      run(a.collectChangedUsers, { ...BASE, ...RANGE, required: true, maxUsers: 100 }),
    ).rejects.toMatchObject({
      type: ErrorType.SystemLogUnavailableError,
      nonRetryable: true,
      message: expect.stringContaining('You do not have permission'),
    });
    // A 401 (bad token) is not a log refusal: it fails like any other call.
    const a401 = acts({
      logPages: new OktaAuthError({
        endpoint: 'GET /api/v1/logs',
        path: '/api/v1/logs',
        status: 401,
      }),
    });
    await expect(
      run(a401.collectChangedUsers, { ...BASE, ...RANGE, required: false, maxUsers: 100 }),
    ).rejects.toMatchObject({ type: ErrorType.OktaAuthError, nonRetryable: true });
  });

  test('more users than the bound: too_many, the workflow then runs full', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ev('user.account.lock', ['User', `00u${i}`]));
    const r = await run(acts({ logPages: [many] }).collectChangedUsers, {
      ...BASE,
      ...RANGE,
      required: false,
      maxUsers: 20,
    });
    expect(r).toMatchObject({ outcome: 'too_many', users: 30 });
  });
});
