#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for shell tests and benches, the twin of tests/support/pg_cluster.hpp:
# initdb in a fresh temp folder, a server on a unix socket in that folder only (no TCP port),
# one database `mcpgate`, and a libpq URI for --data.
#
#   uri=$(scripts/pg-throwaway.sh start /tmp/pg.XXXX)   # the folder must not exist yet
#   mcpgate --data "$uri" ...
#   uri2=$(scripts/pg-throwaway.sh database /tmp/pg.XXXX restart)  # one more, empty database
#   scripts/pg-throwaway.sh stop /tmp/pg.XXXX           # stops the server, removes the folder
#
# As root (CI), initdb and postgres run as the `postgres` system user (they refuse root) and the
# folder is handed to it; root still connects through the socket. Authentication is `trust`:
# the only way in is the socket in a folder nobody else can enter.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=5432  # names the socket file only

as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir=${2:?usage: $0 start DIR}
    [[ ! -e "$dir" ]] || { echo "pg-throwaway: $dir already exists" >&2; exit 2; }
    mkdir -m 700 "$dir"
    ((EUID != 0)) || chown postgres:postgres "$dir"
    if ! as_pg "$PG_BIN/initdb" -D "$dir/data" -U mcpgate -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -p $PG_PORT -c listen_addresses= -c max_connections=200" start >/dev/null; then
      cat "$dir/server.log" >&2
      exit 1
    fi
    "$PG_BIN/psql" -qAt -h "$dir" -p "$PG_PORT" -U mcpgate -d postgres -c 'CREATE DATABASE mcpgate' >/dev/null
    echo "postgresql:///mcpgate?host=$dir&port=$PG_PORT&user=mcpgate"
    ;;
  database)
    # Tests that share one cluster each take a database of their own: what one leaves behind
    # (sessions, tasks, migrations) is never another's starting point.
    dir=${2:?usage: $0 database DIR NAME}
    name=${3:?usage: $0 database DIR NAME}
    [[ "$name" =~ ^[a-z][a-z0-9_]*$ ]] || { echo "pg-throwaway: bad database name: $name" >&2; exit 2; }
    "$PG_BIN/psql" -qAt -h "$dir" -p "$PG_PORT" -U mcpgate -d postgres -c "CREATE DATABASE $name" >/dev/null
    echo "postgresql:///$name?host=$dir&port=$PG_PORT&user=mcpgate"
    ;;
  stop)
    dir=${2:?usage: $0 stop DIR}
    [[ -d "$dir/data" ]] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start DIR | database DIR NAME | stop DIR" >&2
    exit 2
    ;;
esac
