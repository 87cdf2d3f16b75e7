/**
 * The OAuth scope each Management API endpoint requires (Okta API facts, "Scopes per endpoint"),
 * as a table of path patterns: endpoints added to the simulator later get their scope from here
 * without touching the server. The first matching row wins, so specific rows come first.
 */

export interface EndpointScope {
  pattern: RegExp;
  scope: string;
}

export const ENDPOINT_SCOPES: readonly EndpointScope[] = [
  // Roles: a user's and a group's role assignments, and the IAM role APIs (assignees included).
  { pattern: /^\/api\/v1\/users\/[^/]+\/roles(\/|$)/, scope: 'okta.roles.read' },
  { pattern: /^\/api\/v1\/groups\/[^/]+\/roles(\/|$)/, scope: 'okta.roles.read' },
  { pattern: /^\/api\/v1\/iam(\/|$)/, scope: 'okta.roles.read' },
  // Factors and a user's groups are covered by the users scope.
  { pattern: /^\/api\/v1\/users\/[^/]+\/factors(\/|$)/, scope: 'okta.users.read' },
  { pattern: /^\/api\/v1\/users(\/|$)/, scope: 'okta.users.read' },
  // Groups and their members.
  { pattern: /^\/api\/v1\/groups(\/|$)/, scope: 'okta.groups.read' },
  { pattern: /^\/api\/v1\/logs(\/|$)/, scope: 'okta.logs.read' },
];

/**
 * The scope a request needs, or null for a path outside the table (answered 404 by the router).
 * Reads need `.read`; anything else would need the resource's `.manage` scope.
 */
export function requiredScope(method: string, path: string): string | null {
  const row = ENDPOINT_SCOPES.find((r) => r.pattern.test(path));
  if (row === undefined) return null;
  return method === 'GET' || method === 'HEAD'
    ? row.scope
    : row.scope.replace(/\.read$/, '.manage');
}
