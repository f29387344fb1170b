#!/usr/bin/env bash
# Control-plane benchmark: `windflow serve` requests/s and p99 on the stack list (wrk),
# idle memory and start-to-ready, on SQLite and on PostgreSQL.
#
#   bench/server.sh [--quick] [--backends sqlite,postgres] [server_bench.py options...]
#
# Installs wrk (Debian's package) when missing, ensures PostgreSQL when that backend is
# wanted, builds what is missing, then runs bench/server_bench.py, which writes
# bench/results/server.md (the table) and server.json (every sample).
#   windflow binary: $WINDFLOW_BIN, else built with `cargo build --release -p windflow-cli`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "bench/server.sh: $*" >&2; }

backends="sqlite,postgres"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --backends) backends="$2"; args+=("$1" "$2"); shift 2 ;;
        --backends=*) backends="${1#--backends=}"; args+=("$1"); shift ;;
        *) args+=("$1"); shift ;;
    esac
done

if ! command -v wrk >/dev/null; then
    say "installing wrk"
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2
    else
        sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2
    fi
fi

if [[ ",$backends," == *",postgres,"* ]] && [ -z "${WINDFLOW_BENCH_POSTGRES_URL:-}" ]; then
    WINDFLOW_BENCH_POSTGRES_URL="$(scripts/ensure-postgres.sh)"
    export WINDFLOW_BENCH_POSTGRES_URL
fi

if [ -z "${WINDFLOW_BIN:-}" ]; then
    say "building windflow (release)"
    cargo build --release -p windflow-cli >&2
    WINDFLOW_BIN="${CARGO_TARGET_DIR:-target}/release/windflow"
fi
[ -x "$WINDFLOW_BIN" ] || { say "no windflow binary at $WINDFLOW_BIN"; exit 1; }
export WINDFLOW_BIN

exec python3 bench/server_bench.py "${args[@]}"
