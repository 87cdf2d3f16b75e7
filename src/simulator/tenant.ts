/**
 * The simulated tenant: its users, groups, role assignments and factors, the paging the API
 * serves over them, and the mutations tests and the demo apply while a sync runs.
 *
 * Storage: per user only `status` and `lastUpdated` live in typed arrays (what list filtering
 * needs); a user's full record is regenerated from the seed on demand, unless the user was
 * mutated or created, in which case its record is kept in `overrides`. See tenant-generator.ts.
 */

import { reduceFactor, reduceGroup, reduceRole, reduceUser } from '../okta/records';
import type { EnrichedUser, OktaRole } from '../okta/types';
import { DATE_ATTRIBUTES, evaluate, type FilterNode } from './filter';
import {
  DEPROVISIONED_CODE,
  type OktaFactorJson,
  type OktaGroupJson,
  type OktaLinksJson,
  type OktaRoleJson,
  type OktaUserJson,
  type OktaUserProfileJson,
  oktaTime,
  oktaTimeOrNull,
  type UserStatus,
  USER_STATUSES,
} from './okta-json';
import { Rng, saltOf } from './prng';
import { type LogTarget, SimulatedSystemLog } from './system-log';
import {
  GENERATION_ANCHOR_MS,
  type RoleRecord,
  TenantGenerator,
  type UserRecord,
} from './tenant-generator';

export interface TenantOptions {
  users: number;
  groups: number;
  seed: number;
  /** Groups (Everyone included) of the heavy user; at most `groups`. */
  heavyUserGroups: number;
  clock: () => number;
  /** Org URL used in `_links`; the server sets it once it listens. */
  baseUrl?: string;
}

export interface MutationRequest {
  update?: number;
  /** These users are updated (in addition to `update` random ones): tests aim at a page. */
  updateIds?: string[];
  create?: number;
  deprovision?: number;
}

/** What an update changed; each is visible in the user's OCSF event. */
export type UserChange = 'name' | 'groups' | 'role' | 'factor';

/**
 * One change an admin makes, as tests and the demo ask for it (`change`, `POST /__sim/change`).
 * Each records the System Log events Okta records for it. Only `lock`, `unlock` and `delete`
 * touch the user's `lastUpdated` (a status change); membership, factor and role changes do not,
 * as in Okta.
 */
export type TenantChange =
  | { op: 'addToGroup'; userId: string; groupId: string }
  | { op: 'removeFromGroup'; userId: string; groupId: string }
  /** Deactivates every ACTIVE factor of the user (an admin's reset of a lost phone). */
  | { op: 'deactivateFactors'; userId: string }
  | { op: 'grantRole'; userId: string; roleType: string }
  /** Revokes every active admin role assigned to the user directly. */
  | { op: 'revokeRoles'; userId: string }
  | { op: 'grantGroupRole'; groupId: string; roleType: string }
  | { op: 'lock'; userId: string }
  | { op: 'unlock'; userId: string }
  /** Deactivates (if need be) then deletes the user: it is gone, its reads answer 404. */
  | { op: 'delete'; userId: string };

export const TENANT_CHANGE_OPS: readonly TenantChange['op'][] = [
  'addToGroup',
  'removeFromGroup',
  'deactivateFactors',
  'grantRole',
  'revokeRoles',
  'grantGroupRole',
  'lock',
  'unlock',
  'delete',
];

export interface MutationResult {
  updated: string[];
  created: string[];
  deprovisioned: string[];
  /** The change made to each updated user, in the order of `updated`. */
  changes: Array<{ id: string; change: UserChange }>;
}

export interface UserPage {
  /** User indices of this page, in list order. */
  indices: number[];
  /** Whether at least one more user matches after this page. */
  more: boolean;
}

const MAX_MUTATION = 1_000_000;
const NEW_LAST_NAMES = [
  'Hernández',
  'Okonkwo',
  'Lindqvist',
  'Fraser',
  'Yamamoto',
  'Dupont',
  'Kaur',
];
const GRANTED_ADMIN_TYPES = [
  'SUPER_ADMIN',
  'ORG_ADMIN',
  'USER_ADMIN',
  'HELP_DESK_ADMIN',
  'READ_ONLY_ADMIN',
];

function isActiveAdmin(role: RoleRecord): boolean {
  return role.status === 'ACTIVE' && /admin/i.test(role.type);
}

export class SimulatedTenant {
  /** Org URL used in `_links` and paging links. */
  baseUrl: string;
  readonly seed: number;
  readonly groupCount: number;
  readonly heavyUserGroups: number;
  /** Generated timestamps are all before this instant (epoch ms). */
  readonly generatedBefore: number;

