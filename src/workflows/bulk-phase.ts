/**
 * The bulk enrichment strategy's part of the sync workflow, kept apart from the page loop:
 * choosing the strategy, the phase that prepares a bulk sync (membership index and role assignees,
 * read at the same time, alongside the first pages), and which activities enrich a page.
 */
import {
  ActivityCancellationType,
  log,
  proxyActivities,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import { TRANSIENT_MAX_ATTEMPTS } from '../contract/activity-budget';
import type {
  EnrichmentChoice,
  EnrichmentState,
  EnrichmentStrategy,
  SyncRef,
} from '../sync/bulk-types';
import type { ActivityCounters, EnrichInput, EnrichResult, SyncMode } from '../sync/types';

/** auto: bulk for a full sync (every user), per-user for an incremental one (a few users). */
export function strategyOf(
  choice: EnrichmentChoice | undefined,
  mode: SyncMode,
): EnrichmentStrategy {
  if (choice === 'bulk' || choice === 'per-user') return choice;
  return mode === 'full' ? 'bulk' : 'per-user';
}

type Enrich = ActivityInterfaceFor<SyncActivities>;

export const PER_USER: EnrichmentState = {
  strategy: 'per-user',
  snapshotStart: null,
  rolesFrom: 'per-user',
  warning: null,
  index: null,
};

interface BulkPhaseOptions {
  nonRetryable: string[];
  heartbeatTimeout: string;
}

export function bulkPhase(opts: BulkPhaseOptions) {
  // An index of a large tenant takes hours of the groups bucket; the heartbeat (not this bound)
  // notices a dead worker, and the build resumes from its checkpoint.
  const prepare = proxyActivities<SyncActivities>({
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: opts.heartbeatTimeout,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      // The build checkpoints its progress in heartbeats, so attempts resume; still bounded: a
      // build that cannot finish in this many attempts fails the sync instead of retrying on.
      maximumAttempts: TRANSIENT_MAX_ATTEMPTS,
      nonRetryableErrorTypes: opts.nonRetryable,
    },
  });

  return {
    /** Decides the strategy; for bulk, builds the index and reads the role assignees. */
    async prepare(
      choice: EnrichmentChoice | undefined,
      mode: SyncMode,
      ref: SyncRef,
      addCounters: (c: ActivityCounters) => void,
    ): Promise<EnrichmentState> {
      if (strategyOf(choice, mode) === 'per-user') return PER_USER;
      const [index, assignees] = await Promise.all([
        prepare.buildMembershipIndex(ref),
        prepare.readRoleAssignees(ref),
      ]);
      addCounters(index);
      addCounters(assignees);
      let warning: string | null = null;
      if (!assignees.available) {
        warning = `GET /api/v1/iam/assignees/users was refused (${assignees.refusal ?? 'no reason given'}): user roles are read per user in this sync`;
        log.warn(warning, { syncId: ref.syncId });
      }
      return {
        strategy: 'bulk',
        snapshotStart: index.snapshotStart,
        rolesFrom: assignees.available ? 'assignees' : 'per-user',
        warning,
        index,
      };
    },
  };
}

/**
 * The sync's enrichment decision as its pages see it. A bulk sync's preparation reads the groups
 * family (the index) and the role assignees while the pages read factors, a budget of their own:
 * waiting for the index before the first page would leave that budget idle for the whole build
 * (hours on a large tenant). A page reads its factors at once and its groups and roles once the
 * decision is known.
 */
export class EnrichmentGate {
  private state: EnrichmentState | undefined;

  constructor(readonly decided: Promise<EnrichmentState>) {
    decided.then(
      (state) => {
        this.state = state;
      },
      () => undefined,
    );
  }

  static of(state: EnrichmentState): EnrichmentGate {
    const gate = new EnrichmentGate(Promise.resolve(state));
    gate.state = state;
    return gate;
  }

  /**
   * Runs `f` with the page's enrichment activities: at once when the decision is known (so a
   * page schedules its activities in the order it always did), else once it is.
   */
  withStrategy<T>(enrich: Enrich, f: (s: PageEnrichment) => Promise<T>): Promise<T> {
    const known = this.state;
    if (known !== undefined) return f(pageEnrichment(known, enrich));
    return this.decided.then((d) => f(pageEnrichment(d, enrich)));
  }

  /** Settled, whichever way: the preparation's activities are done. */
  settled(): Promise<void> {
    return this.decided.then(
      () => undefined,
      () => undefined,
    );
  }
}

/** The activities that read a page's groups and user roles under the sync's strategy. */
export interface PageEnrichment {
  userGroups: (input: EnrichInput) => Promise<EnrichResult>;
  userRoles: (input: EnrichInput) => Promise<EnrichResult>;
}

/** The activities that read a page's groups and user roles under the sync's strategy. */
export function pageEnrichment(state: EnrichmentState, enrich: Enrich): PageEnrichment {
  const snapshotStart = state.snapshotStart;
  if (state.strategy !== 'bulk' || snapshotStart === null) {
    return { userGroups: enrich.fetchUserGroups, userRoles: enrich.fetchUserRoles };
  }
  return {
    userGroups: (input) => enrich.fetchUserGroupsBulk({ ...input, snapshotStart }),
    userRoles:
      state.rolesFrom === 'assignees'
        ? (input) => enrich.fetchUserRolesBulk({ ...input, snapshotStart })
        : enrich.fetchUserRoles,
  };
}
