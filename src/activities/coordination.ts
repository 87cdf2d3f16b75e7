/**
 * The activities through which a sync talks to its org's coordinator
 * (src/workflows/org-coordinator.ts). A workflow cannot signal-with-start another workflow, so
 * asking (which starts the coordinator if it is not running) is an activity; releasing too, for
 * the same reason. `isSyncRunning` is how the coordinator notices a holder that ended without
 * releasing: a describe, strongly consistent, unlike a visibility query.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import {
  COORDINATOR_WORKFLOW_TYPE,
  releaseSlotSignal,
  requestSlotSignal,
  type OrgCoordinatorWorkflow,
} from '../contract/temporal-contract';
import {
  coordinatorWorkflowId,
  type CoordinatorInput,
  type SlotRelease,
  type SyncSlotHolder,
} from '../sync/coordination';

export function coordinationActivities(
  checkOrg: (orgUrl: string) => void,
  temporalClient: () => Promise<Client>,
) {
  const signalCoordinator = async <A>(
    orgUrl: string,
    signal: SignalDefinition<[A]>,
    arg: A,
  ): Promise<void> => {
    checkOrg(orgUrl);
    const client = await temporalClient();
    const args: [CoordinatorInput] = [{ orgUrl }];
    // The coordinator runs where the syncs of this org run.
    const taskQueue = Context.current().info.taskQueue;
    await client.workflow.signalWithStart<OrgCoordinatorWorkflow, [A]>(COORDINATOR_WORKFLOW_TYPE, {
      workflowId: coordinatorWorkflowId(orgUrl, taskQueue),
      taskQueue,
      args,
      signal,
      signalArgs: [arg],
    });
  };
  return {
    /** Asks the coordinator for the org's sync slot; the answer comes back as a signal. */
    async requestSyncSlot(input: { orgUrl: string; holder: SyncSlotHolder }): Promise<void> {
      await signalCoordinator(input.orgUrl, requestSlotSignal, input.holder);
    },

    /** Gives the slot back, with the watermark when the sync completed. */
    async releaseSyncSlot(input: { orgUrl: string; release: SlotRelease }): Promise<void> {
      await signalCoordinator(input.orgUrl, releaseSlotSignal, input.release);
    },

    /** Whether this sync chain still runs (false when it ended or its execution was deleted). */
    async isSyncRunning(holder: SyncSlotHolder): Promise<boolean> {
      const client = await temporalClient();
      try {
        const d = await client.workflow.getHandle(holder.workflowId).describe();
        return (
          d.status.name === 'RUNNING' &&
          d.raw.workflowExecutionInfo?.firstRunId === holder.firstRunId
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
  };
}
