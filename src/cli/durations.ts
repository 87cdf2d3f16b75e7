/**
 * Durations as operators write them: `90s`, `15m`, `1h30m`, `2d`. Strict on purpose: a typo in
 * a schedule interval must be an error, not a sync every millisecond.
 */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(raw: string, what: string): number {
  const text = raw.trim();
  const re = /(\d+)([smhd])/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) {
    throw new DurationError(
      `${what}: expected a duration such as 30s, 15m, 1h30m or 1d, got "${raw}"`,
    );
  }
  if (total < 1000) throw new DurationError(`${what}: must be at least 1s, got "${raw}"`);
  return total;
}

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', sec || (!h && !m) ? `${sec}s` : ''].join('');
}
