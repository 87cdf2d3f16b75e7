import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { toEnrichedUser } from '../../../src/ocsf/map-user';

const raw = JSON.parse(
  readFileSync(
    path.join(__dirname, '..', '..', 'fixtures', 'okta', '07-admin-through-group.json'),
    'utf8',
  ),
) as Record<string, unknown>;

describe('toEnrichedUser: raw Okta JSON → the reduced shapes', () => {
  const reduced = toEnrichedUser(raw.user, raw.groups, raw.groupRoles, raw.factors, raw.roles);

  test('keeps what the mapping reads and drops the rest (_links, credentials, custom profile)', () => {
    expect(reduced.user).toStrictEqual({
      id: '00u7fatima000000007',
      status: 'ACTIVE',
      created: '2018-05-05T05:05:05.050Z',
      activated: '2018-05-05T05:05:05.050Z',
      statusChanged: null,
      lastLogin: '2026-01-05T11:11:11.000Z',
      lastUpdated: '2018-05-05T05:05:05.050Z',
      passwordChanged: null,
      profile: {
        login: 'fatima@acme.example',
        email: 'fatima@acme.example',
        firstName: 'Fatima',
        lastName: 'Zahra',
        displayName: 'Fatima Zahra',
      },
    });
    expect(reduced.groups[1]).toStrictEqual({
      id: '00g7itadmins0000007',
      type: 'OKTA_GROUP',
      profile: { name: 'IT Admins', description: 'Organization administrators' },
    });
    expect(reduced.roles).toStrictEqual([
      {
        id: 'ra7orgadmin00000007',
        label: 'Organizational Administrator',
        type: 'ORG_ADMIN',
        status: 'ACTIVE',
        assignmentType: 'GROUP',
      },
    ]);
    expect(reduced.factors).toStrictEqual([
      { id: 'opf7push00000000007', factorType: 'push', provider: 'OKTA', status: 'ACTIVE' },
    ]);
    expect(Object.keys(reduced.groupRoles).sort()).toEqual([
      '00g0everyone0000001',
      '00g7itadmins0000007',
    ]);
    expect(reduced.enrichmentErrors).toEqual([]);
  });

  test('a field of the wrong JSON type is dropped, a null is kept', () => {
    const r = toEnrichedUser(
      { id: '00u1', status: 3, lastLogin: null, profile: { login: ['x'], email: null } },
      [{ id: '00g1', profile: null }],
      null,
      [],
      [],
      ['factors'],
    );
    expect(r.user).toStrictEqual({ id: '00u1', lastLogin: null, profile: { email: null } });
    expect(r.groups).toStrictEqual([{ id: '00g1', profile: null }]);
    expect(r.groupRoles).toStrictEqual({});
    expect(r.enrichmentErrors).toEqual(['factors']);
  });

  test.each([
    [[null, [], {}, [], []], /^user: expected an object, got null$/],
    [[{ id: '' }, [], {}, [], []], /^user\.id: expected a non-empty string/],
    [[{ id: 'u' }, {}, {}, [], []], /^groups: expected an array, got object$/],
    [
      [{ id: 'u' }, [{ id: 'g' }, { name: 'x' }], {}, [], []],
      /^groups\[1\]\.id: expected a non-empty string, got undefined$/,
    ],
    [[{ id: 'u' }, [], { g: 'x' }, [], []], /^groupRolesById\.g: expected an array/],
    [[{ id: 'u' }, [], {}, [7], []], /^factors\[0\]: expected an object, got number$/],
    [
      [{ id: 'u' }, [], {}, [], [{ id: 5 }]],
      /^roles\[0\]\.id: expected a non-empty string, got number$/,
    ],
  ])('unusable shapes throw a TypeError naming the field: %#', (args, message) => {
    const [u, g, gr, f, r] = args as unknown[];
    expect(() => toEnrichedUser(u, g, gr, f, r)).toThrow(TypeError);
    expect(() => toEnrichedUser(u, g, gr, f, r)).toThrow(message);
  });
});
