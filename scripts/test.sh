#!/usr/bin/env bash
# WindFlow's test command (what the README names and .ci/run calls):
#   1. cargo fmt --all -- --check
#   2. cargo clippy --workspace --all-targets -- -D warnings
#   3. cargo test --workspace --no-fail-fast (integration tests use the real Docker engine and PostgreSQL)
# It first provisions the engine and the test images (scripts/ensure-docker.sh,
# scripts/ensure-test-images.sh, scripts/ensure-gateway-image.sh, scripts/ensure-template-images.sh,
# scripts/ensure-gateway-tcp-image.sh), the backup tools (scripts/ensure-backup-tools.sh: restic,
# SeaweedFS's weed as WINDFLOW_WEED, the restic/restic stand-in image), the OpenID provider of the
# SSO tests (scripts/ensure-oidc-provider.sh), the SMTP sink of the notification tests
# (scripts/ensure-aiosmtpd.sh) and a PostgreSQL server
# (scripts/ensure-postgres.sh, which yields WINDFLOW_TEST_DATABASE_URL), so it runs as is on a
# fresh Debian machine.
# Every step runs even after a failure, and a summary closes the output; the exit status
# is non-zero when any step failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-$([ -t 1 ] && echo always || echo never)}"
# A developer's skip switch must not leak into CI.
if [ "${CI:-}" = "true" ] && [ -n "${WINDFLOW_SKIP_DOCKER_TESTS:-}" ]; then
    echo "test.sh: ignoring WINDFLOW_SKIP_DOCKER_TESTS in CI" >&2
    unset WINDFLOW_SKIP_DOCKER_TESTS
fi
if [ "${CI:-}" = "true" ] && [ -n "${WINDFLOW_SKIP_POSTGRES:-}" ]; then
    echo "test.sh: ignoring WINDFLOW_SKIP_POSTGRES in CI" >&2
    unset WINDFLOW_SKIP_POSTGRES
fi
if [ "${CI:-}" = "true" ] && [ -n "${WINDFLOW_SKIP_SMTP_TESTS:-}" ]; then
    echo "test.sh: ignoring WINDFLOW_SKIP_SMTP_TESTS in CI" >&2
    unset WINDFLOW_SKIP_SMTP_TESTS
fi
if [ "${CI:-}" = "true" ] && [ -n "${WINDFLOW_SKIP_ACME_TESTS:-}" ]; then
    echo "test.sh: ignoring WINDFLOW_SKIP_ACME_TESTS in CI" >&2
    unset WINDFLOW_SKIP_ACME_TESTS
fi

# Provision what the real-engine tests need: a Docker engine (installed and started when
# none answers), a docker CLI that talks to it, and the local test images. A developer who
# set WINDFLOW_SKIP_DOCKER_TESTS=1 skips this; CI never does.
if [ "${WINDFLOW_SKIP_DOCKER_TESTS:-}" != "1" ]; then
    echo "==> provisioning the Docker engine and test images"
    scripts/ensure-docker.sh || exit 1
    # shellcheck source=scripts/lib/docker-client.sh
    source scripts/lib/docker-client.sh
    windflow_select_docker_client || exit 1
    scripts/ensure-test-images.sh || exit 1
    # The gateway tests run Caddy from a local image built from Debian's package.
    scripts/ensure-gateway-image.sh >/dev/null || exit 1
    # The TCP (layer-4) gateway tests run HAProxy from a local image built from Debian's package.
    scripts/ensure-gateway-tcp-image.sh >/dev/null || exit 1
    # The SSH transport tests run Debian's sshd (a child of each test) in front of the engine.
    scripts/ensure-sshd.sh || exit 1
fi

# The DNS provider tests (crates/dns) run their own Knot and PowerDNS servers on loopback ports;
# this installs Debian's packages and makes sure no packaged daemon keeps running. A developer
# who set WINDFLOW_SKIP_DNS_TESTS=1 skips this; CI never does.
if [ "${CI:-}" = "true" ] && [ -n "${WINDFLOW_SKIP_DNS_TESTS:-}" ]; then
    echo "test.sh: ignoring WINDFLOW_SKIP_DNS_TESTS in CI" >&2
    unset WINDFLOW_SKIP_DNS_TESTS