  private readonly gen: TenantGenerator;
  private readonly clock: () => number;
  private statuses: Uint8Array;
  private lastUpdatedMs: Float64Array;
  private count: number;
  private readonly overrides = new Map<number, UserRecord>();
  private readonly groupIndexById = new Map<string, number>();
  private readonly mutationRng: Rng;
  /** Users deleted by `change({op: 'delete'})`: unknown to every endpoint from then on. */
  private readonly deleted = new Set<number>();
  /** What the tenant's changes leave in Okta's System Log (`GET /api/v1/logs`). */
  readonly log: SimulatedSystemLog;
  /** Members of each group (user indices, ascending), built on first use, dropped on a change. */
  private memberIndex: Int32Array[] | undefined;
  private readonly deletedGroups = new Set<number>();

  constructor(opts: TenantOptions) {
    this.seed = opts.seed;
    this.groupCount = opts.groups;
    this.heavyUserGroups = opts.heavyUserGroups;
    this.clock = opts.clock;
    this.baseUrl = opts.baseUrl ?? 'http://127.0.0.1';
    // A clock set before the fixed anchor (a test's fake clock) pulls the anchor back, so that
    // mutations made "now" are still newer than everything generated.
    this.generatedBefore = Math.min(
      GENERATION_ANCHOR_MS,
      Math.floor(opts.clock() / 1000) * 1000 - 1000,
    );
    this.gen = new TenantGenerator({
      seed: opts.seed,
      users: opts.users,
      groups: opts.groups,
      heavyUserGroups: opts.heavyUserGroups,
      anchorMs: this.generatedBefore,
    });
    this.count = opts.users;
    const capacity = Math.max(16, opts.users);
    this.statuses = new Uint8Array(capacity);
    this.lastUpdatedMs = new Float64Array(capacity);
    for (let i = 0; i < opts.users; i++) {
      const core = this.gen.core(i);
      this.statuses[i] = USER_STATUSES.indexOf(core.status);
      this.lastUpdatedMs[i] = core.lastUpdated;
    }
    for (const g of this.gen.groups) this.groupIndexById.set(g.id, g.index);
    this.mutationRng = new Rng(opts.seed, saltOf('mutations'));
    this.log = new SimulatedSystemLog(opts.seed, opts.clock);
  }

  // ---- public, JSON as the API returns it ----------------------------------------------

  /** Users in list order (by id); DEPROVISIONED ones only when asked, as Okta's unfiltered list. */
  listUsers(opts: { includeDeprovisioned?: boolean } = {}): OktaUserJson[] {
    const out: OktaUserJson[] = [];
    for (let i = 0; i < this.count; i++) {
      if (!opts.includeDeprovisioned && this.statuses[i] === DEPROVISIONED_CODE) continue;
      if (this.deleted.has(i)) continue;
      out.push(this.userJson(i));
    }
    return out;
  }

  user(id: string): OktaUserJson | undefined {
    const index = this.indexOf(id);
    return index === undefined ? undefined : this.userJson(index);
  }

  /** Every group of the user (all pages of `/users/{id}/groups`). */
  userGroups(userId: string): OktaGroupJson[] {
    return this.recordOf(userId).groups.map((g) => this.groupJson(g));
  }

  group(groupId: string): OktaGroupJson | undefined {
    const index = this.groupIndexById.get(groupId);
    return index === undefined ? undefined : this.groupJson(index);
  }

  groupRoles(groupId: string): OktaRoleJson[] {
    const index = this.groupIndexById.get(groupId);
    if (index === undefined) throw new Error(`No simulated group with id ${groupId}`);
    return this.groupRolesJson(index);
  }

  userFactors(userId: string): OktaFactorJson[] {
    return this.userFactorsJson(this.recordOf(userId));
  }

  /** Direct roles (assignmentType USER) then those held through groups (GROUP), as Okta lists. */
  userRoles(userId: string): OktaRoleJson[] {
    return this.userRolesJson(this.recordOf(userId));
  }

  /** The user as the connector should see it after enrichment, in the reduced shapes. */
  enriched(userId: string): EnrichedUser {
    // Reduced from the very JSON the API serves, by the connector's own reducer: the expected
    // events of the tests are "what the connector sees of this tenant".
    const groups = this.userGroups(userId);
    const groupRoles: Record<string, OktaRole[]> = {};
    for (const g of groups) groupRoles[g.id] = this.groupRoles(g.id).map(reduced(reduceRole));
    return {
      user: reduced(reduceUser)(this.user(userId)),
      groups: groups.map(reduced(reduceGroup)),
      groupRoles,
      factors: this.userFactors(userId).map(reduced(reduceFactor)),
      roles: this.userRoles(userId).map(reduced(reduceRole)),
      enrichmentErrors: [],
    };
  }

