/**
 * Where a retried delivery resumes: only a heartbeat left by an earlier attempt of the same part
 * counts; anything else (no heartbeat, another part's, a malformed one) means from the start, so
 * a stale checkpoint can never make the connector skip events it did not deliver.
 */
import { resumedDelivery } from '../../../src/activities';

const SYNC = '20260101T000000Z-full-abc';
const PART = 'page-000003';

describe('resumedDelivery', () => {
  test('the count of a heartbeat of the same part', () => {
    expect(resumedDelivery({ syncId: SYNC, partId: PART, delivered: 150 }, SYNC, PART)).toBe(150);
  });

  test.each([
    ['no heartbeat', undefined],
    ['null', null],
    ['a number', 150],
    ['another part', { syncId: SYNC, partId: 'page-000004', delivered: 150 }],
    ['another sync', { syncId: 'other', partId: PART, delivered: 150 }],
    ['a liveness heartbeat of an enrichment', { waitingMs: 500, reason: 'window' }],
    ['a negative count', { syncId: SYNC, partId: PART, delivered: -1 }],
    ['a fraction', { syncId: SYNC, partId: PART, delivered: 1.5 }],
    ['a string', { syncId: SYNC, partId: PART, delivered: '150' }],
  ])('%s: from the start', (_what, details) => {
    expect(resumedDelivery(details, SYNC, PART)).toBe(0);
  });
});
