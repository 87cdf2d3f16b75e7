import { readRateLimitHeaders, type RateLimitObservation } from '../../../src/okta/headers';
import {
  AcquireAborted,
  RateLimiter,
  RateLimitWaitExceeded,
  type Permit,
  type WaitReason,
} from '../../../src/okta/rate-limiter';
import type { BucketId } from '../../../src/okta/buckets';
import { ManualClock } from './helpers';

/** Settles promise chains (several awaits deep) without moving the manual clock. */
async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

/** An observation as Okta would send it, `resetInMs` after the local time `at`, clocks in sync. */
function obs(
  at: number,
  o: { limit: number; remaining: number; resetInMs: number; status?: number },
): RateLimitObservation {
  const dateS = Math.floor(at / 1000);
  return readRateLimitHeaders(
    {
      date: new Date(dateS * 1000).toUTCString(),
      'x-rate-limit-limit': String(o.limit),
      'x-rate-limit-remaining': String(o.remaining),
      'x-rate-limit-reset': String(Math.ceil((at + o.resetInMs) / 1000)),
    },
    o.status ?? 200,
    at,
  );
}

/** Starts `n` acquires and returns the permits granted so far plus the pending ones. */
function acquireMany(limiter: RateLimiter, bucket: BucketId, n: number) {
  const granted: Permit[] = [];
  const promises = Array.from({ length: n }, () =>
    limiter.acquire(bucket).then((p) => {
      granted.push(p);
      return p;
    }),
  );
  return { granted, promises };
}

describe('readRateLimitHeaders', () => {
  const local = Date.UTC(2025, 5, 1, 12, 0, 0, 250);

  it('moves Reset onto the local clock using the Date header (clock skew)', () => {
    // Okta's clock is one hour and 5 s ahead of ours; Reset is 30 s after Okta's Date.
    const serverDateS = Math.floor((local + 3_605_000) / 1000);
    const o = readRateLimitHeaders(
      {
        date: new Date(serverDateS * 1000).toUTCString(),
        'x-rate-limit-limit': '600',
        'x-rate-limit-remaining': '599',
        'x-rate-limit-reset': String(serverDateS + 30),
      },
      200,
      local,
    );
    expect(o.resetAtMs).toBe(local + 30_000);
    expect(o.limit).toBe(600);
    expect(o.remaining).toBe(599);
    expect(o.serverDateMs).toBe(serverDateS * 1000);
    expect(o.concurrency).toBe(false);
  });

  it('takes the smallest Reset when the header is repeated, as a list or joined', () => {
    const dateS = Math.floor(local / 1000);
    const base = { date: new Date(dateS * 1000).toUTCString(), 'x-rate-limit-limit': '600' };
    const a = readRateLimitHeaders(
      { ...base, 'x-rate-limit-reset': [String(dateS + 40), String(dateS + 20)] },
      429,
      local,
    );
    const b = readRateLimitHeaders(
      { ...base, 'X-Rate-Limit-Reset': `${dateS + 40}, ${dateS + 20}, junk` },
      429,
      local,
    );
    expect(a.resetAtMs).toBe(local + 20_000);
    expect(b.resetAtMs).toBe(local + 20_000);
    expect(a.resetEpochSeconds).toBe(dateS + 20);
  });

  it('flags the concurrency 429 (Limit 0) and only on a 429', () => {
    const h = {
      'x-rate-limit-limit': '0',
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': '1',
    };
    expect(readRateLimitHeaders(h, 429, local).concurrency).toBe(true);
    expect(readRateLimitHeaders(h, 200, local).concurrency).toBe(false);
  });

  it('falls back to the raw Reset when Date is missing, and tolerates a joined Date', () => {
    const noDate = readRateLimitHeaders({ 'x-rate-limit-reset': '1750000000' }, 200, local);
    expect(noDate.resetAtMs).toBe(1_750_000_000_000);
    const dateS = Math.floor(local / 1000);
    const d = new Date(dateS * 1000).toUTCString();
    const joined = readRateLimitHeaders(
      { date: `${d}, ${d}`, 'x-rate-limit-reset': String(dateS + 5) },
      200,
      local,
    );
    expect(joined.resetAtMs).toBe(local + 5000);
    expect(readRateLimitHeaders({}, 200, local)).toMatchObject({
      limit: null,
      remaining: null,
      resetAtMs: null,
      serverDateMs: null,
    });
  });
});

