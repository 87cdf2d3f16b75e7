/**
 * The System Log phase of an incremental sync (issue 12): which users changed in ways their
 * `lastUpdated` does not show (group membership, admin roles, MFA factors, lock, lifecycle).
 *
 * - `collectChangedUsers` reads the log between `since` and `until`, keeps the ids of the `User`
 *   targets, expands `group.privilege.*` events to the group's current members, and stages the
 *   distinct ids (page 0 of the sync's staging holds sync-level data). Progress is staged after
 *   every log page, so a retry resumes from the next link instead of reading the log again.
 * - `planChangedUsers` (after the `lastUpdated` listing) drops the ids the listing already
 *   emitted, so each user is delivered once, and stages the rest.
 * - `readChangedUsersPage` reads one slice of those ids by id (`GET /api/v1/users/{id}`) into a
 *   staged page that the usual enrich → deliver activities then handle; a 404 is a user deleted
 *   since, counted, not emitted.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { setMaxListeners } from 'node:events';
import { describeOktaResponse } from '../okta/errors';
import { eventTypeFilter, namedBy } from '../okta/system-log';
import type { OktaUser } from '../okta/types';
import type { StagingStore } from '../sync/staging';
import type {
  CollectChangedUsersInput,
  CollectChangedUsersResult,
  PlanChangedUsersInput,
  PlanChangedUsersResult,
  ReadChangedUsersPageInput,
  ReadChangedUsersPageResult,
} from '../sync/system-log-phase';
import { USERS } from './enrich-page';
import { isNotFound, toApplicationFailure } from './failures';
import type { CallOptions, OktaSession } from './okta-session';
import { ErrorType } from '../contract/error-table';

/** Staging page of sync-level data (listed pages start at 1). */
const SYNC_LEVEL_PAGE = 0;
const COLLECTED = 'changed-users';
const TO_READ = 'changed-users-to-read';
const DELETED = 'deleted';

interface CollectProgress {
  since: string;
  until: string;
  /** The next link to follow; null before the first page. */
  nextUrl: string | null;
  done: boolean;
  events: number;
  userIds: string[];
  groupIds: string[];
  groupsExpanded: string[];
  apiCalls: number;
  rateLimited: number;
}

export interface ChangedUsersDeps {
  staging: StagingStore;
  oktaSession: () => OktaSession;
  checkOrg: (orgUrl: string) => void;
}

