/**
 * Golden tests: raw Okta responses (test/fixtures/okta, as Okta returns them) → the exact event
 * (test/fixtures/ocsf, written by hand from the mapping contract, not produced by this code).
 * Each test's name lists the contract rules its fixture exercises.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { mapUserToOcsf, toEnrichedUser } from '../../../src/ocsf/map-user';
import type { UserInventoryInfo } from '../../../src/ocsf/types';
import { eventErrors, OcsfValidationError, validateEvent } from '../../../src/ocsf/validate';
import type { EnrichmentKind } from '../../../src/okta/types';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const OKTA_DIR = path.join(FIXTURES, 'okta');
const OCSF_DIR = path.join(FIXTURES, 'ocsf');
// Distinct from every timestamp in the fixtures: an event showing it used the wrong fallback.
const DEFAULT_OBSERVED_AT_MS = 1_770_000_000_000;

interface RawCase {
  about: string;
  rules: string[];
  observedAtMs?: number;
  enrichmentErrors: EnrichmentKind[];
  user: unknown;
  groups: unknown;
  groupRoles: unknown;
  factors: unknown;
  roles: unknown;
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const names = readdirSync(OKTA_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();
const cases = names.map((name) => {
  const raw = readJson(path.join(OKTA_DIR, `${name}.json`)) as RawCase;
  return { name, raw, rules: raw.rules.join(' ') };
});

const CONTRACT_RULES = [
  'R1',
  'R2',
  'R3',
  'R4',
  ...Array.from({ length: 12 }, (_, i) => `U${i + 1}`),
  ...Array.from({ length: 5 }, (_, i) => `A${i + 1}`),
];

function mapRaw(raw: RawCase): UserInventoryInfo {
  const enriched = toEnrichedUser(
    raw.user,
    raw.groups,
    raw.groupRoles,
    raw.factors,
    raw.roles,
    raw.enrichmentErrors,
  );
  return mapUserToOcsf(enriched, { observedAtMs: raw.observedAtMs ?? DEFAULT_OBSERVED_AT_MS });
}

describe('golden fixtures', () => {
  test('every raw Okta fixture has exactly one expected event, and no expected event is orphaned', () => {
    const expected = readdirSync(OCSF_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
    expect(names.length).toBeGreaterThanOrEqual(15);
    expect(expected).toEqual(names);
  });

  test('together the fixtures exercise every rule of the contract (R1–R4, U1–U12, A1–A5)', () => {
    const covered = new Set(cases.flatMap((c) => c.raw.rules));
    expect(CONTRACT_RULES.filter((r) => !covered.has(r))).toEqual([]);
  });

  test.each(cases)('$name [$rules] maps to the hand-written event', ({ name, raw }) => {
    const expected = readJson(path.join(OCSF_DIR, `${name}.json`));
    const actual = mapRaw(raw);
    expect(actual).toStrictEqual(expected);
    // What a sink writes is JSON: nothing may be lost or changed by serialising it.
    expect(JSON.parse(JSON.stringify(actual))).toStrictEqual(actual);
  });

  test.each(cases)(
    '$name: the expected event and the mapped one are schema-valid',
    ({ name, raw }) => {
      const expected = readJson(path.join(OCSF_DIR, `${name}.json`));
      // The hand-written fixture is checked too: a wrong fixture must not pass silently.
      expect(eventErrors(expected)).toEqual([]);
      expect(() => validateEvent(mapRaw(raw))).not.toThrow();
    },
  );
});

describe('the validator rejects what the contract forbids, naming the user', () => {
  const valid = (): UserInventoryInfo =>
    readJson(path.join(OCSF_DIR, '01-active-super-admin.json')) as UserInventoryInfo;
  const UID = '00u1alice0000000001';

  function rejection(event: unknown): OcsfValidationError {
    try {
      validateEvent(event as UserInventoryInfo);
    } catch (err) {
      if (err instanceof OcsfValidationError) return err;
      throw err;
    }
    throw new Error('validateEvent accepted an invalid event');
  }

  test('R1: type_uid 5003002 (the product documentation’s value)', () => {
    const err = rejection({ ...valid(), type_uid: 5003002 });
    expect(err.userUid).toBe(UID);
    expect(err.message).toContain(UID);
    expect(err.message).toContain('/type_uid');
    expect(err.errors.some((e) => e.instancePath === '/type_uid')).toBe(true);
  });

  test('R2: a timestamp in seconds is impossible', () => {
    const event = valid();
    const err = rejection({ ...event, time: Math.floor(event.time / 1000) });
    expect(err.message).toContain(UID);
    expect(err.message).toMatch(/\/time .*seconds/);
  });

  test('R2: a timestamp in microseconds is impossible', () => {
    const event = valid();
    const err = rejection({ ...event, time: event.time * 1000 });
    expect(err.message).toContain(UID);
    expect(err.message).toContain('/time');
  });

  test('R2: a fractional time is not an integer millisecond', () => {
    const err = rejection({ ...valid(), time: 1614852930123.5 });
    expect(err.message).toContain('/time must be integer');
  });

  test('an invented top-level field (Okta status must go under unmapped.okta)', () => {
    const err = rejection({ ...valid(), okta_status: 'ACTIVE' });
    expect(err.message).toContain(UID);
    expect(err.message).toContain('must NOT have additional properties ("okta_status")');
  });

  test('an invented field inside user', () => {
    const event = valid();
    const err = rejection({ ...event, user: { ...event.user, status: 'ACTIVE' } });
    expect(err.errors).toContainEqual({
      instancePath: '/user',
      message: 'must NOT have additional properties ("status")',
    });
  });

  test('U8: a user.type_id outside the OCSF enum', () => {
    const event = valid();
    const err = rejection({ ...event, user: { ...event.user, type_id: 7 } });
    expect(err.message).toContain('/user/type_id');
  });

  test('a wrong OCSF version in metadata', () => {
    const event = valid();
    const err = rejection({ ...event, metadata: { ...event.metadata, version: '1.7.0' } });
    expect(err.message).toContain('/metadata/version');
  });

  test('an event without user.uid says so instead of naming a user', () => {
    const event = valid();
    const { uid: _uid, ...user } = event.user;
    const err = rejection({
      ...event,
      type_uid: 5003002,
      user: { ...user, account: { type: 'Okta Account', type_id: 99 } },
    });
    expect(err.userUid).toBeUndefined();
    expect(err.message).toContain('<no user.uid>');
  });
});
