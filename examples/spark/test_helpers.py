"""The Spark helpers' own logic, without Spark: a stand-in RDD whose
mapPartitions runs the function over one partition (review of issue 16)."""

import json
import os
import subprocess
from pathlib import Path

import mapwright_spark

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("MAPWRIGHT_BIN", REPO / "target" / "debug" / "mapwright"))
O2O = REPO / "mappings" / "o2o" / "primary-to-secondary.yaml"
EVENTS = REPO / "mappings" / "o2o" / "examples" / "primary-events.ndjson"


class OnePartition:
    def __init__(self, lines):
        self.lines = lines

    def mapPartitions(self, f):  # noqa: N802 (Spark's name)
        return list(f(iter(self.lines)))


def o2o_params():
    return {
        "secondary_team": "Partner Maintenance Ltd",
        # A list param: a dict key of it was unhashable.
        "shared_categories": ["Asbestos Report", "Gas Safety Certificate", "Photos"],
        "work_log_type": "Primary Update",
        "work_type": "Reactive",
        "workflow": "Standard",
        "client": "Primary Co",
        "service": "Repairs",
    }


def test_a_chunk_of_blank_lines_is_passed_over_not_the_end():
    events = EVENTS.read_text().splitlines()
    lines = [""] * mapwright_spark.CHUNK + events
    outcomes = mapwright_spark.convert_with_package(OnePartition(lines), O2O, o2o_params())
    assert len(outcomes) == len(events)
    statuses = [s for s, _ in outcomes]
    assert statuses.count("accepted") + statuses.count("rejected") + statuses.count("skipped") == 12


def test_list_params_reach_both_routes_as_the_cli_takes_them(tmp_path):
    params = o2o_params()
    params_file = tmp_path / "params.json"
    params_file.write_text(json.dumps(params))
    cli = subprocess.run(
        [str(CLI), "convert", "-m", str(O2O), str(EVENTS), "--params", str(params_file),
         "--output-format", "ndjson", "-q"],
        capture_output=True, check=False,
    )
    assert cli.returncode in (0, 1), cli.stderr
    want = cli.stdout.decode().splitlines()
    got = mapwright_spark.convert_with_package(OnePartition(EVENTS.read_text().splitlines()), O2O, params)
    assert [t for s, t in got if s == "accepted"] == want
    # The pipe route's partition script reads them from the environment.
    side = tmp_path / "side"
    side.mkdir()
    env = dict(os.environ, MAPWRIGHT_SIDE_DIR=str(side), MAPWRIGHT_BIN=str(CLI),
               MAPWRIGHT_PARAMS_JSON=json.dumps(params))
    piped = subprocess.run(
        [str(mapwright_spark.PIPE_SCRIPT), str(O2O)],
        input=("#partition 0\n" + EVENTS.read_text()).encode(), env=env,
        capture_output=True, check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.decode().splitlines() == want


def test_job_py_takes_its_default_param_only_when_none_is_given():
    """Review of issue 16: --param appended to the default, so a Synergetic
    job got company_code beside its vendor_token and failed to load."""
    import mapwright
    import job

    synergetic = REPO / "mappings" / "oneserve-synergetic" / "order.yaml"
    token = "3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7"
    args = job.parse_args(["package", "in.ndjson", "out", "--mapping", str(synergetic), "--param", f"vendor_token={token}"])
    assert args.params == {"vendor_token": token}
    mapwright.Mapping.from_path(args.mapping, params=args.params)  # loads: no unknown param
    assert job.parse_args(["pipe", "in.ndjson", "out"]).params == {"company_code": "KM2"}
    two = job.parse_args(["pipe", "in", "out", "--param", "a=1=2", "--param", "b="])
    assert two.params == {"a": "1=2", "b": ""}


def test_a_record_line_is_one_the_cli_reads_as_a_record():
    for blank in ["", " ", "\t", "\r", "\x0c", " \t\r\x0c "]:
        assert not mapwright_spark.is_record_line(blank), repr(blank)
    for line in ["\xa0", "\x0b", "\u2028", "\u3000", "\x1c", "\x85", " x ", "{}"]:
        assert mapwright_spark.is_record_line(line), repr(line)
