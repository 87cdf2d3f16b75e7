/**
 * Which failures make the workflow redo a page on another worker (src/workflows/page-placement.ts):
 * only those that say the page's worker, and so its staging, is gone. Any other failure keeps its
 * meaning (retried by its policy, or fatal) and must not be hidden by a redo.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';
import { isWorkerLost } from '../../../src/workflows/page-placement';

function activityFailure(cause: Error): ActivityFailure {
  return new ActivityFailure(
    'activity failed',
    'fetchUserGroups',
    '7',
    RetryState.NON_RETRYABLE_FAILURE,
    'worker-a',
    cause,
  );
}

describe('isWorkerLost', () => {
  test.each(['SCHEDULE_TO_START', 'HEARTBEAT'] as const)(
    'a %s timeout on the worker queue: the worker is gone',
    (timeoutType) => {
      const err = activityFailure(new TimeoutFailure('timed out', undefined, timeoutType));
      expect(isWorkerLost(err)).toBe(true);
    },
  );

  test('staging missing on the worker: its staging is gone', () => {
    const err = activityFailure(ApplicationFailure.create({ type: 'StagingMissingError' }));
    expect(isWorkerLost(err)).toBe(true);
  });

  test.each(['START_TO_CLOSE', 'SCHEDULE_TO_CLOSE'] as const)(
    'a %s timeout is a bound reached, not a lost worker',
    (timeoutType) => {
      const err = activityFailure(new TimeoutFailure('timed out', undefined, timeoutType));
      expect(isWorkerLost(err)).toBe(false);
    },
  );

  test.each(['OktaAuthError', 'StagingCorruptError', 'SinkRejectedError'])(
    '%s keeps its meaning',
    (type) => {
      expect(isWorkerLost(activityFailure(ApplicationFailure.create({ type })))).toBe(false);
    },
  );

  test('a failure that is no activity failure', () => {
    expect(isWorkerLost(new Error('boom'))).toBe(false);
    expect(isWorkerLost(ApplicationFailure.create({ type: 'StagingMissingError' }))).toBe(false);
  });
});
