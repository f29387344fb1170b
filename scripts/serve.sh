#!/usr/bin/env bash
# The README's main command: from a fresh Debian machine to a running WindFlow control plane.
#   1. a Docker engine (installed from Debian's docker.io and started when none answers), so
#      the first run registers it as the `local` target,
#   2. a local busybox base image imported from Debian's busybox-static (no registry needed),
#      so the example stack deploys offline,
#   3. the windflow binary (cargo build --release),
#   4. `windflow serve` with the embedded SQLite database in ./windflow-data:
#      http://127.0.0.1:8080 (API under /api/v1, docs at /api/docs, metrics at /metrics for
#      administrators, or --metrics-token / --metrics-listen: see README).
# On first run it prints the `admin` password once (or uses WINDFLOW_ADMIN_PASSWORD).
# Extra arguments go to `windflow serve` (see `windflow serve --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/ensure-docker.sh
scripts/ensure-test-images.sh

# The web console (web/dist), embedded by the cargo build below.
scripts/build-web.sh

echo "==> building windflow" >&2
cargo build --release -p windflow-cli

exec target/release/windflow serve "$@"
