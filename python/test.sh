#!/usr/bin/env bash
# The Python package's tests: a fresh venv in a temp folder, `pip install
# ./python` (maturin from PyPI builds the native module), pytest, which
# compares every outcome with the debug `mapwright` CLI's output; then, in
# the same pytest run, the Spark local-mode test of examples/spark/
# (pyspark from PyPI, a JRE from Debian's default-jre-headless when `java`
# is missing). MAPWRIGHT_SPARK=0 leaves Spark out.
#
# The wheel is built with cargo's dev profile by default: it reuses the
# debug build `cargo test --workspace` left in target/, and the tests are
# small. MAPWRIGHT_PY_RELEASE=1 builds it as a user's `pip install ./python`
# does (release, a few minutes on 2 cores).
#
# Exits non-zero when a step or a test fails; pytest prints its summary line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

export CARGO_INCREMENTAL=0
# One target folder for the CLI, the workspace tests and the wheel.
export CARGO_TARGET_DIR="$repo/target"
cargo build --quiet -p mapwright-cli -p mapwright-gen
# The CLI the tests compare with (and time, for the Spark figures): the
# debug build, or another given in MAPWRIGHT_BIN (a release one for figures).
export MAPWRIGHT_BIN="${MAPWRIGHT_BIN:-$repo/target/debug/mapwright}"
export MAPWRIGHT_GEN="$repo/target/debug/gen-orders"

suites=("$repo/python/tests")
spark="${MAPWRIGHT_SPARK:-1}"
if [ "$spark" != 0 ]; then
    suites+=("$repo/examples/spark")
    if ! command -v java > /dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless > /dev/null
    fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mapwright-python.XXXXXX")"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
py="$work/venv/bin/python"
if [ "${MAPWRIGHT_PY_RELEASE:-0}" != 1 ]; then
    export MATURIN_PEP517_ARGS="--profile dev"
fi
"$py" -m pip install --quiet ./python pytest
if [ "$spark" != 0 ]; then
    "$py" -m pip install --quiet pyspark
fi

# Run from the temp folder: the installed package is imported, not the
# source folder, and pytest writes its cache there, not in the repository.
cd "$work"
"$py" -m pytest -p no:cacheprovider --rootdir "$repo" "${suites[@]}"
