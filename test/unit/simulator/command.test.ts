/**
 * `okta-ocsf simulate`: option validation naming the option, the start banner (org URL and token),
 * options reaching the simulator, and a clean stop on a shutdown signal.
 */
import { CommanderError } from 'commander';
import { simulateCommand, type SimulateIo } from '../../../src/simulator/command';
import type { OktaSimulator } from '../../../src/simulator';
import { api } from './http';

function harness(): {
  io: Partial<SimulateIo>;
  out: string[];
  err: string[];
  exitCodes: number[];
  stop: (reason: string) => void;
  listening: Promise<OktaSimulator>;
} {
  const out: string[] = [];
  const err: string[] = [];
  const exitCodes: number[] = [];
  let stop: (reason: string) => void = () => undefined;
  let onListening: (sim: OktaSimulator) => void = () => undefined;
  const listening = new Promise<OktaSimulator>((resolve) => (onListening = resolve));
  return {
    io: {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      waitForShutdown: () => new Promise((resolve) => (stop = resolve)),
      onListening: (sim) => onListening(sim),
      setExitCode: (c) => exitCodes.push(c),
    },
    out,
    err,
    exitCodes,
    stop: (reason) => stop(reason),
    listening,
  };
}

async function parseError(args: string[]): Promise<string> {
  const cmd = simulateCommand(harness().io);
  const written: string[] = [];
  cmd
    .exitOverride()
    .configureOutput({ writeErr: (s) => written.push(s), writeOut: (s) => written.push(s) });
  try {
    await cmd.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return written.join('') || e.message;
    throw e;
  }
  throw new Error(`expected ${args.join(' ')} to be refused`);
}

describe('okta-ocsf simulate', () => {
  test('--help lists every option and the admin endpoints', async () => {
    const help = simulateCommand(harness().io).helpInformation();
    for (const flag of [
      '--port',
      '--host',
      '--users',
      '--groups',
      '--seed',
      '--latency-ms',
      '--rate-limit <n>',
      '--rate-limit-bucket <bucket=n>',
      '--rate-window-ms',
      '--concurrency-limit',
      '--fault-rate',
      '--token',
      '--heavy-user-groups',
    ]) {
      expect(help).toContain(flag);
    }
    const cmd = simulateCommand(harness().io);
    const written: string[] = [];
    cmd.exitOverride().configureOutput({ writeOut: (s) => written.push(s) });
    await expect(cmd.parseAsync(['--help'], { from: 'user' })).rejects.toBeInstanceOf(
      CommanderError,
    );
    expect(written.join('')).toContain('/__sim/mutate');
  });

  test.each([
    [['--port', '70000'], '--port'],
    [['--port', 'abc'], '--port'],
    [['--users', '-5'], '--users'],
    [['--groups', '0'], '--groups'],
    [['--seed', '1.5'], '--seed'],
    [['--latency-ms', 'x'], '--latency-ms'],
    [['--rate-limit', '0'], '--rate-limit'],
    [['--rate-limit-bucket', 'users=5'], '--rate-limit-bucket'],
    [['--rate-limit-bucket', 'users-list'], '--rate-limit-bucket'],
    [['--rate-window-ms', '0'], '--rate-window-ms'],
    [['--concurrency-limit', '-1'], '--concurrency-limit'],
    [['--fault-rate', '1.5'], '--fault-rate'],
    [['--token', 'a b'], '--token'],
    [['--host', 'bad host!'], '--host'],
  ])('refuses %j naming %s', async (args, option) => {
    const message = await parseError(args);
    expect(message).toContain(option);
    expect(message).toMatch(/invalid/i);
  });

  test('starts with the given options, prints the org URL and token, and stops on a signal', async () => {
    const h = harness();
    const done = simulateCommand(h.io).parseAsync(
      [
        '--port',
        '0',
        '--users',
        '40',
        '--groups',
        '12',
        '--seed',
        '4',
        '--token',
        'cli-token',
        '--rate-limit',
        '500',
        '--rate-limit-bucket',
        'users-list=7',
        '--rate-limit-bucket',
        'groups=9',
        '--rate-window-ms',
        '1000',
        '--concurrency-limit',
        '5',
        '--fault-rate',
        '0.3',
        '--heavy-user-groups',
        '10',
      ],
      { from: 'user' },
    );
    const sim = await h.listening;
    try {
      const banner = h.out.join('');
      expect(banner).toContain(`Org URL:  ${sim.url}`);
      expect(banner).toContain('SSWS cli-token');
      const info = sim.info();
      expect(info).toMatchObject({
        users: 40,
        groups: 12,
        seed: 4,
        rateLimitWindowMs: 1000,
        concurrencyLimit: 5,
      });
      expect(info.rateLimits).toEqual({
        'users-list': 7,
        'user-by-id': 500,
        groups: 9,
        'group-by-id': 500,
        'system-log': 500,
        'api-v1': 500,
        other: 500,
      });
      expect(Object.keys(info.faults).sort()).toEqual(['rate500', 'rate503', 'rateReset']);
      for (const p of Object.values(info.faults)) expect(p).toBeCloseTo(0.1, 10);
      expect(sim.tenant.userGroups(sim.tenant.heavyUserId!)).toHaveLength(10);
      sim.setFaults({});
      expect((await api(`${sim.url}/api/v1/users`, 'cli-token')).status).toBe(200);
    } finally {
      h.stop('SIGINT');
      await done;
    }
    expect(h.out.join('')).toContain('stopped (SIGINT)');
    await expect(api(`${sim.url}/api/v1/users`, 'cli-token')).rejects.toThrow();
    expect(h.exitCodes).toEqual([]);
  });

  test('a port in use is a clear error and exit code 1', async () => {
    const first = harness();
    const running = simulateCommand(first.io).parseAsync(
      ['--port', '0', '--users', '1', '--groups', '1'],
      { from: 'user' },
    );
    const sim = await first.listening;
    try {
      const second = harness();
      await simulateCommand(second.io).parseAsync(
        ['--port', new URL(sim.url).port, '--users', '1', '--groups', '1'],
        {
          from: 'user',
        },
      );
      expect(second.err.join('')).toMatch(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
      expect(second.exitCodes).toEqual([1]);
    } finally {
      first.stop('SIGTERM');
      await running;
    }
  });

  test('--heavy-user-groups above --groups is refused', async () => {
    const h = harness();
    await simulateCommand(h.io).parseAsync(
      ['--port', '0', '--groups', '5', '--heavy-user-groups', '6'],
      { from: 'user' },
    );
    expect(h.err.join('')).toContain('--heavy-user-groups');
    expect(h.exitCodes).toEqual([2]);
  });
});
