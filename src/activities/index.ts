/**
 * The activities of the sync: every read of Okta, the staging store, Temporal's visibility and
 * the sink happens in them. Each is a plain function of the page pipeline (page-pipeline.ts) in
 * its family's module; `createActivities` binds them, under the names the workflows call (those
 * names are in recorded histories: never rename one), around the worker's dependencies so the
 * worker owns the token and tests can swap the Okta session for a fake.
 */
import { changedUsersActivities } from './changed-users';
import { coordinationActivities } from './coordination';
import { deliverPage } from './delivery';
import { fetchGroupRoles, fetchUserFactors, fetchUserGroups, fetchUserRoles } from './enrichment';
import {
  dropMembershipIndex,
  fetchUserGroupsBulk,
  fetchUserRolesBulk,
  readRoleAssignees,
} from './bulk-enrichment';
import { withFailureConversion } from './failures';
import { finishSync } from './housekeeping';
import { listUsersPage } from './listing';
import { withLivenessHeartbeat } from './liveness';
import { buildMembershipIndex } from './membership-index-build';
import { orgCheck, pagePipeline, type ActivityDeps, type PagePipeline } from './page-pipeline';

export type { ActivityDeps } from './page-pipeline';
export { resumedDelivery } from './delivery';

export function createActivities(deps: ActivityDeps) {
  const pipeline = pagePipeline(deps);
  const checkOrg = orgCheck(deps.orgUrl);
  // An activity of the pipeline, bound to it, refusing inputs of another org first.
  const bind =
    <I extends { orgUrl: string }, R>(activity: (p: PagePipeline, input: I) => Promise<R>) =>
    async (input: I): Promise<R> => {
      checkOrg(input.orgUrl);
      return activity(pipeline, input);
    };

  // Every activity heartbeats while it runs: what lets Temporal retry it soon after a crash; and
  // whatever it throws is converted by the error table, so no error retries unbounded.
  return withLivenessHeartbeat(
    withFailureConversion({
      ...coordinationActivities(checkOrg, deps.temporalClient),
      // The System Log phase of incremental syncs (issue 12).
      ...changedUsersActivities({ staging: deps.staging, oktaSession: deps.oktaSession, checkOrg }),
      listUsersPage: bind(listUsersPage),
      fetchUserGroups: bind(fetchUserGroups),
      fetchUserFactors: bind(fetchUserFactors),
      fetchUserRoles: bind(fetchUserRoles),
      fetchGroupRoles: bind(fetchGroupRoles),
      deliverPage: bind(deliverPage),
      finishSync: bind(finishSync),
      // The bulk enrichment of full syncs (issue 11).
      buildMembershipIndex: bind(buildMembershipIndex),
      readRoleAssignees: bind(readRoleAssignees),
      fetchUserGroupsBulk: bind(fetchUserGroupsBulk),
      fetchUserRolesBulk: bind(fetchUserRolesBulk),
      dropMembershipIndex: bind(dropMembershipIndex),
    }),
  );
}

export type SyncActivities = ReturnType<typeof createActivities>;
