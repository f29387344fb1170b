#!/usr/bin/env bash
# Starts the single-node Kubernetes the Kubernetes-target tests deploy to (crates/engine/tests/
# kube.rs, crates/cli/tests/kube.rs) and prints its admin kubeconfig's path on stdout.
#   scripts/ensure-k8s.sh        up (idempotent: about a second when it already runs)
#   scripts/ensure-k8s.sh down   stops it and restores what the kubelet changed on the host
# The cluster is the harness shipped beside the project (../shared/k8s/cluster.sh, or
# WINDFLOW_K8S_HARNESS): etcd, kube-apiserver, controller-manager, scheduler, a private
# containerd and a kubelet, all on 127.0.0.1, with a busybox image built from the host's own
# busybox-static (`docker.io/library/busybox:local`, imagePullPolicy Never). Needs root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "ensure-k8s: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

harness="${WINDFLOW_K8S_HARNESS:-$(cd .. && pwd)/shared/k8s}"
script="$harness/cluster.sh"
[ -f "$script" ] || die "no Kubernetes harness at $harness (set WINDFLOW_K8S_HARNESS to the folder holding cluster.sh)"
workdir="${WINDFLOW_K8S_WORKDIR:-/tmp/windflow-k8s}"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
        || die "the Kubernetes harness needs root: run as root or with passwordless sudo"
    SUDO=(sudo -n)
fi

case "${1:-up}" in
    up)
        # One `up` at a time: test binaries may ask for the cluster concurrently.
        exec 9>"/tmp/windflow-k8s.up.lock"
        flock 9
        # The daemons `up` starts must not inherit the lock (they would hold it for ever).
        "${SUDO[@]}" bash "$script" up "$workdir" 9>&- >&2 || die "cluster.sh up failed (logs in $workdir/logs)"
        kubeconfig="$workdir/admin.kubeconfig"
        [ -r "$kubeconfig" ] || die "no kubeconfig at $kubeconfig"
        echo "$kubeconfig"
        ;;
    down)
        "${SUDO[@]}" bash "$script" down "$workdir" >&2
        ;;
    *) die "usage: $0 [up|down]" ;;
esac