fi
if [ "${WINDFLOW_SKIP_DNS_TESTS:-}" != "1" ]; then
    echo "==> provisioning the DNS servers (Knot, PowerDNS, BIND tools)"
    scripts/ensure-dns.sh || exit 1
fi

# The Kubernetes target tests deploy to a real single-node cluster on loopback (the harness
# beside the project, ../shared/k8s); it is stopped again when this script exits, since its
# kubelet changes a few host sysctls while it runs. A developer who set
# WINDFLOW_SKIP_K8S_TESTS=1 skips it; CI never does.
if [ "${CI:-}" = "true" ] && [ -n "${WINDFLOW_SKIP_K8S_TESTS:-}" ]; then
    echo "test.sh: ignoring WINDFLOW_SKIP_K8S_TESTS in CI" >&2
    unset WINDFLOW_SKIP_K8S_TESTS
fi
if [ "${WINDFLOW_SKIP_K8S_TESTS:-}" != "1" ] && [ -z "${WINDFLOW_TEST_KUBECONFIG:-}" ]; then
    echo "==> provisioning the Kubernetes test cluster"
    WINDFLOW_TEST_KUBECONFIG=$(scripts/ensure-k8s.sh) || exit 1
    export WINDFLOW_TEST_KUBECONFIG
    trap 'scripts/ensure-k8s.sh down >/dev/null 2>&1 || true' EXIT
fi

# The storage conformance suite (and the server's API tests) run against PostgreSQL too,
# through an admin-capable URL that lets them create a fresh database per test. A URL the
# developer exported is used as is; otherwise the local server is installed/started. Without
# a URL the PostgreSQL tests fail, unless a developer set WINDFLOW_SKIP_POSTGRES=1.
if [ -z "${WINDFLOW_TEST_DATABASE_URL:-}" ] && [ "${WINDFLOW_SKIP_POSTGRES:-}" != "1" ]; then
    echo "==> provisioning PostgreSQL"
    WINDFLOW_TEST_DATABASE_URL=$(scripts/ensure-postgres.sh) || exit 1
    export WINDFLOW_TEST_DATABASE_URL
fi

# The curated templates' deployment test (crates/cli/tests/templates.rs) runs local stand-ins
# tagged with the templates' image references (Debian's redis, nginx, PostgreSQL, MariaDB);
# built once, then kept by their label (well under a second on reruns).
if [ "${WINDFLOW_SKIP_DOCKER_TESTS:-}" != "1" ]; then
    echo "==> provisioning the template stand-in images"
    scripts/ensure-template-images.sh || exit 1
    # The backup tests (crates/testkit/tests/s3.rs, …) run the host's restic and the
    # restic/restic stand-in image against SeaweedFS's S3 server (testkit's S3Server), whose
    # binary the script installs and names in WINDFLOW_WEED. (Captured first: `eval "$(…)"`
    # alone would not see the script fail.)
    echo "==> provisioning the backup tools (restic, SeaweedFS, the restic image)"
    backup_env=$(scripts/ensure-backup-tools.sh) || exit 1
    eval "$backup_env"
fi

# The single sign-on tests (crates/cli/tests/server/sso.rs) run panva's oidc-provider (npm) on
# loopback; the script installs it once and names its node_modules in
# WINDFLOW_OIDC_PROVIDER_MODULES.
echo "==> provisioning the OpenID provider for the SSO tests (oidc-provider)"
oidc_env=$(scripts/ensure-oidc-provider.sh) || exit 1
eval "$oidc_env"

# The notification crate's e-mail tests (crates/notify/tests/email.rs) run aiosmtpd (PyPI) on
# loopback; the script installs it once into a venv and prints that venv's python.
if [ "${WINDFLOW_SKIP_SMTP_TESTS:-}" != "1" ]; then
    echo "==> provisioning the SMTP sink for the notification tests (aiosmtpd)"
    WINDFLOW_AIOSMTPD_PYTHON=$(scripts/ensure-aiosmtpd.sh) || exit 1
    export WINDFLOW_AIOSMTPD_PYTHON
fi

# The AI crate's tests against a real llama.cpp server run where an earlier
# `scripts/ensure-llama.sh` left its build (about 25 minutes, so never started from here);
# elsewhere they have nothing to run against, and the scripted server's tests cover the rest.
eval "$(scripts/ensure-llama.sh --if-present)"

