#!/usr/bin/env bash
# The README's main command: from a fresh Debian machine to a running example stack.
#   1. a Docker engine (installed from Debian's docker.io and started when none answers),
#   2. a local busybox base image imported from Debian's busybox-static (no registry needed),
#   3. the windflow binary (cargo build --release),
#   4. `windflow -f examples/hello/compose.yml up`, which builds the web image through the
#      Engine API and deploys the stack health-gated: http://127.0.0.1:${WEB_PORT:-8080}
# Extra arguments go to `windflow up` (e.g. --build). Remove it with:
#   target/release/windflow -p hello down -v
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/ensure-docker.sh
# shellcheck source=scripts/lib/docker-client.sh
source scripts/lib/docker-client.sh
windflow_select_docker_client
scripts/ensure-test-images.sh

echo "==> building windflow" >&2
cargo build --release -p windflow-cli

# The same base image everywhere, so the example behaves alike with or without registry access.
export BASE_IMAGE="${BASE_IMAGE:-windflow-test/busybox:latest}"
target/release/windflow -f examples/hello/compose.yml up "$@"
echo
echo "The hello stack runs: open http://127.0.0.1:${WEB_PORT:-8080}  (windflow -p hello ps | logs | history | down -v)"
