#!/usr/bin/env bash
# Ensures what the single sign-on tests need (crates/cli/tests/server/sso.rs): panva's
# `oidc-provider` (npm, a certified OpenID Provider; pinned by OIDC_PROVIDER_VERSION, default 9)
# installed under $WINDFLOW_CACHE_DIR (default ~/.cache/windflow)/oidc-provider. The tests start
# it on a loopback port with crates/testkit/oidc/provider.mjs, which imports it from there.
# A cache holding the pinned major is kept, so reruns take well under a second.
#
# On success stdout has one line, for test.sh to eval (everything else goes to stderr):
#   export WINDFLOW_OIDC_PROVIDER_MODULES=/abs/path/to/node_modules
set -euo pipefail

OIDC_PROVIDER_VERSION="${OIDC_PROVIDER_VERSION:-9}"
CACHE_DIR="${WINDFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/windflow}/oidc-provider"
case "$CACHE_DIR" in /*) ;; *) CACHE_DIR="$PWD/$CACHE_DIR" ;; esac

say() { echo "ensure-oidc-provider: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v node >/dev/null 2>&1 || die "node is required (Node 20 or later)"
command -v npm >/dev/null 2>&1 || die "npm is required"

installed_major() {
    node -e "console.log(require('$CACHE_DIR/node_modules/oidc-provider/package.json').version.split('.')[0])" 2>/dev/null || true
}

if [ "$(installed_major)" != "${OIDC_PROVIDER_VERSION%%.*}" ]; then
    say "installing oidc-provider@$OIDC_PROVIDER_VERSION into $CACHE_DIR"
    mkdir -p "$CACHE_DIR"
    [ -f "$CACHE_DIR/package.json" ] || echo '{"name":"windflow-oidc-provider","private":true}' >"$CACHE_DIR/package.json"
    (cd "$CACHE_DIR" && npm install --no-audit --no-fund --loglevel=error "oidc-provider@$OIDC_PROVIDER_VERSION" >&2) \
        || die "npm install oidc-provider@$OIDC_PROVIDER_VERSION failed"
fi
[ -f "$CACHE_DIR/node_modules/oidc-provider/package.json" ] || die "oidc-provider missing after install"
say "oidc-provider $(node -e "console.log(require('$CACHE_DIR/node_modules/oidc-provider/package.json').version)")"
echo "export WINDFLOW_OIDC_PROVIDER_MODULES=$CACHE_DIR/node_modules"
