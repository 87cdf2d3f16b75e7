/**
 * Validation of the Okta org URL (OKTA_ORG_URL). The client sends the API token to this origin and
 * to no other, so it must be exactly a scheme and a host: anything else is a configuration mistake
 * that would otherwise surface much later as confusing 404s or, worse, a token sent in clear text.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Okta's hosted domains, on which the `-admin` console host is a common copy-paste mistake. */
const OKTA_DOMAINS = ['okta.com', 'oktapreview.com', 'okta-emea.com', 'okta-gov.com', 'okta.mil'];

function fail(expected: string): never {
  throw new Error(
    `OKTA_ORG_URL: ${expected}; expected the org URL alone, like https://your-org.okta.com`,
  );
}

/**
 * Parses and checks the org URL: https (http only for loopback hosts, which is how the simulator
 * runs), no credentials, no path, query or fragment. Returns a URL holding only the origin.
 * Error messages never echo the raw value: a token pasted into the wrong variable must not leak.
 */
export function validateOrgUrl(raw: string): URL {
  if (typeof raw !== 'string' || raw.trim() === '') fail('is empty');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    fail('is not a valid absolute URL');
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    fail(
      `must use https (got ${url.protocol.replace(/:$/, '')}; plain http is accepted only for 127.0.0.1, ::1 and localhost)`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    fail('must not contain credentials (user:password@); the API token is configured separately');
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    fail('must not have a path (the client adds /api/v1/… itself)');
  }
  if (url.search !== '' || raw.trim().endsWith('?')) fail('must not have a query string');
  if (url.hash !== '' || raw.trim().endsWith('#')) fail('must not have a fragment');
  const firstLabel = url.hostname.split('.')[0] ?? '';
  if (firstLabel.endsWith('-admin') && OKTA_DOMAINS.some((d) => url.hostname.endsWith(`.${d}`))) {
    fail(
      `must be the org URL, not the Admin Console URL (drop "-admin" from ${JSON.stringify(url.hostname)})`,
    );
  }
  return new URL(url.origin);
}