  /**
   * Changes users as an admin would while a sync runs. An update changes one thing the inventory
   * event shows: the name, a group membership, whether the user is an admin, or whether it has an
   * active MFA factor. As in Okta, a name change, a creation and a deprovisioning set the user's
   * `lastUpdated` (and `statusChanged`) to now by the simulator clock; a membership, role or
   * factor change does not, and is seen only in the System Log events each change records.
   */
  mutate(m: MutationRequest): MutationResult {
    const update = mutationCount(m.update, 'update');
    const create = mutationCount(m.create, 'create');
    const deprovision = mutationCount(m.deprovision, 'deprovision');
    const now = this.clock();
    const result: MutationResult = { updated: [], created: [], deprovisioned: [], changes: [] };
    this.memberIndex = undefined;

    const updatedSet = new Set<number>();
    const chosen: number[] = [];
    for (const id of m.updateIds ?? []) {
      const index = this.indexOf(id);
      if (index === undefined) throw new Error(`mutate: updateIds: unknown user id ${id}`);
      chosen.push(index);
    }
    for (const index of [...chosen, ...this.pickLiveUsers(update, new Set(chosen))]) {
      const rec = this.recordAt(index);
      const change = this.applyUpdate(rec, now);
      if (change === 'name') {
        this.save(rec, now);
        this.logUser('user.account.update_profile', 'Update user profile for Okta', rec);
      } else {
        this.keep(rec);
      }
      updatedSet.add(index);
      result.updated.push(rec.id);
      result.changes.push({ id: rec.id, change });
    }

    const keep = new Set(updatedSet);
    if (this.gen.heavyIndex >= 0) keep.add(this.gen.heavyIndex);
    for (const index of this.pickLiveUsers(deprovision, keep)) {
      const rec = this.recordAt(index);
      rec.status = 'DEPROVISIONED';
      rec.statusChanged = now;
      this.save(rec, now);
      this.logUser('user.lifecycle.deactivate', 'Deactivate Okta user', rec);
      result.deprovisioned.push(rec.id);
    }

    for (let i = 0; i < create; i++) {
      const index = this.count;
      this.ensureCapacity(index + 1);
      this.count++;
      const rec = this.gen.createdUser(index, now);
      for (const g of rec.groups) this.gen.groups[g].lastMembershipUpdated = now;
      this.save(rec, now);
      this.logUser('user.lifecycle.create', 'Create Okta user', rec);
      for (const g of rec.groups) this.logMembership('add', rec, g);
      result.created.push(rec.id);
    }
    return result;
  }

  /** Applies one admin change (see `TenantChange`); bad input is a TypeError naming the field. */
  change(c: TenantChange): void {
    if (c === null || typeof c !== 'object' || !TENANT_CHANGE_OPS.includes(c.op)) {
      throw new TypeError(`change.op must be one of ${TENANT_CHANGE_OPS.join(', ')}`);
    }
    const now = this.clock();
    this.memberIndex = undefined;
    switch (c.op) {
      case 'addToGroup':
      case 'removeFromGroup':
        return this.changeMembership(c, now);
      case 'deactivateFactors':
        return this.deactivateFactors(this.changedUser(c));
      case 'grantRole': {
        const rec = this.changedUser(c);
        const role = this.gen.newRole(this.mutationRng, changedRoleType(c), 'ACTIVE', now);
        rec.roles = [...rec.roles, role];
        this.keep(rec);
        this.logUser('user.account.privilege.grant', 'User privilege grant', rec);
        return;
      }
      case 'revokeRoles':
        return this.revokeRoles(this.changedUser(c));
      case 'grantGroupRole': {
        const g = this.gen.groups[this.changedGroup(c)];
        g.roles = [
          ...g.roles,
          this.gen.newRole(this.mutationRng, changedRoleType(c), 'ACTIVE', now),
        ];
        this.log.record('group.privilege.grant', 'Group privilege grant', [
          this.groupTarget(g.index),
        ]);
        return;
      }
      case 'lock':
      case 'unlock':
        return this.lockOrUnlock(c.op, this.changedUser(c), now);
      case 'delete':
        return this.deleteUser(this.changedUser(c), now);
    }
  }

  /** The user a change names; a TypeError naming `userId` when there is none. */
  private changedUser(c: TenantChange): UserRecord {
    const id = (c as { userId?: unknown }).userId;
    const index = typeof id === 'string' ? this.indexOf(id) : undefined;
    if (index === undefined)
      throw new TypeError(`change.userId: no simulated user ${JSON.stringify(id)}`);
    return this.recordAt(index);
  }

