#!/usr/bin/env bash
# Regenerates <example>/expected.yaml for every example here with the reference loader
# installed on the build machine, Debian's docker-compose 1.29.2 (`config` needs no Docker
# daemon). It runs with an empty environment (only the example's .env), and writes the
# example's absolute directory as <project> so the files do not depend on the checkout path.
# The conformance test (crates/compose/tests/conformance.rs) compares WindFlow's rendering
# with these files through one comparison normalizer, since v1 and v2 print some shapes
# differently.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
compose=${DOCKER_COMPOSE:-/usr/bin/docker-compose}
"$compose" version --short | grep -qx '1.29.2' || {
    echo "regenerate.sh: expected docker-compose 1.29.2 at $compose" >&2
    exit 1
}
for file in */compose.yaml */compose.yml */docker-compose.yaml */docker-compose.yml; do
    [ -f "$file" ] || continue
    dir=$(dirname "$file")
    abs=$(cd "$dir" && pwd -P)
    # v1 predates the top-level `name:` (compose v2 reads it as the project name): give it
    # the file without that line, and the name as -p.
    name=$(sed -n 's/^name: *//p' "$file")
    tmp="$dir/.regenerate.$(basename "$file")"
    grep -v '^name:' "$file" >"$tmp"
    if out=$(cd "$dir" && env -i PATH=/usr/bin:/bin HOME=/nonexistent \
        "$compose" -f "$(basename "$tmp")" -p "${name:-$(echo "$dir" | tr 'A-Z' 'a-z')}" config 2>&1); then
        printf '%s\n' "$out" | sed "s|$abs|<project>|g" >"$dir/expected.yaml"
    else
        # The reference refuses the file: record its message (the test expects WindFlow to
        # refuse it too).
        { echo "# docker-compose 1.29.2 refuses this file:"; printf '%s\n' "$out" | sed "s|$abs|<project>|g; s|^|# |"; echo "error: true"; } >"$dir/expected.yaml"
    fi
    rm -f "$tmp"
    echo "$dir"
done
