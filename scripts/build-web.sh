#!/usr/bin/env bash
# Builds the web console into web/dist, which `cargo build` embeds into windflow (see
# crates/server/build.rs). Installs the locked packages first when node_modules is missing or
# older than package-lock.json: `npm install`, not `npm ci`, because the package registry
# reachable here serves only this platform's optional native packages (rollup's), and `npm ci`
# refuses a lock without the other platforms' entries; `npm install` installs the locked
# versions and leaves package-lock.json unchanged (checked below).
# Needs Node 20 and npm; installs nothing else (never a browser).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
command -v npm >/dev/null 2>&1 || { echo "build-web: npm not found: install Node 20 and npm (apt-get install nodejs npm)" >&2; exit 1; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> npm install (web/, the locked versions)" >&2
    cp package-lock.json "${TMPDIR:-/tmp}/windflow-web-lock.$$"
    npm install --no-audit --no-fund
    if ! cmp -s package-lock.json "${TMPDIR:-/tmp}/windflow-web-lock.$$"; then
        echo "build-web: npm changed package-lock.json: package.json and the lock disagree; commit the new lock" >&2
        rm -f "${TMPDIR:-/tmp}/windflow-web-lock.$$"
        exit 1
    fi
    rm -f "${TMPDIR:-/tmp}/windflow-web-lock.$$"
fi
echo "==> building the web console (web/dist)" >&2
npm run --silent build
