#!/usr/bin/env bash
# Kubernetes target: `windflow up --mode kubernetes` vs kubectl, on the local single-node
# cluster of scripts/ensure-k8s.sh.
#
#   bench/kube.sh [--runs 5] [--redeploy-runs 5] [--cold-size 20] [--redeploy-sizes "20 100"]
#                 [--ready-timeout 300] [--setup-timeout 240] [--quick]
#
# Scenarios (runs alternate between the tools, the order swapped every round, so drift in the
# machine's load hits both alike):
#   cold N        time to Ready of N services, each run into a fresh namespace deleted
#                 afterwards (untimed): `windflow up` (returns once every Deployment rolled out,
#                 readiness probes passing) vs `kubectl apply -f <windflow export>` followed by
#                 `kubectl rollout status` of every Deployment (one per Deployment, all at once;
#                 the clock stops when the last returns).
#   unchanged N   the same stack redeployed with nothing changed, in one namespace deployed
#                 once by windflow (untimed): `windflow up` vs
#                 `kubectl apply --server-side --field-manager=bench -f <the same manifests>`.
#                 The pods need not be Ready (at 100 services on 2 cores they may still be
#                 starting): both commands only plan/apply objects whose spec is unchanged.
# Services: N Deployments of `docker.io/library/busybox:local` (imagePullPolicy Never: the
# harness's image, nothing is pulled), `sh -c "exec sleep 100000"`, stop_grace_period 1s, a
# healthcheck `["CMD","true"]` every 1s (a readiness and a liveness exec probe).
#
# The windflow binary: $WINDFLOW_BIN, else built with `cargo build --release -p windflow-cli`;
# it is copied first, so a rebuild during the run does not change it. windflow's history goes
# to a scratch WINDFLOW_STATE_DIR. Prints one Markdown table (median / min / max, ratio) with
# every sample and writes it to bench/results/kube.md. Needs root (the cluster harness).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=5
REDEPLOY_RUNS=5
COLD_SIZE=20
REDEPLOY_SIZES="20 100"
READY_TIMEOUT=300
SETUP_TIMEOUT=240
usage() {
    echo "usage: $0 [--runs N] [--redeploy-runs N] [--cold-size N] [--redeploy-sizes \"N M\"] [--ready-timeout S] [--setup-timeout S] [--quick]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --redeploy-runs) REDEPLOY_RUNS="$2"; shift 2 ;;
        --cold-size) COLD_SIZE="$2"; shift 2 ;;
        --redeploy-sizes) REDEPLOY_SIZES="$2"; shift 2 ;;
        --ready-timeout) READY_TIMEOUT="$2"; shift 2 ;;
        --setup-timeout) SETUP_TIMEOUT="$2"; shift 2 ;;
        --quick) RUNS=2; REDEPLOY_RUNS=3; shift ;;
        *) usage ;;
    esac
done