describe('RateLimiter', () => {
  it('rejects a share outside (0, 1] and a bad maxInFlight, naming the option', () => {
    expect(() => new RateLimiter({ share: 0 })).toThrow(
      /share must be a number with 0 < share <= 1/,
    );
    expect(() => new RateLimiter({ share: 1.5 })).toThrow(/share/);
    expect(() => new RateLimiter({ share: Number.NaN })).toThrow(/share/);
    expect(() => new RateLimiter({ maxInFlight: 0 })).toThrow(/maxInFlight/);
    expect(new RateLimiter({ share: 1 }).share).toBe(1);
  });

  it('probes a bucket whose limits are unknown with one request before any other', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, maxInFlight: 10 });
    const { granted } = acquireMany(limiter, 'users-list', 5);
    await settle();
    expect(granted).toHaveLength(1);
    // Other buckets are not held up by this one's probe.
    const other = await limiter.acquire('api-v1');
    other.release(null);
    granted[0]!.release(obs(clock.now(), { limit: 100, remaining: 99, resetInMs: 30_000 }));
    await settle();
    expect(granted).toHaveLength(5);
    for (const p of granted.slice(1)) p.release(null);
  });

  it('spends at most share·limit per window, counting requests in flight as used', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, share: 0.5, maxInFlight: 1000 });
    const probe = await limiter.acquire('api-v1');
    probe.release(obs(clock.now(), { limit: 100, remaining: 99, resetInMs: 30_000 }));
    const { granted } = acquireMany(limiter, 'api-v1', 100);
    await settle();
    // 1 used + 49 in flight = 50 = share · limit.
    expect(granted).toHaveLength(49);
    expect(limiter.blockedUntil('api-v1')).not.toBeNull();
    // Completing requests frees nothing: Okta counts them as used.
    for (let i = 0; i < 10; i++) {
      granted[i]!.release(obs(clock.now(), { limit: 100, remaining: 98 - i, resetInMs: 30_000 }));
    }
    await settle();
    expect(granted).toHaveLength(49);
    for (const p of granted.slice(10)) p.release(null);
  });

  it("counts other integrations' use, as Okta reports it, against the share", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, share: 0.5, maxInFlight: 1000 });
    const probe = await limiter.acquire('groups');
    // Others have used 30 of 100 already, with our probe 31.
    probe.release(obs(clock.now(), { limit: 100, remaining: 69, resetInMs: 30_000 }));
    const { granted } = acquireMany(limiter, 'groups', 50);
    await settle();
    expect(granted).toHaveLength(19);
    for (const p of granted) p.release(null);
  });

  it('with share 1 never sends more than Remaining says is left', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, share: 1, maxInFlight: 1000 });
    const probe = await limiter.acquire('api-v1');
    probe.release(obs(clock.now(), { limit: 100, remaining: 3, resetInMs: 30_000 }));
    const { granted } = acquireMany(limiter, 'api-v1', 10);
    await settle();
    expect(granted).toHaveLength(3);
    for (const p of granted) p.release(null);
  });

  it('caps requests in flight across all buckets at maxInFlight', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, maxInFlight: 3 });
    const first = await limiter.acquire('api-v1');
    first.release(obs(clock.now(), { limit: 1000, remaining: 999, resetInMs: 30_000 }));
    const g = await limiter.acquire('groups');
    g.release(obs(clock.now(), { limit: 1000, remaining: 999, resetInMs: 30_000 }));
    const a = acquireMany(limiter, 'api-v1', 5);
    const b = acquireMany(limiter, 'groups', 5);
    await settle();
    expect(a.granted.length + b.granted.length).toBe(3);
    expect(limiter.snapshot().inFlight).toBe(3);
    a.granted[0]!.release(obs(clock.now(), { limit: 1000, remaining: 990, resetInMs: 30_000 }));
    await settle();
    expect(a.granted.length + b.granted.length).toBe(4);
    expect(limiter.snapshot().inFlight).toBe(3);
    for (const p of [...a.granted.slice(1), ...b.granted]) p.release(null);
    await settle();
    for (const p of [...a.granted, ...b.granted]) p.release(null);
  });

  it('serves priority waiters first, FIFO among themselves, when a slot frees up', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, maxInFlight: 1 });
    const ok = () => obs(clock.now(), { limit: 1000, remaining: 999, resetInMs: 30_000 });
    for (const b of ['api-v1', 'users-list'] as const) (await limiter.acquire(b)).release(ok());
    const busy = await limiter.acquire('api-v1');
    const order: string[] = [];
    const take = (name: string, bucket: BucketId, priority: boolean) =>
      limiter.acquire(bucket, { priority }).then((p) => {
        order.push(name);
        p.release(ok());
      });
    const waiting = [
      take('a1', 'api-v1', false),
      take('a2', 'api-v1', false),
      take('list1', 'users-list', true),
      take('a3', 'api-v1', false),
      take('list2', 'users-list', true),
    ];
    await settle();
    expect(order).toEqual([]);
    expect(limiter.snapshot().waiting).toBe(5);
    busy.release(ok());
    await Promise.all(waiting);
    expect(order).toEqual(['list1', 'list2', 'a1', 'a2', 'a3']);
  });

  it('waits for the reset, then probes the new window and spends it without idling', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, share: 0.5, maxInFlight: 1000 });
    const probe = await limiter.acquire('api-v1');
    probe.release(obs(clock.now(), { limit: 10, remaining: 5, resetInMs: 20_000 }));
    const { granted } = acquireMany(limiter, 'api-v1', 6);
    await settle();
    expect(granted).toHaveLength(0); // 5 of 10 used: the share is spent
    const resetAt = limiter.blockedUntil('api-v1');
    expect(resetAt).not.toBeNull();
    await clock.advance(resetAt! - clock.now() - 1);
    expect(granted).toHaveLength(0);
    await clock.advance(1);
    await settle();
    expect(granted).toHaveLength(1); // one probe into the new window
    granted[0]!.release(obs(clock.now(), { limit: 10, remaining: 9, resetInMs: 60_000 }));
    await settle();
    expect(granted).toHaveLength(5); // 1 used + 4 in flight = 5 = share · limit
    for (const p of granted.slice(1)) p.release(null);
  });

  it("rejects at once when the reset lies beyond the caller's wait budget", async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, share: 1 });
    const probe = await limiter.acquire('api-v1');
    probe.release(obs(clock.now(), { limit: 10, remaining: 0, resetInMs: 40_000, status: 429 }));
    const err = await limiter
      .acquire('api-v1', { waitUntilMs: clock.now() + 10_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitWaitExceeded);
    expect((err as RateLimitWaitExceeded).untilMs).toBeGreaterThan(clock.now() + 10_000);
    // Within budget it waits.
    let got = false;
    void limiter.acquire('api-v1', { waitUntilMs: clock.now() + 60_000 }).then((p) => {
      got = true;
      p.release(null);
    });
    await settle();
    expect(got).toBe(false);
    await clock.advance(41_000);
    await settle();
    expect(got).toBe(true);
  });

  it('reports waits through onWait, repeats them for heartbeats, and honours abort', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, share: 1, waitNotifyIntervalMs: 5000 });
    const probe = await limiter.acquire('api-v1');
    probe.release(obs(clock.now(), { limit: 10, remaining: 0, resetInMs: 30_000 }));
    const calls: [number, WaitReason][] = [];
    const ac = new AbortController();
    const p = limiter
      .acquire('api-v1', { signal: ac.signal, onWait: (ms, r) => calls.push([ms, r]) })
      .catch((e: unknown) => e);
    await settle();
    expect(calls).toHaveLength(1);
    expect(calls[0]![1]).toBe('window');
    expect(calls[0]![0]).toBeGreaterThan(25_000);
    expect(calls[0]![0]).toBeLessThanOrEqual(30_000);
    await clock.advance(12_000);
    expect(calls.length).toBe(3);
    expect(calls[2]![0]).toBe(calls[0]![0] - 10_000);
    ac.abort(new Error('cancelled by test'));
    const err = await p;
    expect(err).toBeInstanceOf(AcquireAborted);
    expect(((err as AcquireAborted).reason as Error).message).toBe('cancelled by test');
    expect(limiter.snapshot().waiting).toBe(0);
    await clock.advance(20_000);
    expect(calls.length).toBe(3); // no more notifications after the abort
  });

  it('shrinks the in-flight cap on a concurrency 429 and grows it back after quiet periods', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({
      clock,
      maxInFlight: 6,
      share: 1,
      concurrencyRecoveryMs: 5000,
    });
    const ok = () => obs(clock.now(), { limit: 10_000, remaining: 9_000, resetInMs: 600_000 });
    const probe = await limiter.acquire('api-v1');
    probe.release(ok());
    const { granted } = acquireMany(limiter, 'api-v1', 6);
    await settle();
    expect(granted).toHaveLength(6);
    const conc = readRateLimitHeaders(
      { 'x-rate-limit-limit': '0', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '1' },
      429,
      clock.now(),
    );
    granted[0]!.release(conc);
    granted[1]!.release(conc);
    // Refused at 6 then at 5 in flight: at most 4 from now on.
    expect(limiter.snapshot().concurrencyCap).toBe(4);
    // The concurrency 429 says nothing about the window: the bucket is not blocked.
    expect(limiter.blockedUntil('api-v1')).toBeNull();
    for (const p of granted.slice(2)) p.release(ok());
    expect(limiter.snapshot().concurrencyCap).toBe(4); // successes alone do not raise it
    const { granted: more } = acquireMany(limiter, 'api-v1', 6);
    await settle();
    expect(more).toHaveLength(4);
    await clock.advance(5000);
    more[0]!.release(ok());
    await settle();
    expect(limiter.snapshot().concurrencyCap).toBe(5);
    expect(limiter.snapshot().inFlight).toBe(5);
    await clock.advance(1000);
    more[1]!.release(ok());
    expect(limiter.snapshot().concurrencyCap).toBe(5); // one step per quiet period
    for (const p of more.slice(1)) p.release(ok());
  });

  it('ignores late answers about a window that is already over', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ clock, share: 1, maxInFlight: 100 });
    const probe = await limiter.acquire('api-v1');
    const t0 = clock.now();
    probe.release(obs(t0, { limit: 100, remaining: 90, resetInMs: 10_000 }));
    const late = await limiter.acquire('api-v1');
    await clock.advance(11_000);
    const next = await limiter.acquire('api-v1'); // probe of the new window
    next.release(obs(clock.now(), { limit: 100, remaining: 80, resetInMs: 60_000 }));
    // A response stamped with the previous window (remaining 1) arrives late: it must not block us.
    late.release(obs(t0, { limit: 100, remaining: 1, resetInMs: 10_000 }));
    expect(limiter.snapshot().buckets['api-v1']?.remaining).toBe(80);
  });
});

