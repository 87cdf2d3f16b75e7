/**
 * The users one System Log window names (issue 12), as a worker's own cache (issue 13): the ids
 * of the `User` targets of the window's events, plus the current members of the groups whose
 * admin roles changed (`group.privilege.*`). Kept in the worker's staging (page 0, sync-level
 * data) and saved after every log page and every group, so a retry on the same worker resumes
 * where the last attempt stopped. A worker that has no such cache — another replica, a restarted
 * process — reads the window again: the window is in the workflow's history and Okta's past log
 * does not change (src/sync/system-log-phase.ts says why no id list travels through Temporal).
 */
import { Context } from '@temporalio/activity';
import { eventTypeFilter, namedBy } from '../okta/system-log';
import type { StagingStore } from '../sync/staging';
import { isNotFound } from './failures';
import type { CallOptions, OktaSession } from './okta-session';

/** Staging page of sync-level data (listed pages start at 1). */
const SYNC_LEVEL_PAGE = 0;
const COLLECTED = 'changed-users';

export interface LogWindow {
  orgUrl: string;
  syncId: string;
  since: string;
  until: string;
}

/** What this worker has read of a window so far. */
interface CollectProgress {
  since: string;
  until: string;
  /** The next link to follow; null before the first page. */
  nextUrl: string | null;
  /** Every log page read (the groups may still need expanding). */
  done: boolean;
  events: number;
  userIds: string[];
  groupIds: string[];
  groupsExpanded: string[];
  /** Requests and 429s of earlier attempts on this worker (the session counts this one's). */
  apiCalls: number;
  rateLimited: number;
}

/** How a collection ended: every id known, or stopped at the bound (`maxUsers`). */
export type Collected = 'complete' | 'too_many';

/**
 * One reading of a window on this worker, resumed from its staged progress. `maxUsers` stops it
 * as soon as more users are named (the sync then runs full); null reads to the end.
 */
export class WindowReading {
  private readonly users: Set<string>;
  private readonly groups: Set<string>;

  private constructor(
    private readonly staging: StagingStore,
    private readonly session: OktaSession,
    private readonly w: LogWindow,
    private readonly p: CollectProgress,
  ) {
    this.users = new Set(p.userIds);
    this.groups = new Set(p.groupIds);
  }

  /** The staged progress of this window on this worker, or a fresh one. */
  static async resume(staging: StagingStore, session: OktaSession, w: LogWindow) {
    const staged = await staging.readPage<CollectProgress>(
      w.orgUrl,
      w.syncId,
      SYNC_LEVEL_PAGE,
      COLLECTED,
    );
    const fresh: CollectProgress = {
      since: w.since,
      until: w.until,
      nextUrl: null,
      done: false,
      events: 0,
      userIds: [],
      groupIds: [],
      groupsExpanded: [],
      apiCalls: 0,
      rateLimited: 0,
    };
    const same = staged && staged.since === w.since && staged.until === w.until;
    return new WindowReading(staging, session, w, same ? staged : fresh);
  }

  get userCount(): number {
    return this.users.size;
  }

  get events(): number {
    return this.p.events;
  }

  get groupsExpanded(): number {
    return this.p.groupsExpanded.length;
  }

  /** Every id, once the reading is complete. */
  get userIds(): string[] {
    return [...this.users];
  }

  /** Whether nothing is left to read (a cache hit: no call at all). */
  get complete(): boolean {
    return this.p.done && [...this.groups].every((g) => this.p.groupsExpanded.includes(g));
  }

  /** Requests and 429s of every attempt on this worker so far. */
  counters(): { apiCalls: number; rateLimited: number } {
    const used = this.session.counters();
    return {
      apiCalls: this.p.apiCalls + used.apiCalls,
      rateLimited: this.p.rateLimited + used.rateLimited,
    };
  }

  /** Reads what is left of the window: its log pages, then its privileged groups' members. */
  async collect(call: () => CallOptions, maxUsers: number | null): Promise<Collected> {
    const over = (): boolean => maxUsers !== null && this.users.size > maxUsers;
    const filter = eventTypeFilter();
    while (!this.p.done) {
      const page = await this.session.listSystemLogPage(
        { nextUrl: this.p.nextUrl, since: this.p.since, until: this.p.until, filter },
        call(),
      );
      for (const event of page.events) {
        const named = namedBy(event);
        for (const id of named.userIds) this.users.add(id);
        for (const id of named.groupIds) this.groups.add(id);
      }
      this.p.events += page.events.length;
      this.p.nextUrl = page.nextUrl;
      this.p.done = page.nextUrl === null;
      await this.save();
      Context.current().heartbeat({ events: this.p.events, users: this.users.size });
      if (over()) return 'too_many';
    }
    for (const groupId of this.groups) {
      if (this.p.groupsExpanded.includes(groupId)) continue;
      await this.expand(groupId, call());
      if (over()) return 'too_many';
    }
    return 'complete';
  }

  private async expand(groupId: string, call: CallOptions): Promise<void> {
    try {
      for (const member of await this.session.listGroupMembers(groupId, call)) {
        this.users.add(member.id);
      }
    } catch (err) {
      // A group deleted since its privilege changed has no members left to update.
      if (!isNotFound(err)) throw err;
    }
    this.p.groupsExpanded.push(groupId);
    await this.save();
  }

  /** Stages the progress (with this attempt's calls), so a retry here resumes from it. */
  async save(): Promise<void> {
    await this.staging.writePage(this.w.orgUrl, this.w.syncId, SYNC_LEVEL_PAGE, COLLECTED, {
      ...this.p,
      userIds: [...this.users],
      groupIds: [...this.groups],
      ...this.counters(),
    } satisfies CollectProgress);
  }
}

/**
 * The ids a window names, from this worker's cache or read again; concurrent activities of one
 * sync on this worker share one reading instead of each reading the log.
 */
export class NamedUsers {
  private readonly readings = new Map<string, Promise<string[]>>();

  constructor(private readonly staging: StagingStore) {}

  async of(w: LogWindow, session: OktaSession, call: () => CallOptions): Promise<string[]> {
    const key = `${w.orgUrl} ${w.syncId} ${w.since} ${w.until}`;
    let reading = this.readings.get(key);
    if (reading === undefined) {
      reading = this.read(w, session, call).finally(() => this.readings.delete(key));
      this.readings.set(key, reading);
    }
    return reading;
  }

  private async read(w: LogWindow, session: OktaSession, call: () => CallOptions) {
    const r = await WindowReading.resume(this.staging, session, w);
    if (!r.complete) await r.collect(call, null);
    return r.userIds;
  }
}
