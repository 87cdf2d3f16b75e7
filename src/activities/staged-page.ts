/**
 * What a page's activities leave in staging for the next one: the names of the staged parts of a
 * page and their shapes. Listing writes `users`; the enrichments write `groups`, `factors`,
 * `user_roles` and `group_roles`; delivery reads them all.
 */

export const USERS = 'users';
export const GROUPS = 'groups';
export const FACTORS = 'factors';
export const USER_ROLES = 'user_roles';
export const GROUP_ROLES = 'group_roles';

export interface StagedEnrichment<T> {
  results: Record<string, T>;
  /** Users whose enrichment fell back to its default after exhausted retries. */
  fallbacks: string[];
  /** Users Okta answered 404 for: deleted during the sync. */
  notFound: string[];
  /** Requests and 429s of every attempt so far, so failed attempts are not lost from totals. */
  apiCalls: number;
  rateLimited: number;
}

export interface StagedGroupRoles {
  /** Groups of this page whose roles fell back after exhausted retries. */
  fallbackGroups: string[];
  apiCalls: number;
  rateLimited: number;
}

/**
 * `results` is keyed by Okta ids taken from responses: an id such as `constructor` or `__proto__`
 * must read and write the entry itself, never Object.prototype (which crashed deliverPage).
 */
export function resultOf<T>(results: Record<string, T>, id: string): T | undefined {
  return Object.hasOwn(results, id) ? results[id] : undefined;
}

export function setResult<T>(results: Record<string, T>, id: string, value: T): void {
  // Assignment creates an own property for every key but `__proto__`, Object.prototype's one
  // accessor; defining the property is several times slower, so only that key pays for it.
  if (id !== '__proto__') {
    results[id] = value;
    return;
  }
  Object.defineProperty(results, id, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
