#!/usr/bin/env bash
# Idle agents: the control plane's CPU and resident memory with 0, 100 and 500 simulated
# agents heartbeating over WebSocket + TLS (default heartbeat, 10 s).
#
#   bench/agents.sh [--steps 100,500] [--window 60] [--settle 20]
#
# Builds what is missing (the release `windflow` and the simulator,
# crates/agent/examples/simulate.rs), then runs bench/remote_bench.py agents, which makes a
# CA and a server certificate with the openssl CLI, starts `windflow serve` (SQLite, TLS
# listener, no Docker), measures it with no agents, starts the simulator (a separate
# process, so its CPU is not counted) with 100 agents, then 400 more, and measures again
# after each. Writes bench/results/agents.md (the table) and agents.json (every sample).
#   windflow binary: $WINDFLOW_BIN, else `cargo build --release -p windflow-cli --bin windflow`
#   simulator:       $WINDFLOW_SIMULATOR, else `cargo build --release -p windflow-agent --example simulate`
# Takes ~5 minutes once built (three 60 s windows, enrollment and settling).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "bench/agents.sh: $*" >&2; }

command -v openssl >/dev/null || {
    say "installing openssl"
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y openssl >&2
    else
        sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y openssl >&2
    fi
}

target_dir="${CARGO_TARGET_DIR:-target}"
if [ -z "${WINDFLOW_BIN:-}" ]; then
    say "building windflow (release)"
    cargo build --release -p windflow-cli --bin windflow >&2
    WINDFLOW_BIN="$target_dir/release/windflow"
fi
if [ -z "${WINDFLOW_SIMULATOR:-}" ]; then
    say "building the agent simulator (release)"
    cargo build --release -p windflow-agent --example simulate >&2
    WINDFLOW_SIMULATOR="$target_dir/release/examples/simulate"
fi
[ -x "$WINDFLOW_BIN" ] || { say "no windflow binary at $WINDFLOW_BIN"; exit 1; }
[ -x "$WINDFLOW_SIMULATOR" ] || { say "no simulator at $WINDFLOW_SIMULATOR"; exit 1; }
export WINDFLOW_BIN WINDFLOW_SIMULATOR

exec python3 bench/remote_bench.py agents "$@"
