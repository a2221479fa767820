"""The mapwright package against the `mapwright` CLI on the repository's
seed examples, its rejects, its secrets and its threads.

Every comparison runs the CLI (`$MAPWRIGHT_BIN`, default the debug build in
target/debug) on the same input: an accepted outcome's `ndjson` must be the
CLI's output line byte for byte, its payload that line parsed, and a
rejected outcome's errors the CLI's rejects line's.
"""

import copy
import inspect
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import mapwright

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
CLI = Path(os.environ.get("MAPWRIGHT_BIN", REPO / "target" / "debug" / "mapwright"))
VENDOR_TOKEN = "3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7"


def run_cli(tmp_path, mapping, source, params=None, params_file=None):
    """`mapwright convert` into files under tmp_path: output lines, rejects, report."""
    out, rejects, report = (tmp_path / n for n in ("out.ndjson", "rejects.ndjson", "report.json"))
    args = [str(CLI), "convert", "-q", "-m", str(mapping), str(source), "--output-format", "ndjson"]
    args += ["-o", str(out), "--rejects", str(rejects), "--report", str(report)]
    for key, value in (params or {}).items():
        args += ["--param", f"{key}={value}"]
    if params_file:
        args += ["--params", str(params_file)]
    done = subprocess.run(args, capture_output=True)
    assert done.returncode in (0, 1), done.stderr.decode()
    lines = out.read_bytes().splitlines(keepends=True)
    rejected = [json.loads(line) for line in rejects.read_text().splitlines()]
    return lines, rejected, json.loads(report.read_text())


def assert_same_as_cli(outcomes, lines, rejected, report):
    accepted = [o for o in outcomes if o.status == "accepted"]
    assert [o.ndjson for o in accepted] == lines
    assert [o.payload for o in accepted] == [json.loads(line) for line in lines]
    assert [o.errors for o in outcomes if o.status == "rejected"] == [r["errors"] for r in rejected]
    assert [o.source for o in outcomes if o.status == "rejected"] == [r["source"] for r in rejected]
    counts = report["counts"]
    assert len(outcomes) == counts["units"]
    assert sum(o.status == "skipped" for o in outcomes) == counts["skipped"]
    assert [o.reason for o in outcomes if o.status == "skipped"] == [s["reason"] for s in report["skips"]]


# The seed streams: mapping, NDJSON input, params file; and the counts their
# READMEs promise (accepted, rejected, skipped).
STREAMS = [
    ("o2o/primary-to-secondary.yaml", "o2o/examples/primary-events.ndjson", "o2o/examples/primary-params.yaml", (7, 1, 4)),
    ("o2o/secondary-to-primary.yaml", "o2o/examples/secondary-events.ndjson", "o2o/examples/secondary-params.yaml", None),
    ("oneserve-pruvan/update.yaml", "oneserve-pruvan/examples/status-changes.ndjson", "oneserve-pruvan/examples/status-params.yaml", (6, 2, 0)),
]


@pytest.mark.parametrize("mapping,source,params_file,counts", STREAMS, ids=[s[1] for s in STREAMS])
@pytest.mark.parametrize("threads", [1, 2])
def test_a_seed_stream_settles_as_the_cli_does(tmp_path, mapping, source, params_file, counts, threads):
    m = mapwright.Mapping.from_path(MAPPINGS / mapping, params_file=MAPPINGS / params_file)
    outcomes = m.transform_ndjson((MAPPINGS / source).read_bytes(), threads=threads)
    lines, rejected, report = run_cli(tmp_path, MAPPINGS / mapping, MAPPINGS / source, params_file=MAPPINGS / params_file)
    assert_same_as_cli(outcomes, lines, rejected, report)
    if counts:
        assert tuple(sum(o.status == s for o in outcomes) for s in ("accepted", "rejected", "skipped")) == counts
    expected = MAPPINGS / source.replace(".ndjson", ".expected.ndjson")
    assert b"".join(o.ndjson for o in outcomes if o.status == "accepted") == expected.read_bytes()


def test_the_spectrum_orders_one_record_at_a_time_equal_the_cli(tmp_path):
    source = MAPPINGS / "oneserve-spectrum/examples/orders.ndjson"
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    records = [json.loads(line) for line in source.read_text().splitlines()]
    outcomes = [m.transform(r) for r in records]
    lines, rejected, report = run_cli(tmp_path, MAPPINGS / "oneserve-spectrum/order.yaml", source, {"company_code": "KM2"})
    assert len(records) == 200
    assert_same_as_cli(outcomes, lines, rejected, report)
    assert [o.status for o in m.transform_many(records)] == [o.status for o in outcomes]


