# shellcheck shell=bash
# Sourced (not executed) by .ci/run, scripts/ensure-docker.sh and bench/deploy.sh.
#
# Makes sure the `docker` CLI found on PATH can talk to the running engine.
# This machine class carries two clients: Debian's /usr/bin/docker (20.10, API 1.41)
# and a newer /usr/local/bin/docker (28.x) that comes first on PATH. Docker 28
# negotiates down to the daemon's API 1.41; clients >= 29 refuse daemons older than
# API 1.44. Strategy, in order:
#   1. the `docker` on PATH answers `docker version` for the server -> keep it;
#   2. retry with DOCKER_API_VERSION pinned to the daemon's API (exported);
#   3. put Debian's /usr/bin/docker first on PATH via a shim directory (exported).
# The function never starts the engine; an unreachable engine is reported, not hidden.

windflow_docker_server_api() {
    # Prints the daemon's API version, asking the engine socket directly (no CLI).
    local sock="${DOCKER_HOST:-unix:///var/run/docker.sock}"
    case "$sock" in
        unix://*) sock="${sock#unix://}" ;;
        *) return 1 ;;
    esac
    [ -S "$sock" ] || return 1
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 5 --unix-socket "$sock" http://localhost/version 2>/dev/null \
            | sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/\1/p'
    else
        python3 - "$sock" <<'PY' 2>/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b"GET /version HTTP/1.0\r\nHost: localhost\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
print(json.loads(data.split(b"\r\n\r\n", 1)[1])["ApiVersion"])
PY
    fi
}

windflow_select_docker_client() {
    local out
    if ! command -v docker >/dev/null 2>&1; then
        echo "docker-client: no docker CLI on PATH" >&2
        return 1
    fi
    if out=$(timeout 20 docker version --format '{{.Server.APIVersion}}' 2>&1); then
        echo "docker-client: $(command -v docker) (client $(docker version --format '{{.Client.Version}}' 2>/dev/null)) talks to the engine at API ${out}" >&2
        return 0
    fi
    echo "docker-client: $(command -v docker) cannot talk to the engine: ${out}" >&2
    local api
    api=$(windflow_docker_server_api || true)
    if [ -n "$api" ] && out=$(DOCKER_API_VERSION="$api" timeout 20 docker version --format '{{.Server.APIVersion}}' 2>&1); then
        export DOCKER_API_VERSION="$api"
        echo "docker-client: using $(command -v docker) with DOCKER_API_VERSION=${api}" >&2
        return 0
    fi
    if [ -x /usr/bin/docker ] && [ "$(command -v docker)" != /usr/bin/docker ]; then
        local shim="${TMPDIR:-/tmp}/windflow-docker-shim"
        mkdir -p "$shim"
        ln -sf /usr/bin/docker "$shim/docker"
        export PATH="$shim:$PATH"
        unset DOCKER_API_VERSION
        if out=$(timeout 20 docker version --format '{{.Server.APIVersion}}' 2>&1); then
            echo "docker-client: preferring /usr/bin/docker (Debian's) at API ${out}" >&2
            return 0
        fi
    fi
    echo "docker-client: no docker CLI on this machine can talk to the engine: ${out}" >&2
    return 1
}
