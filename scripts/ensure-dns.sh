#!/usr/bin/env bash
# Ensures the DNS servers and tools the windflow-dns tests run (crates/dns/tests/dns.rs):
# Knot DNS (knotd, keymgr, kdig), PowerDNS with the SQLite backend (pdns_server, pdnsutil and
# the schema file), BIND's dig/delv and dnssec-dsfromkey, and sqlite3. Each test starts its own
# server on a loopback port with a generated config; nothing here should leave a daemon running.
# Debian's packages start their services in postinst where an init system lets them: while
# installing, a temporary policy-rc.d forbids that, and any daemon that started anyway is
# stopped afterwards, so port 53 stays free.
# Idempotent: says so and exits when everything is present.
set -euo pipefail

say() { echo "ensure-dns: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# package:file that proves it is installed
wanted=(
    "knot:/usr/sbin/knotd"
    "knot-dnsutils:/usr/bin/kdig"
    "pdns-server:/usr/sbin/pdns_server"
    "pdns-backend-sqlite3:/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"
    "bind9-dnsutils:/usr/bin/delv"
    "bind9-utils:/usr/bin/dnssec-dsfromkey"
    "sqlite3:/usr/bin/sqlite3"
)
missing=()
for entry in "${wanted[@]}"; do
    [ -e "${entry#*:}" ] || missing+=("${entry%%:*}")
done

if [ "${#missing[@]}" -eq 0 ]; then
    say "knot $(/usr/sbin/knotd --version 2>&1 | head -1 | awk '{print $NF}'), pdns $(dpkg-query -W -f='${Version}' pdns-server 2>/dev/null), bind9 tools present; nothing to do"
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
        || die "missing ${missing[*]}: run 'apt-get install -y ${missing[*]}' as root"
    SUDO=(sudo -n)
fi

# Forbid service starts during the install (policy-rc.d exit 101), unless one already exists.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
    "${SUDO[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 0755 $policy"
    added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then "${SUDO[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

apt_opts=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
say "installing ${missing[*]}"
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2 </dev/null; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2 </dev/null \
        || die "apt-get install ${missing[*]} failed"
fi

# A daemon an init system started anyway (no policy-rc.d honoured) is stopped: the tests run
# their own instances on other ports, and a stray resolver on port 53 confuses people.
for service in knot pdns; do
    if [ -x "/etc/init.d/$service" ] && "/etc/init.d/$service" status >/dev/null 2>&1; then
        say "stopping the $service service the package started"
        "${SUDO[@]}" "/etc/init.d/$service" stop >&2 || say "could not stop $service (continuing)"
    fi
done

for entry in "${wanted[@]}"; do
    [ -e "${entry#*:}" ] || die "${entry#*:} missing after installing ${entry%%:*}"
done
say "installed ${missing[*]}"
