/**
 * The rate limiter's key for a request: its endpoint template (`GET /api/v1/users/{id}/factors`),
 * not a guess at Okta's bucket. Okta's documents and its own tools disagree on which templates
 * share a bucket (okta-api-facts.md, "Rate-limit buckets"); the headers of each template's own
 * responses say what its budget is, whichever way Okta counts.
 */
export function limiterKeyFor(method: string, pathname: string): string {
  const segments = pathname.replace(/\/+$/, '').split('/');
  // ['', 'api', 'v1', 'users', '<id>', 'groups', …]: resource names at 3, 5, …; ids at 4, 6, …
  // `/api/v1/iam/assignees/users` has no id: `assignees` is a resource there.
  if (segments[1] === 'api' && /^v\d+$/.test(segments[2] ?? '') && segments[3] !== 'iam') {
    for (let i = 4; i < segments.length; i += 2) segments[i] = '{id}';
  }
  return `${method.toUpperCase()} ${segments.join('/') || '/'}`;
}
