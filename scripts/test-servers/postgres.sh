#!/usr/bin/env bash
# PostgreSQL (Debian's `postgresql` package) on 127.0.0.1, for the state
# store's PostgreSQL tests (issue 20).
#
# Sourced by scripts/with-test-servers.sh, which provides the ts_* helpers and
# calls start_postgres DIR in a subshell. Run directly, this file starts only
# PostgreSQL through with-test-servers.sh: scripts/test-servers/postgres.sh -- CMD...
#
# start_postgres DIR: a throw-away cluster in DIR/data (initdb, trust
# authentication for the superuser `s3m` over TCP on 127.0.0.1 only, fsync
# off: the data is thrown away), the server on a free port with its socket in
# DIR and its log in DIR/postgres.log, a database `s3m_test`, and DIR/env with
#   S3M_TEST_POSTGRES_URI=postgresql://s3m@127.0.0.1:PORT/s3m_test
#   S3M_TEST_POSTGRES_ADMIN_URI=postgresql://s3m@127.0.0.1:PORT/postgres
# (tests that need a database of their own create it through the admin URI).
# pg_stat_statements is loaded (CREATE EXTENSION in a database to read it):
# bench/scaleout counts the statements, each one round trip, per object.
# S3M_TEST_POSTGRES_LISTEN (default 127.0.0.1) and S3M_TEST_POSTGRES_HBA_NET
# (a network also trusted) serve tests whose workers are other hosts.
# PostgreSQL refuses to run as root: as root, it runs as the `postgres` user
# the package creates.

# ts_timeout and the ts_* functions come from with-test-servers.sh.
# shellcheck disable=SC2154

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  [[ "${1:-}" == "--" ]] && shift
  exec "$(dirname "$0")/../with-test-servers.sh" --postgres -- "$@"
fi

start_postgres() {
  set -euo pipefail
  local dir="$1" port bindir as_user=()
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [[ -z "$bindir" || ! -x "$bindir/postgres" ]]; then
    ts_log "postgres: no /usr/lib/postgresql/*/bin/postgres; run scripts/install-deps.sh"
    return 1
  fi
  if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
    as_user=(runuser -u postgres --)
    # The server's user must reach DIR: the temp dirs above it are private.
    chmod o+x "$(dirname "$dir")"
    chown postgres "$dir"
  fi
  port="$(ts_free_ports 1)"
  "${as_user[@]}" "$bindir/initdb" -D "$dir/data" -U s3m --auth=trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1
  # A test of workers on several hosts (network namespaces) adds the
  # address and network its hosts reach the server on.
  if [[ -n "${S3M_TEST_POSTGRES_HBA_NET:-}" ]]; then
    echo "host all all $S3M_TEST_POSTGRES_HBA_NET trust" >>"$dir/data/pg_hba.conf"
  fi
  ts_spawn "$dir" "$dir/postgres.log" \
    "${as_user[@]}" "$bindir/postgres" -D "$dir/data" -k "$dir" -p "$port" \
    -c listen_addresses="${S3M_TEST_POSTGRES_LISTEN:-127.0.0.1}" -c fsync=off -c full_page_writes=off -c synchronous_commit=off \
    -c max_connections=200 -c shared_preload_libraries=pg_stat_statements
  ts_wait_until "$ts_timeout" postgres "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"
  "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U s3m -d postgres -c "CREATE DATABASE s3m_test" \
    >>"$dir/postgres.log" 2>&1
  cat >"$dir/env" <<ENV
export S3M_TEST_POSTGRES_URI=postgresql://s3m@127.0.0.1:$port/s3m_test
export S3M_TEST_POSTGRES_ADMIN_URI=postgresql://s3m@127.0.0.1:$port/postgres
ENV
}
