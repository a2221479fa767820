//! The `mapwright` binary on real files: exit codes, messages, reports.

mod common;
use common::root;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn mapwright() -> Command {
    let mut c = Command::cargo_bin("mapwright").unwrap();
    c.current_dir(root());
    c
}

fn temp(name: &str, content: &[u8]) -> PathBuf {
    let p = scratch("cli").join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn stdout(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn seed_samples_validate_clean() {
    for (schema, file) in [
        (
            "spectrum.purchase_order_batch",
            "schemas/spectrum/tests/seed-sample.json",
        ),
        (
            "synergetic.create_purchase_order",
            "schemas/synergetic/tests/seed-sample.xml",
        ),
        (
            "synergetic.purchase_order_result",
            "schemas/synergetic/tests/result-success.xml",
        ),
        ("pruvan.work_orders", "schemas/pruvan/tests/create.json"),
        ("pruvan.work_orders", "schemas/pruvan/tests/update.json"),
        (
            "pruvan.response",
            "schemas/pruvan/tests/response-create.json",
        ),
        (
            "pruvan.response",
            "schemas/pruvan/tests/response-update.json",
        ),
    ] {
        let (code, out, err) = stdout(mapwright().args(["validate", "-s", schema, file]));
        assert_eq!(code, 0, "{schema} {file}: {out}{err}");
        assert!(err.contains("1 valid, 0 invalid"), "{err}");
    }
}

#[test]
fn every_error_of_a_payload_is_reported_with_path_and_rule() {
    let sample =
        std::fs::read_to_string(root().join("schemas/spectrum/tests/seed-sample.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&sample).unwrap();
    v["purchaseOrders"][0]["PO_Type"] = "L".into();
    v["purchaseOrders"][0]["poDetails"][0]["Detail_Entry_Type"] = "N".into();
    v["purchaseOrders"][0]["poDetails"][0]["Item_ID"] = "!PLUMBING-REPAIR-X".into();
    v["purchaseOrders"][0]["Company_Code"] = "KM22".into();
    let p = temp("bad.json", v.to_string().as_bytes());
    let (code, out, _) = stdout(
        mapwright()
            .args(["validate", "-s", "spectrum.purchase_order_batch"])
            .arg(&p),
    );
    assert_eq!(code, 1);
    assert!(out.contains("/purchaseOrders/0/poDetails/0/Item_ID: '!PLUMBING-REPAIR-X' is 18 characters; Spectrum allows at most 15"), "{out}");
    assert!(out.contains("error[max-length]: /purchaseOrders/0/Company_Code: 'KM22' is 4 characters; Spectrum allows at most 3"), "{out}");
    let (code, json, _) = stdout(
        mapwright()
            .args([
                "validate",
                "-s",
                "spectrum.purchase_order_batch",
                "--format",
                "json",
            ])
            .arg(&p),
    );
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rules: Vec<&str> = report["results"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"non-stock-item-length") && rules.contains(&"max-length"),
        "{rules:?}"
    );
    assert_eq!(report["invalid"], 1);
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let deep = "[".repeat(100_000);
    let cases: [(&str, &[u8], &str); 5] = [
        ("malformed.json", b"{\"purchaseOrders\": [", "line 1"),
        ("empty.json", b"", "empty"),
        (
            "latin1.json",
            b"{\"purchaseOrders\": [{\"Company_Code\": \"K\xe9\"}]}",
            "not valid JSON",
        ),
        (
            "broken.xml",
            b"<InputXML><VendorTokenGUID>x</InputXML>",
            "line 1",
        ),
        ("deep.json", deep.as_bytes(), "not valid JSON"),
    ];
    for (name, content, says) in cases {
        let p = temp(name, content);
        let schema = if name.ends_with(".xml") {
            "synergetic.create_purchase_order"
        } else {
            "spectrum.purchase_order_batch"
        };
        let (code, _, err) = stdout(mapwright().args(["validate", "-s", schema]).arg(&p));
        assert_eq!(code, 3, "{name}: {err}");
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = stdout(mapwright().args([
        "validate",
        "-s",
        "spectrum.purchase_order_batch",
        "no-such-file.json",
    ]));
    assert_eq!(code, 3, "{err}");
}

#[test]
fn a_wrong_schema_file_is_reported_like_a_compiler() {
    let p = temp(
        "broken.yaml",
        b"schema: x.y\nrecord: r\ntypes:\n  r:\n    fields:\n      A: {type: txt}\n      B: {type: text, maxlen: 3}\n    rules:\n      - id: bad\n        assert: A ==\n",
    );
    let (code, _, err) = stdout(
        mapwright()
            .args(["validate", "-s"])
            .arg(&p)
            .arg("schemas/spectrum/tests/seed-sample.json"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("broken.yaml:6:") && err.contains("error[unknown-type]"),
        "{err}"
    );
    assert!(
        err.contains("broken.yaml:7:") && err.contains("error[unknown-key]: unknown key 'maxlen'"),
        "{err}"
    );
    assert!(
        err.contains("broken.yaml:10:") && err.contains("error[expr-syntax]"),
        "{err}"
    );
}

#[test]
fn secrets_never_reach_messages() {
    let xml =
        std::fs::read_to_string(root().join("schemas/synergetic/tests/seed-sample.xml")).unwrap();
    let bad = xml.replace(
        "3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7",
        "not-a-guid-SECRET-TOKEN-VALUE-123456789",
    );
    let p = temp("secret.xml", bad.as_bytes());
    let (code, out, err) = stdout(
        mapwright()
            .args([
                "validate",
                "-s",
                "synergetic.create_purchase_order",
                "--format",
                "json",
            ])
            .arg(&p),
    );
    assert_eq!(code, 1);
    assert!(out.contains("invalid-guid"), "{out}");
    assert!(
        !out.contains("SECRET-TOKEN") && !err.contains("SECRET-TOKEN"),
        "{out}{err}"
    );
}

/// A scratch project in its own folder: one schema `demo.<name>` (its
/// record type's fields given as YAML lines) and a mapping file.
fn demo_project(name: &str, fields: &str, mapping_file: &str, mapping: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    let schema = format!("schema: demo.{name}\nrecord: r\ntypes:\n  r:\n    fields:\n{fields}");
    std::fs::write(dir.join(format!("schemas/demo/{name}.yaml")), schema).unwrap();
    std::fs::write(dir.join(mapping_file), mapping).unwrap();
    dir
}

/// A scratch project: a schema and a mapping whose expressions can misbehave.
fn sandbox_project() -> PathBuf {
    demo_project(
        "out",
        "      id: {type: integer, required: true}\n      value: {type: text}\n",
        "mapping.yaml",
        r#"mapping: misbehaving
target: demo.out
record:
  id: = id
  value:
    script: |
      if mode == "loop" { let n = 0; loop { n += 1; } }
      else if mode == "grow" { let s = "xx"; loop { s += s; } }
      else if mode == "list" { let a = []; loop { a.push(1); } }
      else { "fine" }
"#,
    )
}

#[test]
fn runaway_expressions_reject_their_record_and_the_batch_goes_on() {
    let dir = sandbox_project();
    let input = "{\"id\": 1, \"mode\": \"ok\"}\n{\"id\": 2, \"mode\": \"loop\"}\n{\"id\": 3, \"mode\": \"grow\"}\n{\"id\": 4, \"mode\": \"ok\"}\n{\"id\": 5, \"mode\": \"list\"}\n";
    std::fs::write(dir.join("in.ndjson"), input).unwrap();
    let started = std::time::Instant::now();
    let (code, out, err) = stdout(mapwright().current_dir(&dir).args([
        "convert",
        "-m",
        "mapping.yaml",
        "in.ndjson",
        "--output-format",
        "ndjson",
        "--rejects",
        "rejects.ndjson",
    ]));
    // Three runaway records in a debug build, run on two threads; each stops
    // at the sandbox limit within a second or so (release: a tenth of that).
    assert!(
        started.elapsed().as_secs_f64() < 6.0,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "{err}");
    let ids: Vec<i64> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, vec![1, 4]);
    let rejects = std::fs::read_to_string(dir.join("rejects.ndjson")).unwrap();
    let lines: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["input"][0], 2);
    assert_eq!(lines[0]["file"], "in.ndjson");
    let loop_msg = lines[0]["errors"][0]["message"].as_str().unwrap();
    assert!(
        loop_msg.starts_with("value = ")
            && loop_msg
                .contains("stopped after 100000 operations (the budget limit 'script operations')"),
        "{loop_msg}"
    );
    for line in &lines {
        assert_eq!(line["errors"][0]["rule"], "budget", "{line}");
    }
    let grow_msg = lines[1]["errors"][0]["message"].as_str().unwrap();
    assert!(
        grow_msg.starts_with("value = ")
            && grow_msg.contains("the budget limit 'script data size'"),
        "{grow_msg}"
    );
    assert_eq!(lines[1]["source"][0]["mode"], "grow");
    let list_msg = lines[2]["errors"][0]["message"].as_str().unwrap();
    assert!(list_msg.contains("arrays 10000 items"), "{list_msg}");
    assert!(
        err.contains("5 input records, 5 units: 2 accepted, 3 rejected, 0 skipped"),
        "{err}"
    );
}

/// The issue's own run: generated order requests through the Spectrum
/// mapping; exit 1, one PO per accepted request, one rejects line per
/// refused one, counts that add up, and every PO valid against Spectrum.
#[test]
fn spectrum_conversion_of_generated_orders() {
    let mut generated = Vec::new();
    mapwright_gen::write_ndjson(&mut generated, 2000, mapwright_gen::DEFAULT_SEED).unwrap();
    let input = temp("orders-2000.ndjson", &generated);
    let requests = std::fs::read_to_string(&input).unwrap().lines().count();
    let dir = input.parent().unwrap().to_path_buf();
    let (out, rejects, report) = (
        dir.join("spectrum-out.ndjson"),
        dir.join("spectrum-rejects.ndjson"),
        dir.join("spectrum-report.json"),
    );
    let (code, _, err) = stdout(
        mapwright()
            .args([
                "convert",
                "-m",
                "mappings/oneserve-spectrum/order.yaml",
                "--param",
                "company_code=KM2",
                "--output-format",
                "ndjson",
            ])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .arg("--rejects")
            .arg(&rejects)
            .arg("--report")
            .arg(&report),
    );
    assert_eq!(code, 1, "{err}");
    // Not a terminal: a summary, and no progress line.
    assert!(!err.contains('\r') && err.contains("accepted"), "{err}");
    let accepted = std::fs::read_to_string(&out).unwrap().lines().count();
    let rejected = std::fs::read_to_string(&rejects).unwrap().lines().count();
    assert!(accepted > 0 && rejected > 0);
    assert_eq!(accepted + rejected, requests);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["counts"]["input_records"], requests);
    assert_eq!(r["counts"]["accepted"], accepted);
    assert_eq!(r["counts"]["rejected"], rejected);
    assert_eq!(r["counts"]["skipped"], 0);
    // Each rejection names one of Oneserve's create-order rules and carries the request verbatim.
    for rej in r["rejections"].as_array().unwrap() {
        let rule = rej["errors"][0]["rule"].as_str().unwrap();
        assert!(
            [
                "team-assigned",
                "team-subcontract",
                "single-team",
                "not-already-ordered",
                "unit-cost-one"
            ]
            .contains(&rule),
            "{rule}"
        );
        assert!(rej["source"][0]["order_request_id"].is_string());
    }
    let (code, _, err) = stdout(
        mapwright()
            .args(["validate", "-s", "spectrum.purchase_order_batch"])
            .arg(&out),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("{accepted} valid, 0 invalid")),
        "{err}"
    );
}

#[test]
fn json_output_is_the_spectrum_envelope_and_validates() {
    let dir = scratch("env");
    let out = dir.join("batch.json");
    let (code, _, err) = stdout(
        mapwright()
            .args([
                "convert",
                "-m",
                "mappings/oneserve-spectrum/order.yaml",
                "mappings/oneserve-spectrum/tests/design-example.json",
                "--param",
                "company_code=KM2",
                "-o",
            ])
            .arg(&out),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["purchaseOrders"][0]["Vendor_Code"], "ACME01");
    let (code, _, err) = stdout(
        mapwright()
            .args(["validate", "-s", "spectrum.purchase_order_batch"])
            .arg(&out),
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn wrong_params_write_nothing_and_exit_2() {
    let dir = scratch("params");
    let out = dir.join("never.ndjson");
    let (code, _, err) = stdout(
        mapwright()
            .args([
                "convert",
                "-m",
                "mappings/oneserve-spectrum/order.yaml",
                "mappings/oneserve-spectrum/tests/design-example.json",
                "--param",
                "companycode=KM2",
                "-o",
            ])
            .arg(&out),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown param 'companycode'")
            && err.contains("param 'company_code' is required"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_malformed_ndjson_line_is_a_rejection_with_its_line_number() {
    let example = std::fs::read_to_string(
        root().join("mappings/oneserve-spectrum/tests/design-example.json"),
    )
    .unwrap();
    let one_line: serde_json::Value = serde_json::from_str(&example).unwrap();
    let input = format!("{one_line}\n{{\"order_request_id\": \"ORQ-BROKEN\", \n{one_line}\n");
    let p = temp("mixed.ndjson", input.as_bytes());
    let rejects = p.with_file_name("mixed-rejects.ndjson");
    let (code, out, err) = stdout(
        mapwright()
            .args([
                "convert",
                "-m",
                "mappings/oneserve-spectrum/order.yaml",
                "--param",
                "company_code=KM2",
                "--output-format",
                "ndjson",
                "--rejects",
            ])
            .arg(&rejects)
            .arg(&p),
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.lines().count(), 2);
    let rej: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&rejects).unwrap().trim()).unwrap();
    assert_eq!(rej["input"], serde_json::json!([2]));
    // docs/design.md's rejects line: {"input": [line or index, ...], "source": ..., "errors": [{"rule", "path", "message"}]}.
    let keys: Vec<&str> = rej
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["file", "input", "source", "errors"]);
    let error_keys: Vec<&str> = rej["errors"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(error_keys, ["rule", "path", "message"]);
    assert_eq!(rej["errors"][0]["rule"], "malformed");
    // The line as read, to its last byte (only the line end is dropped).
    assert_eq!(rej["source"][0], "{\"order_request_id\": \"ORQ-BROKEN\", ");
}

fn by_comment(ndjson: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    ndjson
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            // Detail lines follow the rows' order in the file; compare them as a set.
            if let Some(d) = v["poDetails"].as_array_mut() {
                d.sort_by_key(|x| x.to_string());
            }
            (v["Comment"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// Issue 7: a CSV of activity lines, unsorted, grouped into the same orders
/// as the equivalent NDJSON requests produce.
#[test]
fn unsorted_csv_lines_group_into_the_same_orders_as_ndjson() {
    let run = |input: &str| {
        let (code, out, err) = stdout(mapwright().args([
            "convert",
            "-m",
            "mappings/oneserve-spectrum/order.yaml",
            input,
            "--param",
            "company_code=KM2",
            "--output-format",
            "ndjson",
        ]));
        assert_eq!(code, 1, "{err}");
        (out, err)
    };
    let (from_csv, csv_err) = run("mappings/oneserve-spectrum/examples/order-lines.csv");
    let (from_ndjson, nd_err) = run("mappings/oneserve-spectrum/examples/orders.ndjson");
    let (a, b) = (by_comment(&from_csv), by_comment(&from_ndjson));
    assert!(a.len() > 150);
    assert_eq!(a, b);
    // Rows are the input records; each request is one unit either way.
    let rows =
        std::fs::read_to_string(root().join("mappings/oneserve-spectrum/examples/order-lines.csv"))
            .unwrap()
            .lines()
            .count()
            - 1;
    assert!(
        csv_err.contains(&format!(
            "{rows} input records, 200 units: {} accepted",
            a.len()
        )),
        "{csv_err}"
    );
    assert!(
        nd_err.contains(&format!(
            "200 input records, 200 units: {} accepted",
            b.len()
        )),
        "{nd_err}"
    );
}

#[test]
fn a_sorted_csv_whose_key_comes_back_is_rejected_not_split() {
    let dir = demo_project(
        "order",
        "      job: {type: text, required: true}\n      lines: {type: integer}\n",
        "m.yaml",
        "mapping: grouped\ntarget: demo.order\ninput:\n  csv:\n    group_by: [= job]\n    sorted: true\n    unit: {job: = job, count: = rows.len()}\nrecord:\n  job: = job\n  lines: = count\n",
    );
    std::fs::write(dir.join("lines.csv"), "job,item\nJ1,a\nJ1,b\nJ2,c\nJ1,d\n").unwrap();
    let (code, out, err) = stdout(mapwright().current_dir(&dir).args([
        "convert",
        "-m",
        "m.yaml",
        "lines.csv",
        "--output-format",
        "ndjson",
        "--rejects",
        "rej.ndjson",
    ]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "{\"job\":\"J1\",\"lines\":2}\n{\"job\":\"J2\",\"lines\":1}\n"
    );
    let rej: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(dir.join("rej.ndjson"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    assert_eq!(rej["errors"][0]["rule"], "group-split");
    assert_eq!(rej["input"], serde_json::json!([5]));
    assert_eq!(rej["file"], "lines.csv");
    assert_eq!(rej["source"][0]["item"], "d");
    assert!(
        err.contains("4 input records, 3 units: 2 accepted, 1 rejected"),
        "{err}"
    );
    // The same rows with another delimiter, given on the command line.
    std::fs::write(dir.join("lines.csv"), "job;item\nJ1;a\nJ1;b\nJ2;c\n").unwrap();
    let (code, out, err) = stdout(mapwright().current_dir(&dir).args([
        "convert",
        "-m",
        "m.yaml",
        "lines.csv",
        "--output-format",
        "ndjson",
        "--delimiter",
        ";",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"job\":\"J1\",\"lines\":2}\n{\"job\":\"J2\",\"lines\":1}\n"
    );
}

/// `let:` values are computed once per unit and seen by skips, rules,
/// fields and messages; a message may test an absent field with `if`.
#[test]
fn let_values_are_shared_by_rules_fields_and_messages() {
    let dir = demo_project(
        "total",
        "      id: {type: text, required: true}\n      total: {type: money}\n      band: {type: text}\n",
        "m.yaml",
        r#"mapping: totals
target: demo.total
let:
  total: = round(price * qty, 2)
  band: = if total > 100.0 { "high" } else { "low" }
skip:
  - when: = total == 0
    reason: "order {{ id }} is worth nothing"
rules:
  - id: under-limit
    assert: total < 1000
    message: "order {{ id }} is worth {{ total }}{% if note %} ({{ note }}){% endif %}; the limit is 1000"
record:
  id: = id
  total: = total
  band: = band
"#,
    );
    std::fs::write(
        dir.join("in.ndjson"),
        "{\"id\":\"a\",\"price\":1.005,\"qty\":10}\n{\"id\":\"b\",\"price\":50,\"qty\":3}\n{\"id\":\"c\",\"price\":0,\"qty\":3}\n{\"id\":\"d\",\"price\":500,\"qty\":3}\n",
    )
    .unwrap();
    let (code, out, err) = stdout(mapwright().current_dir(&dir).args([
        "convert",
        "-m",
        "m.yaml",
        "in.ndjson",
        "--output-format",
        "ndjson",
        "--report",
        "r.json",
    ]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "{\"id\":\"a\",\"total\":10.05,\"band\":\"low\"}\n{\"id\":\"b\",\"total\":150,\"band\":\"high\"}\n");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(r["skips"][0]["reason"], "order c is worth nothing");
    assert_eq!(
        r["rejections"][0]["errors"][0]["message"],
        "order d is worth 1500; the limit is 1000"
    );
}

/// An interrupted run leaves no half file where the output should be.
#[test]
fn an_interrupted_run_leaves_no_output_file() {
    let dir = sandbox_project();
    let lines: String = (0..40)
        .map(|i| format!("{{\"id\": {i}, \"mode\": \"loop\"}}\n"))
        .collect();
    std::fs::write(dir.join("slow.ndjson"), lines).unwrap();
    let out = dir.join("interrupted.ndjson");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(&dir)
        .args([
            "convert",
            "-m",
            "mapping.yaml",
            "slow.ndjson",
            "--output-format",
            "ndjson",
            "--threads",
            "1",
            "-o",
        ])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run is writing (its temporary file exists).
    let writing = || {
        std::fs::read_dir(&dir).unwrap().flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("interrupted.ndjson")
        })
    };
    let started = std::time::Instant::now();
    while !writing() && started.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(writing(), "the run never started writing");
    // A termination signal, as a scheduler or Ctrl-C sends: the run stops
    // and removes its temporary file too.
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        !out.exists(),
        "a half-written output was left at {}",
        out.display()
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("interrupted.ndjson")
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// A JSON document's records stream one at a time (a top-level array here)
/// and convert exactly as the same records given as NDJSON; an empty input
/// is no records.
#[test]
fn a_json_array_converts_like_ndjson_and_empty_input_is_no_records() {
    let ndjson =
        std::fs::read_to_string(root().join("mappings/oneserve-spectrum/examples/orders.ndjson"))
            .unwrap();
    let records: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let array = temp(
        "orders-array.json",
        serde_json::to_string_pretty(&records).unwrap().as_bytes(),
    );
    let convert = |input: &Path| {
        stdout(
            mapwright()
                .args([
                    "convert",
                    "-m",
                    "mappings/oneserve-spectrum/order.yaml",
                    "--param",
                    "company_code=KM2",
                    "--output-format",
                    "ndjson",
                ])
                .arg(input),
        )
    };
    let (code, from_array, _) = convert(&array);
    assert_eq!(code, 1);
    let (_, from_ndjson, _) =
        convert(&root().join("mappings/oneserve-spectrum/examples/orders.ndjson"));
    assert_eq!(from_array, from_ndjson);
    let (code, out, err) = convert(&temp("empty.ndjson", b""));
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("0 input records"), "{err}");
}

/// Spectrum numbers detail lines 001-999: a P.O. of 1,000 lines is refused,
/// one of 999 is fine.
#[test]
fn spectrum_takes_at_most_999_detail_lines() {
    let sample =
        std::fs::read_to_string(root().join("schemas/spectrum/tests/seed-sample.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&sample).unwrap();
    let message_line = v["purchaseOrders"][0]["poDetails"][1].clone();
    for (lines, code) in [(999, 0), (1000, 1)] {
        v["purchaseOrders"][0]["poDetails"] =
            serde_json::Value::Array(vec![message_line.clone(); lines]);
        let p = temp(&format!("lines-{lines}.json"), v.to_string().as_bytes());
        let (got, out, err) = stdout(
            mapwright()
                .args(["validate", "-s", "spectrum.purchase_order_batch"])
                .arg(&p),
        );
        assert_eq!(got, code, "{lines} lines: {out}{err}");
        if code == 1 {
            assert!(out.contains("error[too-many-items]: /purchaseOrders/0/poDetails: poDetails has 1000 items; Spectrum allows at most 999"), "{out}");
        }
    }
}

/// `doc` writes the mapping as a field-by-field spec; `explain` says where a
/// field comes from and, for a record, the value it gets.
#[test]
fn doc_and_explain_describe_the_mapping() {
    let (code, out, err) =
        stdout(mapwright().args(["doc", "-m", "mappings/oneserve-spectrum/order.yaml"]));
    assert_eq!(code, 0, "{err}");
    let job = out
        .lines()
        .find(|l| l.starts_with("| `/Job_Number` |"))
        .unwrap_or_else(|| panic!("no Job_Number row: {out}"));
    // The vendor's words (schemas/spectrum), the value in plain words, what
    // the target requires, and the line the spec is written on.
    assert!(
        job.contains("| Job #. Required unless valid Warehouse\\_Code"),
        "{job}"
    );
    assert!(
        job.ends_with(
            "| copied from the source field `job.ref` |  | text, max 10 | order.yaml:30 |"
        ),
        "{job}"
    );
    assert!(
        out.contains("- `unit-cost-one` (error, each item of `activities`): `unit_cost == 1.0`. Message: \"activity {{ id }} costs {{ unit\\_cost }} per unit;"),
        "{out}"
    );
    assert!(
        out.contains("| always empty text |  | text, max 10 | order.yaml:24 |"),
        "{out}"
    );
    let (code, out, err) = stdout(mapwright().args([
        "explain",
        "-m",
        "mappings/oneserve-spectrum/order.yaml",
        "--field",
        "/poDetails/*/Item_Price",
        "mappings/oneserve-spectrum/tests/design-example.json",
        "--param",
        "company_code=KM2",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("from: {expr: unit_cost * quantity, format: 0.00}")
            && out.contains("value: 60.0"),
        "{out}"
    );
}

#[test]
fn schema_export_gives_a_json_schema_of_the_payload() {
    let (code, out, err) =
        stdout(mapwright().args(["schema", "export", "spectrum.purchase_order_batch"]));
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(
        s["properties"]["purchaseOrders"]["items"]["$ref"],
        "#/$defs/purchase_order"
    );
    let header = &s["$defs"]["purchase_order"];
    assert!(header["required"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("Company_Code")));
    assert_eq!(header["properties"]["Company_Code"]["maxLength"], 3);
    assert_eq!(
        header["properties"]["Status_Flag"]["enum"],
        serde_json::json!(["P", "O", "C", ""])
    );
    assert_eq!(
        s["$defs"]["po_detail"]["properties"]["Item_Price"]["maximum"],
        9999999.9999
    );
}

/// A folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    common::folder("cli", name)
}

/// A mistyped command or flag keeps clap's did-you-mean, and a bad value its
/// list of possible values, while the value typed is never echoed.
#[test]
fn command_line_errors_keep_did_you_mean_and_possible_values_but_not_the_value() {
    let m = "mappings/oneserve-spectrum/order.yaml";
    let cases: [(&[&str], &str); 5] = [
        (&["conver", "-m", m], "help: did you mean 'convert'?"),
        (&["schema", "lst"], "help: did you mean 'list'?"),
        (
            &["convert", "-m", m, "--quiett"],
            "help: did you mean '--quiet'?",
        ),
        (
            &["validate", "--schema", "x", "--format", "jsn-S3CRET"],
            "[possible values: human, json]",
        ),
        (
            &["schema", "export", "--file-format", "mappin-S3CRET"],
            "[possible values: mapping, schema, test, rules]",
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = stdout(mapwright().args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err}");
        assert!(
            !err.contains("S3CRET"),
            "{args:?}: the value is echoed: {err}"
        );
    }
}

/// Help texts say the same thing one way: `--report <FILE|->` in both
/// commands, no `[default: 0]` after "(default, or 0: one per core)",
/// MAPWRIGHT_SCHEMAS in `--schemas`, `--params FILE` for explain too, and
/// `schema export` with no argument shows both its forms.
#[test]
fn help_texts_are_complete_and_consistent() {
    let help = |args: &[&str]| stdout(mapwright().args(args)).1;
    let convert = help(&["convert", "--help"]);
    assert!(convert.contains("--report <FILE|->"), "{convert}");
    assert!(help(&["validate", "--help"]).contains("--report <FILE|->"));
    assert!(
        convert.contains("--threads <N>") && !convert.contains("[default: 0]"),
        "{convert}"
    );
    assert!(help(&["--help"]).contains("MAPWRIGHT_SCHEMAS"));
    assert!(help(&["explain", "--help"]).contains("--params <FILE>"));
    let (code, _, err) = stdout(mapwright().args(["schema", "export"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("mapwright schema export --file-format <FORMAT>"),
        "{err}"
    );
}

/// `--param company_code=KM2 --param company_code=XX` was accepted, the
/// last winning: now exit 2 naming the param, never its values.
#[test]
fn a_param_given_twice_exits_2_naming_it_but_not_its_values() {
    let (code, out, err) = stdout(mapwright().args([
        "convert",
        "-m",
        "mappings/oneserve-spectrum/order.yaml",
        "mappings/oneserve-spectrum/tests/design-example.json",
        "--param",
        "company_code=KM2",
        "--param",
        "company_code=S3CRET",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("--param company_code is given more than once"),
        "{err}"
    );
    assert!(!err.contains("S3CRET") && !err.contains("KM2"), "{err}");
}

/// A YAML file of the project that is none of the files mapwright reads
/// (a mapping whose `mapping:` key was left out) was passed over in
/// silence; `check` now says it did not check it. YAML under `examples/`
/// (inputs, params files) is data and is not reported.
#[test]
fn check_says_which_yaml_files_it_did_not_check() {
    let dir = common::fresh("cli", "unchecked");
    std::fs::create_dir_all(dir.join("mappings/m/examples")).unwrap();
    std::fs::write(
        dir.join("mappings/m/nokey.yaml"),
        "target: t.out\nrecord:\n  a: = a\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("mappings/m/examples/params.yaml"),
        "company_code: KM2\n",
    )
    .unwrap();
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(&dir)
        .args(["check", "--message-format", "short"])
        .output()
        .unwrap();
    let (found, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        found.contains("mappings/m/nokey.yaml: warning[unchecked-file]: not checked"),
        "{found}"
    );
    assert!(!found.contains("params.yaml"), "{found}");
    assert!(
        err.contains("checked 1 file(s): 0 error(s), 1 warning(s)"),
        "{err}"
    );
}
