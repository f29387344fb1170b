#!/usr/bin/env bash
# Ensures what the notification crate's e-mail tests need (crates/notify/tests/email.rs): the
# aiosmtpd SMTP server (PyPI, pinned by AIOSMTPD_VERSION, default 1.4.6) in a virtualenv under
# $WINDFLOW_CACHE_DIR (default ~/.cache/windflow)/aiosmtpd/venv. The tests start it on a loopback
# port through that venv's python (a small inline script around aiosmtpd's Controller).
# Idempotent: a venv that already imports the pinned version is kept (reruns take well under a
# second).
#
# On success stdout has one line, the venv's python (for WINDFLOW_AIOSMTPD_PYTHON; the tests
# also find it at the default path without the variable); everything else goes to stderr.
set -euo pipefail

AIOSMTPD_VERSION="${AIOSMTPD_VERSION:-1.4.6}"
CACHE_DIR="${WINDFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/windflow}/aiosmtpd"
case "$CACHE_DIR" in /*) ;; *) CACHE_DIR="$PWD/$CACHE_DIR" ;; esac
VENV="$CACHE_DIR/venv"
PY="$VENV/bin/python"

say() { echo "ensure-aiosmtpd: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

installed_version() {
    "$PY" -c 'import importlib.metadata as m; print(m.version("aiosmtpd"))' 2>/dev/null || true
}

if [ "$(installed_version)" != "$AIOSMTPD_VERSION" ]; then
    command -v python3 >/dev/null 2>&1 || die "python3 is required (apt-get install python3 python3-venv)"
    if [ ! -x "$PY" ]; then
        say "creating the virtualenv $VENV"
        mkdir -p "$CACHE_DIR"
        if ! python3 -m venv "$VENV" >&2; then
            # Debian's python3 ships venv without ensurepip: that is the python3-venv package.
            rm -rf "$VENV"
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                say "python3 -m venv failed: installing python3-venv"
                { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; } >&2 ||
                    die "apt-get install python3-venv failed"
                python3 -m venv "$VENV" >&2 || { rm -rf "$VENV"; die "python3 -m venv failed"; }
            else
                die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
            fi
        fi
    fi
    say "installing aiosmtpd==$AIOSMTPD_VERSION into $VENV"
    "$PY" -m pip install --disable-pip-version-check --quiet "aiosmtpd==$AIOSMTPD_VERSION" >&2 ||
        die "pip install aiosmtpd==$AIOSMTPD_VERSION failed"
fi
[ "$(installed_version)" = "$AIOSMTPD_VERSION" ] || die "aiosmtpd missing from $VENV after install"
say "aiosmtpd $AIOSMTPD_VERSION ($PY)"
echo "$PY"
