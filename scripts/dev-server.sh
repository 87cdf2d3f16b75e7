#!/usr/bin/env bash
# A local Temporal dev server for okta-ocsf whose state survives restarts (SQLite file).
#
#   scripts/dev-server.sh start|stop|status|restart
#
# Environment (all optional):
#   TEMPORAL_DEV_PORT          frontend gRPC port            (default 7233)
#   TEMPORAL_DEV_UI_PORT       Web UI port                   (default 8233)
#   OKTA_OCSF_STATE_DIR        where the database lives      (default ./.okta-ocsf)
#   TEMPORAL_DEV_DB            the SQLite file               (default $OKTA_OCSF_STATE_DIR/temporal-dev.db)
#   TEMPORAL_NAMESPACE         also created at launch when it is not "default"
#   OKTA_OCSF_CODEC_ENDPOINT   codec server the Web UI asks to decode payloads
#   TEMPORAL_DEV_START_TIMEOUT seconds to wait for health   (default 60)
#   TEMPORAL_DEV_STOP_TIMEOUT  seconds between SIGTERM and SIGKILL (default 30)
# The log (<db>.log) and the pid file (<db>.pid) sit beside the database. Binds 127.0.0.1 only.
#
# Exit status: 0 success (status: running and healthy); 1 failure (status: running, unhealthy);
# 3 (status only) not running.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly IP=127.0.0.1
PORT=${TEMPORAL_DEV_PORT:-7233}
UI_PORT=${TEMPORAL_DEV_UI_PORT:-8233}
STATE_DIR=${OKTA_OCSF_STATE_DIR:-./.okta-ocsf}
DB=${TEMPORAL_DEV_DB:-$STATE_DIR/temporal-dev.db}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
START_TIMEOUT=${TEMPORAL_DEV_START_TIMEOUT:-60}
STOP_TIMEOUT=${TEMPORAL_DEV_STOP_TIMEOUT:-30}
ADDRESS="$IP:$PORT"

