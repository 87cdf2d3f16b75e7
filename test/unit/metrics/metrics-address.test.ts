import { loadConfig } from '../../../src/config';
import { parseMetricsAddress } from '../../../src/metrics/metrics-address';

describe('OKTA_OCSF_METRICS_ADDRESS', () => {
  test.each(['0.0.0.0:9464', '127.0.0.1:1', '[::]:9464', '[::1]:65535'])('accepts %s', (a) => {
    expect(parseMetricsAddress(a)).toEqual({ ok: true, address: a });
  });

  test.each([
    ['localhost:9464', 'host names are not accepted'],
    ['9464', 'the form is ip:port'],
    ['0.0.0.0', 'the form is ip:port'],
    ['0.0.0.0:0', 'the port must be from 1 to 65535'],
    ['0.0.0.0:70000', 'the port must be from 1 to 65535'],
    ['[not-v6]:9464', 'not-v6 is not an IPv6 address'],
    ['300.1.1.1:9464', '300.1.1.1 is not an IPv4 address'],
    ['http://0.0.0.0:9464', 'the form is ip:port'],
  ])('refuses %s, naming the variable and why', (a, why) => {
    const r = parseMetricsAddress(a);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^OKTA_OCSF_METRICS_ADDRESS: expected an IP address and a port/);
      expect(r.error).toContain(why);
    }
  });

  test('is off when unset or empty, and read by loadConfig when set', () => {
    const base = { OKTA_ORG_URL: 'https://acme.okta.com' };
    for (const env of [base, { ...base, OKTA_OCSF_METRICS_ADDRESS: '' }]) {
      const r = loadConfig(env, { okta: 'url', sink: false });
      expect(r.ok && r.config.metricsAddress).toBeNull();
    }
    const on = loadConfig(
      { ...base, OKTA_OCSF_METRICS_ADDRESS: ' 0.0.0.0:9464 ' },
      { okta: 'url', sink: false },
    );
    expect(on.ok && on.config.metricsAddress).toBe('0.0.0.0:9464');
    const bad = loadConfig(
      { ...base, OKTA_OCSF_METRICS_ADDRESS: 'metrics:9464' },
      { okta: 'url', sink: false },
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.join('\n')).toContain('OKTA_OCSF_METRICS_ADDRESS');
  });
});
