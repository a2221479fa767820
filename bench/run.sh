#!/usr/bin/env bash
# The benchmark (docs/design.md "Performance"). On COUNT generated Oneserve
# order requests (bench/gen, deterministic, about 6% faulty), timed in the
# same run, alternating, median of $REPEAT rounds:
#   floor        the same NDJSON read and written by serde_json, no mapping,
#                one thread (engine/examples/floor.rs)
#   mw-1, mw-N   mapwright, Oneserve -> Spectrum, --threads 1 and all cores
#   jq, gojq, jaq the same mapping in jq (bench/spectrum.jq), one thread each;
#                the accepted output of each is checked identical to mapwright's.
#                gojq and jaq run where installed: apt-get install gojq;
#                cargo install --locked jaq
#   every shipped mapping at --threads 1: Synergetic and Pruvan create read the
#                same requests; Pruvan update and O2O read their example
#                streams (mappings/*/examples) repeated to COUNT records
#   csv-sorted, csv-unsorted  the same requests as the Spectrum CSV of
#                activity lines, in request order and shuffled
# Then peak memory at COUNT/10 and COUNT*10 requests (10k and 1M for the
# default COUNT), NDJSON and unsorted CSV, to show it does not grow with the
# input; skipped below COUNT 10000 (so `bench/run.sh 2000` is quick) or with
# MEMORY=0. MEMORY_SIZES=1 prints those sizes and stops (the tests check them).
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
release=${CARGO_TARGET_DIR:-target}/release
gen=$release/gen-orders
mw=$release/mapwright
floor=$release/examples/floor
cores=$(nproc)

# Inputs, made once per COUNT and kept in target/bench.
orders=$data/orders-$count.ndjson
[ -s "$orders" ] || "$gen" "$count" > "$orders"
csv_sorted=$data/orders-$count.csv
[ -s "$csv_sorted" ] || "$gen" "$count" --csv > "$csv_sorted"
csv_shuffled=$data/orders-$count-shuffled.csv
[ -s "$csv_shuffled" ] || "$gen" "$count" --csv --shuffle > "$csv_shuffled"
repeated() { # FILE: its lines repeated to COUNT records
  local out=$data/$(basename "$1" .ndjson)-$count.ndjson
  [ -s "$out" ] || awk -v n="$count" '{l[NR]=$0} END {for (i = 0; i < n; i++) print l[i % NR + 1]}' "$1" > "$out"
  echo "$out"
}
status_changes=$(repeated mappings/oneserve-pruvan/examples/status-changes.ndjson)
o2o_events=$(repeated mappings/o2o/examples/primary-events.ndjson)

spectrum=(-m mappings/oneserve-spectrum/order.yaml --param company_code=KM2)
synergetic=(-m mappings/oneserve-synergetic/order.yaml --param vendor_token=3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7)
pruvan_create=(-m mappings/oneserve-pruvan/create.yaml --param mode=external)
pruvan_update=(-m mappings/oneserve-pruvan/update.yaml --params mappings/oneserve-pruvan/examples/status-params.yaml)
o2o=(-m mappings/o2o/primary-to-secondary.yaml --params mappings/o2o/examples/primary-params.yaml)

# name|input|command...: every timed command, in the order of a round.
jobs=(
  "floor|$orders|$floor"
  "mw-1|$orders|$mw convert ${spectrum[*]} --output-format ndjson -q --threads 1"
  "mw-N|$orders|$mw convert ${spectrum[*]} --output-format ndjson -q --threads $cores"
  "jq|$orders|jq -c --arg company_code KM2 -f bench/spectrum.jq"
)
command -v gojq >/dev/null && jobs+=("gojq|$orders|gojq -c --arg company_code KM2 -f bench/spectrum.jq")
command -v jaq >/dev/null && jobs+=("jaq|$orders|jaq -c --arg company_code KM2 -f bench/spectrum.jq")
jobs+=(
  "synergetic|$orders|$mw convert ${synergetic[*]} -q --threads 1"
  "pruvan-create|$orders|$mw convert ${pruvan_create[*]} --output-format ndjson -q --threads 1"
  "pruvan-update|$status_changes|$mw convert ${pruvan_update[*]} --output-format ndjson -q --threads 1"
  "o2o|$o2o_events|$mw convert ${o2o[*]} --output-format ndjson -q --threads 1"
  "csv-sorted|$csv_sorted|$mw convert ${spectrum[*]} --input-format csv --output-format ndjson -q --threads 1"
  "csv-unsorted|$csv_shuffled|$mw convert ${spectrum[*]} --input-format csv --output-format ndjson -q --threads 1"
)

declare -A times bytes
for _ in $(seq "$repeat"); do
  for job in "${jobs[@]}"; do
    IFS='|' read -r name input cmd <<< "$job"
    bytes[$name]=$(stat -c %s "$input")
    # A run that rejects records exits 1; its time still counts.
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e" -o "$data/$name.time" $cmd < "$input" > "$data/$name.out" 2> "$data/$name.err" || true
    times[$name]="${times[$name]:-} $(tail -1 "$data/$name.time")"
  done
done
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
declare -A med
for name in "${!times[@]}"; do med[$name]=$(median "${times[$name]}"); done

