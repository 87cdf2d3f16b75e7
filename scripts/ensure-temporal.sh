#!/usr/bin/env bash
# Prints the absolute path of a usable Temporal CLI on stdout; everything else goes to stderr.
#
# Looks in this order and takes the first that runs:
#   1. $TEMPORAL_CLI (an explicit choice: if it does not run, that is an error, not a fallback)
#   2. `temporal` on PATH
#   3. the project cache: ${OKTA_OCSF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/okta-ocsf}/temporal-v1.5.1/temporal
#   4. builds 3. with `go install` (Go >= 1.25 on PATH, or $GO), under a lock so that concurrent
#      callers build once.
# Exit 1, with install instructions, when none of these is possible.
#
# The CLI is pinned because `temporal server start-dev` embeds the server: v1.5.1 embeds
# Temporal Server 1.29.1, which matches the server image pinned in docker-compose.yml.
set -euo pipefail

readonly CLI_VERSION=1.5.1
readonly CLI_MODULE=github.com/temporalio/cli/cmd/temporal
# go install leaves the version string at 0.0.0-DEV unless it is stamped at link time; -s -w
# drop debug information the CLI is never debugged with (a third of the binary).
readonly CLI_VERSION_SYMBOL=github.com/temporalio/cli/temporalcli.Version
readonly MIN_GO_MINOR=25 # the go directive of temporalio/cli v1.5.1's go.mod is 1.25
# Bound on waiting for another caller's build (a cold build takes ~3-4 minutes on 2 cores).
readonly LOCK_WAIT_SECONDS=${OKTA_OCSF_TEMPORAL_LOCK_WAIT_SECONDS:-900}

log() { printf 'ensure-temporal: %s\n' "$*" >&2; }

absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")" ;;
  esac
}