# The seed documents of the mappings' tests/ folders: mapping, document, params.
DOCUMENTS = [
    ("oneserve-spectrum/order.yaml", "oneserve-spectrum/tests/design-example.json", {"company_code": "KM2"}),
    ("oneserve-synergetic/order.yaml", "oneserve-synergetic/tests/design-example.json", {"vendor_token": VENDOR_TOKEN}),
    ("oneserve-pruvan/create.yaml", "oneserve-pruvan/tests/design-example.json", {"mode": "external"}),
    ("oneserve-pruvan/create.yaml", "oneserve-pruvan/tests/seed-create.json", {"mode": "external"}),
    ("oneserve-pruvan/update.yaml", "oneserve-pruvan/tests/update-late.json", {"mode": "external"}),
    ("po-responses-oneserve/spectrum.yaml", "po-responses-oneserve/tests/spectrum-design-example.json", {"raised_status_id": 5, "rejected_status_id": 6}),
] + [
    ("o2o/primary-to-secondary.yaml", f"o2o/tests/events/{p.name}", "o2o/examples/primary-params.yaml")
    for p in sorted((MAPPINGS / "o2o/tests/events").glob("primary-*.json"))
] + [
    ("o2o/secondary-to-primary.yaml", f"o2o/tests/events/{p.name}", "o2o/examples/secondary-params.yaml")
    for p in sorted((MAPPINGS / "o2o/tests/events").glob("secondary-*.json"))
]


@pytest.mark.parametrize("mapping,document,params", DOCUMENTS, ids=[d[1] for d in DOCUMENTS])
def test_a_seed_document_transforms_as_the_cli_converts_it(tmp_path, mapping, document, params):
    if isinstance(params, str):
        m = mapwright.Mapping.from_path(MAPPINGS / mapping, params_file=MAPPINGS / params)
        cli = run_cli(tmp_path, MAPPINGS / mapping, MAPPINGS / document, params_file=MAPPINGS / params)
    else:
        m = mapwright.Mapping.from_path(MAPPINGS / mapping, params=params)
        cli = run_cli(tmp_path, MAPPINGS / mapping, MAPPINGS / document, params)
    outcome = m.transform(json.loads((MAPPINGS / document).read_text()))
    assert_same_as_cli([outcome], *cli)


def test_the_spectrum_example_payload_is_the_design_documents_purchase_order():
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    outcome = m.transform(json.loads((MAPPINGS / "oneserve-spectrum/tests/design-example.json").read_text()))
    assert (outcome.status, outcome.route, outcome.errors, outcome.reason) == ("accepted", "oneserve-order-to-spectrum", None, None)
    assert outcome.payload["Company_Code"] == "KM2"
    assert outcome.payload["poDetails"][0]["Item_ID"] == "!PLB001"
    assert outcome.payload["poDetails"][1] == {"Detail_Entry_Type": "M", "Message": "Access via side gate"}
    assert outcome.render("json") == '{"purchaseOrders":[' + outcome.ndjson.decode().rstrip("\n") + "]}\n"


def test_a_record_missing_its_fields_is_rejected_with_every_rule():
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    outcome = m.transform({"order_request_id": "ORQ-1"})
    assert outcome.status == "rejected"
    assert (outcome.route, outcome.payload, outcome.ndjson, outcome.reason) == (None, None, None, None)
    assert [(e["rule"], e["path"]) for e in outcome.errors][:2] == [("required", "/requested_at"), ("required", "/job")]
    assert repr(outcome).startswith('Outcome(status="rejected", rules=["required", "required"')
    with pytest.raises(ValueError, match="only an accepted outcome"):
        outcome.render()


def test_what_is_not_a_record_or_not_json_is_rejected_as_the_cli_rejects_it():
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    assert [e["rule"] for e in m.transform([1, 2]).errors] == ["not-a-record"]
    outcomes = m.transform_ndjson(b'{"order_request_id": "A"}\n{broken\n\n')
    assert [o.status for o in outcomes] == ["rejected", "rejected"]
    assert [e["rule"] for e in outcomes[1].errors] == ["malformed"]
    assert outcomes[1].source == ["{broken"]
    with pytest.raises(ValueError):
        m.transform({"quantity": float("nan")})


