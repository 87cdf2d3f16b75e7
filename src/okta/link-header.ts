/**
 * The HTTP `Link` header (RFC 8288) as Okta uses it for cursor paging, parsed by
 * `http-link-header`, and the checks a paging link must pass before the client follows it.
 *
 * Okta sends `self` and `next` as separate `link` header lines; Node's HTTP parser, proxies and
 * other stacks join repeated headers with ", ", and axios hands us either a string or a string[].
 * All of these forms parse to the same result. Commas inside `<…>` or inside quoted parameter
 * values do not separate links, so a cursor URL containing a comma survives.
 *
 * The library throws on a malformed header; one bad link-value must not hide a good `next` link
 * beside it (that would end a listing early), so each link-value is parsed on its own and a
 * malformed one is skipped.
 */

import LinkHeader from 'http-link-header';

import { OktaUnsafeLinkError } from './errors';

export interface LinkTarget {
  /** The target URL as written in the header (possibly relative). */
  href: string;
  /** Parameters other than `rel`, lower-cased names. */
  params: Record<string, string>;
}

/** Link targets by relation type (lower case). The first link of a relation wins. */
export type LinkRelations = Map<string, LinkTarget>;

/** Parses one or more `Link` header values. Malformed segments are skipped, never thrown on. */
export function parseLinkHeader(
  value: string | readonly string[] | null | undefined,
): LinkRelations {
  const out: LinkRelations = new Map();
  if (value === null || value === undefined) return out;
  const values = typeof value === 'string' ? [value] : value;
  for (const v of values) {
    if (typeof v !== 'string') continue;
    for (const segment of linkValues(v)) addLinks(segment, out);
  }
  return out;
}

function addLinks(segment: string, out: LinkRelations): void {
  let refs: LinkHeader.Reference[];
  try {
    refs = LinkHeader.parse(segment).refs;
  } catch {
    return; // not a link-value: skipped, as the header's other links still count
  }
  for (const ref of refs) {
    const href = ref.uri.trim();
    if (href === '' || typeof ref.rel !== 'string') continue;
    const params: Record<string, string> = {};
    for (const [name, val] of Object.entries(ref as Record<string, unknown>)) {
      if (name === 'uri' || name === 'rel') continue;
      const first: unknown = Array.isArray(val) ? val[0] : val;
      if (typeof first === 'string') params[name] = first;
    }
    // The library splits a multi-valued rel at single spaces; other whitespace is split here.
    for (const r of ref.rel.toLowerCase().split(/\s+/)) {
      if (r !== '' && !out.has(r)) out.set(r, { href, params });
    }
  }
}

/** Splits a header value at the commas that separate link-values (not inside `<…>` or quotes). */
function linkValues(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inUri = false;
  let inQuotes = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
    } else if (inUri) {
      if (c === '>') inUri = false;
    } else if (c === '<') inUri = true;
    else if (c === '"') inQuotes = true;
    else if (c === ',') {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.filter((x) => x.trim() !== '');
}

/**
 * The absolute URL of the `rel="next"` link, resolved against the URL of the request that returned
 * it (RFC 8288 §3.2), or null on the last page. Origin checks are `checkPagingLink`'s business.
 * Throws when a `next` link is present but is not a URL: treating it as "last page" would silently
 * drop the rest of the listing.
 */
export function nextLink(
  value: string | readonly string[] | null | undefined,
  requestUrl: string | URL,
): string | null {
  const next = parseLinkHeader(value).get('next');
  if (next === undefined) return null;
  try {
    return new URL(next.href, requestUrl).toString();
  } catch {
    throw new Error('the rel="next" link of the Link header is not a valid URL');
  }
}

/**
 * Checks a paging link before the client follows it: same origin as the org (the token goes
 * nowhere else), the path being paged, no credentials. Returns it without fragment; throws
 * `OktaUnsafeLinkError` otherwise. `what` names the link in the message.
 */
export function checkPagingLink(
  raw: string,
  orgUrl: URL,
  expectedPath: string,
  endpoint: string,
  what: string,
): URL {
  const unsafe = (detail: string): OktaUnsafeLinkError =>
    new OktaUnsafeLinkError({ endpoint, path: expectedPath, detail });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw unsafe(`${what} is not a URL`);
  }
  if (url.origin !== orgUrl.origin) {
    throw unsafe(
      `${what} is on ${url.origin}, not on the org ${orgUrl.origin}; the API token is only ever sent to the org`,
    );
  }
  if (url.pathname !== expectedPath) {
    throw unsafe(`${what} points to ${url.pathname}, not to ${expectedPath}`);
  }
  if (url.username !== '' || url.password !== '') throw unsafe(`${what} carries credentials`);
  url.hash = '';
  return url;
}
