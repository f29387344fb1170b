#!/usr/bin/env bash
# Builds the web console into web/dist, which `cargo build` embeds into windflow (see
# crates/server/build.rs). Runs `npm ci` first when node_modules is missing or older than
# package-lock.json. Needs Node 20 and npm; installs nothing else (never a browser).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
command -v npm >/dev/null 2>&1 || { echo "build-web: npm not found: install Node 20 and npm (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> npm ci (web/)" >&2
    npm ci --no-audit --no-fund
fi
echo "==> building the web console (web/dist)" >&2
npm run --silent build
