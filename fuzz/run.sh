#!/bin/sh
# Run every fuzz target for a bounded time: fuzz/run.sh [SECONDS] (default 60).
# Each target keeps its corpus in fuzz/corpus/<target>/ (seeded from the
# repository's examples on the first run) and writes a crashing input to
# fuzz/artifacts/<target>/. Exits non-zero if any target found a crash.
set -u
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 2
# cargo-fuzz needs nightly flags (-Z sanitizer); RUSTC_BOOTSTRAP lets the
# stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

# Seeds are cut to their first 4 KiB, the most a generated input may be
# (-max_len): small inputs run hundreds of times faster than the 300 KB
# examples, and a record is far smaller than that.
max_len=4096
seed() {
    target=$1; shift
    mkdir -p "corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] && head -c "$max_len" "$f" >"corpus/$target/seed-$(basename "$f")"
    done
}
seed ndjson ../mappings/*/examples/*.ndjson
seed csv ../mappings/*/examples/*.csv
seed xml ../mappings/*/examples/*.xml
seed loader ../mappings/*/*.yaml ../schemas/*/*.yaml
mkdir -p corpus/expr
printf '%s' 'price * 2 + n' > corpus/expr/arith
printf '%s' 'items.map(|i| i.q).sum()' > corpus/expr/closure
printf '%s' 'if id == "A1" { "yes" } else { "no" }' > corpus/expr/branch

cargo fuzz build || exit 2
failed=0
for target in ndjson csv xml loader expr; do
    log="artifacts/$target.log"
    mkdir -p artifacts
    if cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 >"$log" 2>&1; then
        status=ok
    else
        status=CRASH
        failed=1
    fi
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9]*')
    echo "$target: $status, ${runs:-?} executions in ${seconds}s (log: fuzz/$log)"
done
exit $failed
