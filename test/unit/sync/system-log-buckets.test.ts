/**
 * Issue 13 applied to the System Log phase: the pure rules that let any worker run a by-id page
 * without another worker's staging. A page is a hash bucket of the log-named ids (FNV-1a, checked
 * against the published test vectors), and a named user whose lastUpdated is after the previous
 * watermark is the lastUpdated listing's to deliver.
 */
import {
  changedUsersBucket,
  changedUsersBuckets,
  coveredByListing,
} from '../../../src/sync/system-log-phase';

describe('by-id pages as hash buckets', () => {
  test('FNV-1a 32-bit: the published test vectors', () => {
    // http://www.isthe.com/chongo/tech/comp/fnv/ : FNV-1a("a") = 0xe40c292c, ("foobar") = 0xbf9cf968.
    expect(changedUsersBucket('a', 2 ** 32)).toBe(0xe40c292c);
    expect(changedUsersBucket('foobar', 2 ** 32)).toBe(0xbf9cf968);
    expect(changedUsersBucket('a', 7)).toBe(0xe40c292c % 7);
  });

  test('20,000 Okta-like ids spread over 100 pages near 200 each', () => {
    const buckets = changedUsersBuckets(20_000);
    expect(buckets).toBe(100);
    const sizes = new Array<number>(buckets).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const id = `00u${i.toString(36).padStart(6, '0')}abcDEF1234`;
      sizes[changedUsersBucket(id, buckets)] += 1;
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(Math.min(...sizes)).toBeGreaterThan(130);
    expect(Math.max(...sizes)).toBeLessThan(270);
    expect(changedUsersBuckets(0)).toBe(0);
    expect(changedUsersBuckets(1)).toBe(1);
    expect(changedUsersBuckets(201)).toBe(2);
  });
});

describe('coveredByListing', () => {
  const W = '2026-01-01T00:00:00.000Z';
  test('after the watermark: the listing’s (the filter is lastUpdated gt W)', () => {
    expect(coveredByListing('2026-01-01T00:00:00.001Z', W)).toBe(true);
    expect(coveredByListing('2026-03-01T10:00:00.000Z', W)).toBe(true);
  });
  test('at or before the watermark, or unknown: read by id', () => {
    expect(coveredByListing(W, W)).toBe(false);
    expect(coveredByListing('2025-12-31T23:59:59.999Z', W)).toBe(false);
    expect(coveredByListing(null, W)).toBe(false);
    expect(coveredByListing(undefined, W)).toBe(false);
    expect(coveredByListing('not a date', W)).toBe(false);
  });
});
