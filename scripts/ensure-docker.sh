#!/usr/bin/env bash
# Ensures a working Docker engine (plus docker-compose and busybox-static, which the
# test images and the benchmarks need) on a Debian machine without systemd.
#
# Idempotent: if `docker info` answers and the tools are present, it only says so.
# Otherwise it installs the Debian packages (apt-get update only when the package
# lists lack them), starts `dockerd` in the background and polls `docker info` for up
# to $WINDFLOW_DOCKERD_TIMEOUT seconds (default 60). It never skips: when the engine
# cannot be had it exits non-zero with the tail of the dockerd log.
set -euo pipefail

# docker-registry and apache2-utils (htpasswd) serve the authenticated-pull test.
PACKAGES=(docker.io runc docker-compose busybox-static docker-registry apache2-utils)
DOCKERD_TIMEOUT="${WINDFLOW_DOCKERD_TIMEOUT:-60}"
LOG_DIR="${XDG_RUNTIME_DIR:-/tmp}"
DOCKERD_LOG="${WINDFLOW_DOCKERD_LOG:-$LOG_DIR/windflow-dockerd.log}"

say() { echo "ensure-docker: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Root, or sudo, or a clear instruction.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        NEED_ROOT_MSG="this step needs root: rerun as root (sudo bash $0) or install docker.io runc docker-compose busybox-static and start dockerd yourself"
    fi
fi
as_root() {
    if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then die "${NEED_ROOT_MSG}"; fi
    "${SUDO[@]}" "$@"
}

# The engine answers through the docker on PATH or, failing that (a client too new for
# API 1.41), through Debian's /usr/bin/docker; lib/docker-client.sh then picks the client.
engine_answers() {
    { command -v docker >/dev/null 2>&1 && timeout 15 docker info >/dev/null 2>&1; } \
        || { [ -x /usr/bin/docker ] && timeout 15 /usr/bin/docker info >/dev/null 2>&1; }
}

package_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do package_installed "$p" || echo "$p"; done
}

# Succeeds when apt knows an installable candidate for every package given.
apt_has_candidates() {
    local p
    local policy
    for p in "$@"; do
        # Captured, not piped into grep -q: under pipefail an early grep exit fails the pipe.
        policy=$(apt-cache policy "$p" 2>/dev/null || true)
        [[ "$policy" == *"Candidate: "[!\(]* ]] || return 1
    done
}

install_packages() {
    local -a missing
    mapfile -t missing < <(missing_packages)
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get on this machine"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    local apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends)
    if ! apt_has_candidates "${missing[@]}"; then
        say "package lists lack ${missing[*]}: apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
    fi
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2 </dev/null; then
        # Stale lists give 404s on download: refresh once and retry.
        say "apt-get install failed; refreshing package lists and retrying once"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2 </dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
}

dockerd_running() { pgrep -x dockerd >/dev/null 2>&1; }

start_dockerd() {
    command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io"
    if dockerd_running; then
        say "dockerd is already running (pid $(pgrep -x dockerd | head -1)); waiting for it to answer"
        return 0
    fi
    # A stale pid file from a killed dockerd makes the new one refuse to start.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
        as_root rm -f /var/run/docker.pid
    fi
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    say "starting dockerd (log: $DOCKERD_LOG)"
    # No systemd on these machines: run it detached, in its own session, logging to a file.
    if [ ${#SUDO[@]} -gt 0 ]; then
        "${SUDO[@]}" sh -c "nohup setsid dockerd >>'$DOCKERD_LOG' 2>&1 </dev/null &"
    elif [ "$(id -u)" -eq 0 ]; then
        nohup setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    else
        die "${NEED_ROOT_MSG}"
    fi
}

wait_for_engine() {
    local deadline=$((SECONDS + DOCKERD_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        engine_answers && return 0
        sleep 1
    done
    return 1
}

fail_with_log() {
    say "ERROR: the Docker engine did not answer within ${DOCKERD_TIMEOUT}s"
    local log
    # Our own log, or the usual place for a dockerd started by hand.
    for log in "$DOCKERD_LOG" /tmp/dockerd.log; do
        if [ -f "$log" ]; then
            say "last lines of $log:"
            tail -n 40 "$log" >&2 || true
            break
        fi
    done
    if [ -S /var/run/docker.sock ] && [ "$(id -u)" -ne 0 ]; then
        say "hint: the socket exists but may not be accessible to $(id -un); add the user to the 'docker' group or run as root"
    fi
    exit 1
}

main() {
    if engine_answers && [ -z "$(missing_packages)" ]; then
        say "engine up ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null)); nothing to do"
    else
        install_packages
        if ! engine_answers; then
            start_dockerd
            wait_for_engine || fail_with_log
        fi
        say "engine answers ($(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
    fi
    # The engine answering through *some* client is not enough: check the one on PATH.
    # shellcheck source=scripts/lib/docker-client.sh
    source "$(dirname "${BASH_SOURCE[0]}")/lib/docker-client.sh"
    windflow_select_docker_client || die "no docker CLI can talk to the engine"
    command -v docker-compose >/dev/null 2>&1 || die "docker-compose missing after install"
    local ldd_out
    ldd_out=$(ldd /bin/busybox 2>&1 || true)
    case "$ldd_out" in
        *"not a dynamic executable"*) ;;
        *) die "/bin/busybox is not the static build (busybox-static): $ldd_out" ;;
    esac
}

# Sourcing (for tests of the functions above) defines them without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
