/**
 * Issue 11: the benchmark's rate-limit bound counts the windows the simulator counted — buckets
 * under the `buckets` grouping, endpoint templates under `per-template` — and the per-user
 * endpoint family it bounds. Expected values are worked out by hand from the counters below.
 */
import type { PipelineResult } from '../../../bench/pipeline';
import { countedWindows, mostUsedPerUserEndpoint, templateBucket } from '../../../bench/scenarios';

function run(): PipelineResult {
  const simulator: Partial<PipelineResult['simulator']> = {
    rateLimitWindowMs: 1000,
    requests: 370,
    rateLimited: 10,
    byBucket: {
      'api-v1': { requests: 310, rateLimited: 10, accepted: 300, limit: 600, peakWindowUse: 0 },
      groups: { requests: 60, rateLimited: 0, accepted: 60, limit: 100, peakWindowUse: 0 },
    },
    byEndpoint: {
      'GET /api/v1/users/{id}/factors': 200,
      'GET /api/v1/users/{id}/roles': 110,
      'GET /api/v1/groups/{id}/users': 50,
      'GET /api/v1/groups': 10,
    },
  };
  return { simulator, sync: { users: 200 } } as unknown as PipelineResult;
}

describe('bench: counted windows', () => {
  it('maps a template to the bucket the simulator counts it in', () => {
    expect(templateBucket('GET /api/v1/users/{id}/factors')).toBe('api-v1');
    expect(templateBucket('GET /api/v1/groups/{id}/users')).toBe('groups');
    expect(templateBucket('GET /api/v1/users')).toBe('users-list');
  });

  it('counts per bucket under the buckets grouping', () => {
    const byKey = Object.fromEntries(countedWindows(run(), 'buckets').map((w) => [w.key, w]));
    expect(byKey['api-v1']).toMatchObject({ accepted: 300, limit: 600 });
    expect(byKey.groups).toMatchObject({ accepted: 60, limit: 100 });
    expect(Object.keys(byKey).sort()).toEqual(['api-v1', 'groups']);
  });

  it("counts per template under per-template, never crediting more than a template's requests less its bucket's 429s", () => {
    const byKey = Object.fromEntries(countedWindows(run(), 'per-template').map((w) => [w.key, w]));
    // The 10 api-v1 429s cannot be attributed to one template: each is charged all of them.
    expect(byKey['GET /api/v1/users/{id}/factors']).toMatchObject({ accepted: 190, limit: 600 });
    expect(byKey['GET /api/v1/users/{id}/roles']).toMatchObject({ accepted: 100, limit: 600 });
    expect(byKey['GET /api/v1/groups/{id}/users']).toMatchObject({ accepted: 50, limit: 100 });
    expect(byKey['GET /api/v1/groups']).toMatchObject({ accepted: 10, limit: 100 });
  });

  it('finds the most-used per-user endpoint family in calls per listed user', () => {
    expect(mostUsedPerUserEndpoint(run())).toEqual({
      template: 'GET /api/v1/users/{id}/factors',
      callsPerUser: 1,
    });
  });
});
