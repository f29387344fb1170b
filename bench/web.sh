#!/usr/bin/env bash
# Web console benchmark: the dashboard's first load on localhost, in Debian's headless
# Chromium, against a real `windflow serve` (release build, SQLite, the local Docker engine).
#
#   bench/web.sh            (WINDFLOW_BENCH_LOADS=N for N measured loads, default 9)
#
# Ensures Docker, the test images and Chromium, builds the console (scripts/build-web.sh)
# and the release binary (unless $WINDFLOW_BIN is set: it must embed the current web/dist),
# starts `windflow serve` on a free port with a fresh data directory, then runs
# bench/web-load.mjs: it seeds 6 stacks, 3 deployments onto `local` and 2 more targets, logs
# in once, and measures N cold loads of the dashboard (a fresh browser context each: empty
# cache) up to the `wf:dashboard-rendered` mark (the dashboard's API calls answered and their
# data in the DOM), with Navigation Timing. Also runs `npm run check:size` (initial-route JS,
# gzipped). Writes bench/results/web.json (every sample) and bench/results/web.md.
# The deployed benchmark containers and networks are removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

say() { echo "bench/web.sh: $*" >&2; }

scripts/ensure-docker.sh >&2
scripts/ensure-test-images.sh >&2
scripts/ensure-chromium.sh >&2
scripts/build-web.sh >&2

if [ -z "${WINDFLOW_BIN:-}" ]; then
    say "building windflow (release, embeds web/dist)"
    cargo build --release -p windflow-cli --bin windflow >&2
    WINDFLOW_BIN="${CARGO_TARGET_DIR:-target}/release/windflow"
fi
[ -x "$WINDFLOW_BIN" ] || { say "no windflow binary at $WINDFLOW_BIN"; exit 1; }

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
password="bench-admin-password-$$"
prefix="webbench-$$"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    for i in 1 2 3 4 5 6; do
        ids="$(docker ps -aq --filter "label=com.docker.compose.project=$prefix-$i")"
        [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
        nets="$(docker network ls -q --filter "label=com.docker.compose.project=$prefix-$i")"
        [ -z "$nets" ] || docker network rm $nets >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

say "starting $WINDFLOW_BIN serve on 127.0.0.1:$port"
WINDFLOW_LISTEN="127.0.0.1:$port" WINDFLOW_DATA="$work/data" WINDFLOW_ADMIN_PASSWORD="$password" \
    WINDFLOW_LOG=warn "$WINDFLOW_BIN" serve >"$work/server.log" 2>&1 </dev/null &
server_pid=$!
for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; say "windflow serve exited"; exit 1; }
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/" | grep -q windflow-placeholder \
    && { say "$WINDFLOW_BIN was built before web/dist: rebuild it"; exit 1; }

mkdir -p bench/results
WINDFLOW_URL="http://127.0.0.1:$port" WINDFLOW_ADMIN_PASSWORD="$password" \
    WINDFLOW_TEST_IMAGE="windflow-test/busybox:latest" WINDFLOW_BENCH_PREFIX="$prefix" \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    node bench/web-load.mjs >"$work/web.json" || { tail -50 "$work/server.log" >&2; exit 1; }
(cd web && npm run -s check:size) >"$work/size.txt"
cat "$work/size.txt" >&2
initial_kb="$(sed -n 's/^initial route JS: \([0-9.]*\) KB gzipped.*/\1/p' "$work/size.txt")"

python3 - "$work/web.json" "$initial_kb" <<'EOF'
import json, os, platform, subprocess, sys
data = json.load(open(sys.argv[1]))
data["initial_route_js_gz_kb"] = float(sys.argv[2])
chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
data["chromium"] = chromium
data["cpus"] = os.cpu_count()
json.dump(data, open("bench/results/web.json", "w"), indent=2)
r, f, d = data["rendered_ms"], data["fcp_ms"], data["dom_content_loaded_ms"]
tc, tf, tw = data["target_content_ms"], data["target_figures_ms"], data["target_revisit_content_ms"]
md = f"""| Web console ({chromium}, {os.cpu_count()} cores, {data['loads']} cold loads) | median | p95 | target |
|---|---:|---:|---|
| dashboard first load: navigation start → data rendered (`wf:dashboard-rendered`) | {r['median']:.0f} ms | {r['p95']:.0f} ms | < 500 ms |
| target page, first visit: navigation start → containers listed | {tc['median']:.0f} ms | {tc['p95']:.0f} ms | — |
| target page, first visit: → first live CPU figure | {tf['median']:.0f} ms | {tf['p95']:.0f} ms | — |
| target page, revisited in the tab: → containers listed | {tw['median']:.0f} ms | {tw['p95']:.0f} ms | — |
| first contentful paint | {f['median']:.0f} ms | {f['p95']:.0f} ms | — |
| DOMContentLoaded | {d['median']:.0f} ms | {d['p95']:.0f} ms | — |
| initial-route JavaScript, gzipped (`npm run check:size`) | {data['initial_route_js_gz_kb']:.1f} KB | | < 400 KB |
"""
open("bench/results/web.md", "w").write(md)
print(md)
EOF
