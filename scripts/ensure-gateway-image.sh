#!/usr/bin/env bash
# Builds the gateway's test image locally, with no registry and without installing Caddy on
# the host (the package's postinst would start a system service):
#   windflow/gateway:caddy-<Debian version>
#     FROM scratch: Debian's /usr/bin/caddy (with the shared libraries it links, when it is
#     not static — bookworm's links libc and libzstd), busybox-static's `wget` (the only HTTP
#     client inside the container, used to read Caddy's admin API on 127.0.0.1:2019, as
#     `wget` in the upstream caddy:2 image is), /etc/caddy/windflow.json (admin on
#     localhost:2019 only, nothing else), /tmp, /data and /config.
#     Entrypoint `caddy run --config /etc/caddy/windflow.json`.
# The .deb is downloaded once into a cache directory ($WINDFLOW_CACHE_DIR, default
# ~/.cache/windflow) and unpacked there with dpkg-deb -x. An image with that tag and the
# current recipe label is kept, so reruns take well under a second.
set -euo pipefail

RECIPE_REVISION=1
IMAGE_REPO="windflow/gateway"
BUSYBOX=/bin/busybox
CACHE_DIR="${WINDFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/windflow}/caddy"

say() { echo "ensure-gateway-image: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker CLI: run scripts/ensure-docker.sh first"
timeout 15 docker info >/dev/null 2>&1 || die "Docker engine not reachable: run scripts/ensure-docker.sh first"

candidate() { apt-cache policy caddy 2>/dev/null | sed -n 's/^ *Candidate: *//p'; }
CADDY_VERSION="$(candidate)"
if [ -z "$CADDY_VERSION" ] || [ "$CADDY_VERSION" = "(none)" ]; then
    # A fresh machine may have no package lists yet.
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi
    say "apt knows no caddy package; running apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
    CADDY_VERSION="$(candidate)"
fi
if [ -z "$CADDY_VERSION" ] || [ "$CADDY_VERSION" = "(none)" ]; then
    die "apt knows no caddy package (Debian bookworm has caddy 2.6 in main)"
fi
IMAGE="${IMAGE_REPO}:caddy-${CADDY_VERSION}"
WANT_LABEL="${CADDY_VERSION}/r${RECIPE_REVISION}"

got=$(docker image inspect --format '{{ index .Config.Labels "org.windflow.gateway.caddy-version" }}/r{{ index .Config.Labels "org.windflow.gateway.recipe" }}' "$IMAGE" 2>/dev/null || true)
if [ "$got" = "$WANT_LABEL" ]; then
    say "$IMAGE is current (caddy ${CADDY_VERSION}, recipe r${RECIPE_REVISION})"
    echo "$IMAGE"
    exit 0
fi

[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing: run scripts/ensure-test-images.sh first (it installs busybox-static)"

mkdir -p "$CACHE_DIR"
deb=$(ls "$CACHE_DIR"/caddy_"${CADDY_VERSION//:/%3a}"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
    say "downloading caddy ${CADDY_VERSION} (.deb only, not installed) into $CACHE_DIR"
    (cd "$CACHE_DIR" && apt-get download -q "caddy=${CADDY_VERSION}" >&2) || die "apt-get download caddy failed"
    deb=$(ls "$CACHE_DIR"/caddy_*.deb | head -n1)
fi
unpacked="$CACHE_DIR/unpacked-${CADDY_VERSION}"
if [ ! -x "$unpacked/usr/bin/caddy" ]; then
    rm -rf "$unpacked"
    dpkg-deb -x "$deb" "$unpacked"
fi
# Debian builds caddy dynamically linked (libc, libzstd): `file` says so, and then the
# libraries `ldd` names (and the loader) are copied from the host at their paths, as
# crates/testkit's runtime image does. A static build needs nothing more.
libraries=()
case "$(file -L "$unpacked/usr/bin/caddy")" in
    *"statically linked"*) say "caddy is statically linked" ;;
    *"dynamically linked"*)
        mapfile -t libraries < <(ldd "$unpacked/usr/bin/caddy" | awk '/=> not found/ { print "MISSING:" $1; next } { for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }')
        for lib in "${libraries[@]}"; do
            case "$lib" in MISSING:*) die "caddy needs ${lib#MISSING:}, which the host lacks" ;; esac
        done
        say "caddy is dynamically linked; copying ${libraries[*]}" ;;
    *) die "$unpacked/usr/bin/caddy is not an executable file command recognizes" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{usr/bin,bin,etc/caddy,tmp,data,config}
chmod 1777 "$root/tmp"
cp "$unpacked/usr/bin/caddy" "$root/usr/bin/caddy"
cp "$BUSYBOX" "$root/bin/busybox"
for lib in "${libraries[@]}"; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
ln -s /bin/busybox "$root/usr/bin/wget"
cat > "$root/etc/caddy/windflow.json" <<'JSON'
{"admin":{"listen":"localhost:2019"}}
JSON
cat > "$work/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs /
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data HOME=/data PATH=/usr/bin:/bin
LABEL org.windflow.gateway.caddy-version="${CADDY_VERSION}" org.windflow.gateway.recipe="${RECIPE_REVISION}"
EXPOSE 80 443
ENTRYPOINT ["caddy"]
CMD ["run", "--config", "/etc/caddy/windflow.json"]
DOCKERFILE
say "building $IMAGE from Debian's caddy ${CADDY_VERSION}"
DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$work" >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; die "docker build failed"; }
docker run --rm --network none --entrypoint caddy "$IMAGE" version >&2 || die "smoke test of $IMAGE failed"
say "built $IMAGE ($(docker image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19))"
echo "$IMAGE"