# The same work: each peer's accepted output is mapwright's, record for
# record, as JSON values: jq -S -c . writes both, with keys sorted, as gojq
# writes them, and numbers as jq writes them (a jq program cannot write
# 4200.00, which Spectrum's format: 0.00 asks of mapwright).
[ -s "$data/mw-1.out" ] || { echo "mapwright wrote nothing: see $data/mw-1.err" >&2; exit 1; }
cmp -s "$data/mw-1.out" "$data/mw-N.out" || echo "warning: --threads $cores wrote other output than --threads 1" >&2
jq -S -c . "$data/mw-1.out" > "$data/mw-1.values"
for peer in jq gojq jaq; do
  [ -f "$data/$peer.out" ] || continue
  grep -v '"rejected"' "$data/$peer.out" | jq -S -c . > "$data/$peer.accepted" || true
  if cmp -s "$data/mw-1.values" "$data/$peer.accepted"; then
    echo "$peer: the same $(wc -l < "$data/$peer.accepted") accepted records as mapwright"
  else
    echo "warning: $peer's accepted output differs from mapwright's (diff $data/mw-1.values $data/$peer.accepted)" >&2
  fi
done
if ! cmp -s <(sort "$data/mw-1.out") <(sort "$data/csv-unsorted.out"); then
  echo "warning: the unsorted CSV gave other orders than the NDJSON" >&2
fi

summary() {
  local per_byte_base
  per_byte_base=$(awk -v t="${med[mw-1]}" -v b="${bytes[mw-1]}" 'BEGIN {print t / b}')
  printf '%d requests (%.0f MB of NDJSON), %d cores, median of %d alternating rounds\n' \
    "$count" "$(awk -v b="${bytes[floor]}" 'BEGIN {print b / 1e6}')" "$cores" "$repeat"
  printf '  %-14s %8s %9s %12s %14s\n' what seconds MB/s "floor / it" "per byte / mw-1"
  for job in "${jobs[@]}"; do
    IFS='|' read -r name _ _ <<< "$job"
    awk -v n="$name" -v t="${med[$name]}" -v b="${bytes[$name]}" -v f="${med[floor]}" -v base="$per_byte_base" \
      'BEGIN { printf "  %-14s %8.2f %9.1f %12.2f %14.2f\n", n, t, b / 1e6 / t, f / t, (t / b) / base }'
  done
  awk -v f="${med[floor]}" -v m1="${med[mw-1]}" -v mn="${med[mw-N]}" -v j="${med[jq]}" -v c="$cores" \
    'BEGIN {
      printf "mw-1 / floor     = %.2f   (target >= 1.0: floor time / mapwright time, one thread each)\n", f / m1
      printf "jq / mw-1        = %.1fx  (target >= 10x)\n", j / m1
      printf "mw-1 / mw-%d      = %.2fx  (target >= 1.8x on 2 cores)\n", c, m1 / mn
    }'
  [ -n "${med[gojq]:-}" ] && awk -v g="${med[gojq]}" -v m1="${med[mw-1]}" 'BEGIN { printf "gojq / mw-1      = %.1fx  (target >= 4x)\n", g / m1 }'
  [ -n "${med[jaq]:-}" ] && awk -v g="${med[jaq]}" -v m1="${med[mw-1]}" 'BEGIN { printf "jaq / mw-1       = %.1fx\n", g / m1 }'
  local worst="" worst_ratio=0 ratio
  for name in synergetic pruvan-create pruvan-update o2o; do
    ratio=$(awk -v t="${med[$name]}" -v b="${bytes[$name]}" -v base="$per_byte_base" 'BEGIN { printf "%.2f", (t / b) / base }')
    if awk -v r="$ratio" -v w="$worst_ratio" 'BEGIN { exit !(r > w) }'; then
      worst=$name worst_ratio=$ratio
    fi
  done
  echo "slowest mapping per byte / mw-1 = ${worst_ratio}x ($worst)  (target <= 1.3x: every shipped mapping within 1.3x of Spectrum's time per byte)"
}
summary

peak() { # NAME FILE command...: the median peak RSS (KB) of 3 runs
  local name=$1 file=$2; shift 2
  local runs=()
  for _ in 1 2 3; do
    /usr/bin/time -f "%M" -o "$data/mem.time" "$@" "$file" > /dev/null 2>&1 || true
    runs+=("$(tail -1 "$data/mem.time")")
  done
  local sorted
  sorted=$(printf '%s\n' "${runs[@]}" | sort -n | tr '\n' ' ')
  read -r lo mid hi <<< "$sorted"
  echo "peak RSS, $name: median $mid KB (runs: $lo $mid $hi)" >&2
  echo "$mid"
}
if [ -n "$memory_sizes" ]; then
  read -r small large <<< "$memory_sizes"
  declare -A rss
  for n in $small $large; do
    f=$data/orders-$n.ndjson
    [ -s "$f" ] || "$gen" "$n" > "$f"
    c=$data/orders-$n-shuffled.csv
    [ -s "$c" ] || "$gen" "$n" --csv --shuffle > "$c"
    rss[ndjson-$n]=$(peak "NDJSON, $n requests" "$f" "$mw" convert "${spectrum[@]}" --output-format ndjson -q)
    rss[csv-$n]=$(peak "unsorted CSV, $n requests" "$c" "$mw" convert "${spectrum[@]}" --output-format ndjson -q)
  done
  awk -v a="${rss[ndjson-$small]}" -v b="${rss[ndjson-$large]}" -v s="$small" -v l="$large" \
    'BEGIN { printf "NDJSON peak RSS, %d / %d requests = %.2f   (target within 10%%)\n", l, s, b / a }'
  awk -v b="${rss[csv-$large]}" -v l="$large" \
    'BEGIN { printf "unsorted CSV peak RSS at %d requests = %.1f MB   (target under 100 MB)\n", l, b / 1024 }'
fi
