#!/usr/bin/env bash
# Builds the web console into web/dist, which `cargo build` embeds into windflow (see
# crates/server/build.rs).
#
# Installs are reproducible: `npm ci` installs exactly what web/package-lock.json names (the
# lock is complete: every platform's optional packages are in it), never rewrites it, and
# web/.npmrc makes it strict — a package whose `engines` excludes this Node fails the install,
# and only the install scripts package.json's `allowScripts` approves run (esbuild's; vue-demi's
# is denied: it only re-selects the Vue 3 build the package already ships).
# node_modules is reused while it was installed from the lock as it is now (a hash of the lock
# is kept beside it). Needs Node 20 or newer and npm; installs nothing else (never a browser).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export npm_config_update_notifier=false

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    { echo "build-web: node or npm not found: install Node 20 or newer and npm (apt-get install nodejs npm)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
    echo "build-web: Node $(node --version) is too old: the console builds with Node 20 or newer (web/package.json engines)" >&2
    exit 1
fi

stamp=node_modules/.windflow-lock.sha256
want=$(sha256sum package-lock.json package.json .npmrc | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> npm ci (web/, exactly the versions in package-lock.json)" >&2
    if ! npm ci --no-audit --no-fund; then
        cat >&2 <<'MSG'
build-web: `npm ci` refused web/package-lock.json (see npm's error above). When package.json
changed, or the registry now lists packages the lock does not have (e.g. another platform's
optional packages), repair the lock and commit it:
    cd web && npm install --no-audit --no-fund && git add package-lock.json
When npm names a package whose engines exclude this Node, pin a version that supports it in
package.json. When it names an install script not covered by allowScripts, review it and run
`npm install-scripts approve <pkg>` or `npm install-scripts deny <pkg>` in web/.
MSG
        exit 1
    fi
    echo "$want" >"$stamp"
fi
echo "==> building the web console (web/dist)" >&2
npm run --silent build
