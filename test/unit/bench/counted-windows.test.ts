/**
 * Issue 11: the benchmark's rate-limit bound counts the windows the simulator counted — buckets
 * under the `buckets` grouping, endpoint templates under `per-template`, the users bucket and the
 * other buckets under `users-family` — and the per-user endpoint family it bounds. Expected values are worked out by hand from the counters below.
 */
import type { PipelineResult } from '../../../bench/pipeline';
import {
  countedWindows,
  mostUsedPerUserEndpoint,
  templateBucket,
  templateWindow,
} from '../../../bench/scenarios';

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

  describe('users-family', () => {
    // A run with the listing and the role-assignee listing: 429s in users-list (2) and api-v1 (10).
    function familyRun(): PipelineResult {
      const r = run();
      r.simulator.byBucket = {
        'users-list': { requests: 30, rateLimited: 2, accepted: 28, limit: 600, peakWindowUse: 0 },
        'api-v1': { requests: 340, rateLimited: 10, accepted: 330, limit: 1200, peakWindowUse: 0 },
        groups: { requests: 60, rateLimited: 0, accepted: 60, limit: 100, peakWindowUse: 0 },
      };
      r.simulator.byEndpoint = {
        ...r.simulator.byEndpoint,
        'GET /api/v1/users': 30,
        'GET /api/v1/iam/assignees/users': 30,
      };
      return r;
    }

    it('maps everything under /api/v1/users to the users window, with the listing’s limit', () => {
      for (const t of [
        'GET /api/v1/users',
        'GET /api/v1/users/{id}',
        'GET /api/v1/users/{id}/groups',
        'GET /api/v1/users/{id}/factors',
        'GET /api/v1/users/{id}/roles',
      ]) {
        expect([t, templateWindow(t, 'users-family')]).toEqual([
          t,
          { bucket: 'users-list', key: 'users' },
        ]);
      }
      expect(templateWindow('GET /api/v1/iam/assignees/users', 'users-family')).toEqual({
        bucket: 'api-v1',
        key: 'api-v1',
      });
      expect(templateWindow('GET /api/v1/groups/{id}/roles', 'users-family')).toEqual({
        bucket: 'groups',
        key: 'groups',
      });
      // Under `buckets` the same factors call is the catch-all's.
      expect(templateWindow('GET /api/v1/users/{id}/factors', 'buckets')).toEqual({
        bucket: 'api-v1',
        key: 'api-v1',
      });
    });

    it("counts the listing, factors and roles in one window, less the 429s of every bucket they're published in", () => {
      const byKey = Object.fromEntries(
        countedWindows(familyRun(), 'users-family').map((w) => [w.key, w]),
      );
      // 30 listing + 200 factors + 110 roles, less users-list's 2 and api-v1's 10 429s.
      expect(byKey.users).toMatchObject({ bucket: 'users-list', accepted: 328, limit: 600 });
      // Only the role-assignee listing is left in the catch-all; charged all of api-v1's 429s.
      expect(byKey['api-v1']).toMatchObject({ accepted: 20, limit: 1200 });
      expect(byKey.groups).toMatchObject({ accepted: 60, limit: 100 });
      expect(Object.keys(byKey).sort()).toEqual(['api-v1', 'groups', 'users']);
      // The same run under `buckets`: exact per bucket.
      const buckets = Object.fromEntries(
        countedWindows(familyRun(), 'buckets').map((w) => [w.key, w.accepted]),
      );
      expect(buckets).toEqual({ 'users-list': 28, 'api-v1': 330, groups: 60 });
    });
  });

  it('finds the most-used per-user endpoint family in calls per listed user', () => {
    expect(mostUsedPerUserEndpoint(run())).toEqual({
      template: 'GET /api/v1/users/{id}/factors',
      callsPerUser: 1,
    });
  });
});
