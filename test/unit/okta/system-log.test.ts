/**
 * Issue 12: what the connector reads from a System Log event, and the query it builds.
 * Events are written by hand from Okta's documented event shape (okta-api-facts.md, System Log).
 */
import {
  ALL_EVENT_TYPES,
  eventTypeFilter,
  logSince,
  namedBy,
  reduceLogEvent,
  withinRetention,
} from '../../../src/okta/system-log';

const user = { id: '00uA', type: 'User', alternateId: 'a@x.test', displayName: 'A' };
const group = { id: '00gG', type: 'UserGroup', alternateId: 'unknown', displayName: 'Admins' };

function event(eventType: string, target: unknown[]): unknown {
  return {
    uuid: 'e1',
    published: '2026-01-15T12:00:00.000Z',
    eventType,
    displayMessage: 'x',
    actor: { id: '00uadmin', type: 'User' },
    target,
  };
}

describe('System Log events', () => {
  test('the user is the target of type User, whatever the order of targets', () => {
    for (const targets of [
      [group, user],
      [user, group],
    ]) {
      const e = reduceLogEvent(event('group.user_membership.add', targets))!;
      expect(namedBy(e)).toEqual({ userIds: ['00uA'], groupIds: [] });
    }
  });

  test('group privilege events name the group (expanded later), not a user', () => {
    const e = reduceLogEvent(event('group.privilege.grant', [group]))!;
    expect(namedBy(e)).toEqual({ userIds: [], groupIds: ['00gG'] });
  });

  test('every listed user event type names its user; other types name nobody', () => {
    for (const t of [
      'user.mfa.factor.deactivate',
      'user.mfa.factor.reset_all',
      'user.account.privilege.grant',
      'user.account.lock',
      'user.account.unlock_by_admin',
      'user.lifecycle.delete.completed',
    ]) {
      expect(namedBy(reduceLogEvent(event(t, [user]))!).userIds).toEqual(['00uA']);
    }
    // An org-wide factor setting is not a user change; a sign-in is not a change at all.
    for (const t of ['system.mfa.factor.activate', 'user.session.start']) {
      expect(namedBy(reduceLogEvent(event(t, [user]))!)).toEqual({ userIds: [], groupIds: [] });
    }
  });

  test('malformed events and targets name nothing and never throw', () => {
    expect(reduceLogEvent(null)).toBeNull();
    expect(reduceLogEvent([])).toBeNull();
    expect(reduceLogEvent({ target: [user] })).toBeNull();
    const e = reduceLogEvent(
      event('user.account.lock', [null, 'x', { id: 5, type: 'User' }, { id: '', type: 'User' }]),
    )!;
    expect(namedBy(e)).toEqual({ userIds: [], groupIds: [] });
    expect(reduceLogEvent({ eventType: 'user.account.lock', target: 'nope' })!.targets).toEqual([]);
  });

  test('the filter asks for exactly the event types, joined by or', () => {
    const f = eventTypeFilter();
    const asked = [...f.matchAll(/eventType eq "([^"]+)"/g)].map((m) => m[1]);
    expect(asked).toEqual([...ALL_EVENT_TYPES]);
    expect(f.split(' or ')).toHaveLength(ALL_EVENT_TYPES.length);
    // The minimum list.
    for (const t of [
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
      'user.lifecycle.deactivate',
      'group.privilege.grant',
      'group.privilege.revoke',
    ]) {
      expect(asked).toContain(t);
    }
    expect(() => eventTypeFilter(['bad" or x'])).toThrow(/not an Okta event type/);
  });

  test('since is the watermark less the margin; retention is 90 days with a day to spare', () => {
    expect(logSince('2026-01-15T12:00:00.000Z', 300_000)).toBe('2026-01-15T11:55:00.000Z');
    expect(() => logSince('yesterday', 0)).toThrow(/not a timestamp/);
    const now = Date.UTC(2026, 3, 1);
    expect(withinRetention(new Date(now - 88 * 86_400_000).toISOString(), now)).toBe(true);
    expect(withinRetention(new Date(now - 91 * 86_400_000).toISOString(), now)).toBe(false);
  });
});
