/**
 * The filter/search language (precedence, what `filter` refuses that `search` allows) and the
 * opaque cursors, without HTTP.
 */
import { CursorCodec } from '../../../src/simulator/cursor';
import { evaluate, FilterError, parseFilter } from '../../../src/simulator/filter';

describe('filter expressions', () => {
  const user: Record<string, unknown> = {
    status: 'ACTIVE',
    id: '00uABC',
    lastUpdated: Date.parse('2024-05-01T00:00:00.000Z'),
    lastLogin: null,
    'profile.login': 'Ana.Ruiz@Example.com',
    'profile.department': 'IT',
    'profile.clearanceLevel': 3,
    'profile.isContractor': false,
  };
  const matches = (text: string, mode: 'filter' | 'search' = 'filter'): boolean =>
    evaluate(parseFilter(text, mode), (a) => user[a]);

  test('comparisons, case-insensitive profile strings, and/or precedence, parentheses', () => {
    expect(matches('status eq "ACTIVE"')).toBe(true);
    expect(matches('status eq "active"')).toBe(false);
    expect(matches('profile.login eq "ana.ruiz@example.com"')).toBe(true);
    expect(matches('lastUpdated gt "2024-04-30T23:59:59.999Z"')).toBe(true);
    expect(matches('lastUpdated gt "2024-05-01T00:00:00.000Z"')).toBe(false);
    expect(matches('lastUpdated ge "2024-05-01T02:00:00.000+02:00"')).toBe(true);
    expect(matches('status eq "X" or status eq "ACTIVE" and id eq "nope"')).toBe(false);
    expect(matches('(status eq "X" or status eq "ACTIVE") and id eq "00uABC"')).toBe(true);
    // Operators and keywords ignore case; attribute names do not.
    expect(matches('status EQ "ACTIVE" AND id eq "00uABC"')).toBe(true);
    expect(() => matches('STATUS eq "ACTIVE"')).toThrow(FilterError);
  });

  test('search reaches any attribute with more operators', () => {
    expect(matches('profile.department sw "I"', 'search')).toBe(true);
    expect(matches('profile.login co "RUIZ"', 'search')).toBe(true);
    expect(matches('profile.clearanceLevel gt 2', 'search')).toBe(true);
    expect(matches('profile.isContractor eq false', 'search')).toBe(true);
    expect(matches('lastLogin pr', 'search')).toBe(false);
    expect(matches('not (status eq "ACTIVE")', 'search')).toBe(false);
    expect(matches('status ne "SUSPENDED"', 'search')).toBe(true);
  });

  test.each([
    ['profile.department eq "IT"', 'E0000031'],
    ['lastLogin pr', 'E0000031'],
    ['status sw "A"', 'E0000031'],
    ['not status eq "ACTIVE"', 'E0000031'],
    ['status eq 1', 'E0000031'],
    ['', 'E0000031'],
    ['status eq "ACTIVE" status eq "X"', 'E0000031'],
    ['id eq "unterminated', 'E0000031'],
    ['lastUpdated gt "2024-13-01T00:00:00.000Z"', 'E0000030'],
    ['lastUpdated gt "2024-05-01"', 'E0000030'],
  ])('filter %j is refused with %s', (text, code) => {
    let caught: unknown;
    try {
      parseFilter(text, 'filter');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FilterError);
    expect((caught as FilterError).errorCode).toBe(code);
  });
});

describe('cursors', () => {
  const codec = new CursorCodec(1);

  test('round-trip, are stable, and differ per position and per listing', () => {
    for (const pos of [0, 1, 199, 123_456_789])
      expect(codec.decode('users', codec.encode('users', pos))).toBe(pos);
    expect(codec.encode('users', 5)).toBe(codec.encode('users', 5));
    expect(codec.encode('users', 5)).not.toBe(codec.encode('users', 6));
    expect(codec.decode('groups:00u1', codec.encode('users', 5))).toBeUndefined();
    expect(new CursorCodec(2).decode('users', codec.encode('users', 5))).toBeUndefined();
  });

  test('any single-character change is refused', () => {
    const c = codec.encode('users', 4242);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < c.length; i++) {
      const other = alphabet[(alphabet.indexOf(c[i]) + 1) % alphabet.length];
      const forged = c.slice(0, i) + other + c.slice(i + 1);
      const decoded = codec.decode('users', forged);
      // base64url's last character carries padding bits; a change there may decode to the same bytes.
      if (decoded !== undefined) expect([i, decoded]).toEqual([c.length - 1, 4242]);
    }
    for (const junk of ['', '====', 'not a cursor', 'A'.repeat(200)])
      expect(codec.decode('users', junk)).toBeUndefined();
  });
});
