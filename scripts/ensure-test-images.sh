#!/usr/bin/env bash
# Builds WindFlow's test images locally, with no registry:
#   windflow-test/busybox:latest  Debian's static busybox + applet links, /tmp, /etc/passwd
#                                 (root, nobody), /etc/group; CMD ["sh"].
#   windflow-test/busybox:alt     the same plus /etc/windflow-variant, so tests can change
#                                 a service's image to one with different content.
# Both carry the label org.windflow.test.busybox-version=<Debian package version> and
# org.windflow.test.recipe=<recipe revision>; an image with matching labels is kept,
# so reruns take well under a second.
set -euo pipefail

RECIPE_REVISION=1
IMAGE_REPO="windflow-test/busybox"
BUSYBOX=/bin/busybox

say() { echo "ensure-test-images: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker CLI: run scripts/ensure-docker.sh first"
timeout 15 docker info >/dev/null 2>&1 || die "Docker engine not reachable: run scripts/ensure-docker.sh first"

# busybox-static provides the static /bin/busybox; Debian's plain `busybox` is dynamic and
# would not run in a scratch rootfs.
if [ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" != "install ok installed" ]; then
    say "installing busybox-static"
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "busybox-static is missing: run 'apt-get install -y busybox-static' as root"
        SUDO=(sudo -n)
    fi
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends busybox-static >&2 </dev/null; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends busybox-static >&2 </dev/null \
            || die "apt-get install busybox-static failed"
    fi
fi
case "$(ldd "$BUSYBOX" 2>&1 || true)" in
    *"not a dynamic executable"*) ;;
    *) die "$BUSYBOX is not statically linked (is busybox-static installed?)" ;;
esac

BUSYBOX_VERSION="$(dpkg-query -W -f='${Version}' busybox-static)"
WANT_LABEL="${BUSYBOX_VERSION}/r${RECIPE_REVISION}"

image_is_current() {
    local got
    got=$(docker image inspect --format '{{ index .Config.Labels "org.windflow.test.busybox-version" }}/r{{ index .Config.Labels "org.windflow.test.recipe" }}' "$1" 2>/dev/null) || return 1
    [ "$got" = "$WANT_LABEL" ]
}

# Tags that must exist; "alt" adds a variant marker file.
build_image() {
    local tag="$1" variant="$2"
    local image="${IMAGE_REPO}:${tag}"
    if image_is_current "$image"; then
        say "$image is current (busybox ${BUSYBOX_VERSION}, recipe r${RECIPE_REVISION})"
        return 0
    fi
    say "building $image from $BUSYBOX (busybox ${BUSYBOX_VERSION})"
    local work
    work=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN
    local root="$work/rootfs"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/www,home,proc,sys,dev,run}
    chmod 1777 "$root/tmp"
    cp "$BUSYBOX" "$root/bin/busybox"
    # Every applet this busybox knows, as relative symlinks in the usual places.
    local applet_path name dir
    while IFS= read -r applet_path; do
        [ -n "$applet_path" ] || continue
        name="${applet_path##*/}"
        dir="$root/$(dirname "$applet_path")"
        [ "$name" = busybox ] && continue
        mkdir -p "$dir"
        [ -e "$dir/$name" ] || ln -s /bin/busybox "$dir/$name"
    done < <("$BUSYBOX" --list-full)
    # The applets tests rely on must exist, whatever --list-full printed.
    local applets
    applets=$("$BUSYBOX" --list)
    local required=(sh httpd wget sleep cat echo nc true false test ls env id touch mkdir printf date hostname ps kill tail head grep seq)
    for name in "${required[@]}"; do
        if [ ! -e "$root/bin/$name" ] && [ ! -e "$root/usr/bin/$name" ] && [ ! -e "$root/sbin/$name" ] && [ ! -e "$root/usr/sbin/$name" ]; then
            grep -qx "$name" <<<"$applets" || die "busybox lacks the applet '$name'"
            ln -s /bin/busybox "$root/bin/$name"
        fi
    done
    cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
    cat > "$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
    echo "hosts: files dns" > "$root/etc/nsswitch.conf"
    echo "windflow test image" > "$root/var/www/index.html"
    if [ "$variant" = alt ]; then
        echo "alt" > "$root/etc/windflow-variant"
        echo "windflow test image (alt)" > "$root/var/www/index.html"
    fi
    local candidate="${IMAGE_REPO}:candidate-${tag}-$$"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$work/rootfs.tar" .
    docker import \
        --change 'CMD ["sh"]' \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "LABEL org.windflow.test.busybox-version=${BUSYBOX_VERSION}" \
        --change "LABEL org.windflow.test.recipe=${RECIPE_REVISION}" \
        --change "LABEL org.windflow.test.variant=${variant}" \
        --message "windflow test image (${variant})" \
        "$work/rootfs.tar" "$candidate" >/dev/null
    # Smoke test before tagging, so a broken build never looks current.
    if ! docker run --rm --network none "$candidate" sh -c \
        'test -d /tmp && test "$(id -u nobody)" = 65534 && for a in '"${required[*]}"'; do command -v $a >/dev/null || { echo "no $a"; exit 1; }; done'; then
        docker image rm "$candidate" >/dev/null 2>&1 || true
        die "smoke test of $image failed"
    fi
    docker tag "$candidate" "$image"
    docker image rm "$candidate" >/dev/null
    say "built $image ($(docker image inspect --format '{{.Id}}' "$image" | cut -c1-19))"
}

build_image latest latest
build_image alt alt
