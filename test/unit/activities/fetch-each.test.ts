/**
 * The one per-item error loop (src/activities/fetch-each.ts), through both activities that run it:
 * the users of a page (fetchUserFactors; fetchUserGroups and fetchUserRoles run the same
 * enrichPage) and the groups of a page (fetchGroupRoles). Mapping contract, "When an enrichment
 * call fails": 404 is a deletion, not an error; a transient failure fails the attempt retryably
 * (keeping what was fetched) and falls back on the last attempt; anything else fails at once, not
 * retryably, and stops the requests still running (fetchGroupRoles's own copy of the loop did not:
 * they ran on).
 */
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createActivities, type SyncActivities } from '../../../src/activities';
import type { OktaSession } from '../../../src/activities/okta-session';
import type { StagedEnrichment, StagedGroupRoles } from '../../../src/activities/staged-page';
import { ErrorType } from '../../../src/contract/error-table';
import {
  OktaAbortedError,
  OktaAuthError,
  OktaNotFoundError,
  OktaTransientError,
} from '../../../src/okta/errors';
import type { OktaGroup, OktaUser } from '../../../src/okta/types';
import type { EventSink } from '../../../src/sinks/sink';
import { StagingStore } from '../../../src/sync/staging';
import type { EnrichInput, EnrichResult } from '../../../src/sync/types';

const ORG = 'https://acme.okta.com';
const SYNC = '20260101T000000Z-full-abcdef12';
const MAX_ATTEMPTS = 4;
const LETTERS = ['A', 'B', 'C'];
const USERS: OktaUser[] = LETTERS.map((l) => ({
  id: `00u${l}`,
  status: 'ACTIVE',
  created: '2020-01-01T00:00:00.000Z',
  profile: { login: `${l}@x.test`, email: `${l}@x.test` },
}));
// Each user is in one group of its own letter: the groups of the page are 00gA, 00gB, 00gC.
const GROUP_OF = (userId: string): OktaGroup => {
  const l = userId.slice(3);
  return { id: `00g${l}`, type: 'OKTA_GROUP', profile: { name: `group ${l}` } };
};

type Behaviour = 'ok' | 'gone' | 'transient' | 'fatal' | 'hang';

/** The fake Okta: how each item (user or group) answers, what was asked, what was aborted. */
class FakeOkta {
  behave: Record<string, Behaviour> = {};
  calls: Record<string, number> = {};
  readonly aborted = new Set<string>();

  answer(id: string, signal: AbortSignal | undefined): Promise<never[]> {
    this.calls[id] = (this.calls[id] ?? 0) + 1;
    const ctx = { endpoint: 'GET /api/v1/x/{id}', path: `/api/v1/x/${id}` };
    switch (this.behave[id] ?? 'ok') {
      case 'ok':
        return Promise.resolve([]);
      case 'gone':
        return Promise.reject(new OktaNotFoundError({ ...ctx, status: 404 }));
      case 'transient':
        return Promise.reject(
          new OktaTransientError({ ...ctx, reason: 'server_error', status: 503 }),
        );
      case 'fatal':
        return Promise.reject(new OktaAuthError({ ...ctx, status: 401, errorCode: 'E0000011' }));
      case 'hang':
        // Answers only when the activity gives up on it (as the client does on an abort, also
        // one that came before the request).
        return new Promise((_, reject) => {
          const abort = (): void => {
            this.aborted.add(id);
            reject(new OktaAbortedError({ ...ctx, reason: signal?.reason }));
          };
          if (signal?.aborted) abort();
          else signal?.addEventListener('abort', abort);
        });
    }
  }

  session(): OktaSession {
    const unused = (): Promise<never> => Promise.reject(new Error('not used by these tests'));
    return {
      listUsersPage: async () => ({
        users: structuredClone(USERS),
        nextUrl: null,
        serverDate: null,
      }),
      listUserGroups: async (id) => [GROUP_OF(id)],
      listGroupRoles: (id, call) => this.answer(id, call?.signal),
      listUserFactors: (id, call) => this.answer(id, call?.signal),
      listUserRoles: unused,
      getUser: unused,
      listGroupMembers: unused,
      listSystemLogPage: unused,
      listGroupsPage: unused,
      listGroupMembersPage: unused,
      listRoleAssignees: unused,
      counters: () => ({ apiCalls: 0, rateLimited: 0 }),
    };
  }
}

const noSink: EventSink = {
  kind: 'none',
  deliver: () => Promise.reject(new Error('no delivery in these tests')),
  close: async () => {},
};

let root: string;
let staging: StagingStore;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-fetch-each-'));
  staging = new StagingStore(root);
});
afterEach(async () => fs.rm(root, { recursive: true, force: true }));

const INPUT: EnrichInput = { orgUrl: ORG, syncId: SYNC, page: 1, maxAttempts: MAX_ATTEMPTS };

