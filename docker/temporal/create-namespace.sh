#!/bin/sh
# One-shot job of docker-compose.yml, run in the temporalio/admin-tools image once the server is
# up: waits until the cluster reports SERVING, then creates the namespace the worker uses
# (TEMPORAL_NAMESPACE) unless it exists. temporalio/server, unlike the dev server, creates none.
set -eu

namespace=${TEMPORAL_NAMESPACE:-default}
address=${TEMPORAL_ADDRESS:-temporal:7233}
retention=${TEMPORAL_NAMESPACE_RETENTION:-72h}
host=${address%:*}
port=${address##*:}

tries=0
while :; do
  # Dialled by IPv4 address, as Temporal's own compose files do: the server binds 0.0.0.0 only.
  ip=$(getent ahosts "$host" 2>/dev/null | awk '/STREAM/ && $1 ~ /^[0-9.]+$/ { print $1; exit }')
  target=${ip:+$ip:$port}
  target=${target:-$address}
  if temporal operator cluster health --address "$target" >/dev/null 2>&1; then break; fi
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "create-namespace: Temporal at $address not healthy after 60 attempts" >&2
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe --namespace "$namespace" --address "$target" >/dev/null 2>&1; then
  echo "create-namespace: namespace $namespace already exists"
else
  temporal operator namespace create --namespace "$namespace" --retention "$retention" --address "$target"
  echo "create-namespace: created namespace $namespace (retention $retention)"
fi
