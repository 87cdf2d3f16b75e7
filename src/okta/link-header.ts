/**
 * Parsing of the HTTP `Link` header (RFC 8288) as Okta uses it for cursor paging.
 *
 * Okta sends `self` and `next` as separate `link` header lines; Node's HTTP parser, proxies and
 * other stacks join repeated headers with ", ", and axios hands us either a string or a string[].
 * All of these forms parse to the same result. Commas inside `<…>` or inside quoted parameter
 * values do not separate links, so a cursor URL containing a comma survives.
 */

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
    parseOneValue(v, out);
  }
  return out;
}

function parseOneValue(s: string, out: LinkRelations): void {
  let i = 0;
  const n = s.length;
  // Each iteration consumes one link-value; the index strictly advances, so the loop is bounded.
  while (i < n) {
    const open = s.indexOf('<', i);
    if (open < 0) return;
    const close = s.indexOf('>', open + 1);
    if (close < 0) return;
    const href = s.slice(open + 1, close).trim();
    i = close + 1;
    const params: Record<string, string> = {};
    // Parameters run until a comma outside quotes (the next link-value) or the end.
    while (i < n) {
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      if (i >= n) break;
      if (s[i] === ',') {
        i++;
        break;
      }
      if (s[i] !== ';') {
        // Garbage between links: skip to the next comma outside quotes.
        i = skipToComma(s, i);
        continue;
      }
      i++;
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      let nameEnd = i;
      while (nameEnd < n && /[^=;,\s]/.test(s[nameEnd] ?? '')) nameEnd++;
      const name = s.slice(i, nameEnd).toLowerCase();
      i = nameEnd;
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      let val = '';
      if (s[i] === '=') {
        i++;
        while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
        if (s[i] === '"') {
          i++;
          let buf = '';
          while (i < n && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < n) i++;
            buf += s[i];
            i++;
          }
          i++; // closing quote (or past the end when unterminated)
          val = buf;
        } else {
          let end = i;
          while (end < n && s[end] !== ';' && s[end] !== ',') end++;
          val = s.slice(i, end).trim();
          i = end;
        }
      }
      if (name !== '' && !(name in params)) params[name] = val;
    }
    const rel = params['rel'];
    if (href === '' || rel === undefined) continue;
    const { rel: _rel, ...rest } = params;
    for (const r of rel.toLowerCase().split(/\s+/)) {
      if (r !== '' && !out.has(r)) out.set(r, { href, params: rest });
    }
  }
}

function skipToComma(s: string, from: number): number {
  let inQuotes = false;
  let i = from;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (c === ',' && !inQuotes) return i;
  }
  return i;
}

/**
 * The absolute URL of the `rel="next"` link, resolved against the URL of the request that returned
 * it (RFC 8288 §3.2), or null on the last page. Origin checks are the caller's business.
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
