/**
 * The liveness heartbeat (src/activities/liveness.ts): an activity that waits on something
 * slow still heartbeats, so a short heartbeat timeout notices dead workers only; the timer never
 * erases the checkpoint details an activity (or its previous attempt) left.
 */
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { withLivenessHeartbeat } from '../../../src/activities/liveness';

const INTERVAL_MS = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function recordHeartbeats(env: MockActivityEnvironment): unknown[] {
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return beats;
}

describe('withLivenessHeartbeat', () => {
  test('heartbeats while a silent activity waits, and stops when it returns', async () => {
    const acts = withLivenessHeartbeat(
      {
        async slow(ms: number): Promise<string> {
          await sleep(ms);
          return 'done';
        },
      },
      INTERVAL_MS,
    );
    const env = new MockActivityEnvironment();
    const beats = recordHeartbeats(env);
    await expect(env.run(acts.slow, INTERVAL_MS * 10)).resolves.toBe('done');
    expect(beats.length).toBeGreaterThanOrEqual(3);
    const after = beats.length;
    await sleep(INTERVAL_MS * 5);
    expect(beats.length).toBe(after);
  });

  test('repeats the latest details the activity gave, not empty ones', async () => {
    const acts = withLivenessHeartbeat(
      {
        async checkpointing(): Promise<void> {
          Context.current().heartbeat({ delivered: 100 });
          await sleep(INTERVAL_MS * 6);
        },
      },
      INTERVAL_MS,
    );
    const env = new MockActivityEnvironment();
    const beats = recordHeartbeats(env);
    await env.run(acts.checkpointing);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    for (const b of beats) expect(b).toEqual({ delivered: 100 });
  });

  test("keeps the previous attempt's checkpoint until the activity gives a new one", async () => {
    const acts = withLivenessHeartbeat(
      {
        async resuming(): Promise<unknown> {
          await sleep(INTERVAL_MS * 4);
          const resumedFrom = Context.current().info.heartbeatDetails;
          Context.current().heartbeat({ delivered: 150 });
          await sleep(INTERVAL_MS * 4);
          return resumedFrom;
        },
      },
      INTERVAL_MS,
    );
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { delivered: 50 } });
    const beats = recordHeartbeats(env);
    await expect(env.run(acts.resuming)).resolves.toEqual({ delivered: 50 });
    const newAt = beats.findIndex((b) => JSON.stringify(b) === '{"delivered":150}');
    expect(newAt).toBeGreaterThan(0);
    for (const b of beats.slice(0, newAt)) expect(b).toEqual({ delivered: 50 });
    for (const b of beats.slice(newAt)) expect(b).toEqual({ delivered: 150 });
  });

  test('passes frequent heartbeats on at most once per interval, and the last one at the end', async () => {
    const acts = withLivenessHeartbeat(
      {
        async chatty(): Promise<void> {
          Context.current().heartbeat({ done: 0 });
          for (let i = 1; i <= 100; i++) Context.current().heartbeat({ done: i });
          throw new Error('sink outage');
        },
      },
      60_000,
    );
    const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const beats = recordHeartbeats(env);
    await expect(env.run(acts.chatty)).rejects.toThrow('sink outage');
    // The first at once; the latest — the checkpoint a retry resumes from — as the attempt ends.
    expect(beats).toEqual([{ done: 0 }, { done: 100 }]);
  });

  test('passes results and errors through, and leaves the context as it found it', async () => {
    const boom = new Error('boom');
    const acts = withLivenessHeartbeat(
      {
        async fails(): Promise<void> {
          throw boom;
        },
        async add(a: number, b: number): Promise<number> {
          return a + b;
        },
      },
      INTERVAL_MS,
    );
    // The failing activity's "Activity failed" log is expected here, not news.
    const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const original = env.context.heartbeat;
    await expect(env.run(acts.fails)).rejects.toBe(boom);
    await expect(env.run(acts.add, 2, 3)).resolves.toBe(5);
    expect(env.context.heartbeat).toBe(original);
  });

  test('runs as is outside an activity', async () => {
    const acts = withLivenessHeartbeat({
      async one(): Promise<number> {
        return 1;
      },
    });
    await expect(acts.one()).resolves.toBe(1);
  });
});
