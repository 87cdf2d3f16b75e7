/**
 * `OKTA_OCSF_METRICS_ADDRESS`: where the worker serves Prometheus metrics. The SDK's exporter binds
 * a socket address, not a host name, so the value must be an IP literal and a port.
 */
import { isIP } from 'node:net';

export type MetricsAddressResult = { ok: true; address: string } | { ok: false; error: string };

export function parseMetricsAddress(raw: string): MetricsAddressResult {
  const value = raw.trim();
  const fail = (why: string): MetricsAddressResult => ({
    ok: false,
    error:
      'OKTA_OCSF_METRICS_ADDRESS: expected an IP address and a port, e.g. 0.0.0.0:9464, ' +
      `127.0.0.1:9464 or [::]:9464 (${why}); got ${JSON.stringify(value.slice(0, 100))}`,
  });
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!m) return fail('the form is ip:port');
  const v6 = m[1];
  const v4 = m[2];
  if (v6 !== undefined && isIP(v6) !== 6) return fail(`${v6} is not an IPv6 address`);
  if (v4 !== undefined && isIP(v4) !== 4)
    return fail(`${v4} is not an IPv4 address; host names are not accepted`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return fail('the port must be from 1 to 65535');
  return { ok: true, address: value };
}