  /** The index of the group a change names; a TypeError naming `groupId` when there is none. */
  private changedGroup(c: TenantChange): number {
    const id = (c as { groupId?: unknown }).groupId;
    const index = typeof id === 'string' ? this.groupIndexById.get(id) : undefined;
    if (index === undefined)
      throw new TypeError(`change.groupId: no simulated group ${JSON.stringify(id)}`);
    return index;
  }

  /** A membership change must change something; the Everyone group (0) keeps every user. */
  private changeMembership(
    c: Extract<TenantChange, { op: 'addToGroup' | 'removeFromGroup' }>,
    now: number,
  ): void {
    const rec = this.changedUser(c);
    const g = this.changedGroup(c);
    const member = rec.groups.includes(g);
    if (c.op === 'addToGroup' && !member) {
      rec.groups = [...rec.groups, g].sort((a, b) => a - b);
    } else if (c.op === 'removeFromGroup' && member && g !== 0) {
      rec.groups = rec.groups.filter((x) => x !== g);
    } else {
      throw new TypeError(`change: ${c.op} of ${rec.id} and group ${c.groupId} changes nothing`);
    }
    this.gen.groups[g].lastMembershipUpdated = now;
    this.keep(rec);
    this.logMembership(c.op === 'addToGroup' ? 'add' : 'remove', rec, g);
  }

  private deactivateFactors(rec: UserRecord): void {
    const active = rec.factors.filter((f) => f.status === 'ACTIVE');
    if (active.length === 0) throw new TypeError(`change: ${rec.id} has no active factor`);
    rec.factors = rec.factors.filter((f) => f.status !== 'ACTIVE');
    this.keep(rec);
    for (const f of active) {
      this.log.record('user.mfa.factor.deactivate', 'Reset factor for user', [
        this.userTarget(rec),
        { id: f.id, type: 'Factor', alternateId: f.factorType, displayName: f.factorType },
      ]);
    }
  }

  private revokeRoles(rec: UserRecord): void {
    if (!rec.roles.some(isActiveAdmin))
      throw new TypeError(`change: ${rec.id} has no direct admin role`);
    rec.roles = rec.roles.filter((r) => !isActiveAdmin(r));
    this.keep(rec);
    this.logUser('user.account.privilege.revoke', 'User privilege revoke', rec);
  }

  /** Only an ACTIVE user can be locked out, and only a locked-out one unlocked. */
  private lockOrUnlock(op: 'lock' | 'unlock', rec: UserRecord, now: number): void {
    const locked = rec.status === 'LOCKED_OUT';
    if ((op === 'lock') === locked || (op === 'lock' && rec.status !== 'ACTIVE')) {
      throw new TypeError(`change: ${op} does not apply to a ${rec.status} user`);
    }
    rec.status = op === 'lock' ? 'LOCKED_OUT' : 'ACTIVE';
    rec.statusChanged = now;
    this.save(rec, now);
    if (op === 'lock') this.logUser('user.account.lock', 'Max sign in attempts exceeded', rec);
    else this.logUser('user.account.unlock_by_admin', 'Unlock user account by admin', rec);
  }

  /** Okta deletes in two steps: deactivate (if still active), then delete. */
  private deleteUser(rec: UserRecord, now: number): void {
    if (rec.status !== 'DEPROVISIONED') {
      rec.status = 'DEPROVISIONED';
      rec.statusChanged = now;
      this.save(rec, now);
      this.logUser('user.lifecycle.deactivate', 'Deactivate Okta user', rec);
    }
    this.logUser('user.lifecycle.delete.initiated', 'Delete Okta user', rec);
    this.deleted.add(rec.index);
    this.logUser('user.lifecycle.delete.completed', 'Delete Okta user completed', rec);
  }

  /** Ids of a group's current members, for tests; deleted users are gone, deprovisioned stay. */
  groupMemberIds(groupId: string): string[] {
    const g = this.groupIndexById.get(groupId);
    if (g === undefined) throw new Error(`No simulated group with id ${groupId}`);
    return Array.from(this.membersOf(g), (i) => this.gen.userId(i));
  }

  private userTarget(rec: UserRecord): LogTarget {
    const p = rec.profile;
    return {
      id: rec.id,
      type: 'User',
      alternateId: p.login,
      displayName: typeof p.displayName === 'string' ? p.displayName : p.login,
    };
  }

  private groupTarget(groupIndex: number): LogTarget {
    const g = this.gen.groups[groupIndex];
    return { id: g.id, type: 'UserGroup', alternateId: 'unknown', displayName: g.name };
  }

  private logUser(eventType: string, message: string, rec: UserRecord): void {
    this.log.record(eventType, message, [this.userTarget(rec)]);
  }

