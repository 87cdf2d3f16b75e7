/**
 * Which rate-limit window the simulator counts a request in, under each bucket grouping.
 *
 * Okta does not document which bucket a user's `/groups`, `/factors` and `/roles` count against,
 * and its own sources disagree (/work/shared/spec/okta-api-facts.md, "Rate-limit buckets"), so the
 * simulator can count each way the client must cope with:
 *
 * - `buckets` — Okta's published table (`okta/buckets.ts`): they share the `/api/v1` catch-all;
 * - `per-template` — every endpoint template has a window of its own, with its bucket's limit
 *   (as if Okta counted `…/factors` apart from `…/roles`);
 * - `users-family` — Okta's Terraform provider's reading: everything at or below `/api/v1/users`
 *   (the listing, a user by id, a user's groups, factors and roles, any method) is ONE users
 *   bucket, with the list-users bucket's limit (Okta's Enterprise table gives `/api/v1/users`
 *   600 a minute); every other request is counted as under `buckets`.
 *
 * The `X-Rate-Limit-*` headers of a response are those of the window it was counted in, so under
 * `users-family` a factors call lowers the `Remaining` the next user listing sees.
 */
import { bucketFor, type BucketId } from '../okta/buckets';
import { endpointTemplate } from './stats';

export const BUCKET_GROUPINGS = ['buckets', 'per-template', 'users-family'] as const;
export type BucketGrouping = (typeof BUCKET_GROUPINGS)[number];

/** The window of the users bucket under `users-family` (not a bucket id: it spans several). */
export const USERS_FAMILY_WINDOW = 'users';

export interface CountingWindow {
  /** The bucket whose limit (`rateLimits`) the window has. */
  bucket: BucketId;
  /** Requests with the same key share one window: one Limit, Remaining and Reset. */
  key: string;
}

function isUnderUsers(pathname: string): boolean {
  const path = pathname.replace(/\/+$/, '');
  return path === '/api/v1/users' || path.startsWith('/api/v1/users/');
}

/** The window a request is counted in; `pathname` has no query string. */
export function countingWindow(
  grouping: BucketGrouping,
  method: string,
  pathname: string,
): CountingWindow {
  const bucket = bucketFor(method, pathname);
  switch (grouping) {
    case 'buckets':
      return { bucket, key: bucket };
    case 'per-template':
      return { bucket, key: endpointTemplate(method, pathname) };
    case 'users-family':
      return isUnderUsers(pathname)
        ? { bucket: 'users-list', key: USERS_FAMILY_WINDOW }
        : { bucket, key: bucket };
  }
}
