/**
 * The activities of the sync: every read of Okta, the staging store, Temporal's visibility and
 * the sink happens here. Built by `createActivities` around their dependencies so the worker
 * owns the token and tests can swap the Okta session for a fake.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { setMaxListeners } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SyncMetrics } from '../metrics/connector-metrics';
import { mapUserToOcsf } from '../ocsf/map-user';
import type { UserInventoryInfo } from '../ocsf/types';
import { validateEvent } from '../ocsf/validate';
import {
  ENRICHMENT_KINDS,
  type EnrichmentKind,
  type OktaFactor,
  type OktaGroup,
  type OktaRole,
  type OktaUser,
} from '../okta/types';
import type { EventSink } from '../sinks/sink';
import { pagePartId } from '../sync/naming';
import { StagingMissingError, type StagingStore } from '../sync/staging';
import type {
  DeliverPageInput,
  DeliverPageResult,
  EnrichInput,
  EnrichResult,
  FinishSyncInput,
  GroupRolesResult,
  ListUsersPageInput,
  ListUsersPageResult,
} from '../sync/types';
import { changedUsersActivities } from './changed-users';
import { enrichPage, resultOf, USERS, type StagedEnrichment } from './enrich-page';
import { isNotFound, isTransient, toApplicationFailure, withFailureConversion } from './failures';
import type { CallOptions, OktaSession } from './okta-session';
import { GroupRolesCache } from './group-roles-cache';
import { withLivenessHeartbeat } from './liveness';
import { bulkActivities, membershipIndexDir } from './bulk-enrichment';
import { coordinationActivities } from './coordination';
import { ErrorType } from '../contract/error-table';

export interface ActivityDeps {
  /** Origin of the one Okta org this worker serves. */
  orgUrl: string;
  staging: StagingStore;
  sink: EventSink;
  /** A new session per activity execution, over the process-wide rate limiter. */
  oktaSession: () => OktaSession;
  /** Temporal client, to reach the org's coordinator workflow. */
  temporalClient: () => Promise<Client>;
  /** The worker's metrics (OKTA_OCSF_METRICS_ADDRESS); absent: nothing is recorded. */
  metrics?: SyncMetrics;
  /** Memberships buffered per sorted run of the membership index (bulk strategy). */
  indexRunPairs?: number;
}

const GROUPS = 'groups';
const FACTORS = 'factors';
const USER_ROLES = 'user_roles';
const GROUP_ROLES = 'group_roles';

interface StagedGroupRoles {
  /** Groups of this page whose roles fell back after exhausted retries. */
  fallbackGroups: string[];
  apiCalls: number;
  rateLimited: number;
}

