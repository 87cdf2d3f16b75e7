/**
 * The header parsing the client and the limiter share (src/okta/headers.ts) and the client's
 * reading of a `WWW-Authenticate` challenge (src/okta/auth/www-authenticate.ts). Okta API facts:
 * rate-limit headers may repeat (the smallest wins); `Date` corrects Okta's Reset to local time.
 */
import { authChallenge } from '../../../src/okta/auth/www-authenticate';
import { headerValues, parseHttpDate, readRateLimitHeaders } from '../../../src/okta/headers';

describe('headers', () => {
  test('lookup is case-insensitive and keeps repeated values', () => {
    expect(headerValues({ 'X-Rate-Limit-Limit': ['600', '50'] }, 'x-rate-limit-limit')).toEqual([
      '600',
      '50',
    ]);
    expect(headerValues({ date: 7 }, 'Date')).toEqual(['7']);
    expect(headerValues({}, 'date')).toEqual([]);
  });

  test('a repeated Date joined with ", " is read at its first GMT', () => {
    expect(parseHttpDate(['Sun, 29 Nov 2026 14:00:00 GMT, Sun, 29 Nov 2026 14:00:01 GMT'])).toBe(
      Date.UTC(2026, 10, 29, 14, 0, 0),
    );
    expect(parseHttpDate(['not a date'])).toBeNull();
  });

  test("Reset on Okta's clock becomes local time through Date; smallest repeated value wins", () => {
    const serverNow = Date.UTC(2026, 10, 29, 14, 0, 0);
    const localNow = serverNow + 3_000; // local clock 3 s ahead of Okta's
    const o = readRateLimitHeaders(
      {
        'x-rate-limit-limit': '600, 100',
        'x-rate-limit-remaining': ['10', '4'],
        'x-rate-limit-reset': String(serverNow / 1000 + 30),
        date: new Date(serverNow).toUTCString(),
      },
      200,
      localNow,
    );
    expect(o).toEqual({
      status: 200,
      limit: 100,
      remaining: 4,
      resetEpochSeconds: serverNow / 1000 + 30,
      resetAtMs: localNow + 30_000,
      serverDateMs: serverNow,
      concurrency: false,
    });
    expect(readRateLimitHeaders({ 'x-rate-limit-limit': '0' }, 429, localNow).concurrency).toBe(
      true,
    );
  });

  test('WWW-Authenticate: error, description and scope; null when it says nothing', () => {
    expect(
      authChallenge({
        'www-authenticate':
          'Bearer error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", scope="okta.users.read"',
      }),
    ).toEqual({
      error: 'insufficient_scope',
      errorDescription: 'The access token provided does not contain the required scopes.',
      scope: 'okta.users.read',
    });
    expect(authChallenge({ 'www-authenticate': 'SSWS' })).toBeNull();
    expect(authChallenge({})).toBeNull();
  });
});
