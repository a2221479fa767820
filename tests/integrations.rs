//! End-to-end runs of the shipped integrations, as the issues' "Must show"
//! lists them: the binary on the files in mappings/, with independent
//! checks (Python's xml.etree for the XML).

mod common;
use common::root;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn run(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `count` generated order requests (the benchmark's generator), in `dir`.
fn orders(count: usize, dir: &Path) -> PathBuf {
    let mut bytes = Vec::new();
    mapwright_gen::write_ndjson(&mut bytes, count, mapwright_gen::DEFAULT_SEED).unwrap();
    let p = dir.join("orders.ndjson");
    std::fs::write(&p, bytes).unwrap();
    p
}

fn ndjson(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const TOKEN: &str = "3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7";

/// Orders to Synergetic InputXML (one <Batch> document), refused ones to `rejects`.
fn synergetic_xml(
    input: &Path,
    xml: &Path,
    rejects: &Path,
    more: &[&str],
) -> (i32, String, String) {
    let token = format!("vendor_token={TOKEN}");
    let mut args = vec![
        "convert",
        "-m",
        "mappings/oneserve-synergetic/order.yaml",
        input.to_str().unwrap(),
        "--param",
        &token,
        "--output-format",
        "xml",
        "-o",
        xml.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    run(&args, &root())
}

/// Issue 4: 1,000 requests to Synergetic XML that Python's xml.etree reads
/// back with the right total, and the vendor token in no rejects or report.
#[test]
fn synergetic_xml_totals_read_back_by_an_independent_parser() {
    let dir = scratch("syn");
    let input = orders(1000, &dir);
    let (xml, rejects, report) = (
        dir.join("orders.xml"),
        dir.join("rejects.ndjson"),
        dir.join("report.json"),
    );
    let (code, _, err) = synergetic_xml(
        &input,
        &xml,
        &rejects,
        &["--report", report.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{err}");
    let rejected: std::collections::HashSet<String> = ndjson(&rejects)
        .iter()
        .map(|r| {
            r["source"][0]["order_request_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: f64 = ndjson(&input)
        .iter()
        .filter(|r| !rejected.contains(r["order_request_id"].as_str().unwrap()))
        .flat_map(|r| r["activities"].as_array().unwrap().clone())
        .map(|a| {
            (a["unit_cost"].as_f64().unwrap() * a["quantity"].as_f64().unwrap() * 100.0).round()
                / 100.0
        })
        .sum();
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, xml.etree.ElementTree as ET\nr = ET.parse(sys.argv[1]).getroot()\nprint(len(r.findall('InputXML')), sum(float(d.get('Amount')) for d in r.iter('OrderDetail')))")
        .arg(&xml)
        .output()
        .expect("python3 reads the XML");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let out = String::from_utf8(py.stdout).unwrap();
    let mut parts = out.split_whitespace();
    let documents: usize = parts.next().unwrap().parse().unwrap();
    let total: f64 = parts.next().unwrap().parse().unwrap();
    assert_eq!(documents + rejected.len(), ndjson(&input).len());
    assert!(
        (total - expected).abs() < 0.005,
        "xml.etree total {total}, expected {expected}"
    );
    // The token is a secret: never in rejects, report or messages.
    for f in [&rejects, &report] {
        assert!(!std::fs::read_to_string(f).unwrap().contains(TOKEN));
    }
    assert!(!err.contains(TOKEN));
}

/// Issue 4: the seed's three error outputs come from the matching bad input.
#[test]
fn synergetic_validation_speaks_the_services_own_messages() {
    let dir = scratch("synmsg");
    let sample =
        std::fs::read_to_string(root().join("schemas/synergetic/tests/seed-sample.xml")).unwrap();
    for (bad, message) in [
        (
            sample.replace("Amount=\"80\"", "Amount=\"eighty\""),
            "Error - Order detail Amount not supplied or not numeric.",
        ),
        (
            sample.replace("Quantity=\"5\"", "Quantity=\"five\""),
            "Error - Order detail Quantity not supplied or not numeric.",
        ),
        (
            sample.replace("15/02/2010", "2010-02-15"),
            "Error - Incorrect OrderDate format.",
        ),
    ] {
        let p = dir.join("bad.xml");
        std::fs::write(&p, bad).unwrap();
        let (code, out, _) = run(
            &[
                "validate",
                "-s",
                "synergetic.create_purchase_order",
                p.to_str().unwrap(),
            ],
            &root(),
        );
        assert_eq!(code, 1);
        assert!(out.contains(message), "{out}");
    }
}

/// Issue 4: orders out, simulated Synergetic answers in, activity updates
/// that name the activities that went out.
#[test]
fn orders_round_trip_into_activity_updates() {
    let dir = scratch("round");
    let input = root().join("mappings/oneserve-spectrum/examples/orders.ndjson");
    let xml = dir.join("orders.xml");
    let (code, _, err) = synergetic_xml(&input, &xml, &dir.join("rej.ndjson"), &[]);
    assert_eq!(code, 1, "{err}");
    let rejected: std::collections::HashSet<String> = ndjson(&dir.join("rej.ndjson"))
        .iter()
        .map(|r| {
            r["source"][0]["order_request_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // The host answers: every tenth order fails, the rest get order numbers.
    let sent: Vec<Value> = ndjson(&input)
        .into_iter()
        .filter(|r| !rejected.contains(r["order_request_id"].as_str().unwrap()))
        .collect();
    let answers: String = sent
        .iter()
        .enumerate()
        .map(|(i, req)| {
            let response = if i % 10 == 9 {
                serde_json::json!({"OrderNumber": "", "Message": "Error - Order detail Amount not supplied or not numeric."})
            } else {
                serde_json::json!({"OrderNumber": (1000 + i).to_string(), "Message": "Order created successfully."})
            };
            serde_json::json!({"request": req, "response": response}).to_string() + "\n"
        })
        .collect();
    std::fs::write(dir.join("answers.ndjson"), answers).unwrap();
    let updates = dir.join("updates.ndjson");
    let (code, _, err) = run(
        &[
            "convert",
            "-m",
            "mappings/po-responses-oneserve/synergetic.yaml",
            dir.join("answers.ndjson").to_str().unwrap(),
            "--param",
            "raised_status_id=5",
            "--param",
            "rejected_status_id=6",
            "--output-format",
            "ndjson",
            "-o",
            updates.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(code, 0, "{err}");
    let updates = ndjson(&updates);
    assert_eq!(updates.len(), sent.len());
    for (i, (req, upd)) in sent.iter().zip(&updates).enumerate() {
        assert_eq!(upd["order_request_id"], req["order_request_id"]);
        let went: Vec<&Value> = req["activities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["id"])
            .collect();
        let back: Vec<&Value> = upd["activities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["activity_id"])
            .collect();
        assert_eq!(went, back);
        let status = if i % 10 == 9 { 6 } else { 5 };
        for a in upd["activities"].as_array().unwrap() {
            assert_eq!(a["status_id"], status);
            if status == 5 {
                assert_eq!(a["reference"], (1000 + i).to_string());
            }
        }
    }
}

/// Issue 5: `check` reports a gap in a copy of the matrix with a row
/// removed, and an overlap in one with a contradicting duplicate row.
#[test]
fn the_status_matrix_check_finds_gaps_and_overlaps() {
    let dir = scratch("matrix");
    for (file, code, expect) in [
        (
            "table-gap",
            "table-gap",
            "no row covers mode=internal, action=update, status=closed",
        ),
        (
            "table-overlap",
            "table-overlap",
            "rows at lines 55 and 57 both match",
        ),
    ] {
        let copy = dir.join(format!("{file}.yaml"));
        std::fs::copy(
            root().join(format!(
                "mappings/oneserve-pruvan/tests/broken/{file}.yaml.broken"
            )),
            &copy,
        )
        .unwrap();
        let (exit, out, _) = run(&["check", copy.to_str().unwrap()], &root());
        assert_eq!(exit, 2, "{out}");
        assert!(
            out.contains(&format!("error[{code}]")) && out.contains(expect),
            "{out}"
        );
    }
    // The shipped matrix itself is complete and consistent.
    let (exit, out, err) = run(&["check", "schemas/pruvan"], &root());
    assert_eq!(exit, 0, "{out}{err}");
}

/// The Pruvan update example stream (mappings/oneserve-pruvan/examples):
/// its stated counts and its expected output, line by line.
#[test]
fn pruvan_status_change_stream() {
    let dir = scratch("pruvan-stream");
    let rejects = dir.join("rejects.ndjson");
    let (code, out, err) = run(
        &[
            "convert",
            "-m",
            "mappings/oneserve-pruvan/update.yaml",
            "mappings/oneserve-pruvan/examples/status-changes.ndjson",
            "--params",
            "mappings/oneserve-pruvan/examples/status-params.yaml",
            "--output-format",
            "ndjson",
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(code, 1, "{err}");
    let expected = std::fs::read_to_string(
        root().join("mappings/oneserve-pruvan/examples/status-changes.expected.ndjson"),
    )
    .unwrap();
    assert_eq!(out, expected);
    assert_eq!(out.lines().count(), 6);
    let rules: Vec<String> = common::lines(&rejects)
        .iter()
        .map(|r| {
            r["errors"][0]["rule"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(rules, ["external-no-assigned-to", "change-status-given"]);
}

/// Issue 6: a stream of mixed primary events becomes the right actions, in
/// order, with skips and rejections counted and the counts adding up.
#[test]
fn o2o_primary_event_stream() {
    let dir = scratch("o2o");
    let report = dir.join("report.json");
    let (code, out, err) = run(
        &[
            "convert",
            "-m",
            "mappings/o2o/primary-to-secondary.yaml",
            "mappings/o2o/examples/primary-events.ndjson",
            "--params",
            "mappings/o2o/examples/primary-params.yaml",
            "--output-format",
            "ndjson",
            "--report",
            report.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(code, 1, "{err}");
    let expected = std::fs::read_to_string(
        root().join("mappings/o2o/examples/primary-events.expected.ndjson"),
    )
    .unwrap();
    let got: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got, want);
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let c = &r["counts"];
    assert_eq!(c["input_records"], 12);
    assert_eq!(
        c["accepted"].as_u64().unwrap()
            + c["rejected"].as_u64().unwrap()
            + c["skipped"].as_u64().unwrap(),
        12
    );
    assert_eq!(
        (
            c["accepted"].as_u64(),
            c["rejected"].as_u64(),
            c["skipped"].as_u64()
        ),
        (Some(7), Some(1), Some(4))
    );
    assert_eq!(r["rejections"][0]["errors"][0]["rule"], "sor-code-aligned");
    assert_eq!(r["skips"].as_array().unwrap().len(), 4);
}

/// Issue 5: the seed's examples come out of the Pruvan mappings from
/// matching Oneserve inputs, byte for byte as the seed writes them, and
/// validate clean (the create against the create minimum too).
#[test]
fn pruvan_seed_examples_come_out_of_the_mappings_and_validate() {
    let dir = scratch("pruvan");
    let seed = |file: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(root().join("schemas/pruvan/tests").join(file)).unwrap(),
        )
        .unwrap()
    };
    for (mapping, input, params, schema, example) in [
        (
            "create.yaml",
            "seed-create.json",
            vec!["mode=external", "due_date_lead_days=3"],
            "pruvan.work_orders_create",
            "create.json",
        ),
        (
            "update.yaml",
            "update-late.json",
            vec!["mode=external"],
            "pruvan.work_orders",
            "update.json",
        ),
    ] {
        let out = dir.join(example);
        let mut args = vec![
            "convert".to_string(),
            "-m".into(),
            format!("mappings/oneserve-pruvan/{mapping}"),
            format!("mappings/oneserve-pruvan/tests/{input}"),
        ];
        for p in &params {
            args.push("--param".into());
            args.push(p.to_string());
        }
        args.extend(["-o".into(), out.to_str().unwrap().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = run(&args, &root());
        assert_eq!(code, 0, "{mapping}: {err}");
        let got: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(got, seed(example), "{mapping}");
        let (code, _, err) = run(&["validate", "-s", schema, out.to_str().unwrap()], &root());
        assert_eq!(code, 0, "{schema}: {err}");
    }
}

/// A folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    common::folder("int", name)
}

/// One change of the Pruvan update mapping (mode external, `params` more),
/// `fields` its change.fields: (exit code, output, rejects).
fn pruvan_update(name: &str, fields: &str, params: &[&str]) -> (i32, String, String) {
    let dir = common::fresh("int", name);
    let input = dir.join("change.json");
    std::fs::write(
        &input,
        format!(r#"{{"job": {{"ref": "TESTPOST"}}, "change": {{"status": "Order Late", "fields": {fields}}}}}"#),
    )
    .unwrap();
    let (out, rejects) = (dir.join("out.ndjson"), dir.join("rejects.ndjson"));
    let mut args = vec![
        "convert",
        "-q",
        "-m",
        "mappings/oneserve-pruvan/update.yaml",
        "--param",
        "mode=external",
        "--output-format",
        "ndjson",
        "-o",
        out.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ];
    args.extend(params.iter().flat_map(|p| ["--param", p]));
    args.push(input.to_str().unwrap());
    let (code, _, err) = run(&args, &root());
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|_| format!("(none) {err}"));
    (code, read(&out), read(&rejects))
}

/// Review of issue 13. The seed lists Tasks among the shared fields ("User
/// Fields shared ... - Tasks") and writes tasks in one form only:
/// `"services": [{"serviceName": "Task-01 Mow Grass"}]`. So an update sends
/// tasks only as services; tasks as text are refused. An empty services
/// list sets nothing: with Auto-Admin off it is not sent and not refused,
/// since `blank()` (the rule) and `omit_blank` (the field) agree that an
/// empty list is blank. A services list that sets something is refused with
/// Auto-Admin off ("Remote Update possible on shared fields if Auto-Admin=ON").
#[test]
fn pruvan_update_sends_tasks_only_as_services_and_an_empty_list_is_blank() {
    let (code, out, _) = pruvan_update(
        "pruvan-empty-services",
        r#"{"services": []}"#,
        &["auto_admin=false"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"workOrderNumber\":\"TESTPOST\",\"clientStatus\":\"Order Late\"}\n"
    );

    let (code, out, _) = pruvan_update(
        "pruvan-services",
        r#"{"services": [{"serviceName": "Task-01 Mow Grass"}]}"#,
        &[],
    );
    assert_eq!(code, 0);
    assert_eq!(out, "{\"workOrderNumber\":\"TESTPOST\",\"clientStatus\":\"Order Late\",\"services\":[{\"serviceName\":\"Task-01 Mow Grass\"}]}\n");

    let rules = |rejects: &str| -> Vec<(String, String)> {
        let line: Value = serde_json::from_str(rejects.lines().next().unwrap()).unwrap();
        line["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["rule"].as_str().unwrap().to_string(),
                    e["path"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (code, out, rejects) = pruvan_update(
        "pruvan-services-off",
        r#"{"services": [{"serviceName": "Task-01 Mow Grass"}]}"#,
        &["auto_admin=false"],
    );
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        rules(&rejects),
        [(
            "shared-field-auto-admin-off".to_string(),
            "/change/fields/services".to_string()
        )]
    );

    let (code, out, rejects) =
        pruvan_update("pruvan-tasks", r#"{"tasks": "Task-01 Mow Grass"}"#, &[]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        rules(&rejects),
        [(
            "tasks-as-services".to_string(),
            "/change/fields/tasks".to_string()
        )]
    );
}
