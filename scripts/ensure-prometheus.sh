#!/usr/bin/env bash
# The metrics tests run a real Prometheus (Debian's package: prometheus and promtool). Found on
# PATH or at /usr/bin/prometheus (PROMETHEUS_PATH overrides); else installed where we can (root
# with apt-get); where we cannot, say so: the tests then skip with a message.
set -u
if [ -n "${PROMETHEUS_PATH:-}" ] && [ -x "${PROMETHEUS_PATH}" ]; then exit 0; fi
if command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-prometheus: installing Debian's prometheus for the metrics tests…" >&2
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >/tmp/okta-ocsf-prometheus-install.log 2>&1; then
    exit 0
  fi
  echo "ensure-prometheus: apt-get could not install prometheus (log: /tmp/okta-ocsf-prometheus-install.log); the metrics tests will be skipped" >&2
  exit 1
fi
echo "ensure-prometheus: no prometheus and no root apt-get here; the metrics tests will be skipped" >&2
exit 1
