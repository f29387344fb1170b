#!/usr/bin/env bash
# Builds the TCP (layer-4) gateway's test image locally, with no registry and without
# installing HAProxy on the host (the package's postinst would start a system service):
#   windflow/gateway:haproxy-<Debian version, `+~:` as `_`>
#     FROM scratch: Debian's /usr/sbin/haproxy with exactly the shared libraries `ldd` lists
#     (libssl, libpcre2, liblua5.3, libsystemd, libopentracing-c-wrapper, …), busybox-static
#     as /bin/sh and the few applets the runtime execs (`kill`, `mv`, `sleep`, `cat`), /tmp,
#     /var/run and /usr/local/etc/haproxy/haproxy.cfg (nothing served), as in the upstream
#     haproxy:2.6 image. Entrypoint `haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg`.
# Libraries the host lacks (liblua5.3-0, libopentracing-c-wrapper0, libopentracing1 on a
# machine without HAProxy) are downloaded as .debs too and unpacked beside it. Everything is
# cached in $WINDFLOW_CACHE_DIR (default ~/.cache/windflow)/haproxy. An image with that tag
# and the current recipe label is kept, so reruns take well under a second.
set -euo pipefail

RECIPE_REVISION=1
IMAGE_REPO="windflow/gateway"
BUSYBOX=/bin/busybox
CACHE_DIR="${WINDFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/windflow}/haproxy"
# The packages of the libraries haproxy links that a host without HAProxy usually lacks.
EXTRA_PACKAGES=(liblua5.3-0 libopentracing-c-wrapper0 libopentracing1)

say() { echo "ensure-gateway-tcp-image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker CLI: run scripts/ensure-docker.sh first"
timeout 15 docker info >/dev/null 2>&1 || die "Docker engine not reachable: run scripts/ensure-docker.sh first"

candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p'; }
HAPROXY_VERSION="$(candidate haproxy)"
if [ -z "$HAPROXY_VERSION" ] || [ "$HAPROXY_VERSION" = "(none)" ]; then
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi
    say "apt knows no haproxy package; running apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
    HAPROXY_VERSION="$(candidate haproxy)"
fi
if [ -z "$HAPROXY_VERSION" ] || [ "$HAPROXY_VERSION" = "(none)" ]; then
    die "apt knows no haproxy package (Debian bookworm has haproxy 2.6 in main)"
fi
# A tag may not hold `+`, `~` or `:` (2.6.12-1+deb12u3 → 2.6.12-1_deb12u3).
IMAGE="${IMAGE_REPO}:haproxy-${HAPROXY_VERSION//[+~:]/_}"
WANT_LABEL="${HAPROXY_VERSION}/r${RECIPE_REVISION}"

got=$(docker image inspect --format '{{ index .Config.Labels "org.windflow.gateway.haproxy-version" }}/r{{ index .Config.Labels "org.windflow.gateway.recipe" }}' "$IMAGE" 2>/dev/null || true)
if [ "$got" = "$WANT_LABEL" ]; then
    say "$IMAGE is current (haproxy ${HAPROXY_VERSION}, recipe r${RECIPE_REVISION})"
    echo "$IMAGE"
    exit 0
fi

[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing: run scripts/ensure-test-images.sh first (it installs busybox-static)"

mkdir -p "$CACHE_DIR"
download() { # package version
    local file
    file=$(ls "$CACHE_DIR"/"$1"_"${2//:/%3a}"_*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$file" ]; then
        say "downloading $1 $2 (.deb only, not installed) into $CACHE_DIR"
        (cd "$CACHE_DIR" && apt-get download -q "$1=$2" >&2) || die "apt-get download $1 failed"
        file=$(ls "$CACHE_DIR"/"$1"_"${2//:/%3a}"_*.deb | head -n1)
    fi
    echo "$file"
}
deb=$(download haproxy "$HAPROXY_VERSION")
unpacked="$CACHE_DIR/unpacked-${HAPROXY_VERSION}"
if [ ! -x "$unpacked/usr/sbin/haproxy" ]; then
    rm -rf "$unpacked"
    dpkg-deb -x "$deb" "$unpacked"
fi
extra="$CACHE_DIR/extra-${HAPROXY_VERSION}"
if [ ! -f "$extra/.done" ]; then
    rm -rf "$extra"
    for package in "${EXTRA_PACKAGES[@]}"; do
        version="$(candidate "$package")"
        [ -n "$version" ] && [ "$version" != "(none)" ] || die "apt knows no $package package"
        dpkg-deb -x "$(download "$package" "$version")" "$extra"
    done
    touch "$extra/.done"
fi
extra_dirs=$(find "$extra" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)

# Exactly what `ldd` lists: a path under $extra goes to the same path without that prefix,
# any other path is the host's and is copied from there (the loader included).
mapfile -t libraries < <(LD_LIBRARY_PATH="$extra_dirs" ldd "$unpacked/usr/sbin/haproxy" | awk '/=> not found/ { print "MISSING:" $1; next } { for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }')
for lib in "${libraries[@]}"; do
    case "$lib" in MISSING:*) die "haproxy needs ${lib#MISSING:}, which neither the host nor ${EXTRA_PACKAGES[*]} provide" ;; esac
done
say "haproxy links ${#libraries[@]} libraries; copying them"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{usr/sbin,bin,usr/local/etc/haproxy,tmp,var/run}
chmod 1777 "$root/tmp"
cp "$unpacked/usr/sbin/haproxy" "$root/usr/sbin/haproxy"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in sh kill mv sleep cat; do ln -s /bin/busybox "$root/bin/$applet"; done
for lib in "${libraries[@]}"; do
    case "$lib" in
        "$extra"/*) target="${lib#"$extra"}" ;;
        *) target="$lib" ;;
    esac
    mkdir -p "$root$(dirname "$target")"
    cp -L "$lib" "$root$target"
done
cat > "$root/usr/local/etc/haproxy/haproxy.cfg" <<'CFG'
# Replaced by WindFlow before the container starts (HAProxy refuses to run with no listener).
global
    log stderr format raw local0 notice
defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
CFG
cat > "$work/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs /
ENV PATH=/usr/sbin:/bin
LABEL org.windflow.gateway.haproxy-version="${HAPROXY_VERSION}" org.windflow.gateway.recipe="${RECIPE_REVISION}"
STOPSIGNAL SIGUSR1
ENTRYPOINT ["haproxy"]
CMD ["-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
DOCKERFILE
say "building $IMAGE from Debian's haproxy ${HAPROXY_VERSION}"
DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$work" >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; die "docker build failed"; }
docker run --rm --network none "$IMAGE" -v >&2 || die "smoke test of $IMAGE failed"
say "built $IMAGE ($(docker image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19))"
echo "$IMAGE"
