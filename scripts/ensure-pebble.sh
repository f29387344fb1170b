#!/usr/bin/env bash
# Ensures Debian's `pebble` package (Let's Encrypt's small test ACME server, 2.4, which ships
# `pebble-challtestsrv`, the mock DNS/HTTP responder pebble validates against) is installed,
# for windflow-acme's tests: each test runs its own pebble and challtestsrv on loopback ports
# with a generated TLS certificate and config (crates/acme/tests/pebble.rs); nothing here
# starts a daemon. Idempotent: says so and exits when the binaries are present.
set -euo pipefail

say() { echo "ensure-pebble: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

versions() {
    # pebble 2.4 has no --version flag; the package version is the reliable one.
    dpkg-query -W -f='pebble ${Version}' pebble 2>/dev/null || echo "pebble (not from dpkg)"
}

if command -v pebble >/dev/null 2>&1 && command -v pebble-challtestsrv >/dev/null 2>&1; then
    say "$(versions) present ($(command -v pebble), $(command -v pebble-challtestsrv)); nothing to do"
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
        || die "pebble is missing: run 'apt-get install -y pebble' as root"
    SUDO=(sudo -n)
fi
apt_opts=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
say "installing pebble"
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" pebble >&2 </dev/null; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" pebble >&2 </dev/null \
        || die "apt-get install pebble failed"
fi
command -v pebble >/dev/null 2>&1 || die "pebble missing after install"
command -v pebble-challtestsrv >/dev/null 2>&1 || die "pebble-challtestsrv missing after install"
say "$(versions) installed"
