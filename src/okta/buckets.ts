/**
 * Okta's rate-limit buckets for the endpoints this connector calls.
 *
 * Okta counts requests per bucket, and a bucket is a family of endpoints, not one URL (Okta's
 * "Management rate limits" page). The client must throttle at the same granularity as Okta
 * counts, or it would believe it has more budget than it has; the simulator counts the same way.
 *
 * - `GET /api/v1/users` (list users) has a bucket of its own;
 * - `/api/v1/users/{id}` (exactly) has its own;
 * - `/api/v1/groups` and everything below it except `/api/v1/groups/{id}` exactly share one —
 *   so `/api/v1/groups/{id}/roles` is counted there;
 * - `/api/v1/groups/{id}` (exactly) has its own;
 * - `/api/v1/logs` (the System Log) has its own, and a small one (Okta publishes 50–120 a minute):
 *   throttled apart, so reading the log never waits on, nor starves, the rest of the budget;
 * - everything else under `/api/v1` — including `/api/v1/users/{id}/groups`, `/factors` and
 *   `/roles` — falls into Okta's "most other API actions" bucket.
 */

export type BucketId =
  'users-list' | 'user-by-id' | 'groups' | 'group-by-id' | 'system-log' | 'api-v1' | 'other';

export const BUCKET_IDS: readonly BucketId[] = [
  'users-list',
  'user-by-id',
  'groups',
  'group-by-id',
  'system-log',
  'api-v1',
  'other',
];

/** The bucket Okta counts a request against; `pathname` has no query string. */
export function bucketFor(method: string, pathname: string): BucketId {
  const path = pathname.replace(/\/+$/, '');
  const m = method.toUpperCase();
  if (path === '/api/v1/users') return m === 'GET' || m === 'POST' ? 'users-list' : 'api-v1';
  if (/^\/api\/v1\/users\/[^/]+$/.test(path)) return 'user-by-id';
  if (/^\/api\/v1\/groups\/[^/]+$/.test(path)) return 'group-by-id';
  if (path === '/api/v1/groups' || path.startsWith('/api/v1/groups/')) return 'groups';
  if (path === '/api/v1/logs') return 'system-log';
  if (path.startsWith('/api/v1/')) return 'api-v1';
  return 'other';
}