export function changedUsersActivities(deps: ChangedUsersDeps) {
  const { staging } = deps;

  function call(): CallOptions {
    const ctx = Context.current();
    setMaxListeners(0, ctx.cancellationSignal);
    return {
      signal: ctx.cancellationSignal,
      onWait: (ms, reason) => ctx.heartbeat({ waitingMs: ms, reason }),
    };
  }

  return {
    async collectChangedUsers(input: CollectChangedUsersInput): Promise<CollectChangedUsersResult> {
      deps.checkOrg(input.orgUrl);
      const { orgUrl, syncId } = input;
      const ctx = Context.current();
      const staged = await staging.readPage<CollectProgress>(
        orgUrl,
        syncId,
        SYNC_LEVEL_PAGE,
        COLLECTED,
      );
      const p: CollectProgress =
        staged && staged.since === input.since && staged.until === input.until
          ? staged
          : {
              since: input.since,
              until: input.until,
              nextUrl: null,
              done: false,
              events: 0,
              userIds: [],
              groupIds: [],
              groupsExpanded: [],
              apiCalls: 0,
              rateLimited: 0,
            };
      const users = new Set(p.userIds);
      const groups = new Set(p.groupIds);
      const session = deps.oktaSession();
      const save = async (): Promise<void> => {
        const used = session.counters();
        await staging.writePage(orgUrl, syncId, SYNC_LEVEL_PAGE, COLLECTED, {
          ...p,
          userIds: [...users],
          groupIds: [...groups],
          apiCalls: p.apiCalls + used.apiCalls,
          rateLimited: p.rateLimited + used.rateLimited,
        });
      };
      const counters = () => {
        const used = session.counters();
        return {
          apiCalls: p.apiCalls + used.apiCalls,
          rateLimited: p.rateLimited + used.rateLimited,
        };
      };
      const tooMany = (): CollectChangedUsersResult => ({
        outcome: 'too_many',
        users: users.size,
        events: p.events,
        groupsExpanded: p.groupsExpanded.length,
        ...counters(),
      });

      try {
        const filter = eventTypeFilter();
        while (!p.done) {
          const page = await session.listSystemLogPage(
            { nextUrl: p.nextUrl, since: p.since, until: p.until, filter },
            call(),
          );
          for (const event of page.events) {
            const named = namedBy(event);
            for (const id of named.userIds) users.add(id);
            for (const id of named.groupIds) groups.add(id);
          }
          p.events += page.events.length;
          p.nextUrl = page.nextUrl;
          p.done = page.nextUrl === null;
          await save();
          ctx.heartbeat({ events: p.events, users: users.size, groups: groups.size });
          if (users.size > input.maxUsers) return tooMany();
        }
        for (const groupId of groups) {
          if (p.groupsExpanded.includes(groupId)) continue;
          try {
            for (const member of await session.listGroupMembers(groupId, call())) {
              users.add(member.id);
            }
          } catch (err) {
            // A group deleted since its privilege changed has no members left to update.
            if (!isNotFound(err)) throw err;
          }
          p.groupsExpanded.push(groupId);
          await save();
          if (users.size > input.maxUsers) return tooMany();
        }
      } catch (err) {
        await save().catch(() => {});
        const reason = refusal(err);
        if (reason !== null) {
          if (input.required) {
            throw ApplicationFailure.create({
              message: `the System Log is required (OKTA_OCSF_SYSTEM_LOG=required) but Okta refused it: ${reason}`,
              type: ErrorType.SystemLogUnavailableError,
              nonRetryable: true,
            });
          }
          log.warn('Okta refused the System Log; this incremental sync relies on lastUpdated', {
            reason,
          });
          return {
            outcome: 'unavailable',
            reason,
            events: 0,
            groupsExpanded: 0,
            ...counters(),
          };
        }
        throw toApplicationFailure(err);
      }
      return {
        outcome: 'read',
        users: users.size,
        events: p.events,
        groupsExpanded: p.groupsExpanded.length,
        ...counters(),
      };
    },

    async planChangedUsers(input: PlanChangedUsersInput): Promise<PlanChangedUsersResult> {
      deps.checkOrg(input.orgUrl);
      const { orgUrl, syncId } = input;
      const collected = await staging.requirePage<CollectProgress>(
        orgUrl,
        syncId,
        SYNC_LEVEL_PAGE,
        COLLECTED,
      );
      const listed = new Set<string>();
      for (let page = 1; page <= input.listedPages; page++) {
        const users = await staging.readPage<OktaUser[]>(orgUrl, syncId, page, USERS);
        for (const u of users ?? []) listed.add(u.id);
      }
      const toRead = collected.userIds.filter((id) => !listed.has(id)).sort();
      await staging.writePage(orgUrl, syncId, SYNC_LEVEL_PAGE, TO_READ, toRead);
      return {
        both: collected.userIds.length - toRead.length,
        toRead: toRead.length,
        pages: Math.ceil(toRead.length / input.pageSize),
      };
    },

    async readChangedUsersPage(
      input: ReadChangedUsersPageInput,
    ): Promise<ReadChangedUsersPageResult> {
      deps.checkOrg(input.orgUrl);
      const { orgUrl, syncId } = input;
      const ctx = Context.current();
      const all = await staging.requirePage<string[]>(orgUrl, syncId, SYNC_LEVEL_PAGE, TO_READ);
      const ids = all.slice(input.index * input.pageSize, (input.index + 1) * input.pageSize);
      const session = deps.oktaSession();
      const c = call();
      const found = new Map<string, OktaUser>();
      const deleted: string[] = [];
      let done = 0;
      try {
        await Promise.all(
          ids.map(async (id) => {
            try {
              found.set(id, await session.getUser(id, c));
            } catch (err) {
              if (!isNotFound(err)) throw err;
              deleted.push(id);
            }
            done += 1;
            ctx.heartbeat({ done, of: ids.length });
          }),
        );
      } catch (err) {
        throw toApplicationFailure(err);
      }
      // In the staged order (not the order of answers), so a retry stages the same page.
      const users = ids.filter((id) => found.has(id)).map((id) => found.get(id)!);
      await staging.writePage(orgUrl, syncId, input.page, USERS, users);
      await staging.writePage(orgUrl, syncId, input.page, DELETED, deleted.sort());
      return { ...session.counters(), users: users.length, deleted: deleted.length };
    },
  };
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