  /** Okta lists the group first and the user second here: consumers must match on type. */
  private logMembership(kind: 'add' | 'remove', rec: UserRecord, groupIndex: number): void {
    const message = kind === 'add' ? 'Add user to group membership' : 'Remove user from group';
    this.log.record(`group.user_membership.${kind}`, message, [
      this.groupTarget(groupIndex),
      this.userTarget(rec),
    ]);
  }

  /**
   * Deletes a group as an admin would: it leaves every member's group list and its id answers
   * 404 from now on. Okta does not move a member's `lastUpdated` on a membership change.
   */
  deleteGroup(groupId: string): void {
    const g = this.groupIndexById.get(groupId);
    if (g === undefined) throw new Error(`deleteGroup: no simulated group with id ${groupId}`);
    for (const i of this.membersOf(g)) {
      const rec = this.recordAt(i);
      rec.groups = rec.groups.filter((x) => x !== g);
      this.overrides.set(i, rec);
    }
    this.groupIndexById.delete(groupId);
    this.deletedGroups.add(g);
    this.memberIndex = undefined;
  }

  /** Indices of the groups that exist, in `GET /api/v1/groups` order. */
  liveGroupIndices(): number[] {
    const out: number[] = [];
    for (let g = 0; g < this.groupCount; g++) if (!this.deletedGroups.has(g)) out.push(g);
    return out;
  }

  /** User indices of a group's members, ascending (the users list's order); deleted users are gone. */
  membersOf(groupIndex: number): Int32Array {
    if (this.memberIndex === undefined) {
      const lists: number[][] = Array.from({ length: this.groupCount }, () => []);
      for (let i = 0; i < this.count; i++) {
        if (this.deleted.has(i)) continue;
        for (const g of this.recordAt(i).groups) lists[g].push(i);
      }
      this.memberIndex = lists.map((l) => Int32Array.from(l));
    }
    return this.memberIndex[groupIndex];
  }

  /** Whether user `index` holds a role assignment of its own (not only through a group). */
  hasDirectRoles(index: number): boolean {
    return this.recordAt(index).roles.length > 0;
  }

  // ---- facts for tests, the CLI and /__sim/info ------------------------------------------

  get userCount(): number {
    return this.count;
  }

  /** The non-deprovisioned user in exactly `heavyUserGroups` groups. */
  get heavyUserId(): string | undefined {
    return this.gen.heavyIndex >= 0 ? this.gen.userId(this.gen.heavyIndex) : undefined;
  }

  get orgDomain(): string {
    return this.gen.orgDomain;
  }

  statusCounts(): Record<UserStatus, number> {
    const counts = Object.fromEntries(USER_STATUSES.map((s) => [s, 0])) as Record<
      UserStatus,
      number
    >;
    for (let i = 0; i < this.count; i++) {
      if (!this.deleted.has(i)) counts[USER_STATUSES[this.statuses[i]]]++;
    }
    return counts;
  }

  // ---- used by the server ----------------------------------------------------------------

  indexOf(id: string): number | undefined {
    const index = this.gen.userIndexOf(id, this.count);
    return index === undefined || this.deleted.has(index) ? undefined : index;
  }

  /** `GET /api/v1/users/{idOrLogin}` accepts a login too (case-insensitively, as Okta). */
  indexOfIdOrLogin(idOrLogin: string): number | undefined {
    const byId = this.indexOf(idOrLogin);
    if (byId !== undefined) return byId;
    const login = idOrLogin.toLowerCase();
    // Generated logins end in index+1 before the '@': try that before scanning everyone.
    const hint = /(\d+)(\+okta)?@/.exec(login);
    if (hint) {
      const i = Number(hint[1]) - 1;
      if (
        i >= 0 &&
        i < this.count &&
        !this.deleted.has(i) &&
        this.recordAt(i).profile.login.toLowerCase() === login
      )
        return i;
    }
    for (let i = 0; i < this.count; i++) {
      if (!this.deleted.has(i) && this.recordAt(i).profile.login.toLowerCase() === login) return i;
    }
    return undefined;
  }

  groupIndexOf(id: string): number | undefined {
    return this.groupIndexById.get(id);
  }

  /** The record of user `index` (generated, or the stored one if it was mutated). */
  recordAt(index: number): UserRecord {
    return this.overrides.get(index) ?? this.gen.user(index);
  }

