#!/usr/bin/env bash
# Deploys through SSH and through an agent vs the same deploy on the local socket.
#
#   bench/targets.sh [--runs 5] [--services 10] [--scenarios recreate,cold]
#
# Ensures the Docker engine, the local test image and Debian's sshd, builds the release
# `windflow` when missing, then runs bench/remote_bench.py targets: one `windflow serve`
# (SQLite, TLS listener with a certificate made here by the openssl CLI) with three targets
# on this machine's engine — `local` (the Unix socket), `ssh` (an sshd on a loopback port
# run by the bench, fronting the engine's socket; host key trusted by fingerprint through
# the API) and `agent` (a real `windflow agent` process on this host, enrolled through the
# API, over wss) — and the same bench/gen-stack.py stack of 10 services deployed onto each,
# alternating between the kinds. Writes bench/results/targets.md and targets.json.
#   windflow binary: $WINDFLOW_BIN, else `cargo build --release -p windflow-cli --bin windflow`
# Takes ~5 minutes once built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "bench/targets.sh: $*" >&2; }

scripts/ensure-docker.sh >&2
scripts/ensure-test-images.sh >&2
scripts/ensure-sshd.sh >&2

if [ -z "${WINDFLOW_BIN:-}" ]; then
    say "building windflow (release)"
    cargo build --release -p windflow-cli --bin windflow >&2
    WINDFLOW_BIN="${CARGO_TARGET_DIR:-target}/release/windflow"
fi
[ -x "$WINDFLOW_BIN" ] || { say "no windflow binary at $WINDFLOW_BIN"; exit 1; }
export WINDFLOW_BIN

exec python3 bench/remote_bench.py targets "$@"