log() { printf 'dev-server: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

for pair in "TEMPORAL_DEV_PORT=$PORT" "TEMPORAL_DEV_UI_PORT=$UI_PORT"; do
  value=${pair#*=}
  if ! [[ $value =~ ^[0-9]+$ ]] || [ "$value" -lt 1 ] || [ "$value" -gt 65535 ]; then
    die "${pair%%=*}: expected a TCP port from 1 to 65535, got '$value'"
  fi
done
for pair in "TEMPORAL_DEV_START_TIMEOUT=$START_TIMEOUT" "TEMPORAL_DEV_STOP_TIMEOUT=$STOP_TIMEOUT"; do
  value=${pair#*=}
  if ! [[ $value =~ ^[0-9]+$ ]] || [ "$value" -lt 1 ]; then
    die "${pair%%=*}: expected a whole number of seconds >= 1, got '$value'"
  fi
done
[ "$PORT" != "$UI_PORT" ] || die "TEMPORAL_DEV_PORT and TEMPORAL_DEV_UI_PORT are both $PORT: they must differ"

# Absolute, so the pid-file check below and the server agree on the path whatever the cwd.
case "$DB" in
  /*) ;;
  *) DB="$PWD/${DB#./}" ;;
esac
base=${DB%.db}
LOG="$base.log"
PIDFILE="$base.pid"

TEMPORAL=""
resolve_cli() {
  if [ -z "$TEMPORAL" ]; then TEMPORAL=$("$here/ensure-temporal.sh"); fi
}

# The CLI reads TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS_* and a profile file: a
# developer's Temporal Cloud settings would point these commands elsewhere or turn on TLS. Every
# call therefore runs with a clean environment and no config file.
cli() {
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" ${TMPDIR:+TMPDIR="$TMPDIR"} \
    "$TEMPORAL" "$@" --disable-config-file --disable-config-env
}

# Healthy = the frontend answers and the namespace the app uses exists (the dev server registers
# namespaces just after it starts serving, so "SERVING" alone is not enough for a worker).
healthy() {
  cli operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" \
    --command-timeout 3s >/dev/null 2>&1
}

port_in_use() {
  (exec 3<>"/dev/tcp/$IP/$1") 2>/dev/null
}

# Only a process whose command line is a start-dev on *this* database counts as ours: a pid file
# can outlive its process and the pid be reused by anything.
is_ours() {
  local pid=$1 args
  kill -0 "$pid" 2>/dev/null || return 1
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  [[ $args == *"server start-dev"* && $args == *"--db-filename $DB"* ]]
}

read_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(head -n 1 "$PIDFILE" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$pid"
}

log_tail() {
  if [ -f "$LOG" ]; then
    log "last lines of $LOG:"
    tail -n 40 "$LOG" >&2
  fi
}

describe() {
  local pid=$1
  printf 'Temporal dev server running (pid %s)\n' "$pid"
  printf '  address:  %s\n' "$ADDRESS"
  printf '  Web UI:   http://%s:%s\n' "$IP" "$UI_PORT"
  printf '  database: %s\n' "$DB"
  printf '  log:      %s\n' "$LOG"
}

wait_healthy() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if healthy; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the dev server (pid $pid) exited during startup"
      return 2
    fi
    sleep 0.5
  done
  log "the dev server (pid $pid) did not become healthy within ${START_TIMEOUT}s"
  return 1
}

terminate() {
  local pid=$1 deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "pid $pid still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      local _
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      break
    fi
    sleep 0.2
  done
}

cmd_start() {
  resolve_cli
  local pid
  if pid=$(read_pid); then
    if is_ours "$pid"; then
      local running_args
      running_args=$(ps -ww -o args= -p "$pid" 2>/dev/null || true)
      if [[ $running_args != *"--port $PORT --ui-port $UI_PORT "* ]]; then
        die "the dev server on $DB (pid $pid) runs with other ports ($running_args); '$0 stop' it first"
      fi
      # Started by an earlier call; it may still be coming up.
      if wait_healthy "$pid"; then
        log "already running and healthy"
        describe "$pid"
        return 0
      fi
      log_tail
      die "pid $pid (from $PIDFILE) is running but unhealthy; run '$0 restart' or look at $LOG"
    fi
    rm -f "$PIDFILE"
  fi

  if healthy; then
    log "a Temporal server already answers on $ADDRESS (not started by this script, or on another database); using it as is"
    return 0
  fi
  if port_in_use "$PORT"; then
    die "port $PORT on $IP is in use by a program that is not a healthy Temporal server; set TEMPORAL_DEV_PORT to a free port"
  fi
  if port_in_use "$UI_PORT"; then
    die "Web UI port $UI_PORT on $IP is in use; set TEMPORAL_DEV_UI_PORT to a free port"
  fi

  local args=(server start-dev --ip "$IP" --port "$PORT" --ui-port "$UI_PORT" --db-filename "$DB")
  if [ "$NAMESPACE" != "default" ]; then args+=(--namespace "$NAMESPACE"); fi
  if [ -n "${OKTA_OCSF_CODEC_ENDPOINT:-}" ]; then
    args+=(--ui-codec-endpoint "$OKTA_OCSF_CODEC_ENDPOINT")
  fi

  mkdir -p "$(dirname "$DB")"
  printf '=== %s start-dev on %s, db %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ADDRESS" "$DB" >>"$LOG"
  # setsid (where present) puts the server in its own session, so a Ctrl-C or a closing terminal
  # of the shell that ran `make dev-server` does not take it down; nohup covers macOS. exec
  # keeps the pid: env, setsid and nohup each exec the next program.
  local launcher=()
  if command -v setsid >/dev/null 2>&1; then launcher=(setsid); fi
  (exec env -i PATH="$PATH" HOME="${HOME:-/tmp}" ${TMPDIR:+TMPDIR="$TMPDIR"} \
    ${launcher[@]+"${launcher[@]}"} nohup "$TEMPORAL" "${args[@]}" \
    --disable-config-file --disable-config-env) </dev/null >>"$LOG" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$PIDFILE"

  local rc=0
  wait_healthy "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    log_tail
    if [ "$rc" -eq 1 ]; then terminate "$pid"; fi
    rm -f "$PIDFILE"
    exit 1
  fi
  describe "$pid"
}

cmd_stop() {
  local pid
  if ! pid=$(read_pid); then
    log "no dev server started by this script (no pid file at $PIDFILE)"
    return 0
  fi
  if ! is_ours "$pid"; then
    log "pid $pid from $PIDFILE is no longer a dev server on $DB; removing the stale pid file"
    rm -f "$PIDFILE"
    return 0
  fi
  log "stopping the dev server (pid $pid)"
  terminate "$pid"
  if kill -0 "$pid" 2>/dev/null; then die "pid $pid survived SIGKILL"; fi
  rm -f "$PIDFILE"
  log "stopped; state kept in $DB"
}

cmd_status() {
  local pid
  if pid=$(read_pid) && is_ours "$pid"; then
    resolve_cli
    if healthy; then
      describe "$pid"
      return 0
    fi
    log "pid $pid is running but $ADDRESS does not answer (starting, or unhealthy; see $LOG)"
    return 1
  fi
  log "not running (database $DB)"
  return 3
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart)
    cmd_stop
    cmd_start
    ;;
  *)
    printf 'usage: %s start|stop|status|restart\n' "$0" >&2
    exit 2
    ;;
esac
