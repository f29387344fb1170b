#!/usr/bin/env bash
# Ensures a running PostgreSQL server with a login role the storage tests can use, on a
# Debian machine without systemd.
#
# Idempotent: installs Debian's `postgresql` when missing (apt-get, non-interactive), starts
# the first cluster found by pg_lsclusters when it is down (creating one when there is none),
# creates or updates the role `windflow` (password `windflow`, LOGIN CREATEDB), and polls until
# the server answers over TCP for up to $WINDFLOW_POSTGRES_TIMEOUT seconds (default 60).
#
# On success it prints the admin-capable URL on stdout, so callers can write
#   export WINDFLOW_TEST_DATABASE_URL="$(scripts/ensure-postgres.sh)"
# When sourced, it defines the functions and exports nothing until `ensure_postgres_main`
# runs. It never skips: when PostgreSQL cannot be had it exits non-zero with the server log.
set -euo pipefail

PG_ROLE="${WINDFLOW_POSTGRES_ROLE:-windflow}"
PG_PASSWORD="${WINDFLOW_POSTGRES_PASSWORD:-windflow}"
PG_HOST=127.0.0.1
PG_TIMEOUT="${WINDFLOW_POSTGRES_TIMEOUT:-60}"

say() { echo "ensure-postgres: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "this step needs root: rerun as root (sudo bash $0) or install and start postgresql yourself"
    fi
}

# Runs a command as the postgres superuser (peer authentication over the local socket).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    else
        as_root runuser -u postgres -- "$@"
    fi
}

install_postgres() {
    if command -v pg_lsclusters >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "postgresql is missing and there is no apt-get on this machine"
    say "installing postgresql"
    local apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends)
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" postgresql >&2 </dev/null; then
        say "apt-get install failed; refreshing package lists and retrying once"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" postgresql >&2 </dev/null \
            || die "apt-get install postgresql failed"
    fi
}

# Prints "<version> <cluster> <port> <status>" of the first cluster, if any.
first_cluster() {
    pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 { print $1, $2, $3, $4 }'
}

start_cluster() {
    local version name port status
    read -r version name port status < <(first_cluster) || true
    if [ -z "${version:-}" ]; then
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -1)
        say "no cluster found: creating ${version}/main"
        as_root pg_createcluster "$version" main >&2 || die "pg_createcluster $version main failed"
        read -r version name port status < <(first_cluster) || die "pg_lsclusters shows no cluster after creating one"
    fi
    PG_VERSION="$version"
    PG_CLUSTER="$name"
    PG_PORT="$port"
    if [ "$status" != online ]; then
        say "starting cluster ${version}/${name} on port ${port}"
        # A pid file left by a killed server makes pg_ctlcluster refuse to start.
        local pidfile="/var/lib/postgresql/${version}/${name}/postmaster.pid"
        if [ -f "$pidfile" ] && ! kill -0 "$(head -1 "$pidfile" 2>/dev/null)" 2>/dev/null; then
            as_root rm -f "$pidfile"
        fi
        as_root pg_ctlcluster "$version" "$name" start >&2 || fail_with_log
    fi
}

server_answers() {
    as_postgres psql -p "$PG_PORT" -XAtqc 'SELECT 1' >/dev/null 2>&1
}

wait_for_server() {
    local deadline=$((SECONDS + PG_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        server_answers && return 0
        sleep 1
    done
    fail_with_log
}

ensure_role() {
    # Identifiers and the password are fixed strings from this script (or the developer's
    # environment), so plain quoting is enough.
    as_postgres psql -p "$PG_PORT" -XAtq -v ON_ERROR_STOP=1 >&2 <<SQL || die "creating role ${PG_ROLE} failed"
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PG_ROLE}') THEN
        CREATE ROLE "${PG_ROLE}" LOGIN CREATEDB PASSWORD '${PG_PASSWORD}';
    ELSE
        ALTER ROLE "${PG_ROLE}" LOGIN CREATEDB PASSWORD '${PG_PASSWORD}';
    END IF;
END
\$\$;
SQL
}

# The role logs in over TCP with its password (what the tests do).
check_tcp_login() {
    local deadline=$((SECONDS + PG_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        if PGPASSWORD="$PG_PASSWORD" psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" -d postgres -XAtqc 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    die "role ${PG_ROLE} cannot log in at ${PG_HOST}:${PG_PORT} (check pg_hba.conf for host connections with scram-sha-256 or md5)"
}

fail_with_log() {
    say "ERROR: PostgreSQL did not answer within ${PG_TIMEOUT}s"
    local log="/var/log/postgresql/postgresql-${PG_VERSION:-*}-${PG_CLUSTER:-main}.log"
    # shellcheck disable=SC2086 # the glob is intended when the version is unknown
    for file in $log; do
        if [ -f "$file" ]; then
            say "last lines of $file:"
            tail -n 40 "$file" >&2 || true
        fi
    done
    exit 1
}

ensure_postgres_main() {
    install_postgres
    start_cluster
    wait_for_server
    ensure_role
    check_tcp_login
    local url="postgres://${PG_ROLE}:${PG_PASSWORD}@${PG_HOST}:${PG_PORT}/postgres"
    say "PostgreSQL ${PG_VERSION} (${PG_CLUSTER}) answers; role ${PG_ROLE} can create databases"
    export WINDFLOW_TEST_DATABASE_URL="$url"
    echo "$url"
}

# Sourcing defines the functions without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    ensure_postgres_main "$@"
fi
