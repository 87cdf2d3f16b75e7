#!/usr/bin/env bash
# The metrics tests run a real Prometheus (Debian's package: prometheus and promtool). Found on
# PATH or at /usr/bin/prometheus (PROMETHEUS_PATH overrides); else installed where we can (root
# with apt-get); where we cannot, say so: the tests then skip with a message.
set -u
if [ -n "${PROMETHEUS_PATH:-}" ] && [ -x "${PROMETHEUS_PATH}" ]; then exit 0; fi
if command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ]; then exit 0; fi
. "$(dirname "$0")/lib/apt-install.sh"
apt_install_for_tests prometheus "the metrics tests"
