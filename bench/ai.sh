#!/usr/bin/env bash
# AI stack generation against a real local model: `windflow ai generate` (no server: straight
# to the provider, WINDFLOW_AI_BASE_URL) on a fixed set of 20 descriptions, with llama.cpp's
# `llama-server` and the small Gemma 3 270M model of scripts/ensure-llama.sh on loopback.
#
#   bench/ai.sh [--rounds 3] [--limit 20] [--timeout 300] [--max-tokens 1024]
#
# For each description: the exit code (0 = a stack that WindFlow's compose loader loads and
# the advisor finds no error in, within the repair budget), the wall-clock time, and the
# rounds it took (from the progress lines). The figure is the share of descriptions that give
# a valid stack, and the median time per generation. There is nothing to compare against side
# by side: no peer generates stacks. A 270M base model answers poorly; the figure measures the
# pipeline (repair loop, extraction, checks) on a real model's real answers, not the model.
#
# Needs scripts/ensure-llama.sh to have built llama-server (about 25 minutes, once). The
# windflow binary: $WINDFLOW_BIN, else `cargo build --release -p windflow-cli`. Writes
# bench/results/ai.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=3
LIMIT=20
TIMEOUT=300
MAX_TOKENS=1024
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --limit) LIMIT="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --max-tokens) MAX_TOKENS="$2"; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--limit N] [--timeout S]" >&2; exit 2 ;;
    esac
done

eval "$(scripts/ensure-llama.sh --if-present)"
if [ -z "${WINDFLOW_TEST_LLAMA_SERVER:-}" ]; then
    echo "bench/ai.sh: no llama-server yet: run scripts/ensure-llama.sh first (about 25 minutes)" >&2
    exit 1
fi

if [ -z "${WINDFLOW_BIN:-}" ]; then
    cargo build --release -q -p windflow-cli
    WINDFLOW_BIN=target/release/windflow
fi
work="$(mktemp -d)"
trap 'kill "${server_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$WINDFLOW_BIN" "$work/windflow"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$WINDFLOW_TEST_LLAMA_SERVER" -m "$WINDFLOW_TEST_LLAMA_MODEL" --host 127.0.0.1 --port "$port" \
    -c 8192 --threads 2 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

descriptions=(
    "a Redis cache with a password"
    "a PostgreSQL 16 database with a named volume"
    "an nginx web server serving static files on port 8080"
    "a Ghost blog with MySQL"
    "a WordPress site with MariaDB"
    "Gitea with PostgreSQL"
    "Grafana with Prometheus scraping itself"
    "Uptime Kuma"
    "Vaultwarden behind port 8080"
    "a MinIO-compatible object store"
    "Keycloak with PostgreSQL"
    "n8n with PostgreSQL"
    "Mattermost with PostgreSQL"
    "Metabase with PostgreSQL"
    "RabbitMQ with the management UI"
    "a MongoDB database with a root password"
    "Nextcloud with MariaDB and Redis"
    "Plausible analytics with PostgreSQL and ClickHouse"
    "a static site served by Caddy"
    "Traefik whoami test service on port 8000"
)

export WINDFLOW_AI_BASE_URL="http://127.0.0.1:$port/v1"
export WINDFLOW_AI_MODEL="gemma-3-270m"
export WINDFLOW_AI_TIMEOUT="$TIMEOUT"
# A compose file fits in 1024 tokens; a base model that rambles on is cut there (and told so).
export WINDFLOW_AI_MAX_TOKENS="$MAX_TOKENS"
rows=""
ok=0
times=()
n=0
for description in "${descriptions[@]:0:$LIMIT}"; do
    n=$((n + 1))
    start=$(date +%s.%N)
    if "$work/windflow" ai generate "$description" --rounds "$ROUNDS" -o "$work/out-$n.yaml" \
        2>"$work/log-$n.txt"; then
        verdict="valid"
        ok=$((ok + 1))
    else
        verdict="none ($(tail -1 "$work/log-$n.txt" | cut -c1-80 | tr '|' '/'))"
    fi
    end=$(date +%s.%N)
    secs=$(python3 -c "print(f'{$end - $start:.1f}')")
    times+=("$secs")
    rounds=$(grep -c ": asking" "$work/log-$n.txt" || true)
    rows+="| $n | $description | $verdict | $rounds | $secs |"$'\n'
    echo "[$n/$LIMIT] $verdict in ${secs}s ($rounds round(s)): $description" >&2
done
median=$(printf '%s\n' "${times[@]}" | sort -n | python3 -c 'import sys,statistics; v=[float(x) for x in sys.stdin]; print(f"{statistics.median(v):.1f}")')

mkdir -p bench/results
{
    echo "# AI generation: $ok of $n descriptions give a valid stack (repair budget $ROUNDS rounds)"
    echo
    echo "Model: Gemma 3 270M (Q4_K_M) on llama.cpp's llama-server, 2 threads, loopback; at most $MAX_TOKENS tokens per answer."
    echo "Median time per generation: ${median} s. $(date -u +%F)."
    echo
    echo "| # | description | result | rounds | seconds |"
    echo "|--:|---|---|--:|--:|"
    printf '%s' "$rows"
} | tee bench/results/ai.md