/**
 * A model of Okta's fixed windows, to check the limiter's whole behaviour deterministically: many
 * concurrent callers, request latency, Okta's clock ahead of ours, other integrations using the
 * same bucket. Everything runs on the manual clock.
 */
describe('RateLimiter against a model of Okta windows', () => {
  interface ModelResult {
    ours: Map<number, number>;
    total: Map<number, number>;
    rejected: number;
    elapsedMs: number;
  }

  async function runModel(o: {
    share: number;
    limit: number;
    windowMs: number;
    requests: number;
    workers: number;
    latencyMs: number;
    skewMs: number;
    othersPerWindow: number;
    /** Okta's real reset comes this long after the Reset it reports (rounded-down Reset). */
    lateResetMs?: number;
  }): Promise<ModelResult> {
    const clock = new ManualClock(Date.UTC(2025, 0, 1, 0, 0, 0, 123));
    const limiter = new RateLimiter({ clock, share: o.share, maxInFlight: o.workers });
    const ours = new Map<number, number>();
    const total = new Map<number, number>();
    let rejected = 0;
    const late = o.lateResetMs ?? 0;
    const hit = (): { status: number; headers: Record<string, string> } => {
      const serverNow = clock.now() + o.skewMs;
      const w = Math.floor((serverNow - late) / o.windowMs);
      const used = total.get(w) ?? o.othersPerWindow;
      const dateS = Math.floor(serverNow / 1000);
      const resetS = Math.floor(((w + 1) * o.windowMs) / 1000);
      const base = {
        date: new Date(dateS * 1000).toUTCString(),
        'x-rate-limit-limit': String(o.limit),
        'x-rate-limit-reset': String(resetS),
      };
      if (used >= o.limit) {
        rejected++;
        return { status: 429, headers: { ...base, 'x-rate-limit-remaining': '0' } };
      }
      total.set(w, used + 1);
      ours.set(w, (ours.get(w) ?? 0) + 1);
      return {
        status: 200,
        headers: { ...base, 'x-rate-limit-remaining': String(o.limit - used - 1) },
      };
    };
    const wait = (ms: number) => new Promise<void>((r) => clock.setTimer(r, ms));
    let left = o.requests;
    const start = clock.now();
    let done = 0;
    const worker = async (): Promise<void> => {
      while (left > 0) {
        left--;
        for (let attempt = 0; attempt < 10; attempt++) {
          const permit = await limiter.acquire('users-list');
          await wait(o.latencyMs / 2);
          const r = hit();
          await wait(o.latencyMs / 2);
          permit.release(readRateLimitHeaders(r.headers, r.status, clock.now()));
          if (r.status === 200) break;
        }
      }
      done++;
    };
    for (let i = 0; i < o.workers; i++) void worker();
    // Jump from timer to timer: the idle time up to a reset costs one step, not thousands.
    for (let i = 0; i < 100_000 && done < o.workers; i++) {
      const next = clock.nextTimerAt();
      await clock.advance(next === null ? 1 : Math.max(0, next - clock.now()));
    }
    expect(done).toBe(o.workers);
    return { ours, total, rejected, elapsedMs: clock.now() - start };
  }

  const windowsNeeded = (requests: number, perWindow: number) => Math.ceil(requests / perWindow);

  it('share 0.5: no 429, never over half of a window, no idling after resets', async () => {
    const r = await runModel({
      share: 0.5,
      limit: 100,
      windowMs: 60_000,
      requests: 500,
      workers: 10,
      latencyMs: 40,
      skewMs: 3_700,
      othersPerWindow: 0,
    });
    expect(r.rejected).toBe(0);
    for (const n of r.ours.values()) expect(n).toBeLessThanOrEqual(50);
    const sum = [...r.ours.values()].reduce((a, b) => a + b, 0);
    expect(sum).toBe(500);
    // 500 requests at 50 per window need 10 windows; the first may start late in its window, so
    // the run may touch one more, but it must not idle through any window it could have used.
    expect(r.ours.size).toBeLessThanOrEqual(windowsNeeded(500, 50) + 1);
    expect(r.elapsedMs).toBeLessThanOrEqual(windowsNeeded(500, 50) * 60_000);
  });

  it('leaves other integrations their part: our use plus theirs stays within the share', async () => {
    const r = await runModel({
      share: 0.5,
      limit: 100,
      windowMs: 60_000,
      requests: 200,
      workers: 10,
      latencyMs: 40,
      skewMs: -2_300,
      othersPerWindow: 30,
    });
    expect(r.rejected).toBe(0);
    for (const n of r.ours.values()) expect(n).toBeLessThanOrEqual(20);
    expect(r.ours.size).toBeLessThanOrEqual(windowsNeeded(200, 20) + 1);
  });

  it('share 1: uses whole windows without a single 429', async () => {
    const r = await runModel({
      share: 1,
      limit: 50,
      windowMs: 10_000,
      requests: 400,
      workers: 8,
      latencyMs: 30,
      skewMs: 900,
      othersPerWindow: 0,
    });
    expect(r.rejected).toBe(0);
    expect(r.ours.size).toBeLessThanOrEqual(windowsNeeded(400, 50) + 1);
  });

  it('short windows: the reset estimate does not drift late window after window', async () => {
    // Each window's budget is spent within a few round trips of its start, so no response of a
    // window arrives just after one of Okta's second ticks; an estimate taken from the window's
    // own responses only would start each window one round trip later than the one before.
    const r = await runModel({
      share: 0.5,
      limit: 20,
      windowMs: 1000,
      requests: 2000,
      workers: 10,
      latencyMs: 20,
      skewMs: 3_700,
      othersPerWindow: 0,
    });
    expect(r.rejected).toBe(0);
    for (const n of r.ours.values()) expect(n).toBeLessThanOrEqual(10);
    // 200 windows of 10: the first may be partial, none may be skipped.
    expect(r.elapsedMs).toBeLessThanOrEqual((windowsNeeded(2000, 10) + 1) * 1000);
  });

  it('learns an Okta whose real reset lags its Reset header, without a 429 storm', async () => {
    const r = await runModel({
      share: 1,
      limit: 50,
      windowMs: 10_000,
      requests: 600,
      workers: 8,
      latencyMs: 30,
      skewMs: 0,
      othersPerWindow: 0,
      lateResetMs: 700,
    });
    // Early probes may each meet a full window once or twice while the margin is learned.
    expect(r.rejected).toBeLessThanOrEqual(6);
    expect(r.ours.size).toBeLessThanOrEqual(windowsNeeded(600, 50) + 2);
  });
});
