/**
 * Determinism as a check (issue 15): recorded histories of real syncs (test/fixtures/histories,
 * recorded on the dev server against the simulator: a full sync that continues as new, an
 * incremental, a failed one, the org's coordinator) replay through the current workflow code.
 * A change that would break the syncs running when it is deployed fails here, not in production.
 *
 * When a workflow change is deliberate, guard it with `patched()` so old histories still replay;
 * re-record only when no sync of the old code can still be running (see README, Development):
 *
 *   npm run build && RECORD_HISTORIES=1 npx jest test/integration/record-histories.test.ts
 *
 * No server needed: replay runs the workflow code against the history alone.
 */
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { COORDINATOR_WORKFLOW_TYPE, SYNC_WORKFLOW_TYPE } from '../../../src/contract';
import { installRuntime } from '../../../src/worker';
import { loadRecordedHistories, type RecordedHistory } from '../../support/recorded-histories';

jest.setTimeout(120_000);

async function replayAll(workflowsPath: string, histories: RecordedHistory[]) {
  const options: ReplayWorkerOptions = { workflowsPath };
  const results = [];
  for await (const r of Worker.runReplayHistories(options, histories)) results.push(r);
  return results;
}

function workflowTypeOf(h: RecordedHistory): string | null | undefined {
  return h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
}

describe('recorded histories', () => {
  const histories = loadRecordedHistories();
  beforeAll(() => installRuntime('ERROR'));

  test('cover a full sync that continued as new, its request, an incremental, a failed sync and the coordinator', () => {
    const ids = histories.map((h) => h.workflowId);
    expect(ids.filter((id) => id.startsWith('full.run')).length).toBeGreaterThan(1);
    expect(ids.some((id) => id.startsWith('request.run'))).toBe(true);
    expect(ids.some((id) => id.startsWith('incremental.run'))).toBe(true);
    expect(ids.some((id) => id.startsWith('failed.run'))).toBe(true);
    expect(ids.some((id) => id.startsWith('coordinator.run'))).toBe(true);
    const types = new Set(histories.map(workflowTypeOf));
    expect(types).toEqual(new Set([SYNC_WORKFLOW_TYPE, COORDINATOR_WORKFLOW_TYPE]));
    // The failed sync's last run really failed (not a history cut short).
    const failed = histories.filter((h) => h.workflowId.startsWith('failed.run')).at(-1)!;
    expect(failed.history.events?.at(-1)?.workflowExecutionFailedEventAttributes).toBeTruthy();
  });

  test('replay through the current workflow code without nondeterminism', async () => {
    const results = await replayAll(require.resolve('../../../src/workflows'), histories);
    expect(results.map((r) => [r.workflowId, r.error ? String(r.error) : null])).toEqual(
      histories.map((h) => [h.workflowId, null]),
    );
  });

  test('fail with DeterminismViolationError against a deliberately changed workflow', async () => {
    const results = await replayAll(
      require.resolve('../../support/workflows/nondeterministic'),
      histories,
    );
    expect(results).toHaveLength(histories.length);
    for (const r of results) {
      expect({ id: r.workflowId, error: r.error }).toEqual({
        id: r.workflowId,
        error: expect.any(DeterminismViolationError),
      });
    }
  });
});
