#!/usr/bin/env bash
# Ensures Debian's headless-capable Chromium at /usr/bin/chromium for the web console's
# end-to-end tests and benchmark (driven by playwright-core, which never downloads a browser).
#
# Idempotent: if /usr/bin/chromium runs, it only says so. Otherwise it installs the Debian
# `chromium` package (apt-get update only when the package lists lack it). It never skips:
# when Chromium cannot be had it exits non-zero with the reason.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

say() { echo "ensure-chromium: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        NEED_ROOT=1
    fi
fi
as_root() {
    if [ -n "${NEED_ROOT:-}" ]; then
        die "installing chromium needs root: rerun as root (sudo bash $0) or apt-get install chromium"
    fi
    "${SUDO[@]}" "$@"
}

chromium_runs() { [ -x "$CHROMIUM" ] && timeout 30 "$CHROMIUM" --headless --no-sandbox --version >/dev/null 2>&1; }

if chromium_runs; then
    say "$("$CHROMIUM" --version 2>/dev/null); nothing to do"
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || die "no $CHROMIUM and no apt-get on this machine"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends)
policy=$(apt-cache policy chromium 2>/dev/null || true)
if [[ "$policy" != *"Candidate: "[!\(]* ]]; then
    say "package lists lack chromium: apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
fi
say "installing chromium"
if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" chromium fonts-liberation >&2 </dev/null; then
    say "apt-get install failed; refreshing package lists and retrying once"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" chromium fonts-liberation >&2 </dev/null \
        || die "apt-get install chromium failed"
fi
chromium_runs || die "$CHROMIUM is installed but does not run headless"
say "$("$CHROMIUM" --version 2>/dev/null) installed"
