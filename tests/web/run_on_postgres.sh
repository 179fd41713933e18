#!/usr/bin/env bash
# Run the service tests (tests/web) against a throwaway PostgreSQL cluster: initdb in a temp
# directory, listen on a free loopback port (and a socket in the same directory), run pytest
# with DATABASE_URL set, then stop the cluster and remove it. PostgreSQL refuses to run as
# root, so as root the cluster belongs to the `postgres` user (created by Debian's package).
#   tests/web/run_on_postgres.sh [pytest args]        the service tests
#   tests/web/run_on_postgres.sh --run CMD [ARGS]    any command, e.g. the load benchmark
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL server binaries not found (run: make apt-deps)" >&2
  exit 1
fi

DIR="$(mktemp -d /tmp/gvhdtrial-pg.XXXXXX)"
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$DIR"
  AS_PG=(runuser -u postgres --)
  PG_USER=postgres
else
  AS_PG=()
  PG_USER="$(id -un)"
fi
PORT="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

cleanup() {
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$DIR/data" -U "$PG_USER" -A trust -E UTF8 >/dev/null
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR -c fsync=on -c max_connections=200" \
  start >/dev/null
"${AS_PG[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" gvhdtrial

echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT ($DIR)"
export DATABASE_URL="postgres://$PG_USER@127.0.0.1:$PORT/gvhdtrial"
if [ "${1:-}" = "--run" ]; then
  shift
  "$@"
else
  # The browser journeys run once, on SQLite: they drive pages over the service layer that
  # every other test here exercises on PostgreSQL (keeps CI well under its time limit).
  .venv/bin/pytest tests/web -m "not browser" "$@"
fi
