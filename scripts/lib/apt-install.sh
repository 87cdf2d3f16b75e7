# Sourced by the scripts/ensure-*.sh that install a test dependency from Debian's packages.
# apt_install_for_tests <package> <what the tests need it for, e.g. "the browser test">
# Installs the package where we can (root with apt-get) and returns 0; where we cannot, says so
# (the tests then skip with a message) and returns 1. The apt output goes to a log, not the console.
apt_install_for_tests() {
  local package=$1 purpose=$2
  local me="ensure-${package}" log="/tmp/okta-ocsf-${package}-install.log"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "${me}: no ${package} and no root apt-get here; ${purpose} will be skipped" >&2
    return 1
  fi
  echo "${me}: installing Debian's ${package} for ${purpose}…" >&2
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${package}") >"${log}" 2>&1; then
    return 0
  fi
  echo "${me}: apt-get could not install ${package} (log: ${log}); ${purpose} will be skipped" >&2
  return 1
}