say() { echo "bench/kube.sh: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

target_dir="${CARGO_TARGET_DIR:-target}"
if [ -z "${WINDFLOW_BIN:-}" ]; then
    say "building windflow (release)"
    cargo build --release -p windflow-cli >&2 || die "cannot build windflow-cli; set WINDFLOW_BIN"
    WINDFLOW_BIN="$target_dir/release/windflow"
fi
[ -x "$WINDFLOW_BIN" ] || die "no windflow binary at $WINDFLOW_BIN"
command -v kubectl >/dev/null || die "kubectl is missing"

# A cluster already running can be named with KUBECONFIG (ensure-k8s.sh waits for its lock,
# which the cluster's own processes may hold).
if [ -z "${KUBECONFIG:-}" ]; then
    KUBECONFIG=$(scripts/ensure-k8s.sh)
fi
export KUBECONFIG
kubectl get --raw /readyz >/dev/null 2>&1 || die "the cluster at $KUBECONFIG does not answer"

work=$(mktemp -d /tmp/windflow-kube-bench.XXXXXX)
namespaces=()
cleanup() {
    local ns
    for ns in "${namespaces[@]}"; do
        kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
cp "$WINDFLOW_BIN" "$work/windflow"
WF="$work/windflow"
export WINDFLOW_STATE_DIR="$work/state"
logs="$work/logs"
mkdir -p "$logs"
if [[ "$(realpath "$WINDFLOW_BIN")" == */debug/* ]]; then profile=debug; else profile=release; fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }
load() { cut -d' ' -f1 /proc/loadavg; }

# The stack: N services s001…sN in $work/stack-N/compose.yaml.
stack_dir() {
    local n=$1 dir="$work/stack-$1" i
    if [ ! -f "$dir/compose.yaml" ]; then
        mkdir -p "$dir"
        {
            echo "name: kbench"
            echo "services:"
            for i in $(seq 1 "$n"); do
                printf '  s%03d:\n' "$i"
                cat <<'YAML'
    image: docker.io/library/busybox:local
    pull_policy: never
    entrypoint: ["sh", "-c"]
    command: ["exec sleep 100000"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
YAML
            done
        } >"$dir/compose.yaml"
    fi
    echo "$dir"
}
services() { seq -f 's%03g' 1 "$1"; }

# windflow on the stack of size $1 in namespace $2, then the verb and its options.
wf() {
    local dir
    dir=$(stack_dir "$1")
    "$WF" -f "$dir/compose.yaml" -p kbench --mode kubernetes --namespace "$2" "${@:3}"
}

# How many of the namespace's Deployments have a Ready replica.
ready_count() {
    kubectl -n "$1" get deployments -o jsonpath='{range .items[*]}{.status.readyReplicas}{"\n"}{end}' 2>/dev/null \
        | grep -c '^1$' || true
}

# Removes the namespace and waits until it is gone (its pods stopped). Untimed.
teardown() {
    local n=$1 ns=$2
    wf "$n" "$ns" down --volumes >>"$logs/$ns.log" 2>&1 || say "windflow down in $ns failed (see below)"
    kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=300s >>"$logs/$ns.log" 2>&1 \
        || say "namespace $ns is still being deleted"
}

# Samples: one file per scenario and tool, one number (ms) a line.
record() { echo "$3" >>"$work/samples.$1.$2"; }

fresh_ns() { echo "kb-$1-$(date +%H%M%S)-$RANDOM"; }

cold_windflow() {
    local n=$1 ns t0 t1
    ns=$(fresh_ns wf)
    namespaces+=("$ns")
    t0=$(now_ms)
    if wf "$n" "$ns" up --plain --wait-timeout "$READY_TIMEOUT" >"$logs/$ns.log" 2>&1; then
        t1=$(now_ms)
        local ready
        ready=$(ready_count "$ns")
        [ "$ready" -eq "$n" ] || say "windflow returned with $ready/$n Deployments Ready in $ns"
        record "cold$n" windflow $((t1 - t0))
        say "cold $n windflow: $((t1 - t0)) ms (load $(load))"
    else
        say "cold $n windflow FAILED in $ns:"
        tail -20 "$logs/$ns.log" >&2
        record "cold$n" windflow-failed 1
    fi
    teardown "$n" "$ns"
}

cold_kubectl() {
    local n=$1 ns t0 t1 ta rc=0 pids=() d p
    ns=$(fresh_ns kc)
    namespaces+=("$ns")
    wf "$n" "$ns" export --format kubernetes --out "$work/$ns.yaml" 2>>"$logs/$ns.log"
    t0=$(now_ms)
    if kubectl apply -f "$work/$ns.yaml" >>"$logs/$ns.log" 2>&1; then
        ta=$(now_ms)
        for d in $(services "$n"); do
            kubectl -n "$ns" rollout status "deployment/$d" --timeout="${READY_TIMEOUT}s" >>"$logs/$ns.log" 2>&1 &
            pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p" || rc=1; done
    else
        rc=1
    fi
    t1=$(now_ms)
    if [ "$rc" -eq 0 ]; then
        record "cold$n" kubectl $((t1 - t0))
        record "cold$n" kubectl-apply $((ta - t0))
        say "cold $n kubectl: $((t1 - t0)) ms (apply $((ta - t0)) ms; load $(load))"
    else
        say "cold $n kubectl FAILED in $ns:"
        tail -20 "$logs/$ns.log" >&2
        record "cold$n" kubectl-failed 1
    fi
    teardown "$n" "$ns"
}

redeploy_windflow() {
    local n=$1 ns=$2 t0 t1 out="$work/redeploy.out"
    t0=$(now_ms)
    wf "$n" "$ns" up --plain --wait-timeout "$READY_TIMEOUT" >"$out" 2>&1 || { cat "$out" >&2; die "windflow up (unchanged) failed"; }
    t1=$(now_ms)
    grep -q 'up to date' "$out" || { cat "$out" >&2; die "windflow changed something on an unchanged redeploy"; }
    record "unchanged$n" windflow $((t1 - t0))
    say "unchanged $n windflow: $((t1 - t0)) ms"
}

redeploy_kubectl() {
    local n=$1 ns=$2 t0 t1 out="$work/redeploy.out"
    t0=$(now_ms)
    kubectl apply --server-side --field-manager=bench -f "$work/$ns.yaml" >"$out" 2>&1 || { cat "$out" >&2; die "kubectl apply --server-side failed"; }
    t1=$(now_ms)
    record "unchanged$n" kubectl $((t1 - t0))
    say "unchanged $n kubectl: $((t1 - t0)) ms"
}

unchanged() {
    local n=$1 ns t0 t1 r
    ns=$(fresh_ns re$n)
    namespaces+=("$ns")
    say "unchanged $n: first deploy into $ns (untimed, up to ${SETUP_TIMEOUT}s)"
    t0=$(now_ms)
    if wf "$n" "$ns" up --plain --no-rollback --wait-timeout "$SETUP_TIMEOUT" >"$logs/$ns.log" 2>&1; then
        t1=$(now_ms)
        echo "$n services: windflow's first deploy Ready in $((t1 - t0)) ms" >>"$work/notes"
    else
        t1=$(now_ms)
        echo "$n services: not all Ready within the first deploy's ${SETUP_TIMEOUT}s wait ($(ready_count "$ns")/$n Ready after $((t1 - t0)) ms); the redeploys ran with pods still starting" >>"$work/notes"
    fi
    wf "$n" "$ns" export --format kubernetes --out "$work/$ns.yaml" 2>>"$logs/$ns.log"
    # Warm-up (untimed): kubectl's first server-side apply adds its field manager's entries.
    redeploy_kubectl "$n" "$ns" && redeploy_windflow "$n" "$ns"
    rm -f "$work/samples.unchanged$n".*
    local load0
    load0=$(load)
    for r in $(seq 1 "$REDEPLOY_RUNS"); do
        if [ $((r % 2)) -eq 1 ]; then
            redeploy_windflow "$n" "$ns"; redeploy_kubectl "$n" "$ns"
        else
            redeploy_kubectl "$n" "$ns"; redeploy_windflow "$n" "$ns"
        fi
    done
    echo "$n services: $(ready_count "$ns")/$n Deployments Ready after the redeploys; load average $load0 → $(load) during them" >>"$work/notes"
    teardown "$n" "$ns"
}

# stats FILE → "median min max" (integers, ms)
stats() {
    sort -n "$1" | awk '{a[NR]=$1} END {
        m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%d %d %d", m, a[1], a[NR] }'
}
samples() { paste -sd, "$1" | sed 's/,/, /g'; }

say "windflow: $WINDFLOW_BIN ($profile), kubectl $(kubectl version --client -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')"
started=$(date -u +%Y-%m-%dT%H:%MZ)
load_start=$(load)

for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) -eq 1 ]; then
        cold_windflow "$COLD_SIZE"; cold_kubectl "$COLD_SIZE"
    else
        cold_kubectl "$COLD_SIZE"; cold_windflow "$COLD_SIZE"
    fi
done
for n in $REDEPLOY_SIZES; do
    unchanged "$n"
done

server=$(kubectl version -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("serverVersion",{}).get("gitVersion","?"))' || echo "?")
client=$(kubectl version --client -o json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])' || echo "?")
row() {
    local scenario=$1 key=$2 w k
    [ -s "$work/samples.$key.windflow" ] && [ -s "$work/samples.$key.kubectl" ] || {
        echo "| $scenario | (failed) | (failed) | — |"
        return
    }
    read -r wm wmin wmax <<<"$(stats "$work/samples.$key.windflow")"
    read -r km kmin kmax <<<"$(stats "$work/samples.$key.kubectl")"
    echo "| $scenario | $wm / $wmin / $wmax | $km / $kmin / $kmax | $(awk -v a="$wm" -v b="$km" 'BEGIN { printf "%.2f×", a / b }') |"
}
{
    echo "# Kubernetes target: windflow vs kubectl"
    echo
    echo "Run of \`bench/kube.sh --runs $RUNS --redeploy-runs $REDEPLOY_RUNS --cold-size $COLD_SIZE --redeploy-sizes \"$REDEPLOY_SIZES\"\`, $started → $(date -u +%H:%MZ)."
    echo "windflow $profile build; kubectl $client; API server $server; $(nproc) cores; load average $load_start at the start."
    echo
    echo "| Scenario | windflow ms (median / min / max) | kubectl ms (median / min / max) | windflow ÷ kubectl |"
    echo "|---|---:|---:|---:|"
    row "cold deploy to Ready, $COLD_SIZE services (kubectl: apply + rollout status)" "cold$COLD_SIZE"
    for n in $REDEPLOY_SIZES; do
        row "unchanged redeploy, $n services (kubectl: apply --server-side)" "unchanged$n"
    done
    echo
    echo "Samples (ms, in run order):"
    echo
    for f in "$work"/samples.*; do
        [ -e "$f" ] || continue
        name=${f#"$work/samples."}
        echo "- ${name%%.*} ${name#*.}: $(samples "$f")"
    done
    if [ -f "$work/notes" ]; then
        echo
        sed 's/^/- /' "$work/notes"
    fi
} | tee "$work/table.md"
mkdir -p bench/results
cp "$work/table.md" bench/results/kube.md
say "wrote bench/results/kube.md"
