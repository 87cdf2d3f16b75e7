/**
 * The per-user enrichment of a staged page: one thing fetched per user (groups, factors, roles),
 * under the failure rules of `fetchEach`, keeping what was fetched in staging so a retry only
 * fetches the rest. A user Okta answers 404 for is listed in `notFound`; one whose fetch fell back
 * on the last attempt gets `fallback` and is listed in `fallbacks`.
 */
import { Context } from '@temporalio/activity';
import type { OktaUser } from '../okta/types';
import type { StagingStore } from '../sync/staging';
import type { EnrichInput, EnrichResult } from '../sync/types';
import { fetchEach } from './fetch-each';
import type { CallOptions, OktaSession } from './okta-session';
import { setResult, USERS, type StagedEnrichment } from './staged-page';

// Where it lived before staged-page.ts; changed-users.ts still imports it from here.
export { USERS } from './staged-page';

type FetchOne<T> = (userId: string, call: CallOptions) => Promise<T>;

export async function enrichPage<T>(
  staging: StagingStore,
  session: OktaSession,
  input: EnrichInput,
  name: string,
  fallback: T,
  fetchOne: FetchOne<T>,
): Promise<EnrichResult> {
  const { orgUrl, syncId, page } = input;
  const users = await staging.requirePage<OktaUser[]>(orgUrl, syncId, page, USERS);
  return enrichUsers(staging, session, input, name, fallback, users, fetchOne);
}

/** `enrichPage` for a caller that has already read the page's staged users. */
export async function enrichUsers<T>(
  staging: StagingStore,
  session: OktaSession,
  input: EnrichInput,
  name: string,
  fallback: T,
  users: OktaUser[],
  fetchOne: FetchOne<T>,
): Promise<EnrichResult> {
  const { orgUrl, syncId, page } = input;
  const staged: StagedEnrichment<T> = (await staging.readPage<StagedEnrichment<T>>(
    orgUrl,
    syncId,
    page,
    name,
  )) ?? { results: {}, fallbacks: [], notFound: [], apiCalls: 0, rateLimited: 0 };
  const gone = new Set(staged.notFound);
  let fallbacks = 0;
  await fetchEach({
    items: users.filter((u) => !Object.hasOwn(staged.results, u.id) && !gone.has(u.id)),
    lastAttempt: Context.current().info.attempt >= input.maxAttempts,
    fetchOne: async (u, call) => setResult(staged.results, u.id, await fetchOne(u.id, call)),
    onNotFound: (u) => {
      staged.notFound.push(u.id);
    },
    onFallback: (u) => {
      setResult(staged.results, u.id, fallback);
      staged.fallbacks.push(u.id);
      fallbacks += 1;
    },
    save: async () => {
      // Counted across attempts, so a failed attempt's calls are not lost from the totals.
      const used = session.counters();
      staged.apiCalls += used.apiCalls;
      staged.rateLimited += used.rateLimited;
      await staging.writePage(orgUrl, syncId, page, name, staged);
    },
  });
  return {
    apiCalls: staged.apiCalls,
    rateLimited: staged.rateLimited,
    fallbacks,
    notFound: staged.notFound.length,
  };
}