  /**
   * One page of the users list after position `after` (-1 for the first page). Positions are
   * list order, which never changes: new users are appended, none are removed.
   */
  pageUsers(q: {
    after: number;
    limit: number;
    filter?: FilterNode;
    includeDeprovisioned: boolean;
  }): UserPage {
    const indices: number[] = [];
    const filter = q.filter;
    for (let i = Math.max(0, q.after + 1); i < this.count && indices.length <= q.limit; i++) {
      if (!q.includeDeprovisioned && this.statuses[i] === DEPROVISIONED_CODE) continue;
      if (this.deleted.has(i)) continue;
      if (filter) {
        let rec: UserRecord | undefined;
        const index = i;
        const get = (attr: string): unknown => {
          if (attr === 'status') return USER_STATUSES[this.statuses[index]];
          if (attr === 'lastUpdated') return this.lastUpdatedMs[index];
          if (attr === 'id') return this.gen.userId(index);
          rec ??= this.recordAt(index);
          return attributeOf(rec, attr);
        };
        if (!evaluate(filter, get)) continue;
      }
      indices.push(i);
    }
    const more = indices.length > q.limit;
    if (more) indices.length = q.limit;
    return { indices, more };
  }

  userJson(index: number, baseUrl = this.baseUrl, detailed = false): OktaUserJson {
    return this.userJsonOf(this.recordAt(index), baseUrl, detailed);
  }

  groupJson(groupIndex: number, baseUrl = this.baseUrl): OktaGroupJson {
    const g = this.gen.groups[groupIndex];
    const href = `${baseUrl}/api/v1/groups/${g.id}`;
    const links: OktaLinksJson = {
      logo: [
        {
          name: 'medium',
          href: `${baseUrl}/assets/img/logos/groups/okta-medium.png`,
          type: 'image/png',
        },
        {
          name: 'large',
          href: `${baseUrl}/assets/img/logos/groups/okta-large.png`,
          type: 'image/png',
        },
      ],
      users: { href: `${href}/users` },
      apps: { href: `${href}/apps` },
    };
    if (g.appId) links.source = { href: `${baseUrl}/api/v1/apps/${g.appId}` };
    return {
      id: g.id,
      created: oktaTime(g.created),
      lastUpdated: oktaTime(g.lastUpdated),
      lastMembershipUpdated: oktaTime(g.lastMembershipUpdated),
      objectClass: [g.type === 'APP_GROUP' ? 'okta:windows_security_principal' : 'okta:user_group'],
      type: g.type,
      profile: { name: g.name, description: g.description, ...g.extraProfile },
      _links: links,
    };
  }

  groupRolesJson(groupIndex: number, baseUrl = this.baseUrl): OktaRoleJson[] {
    const g = this.gen.groups[groupIndex];
    return g.roles.map((r) => roleJson(r, 'GROUP', `${baseUrl}/api/v1/groups/${g.id}`, baseUrl));
  }

  userFactorsJson(rec: UserRecord, baseUrl = this.baseUrl): OktaFactorJson[] {
    return rec.factors.map((f) => {
      const userHref = `${baseUrl}/api/v1/users/${rec.id}`;
      const self = `${userHref}/factors/${f.id}`;
      const links: OktaLinksJson = { self: { href: self, hints: { allow: ['GET', 'DELETE'] } } };
      if (f.status === 'PENDING_ACTIVATION') {
        links.activate = { href: `${self}/lifecycle/activate`, hints: { allow: ['POST'] } };
      } else if (f.status === 'ACTIVE') {
        links.verify = { href: `${self}/verify`, hints: { allow: ['POST'] } };
      }
      links.user = { href: userHref, hints: { allow: ['GET'] } };
      return {
        id: f.id,
        factorType: f.factorType,
        provider: f.provider,
        vendorName: f.vendorName,
        status: f.status,
        created: oktaTime(f.created),
        lastUpdated: oktaTime(f.lastUpdated),
        profile: { ...f.profile },
        _links: links,
      };
    });
  }

  userRolesJson(rec: UserRecord, baseUrl = this.baseUrl): OktaRoleJson[] {
    const userHref = `${baseUrl}/api/v1/users/${rec.id}`;
    const out = rec.roles.map((r) => roleJson(r, 'USER', userHref, baseUrl));
    for (const gi of rec.groups) {
      const g = this.gen.groups[gi];
      for (const r of g.roles)
        out.push(roleJson(r, 'GROUP', `${baseUrl}/api/v1/groups/${g.id}`, baseUrl));
    }
    return out;
  }

  // ---- internals -------------------------------------------------------------------------

  private recordOf(userId: string): UserRecord {
    const index = this.indexOf(userId);
    if (index === undefined) throw new Error(`No simulated user with id ${userId}`);
    return this.recordAt(index);
  }

