/**
 * The System Log phase of an incremental sync (issue 12): which users changed in ways their
 * `lastUpdated` does not show (group membership, admin roles, MFA factors, lock, lifecycle).
 * Staging is only this worker's cache (issue 13): everything an activity needs that is not on
 * this worker's disk, it derives again from its input (src/activities/changed-user-ids.ts).
 *
 * - `collectChangedUsers` reads the log between `since` and `until`, keeps the ids of the `User`
 *   targets, expands `group.privilege.*` events to the group's current members, and returns how
 *   many users were named (or that there are too many: the sync runs full). Any worker may run
 *   it; the one that did keeps the ids as a cache.
 * - `readChangedUsersPage` takes one hash bucket of those ids (read again from the log when this
 *   worker has no cache), reads each by id (`GET /api/v1/users/{id}`) and stages the users the
 *   `lastUpdated` listing does not cover (`coveredByListing`) as a page that the usual enrich →
 *   deliver activities then handle, on this same worker (page placement). A 404 is a user
 *   deleted since, counted, not emitted.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { setMaxListeners } from 'node:events';
import { describeOktaResponse } from '../okta/errors';
import type { OktaUser } from '../okta/types';
import type { StagingStore } from '../sync/staging';
import {
  changedUsersBucket,
  coveredByListing,
  type CollectChangedUsersInput,
  type CollectChangedUsersResult,
  type ReadChangedUsersPageInput,
  type ReadChangedUsersPageResult,
} from '../sync/system-log-phase';
import { NamedUsers, WindowReading } from './changed-user-ids';
import { USERS } from './enrich-page';
import { isNotFound, toApplicationFailure } from './failures';
import type { CallOptions, OktaSession } from './okta-session';
import { ErrorType } from '../contract/error-table';

export interface ChangedUsersDeps {
  staging: StagingStore;
  oktaSession: () => OktaSession;
  checkOrg: (orgUrl: string) => void;
}

/** Options of one Okta call: this activity's cancellation, and heartbeats while it waits. */
function call(): CallOptions {
  const ctx = Context.current();
  setMaxListeners(0, ctx.cancellationSignal);
  return {
    signal: ctx.cancellationSignal,
    onWait: (ms, reason) => ctx.heartbeat({ waitingMs: ms, reason }),
  };
}

export function changedUsersActivities(deps: ChangedUsersDeps) {
  const { staging } = deps;
  const named = new NamedUsers(staging);

  return {
    async collectChangedUsers(input: CollectChangedUsersInput): Promise<CollectChangedUsersResult> {
      deps.checkOrg(input.orgUrl);
      const reading = await WindowReading.resume(staging, deps.oktaSession(), input);
      const summary = () => ({
        users: reading.userCount,
        events: reading.events,
        groupsExpanded: reading.groupsExpanded,
        ...reading.counters(),
      });
      try {
        const outcome = await reading.collect(call, input.maxUsers);
        return outcome === 'too_many'
          ? { outcome: 'too_many', ...summary() }
          : { outcome: 'read', ...summary() };
      } catch (err) {
        await reading.save().catch(() => {});
        const reason = refusal(err);
        if (reason === null) throw toApplicationFailure(err);
        return unavailable(reason, input.required, reading.counters());
      }
    },

    async readChangedUsersPage(
      input: ReadChangedUsersPageInput,
    ): Promise<ReadChangedUsersPageResult> {
      deps.checkOrg(input.orgUrl);
      const { orgUrl, syncId } = input;
      const session = deps.oktaSession();
      try {
        const all = await named.of(input, session, call);
        const ids = all.filter((id) => changedUsersBucket(id, input.buckets) === input.bucket);
        // Sorted, so a retry stages the same page in the same order.
        const { found, deleted } = await readByIds(session, ids.sort());
        const fresh = found.filter(
          (u) => !coveredByListing(u.lastUpdated, input.previousWatermark),
        );
        await staging.writePage(orgUrl, syncId, input.page, USERS, fresh);
        return {
          ...session.counters(),
          users: fresh.length,
          both: found.length - fresh.length,
          deleted,
        };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}

/** Each id read by id, concurrently (the rate limiter sets the pace); 404s counted. */
async function readByIds(
  session: OktaSession,
  ids: string[],
): Promise<{ found: OktaUser[]; deleted: number }> {
  const ctx = Context.current();
  const c = call();
  const found = new Map<string, OktaUser>();
  let deleted = 0;
  let done = 0;
  await Promise.all(
    ids.map(async (id) => {
      try {
        found.set(id, await session.getUser(id, c));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        deleted += 1;
      }
      done += 1;
      ctx.heartbeat({ done, of: ids.length });
    }),
  );
  // In the order of `ids` (not the order of answers).
  return { found: ids.filter((id) => found.has(id)).map((id) => found.get(id)!), deleted };
}

/** A refused log: fatal when it is required, otherwise reported and the sync goes on. */
function unavailable(
  reason: string,
  required: boolean,
  counters: { apiCalls: number; rateLimited: number },
): CollectChangedUsersResult {
  if (required) {
    throw ApplicationFailure.create({
      message: `the System Log is required (OKTA_OCSF_SYSTEM_LOG=required) but Okta refused it: ${reason}`,
      type: ErrorType.SystemLogUnavailableError,
      nonRetryable: true,
    });
  }
  log.warn('Okta refused the System Log; this incremental sync relies on lastUpdated', { reason });
  return { outcome: 'unavailable', reason, events: 0, groupsExpanded: 0, ...counters };
}

/** Okta's reason when it refuses the log (403: the token's admin or scopes lack logs access). */
function refusal(err: unknown): string | null {
  if (!(err instanceof Error) || err.name !== ErrorType.OktaAuthError) return null;
  const e = err as Error & {
    status: number | null;
    errorCode: string | null;
    errorSummary: string | null;
    errorId: string | null;
    path: string;
    endpoint: string;
    challenge: { error: string | null; scope: string | null } | null;
  };
  if (e.status !== 403 || e.path !== '/api/v1/logs') return null;
  let reason = describeOktaResponse(e);
  if (e.challenge?.error) reason += `; ${e.challenge.error}`;
  if (e.challenge?.scope) reason += ` (scope ${e.challenge.scope})`;
  return `${reason || 'HTTP 403'} — the System Log needs okta.logs.read or a read-only admin's token`;
}