# CI insists that Cargo.lock is committed and current; locally cargo may update it.
locked=()
if [ "${CI:-}" = "true" ]; then locked=(--locked); fi

names=()
results=()
durations=()

step() {
    local name="$1"; shift
    echo
    echo "==> $name: $*"
    local started=$SECONDS
    "$@"
    local code=$?
    names+=("$name")
    results+=("$code")
    durations+=("$((SECONDS - started))")
    return 0
}

# What `git status` says before anything runs: in CI (a clean clone) nothing. A step that
# changes it — rewrites a tracked file (a lock), or leaves a file git neither tracks nor
# ignores — fails the "clean tree" steps, so drift a new user would hit is caught here.
tree_status() { git status --porcelain --untracked-files=all; }
tree_at_start=$(tree_status)
check_clean_tree() {
    local now
    now=$(tree_status) || return 1
    if [ "$now" != "$tree_at_start" ]; then
        echo "test.sh: the working tree changed $1 (a setup or test step must write only ignored files):" >&2
        diff <(echo "$tree_at_start") <(echo "$now") | sed -n 's/^[<>] /    /p' >&2
        return 1
    fi
}

# The web console first (cargo embeds web/dist): build, the generated API types against the
# server's OpenAPI document, the type check, the unit tests and the initial-JS size budget;
# Chromium for the console's end-to-end test (crates/cli/tests/server/console.rs).
scripts/ensure-chromium.sh || exit 1
# The ACME tests (crates/acme/tests/acme.rs) run Debian's pebble and pebble-challtestsrv, a
# pair per test on loopback ports. A developer who set WINDFLOW_SKIP_ACME_TESTS=1 skips this.
if [ "${WINDFLOW_SKIP_ACME_TESTS:-}" != "1" ]; then
    scripts/ensure-pebble.sh || exit 1
fi
step "web build" scripts/build-web.sh
step "web types" bash -c 'cargo build -q -p windflow-cli "$@" && bin="$(realpath "${CARGO_TARGET_DIR:-target}")/debug/windflow" && cd web && WINDFLOW_BIN="$bin" npm run --silent check:api' _ "${locked[@]}"
# Provisioning and building must never change a tracked file or leave an untracked one (a
# rewritten lock, a generated file not ignored): what drifts here would drift for a new user.
step "tree clean" check_clean_tree "after provisioning and building"
step "web typecheck" bash -c 'cd web && npm run --silent typecheck'
step "web unit tests" bash -c 'cd web && npm run --silent test'
step "web size budget" bash -c 'cd web && npm run --silent check:size'
step "format" cargo fmt --all -- --check
step "clippy" cargo clippy --workspace --all-targets "${locked[@]}" -- -D warnings
test_log=$(mktemp)
# shellcheck disable=SC2016 # $1 expands in the inner shell
step "tests" bash -c 'set -o pipefail; cargo test --workspace --no-fail-fast "${@:2}" 2>&1 | tee "$1"' _ "$test_log" "${locked[@]}"

step "tree kept" check_clean_tree "after the tests"

# Totals across all test binaries, from cargo's "test result:" lines.
totals=$(grep -E '^test result:' "$test_log" | awk '
    { for (i = 1; i <= NF; i++) {
        if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i;
        if ($(i+1) ~ /^ignored/) g += $i } }
    END { printf "%d passed, %d failed, %d ignored", p, f, g }')
failed_tests=$(grep -E '^test .* \.\.\. FAILED$' "$test_log" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/' | sort -u)
rm -f "$test_log"

echo
echo "==================== summary ===================="
status=0
for i in "${!names[@]}"; do
    if [ "${results[$i]}" -eq 0 ]; then verdict="ok"; else verdict="FAILED (exit ${results[$i]})"; status=1; fi
    printf '  %-8s %-20s %4ss\n' "${names[$i]}" "$verdict" "${durations[$i]}"
done
echo "  tests:   ${totals}"
if [ -n "$failed_tests" ]; then
    echo "  failing tests:"
    while IFS= read -r name; do echo "    $name"; done <<<"$failed_tests"
fi
if [ "$status" -eq 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
exit "$status"
