//! `mapwright explain` given a record: the trace of how each field was
//! built and every rule's result, as a person reads it and as JSON, for the
//! seed's design example (accepted) and a copy of it whose team is not a
//! sub-contractor (rejected). Runs from the repository's root so the paths
//! in the trace are the repository's.

mod common;

use assert_cmd::Command;
use common::root;
use serde_json::Value;

const MAPPING: &str = "mappings/oneserve-spectrum/order.yaml";
const EXAMPLE: &str = "mappings/oneserve-spectrum/tests/design-example.json";

/// Exit code, stdout, stderr of `mapwright ARGS` run in the repository's root.
fn mapwright(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn explain(record: &str, extra: &[&str]) -> (i32, String, String) {
    let args = [
        "explain",
        "-m",
        MAPPING,
        "--param",
        "company_code=KM2",
        record,
    ];
    mapwright(&[&args[..], extra].concat())
}

fn example() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(EXAMPLE)).unwrap()).unwrap()
}

/// The design example with its team changed to one Spectrum does not order
/// from: rule `team-subcontract` fails.
fn rejected_example(name: &str) -> String {
    let dir = common::fresh("explain", name);
    let mut record = example();
    record["activities"][0]["team"]["type"] = "Internal".into();
    let file = dir.join("internal-team.json");
    std::fs::write(&file, record.to_string()).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn the_design_example_traced_for_people() {
    let (code, out, err) = explain(EXAMPLE, &[]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn the_design_example_traced_as_json() {
    let (code, out, err) = explain(EXAMPLE, &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let trace: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(trace["outcome"], "accepted");
    insta::assert_snapshot!(out);
}

#[test]
fn a_rejected_record_traced_for_people() {
    let file = rejected_example("rejected-human");
    let (code, out, err) = explain(&file, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains(
            "  FAIL           team-subcontract [mapping] at /activities/0/team/type (when true)"
        ),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn a_rejected_record_traced_as_json() {
    let file = rejected_example("rejected-json");
    let (code, out, err) = explain(&file, &["--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let trace: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(trace["outcome"], "rejected");
    assert_eq!(trace["violations"][0]["rule"], "team-subcontract");
    insta::assert_snapshot!(out);
}

/// `--line N` traces line N of an NDJSON file (the line a rejects file
/// names); a line past the end is a usage error that says how many there are.
#[test]
fn line_picks_one_record_of_an_ndjson_file() {
    let dir = common::fresh("explain", "line");
    let good = example().to_string();
    let mut bad = example();
    bad["activities"][0]["team"]["type"] = "Internal".into();
    let file = dir.join("in.ndjson");
    std::fs::write(&file, format!("{good}\n{bad}\n{good}\n")).unwrap();
    let file = file.to_str().unwrap();
    let (code, out, err) = explain(file, &["--line", "2"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with("oneserve-order-to-spectrum: rejected\n"),
        "{out}"
    );
    let (code, out, err) = explain(file, &["--line", "3"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("oneserve-order-to-spectrum: accepted"),
        "{out}"
    );
    let (code, out, err) = explain(file, &["--line", "4"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(
        err.trim(),
        format!("error: {file}: --line 4: the input has 3 lines")
    );
}

/// A key the lookup has not got is a miss, and the trace shows the default
/// the field got instead.
#[test]
fn a_lookup_miss_shows_the_default() {
    let dir = common::fresh("explain", "miss");
    let mut record = example();
    record["activities"][0]["sor_code"] = "XYZ001".into();
    let file = dir.join("unknown-phase.json");
    std::fs::write(&file, record.to_string()).unwrap();
    let (code, out, err) = explain(
        file.to_str().unwrap(),
        &["--field", "/poDetails/*/Phase_Code"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.split("\n\n").last().unwrap(),
        "/poDetails/0/Phase_Code\n  from: {lookup: phases, key: = phase, column: Phase_Code}\n  at:   mappings/oneserve-spectrum/order.yaml:50:23\n  read: phase = \"XYZ\"\n  lookup: phases[\"XYZ\"]: miss, default \"000900\"\n  value: \"000900\"\n"
    );
    let (_, out, _) = explain(
        file.to_str().unwrap(),
        &["--field", "/poDetails/*/Phase_Code", "--format", "json"],
    );
    let trace: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        trace["fields"][0]["lookup"],
        serde_json::json!({"name": "phases", "key": "XYZ", "hit": false, "default": "000900"})
    );
}

/// A secret param is read by a field and copied into it: neither the human
/// nor the JSON trace holds it.
#[test]
fn a_secret_param_never_appears_in_a_trace() {
    let token = "7e57a0b1-c2d3-4e5f-8a9b-0c1d2e3f4a5b";
    for format in ["human", "json"] {
        let (code, out, err) = mapwright(&[
            "explain",
            "-m",
            "mappings/oneserve-synergetic/order.yaml",
            "--param",
            &format!("vendor_token={token}"),
            "--format",
            format,
            EXAMPLE,
        ]);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(!out.to_lowercase().contains(&token[..8]), "{format}: {out}");
        assert!(!err.contains(&token[..8]), "{format}: {err}");
        assert!(out.contains("(secret)"), "{format}: {out}");
    }
}

/// A `table(...)` call in a `let:` names the row that matched by its line
/// and the file the table is written in (Pruvan's schema; the file was
/// missing, review of issue 13): a create with no Status in external mode
/// is the matrix's "Order Created" row.
#[test]
fn a_table_call_names_the_row_that_matched() {
    let (code, out, err) = mapwright(&[
        "explain",
        "-m",
        "mappings/oneserve-pruvan/create.yaml",
        "--param",
        "mode=external",
        "--format",
        "json",
        "mappings/oneserve-pruvan/tests/seed-create.json",
    ]);
    assert_eq!(code, 0, "{err}");
    let trace: Value = serde_json::from_str(&out).unwrap();
    let yaml = std::fs::read_to_string(root().join("schemas/pruvan/work_orders.yaml")).unwrap();
    // The matrix's first row, wherever edits of the schema put it.
    let line = 1 + yaml
        .lines()
        .position(|l| l.contains(r#"- {mode: "*", action: create, status: "", outcome: allowed"#))
        .expect("the matrix's create row");
    assert_eq!(
        trace["tables"],
        serde_json::json!([{"name": "status_matrix",
            "file": "schemas/pruvan/work_orders.yaml",
            "input": {"mode": "external", "action": "create", "status": ""},
            "row_line": line, "default": null}])
    );
    let row = yaml.lines().nth(line - 1).unwrap();
    assert!(
        row.contains("action: create") && row.contains("Order Created"),
        "{row}"
    );
    let (code, out, _) = mapwright(&[
        "explain",
        "-m",
        "mappings/oneserve-pruvan/create.yaml",
        "--param",
        "mode=external",
        "mappings/oneserve-pruvan/tests/seed-create.json",
    ]);
    assert_eq!(code, 0);
    let tables = out
        .split("\n\n")
        .find(|b| b.starts_with("tables:"))
        .unwrap();
    assert_eq!(
        tables,
        format!("tables:\n  status_matrix {{\"mode\":\"external\",\"action\":\"create\",\"status\":\"\"}}: row at schemas/pruvan/work_orders.yaml:{line}")
    );
}

/// Review of issue 13: the trace did not say when `omit_blank` left a field
/// out (it showed no value, as for a failure or a false `when:`). The seed's
/// update example has no change.fields: clientInstructions is blank.
#[test]
fn a_field_omit_blank_left_out_says_so() {
    let args = [
        "explain",
        "-m",
        "mappings/oneserve-pruvan/update.yaml",
        "--param",
        "mode=external",
        "mappings/oneserve-pruvan/tests/update-late.json",
        "--field",
        "/clientInstructions",
    ];
    let (code, out, err) = mapwright(&args);
    assert_eq!(code, 0, "{err}");
    let at = format!(
        "mappings/oneserve-pruvan/update.yaml:{}:23",
        line_of(
            "mappings/oneserve-pruvan/update.yaml",
            "  clientInstructions: {expr:"
        )
    );
    assert_eq!(
        out.split("\n\n").last().unwrap(),
        format!("/clientInstructions\n  from: {{expr: change.fields?.clientInstructions, omit_blank: true}}\n  at:   {at}\n  read: change.fields.clientInstructions = (absent)\n  omit_blank: left out (the value is blank)\n")
    );
    let (code, out, _) = mapwright(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0);
    let trace: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(trace["fields"][0]["omitted_blank"], true);
    assert_eq!(trace["fields"][0]["value"], Value::Null);
    // A field that was built does not carry the key at all.
    let (_, out, _) = mapwright(
        &[
            &args[..6],
            &["--field", "/workOrderNumber", "--format", "json"],
        ]
        .concat(),
    );
    let trace: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(trace["fields"][0]["value"], "TESTPOST");
    assert!(trace["fields"][0].get("omitted_blank").is_none(), "{out}");
}

/// The 1-based line of `file` (from the repository's root) that starts with `start`.
fn line_of(file: &str, start: &str) -> usize {
    std::fs::read_to_string(root().join(file))
        .unwrap()
        .lines()
        .position(|l| l.starts_with(start))
        .unwrap()
        + 1
}

/// Review of issue 13: a rejection with no path (a rule about the whole
/// record, with no `field:`) was printed "rejected: no-x at : ...".
#[test]
fn a_rejection_with_no_path_has_no_at() {
    let dir = common::demo_project("explain", "no-path");
    let mapping = std::fs::read_to_string(dir.join("m.yaml")).unwrap();
    std::fs::write(
        dir.join("m.yaml"),
        format!("{mapping}rules:\n  - {{id: no-x, assert: = id != \"x\", message: the id is x}}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("x.json"), r#"{"id": "x", "name": "n"}"#).unwrap();
    let (code, out, err) =
        common::run(common::mapwright(&dir).args(["explain", "-m", "m.yaml", "x.json"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("rows: rejected\nrejected: no-x: the id is x\n"),
        "{out}"
    );
}

/// Review of issue 13: a JSON array exited 1 (a rejected record) where the
/// docs say 3 (the record cannot be read). Review of issue 15: `--line N`
/// reads every input `convert` reads, and names the record as a rejects
/// file does: a JSON array's Nth record, the CSV unit holding line N.
#[test]
fn a_list_is_no_record_and_line_names_a_record_of_any_input() {
    let dir = common::fresh("explain", "not-a-record");
    let list = dir.join("list.json");
    std::fs::write(&list, format!("[{}]", example())).unwrap();
    let (code, out, err) = explain(list.to_str().unwrap(), &[]);
    assert_eq!((code, out.as_str()), (3, ""));
    assert_eq!(
        err,
        format!("error: {}: explain traces one record (a JSON object), found a list: give one record, or name one with --line N\n", list.display())
    );
    let (code, out, err) = explain(list.to_str().unwrap(), &["--record", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("oneserve-order-to-spectrum: accepted"),
        "{out}"
    );
    let csv = "mappings/oneserve-spectrum/examples/order-lines.csv";
    let (code, out, err) = explain(csv, &["--line", "1"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!("error: {csv}: --line 1: no row of the CSV input is on that line (line 1 is its header)\n")
    );
    // Line 188 is the second row of the unit a run rejects under team-assigned.
    let (code, out, err) = explain(csv, &["--line", "188"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("team-assigned"), "{out}");
    // A line of an NDJSON file that is not JSON names its column alone.
    let broken = dir.join("broken.ndjson");
    std::fs::write(&broken, format!("{}\n{{oops\n", example())).unwrap();
    let (code, _, err) = explain(broken.to_str().unwrap(), &["--line", "2"]);
    assert_eq!(code, 3);
    assert_eq!(
        err,
        format!("error: {}: line 2 is not a JSON record (column 2: not valid JSON: key must be a string): an NDJSON input holds one JSON record a line\n", broken.display())
    );
}

/// Review of issue 13: the human trace of a layered mapping did not say
/// which layer each field comes from (only the JSON did).
#[test]
fn a_layered_mapping_s_trace_names_its_layers_and_each_field_s_layer() {
    const OVERLAY: &str = "mappings/oneserve-spectrum/customers/example/order.yaml";
    let args = [
        "explain",
        "-m",
        OVERLAY,
        "--param",
        "company_code=KM2",
        EXAMPLE,
    ];
    let block = |out: &str, path: &str| -> String {
        out.split("\n\n")
            .find(|b| b.starts_with(&format!("{path}\n")))
            .unwrap_or_else(|| panic!("{path} in {out}"))
            .to_string()
    };
    let (code, out, err) = mapwright(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().nth(1).unwrap(),
        format!("layers: {MAPPING} -> {OVERLAY}")
    );
    assert_eq!(
        block(&out, "/Batch_Code"),
        format!(
            "/Batch_Code\n  from: CUSTX\n  at:   {OVERLAY}:{}:15\n  layer: {OVERLAY}\n  value: \"CUSTX\"",
            line_of(OVERLAY, "  Batch_Code:")
        )
    );
    assert!(
        block(&out, "/Job_Number").contains(&format!("\n  layer: {MAPPING}\n")),
        "{out}"
    );
    let (_, out, _) = mapwright(&[&args[..], &["--format", "json"]].concat());
    let trace: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(trace["layers"], serde_json::json!([MAPPING, OVERLAY]));
}

/// A rule over a literal list with a templated `field:` is traced at each
/// item's own place in the record, as its rejection is (review of issue
/// 13: the trace said `/6`, an index into the list of names).
#[test]
fn a_rule_over_a_literal_list_is_traced_at_each_items_path() {
    let dir = common::folder("explain", "literal-list");
    let record = dir.join("change.json");
    std::fs::write(
        &record,
        r#"{"job": {"ref": "TESTPOST"}, "change": {"status": "Order Late", "fields": {"services": [{"serviceName": "A"}]}}}"#,
    )
    .unwrap();
    let args = [
        "explain",
        "-m",
        "mappings/oneserve-pruvan/update.yaml",
        record.to_str().unwrap(),
        "--param",
        "mode=external",
        "--param",
        "auto_admin=false",
        "--format",
        "json",
    ];
    let (code, out, err) = mapwright(&args);
    assert_eq!(code, 1, "{err}");
    let trace: Value = serde_json::from_str(&out).unwrap();
    let shared: Vec<(String, String)> = trace["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == "shared-field-auto-admin-off")
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(shared.len(), 10, "{out}");
    assert!(
        shared.iter().all(|(p, _)| p.starts_with("/change/fields/")),
        "{shared:?}"
    );
    let failed: Vec<&str> = shared
        .iter()
        .filter(|(_, r)| r == "fail")
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(failed, ["/change/fields/services"], "{shared:?}");
}