export function createActivities(deps: ActivityDeps) {
  const groupRoles = new GroupRolesCache(deps.staging);

  function checkOrg(orgUrl: string): void {
    if (orgUrl !== deps.orgUrl) {
      // A worker must never answer for an org whose token it does not hold.
      throw ApplicationFailure.create({
        message: `this worker serves ${deps.orgUrl}, not ${orgUrl}: check OKTA_ORG_URL and TEMPORAL_TASK_QUEUE`,
        type: ErrorType.OrgMismatchError,
        nonRetryable: true,
      });
    }
  }

  function heartbeatingCall(): CallOptions {
    const ctx = Context.current();
    // Many concurrent requests of one activity listen on the same cancellation signal.
    setMaxListeners(0, ctx.cancellationSignal);
    return {
      signal: ctx.cancellationSignal,
      onWait: (ms, reason) => ctx.heartbeat({ waitingMs: ms, reason }),
    };
  }

  // Every activity heartbeats while it runs: what lets Temporal retry it soon after a crash; and
  // whatever it throws is converted by the error table, so no error retries unbounded.
  const heartbeatingAndConverted = <T extends object>(a: T): T =>
    withLivenessHeartbeat(withFailureConversion(a));
  return heartbeatingAndConverted({
    ...coordinationActivities(checkOrg, deps.temporalClient),
    // The System Log phase of incremental syncs (issue 12).
    ...changedUsersActivities({ staging: deps.staging, oktaSession: deps.oktaSession, checkOrg }),
    // The bulk enrichment of full syncs (issue 11).
    ...bulkActivities({
      staging: deps.staging,
      oktaSession: deps.oktaSession,
      checkOrg,
      runPairs: deps.indexRunPairs,
    }),

    async listUsersPage(input: ListUsersPageInput): Promise<ListUsersPageResult> {
      checkOrg(input.orgUrl);
      const session = deps.oktaSession();
      try {
        const page = await session.listUsersPage(
          { nextUrl: input.nextUrl, filter: input.filter },
          heartbeatingCall(),
        );
        await deps.staging.writePage(input.orgUrl, input.syncId, input.page, USERS, page.users);
        deps.metrics?.usersListed(input.syncId, page.users.length);
        return {
          ...session.counters(),
          users: page.users.length,
          nextUrl: page.nextUrl,
          serverDate: page.serverDate,
        };
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    async fetchUserGroups(input: EnrichInput): Promise<EnrichResult> {
      checkOrg(input.orgUrl);
      const s = deps.oktaSession();
      return enrichPage<OktaGroup[]>(deps.staging, s, input, GROUPS, [], (id, call) =>
        s.listUserGroups(id, call),
      );
    },

    async fetchUserFactors(input: EnrichInput): Promise<EnrichResult> {
      checkOrg(input.orgUrl);
      const s = deps.oktaSession();
      return enrichPage<OktaFactor[]>(deps.staging, s, input, FACTORS, [], (id, call) =>
        s.listUserFactors(id, call),
      );
    },

    async fetchUserRoles(input: EnrichInput): Promise<EnrichResult> {
      checkOrg(input.orgUrl);
      const s = deps.oktaSession();
      return enrichPage<OktaRole[]>(deps.staging, s, input, USER_ROLES, [], (id, call) =>
        s.listUserRoles(id, call),
      );
    },

    /**
     * Roles of the page's groups, fetched once per distinct group per sync: a group already
     * resolved by an earlier page (or by a concurrent one) is not asked for again.
     */
    async fetchGroupRoles(input: EnrichInput): Promise<GroupRolesResult> {
      checkOrg(input.orgUrl);
      const { orgUrl, syncId, page } = input;
      const ctx = Context.current();
      const groups = await deps.staging.requirePage<StagedEnrichment<OktaGroup[]>>(
        orgUrl,
        syncId,
        page,
        GROUPS,
      );
      const prior = (await deps.staging.readPage<StagedGroupRoles>(
        orgUrl,
        syncId,
        page,
        GROUP_ROLES,
      )) ?? { fallbackGroups: [], apiCalls: 0, rateLimited: 0 };
      const distinct = new Set<string>();
      for (const list of Object.values(groups.results)) for (const g of list) distinct.add(g.id);

      const session = deps.oktaSession();
      const lastAttempt = ctx.info.attempt >= input.maxAttempts;
      const call = heartbeatingCall();
      const fallbackGroups: string[] = [];
      let fetched = 0;
      let retryable: unknown = null;
      let fatal: unknown = null;
      let done = 0;
      try {
        await Promise.all(
          [...distinct].map(async (groupId) => {
            try {
              const r = await groupRoles.resolve(orgUrl, syncId, groupId, () =>
                session.listGroupRoles(groupId, call),
              );
              if (r.fetched) fetched += 1;
            } catch (err) {
              if (isNotFound(err)) {
                // The group was deleted mid-sync: it grants nothing any more.
                await groupRoles.store(orgUrl, syncId, groupId, []);
              } else if (isTransient(err) && lastAttempt) {
                fallbackGroups.push(groupId);
              } else if (isTransient(err)) {
                retryable ??= err;
              } else {
                fatal ??= err;
              }
            }
            done += 1;
            ctx.heartbeat({ done, of: distinct.size });
          }),
        );
      } finally {
        const used = session.counters();
        prior.apiCalls += used.apiCalls;
        prior.rateLimited += used.rateLimited;
        prior.fallbackGroups = fallbackGroups;
        await deps.staging.writePage(orgUrl, syncId, page, GROUP_ROLES, prior);
      }
      if (fatal !== null) throw toApplicationFailure(fatal);
      if (retryable !== null) throw toApplicationFailure(retryable);
      return {
        apiCalls: prior.apiCalls,
        rateLimited: prior.rateLimited,
        fallbacks: fallbackGroups.length,
        notFound: 0,
        fetched,
      };
    },

    /** Maps the page's users to OCSF, validates every event, and delivers them as one part. */
    async deliverPage(input: DeliverPageInput): Promise<DeliverPageResult> {
      checkOrg(input.orgUrl);
      const { orgUrl, syncId, page } = input;
      const read = <T>(name: string) => deps.staging.requirePage<T>(orgUrl, syncId, page, name);
      const users = await read<OktaUser[]>(USERS);
      const groups = await read<StagedEnrichment<OktaGroup[]>>(GROUPS);
      const factors = await read<StagedEnrichment<OktaFactor[]>>(FACTORS);
      const roles = await read<StagedEnrichment<OktaRole[]>>(USER_ROLES);
      const gr = await read<StagedGroupRoles>(GROUP_ROLES);
      const fallbackGroups = new Set(gr.fallbackGroups);
      const fell = {
        groups: new Set(groups.fallbacks),
        factors: new Set(factors.fallbacks),
        user_roles: new Set(roles.fallbacks),
      };
      const gone = new Set([...groups.notFound, ...factors.notFound, ...roles.notFound]);

      const result: DeliverPageResult = {
        events: 0,
        skipped: 0,
        skippedReasons: {},
        fallbacks: 0,
        fallbacksByKind: { groups: 0, group_roles: 0, factors: 0, user_roles: 0 },
        location: null,
      };
      const skip = (userId: string, reason: string): void => {
        result.skipped += 1;
        result.skippedReasons[reason] = (result.skippedReasons[reason] ?? 0) + 1;
        log.warn('user not emitted', { userId, reason });
      };

      const observedAtMs = Date.now();
      const events: UserInventoryInfo[] = [];
      for (const user of users) {
        if (gone.has(user.id)) {
          skip(user.id, 'deleted during sync');
          continue;
        }
        const userGroups = resultOf(groups.results, user.id) ?? [];
        const groupRolesById: Record<string, OktaRole[]> = {};
        let groupRolesFellBack = false;
        for (const g of userGroups) {
          if (fallbackGroups.has(g.id)) {
            groupRolesFellBack = true;
            groupRolesById[g.id] = [];
            continue;
          }
          const known = await groupRoles.get(orgUrl, syncId, g.id);
          if (known === undefined) {
            throw toApplicationFailure(
              new StagingMissingError(
                `roles of group ${g.id} are missing from staging for ${pagePartId(page)}`,
              ),
            );
          }
          groupRolesById[g.id] = known;
        }
        const enrichmentErrors: EnrichmentKind[] = [];
        if (fell.groups.has(user.id)) enrichmentErrors.push('groups');
        if (groupRolesFellBack) enrichmentErrors.push('group_roles');
        if (fell.factors.has(user.id)) enrichmentErrors.push('factors');
        if (fell.user_roles.has(user.id)) enrichmentErrors.push('user_roles');
        for (const kind of enrichmentErrors) result.fallbacksByKind[kind] += 1;
        result.fallbacks += enrichmentErrors.length;

        let event: UserInventoryInfo;
        try {
          event = mapUserToOcsf(
            {
              user,
              groups: userGroups,
              groupRoles: groupRolesById,
              factors: resultOf(factors.results, user.id) ?? [],
              roles: resultOf(roles.results, user.id) ?? [],
              enrichmentErrors,
            },
            { observedAtMs },
          );
        } catch (err) {
          // One unusable record never stops the sync; it is counted and logged instead.
          skip(user.id, `unmappable record: ${(err as Error).message}`);
          continue;
        }
        try {
          validateEvent(event);
        } catch (err) {
          // An invalid event is a bug in the mapping: fail loudly, never send it half-valid.
          throw toApplicationFailure(err);
        }
        events.push(event);
      }

      // The events are rebuilt from staging in the same order on every attempt (only `time`
      // differs), so "the first N were accepted" from an earlier attempt still holds.
      const ctx = Context.current();
      const partId = pagePartId(page);
      let progress = resumedDelivery(ctx.info.heartbeatDetails, syncId, partId);
      if (progress > 0) log.info('delivery resumes', { partId, alreadyDelivered: progress });
      // The checkpoint a retry resumes from; the liveness timer (liveness.ts) repeats it while
      // the sink waits for its receiver between two accepted batches.
      const beat = (): void => ctx.heartbeat({ syncId, partId, delivered: progress });
      // Events the sink accepted in this attempt, for the metrics (as they are accepted).
      let counted = progress;
      const countDelivered = (upTo: number): void => {
        deps.metrics?.eventsDelivered(syncId, deps.sink.kind, Math.max(0, upTo - counted));
        counted = Math.max(counted, upTo);
      };
      try {
        const delivered = await deps.sink.deliver(
          { syncId, partId, events },
          {
            alreadyDelivered: progress,
            onProgress: (n) => {
              progress = n;
              countDelivered(n);
              beat();
            },
            onRetry: () => deps.metrics?.sinkRetried(syncId, deps.sink.kind),
          },
        );
        countDelivered(delivered.delivered);
        result.events = delivered.delivered;
        // Operators want the sync's folder, not the page's file, in the summary.
        const loc = delivered.location ?? null;
        const partFile = `${pagePartId(page)}.ndjson`;
        result.location = loc !== null && loc.endsWith(partFile) ? path.dirname(loc) : loc;
      } catch (err) {
        // SinkTransientError is retried by Temporal (from `progress`); SinkRejectedError stops the sync.
        throw toApplicationFailure(err);
      }
      deps.metrics?.usersSkipped(syncId, result.skipped);
      for (const kind of ENRICHMENT_KINDS) {
        deps.metrics?.fellBack(syncId, kind, result.fallbacksByKind[kind]);
      }
      return result;
    },

    /** Drops the sync's staging; its events are delivered. */
    async finishSync(input: FinishSyncInput): Promise<void> {
      checkOrg(input.orgUrl);
      groupRoles.forget(input.orgUrl, input.syncId);
      await deps.staging.removeSync(input.orgUrl, input.syncId);
      await fs.rm(membershipIndexDir(deps.staging.root, input.orgUrl, input.syncId), {
        recursive: true,
        force: true,
      });
    },
  });
}

export type SyncActivities = ReturnType<typeof createActivities>;

/**
 * Events of this part accepted by an earlier attempt, from the heartbeat it left
 * (`{syncId, partId, delivered}`); 0 when there is none or it belongs to another part.
 */
export function resumedDelivery(details: unknown, syncId: string, partId: string): number {
  if (details === null || typeof details !== 'object') return 0;
  const d = details as Record<string, unknown>;
  const n = d.delivered;
  if (d.syncId !== syncId || d.partId !== partId) return 0;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}
