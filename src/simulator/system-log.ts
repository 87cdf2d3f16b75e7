/**
 * The simulated tenant's System Log: the events its changes leave (membership, factors, roles,
 * lock, lifecycle), served as Okta serves `GET /api/v1/logs`.
 *
 * - `since` (default: 7 days ago) inclusive and `until` exclusive bound `published`; both ISO 8601.
 * - `filter` is Okta's SCIM-like expression over `eventType`, `target.id`, `actor.id`, `uuid` and
 *   `severity` (eq, ne, sw, co; and, or, not, parentheses). `published` cannot be filtered (Okta
 *   says use since/until): 400 E0000031.
 * - `limit` 0–1000 (default 100; more is 400), `sortOrder` ASCENDING (default) or DESCENDING.
 * - Paging by `Link: <…after=…>; rel="next"` with an opaque cursor. Without `until` the `next`
 *   link is always there, even on an empty page, because Okta's log is a stream a client polls;
 *   with `until` it stops once every event before `until` has been served.
 *
 * Events are kept in the order they were recorded, which is `published` order (the simulator
 * clock does not go back while a test runs; a recorded time earlier than the last is raised to it
 * so the order and the times never disagree).
 */

import { CursorCodec } from './cursor';
import { type FilterNode, FilterError, attributesOf, evaluate, parseFilter } from './filter';
import { Rng, saltOf } from './prng';

export interface LogTarget {
  id: string;
  type: 'User' | 'UserGroup' | 'AppInstance' | 'Factor' | 'Role';
  alternateId: string;
  displayName: string;
}

export interface LogEventJson {
  uuid: string;
  published: string;
  eventType: string;
  version: '0';
  severity: 'INFO' | 'WARN';
  displayMessage: string;
  actor: { id: string; type: 'User'; alternateId: string; displayName: string };
  client: { ipAddress: string; userAgent: { rawUserAgent: string } };
  outcome: { result: 'SUCCESS' };
  target: LogTarget[];
  transaction: { type: 'WEB'; id: string };
}

/** Why a log request is refused; the server turns it into Okta's error body. */
export class LogRequestError extends Error {
  constructor(
    readonly errorCode: string,
    readonly summary: string,
    readonly causes: string[],
  ) {
    super(summary);
  }
}

export interface LogPageReply {
  body: LogEventJson[];
  /** Query string of the next page (without `?`), or null for none. */
  nextQuery: string | null;
}

const FILTERABLE = new Set(['eventType', 'target.id', 'actor.id', 'uuid', 'severity']);
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;
const DEFAULT_SINCE_MS = 7 * 24 * 3600 * 1000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The admin who makes the simulated changes: the actor of every event. */
const ADMIN_ACTOR = {
  id: '00usimadmin0000000000',
  type: 'User' as const,
  alternateId: 'admin@simulator.invalid',
  displayName: 'Simulator Admin',
};

export class SimulatedSystemLog {
  private readonly events: LogEventJson[] = [];
  private readonly times: number[] = [];
  private readonly rng: Rng;
  private readonly cursors: CursorCodec;

  constructor(
    seed: number,
    private readonly clock: () => number,
  ) {
    this.rng = new Rng(seed, saltOf('system-log'));
    this.cursors = new CursorCodec(seed);
  }

  get size(): number {
    return this.events.length;
  }

  /** Every event recorded, oldest first (for tests). */
  all(): LogEventJson[] {
    return this.events.map((e) => structuredClone(e));
  }

  record(eventType: string, displayMessage: string, target: LogTarget[]): LogEventJson {
    const last = this.times.length > 0 ? this.times[this.times.length - 1] : -Infinity;
    const at = Math.max(this.clock(), last);
    const event: LogEventJson = {
      uuid: this.uuid(),
      published: new Date(at).toISOString(),
      eventType,
      version: '0',
      severity: 'INFO',
      displayMessage,
      actor: { ...ADMIN_ACTOR },
      client: { ipAddress: '192.0.2.10', userAgent: { rawUserAgent: 'okta-ocsf simulator' } },
      outcome: { result: 'SUCCESS' },
      target: target.map((t) => ({ ...t })),
      transaction: { type: 'WEB', id: this.rng.alnum(20) },
    };
    this.events.push(event);
    this.times.push(at);
    return event;
  }

