"""Convert an NDJSON file of Oneserve order requests with Spark, by the pipe
route or the package route (see mapwright_spark.py), and print the job's
counts. Runs on `local[2]` unless --master says otherwise.

    python examples/spark/job.py pipe    REQUESTS.ndjson OUT_DIR
    python examples/spark/job.py package REQUESTS.ndjson OUT_DIR

OUT_DIR (new) gets `accepted/` (Spark's part files of output lines) and,
by the pipe route, `side/` (rejects and report of each partition), by the
package route `rejected/` (rejects lines: source and errors).
"""

import argparse
import json
import os
import sys
from pathlib import Path

from pyspark import SparkConf, SparkContext

import mapwright_spark

REPO = Path(__file__).resolve().parents[2]


# The params of the default mapping (Spectrum's), used when no --param is given.
DEFAULT_PARAMS = {"company_code": "KM2"}


def main():
    args = parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True)
    # The workers run this Python (with the package installed), unless told.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sc = SparkContext(conf=SparkConf().setMaster(args.master).setAppName("mapwright-" + args.route))
    sc.setLogLevel("WARN")
    sc.addPyFile(mapwright_spark.__file__)
    lines = mapwright_spark.read_lines(sc, args.requests, args.partitions)
    try:
        # The job's input, counted on its own pass over the lines (by the
        # CLI's rule of a blank line), not from what the routes report.
        read = mapwright_spark.count_records(lines)
        if args.route == "pipe":
            side = out / "side"
            side.mkdir()
            accepted = mapwright_spark.convert_with_pipe(lines, args.mapping, side.resolve(), args.params.items(), args.mapwright_bin)
            accepted.saveAsTextFile(str(out / "accepted"))
            counts, _ = mapwright_spark.side_totals(side)
        else:
            results = mapwright_spark.convert_with_package(lines, args.mapping, args.params).cache()
            results.filter(lambda r: r[0] == "accepted").values().saveAsTextFile(str(out / "accepted"))
            results.filter(lambda r: r[0] == "rejected").values().saveAsTextFile(str(out / "rejected"))
            counts = dict(results.countByKey())
    finally:
        sc.stop()
    settled = sum(counts.get(k, 0) for k in ("accepted", "rejected", "skipped"))
    reported = counts.get("input_records", read)
    counts["input_records"] = read
    print(json.dumps(counts, sort_keys=True))
    if read == settled == reported:
        return 0
    print(f"job.py: the job read {read} records, settled {settled} (accepted + rejected + skipped)"
          f" and its reports counted {reported}", file=sys.stderr)
    return 1


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("route", choices=["pipe", "package"])
    p.add_argument("requests")
    p.add_argument("out_dir")
    p.add_argument("--mapping", default=str(REPO / "mappings/oneserve-spectrum/order.yaml"))
    p.add_argument("--param", action="append", default=[], type=key_value,
                   help="KEY=VALUE, as often as needed (default: company_code=KM2, for the default mapping)")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--mapwright-bin", help="the mapwright binary (default: mapwright on PATH)")
    args = p.parse_args(argv)
    # The default is for no --param at all: an append default would stay
    # beside the params given (company_code for a Synergetic job).
    args.params = dict(args.param) if args.param else dict(DEFAULT_PARAMS)
    return args


def key_value(text):
    """One --param: KEY=VALUE (the value is not shown when it is wrong: it may be a secret)."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError("needs KEY=VALUE (the text given is not shown: it may be a secret)")
    return key, value


if __name__ == "__main__":
    sys.exit(main())