# A binary is usable when it executes (not merely exists): a truncated download or a binary for
# another architecture fails here instead of later in a confusing way.
usable() {
  [ -f "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1
}

# scripts/dev-server.sh and test/support/dev-server.ts pass --disable-config-file,
# --disable-config-env and --command-timeout, which older CLIs (before ~v1.4) reject: such a
# binary would make every health check fail, so it is skipped here instead.
capable() {
  local help
  help=$("$1" operator namespace describe --help 2>/dev/null) || return 1
  [[ $help == *--disable-config-env* && $help == *--disable-config-file* && $help == *--command-timeout* ]]
}

found() {
  local bin
  bin=$(absolute "$1")
  log "using $("$bin" --version 2>/dev/null | head -n 1) at $bin"
  printf '%s\n' "$bin"
  exit 0
}

guidance() {
  cat >&2 <<EOF
ensure-temporal: no Temporal CLI found, and it cannot be built here: $1

Install the Temporal CLI (v${CLI_VERSION} recommended) in one of these ways, then re-run:
  - macOS / Linux with Homebrew:   brew install temporal
  - release archive:               download temporal_cli_${CLI_VERSION}_<os>_<arch>.tar.gz from
                                   https://github.com/temporalio/cli/releases/tag/v${CLI_VERSION},
                                   extract it and put the 'temporal' binary on your PATH
  - with Go >= 1.${MIN_GO_MINOR}:               go install ${CLI_MODULE}@v${CLI_VERSION}
Or point TEMPORAL_CLI at an existing binary: TEMPORAL_CLI=/path/to/temporal
EOF
  exit 1
}

if [ -n "${TEMPORAL_CLI:-}" ]; then
  if ! usable "$TEMPORAL_CLI"; then
    log "TEMPORAL_CLI=$TEMPORAL_CLI does not run ('$TEMPORAL_CLI --version' failed)"
    exit 1
  fi
  if ! capable "$TEMPORAL_CLI"; then
    log "TEMPORAL_CLI=$TEMPORAL_CLI is too old (no --disable-config-env); use v${CLI_VERSION}"
    exit 1
  fi
  found "$TEMPORAL_CLI"
fi

if on_path=$(command -v temporal 2>/dev/null) && usable "$on_path"; then
  if capable "$on_path"; then found "$on_path"; fi
  log "ignoring $on_path: too old for these scripts ($("$on_path" --version 2>/dev/null | head -n 1))"
fi

cache_root=${OKTA_OCSF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/okta-ocsf}
bin_dir="$cache_root/temporal-v${CLI_VERSION}"
cached="$bin_dir/temporal"
if usable "$cached"; then found "$cached"; fi

go_bin=${GO:-go}
# Go's official tarball installs to /usr/local/go without touching PATH; look there too
# (OKTA_OCSF_GO_DIRS, space-separated, replaces that list; empty disables it).
if [ -z "${GO:-}" ] && ! command -v go >/dev/null 2>&1; then
  for d in ${OKTA_OCSF_GO_DIRS-/usr/local/go/bin}; do
    if [ -x "$d/go" ]; then go_bin="$d/go"; break; fi
  done
fi
if ! command -v "$go_bin" >/dev/null 2>&1; then
  guidance "no usable 'temporal' on PATH, no $cached, and no Go to build it with"
fi
go_version=$("$go_bin" env GOVERSION 2>/dev/null || true)
# GOVERSION looks like go1.26.8, go1.25rc1 or devel-…; only a release >= 1.25 is accepted.
if ! [[ $go_version =~ ^go1\.([0-9]+) ]] || [ "${BASH_REMATCH[1]}" -lt "$MIN_GO_MINOR" ]; then
  guidance "building it needs Go >= 1.${MIN_GO_MINOR}, found '${go_version:-unknown}'"
fi

mkdir -p "$bin_dir"
lock_dir="$bin_dir/.build.lock"

# mkdir is atomic on every filesystem, where flock(1) is missing on macOS.
acquired=0
waited=0
while [ "$waited" -lt "$LOCK_WAIT_SECONDS" ]; do
  if mkdir "$lock_dir" 2>/dev/null; then
    printf '%s\n' "$$" >"$lock_dir/pid"
    acquired=1
    break
  fi
  holder=$(cat "$lock_dir/pid" 2>/dev/null || true)
  if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
    log "removing a stale build lock left by process $holder"
    rm -rf "$lock_dir"
    continue
  fi
  if [ "$waited" -eq 0 ]; then log "another process (${holder:-unknown}) is building the Temporal CLI; waiting"; fi
  sleep 2
  waited=$((waited + 2))
  # The other builder may have finished while we slept.
  if usable "$cached"; then found "$cached"; fi
done
if [ "$acquired" -ne 1 ]; then
  log "gave up after ${LOCK_WAIT_SECONDS}s waiting for the build lock $lock_dir (remove it if no build is running)"
  exit 1
fi

tmp_gobin=$(mktemp -d "$bin_dir/.build.XXXXXX")
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  rm -rf "$tmp_gobin"
  rm -rf "$lock_dir"
}
trap cleanup EXIT

# Checked again under the lock: a concurrent caller may have built it between our first look and
# taking the lock.
if usable "$cached"; then found "$cached"; fi

log "building Temporal CLI v${CLI_VERSION} with $go_version into $bin_dir (a few minutes, once)"
# GOTOOLCHAIN=local: build with the Go that was checked above instead of fetching another
# toolchain; GOFLAGS cleared so a developer's -mod=vendor and the like do not apply to this build.
if ! GOBIN="$tmp_gobin" GOTOOLCHAIN=local GOFLAGS='' "$go_bin" install \
  -ldflags "-s -w -X ${CLI_VERSION_SYMBOL}=${CLI_VERSION}" "${CLI_MODULE}@v${CLI_VERSION}" >&2; then
  log "go install ${CLI_MODULE}@v${CLI_VERSION} failed (see the output above)"
  exit 1
fi
# Built aside and renamed into place, so no caller ever sees a half-written binary.
mv -f "$tmp_gobin/temporal" "$cached"
if ! usable "$cached"; then
  log "the freshly built $cached does not run"
  exit 1
fi
found "$cached"
