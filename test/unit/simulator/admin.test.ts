/**
 * The `/__sim/` admin endpoints another process uses to drive a running simulator: no auth, never
 * counted in stats, never rate limited, and clear 400s on bad input.
 */
import {
  OktaSimulator,
  type MutationResult,
  type OktaUserJson,
  type SimulatorStats,
} from '../../../src/simulator';
import { api, json, manualClock, pages, request } from './http';

describe('/__sim admin endpoints', () => {
  let sim: OktaSimulator;
  const clock = manualClock();
  beforeAll(async () => {
    sim = await OktaSimulator.start({
      users: 120,
      groups: 20,
      seed: 8,
      clock: clock.now,
      rateLimits: { 'users-list': 2 },
    });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await request(`${sim.url}/__sim/reset-stats`, { method: 'POST' });
  });

  test('stats and reset-stats are not counted, need no token and are never rate limited', async () => {
    await api(`${sim.url}/api/v1/users?limit=1`);
    for (let i = 0; i < 5; i++) {
      const r = await request(`${sim.url}/__sim/stats`);
      expect(r.status).toBe(200);
      expect(r.headers['x-rate-limit-limit']).toBeUndefined();
    }
    const stats = json<SimulatorStats>(await request(`${sim.url}/__sim/stats`));
    expect(stats.requests).toBe(1);
    expect(stats.byEndpoint).toEqual({ 'GET /api/v1/users': 1 });
    expect(stats).toEqual(sim.stats());

    const after = json<SimulatorStats>(
      await request(`${sim.url}/__sim/reset-stats`, { method: 'POST' }),
    );
    expect([after.requests, after.byStatus, after.peakWindowUse]).toEqual([0, {}, {}]);
  });

  test('mutate applies the change and returns the ids, visible through the API', async () => {
    clock.advance(10_000);
    const before = new Date(clock.now() - 1).toISOString();
    const r = await request(`${sim.url}/__sim/mutate`, {
      method: 'POST',
      body: { update: 3, create: 2, deprovision: 1 },
    });
    expect(r.status).toBe(200);
    const m = json<MutationResult>(r);
    expect([m.updated.length, m.created.length, m.deprovisioned.length]).toEqual([3, 2, 1]);
    sim.setRateLimits({ 'users-list': 100 });
    const changed = (
      await pages<OktaUserJson>(
        `${sim.url}/api/v1/users?filter=${encodeURIComponent(`lastUpdated gt "${before}"`)}`,
      )
    )
      .flatMap((p) => p.items)
      .map((u) => u.id);
    // As in Okta, only a name change (of the updates) moves lastUpdated; membership, role and
    // factor changes are in the System Log instead.
    const renamed = m.changes.filter((c) => c.change === 'name').map((c) => c.id);
    expect(changed.sort()).toEqual([...renamed, ...m.created, ...m.deprovisioned].sort());
    sim.setRateLimits({ 'users-list': 2 });

    for (const bad of [{ update: -1 }, { create: 1.5 }, { remove: 3 }, [1]]) {
      const res = await request(`${sim.url}/__sim/mutate`, { method: 'POST', body: bad });
      expect(res.status).toBe(400);
      expect(json<{ error: string }>(res).error).toMatch(/update|create|remove|object/);
    }
  });

  test('faults, rate-limits, concurrency-limit and token change a running simulator', async () => {
    const faults = await request(`${sim.url}/__sim/faults`, {
      method: 'POST',
      body: { rate503: 1 },
    });
    expect(json(faults)).toEqual({ faults: { rate503: 1 } });
    expect((await api(`${sim.url}/api/v1/users/${sim.tenant.heavyUserId}/roles`)).status).toBe(503);
    await request(`${sim.url}/__sim/faults`, { method: 'POST', body: {} });
    const bad = await request(`${sim.url}/__sim/faults`, { method: 'POST', body: { rate503: 3 } });
    expect([bad.status, json<{ error: string }>(bad).error]).toEqual([
      400,
      expect.stringContaining('rate503'),
    ]);

    const limits = await request(`${sim.url}/__sim/rate-limits`, {
      method: 'POST',
      body: { 'api-v1': 1 },
    });
    expect(json<{ rateLimits: Record<string, number> }>(limits).rateLimits).toMatchObject({
      'api-v1': 1,
      'users-list': 2,
    });
    const id = sim.tenant.heavyUserId!;
    clock.advance(60_000);
    expect((await api(`${sim.url}/api/v1/users/${id}/factors`)).status).toBe(200);
    expect((await api(`${sim.url}/api/v1/users/${id}/factors`)).status).toBe(429);
    const badBucket = await request(`${sim.url}/__sim/rate-limits`, {
      method: 'POST',
      body: { nope: 1 },
    });
    expect([badBucket.status, json<{ error: string }>(badBucket).error]).toEqual([
      400,
      expect.stringContaining('nope is not a bucket'),
    ]);
    await request(`${sim.url}/__sim/rate-limits`, { method: 'POST', body: { 'api-v1': 1200 } });

    const conc = await request(`${sim.url}/__sim/concurrency-limit`, {
      method: 'POST',
      body: { limit: 0 },
    });
    expect(json(conc)).toEqual({ concurrencyLimit: 0 });

    const tok = await request(`${sim.url}/__sim/token`, {
      method: 'POST',
      body: { token: 'next-token' },
    });
    expect(json(tok)).toEqual({ ok: true });
    clock.advance(60_000);
    expect((await api(`${sim.url}/api/v1/users/${id}/roles`)).status).toBe(401);
    expect((await api(`${sim.url}/api/v1/users/${id}/roles`, 'next-token')).status).toBe(200);
    const badTok = await request(`${sim.url}/__sim/token`, {
      method: 'POST',
      body: { token: 'with space' },
    });
    expect(badTok.status).toBe(400);
    expect(badTok.body).not.toContain('with space');
    await request(`${sim.url}/__sim/token`, { method: 'POST', body: { token: 'sim-token' } });
  });

  test('info and enriched describe the tenant; unknown endpoints and methods are refused', async () => {
    const info = json<Record<string, unknown>>(await request(`${sim.url}/__sim/info`));
    expect(info).toMatchObject({
      url: sim.url,
      seed: 8,
      groups: 20,
      heavyUserId: sim.tenant.heavyUserId,
    });
    const id = sim.tenant.listUsers()[5].id;
    const enriched = await request(`${sim.url}/__sim/users/${id}/enriched`);
    expect(json(enriched)).toEqual(sim.tenant.enriched(id));
    expect((await request(`${sim.url}/__sim/users/00unope/enriched`)).status).toBe(404);
    expect((await request(`${sim.url}/__sim/nothing`)).status).toBe(404);
    expect((await request(`${sim.url}/__sim/mutate`)).status).toBe(405);
    const notJson = await new Promise<number>((resolve, reject) => {
      // A body that is not JSON at all.
      import('node:http')
        .then(({ default: http }) => {
          const req = http.request(
            `${sim.url}/__sim/mutate`,
            { method: 'POST', agent: false },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end('{not json');
        })
        .catch(reject);
    });
    expect(notJson).toBe(400);
    expect(sim.stats().requests).toBe(0);
  });
});
