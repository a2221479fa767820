"""mapwright under Apache Spark, two ways, over an RDD of NDJSON lines.

1. The pipe route (`convert_with_pipe`): each partition is piped through
   `mapwright convert` (pipe-partition.sh). Accepted records come back as
   the RDD; each partition's rejects and report land in a side folder, one
   file of each per partition, so `side_totals` can sum the job's counts.
   Needs the `mapwright` binary on every executor (MAPWRIGHT_BIN or PATH).

2. The package route (`convert_with_package`): `mapPartitions` with the
   Python package, the mapping loaded once per Python worker process (a
   module-level cache: Spark reuses its workers) and each partition
   transformed in chunks with the GIL released. Results come back as
   `(status, text)` pairs: the output line, the rejects line, or the skip
   reason. Needs `pip install ./python` on every executor.

Lookups: a mapping reads its lookup CSVs from beside its file when it is
loaded, once per worker, so every worker must see the same files: ship
the mapping folder whole (the same path on a shared file system, or
`--archives` / `SparkContext.addFile` of the folder) and never change a
lookup while a job runs. Each worker then holds the same snapshot.

Grouped CSV input (header/detail rows of one order over several lines)
must have every row of a group in one partition: read the rows, key them
by the mapping's `group_by` column and `repartition` (or
`partitionBy`) by that key before converting, and sort within partitions
if the mapping says `sorted: true`. NDJSON records, one unit a line, can
be split anywhere.
"""

import itertools
import json
import os
import shlex
from pathlib import Path

HERE = Path(__file__).resolve().parent
PIPE_SCRIPT = HERE / "pipe-partition.sh"

# The chunk of records one call into the engine gets: large enough that the
# GIL is released for real work, small enough to keep memory flat.
CHUNK = 5000


def _with_header(index, lines):
    return itertools.chain([f"#partition {index}"], lines)


def convert_with_pipe(lines, mapping, side_dir, params=(), mapwright_bin=None):
    """Accepted NDJSON lines of `lines` (an RDD of str); rejects and reports
    per partition in `side_dir` (which must exist and be empty)."""
    env = {"MAPWRIGHT_SIDE_DIR": str(side_dir)}
    if mapwright_bin:
        env["MAPWRIGHT_BIN"] = str(mapwright_bin)
    if "PATH" in os.environ:
        env["PATH"] = os.environ["PATH"]
    # The params travel as JSON in the environment, and pipe-partition.sh
    # hands them to mapwright as a --params file: a list param keeps its
    # shape, and a secret is not on any command line (`ps` shows those).
    if params:
        env["MAPWRIGHT_PARAMS_JSON"] = json.dumps(dict(params))
    command = [str(PIPE_SCRIPT), str(mapping)]
    return lines.mapPartitionsWithIndex(_with_header).pipe(shlex.join(command), env=env, checkCode=True)


def side_totals(side_dir):
    """The job's counts (the sum of every partition's report) and its rejects lines."""
    side = Path(side_dir)
    totals = {}
    for report in sorted(side.glob("report-*.json")):
        for key, value in json.loads(report.read_text())["counts"].items():
            totals[key] = totals.get(key, 0) + value
    rejects = [
        json.loads(line)
        for path in sorted(side.glob("rejects-*.ndjson"))
        for line in path.read_text().splitlines()
    ]
    return totals, rejects


_LOADED = {}


def _mapping(path, params):
    """The mapping, loaded once per worker process for these params."""
    import mapwright

    # JSON text as the key: a list or map param is no dict key itself.
    key = (str(path), json.dumps(params, sort_keys=True))
    if key not in _LOADED:
        _LOADED[key] = mapwright.Mapping.from_path(path, params=params)
    return _LOADED[key]


def convert_with_package(lines, mapping, params):
    """`(status, text)` for every record of `lines` (an RDD of NDJSON str):
    ("accepted", output line), ("rejected", JSON text of the rejects
    line's source and errors, secrets hidden) or ("skipped", reason)."""
    path, params = str(mapping), dict(params)

    def partition(records):
        m = _mapping(path, params)
        records = iter(records)
        while True:
            lines = list(itertools.islice(records, CHUNK))
            if not lines:
                return
            # Blank lines are no records (as for convert); a chunk of
            # nothing but blank lines is passed over, not the end.
            chunk = [r for r in lines if r.strip()]
            if not chunk:
                continue
            outcomes = m.transform_ndjson("\n".join(chunk).encode() + b"\n")
            for o in outcomes:
                if o.status == "accepted":
                    yield "accepted", o.ndjson.decode().rstrip("\n")
                elif o.status == "rejected":
                    yield "rejected", json.dumps({"source": o.source, "errors": o.errors})
                else:
                    yield "skipped", o.reason

    return lines.mapPartitions(partition)
