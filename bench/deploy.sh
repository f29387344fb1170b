#!/usr/bin/env bash
# Side-by-side deploy benchmark: windflow vs docker-compose vs the Engine-API floor.
#
#   bench/deploy.sh [--quick] [--only windflow,compose,floor] [bench.py options...]
#
# Ensures the engine and the test image, builds what is missing, then runs bench/bench.py,
# which alternates runs between the tools and writes bench/results/latest.md (+ .json).
#   windflow binary:    $WINDFLOW_BIN, else built with `cargo build --release -p windflow-cli`
#   engine-floor:       $ENGINE_FLOOR_BIN, else built with
#                       `cargo build --release -p windflow-testkit --bin engine-floor`
# Until the CLI exists, run with `--only compose,floor`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "bench/deploy.sh: $*" >&2; }

only="windflow,compose,floor"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --only) only="$2"; args+=("$1" "$2"); shift 2 ;;
        --only=*) only="${1#--only=}"; args+=("$1"); shift ;;
        *) args+=("$1"); shift ;;
    esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }

scripts/ensure-docker.sh
# shellcheck source=scripts/lib/docker-client.sh
source scripts/lib/docker-client.sh
windflow_select_docker_client
scripts/ensure-test-images.sh

target_dir="${CARGO_TARGET_DIR:-target}"
if wants windflow; then
    if [ -z "${WINDFLOW_BIN:-}" ]; then
        say "building windflow (release)"
        cargo build --release -p windflow-cli >&2 \
            || { say "cannot build windflow-cli; set WINDFLOW_BIN or use --only compose,floor"; exit 1; }
        WINDFLOW_BIN="$target_dir/release/windflow"
    fi
    [ -x "$WINDFLOW_BIN" ] || { say "no windflow binary at $WINDFLOW_BIN"; exit 1; }
    export WINDFLOW_BIN
fi
if wants floor; then
    if [ -z "${ENGINE_FLOOR_BIN:-}" ]; then
        say "building engine-floor (release)"
        cargo build --release -p windflow-testkit --bin engine-floor >&2 \
            || { say "cannot build engine-floor; set ENGINE_FLOOR_BIN or use --only without floor"; exit 1; }
        ENGINE_FLOOR_BIN="$target_dir/release/engine-floor"
    fi
    [ -x "$ENGINE_FLOOR_BIN" ] || { say "no engine-floor binary at $ENGINE_FLOOR_BIN"; exit 1; }
    export ENGINE_FLOOR_BIN
fi
if wants compose; then
    command -v docker-compose >/dev/null || { say "docker-compose missing: run scripts/ensure-docker.sh"; exit 1; }
fi

exec python3 bench/bench.py "${args[@]}"
