#!/usr/bin/env bash
# The browser test drives the Temporal Web UI in Debian's Chromium (no browser download). Install
# it where we can (root with apt-get); where we cannot, say so: the test then skips with a message.
set -u
if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then exit 0; fi
. "$(dirname "$0")/lib/apt-install.sh"
apt_install_for_tests chromium "the browser test"
