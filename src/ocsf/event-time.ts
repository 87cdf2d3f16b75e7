/**
 * Event time rules shared by the mapping and the validator (contract rule R2).
 *
 * The schema only says `time` is an integer, so a timestamp in seconds (1.7e9 today) or in
 * microseconds (1.7e15) would pass it while reading as January 1970 or the year 55000. Okta was
 * founded in 2009, so no Okta timestamp precedes 2000-01-01; and ISO 8601 ends at year 9999.
 * Inside that window a seconds or microseconds value is impossible.
 */

/** 2000-01-01T00:00:00.000Z */
export const MIN_EVENT_TIME_MS = 946_684_800_000;
/** 9999-12-31T23:59:59.999Z */
export const MAX_EVENT_TIME_MS = 253_402_300_799_999;

export function isPlausibleEventTimeMs(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= MIN_EVENT_TIME_MS &&
    value <= MAX_EVENT_TIME_MS
  );
}

// Okta writes `2013-07-02T21:36:25.344Z`; offsets and other fraction lengths are accepted too.
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an ISO 8601 date-time with a zone, or `undefined` when the value
 * is not one or falls outside the plausible window. Stricter than `Date.parse`, which accepts
 * `2020-02-30` (as March 1st), bare dates (as local midnight) and free text.
 */
export function parseOktaTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ISO_TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  // Millisecond resolution: extra fraction digits are truncated, never rounded into the next ms.
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offHours = Number(m[9]);
    const offMinutes = Number(m[10]);
    if (offHours > 23 || offMinutes > 59) return undefined;
    offsetMinutes = (m[8]?.startsWith('-') ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return isPlausibleEventTimeMs(ms) ? ms : undefined;
}
