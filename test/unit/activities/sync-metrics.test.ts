/**
 * Issue 16: what the activities report to the worker's metrics, run as real activities in
 * `MockActivityEnvironment` (fake Okta session, real staging, a sink that delivers in pieces):
 * users listed, events the sink accepted (once each, a resumed delivery counting only what it
 * sends), sink retries, users skipped and fallbacks by kind, all under the sync's mode.
 */
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createActivities } from '../../../src/activities';
import type { OktaSession } from '../../../src/activities/okta-session';
import type { SyncMetrics } from '../../../src/metrics/connector-metrics';
import { OktaNotFoundError, OktaTransientError } from '../../../src/okta/errors';
import type { EnrichmentKind, OktaUser } from '../../../src/okta/types';
import type { DeliverOptions, Delivery, DeliveryResult, EventSink } from '../../../src/sinks/sink';
import { StagingStore } from '../../../src/sync/staging';

const ORG = 'https://acme.okta.com';
const SYNC = '20260101T000000Z-incremental-abcdef12';
const MAX_ATTEMPTS = 3;
const USERS: OktaUser[] = ['00u1', '00u2', '00u3', '00u4', '00u5'].map((id) => ({
  id,
  status: 'ACTIVE',
  created: '2020-01-01T00:00:00.000Z',
  profile: { login: `${id}@x.test`, email: `${id}@x.test` },
}));

function fakeSession(): OktaSession {
  const ctx = { endpoint: 'GET /api/v1/users/{userId}/factors', path: '/api/v1/users/x/factors' };
  return {
    listUsersPage: async () => ({ users: structuredClone(USERS), nextUrl: null, serverDate: null }),
    // 00u5 was deleted during the sync: skipped.
    listUserGroups: async (id) => {
      if (id === '00u5') throw new OktaNotFoundError({ ...ctx, status: 404 });
      return [];
    },
    listGroupRoles: async () => [],
    getUser: () => Promise.reject(new Error('not used by a full sync')),
    listGroupMembers: () => Promise.reject(new Error('not used by a full sync')),
    listSystemLogPage: () => Promise.reject(new Error('not used by a full sync')),
    listGroupsPage: () => Promise.reject(new Error('not used by a per-user sync')),
    listGroupMembersPage: () => Promise.reject(new Error('not used by a per-user sync')),
    listRoleAssignees: () => Promise.reject(new Error('not used by a per-user sync')),
    // 00u2's factors keep failing: on the last attempt they fall back.
    listUserFactors: async (id) => {
      if (id === '00u2')
        throw new OktaTransientError({ ...ctx, reason: 'server_error', status: 503 });
      return [];
    },
    listUserRoles: async () => [],
    counters: () => ({ apiCalls: 0, rateLimited: 0 }),
  };
}

/** Accepts events two at a time; the first request of each delivery is refused once (a retry). */
class PieceSink implements EventSink {
  readonly kind = 'pieces';
  async deliver(d: Delivery, opts: DeliverOptions = {}): Promise<DeliveryResult> {
    opts.onRetry?.();
    for (let n = opts.alreadyDelivered ?? 0; n < d.events.length;) {
      n = Math.min(d.events.length, n + 2);
      opts.onProgress?.(n);
    }
    return { delivered: d.events.length };
  }
  async close(): Promise<void> {}
}

class RecordingMetrics implements SyncMetrics {
  readonly calls: [string, string, ...unknown[]][] = [];
  usersListed(syncId: string, users: number): void {
    this.calls.push(['usersListed', syncId, users]);
  }
  usersSkipped(syncId: string, users: number): void {
    this.calls.push(['usersSkipped', syncId, users]);
  }
  eventsDelivered(syncId: string, sink: string, events: number): void {
    this.calls.push(['eventsDelivered', syncId, sink, events]);
  }
  fellBack(syncId: string, kind: EnrichmentKind, users: number): void {
    this.calls.push(['fellBack', syncId, kind, users]);
  }
  sinkRetried(syncId: string, sink: string): void {
    this.calls.push(['sinkRetried', syncId, sink]);
  }
  total(name: string): number {
    return this.calls
      .filter((c) => c[0] === name)
      .reduce(
        (a, c) => a + (typeof c[c.length - 1] === 'number' ? (c[c.length - 1] as number) : 1),
        0,
      );
  }
}

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-sync-metrics-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('a page: users listed, events accepted, sink retries, skipped and fallbacks reach the metrics', async () => {
  const metrics = new RecordingMetrics();
  const acts = createActivities({
    orgUrl: ORG,
    staging: new StagingStore(path.join(root, 'state')),
    sink: new PieceSink(),
    oktaSession: fakeSession,
    temporalClient: (): Promise<Client> => Promise.reject(new Error('no Temporal here')),
    metrics,
  });
  const ref = { orgUrl: ORG, syncId: SYNC, page: 1 };
  const run = <A, R>(fn: (a: A) => Promise<R>, arg: A, info = {}) =>
    new MockActivityEnvironment(info).run(fn, arg);
  await run(acts.listUsersPage, { ...ref, nextUrl: null, filter: null });
  const last = { attempt: MAX_ATTEMPTS };
  for (const fn of [
    acts.fetchUserGroups,
    acts.fetchGroupRoles,
    acts.fetchUserFactors,
    acts.fetchUserRoles,
  ]) {
    await run(fn, { ...ref, maxAttempts: MAX_ATTEMPTS }, last);
  }
  const delivered = await run(acts.deliverPage, { ...ref, runNumber: 1 });
  expect(delivered).toMatchObject({ events: 4, skipped: 1, fallbacks: 1 });

  expect(metrics.calls.every((c) => c[1] === SYNC)).toBe(true);
  expect(metrics.total('usersListed')).toBe(5);
  expect(metrics.total('eventsDelivered')).toBe(4);
  expect(
    metrics.calls.filter((c) => c[0] === 'eventsDelivered').every((c) => c[2] === 'pieces'),
  ).toBe(true);
  expect(metrics.total('sinkRetried')).toBe(1);
  expect(metrics.total('usersSkipped')).toBe(1);
  expect(metrics.calls.filter((c) => c[0] === 'fellBack' && (c[3] as number) > 0)).toEqual([
    ['fellBack', SYNC, 'factors', 1],
  ]);

  // A retried delivery that resumes after 2 accepted events counts only the 2 it sends.
  const before = metrics.total('eventsDelivered');
  await run(
    acts.deliverPage,
    { ...ref, runNumber: 1 },
    {
      attempt: 2,
      heartbeatDetails: { syncId: SYNC, partId: 'page-000001', delivered: 2 },
    },
  );
  expect(metrics.total('eventsDelivered') - before).toBe(2);
});
