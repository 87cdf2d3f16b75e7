#!/usr/bin/env bash
# The browser test drives the Temporal Web UI in Debian's Chromium (no browser download). Install
# it where we can (root with apt-get); where we cannot, say so: the test then skips with a message.
set -u
if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium for the browser test…" >&2
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/tmp/okta-ocsf-chromium-install.log 2>&1; then
    exit 0
  fi
  echo "ensure-chromium: apt-get could not install chromium (log: /tmp/okta-ocsf-chromium-install.log); the browser test will be skipped" >&2
  exit 1
fi
echo "ensure-chromium: no chromium and no root apt-get here; the browser test will be skipped" >&2
exit 1
