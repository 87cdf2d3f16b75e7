#!/bin/sh
# One-shot job of docker-compose.yml, run in the temporalio/admin-tools image before the server
# starts: creates Temporal's two PostgreSQL databases and brings their schemas to the version the
# image ships. Safe to re-run on every `docker compose up`: `create` fails harmlessly on an
# existing database, `setup-schema -v 0.0` skips a database that already has a newer schema
# version, and `update-schema` applies only the missing versions.
# The password is read by temporal-sql-tool from SQL_PASSWORD, never passed on a command line.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must name the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER must name the PostgreSQL user}"
: "${SQL_PASSWORD:?SQL_PASSWORD must hold the PostgreSQL password}"
DB_PORT=${DB_PORT:-5432}
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

sqltool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# depends_on already waits for pg_isready; this bound covers a PostgreSQL outside this file.
tries=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "setup-schema: PostgreSQL at $POSTGRES_SEEDS:$DB_PORT unreachable after 60 attempts" >&2
    exit 1
  fi
  sleep 2
done

for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}
  dir=${pair#*:}
  if out=$(sqltool --db "$db" create 2>&1); then
    echo "setup-schema: created database $db"
  else
    echo "setup-schema: did not create database $db (normal when it exists): $(printf '%s\n' "$out" | tail -n 1)"
  fi
  sqltool --db "$db" setup-schema -v 0.0
  sqltool --db "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
done
echo "setup-schema: done"
