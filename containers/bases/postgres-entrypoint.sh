#!/bin/sh
# Entry point of the local PostgreSQL base: the documented contract of the official image's
# (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA; a cluster made on the first start;
# `postgres ...` run as the postgres user), so compose.yaml works unchanged with either image.
set -eu

if [ "${1:-}" != postgres ]; then
  exec "$@"
fi

: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

# /run is empty in a new container: the socket directory is made on every start.
install -d -o postgres -g postgres -m 2775 /var/run/postgresql
mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 0700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    # A server on a private socket only, so nothing connects before the database exists.
    as_postgres pg_ctl --wait --silent -o "-c listen_addresses='' -c unix_socket_directories=/tmp" start
    as_postgres createdb --host=/tmp --username="$user" "$database"
    as_postgres pg_ctl --wait --silent --mode=fast stop
  fi
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $database)"
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
