/**
 * Issue 16: the example alerts and the compose file's Prometheus configuration, checked by the
 * promtool of Debian's prometheus package (scripts/ensure-prometheus.sh): the files are valid, and
 * the alerts fire in the scenarios of docker/prometheus/alerts.test.yml and only there.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { findPrometheus, findPromtool } from '../../support/prometheus';

const DIR = path.resolve(__dirname, '../../../docker/prometheus');
const prometheus = findPrometheus();
const PROMTOOL = prometheus === null ? null : findPromtool(prometheus);
if (PROMTOOL === null) {
  process.stderr.write(
    'alert-rules.test.ts: SKIPPED — no promtool next to prometheus ' +
      '(scripts/ensure-prometheus.sh installs Debian’s package; `make test` runs it)\n',
  );
}
const promtoolTest = PROMTOOL === null ? test.skip : test;

function promtool(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL!, args, { cwd: DIR, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

promtoolTest('alerts.yml holds valid rules', () => {
  const r = promtool('check', 'rules', 'alerts.yml');
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).toContain('SUCCESS: 2 rules found');
});

promtoolTest('prometheus.yml of the compose file is a valid configuration', () => {
  expect(promtool('check', 'config', 'prometheus.yml')).toMatchObject({ code: 0 });
});

promtoolTest('the alerts fire after a day without a successful sync and above 1 % of 429s', () => {
  const r = promtool('test', 'rules', 'alerts.test.yml');
  expect(r.out).toContain('SUCCESS');
  expect(r.code).toBe(0);
});