  /** One page of `GET /api/v1/logs` for the query `q`. */
  page(q: URLSearchParams): LogPageReply {
    const now = this.clock();
    const since = timeParam(q, 'since') ?? now - DEFAULT_SINCE_MS;
    const until = timeParam(q, 'until');
    const limit = limitParam(q.get('limit'));
    const sortOrder = (q.get('sortOrder') ?? 'ASCENDING').toUpperCase();
    if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') {
      throw validation('sortOrder', 'must be ASCENDING or DESCENDING');
    }
    const filterText = q.get('filter');
    const filter = filterText === null || filterText === '' ? null : logFilter(filterText);
    const listing = `logs:${sortOrder}`;
    const afterRaw = q.get('after');
    let after: number | null = null;
    if (afterRaw !== null && afterRaw !== '') {
      const pos = this.cursors.decode(listing, afterRaw);
      if (pos === undefined) {
        throw validation('after', 'The cursor is not valid; take it from the next link.');
      }
      after = pos;
    }

    const ascending = sortOrder === 'ASCENDING';
    const matches = (i: number): boolean => {
      const t = this.times[i];
      if (t < since || (until !== null && t >= until)) return false;
      return filter === null || matchesFilter(filter, this.events[i]);
    };
    const picked: number[] = [];
    let more = false;
    if (ascending) {
      for (let i = after === null ? 0 : after + 1; i < this.events.length; i++) {
        if (!matches(i)) continue;
        if (picked.length === limit) {
          more = true;
          break;
        }
        picked.push(i);
      }
    } else {
      for (let i = after === null ? this.events.length - 1 : after - 1; i >= 0; i--) {
        if (!matches(i)) continue;
        if (picked.length === limit) {
          more = true;
          break;
        }
        picked.push(i);
      }
    }
    // A poll (no `until`) always gets a next link: newer events may arrive after this page.
    const polling = until === null && ascending;
    let nextQuery: string | null = null;
    if (more || polling) {
      const next = new URLSearchParams();
      const lastPos =
        picked.length > 0 ? picked[picked.length - 1] : (after ?? (ascending ? -1 : null));
      if (lastPos !== null && lastPos >= 0)
        next.set('after', this.cursors.encode(listing, lastPos));
      next.set('since', new Date(since).toISOString());
      if (until !== null) next.set('until', new Date(until).toISOString());
      if (filterText !== null) next.set('filter', filterText);
      next.set('limit', String(limit));
      next.set('sortOrder', sortOrder);
      nextQuery = next.toString().replace(/\+/g, '%20');
    }
    return { body: picked.map((i) => structuredClone(this.events[i])), nextQuery };
  }

  private uuid(): string {
    let h = '';
    for (let i = 0; i < 32; i++) h += this.rng.int(0, 15).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** Parses a System Log filter; only the attributes Okta's log lets one filter on. */
export function logFilter(text: string): FilterNode {
  const node = parseFilter(text, 'search');
  for (const attr of attributesOf(node)) {
    if (attr === 'published') {
      throw new FilterError('E0000031', "'published' cannot be filtered; use since and until");
    }
    if (!FILTERABLE.has(attr)) {
      throw new FilterError('E0000031', `'${attr}' cannot be used in a System Log filter`);
    }
  }
  return node;
}

/** Evaluates a filter against an event; `target.id` matches when any target has that id. */
export function matchesFilter(node: FilterNode, event: LogEventJson): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(node.left, event) && matchesFilter(node.right, event);
    case 'or':
      return matchesFilter(node.left, event) || matchesFilter(node.right, event);
    case 'not':
      return !matchesFilter(node.operand, event);
    default: {
      if (node.attr === 'target.id') {
        return event.target.some((t) => evaluate(node, () => t.id));
      }
      const value =
        node.attr === 'eventType'
          ? event.eventType
          : node.attr === 'actor.id'
            ? event.actor.id
            : node.attr === 'uuid'
              ? event.uuid
              : event.severity;
      return evaluate(node, () => value);
    }
  }
}

function timeParam(q: URLSearchParams, name: 'since' | 'until'): number | null {
  const raw = q.get(name);
  if (raw === null || raw === '') return null;
  const t = ISO.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) throw validation(name, 'must be an ISO 8601 timestamp');
  return t;
}

function limitParam(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_LIMIT;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_LIMIT) {
    throw validation('limit', `must be an integer from 0 to ${MAX_LIMIT}`);
  }
  return Number(raw);
}

function validation(field: string, detail: string): LogRequestError {
  return new LogRequestError('E0000001', `Api validation failed: ${field}`, [
    `${field}: ${detail}`,
  ]);
}
