/**
 * Sessions over the worker's one Okta client: one client, one rate limiter and one OAuth token
 * source (when configured) per process (so throttling holds across every concurrent activity, and
 * every activity shares one access token), and per-session counters so each activity reports its
 * own API calls and 429s.
 */
import type { OktaConfig } from '../config';
import { authorizerFor } from '../okta/auth';
import { OktaClient, newCallCounters, type CallOptions as ClientCallOptions } from '../okta/client';
import type { OktaObserver } from '../okta/observer';
import { RateLimiter } from '../okta/rate-limiter';
import type { CallOptions, OktaSession } from './okta-session';

export function oktaSessionFactory(config: OktaConfig, observer?: OktaObserver): () => OktaSession {
  const limiter = new RateLimiter({
    share: config.rateLimitShare,
    maxInFlight: config.maxConcurrency,
  });
  const client = new OktaClient({
    orgUrl: config.orgUrl,
    authorizer: authorizerFor(config.orgUrl, config.credentials, config.requestTimeoutMs),
    limiter,
    timeoutMs: config.requestTimeoutMs,
    observer,
  });
  return () => sessionOver(client);
}

export function sessionOver(client: OktaClient): OktaSession {
  const counters = newCallCounters();
  const opts = (call: CallOptions = {}): ClientCallOptions => ({
    signal: call.signal,
    onWait: call.onWait,
    counters,
  });
  return {
    listUsersPage: (p, call) =>
      client.listUsersPage({ nextUrl: p.nextUrl, filter: p.filter ?? undefined }, opts(call)),
    listUserGroups: (id, call) => client.listUserGroups(id, opts(call)),
    listGroupRoles: (id, call) => client.listGroupRoles(id, opts(call)),
    listUserFactors: (id, call) => client.listUserFactors(id, opts(call)),
    listUserRoles: (id, call) => client.listUserRoles(id, opts(call)),
    getUser: (id, call) => client.getUser(id, opts(call)),
    listGroupMembers: (id, call) => client.listGroupMembers(id, opts(call)),
    listSystemLogPage: (p, call) => client.listSystemLogPage(p, opts(call)),
    listGroupsPage: (next, call) => client.listGroupsPage(next, opts(call)),
    listGroupMembersPage: (id, next, call) => client.listGroupMembersPage(id, next, opts(call)),
    listRoleAssignees: (call) => client.listRoleAssignees(opts(call)),
    counters: () => ({ apiCalls: counters.requests, rateLimited: counters.rateLimited }),
  };
}
