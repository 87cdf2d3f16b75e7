/**
 * Paging through Okta's listings: building the first page's URL, following each page's checked
 * `next` link (never building cursors), the page limit and loop guards, and the reduction of each
 * page's records (dropping, and counting, those that are unusable).
 */

import type { ClientCounters } from './client-counters';
import { malformedResponse, OktaUnexpectedResponseError } from './errors';
import { headerValues } from './headers';
import { checkPagingLink, nextLink } from './link-header';
import type { CallOptions, OktaRequester } from './request';

/** One page: the JSON array body and the checked next link. */
export interface Page {
  body: unknown;
  nextUrl: string | null;
  serverDateMs: number | null;
}

export interface OktaPagingOptions {
  orgUrl: URL;
  requester: OktaRequester;
  counters: ClientCounters;
  /** Upper bound on pages followed by one listing (a guard against paging loops). */
  maxPages: number;
}

export class OktaPaging {
  constructor(private readonly opts: OktaPagingOptions) {}

  get maxPages(): number {
    return this.opts.maxPages;
  }

  /** The org URL of `path` with `query`, encoded as Okta documents it. */
  url(path: string, query: [string, string][]): URL {
    const url = new URL(path, this.opts.orgUrl);
    // encodeURIComponent (%20 for spaces) rather than URLSearchParams ('+'), as Okta documents.
    url.search = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return url;
  }

  /** A paging link the client may follow (`checkPagingLink`), else `OktaUnsafeLinkError`. */
  link(raw: string, expectedPath: string, endpoint: string, what: string): URL {
    return checkPagingLink(raw, this.opts.orgUrl, expectedPath, endpoint, what);
  }

  /** One page: the parsed JSON array body and the checked next link. */
  async page(endpoint: string, url: URL, call: CallOptions): Promise<Page> {
    const res = await this.opts.requester.get(endpoint, url, call);
    let next: string | null;
    try {
      next = nextLink(headerValues(res.headers, 'link'), url);
    } catch (e) {
      throw malformedResponse(endpoint, url, (e as Error).message);
    }
    const nextUrl =
      next === null ? null : this.link(next, url.pathname, endpoint, 'the next link').toString();
    return { body: res.body, nextUrl, serverDateMs: res.observation.serverDateMs };
  }

  /**
   * Fetches a listing to its end. The roles and factors endpoints are documented as unpaginated;
   * a `next` link is followed anyway, since stopping early would silently lose records.
   */
  async all<T>(
    endpoint: string,
    path: string,
    query: [string, string][],
    reduce: (v: unknown) => T | null,
    call: CallOptions,
  ): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let url: URL | null = this.url(path, query);
    for (let pages = 0; url !== null; pages++) {
      if (pages >= this.opts.maxPages) {
        throw new OktaUnexpectedResponseError({
          endpoint,
          path,
          detail: `more than ${this.opts.maxPages} pages; giving up (maxPages)`,
        });
      }
      seen.add(url.toString());
      const page = await this.page(endpoint, url, call);
      for (const item of this.reduce(endpoint, page.body, reduce, url, call)) out.push(item);
      if (page.nextUrl !== null && seen.has(page.nextUrl)) {
        throw new OktaUnexpectedResponseError({
          endpoint,
          path,
          detail: 'the next link points to a page already read (a paging loop)',
        });
      }
      url = page.nextUrl === null ? null : new URL(page.nextUrl);
    }
    return out;
  }

  /** The records of a page body reduced by `reduce`; those it refuses are dropped and counted. */
  reduce<T>(
    endpoint: string,
    body: unknown,
    reduce: (v: unknown) => T | null,
    url: URL,
    call: CallOptions,
  ): T[] {
    if (!Array.isArray(body)) {
      // The requester already checked this; kept so a reducer can never see a non-array.
      throw malformedResponse(endpoint, url, 'the body is not a JSON array');
    }
    const out: T[] = [];
    let dropped = 0;
    for (const item of body) {
      const r = reduce(item);
      if (r === null) dropped++;
      else out.push(r);
    }
    if (dropped > 0) this.opts.counters.dropped(endpoint, dropped, call.counters);
    return out;
  }
}
