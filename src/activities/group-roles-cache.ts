/**
 * Roles of a group, resolved once per sync: the reference connector asks again for every member
 * of every group, which on a tenant where users share groups is most of its API calls.
 *
 * Staging (on disk, shared by the worker's activities and surviving a worker restart) is the
 * record; a bounded in-memory map in front of it saves re-reading files and joins concurrent
 * requests for the same group into one Okta call.
 */
import type { OktaRole } from '../okta/types';
import type { StagingStore } from '../sync/staging';

const MAX_ENTRIES = 50_000;

export class GroupRolesCache {
  private readonly known = new Map<string, OktaRole[]>();
  private readonly pending = new Map<string, Promise<{ roles: OktaRole[]; fetched: boolean }>>();

  constructor(private readonly staging: StagingStore) {}

  private key(orgUrl: string, syncId: string, groupId: string): string {
    return `${orgUrl}|${syncId}|${groupId}`;
  }

  private remember(key: string, roles: OktaRole[]): void {
    // Crude bound: a full map is simply dropped; staging still has everything.
    if (this.known.size >= MAX_ENTRIES) this.known.clear();
    this.known.set(key, roles);
  }

  async get(orgUrl: string, syncId: string, groupId: string): Promise<OktaRole[] | undefined> {
    const key = this.key(orgUrl, syncId, groupId);
    const hit = this.known.get(key);
    if (hit) return hit;
    const staged = await this.staging.readGroupRoles<OktaRole[]>(orgUrl, syncId, groupId);
    if (staged) this.remember(key, staged);
    return staged;
  }

  async store(orgUrl: string, syncId: string, groupId: string, roles: OktaRole[]): Promise<void> {
    await this.staging.writeGroupRoles(orgUrl, syncId, groupId, roles);
    this.remember(this.key(orgUrl, syncId, groupId), roles);
  }

  /** Known roles, or fetched now (once, however many pages ask at the same time). */
  async resolve(
    orgUrl: string,
    syncId: string,
    groupId: string,
    fetch: () => Promise<OktaRole[]>,
  ): Promise<{ roles: OktaRole[]; fetched: boolean }> {
    const key = this.key(orgUrl, syncId, groupId);
    const hit = this.known.get(key);
    if (hit) return { roles: hit, fetched: false };
    // In flight before staging: while one page fetches a group's roles, the other pages asking
    // for it would otherwise each look for the not-yet-written file.
    const inFlight = this.pending.get(key);
    if (inFlight) return { roles: (await inFlight).roles, fetched: false };
    const p = (async () => {
      const staged = await this.get(orgUrl, syncId, groupId);
      if (staged) return { roles: staged, fetched: false };
      const roles = await fetch();
      await this.store(orgUrl, syncId, groupId, roles);
      return { roles, fetched: true };
    })();
    this.pending.set(key, p);
    try {
      return await p;
    } finally {
      this.pending.delete(key);
    }
  }

  forget(orgUrl: string, syncId: string): void {
    const prefix = `${orgUrl}|${syncId}|`;
    for (const k of this.known.keys()) if (k.startsWith(prefix)) this.known.delete(k);
  }
}
