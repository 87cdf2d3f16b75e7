/**
 * The error table (src/contract/error-table.ts) is the one place that decides retryability: the
 * error types the code really throws are all in it, the Okta client's `retryable` flags and the
 * activities' failure conversion agree with it, and an unknown error gets a bounded number of
 * attempts.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toApplicationFailure, withFailureConversion } from '../../../src/activities/failures';
import {
  BOUNDED_ATTEMPTS,
  ERROR_TABLE,
  NON_RETRYABLE_ERROR_TYPES,
  retryabilityOf,
} from '../../../src/contract/error-table';
import { OcsfValidationError } from '../../../src/ocsf/validate';
import {
  OktaAbortedError,
  OktaAuthError,
  OktaBadRequestError,
  OktaNotFoundError,
  OktaRateLimitedError,
  OktaTransientError,
  OktaUnexpectedResponseError,
  OktaUnsafeLinkError,
  type OktaApiError,
} from '../../../src/okta/errors';
import { SinkRejectedError, SinkTransientError } from '../../../src/sinks/sink';
import {
  StagingCorruptError,
  StagingMissingError,
  StagingStore,
  StagingUnsafeIdError,
} from '../../../src/sync/staging';

const ctx = { endpoint: 'GET /api/v1/users', path: '/api/v1/users', status: 500 };

/** One instance of every Okta error class, with what retrying it should do (Okta API facts). */
const oktaErrors: [OktaApiError, boolean][] = [
  [
    new OktaRateLimitedError({ ...ctx, resetAtMs: 0, concurrency: false, bucket: 'users-list' }),
    true,
  ],
  [new OktaTransientError({ ...ctx, reason: 'server_error' }), true],
  [new OktaAuthError({ ...ctx, status: 401 }), false],
  [new OktaNotFoundError({ ...ctx, status: 404 }), false],
  [new OktaBadRequestError({ ...ctx, status: 400 }), false],
  [new OktaUnexpectedResponseError({ ...ctx, status: 409, detail: 'conflict' }), false],
  [new OktaUnsafeLinkError({ ...ctx, detail: 'other origin' }), false],
  [new OktaAbortedError({ ...ctx, reason: 'x' }), false],
];

const otherErrors: [Error, 'transient' | 'fatal' | 'bounded'][] = [
  [new SinkTransientError('503'), 'transient'],
  [new SinkRejectedError('401'), 'fatal'],
  [new OcsfValidationError('u1', []), 'fatal'],
  [new StagingCorruptError('bad json'), 'fatal'],
  [new StagingMissingError('gone'), 'bounded'],
  [new StagingUnsafeIdError('invalid group id: ../x'), 'transient'],
];

describe('error table', () => {
  test.each(oktaErrors)('%p: its retryable flag is what the table says', (err, transient) => {
    expect(Object.hasOwn(ERROR_TABLE, err.name)).toBe(true);
    expect(err.retryable).toBe(transient);
    expect(retryabilityOf(err.name)).toBe(transient ? 'transient' : 'fatal');
  });

  test.each(otherErrors)('%p is in the table as %s', (err, expected) => {
    expect(Object.hasOwn(ERROR_TABLE, err.name)).toBe(true);
    expect(retryabilityOf(err.name)).toBe(expected);
  });

  test("the workflow's non-retryable types are exactly the fatal ones", () => {
    for (const [err, transient] of oktaErrors) {
      expect(NON_RETRYABLE_ERROR_TYPES.includes(err.name)).toBe(!transient);
    }
    for (const [err, r] of otherErrors) {
      expect(NON_RETRYABLE_ERROR_TYPES.includes(err.name)).toBe(r === 'fatal');
    }
    expect(NON_RETRYABLE_ERROR_TYPES).toEqual(
      expect.arrayContaining(['OrgMismatchError', 'InvalidSyncInput']),
    );
  });

  test('an unknown type is bounded, and never inherits from Object.prototype', () => {
    expect(retryabilityOf('TypeError')).toBe('bounded');
    expect(retryabilityOf('constructor')).toBe('bounded');
    expect(retryabilityOf('toString')).toBe('bounded');
  });
});

describe('toApplicationFailure reads the table', () => {
  const convert = (err: unknown, attempt: number): Promise<ApplicationFailure> =>
    new MockActivityEnvironment({ attempt }).run(async () => {
      const f = toApplicationFailure(err);
      if (!(f instanceof ApplicationFailure)) throw new Error('not an ApplicationFailure');
      return f;
    });

  test('a fatal error is non-retryable on its first attempt', async () => {
    const f = await convert(new OktaAuthError({ ...ctx, status: 401 }), 1);
    expect(f.type).toBe('OktaAuthError');
    expect(f.nonRetryable).toBe(true);
  });

  test('a transient error stays retryable on any attempt, at the rate-limit reset', async () => {
    const resetAtMs = Date.now() + 5_000;
    const err = new OktaRateLimitedError({
      ...ctx,
      resetAtMs,
      concurrency: false,
      bucket: 'users-list',
    });
    const f = await convert(err, 50);
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBeGreaterThanOrEqual(4_000);
  });

  test(`an unknown error is retried until attempt ${BOUNDED_ATTEMPTS}, then given up`, async () => {
    for (let attempt = 1; attempt < BOUNDED_ATTEMPTS; attempt++) {
      const f = await convert(new TypeError('x is undefined'), attempt);
      expect(f.type).toBe('TypeError');
      expect(f.nonRetryable).toBe(false);
    }
    const last = await convert(new TypeError('x is undefined'), BOUNDED_ATTEMPTS);
    expect(last.nonRetryable).toBe(true);
    expect(last.message).toContain('x is undefined');
    expect(last.message).toContain(`attempt ${BOUNDED_ATTEMPTS} of ${BOUNDED_ATTEMPTS}`);
  });

  test('withFailureConversion converts whatever an activity throws', async () => {
    const acts = withFailureConversion({
      async broken(): Promise<void> {
        throw new RangeError('bug');
      },
    });
    const err: unknown = await new MockActivityEnvironment({ attempt: BOUNDED_ATTEMPTS })
      .run(acts.broken)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('RangeError');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
  });
});

describe('staging', () => {
  test('a staged file that does not parse is a StagingCorruptError naming the file', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'okta-ocsf-corrupt-'));
    const store = new StagingStore(root);
    const org = 'https://acme.okta.com';
    await store.writePage(org, 'sync1', 1, 'users', [{ id: 'u1' }]);
    const [orgDir] = await fs.readdir(root);
    const file = path.join(root, orgDir!, 'sync1', 'page-000001', 'users.json');
    await fs.writeFile(file, '[{"id": "u1"');
    const err: unknown = await store.readPage(org, 'sync1', 1, 'users').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StagingCorruptError);
    expect((err as Error).message).toContain(file);
    await fs.rm(root, { recursive: true, force: true });
  });
});
