/**
 * Seeded pseudo-random numbers for the simulator. Everything the simulator invents — the tenant,
 * the order of mutations, the faults it injects — comes from here, so one seed always gives the
 * same tenant and the same behaviour (Math.random is never used).
 *
 * Each user draws from its own stream, keyed by (seed, index), so any user can be generated on
 * its own without generating the ones before it: that is what lets a tenant of a million users
 * live in a few typed arrays instead of a million objects.
 */

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** 32-bit avalanche of several integers (murmur3's finaliser over a running mix). */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A stable number for a label, so streams can be named ('users', 'faults', …). */
export function saltOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Cumulative weights, built once, so drawing from a table stays cheap in generation loops. */
export class WeightTable<T> {
  private readonly values: T[];
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.values = [];
    this.cumulative = [];
    let sum = 0;
    for (const [value, weight] of entries) {
      if (!(weight > 0)) continue;
      sum += weight;
      this.values.push(value);
      this.cumulative.push(sum);
    }
    if (this.values.length === 0) throw new RangeError('WeightTable needs a positive weight');
    this.total = sum;
  }

  draw(rng: Rng): T {
    const x = rng.next() * this.total;
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < c[mid]) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo];
  }
}

/** sfc32: small, fast, and good enough statistically for test data. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seedParts: number[]) {
    const s = hash32(...seedParts);
    this.a = hash32(s, 1);
    this.b = hash32(s, 2);
    this.c = hash32(s, 3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  alnum(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += ALNUM[Math.floor(this.next() * 62)];
    return s;
  }

  /** Upper-case letters and digits, as Okta's request and error ids use. */
  upperAlnum(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += ALNUM[Math.floor(this.next() * 36)];
    return s;
  }
}

/** Fixed-width base-62 whose string order equals numeric order (the alphabet is in ASCII order). */
export function base62(value: number, width: number): string {
  let s = '';
  let v = Math.floor(value);
  for (let i = 0; i < width; i++) {
    s = ALNUM[v % 62] + s;
    v = Math.floor(v / 62);
  }
  return s;
}

export function fromBase62(text: string): number | undefined {
  let v = 0;
  for (const ch of text) {
    const d = ALNUM.indexOf(ch);
    if (d < 0) return undefined;
    v = v * 62 + d;
  }
  return v;
}
