/**
 * A sync as `sync`, `resync`, a schedule or the Temporal UI starts it: a request to the org's
 * coordinator (src/workflows/org-coordinator.ts), which runs the sync as its own child workflow,
 * one at a time. This workflow asks, waits for the answer, and ends as the sync did: with the
 * child's result, failed with the child's failure, or `skipped` when the coordinator coalesced
 * it into a sync of the same mode. Workflow code.
 */
import {
  ApplicationFailure,
  condition,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../contract/error-table';
import { progressQuery, requestAnswerSignal, type SyncMemo } from '../contract/temporal-contract';
import type { RequestAnswer, SyncChild, SyncRequest } from '../sync/coordination';
import { makeSyncId } from '../sync/naming';
import { emptyTotals, type SyncInput, type SyncProgress, type SyncResult } from '../sync/types';
import { countSync } from './sync-metrics';

interface RequestActivities {
  requestSync(input: { orgUrl: string; request: SyncRequest }): Promise<void>;
}

type Outcome = Extract<RequestAnswer, { kind: 'refused' | 'completed' | 'failed' }>;

/**
 * Asked again while no answer came: every minute until the coordinator has taken the request,
 * then every 10 minutes (a coordinator terminated meanwhile, its child with it, gets the request
 * back and runs it; one that holds it ignores the repeat). A long sync costs a few events an hour.
 */
const ASK_AGAIN_UNTIL_TAKEN = '1 minute';
const ASK_AGAIN_WHILE_TAKEN = '10 minutes';

export async function requestSync(input: SyncInput, acts: RequestActivities): Promise<SyncResult> {
  const info = workflowInfo();
  const startedAt = new Date().toISOString();
  let taken = false;
  let child: SyncChild | null = null;
  let outcome: Outcome | null = null;
  setHandler(requestAnswerSignal, (a) => {
    if (a.kind === 'queued' || a.kind === 'started') {
      taken = true;
      if (a.kind === 'started') child = a.child;
    } else outcome ??= a;
  });
  setHandler(progressQuery, () => requestProgress(input, startedAt, child));

  // The child's input is this one: tuning only, no secret (the worker holds those).
  const childInput: SyncInput = { ...input };
  delete childInput.resume;
  delete childInput.previousWatermark;
  const request: SyncRequest = {
    workflowId: info.workflowId,
    firstRunId: info.firstExecutionRunId,
    mode: input.mode,
    input: childInput,
  };
  do await acts.requestSync({ orgUrl: input.orgUrl, request });
  while (
    !(await condition(
      () => outcome !== null,
      taken ? ASK_AGAIN_WHILE_TAKEN : ASK_AGAIN_UNTIL_TAKEN,
    ))
  );
  return endRequest(input, startedAt, outcome!);
}

function endRequest(input: SyncInput, startedAt: string, outcome: Outcome): SyncResult {
  if (outcome.kind === 'failed') {
    throw ApplicationFailure.nonRetryable(outcome.message, ErrorType.SyncFailed, outcome.progress);
  }
  if (outcome.kind === 'completed') {
    const r = outcome.result;
    // For operators browsing the Temporal UI and `status`: the request shows what its sync did.
    const memo: SyncMemo = { watermark: r.watermark, finishedAt: r.finishedAt, totals: r.totals };
    upsertMemo({ ...memo });
    return r;
  }
  countSync('skipped', input.orgUrl, input.mode);
  const info = workflowInfo();
  return {
    ...requestProgress(input, startedAt, null),
    status: 'skipped',
    syncId: makeSyncId(new Date(startedAt), input.mode, info.firstExecutionRunId),
    lastError: outcome.reason,
    finishedAt: new Date().toISOString(),
    watermark: null,
    location: null,
  };
}

/** A request's own progress: where it stands; the child's `progress` has the totals. */
function requestProgress(
  input: SyncInput,
  startedAt: string,
  child: SyncChild | null,
): SyncProgress {
  return {
    status: child ? 'running' : 'queued',
    syncId: '',
    orgUrl: input.orgUrl,
    mode: input.mode,
    effectiveMode: input.mode,
    runNumber: 0,
    startedAt,
    previousWatermark: null,
    pagesInFlight: 0,
    totals: emptyTotals(),
    systemLog: null,
    lastError: null,
    ...(child && { child }),
  };
}
