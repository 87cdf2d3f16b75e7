/**
 * The activity through which a sync request reaches its org's coordinator
 * (src/workflows/org-coordinator.ts). A workflow cannot signal-with-start another workflow, so
 * asking (which starts the coordinator if it is not running) is an activity. Everything else
 * between them is workflow to workflow: the coordinator runs the sync as its child, gets the
 * child's result from Temporal, and signals the request back.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import {
  COORDINATOR_WORKFLOW_TYPE,
  requestSyncSignal,
  type OrgCoordinatorWorkflow,
} from '../contract/temporal-contract';
import {
  coordinatorWorkflowId,
  type CoordinatorInput,
  type SyncRequest,
} from '../sync/coordination';

export function coordinationActivities(
  checkOrg: (orgUrl: string) => void,
  temporalClient: () => Promise<Client>,
) {
  return {
    /** Asks the coordinator to run a sync; the answers come back as signals. */
    async requestSync(input: { orgUrl: string; request: SyncRequest }): Promise<void> {
      checkOrg(input.orgUrl);
      const client = await temporalClient();
      const args: [CoordinatorInput] = [{ orgUrl: input.orgUrl }];
      // The coordinator runs where the syncs of this org run.
      const taskQueue = Context.current().info.taskQueue;
      await client.workflow.signalWithStart<OrgCoordinatorWorkflow, [SyncRequest]>(
        COORDINATOR_WORKFLOW_TYPE,
        {
          workflowId: coordinatorWorkflowId(input.orgUrl, taskQueue),
          taskQueue,
          args,
          signal: requestSyncSignal,
          signalArgs: [input.request],
        },
      );
    },
  };
}