  private userJsonOf(rec: UserRecord, baseUrl: string, detailed: boolean): OktaUserJson {
    const credentials: Record<string, unknown> = {};
    if (rec.hasPassword) credentials.password = {};
    const email = rec.profile.email;
    if (typeof email === 'string' && email.includes('@')) {
      credentials.emails = [{ value: email, status: 'VERIFIED', type: 'PRIMARY' }];
    }
    if (rec.hasRecoveryQuestion) {
      credentials.recovery_question = { question: 'What is the food you least liked as a child?' };
    }
    credentials.provider = { ...rec.credentialProvider };
    const self = `${baseUrl}/api/v1/users/${rec.id}`;
    const links: OktaLinksJson = { self: { href: self } };
    if (detailed) {
      // The single-user read lists the lifecycle operations the status allows, as Okta does.
      const lifecycle: Record<UserStatus, string[]> = {
        ACTIVE: ['suspend', 'deactivate', 'resetPassword', 'expirePassword'],
        PROVISIONED: ['reactivate', 'deactivate'],
        STAGED: ['activate', 'deactivate'],
        RECOVERY: ['deactivate', 'resetPassword'],
        PASSWORD_EXPIRED: ['deactivate', 'resetPassword'],
        LOCKED_OUT: ['unlock', 'deactivate', 'resetPassword'],
        SUSPENDED: ['unsuspend', 'deactivate'],
        DEPROVISIONED: ['activate'],
      };
      for (const op of lifecycle[rec.status]) {
        links[op] = { href: `${self}/lifecycle/${op.toLowerCase()}`, hints: { allow: ['POST'] } };
      }
      links.schema = { href: `${baseUrl}/api/v1/meta/schemas/user/osc${rec.typeId.slice(3)}` };
      links.type = { href: `${baseUrl}/api/v1/meta/types/user/${rec.typeId}` };
    }
    return {
      id: rec.id,
      status: rec.status,
      created: oktaTime(rec.created),
      activated: oktaTimeOrNull(rec.activated),
      statusChanged: oktaTimeOrNull(rec.statusChanged),
      lastLogin: oktaTimeOrNull(rec.lastLogin),
      lastUpdated: oktaTime(rec.lastUpdated),
      passwordChanged: oktaTimeOrNull(rec.passwordChanged),
      type: { id: rec.typeId },
      profile: copyProfile(rec.profile),
      credentials,
      _links: links,
    };
  }

  private save(rec: UserRecord, now: number): void {
    rec.lastUpdated = now;
    this.overrides.set(rec.index, rec);
    this.statuses[rec.index] = USER_STATUSES.indexOf(rec.status);
    this.lastUpdatedMs[rec.index] = now;
  }

  /** Stores a changed record without touching `lastUpdated` (membership, role, factor). */
  private keep(rec: UserRecord): void {
    this.overrides.set(rec.index, rec);
  }

  private ensureCapacity(n: number): void {
    if (n <= this.statuses.length) return;
    const size = Math.max(n, this.statuses.length * 2);
    const statuses = new Uint8Array(size);
    statuses.set(this.statuses);
    const lastUpdated = new Float64Array(size);
    lastUpdated.set(this.lastUpdatedMs);
    this.statuses = statuses;
    this.lastUpdatedMs = lastUpdated;
  }

