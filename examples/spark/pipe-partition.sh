#!/usr/bin/env bash
# One Spark partition through `mapwright convert`, for rdd.pipe: the first
# line is the partition's header (`#partition N`, added by the job), every
# other line a record. Accepted records go to stdout (back to Spark); the
# partition's rejects and report go to side files in $MAPWRIGHT_SIDE_DIR,
# named by the partition, so the job's rejects and counts can be summed.
# Usage: pipe-partition.sh MAPPING [convert options...]
set -euo pipefail
mapping="$1"
shift
IFS= read -r header
prefix='#partition '
part="${header#"$prefix"}"
case "$part" in
    '' | *[!0-9]*) echo "pipe-partition.sh: the first line must be '#partition N'" >&2; exit 2 ;;
esac
side="${MAPWRIGHT_SIDE_DIR:?set MAPWRIGHT_SIDE_DIR to the side folder of the job}"
params=()
if [ -n "${MAPWRIGHT_PARAMS_JSON:-}" ]; then
    # The job's params (convert_with_pipe), as a --params file readable
    # only by this user, removed when the partition is done.
    params_file=$(mktemp "${TMPDIR:-/tmp}/mapwright-params.XXXXXX.json")
    trap 'rm -f "$params_file"' EXIT
    printf '%s' "$MAPWRIGHT_PARAMS_JSON" > "$params_file"
    params=(--params "$params_file")
fi
status=0
"${MAPWRIGHT_BIN:-mapwright}" convert -q -m "$mapping" --input-format ndjson \
    --output-format ndjson --threads 1 \
    --rejects "$side/rejects-$part.ndjson" --report "$side/report-$part.json" "${params[@]}" "$@" || status=$?
# 1 means some records were rejected: they are in the rejects file. Any
# other failure fails the Spark task (the job pipes with checkCode=True).
if [ "$status" -gt 1 ]; then exit "$status"; fi
