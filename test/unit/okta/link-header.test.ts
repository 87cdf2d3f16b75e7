import { nextLink, parseLinkHeader } from '../../../src/okta/link-header';

const ORG = 'https://acme.okta.com';
const SELF = `<${ORG}/api/v1/users?limit=200>; rel="self"`;
const NEXT = `<${ORG}/api/v1/users?after=100u65xtp32NovHoPx1d7&limit=200>; rel="next"`;
const NEXT_URL = `${ORG}/api/v1/users?after=100u65xtp32NovHoPx1d7&limit=200`;

describe('parseLinkHeader / nextLink', () => {
  it("reads Okta's separate link lines (string[] from axios)", () => {
    const rels = parseLinkHeader([SELF, NEXT]);
    expect(rels.get('self')?.href).toBe(`${ORG}/api/v1/users?limit=200`);
    expect(rels.get('next')?.href).toBe(NEXT_URL);
    expect(nextLink([SELF, NEXT], `${ORG}/api/v1/users`)).toBe(NEXT_URL);
  });

  it('reads the same links joined with ", " by an HTTP stack', () => {
    expect(nextLink(`${SELF}, ${NEXT}`, ORG)).toBe(NEXT_URL);
    expect(nextLink(`${NEXT}, ${SELF}`, ORG)).toBe(NEXT_URL);
    expect(nextLink(`${SELF},${NEXT}`, ORG)).toBe(NEXT_URL);
  });

  it('returns null on the last page (self only, or no header)', () => {
    expect(nextLink(SELF, ORG)).toBeNull();
    expect(nextLink([SELF], ORG)).toBeNull();
    expect(nextLink(undefined, ORG)).toBeNull();
    expect(nextLink('', ORG)).toBeNull();
  });

  it('does not split at a comma inside the URL or a quoted parameter', () => {
    const url = `${ORG}/api/v1/users?after=a,b&limit=200`;
    const header = `<${ORG}/x>; rel="self"; title="a, <b>", <${url}>; rel="next"`;
    expect(nextLink(header, ORG)).toBe(new URL(url).toString());
  });

  it('accepts unquoted, upper-case and multi-valued rel', () => {
    expect(nextLink(`<${NEXT_URL}>; REL=next`, ORG)).toBe(NEXT_URL);
    expect(nextLink(`<${NEXT_URL}>; rel="prefetch next"`, ORG)).toBe(NEXT_URL);
  });

  it('resolves a relative next link against the request URL', () => {
    expect(nextLink('</api/v1/users?after=x>; rel="next"', `${ORG}/api/v1/users?limit=200`)).toBe(
      `${ORG}/api/v1/users?after=x`,
    );
  });

  it('skips garbage without throwing and keeps the first link of a relation', () => {
    const rels = parseLinkHeader(`garbage, <${ORG}/a>; rel=next; junk, <${ORG}/b>; rel=next`);
    expect(rels.get('next')?.href).toBe(`${ORG}/a`);
    expect(parseLinkHeader('<unterminated; rel=next').size).toBe(0);
    expect(parseLinkHeader('<x>').size).toBe(0);
  });

  it('throws rather than report "last page" when the next link is not a URL', () => {
    expect(() => nextLink('<http://[bad>; rel="next"', 'not a base')).toThrow(/rel="next"/);
  });
});