  /** Up to `n` distinct non-deprovisioned users not in `exclude`, drawn from the seed. */
  private pickLiveUsers(n: number, exclude: ReadonlySet<number>): number[] {
    if (n === 0) return [];
    const live: number[] = [];
    for (let i = 0; i < this.count; i++) {
      if (this.statuses[i] !== DEPROVISIONED_CODE && !exclude.has(i) && !this.deleted.has(i))
        live.push(i);
    }
    const take = Math.min(n, live.length);
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(this.mutationRng.next() * (live.length - i));
      [live[i], live[j]] = [live[j], live[i]];
    }
    return live.slice(0, take).sort((a, b) => a - b);
  }

  private applyUpdate(rec: UserRecord, now: number): UserChange {
    const rng = this.mutationRng;
    const kinds: UserChange[] = ['name', 'groups', 'role', 'factor'];
    let kind = rng.pick(kinds);
    if (kind === 'groups' && (rec.index === this.gen.heavyIndex || this.groupCount < 2))
      kind = 'name';
    if (kind === 'role') {
      const groupAdmin = rec.groups.some((g) => this.gen.groups[g].roles.some(isActiveAdmin));
      if (groupAdmin) kind = 'name';
    }
    switch (kind) {
      case 'groups': {
        const removable = rec.groups.filter((g) => g !== 0);
        const [addable] = this.gen.sampleGroups(rng, 1, new Set(rec.groups));
        if (removable.length > 0 && (addable === undefined || rng.chance(0.5))) {
          const g = rng.pick(removable);
          rec.groups = rec.groups.filter((x) => x !== g);
          this.gen.groups[g].lastMembershipUpdated = now;
          this.logMembership('remove', rec, g);
        } else if (addable !== undefined) {
          rec.groups = [...rec.groups, addable].sort((a, b) => a - b);
          this.gen.groups[addable].lastMembershipUpdated = now;
          this.logMembership('add', rec, addable);
        }
        return 'groups';
      }
      case 'role': {
        if (rec.roles.some(isActiveAdmin)) {
          rec.roles = rec.roles.filter((r) => !isActiveAdmin(r));
          this.logUser('user.account.privilege.revoke', 'User privilege revoke', rec);
        } else {
          rec.roles = [
            ...rec.roles,
            this.gen.newRole(rng, rng.pick(GRANTED_ADMIN_TYPES), 'ACTIVE', now),
          ];
          this.logUser('user.account.privilege.grant', 'User privilege grant', rec);
        }
        return 'role';
      }
      case 'factor': {
        if (rec.factors.some((f) => f.status === 'ACTIVE')) {
          // An admin's "reset factors": the user loses its active MFA.
          rec.factors = rec.factors.filter((f) => f.status !== 'ACTIVE');
          this.logUser('user.mfa.factor.reset_all', 'Reset all factors for user', rec);
        } else {
          const pending = rec.factors.find((f) => f.status === 'PENDING_ACTIVATION');
          if (pending) {
            pending.status = 'ACTIVE';
            pending.lastUpdated = now;
          } else {
            rec.factors = [
              ...rec.factors,
              this.gen.newFactor(rng, 'token:software:totp', 'ACTIVE', now, rec.profile),
            ];
          }
          this.logUser('user.mfa.factor.activate', 'Activate factor for user', rec);
        }
        return 'factor';
      }
      case 'name':
      default: {
        const p = rec.profile;
        let last = rng.pick(NEW_LAST_NAMES);
        if (last === p.lastName) last = `${last}-${rng.pick(NEW_LAST_NAMES)}`;
        p.lastName = last;
        if (typeof p.firstName !== 'string' || p.firstName === '') p.firstName = 'Alex';
        p.displayName = `${p.firstName} ${last}`;
        return 'name';
      }
    }
  }
}

/** Profile values are JSON primitives or arrays of them: a shallow copy per array is a deep copy. */
function copyProfile(profile: OktaUserProfileJson): OktaUserProfileJson {
  const out: OktaUserProfileJson = { ...profile };
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = [...(v as unknown[])];
  return out;
}

function mutationCount(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MUTATION) {
    throw new RangeError(
      `mutate: ${field} must be an integer from 0 to ${MAX_MUTATION} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

/** A user attribute for `search` and `filter` (dates as epoch ms). */
function attributeOf(rec: UserRecord, attr: string): unknown {
  if (attr.startsWith('profile.')) return rec.profile[attr.slice(8)];
  if (attr === 'type.id') return rec.typeId;
  if (DATE_ATTRIBUTES.has(attr) || attr === 'status' || attr === 'id') {
    return rec[attr as keyof UserRecord];
  }
  return undefined;
}

function roleJson(
  r: RoleRecord,
  assignmentType: 'USER' | 'GROUP',
  assignee: string,
  baseUrl: string,
): OktaRoleJson {
  const json: OktaRoleJson = {
    id: r.id,
    label: r.label,
    type: r.type,
    status: r.status,
    created: oktaTime(r.created),
    lastUpdated: oktaTime(r.lastUpdated),
    assignmentType,
    _links: { assignee: { href: assignee } },
  };
  if (r.customRoleId && r.resourceSetId) {
    json.role = r.customRoleId;
    json['resource-set'] = r.resourceSetId;
    const set = `${baseUrl}/api/v1/iam/resource-sets/${r.resourceSetId}`;
    json._links = {
      assignee: { href: assignee },
      'resource-set': { href: set },
      role: { href: `${baseUrl}/api/v1/iam/roles/${r.customRoleId}` },
      permissions: { href: `${baseUrl}/api/v1/iam/roles/${r.customRoleId}/permissions` },
      member: { href: `${set}/bindings/${r.customRoleId}/members/${r.id}` },
    };
  }
  return json;
}

/** The simulator's own JSON always reduces; a null here is a bug of the simulator. */
function reduced<T>(reduce: (v: unknown) => T | null): (v: unknown) => T {
  return (v) => {
    const r = reduce(v);
    if (r === null) throw new Error('simulator produced a record the connector would drop');
    return r;
  };
}

/** The role type a change grants; a TypeError naming `roleType` unless it is a standard one. */
function changedRoleType(c: TenantChange): string {
  const t = (c as { roleType?: unknown }).roleType;
  if (typeof t !== 'string' || !/^[A-Z_]+$/.test(t) || t === 'CUSTOM')
    throw new TypeError('change.roleType must be a standard role type such as SUPER_ADMIN');
  return t;
}
