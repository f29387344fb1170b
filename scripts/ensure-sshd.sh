#!/usr/bin/env bash
# Ensures Debian's OpenSSH server binary (/usr/sbin/sshd) and ssh-keygen are installed, for
# the SSH transport tests: each test runs its own `sshd -D` on a loopback port with a
# generated config and keys (crates/engine/tests/ssh.rs); nothing here starts a daemon.
# Idempotent: says so and exits when the binaries are present.
set -euo pipefail

say() { echo "ensure-sshd: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1; then
    say "openssh-server present ($(/usr/sbin/sshd -V 2>&1 | head -1 || true)); nothing to do"
else
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
            || die "openssh-server is missing: run 'apt-get install -y openssh-server' as root"
        SUDO=(sudo -n)
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
    say "installing openssh-server"
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" openssh-server >&2 </dev/null; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" openssh-server >&2 </dev/null \
            || die "apt-get install openssh-server failed"
    fi
fi
# The privilege separation directory sshd insists on (no systemd creates it here).
if [ ! -d /run/sshd ]; then
    if [ "$(id -u)" -eq 0 ]; then mkdir -p -m 0755 /run/sshd; else sudo -n mkdir -p -m 0755 /run/sshd; fi
fi
[ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd missing after install"
