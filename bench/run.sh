#!/usr/bin/env bash
# The benchmark (docs/design.md "Performance"): generated Oneserve order requests
# through the Oneserve -> Spectrum mapping (NDJSON out), beside
#   the floor: the same NDJSON read and written by serde_json, no mapping
#              (engine/examples/floor.rs), and
#   jq:        the same mapping written in jq (bench/spectrum.jq; its
#              accepted output is checked identical to mapwright's),
# all timed in the same run, alternating, best of $REPEAT, reported as ratios.
# Then peak memory of mapwright at COUNT/10 and COUNT*10 requests (10k and
# 1M for the default COUNT), to show it does not grow with the input;
# skipped below COUNT 10000 (so `bench/run.sh 2000` is quick) or with MEMORY=0.
# MEMORY_SIZES=1 prints those sizes and stops (the tests check them).
#
# usage: bench/run.sh [COUNT]      (default 100000; about 150 MB of NDJSON)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
[[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "COUNT must be a positive whole number" >&2; exit 2; }
if [ "${MEMORY:-1}" = 0 ] || [ "$count" -lt 10000 ]; then
  memory_sizes=""
else
  memory_sizes="$((count / 10)) $((count * 10))"
fi
if [ "${MEMORY_SIZES:-0}" = 1 ]; then
  echo "memory runs: ${memory_sizes:-none}"
  exit 0
fi
repeat=${REPEAT:-3}
data=target/bench
mkdir -p "$data"
command -v jq >/dev/null || { echo "jq is needed: apt-get install jq" >&2; exit 3; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed: apt-get install time" >&2; exit 3; }
cargo build --release -q -p mapwright-cli
cargo build --release -q -p mapwright --example floor
cargo build --release -q -p mapwright-gen
gen=target/release/gen-orders   # bench/gen: deterministic requests, about 6% faulty
mw=target/release/mapwright
floor=target/release/examples/floor
input=$data/orders-$count.ndjson
[ -s "$input" ] || "$gen" "$count" > "$input"
bytes=$(stat -c %s "$input")
mapping=mappings/oneserve-spectrum/order.yaml

run() { # name command... ; prints seconds, keeps the best in best_<name>
  local name=$1; shift
  local t
  /usr/bin/time -f "%e" -o "$data/$name.time" "$@" > "$data/$name.out" 2>/dev/null || true
  t=$(tail -1 "$data/$name.time")
  local prev
  prev=$(eval "echo \${best_$name:-}")
  if [ -z "$prev" ] || awk "BEGIN{exit !($t < $prev)}"; then eval "best_$name=$t"; fi
}
for _ in $(seq "$repeat"); do
  run floor "$floor" < "$input"
  run mapwright "$mw" convert -m "$mapping" "$input" --param company_code=KM2 --output-format ndjson -q
  run jq jq -c --arg company_code KM2 -f bench/spectrum.jq "$input"
done

accepted_mw=$(wc -l < "$data/mapwright.out")
[ "$accepted_mw" -gt 0 ] || { echo "mapwright wrote nothing: see $data/mapwright.time" >&2; exit 1; }
accepted_jq=$(grep -vc '"rejected"' "$data/jq.out" || true)
[ "$accepted_mw" = "$accepted_jq" ] || echo "warning: jq accepted $accepted_jq, mapwright $accepted_mw" >&2

awk -v n="$count" -v b="$bytes" -v f="$best_floor" -v m="$best_mapwright" -v j="$best_jq" -v cores="$(nproc)" 'BEGIN {
  printf "%d requests, %.0f MB of NDJSON, %d cores, best of runs\n", n, b/1e6, cores
  printf "  %-10s %7.2f s %8.1f MB/s %9.0f records/s\n", "floor", f, b/1e6/f, n/f
  printf "  %-10s %7.2f s %8.1f MB/s %9.0f records/s\n", "mapwright", m, b/1e6/m, n/m
  printf "  %-10s %7.2f s %8.1f MB/s %9.0f records/s\n", "jq", j, b/1e6/j, n/j
  printf "mapwright / floor = %.2f   (target >= 0.40)\n", f/m
  printf "mapwright / jq    = %.1fx  (target >= 5x)\n", j/m
}'

if [ -n "$memory_sizes" ]; then
  # Peak RSS varies a little from run to run (the allocator takes memory in
  # 4 MiB segments per thread), so each size runs 3 times: min, median, max.
  declare -A median
  read -r small large <<< "$memory_sizes"
  for n in $small $large; do
    f=$data/orders-$n.ndjson
    [ -s "$f" ] || "$gen" "$n" > "$f"
    runs=()
    for _ in 1 2 3; do
      /usr/bin/time -f "%M" -o "$data/mem.time" "$mw" convert -m "$mapping" "$f" --param company_code=KM2 --output-format ndjson -q > /dev/null || true
      runs+=("$(tail -1 "$data/mem.time")")
    done
    sorted=$(printf '%s\n' "${runs[@]}" | sort -n | tr '\n' ' ')
    read -r lo mid hi <<< "$sorted"
    median[$n]=$mid
    echo "peak RSS at $n requests: median $mid KB (runs: $lo $mid $hi)"
  done
  awk -v a="${median[$small]}" -v b="${median[$large]}" -v s="$small" -v l="$large" 'BEGIN { printf "%d / %d requests peak RSS (medians) = %.2f   (target within 10%%)\n", l, s, b/a }'
fi
