/**
 * What an incremental sync reads from Okta's System Log (`GET /api/v1/logs`): which event types
 * change what the inventory shows of a user, how to ask for them, and which users (or groups) an
 * event names.
 *
 * A user's `lastUpdated` is blind to group membership, admin roles and MFA factors (Okta does not
 * document that it moves for them, and its support articles say membership changes are not profile
 * updates); these events are how an incremental sync sees those changes.
 *
 * Events are untrusted input: nothing here throws on a malformed one, it simply names no user.
 */

/** Events whose `User` target is a user whose inventory event may have changed. */
export const USER_EVENT_TYPES: readonly string[] = [
  'group.user_membership.add',
  'group.user_membership.remove',
  'user.mfa.factor.activate',
  'user.mfa.factor.deactivate',
  'user.mfa.factor.reset_all',
  'user.mfa.factor.suspend',
  'user.mfa.factor.unsuspend',
  'user.mfa.factor.update',
  'user.account.privilege.grant',
  'user.account.privilege.revoke',
  'user.account.lock',
  'user.account.unlock',
  'user.account.unlock_by_admin',
  'user.lifecycle.create',
  'user.lifecycle.activate',
  'user.lifecycle.deactivate',
  'user.lifecycle.suspend',
  'user.lifecycle.unsuspend',
  'user.lifecycle.reactivate',
  'user.lifecycle.delete.initiated',
  'user.lifecycle.delete.completed',
];

/** Events that change every member of their `UserGroup` target (a role granted to the group). */
export const GROUP_EVENT_TYPES: readonly string[] = [
  'group.privilege.grant',
  'group.privilege.revoke',
];

export const ALL_EVENT_TYPES: readonly string[] = [...USER_EVENT_TYPES, ...GROUP_EVENT_TYPES];

/**
 * Okta keeps 90 days of System Log. A watermark older than this (less a day of safety, since the
 * log's oldest events go first) cannot be covered by the log: the sync runs full instead.
 */
export const SYSTEM_LOG_RETENTION_MS = 89 * 24 * 3600 * 1000;

/** The `filter` of the query: `eventType eq "…" or eventType eq "…"` over `types`. */
export function eventTypeFilter(types: readonly string[] = ALL_EVENT_TYPES): string {
  if (types.length === 0) throw new Error('eventTypeFilter needs at least one event type');
  return types
    .map((t) => {
      if (!/^[a-z0-9_.]+$/.test(t)) throw new Error(`not an Okta event type: ${JSON.stringify(t)}`);
      return `eventType eq "${t}"`;
    })
    .join(' or ');
}

/** What the connector keeps of one System Log event. */
export interface LogEvent {
  uuid: string | null;
  published: string | null;
  eventType: string;
  targets: Array<{ id: string; type: string }>;
}

/** Reduces one event of Okta's JSON; null when it has no event type (nothing to act on). */
export function reduceLogEvent(v: unknown): LogEvent | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const e = v as Record<string, unknown>;
  if (typeof e.eventType !== 'string' || e.eventType === '') return null;
  const targets: LogEvent['targets'] = [];
  if (Array.isArray(e.target)) {
    for (const t of e.target as unknown[]) {
      if (typeof t !== 'object' || t === null) continue;
      const { id, type } = t as Record<string, unknown>;
      if (typeof id === 'string' && id !== '' && typeof type === 'string')
        targets.push({ id, type });
    }
  }
  return {
    uuid: typeof e.uuid === 'string' ? e.uuid : null,
    published: typeof e.published === 'string' ? e.published : null,
    eventType: e.eventType,
    targets,
  };
}

/** The users and groups an event names: users read again, groups expanded to their members. */
export interface NamedByEvent {
  userIds: string[];
  groupIds: string[];
}

/**
 * The target whose `type` is `User` (Okta does not guarantee the order of targets), for the user
 * event types; the `UserGroup` target for the group privilege events. Other events name nothing.
 */
export function namedBy(event: LogEvent): NamedByEvent {
  if (USER_EVENT_TYPES.includes(event.eventType)) {
    return { userIds: idsOfType(event, 'User'), groupIds: [] };
  }
  if (GROUP_EVENT_TYPES.includes(event.eventType)) {
    return { userIds: [], groupIds: idsOfType(event, 'UserGroup') };
  }
  return { userIds: [], groupIds: [] };
}

function idsOfType(event: LogEvent, type: string): string[] {
  return [...new Set(event.targets.filter((t) => t.type === type).map((t) => t.id))];
}

/**
 * The log's `since` for a sync whose previous watermark is `watermark`: earlier by `marginMs`,
 * because an event can reach the log a little after it happened (and after that sync read it).
 * Reading an event twice is harmless: its user is read again.
 */
export function logSince(watermark: string, marginMs: number): string {
  const at = Date.parse(watermark);
  if (!Number.isFinite(at)) throw new Error(`watermark is not a timestamp: ${watermark}`);
  return new Date(at - marginMs).toISOString();
}

/** Whether the log still holds everything since `since` at `nowMs` (Okta keeps 90 days). */
export function withinRetention(since: string, nowMs: number): boolean {
  return nowMs - Date.parse(since) <= SYSTEM_LOG_RETENTION_MS;
}
