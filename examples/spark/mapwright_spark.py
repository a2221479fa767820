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

# What a blank line is made of, for `mapwright convert`: the bytes Rust's
# `u8::is_ascii_whitespace` takes (the engine's NDJSON reader skips a line
# of nothing else). Python's `str.strip()` takes more ("\xa0", "\x0b",
# "\u2028", "\x85"...): such a line is a record to the CLI, rejected as
# malformed, and must be counted and rejected here too.
BLANK = " \t\n\r\x0c"


def is_record_line(line):
    """Whether `mapwright convert` reads this line as a record (not blank)."""
    return line.strip(BLANK) != ""


def read_lines(sc, path, min_partitions=None):
    r"""The lines of the text file(s) at `path` as an RDD of str, split on
    "\n" only, as `mapwright convert` reads NDJSON. `sc.textFile` also
    ends a line at a bare "\r", which splits a record with a CR between
    its tokens in two. Hadoop's TextInputFormat with the record delimiter
    set to "\n" reads each split as a stream, as textFile does, so it scales
    as textFile does. A line's "\r" before its "\n" is kept: the engine
    takes it as JSON white space, as the CLI does.

    `min_partitions`, as textFile's, caps the split size at the input's
    size over it (Hadoop's own split size, the block size, still caps it)."""
    conf = {"textinputformat.record.delimiter": "\n"}
    if min_partitions:
        size = _input_size(sc, path)
        conf["mapreduce.input.fileinputformat.split.maxsize"] = str(max(1, -(-size // min_partitions)))
    rdd = sc.newAPIHadoopFile(
        str(path),
        "org.apache.hadoop.mapreduce.lib.input.TextInputFormat",
        "org.apache.hadoop.io.LongWritable",
        "org.apache.hadoop.io.Text",
        conf=conf,
    )
    return rdd.values()


def _input_size(sc, path):
    """The bytes under `path` (a file or a folder), by Hadoop's file system."""
    jvm = sc._jvm  # noqa: SLF001 (PySpark has no public call for it)
    hadoop_path = jvm.org.apache.hadoop.fs.Path(str(path))
    fs = hadoop_path.getFileSystem(sc._jsc.hadoopConfiguration())  # noqa: SLF001
    return fs.getContentSummary(hadoop_path).getLength()


def count_records(lines):
    """The records among `lines` (an RDD of str) by the CLI's rule: the job's
    input, counted apart from what the conversion reports."""
    return lines.filter(is_record_line).count()


def _with_header(index, lines):
    return itertools.chain([f"#partition {index}"], lines)


def convert_with_pipe(lines, mapping, side_dir, params=(), mapwright_bin=None):
    """Accepted NDJSON lines of `lines` (an RDD of str, best from
    `read_lines`); rejects and reports per partition in `side_dir` (which
    must exist and be empty)."""
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
    # Split on "\n" only: a rejects line may hold a "\u2028" or "\x85" as
    # read, which str.splitlines takes for line ends.
    rejects = [
        json.loads(line)
        for path in sorted(side.glob("rejects-*.ndjson"))
        for line in path.read_text().split("\n")
        if line
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
    """`(status, text)` for every record of `lines` (an RDD of NDJSON str,
    best from `read_lines`):
    ("accepted", output line), ("rejected", JSON text of the rejects
    line's source and errors, secrets hidden) or ("skipped", reason)."""
    path, params = str(mapping), dict(params)

    def partition(records):
        m = _mapping(path, params)
        records = iter(records)
        while True:
            chunk = list(itertools.islice(records, CHUNK))
            if not chunk:
                return
            # Every line goes to the engine, which passes over blank lines
            # by the CLI's own rule (see BLANK); a chunk of nothing but
            # blank lines gives no outcome, and is not the end.
            outcomes = m.transform_ndjson("\n".join(chunk).encode() + b"\n")
            for o in outcomes:
                if o.status == "accepted":
                    yield "accepted", o.ndjson.decode().rstrip("\n")
                elif o.status == "rejected":
                    yield "rejected", json.dumps({"source": o.source, "errors": o.errors})
                else:
                    yield "skipped", o.reason

    return lines.mapPartitions(partition)