def test_a_skipped_record_carries_its_reason():
    m = mapwright.Mapping.from_path(MAPPINGS / "o2o/primary-to-secondary.yaml", params_file=MAPPINGS / "o2o/examples/primary-params.yaml")
    line = (MAPPINGS / "o2o/examples/primary-events.ndjson").read_text().splitlines()[1]
    outcome = m.transform(json.loads(line))
    assert outcome.status == "skipped"
    reason = ("job status 'Awaiting Subcontractor' is not mapped (lookups/primary-statuses.csv): "
              "job J100001's status change stays in the primary system")
    assert outcome.reason == reason
    assert repr(outcome) == f'Outcome(status="skipped", reason="{reason}")'


def test_a_broken_mapping_raises_its_diagnostics_with_file_line_and_code(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("mapping: broken\nsource: oneserve.activity_order_requst\n")
    with pytest.raises(mapwright.MappingError) as raised:
        mapwright.Mapping.from_path(path)
    first = raised.value.diagnostics[0]
    assert (first["file"], first["line"], first["column"], first["code"]) == (str(path), 2, 9, "unknown-schema")
    assert "oneserve.activity_order_request" in (first["help"] or first["message"])
    assert isinstance(raised.value, mapwright.MapwrightError)
    assert str(path) + ":2:9" in str(raised.value)


def test_from_str_finds_lookups_and_schemas_from_its_path():
    path = MAPPINGS / "oneserve-spectrum/order.yaml"
    m = mapwright.Mapping.from_str(path.read_text(), path, params={"company_code": "KM2"})
    outcome = m.transform(json.loads((MAPPINGS / "oneserve-spectrum/tests/design-example.json").read_text()))
    assert outcome.payload["Vendor_Code"] == "ACME01"


def test_unknown_params_raise_every_problem():
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company": "KM2"})
    assert raised.value.problems[0] == "unknown param 'company'; this mapping takes: company_code, batch_code, cost_center"
    assert len(raised.value.problems) == 2


def diagnostic_of(raised):
    d = raised.value.diagnostics[0]
    return (d["file"], d["line"], d["column"], d["severity"], d["code"])


def test_a_params_file_that_is_no_yaml_raises_its_diagnostics(tmp_path):
    """Review of issue 16: a params file with a YAML error raised without .diagnostics."""
    params = tmp_path / "params.yaml"
    params.write_text(f"vendor_token: {VENDOR_TOKEN}\nbusiness_unit: [1\n")
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(MAPPINGS / "oneserve-synergetic/order.yaml", params_file=params)
    assert diagnostic_of(raised) == (str(params), 2, 16, "error", "yaml")
    assert len(raised.value.diagnostics) == 1
    assert raised.value.problems == [str(raised.value)]
    assert str(raised.value).startswith(f"{params}:2:16: error[yaml]: ")
    assert isinstance(raised.value, mapwright.MapwrightError)
    for text in (str(raised.value), repr(raised.value), str(raised.value.diagnostics)):
        assert VENDOR_TOKEN not in text


def test_a_params_file_that_is_no_map_or_missing_raises_its_diagnostics(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("\n- KM2\n")
    spectrum = MAPPINGS / "oneserve-spectrum/order.yaml"
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(spectrum, params_file=params)
    assert diagnostic_of(raised) == (str(params), 2, 1, "error", "wrong-shape")
    assert raised.value.diagnostics[0]["message"] == "a params file must be a mapping of name: value"
    missing = tmp_path / "missing.yaml"
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_str(spectrum.read_text(), spectrum, params_file=missing)
    assert diagnostic_of(raised) == (str(missing), 0, 0, "error", "unreadable")
    assert raised.value.diagnostics[0]["message"].startswith("cannot read the params file: ")


def test_params_that_do_not_fit_raise_a_diagnostic_each_at_the_mapping():
    spectrum = MAPPINGS / "oneserve-spectrum/order.yaml"
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(spectrum, params={"company": "KM2"})
    assert [(d["file"], d["line"], d["column"], d["code"]) for d in raised.value.diagnostics] == [
        (str(spectrum), 0, 0, "params"), (str(spectrum), 0, 0, "params"),
    ]
    assert [d["message"] for d in raised.value.diagnostics] == raised.value.problems
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(spectrum, params={1: "KM2"})
    assert raised.value.problems == ["a param's name must be a str"]
    assert diagnostic_of(raised) == (str(spectrum), 0, 0, "error", "params")
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(spectrum, params={"company_code": float("nan")})
    assert raised.value.problems == ['param "company_code": its value is not JSON']


def test_render_names_the_route_and_the_format_it_cannot_write():
    m = mapwright.Mapping.from_path(MAPPINGS / "o2o/primary-to-secondary.yaml", params_file=MAPPINGS / "o2o/examples/primary-params.yaml")
    with pytest.raises(ValueError, match="name the route"):
        m.render({"a": 1})
    # Review of issue 16: a wrong route raised MapwrightError, no route of
    # several ValueError; both are a wrong argument, as a wrong format is.
    with pytest.raises(ValueError, match="did you mean 'create-job'"):
        m.render({"a": 1}, "ndjson", route="create-jobs")
    with pytest.raises(ValueError, match='unknown format "yaml"'):
        m.render({"a": 1}, "yaml", route="create-job")
    first = m.transform_ndjson((MAPPINGS / "o2o/examples/primary-events.ndjson").read_bytes())[0]
    assert m.render(first.payload, "ndjson", route=first.route).encode() == first.ndjson


def test_synergetic_xml_renders_the_document_the_cli_writes(tmp_path):
    mapping = MAPPINGS / "oneserve-synergetic/order.yaml"
    document = MAPPINGS / "oneserve-synergetic/tests/design-example.json"
    m = mapwright.Mapping.from_path(mapping, params={"vendor_token": VENDOR_TOKEN})
    xml = m.transform(json.loads(document.read_text())).render("xml")
    out = tmp_path / "out.xml"
    subprocess.run([str(CLI), "convert", "-q", "-m", str(mapping), str(document), "--param", f"vendor_token={VENDOR_TOKEN}",
                    "--output-format", "xml", "--batch-size", "1", "-o", str(out)], check=True)
    assert xml == out.read_text()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<InputXML>')
    assert 'Amount="60.00" TaxCode="10" TaxAmount="6.00"' in xml


@pytest.mark.parametrize("format", ["xml", "json", "ndjson"])
def test_render_refuses_a_payload_the_target_schema_does_not_take(format):
    """Review of issue 16: XML left a field Synergetic does not know out without a word."""
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-synergetic/order.yaml", params={"vendor_token": VENDOR_TOKEN})
    outcome = m.transform(json.loads((MAPPINGS / "oneserve-synergetic/tests/design-example.json").read_text()))
    payload = dict(outcome.payload, Colour="red")
    del payload["CreditorID"]
    with pytest.raises(mapwright.PayloadError) as raised:
        m.render(payload, format)
    assert [(e["rule"], e["path"]) for e in raised.value.errors] == [
        ("required", "/InputXML/CreditorID"),
        ("unknown-field", "/InputXML/Colour"),
    ]
    assert raised.value.errors[1]["message"] == "'Colour' is not a field of Synergetic's input_xml"
    assert isinstance(raised.value, mapwright.MapwrightError)
    assert "/InputXML/Colour [unknown-field]" in str(raised.value)
    assert m.render(outcome.payload, "xml") == outcome.render("xml")


def test_render_hides_a_secret_it_names(tmp_path):
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-synergetic/order.yaml", params={"vendor_token": VENDOR_TOKEN})
    outcome = m.transform(json.loads((MAPPINGS / "oneserve-synergetic/tests/design-example.json").read_text()))
    payload = dict(outcome.payload, VendorTokenGUID=VENDOR_TOKEN + "-1")
    with pytest.raises(mapwright.PayloadError) as raised:
        m.render(payload, "xml")
    assert raised.value.errors == [{
        "rule": "invalid-guid",
        "path": "/InputXML/VendorTokenGUID",
        "message": "(a secret value, not shown) is not a GUID (8-4-4-4-12 hexadecimal digits)",
    }]
    for text in (str(raised.value), repr(raised.value), str(raised.value.args)):
        assert VENDOR_TOKEN not in text


def test_render_checks_a_json_target_too():
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    outcome = m.transform(json.loads((MAPPINGS / "oneserve-spectrum/tests/design-example.json").read_text()))
    with pytest.raises(mapwright.PayloadError) as raised:
        m.render(dict(outcome.payload, Company_Code="KM22"), "json")
    assert raised.value.errors == [{
        "rule": "max-length",
        "path": "/Company_Code",
        "message": "'KM22' is 4 characters; Spectrum allows at most 3",
    }]


# Secrets: the vendor token is a secret param of the Synergetic mapping.
def synergetic():
    return mapwright.Mapping.from_path(MAPPINGS / "oneserve-synergetic/order.yaml", params={"vendor_token": VENDOR_TOKEN})


def test_a_secret_param_is_never_in_a_rejection_or_a_repr(tmp_path):
    record = json.loads((MAPPINGS / "oneserve-synergetic/tests/design-example.json").read_text())
    record["requested_at"] = VENDOR_TOKEN
    m = synergetic()
    outcome = m.transform(record)
    assert outcome.errors == [{
        "rule": "invalid-date",
        "path": "/requested_at",
        "message": "'(secret)' is not a date in the format ISO 8601 (YYYY-MM-DD)",
    }]
    assert outcome.source[0]["requested_at"] == "(secret)"
    for text in (repr(outcome), str(outcome.errors), str(outcome.source), repr(m), str(m.routes)):
        assert VENDOR_TOKEN not in text
    source = tmp_path / "record.json"
    source.write_text(json.dumps(record))
    lines, rejected, report = run_cli(tmp_path, MAPPINGS / "oneserve-synergetic/order.yaml", source, {"vendor_token": VENDOR_TOKEN})
    assert_same_as_cli([outcome], lines, rejected, report)


def test_a_secret_param_that_does_not_fit_is_not_in_the_exception():
    token = "not-a-guid-but-secret-7731"
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(MAPPINGS / "oneserve-synergetic/order.yaml", params={"vendor_token": token})
    assert raised.value.problems == ["param 'vendor_token' (secret, value not shown) is not a GUID (8-4-4-4-12 hexadecimal digits)"]
    for text in (str(raised.value), repr(raised.value), str(raised.value.args)):
        assert token not in text


def test_an_accepted_payload_keeps_the_secret_where_the_target_needs_it():
    # The token is the payload's VendorTokenGUID: the payload is the output,
    # not a message; only its repr leaves it out.
    outcome = synergetic().transform(json.loads((MAPPINGS / "oneserve-synergetic/tests/design-example.json").read_text()))
    assert outcome.payload["VendorTokenGUID"] == VENDOR_TOKEN
    assert VENDOR_TOKEN not in repr(outcome)


def test_one_mapping_shared_by_eight_threads_gives_what_one_thread_gives():
    source = MAPPINGS / "oneserve-spectrum/examples/orders.ndjson"
    records = [json.loads(line) for line in source.read_text().splitlines()]
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    expected = [(o.status, o.ndjson, o.errors) for o in (m.transform(r) for r in records)]
    work = [records[i::8] for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        one_by_one = list(pool.map(lambda chunk: [m.transform(r) for r in chunk], work))
        in_batches = list(pool.map(lambda chunk: m.transform_many(chunk, threads=2), work))
        as_text = list(pool.map(lambda _: m.transform_ndjson(source.read_bytes()), range(4)))
    for results in (one_by_one, in_batches):
        got = [None] * len(records)
        for i, chunk in enumerate(results):
            for j, o in enumerate(chunk):
                got[i + 8 * j] = (o.status, o.ndjson, o.errors)
        assert got == expected
    for outcomes in as_text:
        assert [(o.status, o.ndjson, o.errors) for o in outcomes] == expected


def test_the_package_has_docstrings_and_a_stub():
    package = Path(mapwright.__file__).parent
    assert (package / "py.typed").exists() and (package / "_mapwright.pyi").exists()
    for item in (mapwright, mapwright.Mapping, mapwright.Mapping.transform, mapwright.Mapping.transform_ndjson,
                 mapwright.Outcome, mapwright.MappingError):
        assert item.__doc__ and len(item.__doc__) > 20, item


@pytest.mark.parametrize("call", ["transform_ndjson", "transform_many"])
def test_the_engine_runs_with_the_gil_released(call):
    # With a switch interval of 1000 s, CPython never takes the GIL from a
    # running thread: the main thread runs again while the worker is in
    # the engine only if the engine let the GIL go.
    source = MAPPINGS / "oneserve-spectrum/examples/orders.ndjson"
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    data = source.read_bytes() * 25
    records = [json.loads(line) for line in data.splitlines()]
    argument = data if call == "transform_ndjson" else records
    # Warm up: the first call imports Python's json module, and an import
    # may let the GIL go on its own.
    getattr(m, call)(data.splitlines(keepends=True)[0] if call == "transform_ndjson" else records[:1])
    done = threading.Event()
    results = []

    def work():
        results.append(len(getattr(m, call)(argument)))
        done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        ran_while_the_engine_worked = not done.is_set()
        worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert results == [5000]
    assert ran_while_the_engine_worked


def test_a_record_that_is_no_json_is_named_by_its_place_in_the_batch():
    """Review of issue 16: one bad record raised without saying which."""
    import datetime

    m = mapwright.Mapping.from_path(
        str(MAPPINGS / "oneserve-spectrum" / "order.yaml"), params={"company_code": "KM2"}
    )
    good = json.loads((MAPPINGS / "oneserve-spectrum" / "tests" / "design-example.json").read_text())
    with pytest.raises(TypeError, match=r"record 1 of the batch \(counting from 0\): Object of type date"):
        m.transform_many([good, dict(good, when=datetime.date(2026, 12, 1)), good])
    assert [o.status for o in m.transform_many([good, good])] == ["accepted", "accepted"]


# The stub against the module (review of issue 16: `path=...` shown as
# Ellipsis, typing.Mapping in the stub where the runtime took only a dict,
# bytes in the stub where a bytearray was refused).
def stub_tree():
    import ast

    stub = Path(mapwright.__file__).parent / "_mapwright.pyi"
    return ast.parse(stub.read_text())


def stub_parameters(function):
    """(name, kind, default) of each parameter of a stub's def, self left out."""
    import ast

    args = function.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = [(a.arg, "positional", d) for a, d in zip(positional, defaults)]
    out += [(a.arg, "keyword-only", d) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return [(name, kind, None if d is None else ast.literal_eval(d)) for name, kind, d in out if name != "self"]


def runtime_parameters(function):
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.KEYWORD_ONLY: "keyword-only",
    }
    return [
        (p.name, kinds[p.kind], None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name != "self"
    ]


def public_classes():
    import ast

    return [n for n in stub_tree().body if isinstance(n, ast.ClassDef) and not n.name.startswith("_")]


def test_every_public_name_of_the_stub_is_in_the_module_with_its_bases():
    import ast

    from mapwright import _mapwright

    classes = public_classes()
    assert sorted(c.name for c in classes) == sorted(mapwright.__all__)
    assert [n.name for n in stub_tree().body if isinstance(n, ast.FunctionDef)] == []
    for c in classes:
        runtime = getattr(_mapwright, c.name)
        assert getattr(mapwright, c.name) is runtime
        assert ([b.id for b in c.bases] or ["object"]) == [runtime.__base__.__name__], c.name


def test_every_method_of_the_stub_has_the_runtimes_parameters_and_defaults():
    import ast

    checked = []
    for c in public_classes():
        runtime = getattr(mapwright, c.name)
        for f in (n for n in c.body if isinstance(n, ast.FunctionDef)):
            attribute = inspect.getattr_static(runtime, f.name)
            decorators = [d.id for d in f.decorator_list]
            if decorators == ["property"]:
                assert type(attribute).__name__ == "getset_descriptor", (c.name, f.name)
                continue
            assert isinstance(attribute, staticmethod) == (decorators == ["staticmethod"]), (c.name, f.name)
            assert stub_parameters(f) == runtime_parameters(getattr(runtime, f.name)), (c.name, f.name)
            checked.append(f"{c.name}.{f.name}")
    assert sorted(checked) == [
        "Mapping.from_path", "Mapping.from_str", "Mapping.render", "Mapping.transform",
        "Mapping.transform_many", "Mapping.transform_ndjson", "Outcome.render",
    ]
    assert runtime_parameters(mapwright.Mapping.from_str)[1] == ("path", "positional", "mapping.yaml")


def stub_attributes(name):
    import ast

    c = next(c for c in public_classes() if c.name == name)
    return sorted(n.target.id for n in c.body if isinstance(n, ast.AnnAssign))


def test_every_attribute_of_the_stub_is_on_the_runtimes_objects(tmp_path):
    outcome_attributes = [n for n in dir(mapwright.Outcome) if not n.startswith("_") and n != "render"]
    assert stub_attributes("Outcome") == sorted(outcome_attributes)
    broken = tmp_path / "broken.yaml"
    broken.write_text("mapping: [\n")
    raised = {}
    for name, call in [
        ("MappingError", lambda: mapwright.Mapping.from_path(broken)),
        ("ParamsError", lambda: mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml")),
        ("PayloadError", lambda: mapwright.Mapping.from_path(
            MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"}).render({"x": 1}, "json")),
    ]:
        with pytest.raises(getattr(mapwright, name)) as caught:
            call()
        raised[name] = sorted(vars(caught.value))
    assert raised == {name: stub_attributes(name) for name in raised}
    assert stub_attributes("MapwrightError") == []


def test_what_the_stub_takes_the_runtime_takes():
    import types

    spectrum = MAPPINGS / "oneserve-spectrum/order.yaml"
    m = mapwright.Mapping.from_path(spectrum, params=types.MappingProxyType({"company_code": "KM2"}))
    record = json.loads((MAPPINGS / "oneserve-spectrum/tests/design-example.json").read_text())
    expected = m.transform(record).ndjson
    assert expected is not None
    proxy = types.MappingProxyType(dict(record, job=types.MappingProxyType(record["job"])))
    assert m.transform(proxy).ndjson == expected
    assert [o.ndjson for o in m.transform_many([proxy, record])] == [expected, expected]
    outcome = m.transform(record)
    assert m.render(types.MappingProxyType(outcome.payload), "ndjson").encode() == expected
    data = (MAPPINGS / "oneserve-spectrum/examples/orders.ndjson").read_bytes()
    as_bytes = [(o.status, o.ndjson, o.errors) for o in m.transform_ndjson(data)]
    assert [(o.status, o.ndjson, o.errors) for o in m.transform_ndjson(bytearray(data))] == as_bytes
    with pytest.raises(TypeError, match="data must be bytes or bytearray, not str"):
        m.transform_ndjson(data.decode())
    with pytest.raises(TypeError, match="data must be bytes or bytearray, not list"):
        m.transform_ndjson(list(data[:10]))


class Boom(OSError):
    pass


@pytest.mark.parametrize("raised", [Boom(5, "the disk went away"), KeyboardInterrupt("stop")])
def test_what_the_iterable_raises_propagates_unchanged(raised):
    """Review of issue 16: an OSError or a KeyboardInterrupt of the caller's
    generator became a ValueError naming a record."""
    m = mapwright.Mapping.from_path(
        str(MAPPINGS / "oneserve-spectrum" / "order.yaml"), params={"company_code": "KM2"}
    )
    good = json.loads((MAPPINGS / "oneserve-spectrum" / "tests" / "design-example.json").read_text())

    def records():
        yield good
        yield good
        raise raised

    with pytest.raises(type(raised)) as caught:
        m.transform_many(records())
    assert caught.value is raised
    assert type(caught.value) is type(raised)


def test_a_dict_is_no_batch_of_records():
    m = mapwright.Mapping.from_path(
        str(MAPPINGS / "oneserve-spectrum" / "order.yaml"), params={"company_code": "KM2"}
    )
    good = json.loads((MAPPINGS / "oneserve-spectrum" / "tests" / "design-example.json").read_text())
    with pytest.raises(TypeError, match="not a dict"):
        m.transform_many(good)


def test_a_secret_target_fields_value_built_from_the_record_is_hidden_in_its_source(tmp_path):
    """Review of issue 16: a mapping building VendorTokenGUID from job.client
    hid the client in the error but showed it in `.source` (and in the CLI's
    rejects file)."""
    import shutil

    for folder in ("oneserve-synergetic", "shared"):
        shutil.copytree(MAPPINGS / folder, tmp_path / "mappings" / folder)
    mapping = tmp_path / "mappings" / "oneserve-synergetic" / "order.yaml"
    text = mapping.read_text()
    leaky = text.replace("  VendorTokenGUID: = params.vendor_token\n", "  VendorTokenGUID: = job.client\n")
    assert leaky != text
    mapping.write_text(leaky)
    record = json.loads((MAPPINGS / "oneserve-synergetic/tests/design-example.json").read_text())
    client = "CLIENT-TOKEN-SECRET-4417"
    record["job"]["client"] = client
    m = mapwright.Mapping.from_path(mapping, params={"vendor_token": VENDOR_TOKEN})
    outcome = m.transform(record)
    assert outcome.status == "rejected"
    assert [e["path"] for e in outcome.errors] == ["/VendorTokenGUID"]
    assert outcome.source[0]["job"]["client"] == "(secret)"
    assert outcome.source[0]["job"]["ref"] == record["job"]["ref"]
    for text in (repr(outcome), str(outcome.errors), str(outcome.source)):
        assert client not in text
    source = tmp_path / "record.json"
    source.write_text(json.dumps(record))
    lines, rejected, report = run_cli(tmp_path, mapping, source, {"vendor_token": VENDOR_TOKEN})
    assert client not in (tmp_path / "rejects.ndjson").read_text()
    assert_same_as_cli([outcome], lines, rejected, report)


def test_a_missing_param_is_asked_for_as_python_gives_it():
    """Review of issue 16: the package said "give it with --param"."""
    with pytest.raises(mapwright.ParamsError) as raised:
        mapwright.Mapping.from_path(MAPPINGS / "oneserve-synergetic/order.yaml")
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].endswith('; give it in params={"vendor_token": ...}')
    for text in (str(raised.value), *raised.value.problems, str(raised.value.diagnostics)):
        assert "--param" not in text


def test_a_file_outside_the_project_is_let_in_by_root(tmp_path):
    """Review of issue 16: the package said "give a wider project with
    --root", and from_path took no root."""
    import shutil

    project = tmp_path / "project"
    for folder in ("oneserve-synergetic", "shared"):
        shutil.copytree(MAPPINGS / folder, project / "mappings" / folder)
    (tmp_path / "outside").mkdir()
    mapping = project / "mappings" / "oneserve-synergetic" / "order.yaml"
    shutil.move(mapping.parent / "lookups" / "creditors.csv", tmp_path / "outside" / "creditors.csv")
    text = mapping.read_text()
    moved = text.replace("file: lookups/creditors.csv", "file: ../../../outside/creditors.csv")
    assert moved != text
    mapping.write_text(moved)
    params = {"vendor_token": VENDOR_TOKEN}
    with pytest.raises(mapwright.MappingError) as raised:
        mapwright.Mapping.from_path(mapping, params=params)
    [finding] = [d for d in raised.value.diagnostics if d["code"] == "outside-project"]
    assert (finding["line"], finding["column"]) == (31, 21)
    assert finding["message"].endswith("; keep it inside, or give a wider project with root=")
    assert "--root" not in str(raised.value)
    record = json.loads((MAPPINGS / "oneserve-synergetic/tests/design-example.json").read_text())
    for m in (mapwright.Mapping.from_path(mapping, params=params, root=tmp_path),
              mapwright.Mapping.from_str(moved, mapping, params, root=tmp_path)):
        assert m.transform(record).status == "accepted"


def test_render_takes_jsonl_refuses_what_is_no_mapping_and_a_deep_record_is_a_value_error():
    """Review of issue 16: "jsonl" worked but was named nowhere; render(None)
    said "found ()"; a record nested 5000 deep raised RecursionError."""
    m = mapwright.Mapping.from_path(MAPPINGS / "oneserve-spectrum/order.yaml", params={"company_code": "KM2"})
    good = json.loads((MAPPINGS / "oneserve-spectrum/tests/design-example.json").read_text())
    outcome = m.transform(good)
    assert m.render(outcome.payload, "jsonl") == m.render(outcome.payload, "ndjson")
    with pytest.raises(ValueError, match=r'one of "ndjson" \(or "jsonl"\), "json", "xml"'):
        m.render(outcome.payload, "csv")
    with pytest.raises(TypeError, match="the payload must be a dict \\(or any mapping\\), not NoneType"):
        m.render(None)
    deep = {}
    inner = deep
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ValueError, match="nested too deeply") as raised:
        m.transform(deep)
    assert isinstance(raised.value.__cause__, RecursionError)
    with pytest.raises(ValueError, match=r"record 1 of the batch \(counting from 0\): the record is nested too deeply"):
        m.transform_many([good, deep])