function run<A, R>(fn: (a: A) => Promise<R>, arg: A, attempt = 1): Promise<R> {
  return new MockActivityEnvironment({ attempt }).run(fn, arg);
}

/** One loop under test: its activity, its items, and what it staged about them. */
interface Loop {
  name: string;
  items: string[];
  activity(a: SyncActivities): (input: EnrichInput) => Promise<EnrichResult>;
  /** Items whose answer staging kept (a retry does not ask for them again). */
  kept(): Promise<string[]>;
  fellBack(): Promise<string[]>;
}

const loops: Loop[] = [
  {
    name: 'users of a page (fetchUserFactors)',
    items: USERS.map((u) => u.id),
    activity: (a) => a.fetchUserFactors,
    kept: async () => {
      const s = await staging.readPage<StagedEnrichment<unknown>>(ORG, SYNC, 1, 'factors');
      return Object.keys(s?.results ?? {}).sort();
    },
    fellBack: async () =>
      (await staging.readPage<StagedEnrichment<unknown>>(ORG, SYNC, 1, 'factors'))?.fallbacks ?? [],
  },
  {
    name: 'groups of a page (fetchGroupRoles)',
    items: USERS.map((u) => GROUP_OF(u.id).id),
    activity: (a) => a.fetchGroupRoles,
    kept: async () => {
      const ids = USERS.map((u) => GROUP_OF(u.id).id);
      const roles = await Promise.all(ids.map((g) => staging.readGroupRoles(ORG, SYNC, g)));
      return ids.filter((_, i) => roles[i] !== undefined).sort();
    },
    fellBack: async () =>
      (await staging.readPage<StagedGroupRoles>(ORG, SYNC, 1, 'group_roles'))?.fallbackGroups ?? [],
  },
];

/** The activities over a fresh fake, with the page listed and its groups staged. */
async function setUp(): Promise<{ okta: FakeOkta; acts: SyncActivities }> {
  const okta = new FakeOkta();
  const acts = createActivities({
    orgUrl: ORG,
    staging,
    sink: noSink,
    oktaSession: () => okta.session(),
    temporalClient: (): Promise<Client> => Promise.reject(new Error('no Temporal here')),
  });
  await run(acts.listUsersPage, { ...INPUT, nextUrl: null, filter: null });
  await run(acts.fetchUserGroups, INPUT);
  return { okta, acts };
}

describe.each(loops)('the per-item loop over the $name', (loop) => {
  const [a, b, c] = loop.items;

  test('a fatal error fails the attempt, not retryably, and aborts the requests still running', async () => {
    const { okta, acts } = await setUp();
    okta.behave = { [a]: 'ok', [b]: 'fatal', [c]: 'hang' };
    await expect(run(loop.activity(acts), INPUT)).rejects.toThrow(
      expect.objectContaining({ type: ErrorType.OktaAuthError, nonRetryable: true }),
    );
    expect([...okta.aborted]).toEqual([c]);
    // What was fetched before the failure is kept all the same.
    expect(await loop.kept()).toEqual([a]);
  });

  test('a transient error fails the attempt retryably; the retry asks only for the rest', async () => {
    const { okta, acts } = await setUp();
    okta.behave = { [b]: 'transient' };
    await expect(run(loop.activity(acts), INPUT, 1)).rejects.toThrow(
      expect.objectContaining({ type: ErrorType.OktaTransientError, nonRetryable: false }),
    );
    expect(await loop.kept()).toEqual([a, c]);

    okta.behave = {};
    okta.calls = {};
    const result = await run(loop.activity(acts), INPUT, 2);
    expect(okta.calls).toEqual({ [b]: 1 });
    expect(result.fallbacks).toBe(0);
    expect(await loop.kept()).toEqual([a, b, c]);
  });

  test('on the last attempt a transient error falls back; a 404 is a deletion, not an error', async () => {
    const { okta, acts } = await setUp();
    okta.behave = { [a]: 'gone', [b]: 'transient' };
    const result = await run(loop.activity(acts), INPUT, MAX_ATTEMPTS);
    expect(result.fallbacks).toBe(1);
    expect(await loop.fellBack()).toEqual([b]);
    expect(okta.calls).toEqual({ [a]: 1, [b]: 1, [c]: 1 });
  });
});

test('a group deleted during the sync grants no roles; a user deleted during it is counted', async () => {
  const { okta, acts } = await setUp();
  okta.behave = { '00gA': 'gone', '00uB': 'gone' };
  await run(acts.fetchGroupRoles, INPUT);
  expect(await staging.readGroupRoles(ORG, SYNC, '00gA')).toEqual([]);
  const factors = await run(acts.fetchUserFactors, INPUT);
  expect(factors.notFound).toBe(1);
  const staged = await staging.readPage<StagedEnrichment<unknown>>(ORG, SYNC, 1, 'factors');
  expect(staged?.notFound).toEqual(['00uB']);
});
