//! The `mapwright` binary on real files: exit codes, messages, reports.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn mapwright() -> Command {
    let mut c = Command::cargo_bin("mapwright").unwrap();
    c.current_dir(root());
    c
}

fn temp(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mapwright-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn stdout(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn seed_samples_validate_clean() {
    for (schema, file) in [
        ("spectrum.purchase_order_batch", "schemas/spectrum/tests/seed-sample.json"),
        ("synergetic.create_purchase_order", "schemas/synergetic/tests/seed-sample.xml"),
        ("synergetic.purchase_order_result", "schemas/synergetic/tests/result-success.xml"),
        ("pruvan.work_orders", "schemas/pruvan/tests/create.json"),
        ("pruvan.work_orders", "schemas/pruvan/tests/update.json"),
        ("pruvan.response", "schemas/pruvan/tests/response-create.json"),
        ("pruvan.response", "schemas/pruvan/tests/response-update.json"),
    ] {
        let (code, out, err) = stdout(mapwright().args(["validate", "-s", schema, file]));
        assert_eq!(code, 0, "{schema} {file}: {out}{err}");
        assert!(err.contains("1 valid, 0 invalid"), "{err}");
    }
}

#[test]
fn every_error_of_a_payload_is_reported_with_path_and_rule() {
    let sample = std::fs::read_to_string(root().join("schemas/spectrum/tests/seed-sample.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&sample).unwrap();
    v["purchaseOrders"][0]["PO_Type"] = "L".into();
    v["purchaseOrders"][0]["poDetails"][0]["Detail_Entry_Type"] = "N".into();
    v["purchaseOrders"][0]["poDetails"][0]["Item_ID"] = "!PLUMBING-REPAIR-X".into();
    v["purchaseOrders"][0]["Company_Code"] = "KM22".into();
    let p = temp("bad.json", v.to_string().as_bytes());
    let (code, out, _) = stdout(mapwright().args(["validate", "-s", "spectrum.purchase_order_batch"]).arg(&p));
    assert_eq!(code, 1);
    assert!(out.contains("/purchaseOrders/0/poDetails/0/Item_ID: '!PLUMBING-REPAIR-X' is 18 characters; Spectrum allows at most 15"), "{out}");
    assert!(out.contains("error[max-length]: /purchaseOrders/0/Company_Code: 'KM22' is 4 characters; Spectrum allows at most 3"), "{out}");
    let (code, json, _) = stdout(mapwright().args(["validate", "-s", "spectrum.purchase_order_batch", "--report", "json"]).arg(&p));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rules: Vec<&str> = report["results"][0]["violations"].as_array().unwrap().iter().map(|v| v["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"non-stock-item-length") && rules.contains(&"max-length"), "{rules:?}");
    assert_eq!(report["invalid"], 1);
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let deep = "[".repeat(100_000);
    let cases: [(&str, &[u8], &str); 5] = [
        ("malformed.json", b"{\"purchaseOrders\": [", "line 1"),
        ("empty.json", b"", "empty"),
        ("latin1.json", b"{\"purchaseOrders\": [{\"Company_Code\": \"K\xe9\"}]}", "not valid JSON"),
        ("broken.xml", b"<InputXML><VendorTokenGUID>x</InputXML>", "line 1"),
        ("deep.json", deep.as_bytes(), "not valid JSON"),
    ];
    for (name, content, says) in cases {
        let p = temp(name, content);
        let schema = if name.ends_with(".xml") { "synergetic.create_purchase_order" } else { "spectrum.purchase_order_batch" };
        let (code, _, err) = stdout(mapwright().args(["validate", "-s", schema]).arg(&p));
        assert_eq!(code, 3, "{name}: {err}");
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = stdout(mapwright().args(["validate", "-s", "spectrum.purchase_order_batch", "no-such-file.json"]));
    assert_eq!(code, 3, "{err}");
}

#[test]
fn a_wrong_schema_file_is_reported_like_a_compiler() {
    let p = temp(
        "broken.yaml",
        b"schema: x.y\nrecord: r\ntypes:\n  r:\n    fields:\n      A: {type: txt}\n      B: {type: text, maxlen: 3}\n    rules:\n      - id: bad\n        assert: A ==\n",
    );
    let (code, _, err) = stdout(mapwright().args(["validate", "-s"]).arg(&p).arg("schemas/spectrum/tests/seed-sample.json"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("broken.yaml:6:") && err.contains("error[unknown-type]"), "{err}");
    assert!(err.contains("broken.yaml:7:") && err.contains("error[unknown-key]: unknown key 'maxlen'"), "{err}");
    assert!(err.contains("error[bad-expression]"), "{err}");
}

#[test]
fn secrets_never_reach_messages() {
    let xml = std::fs::read_to_string(root().join("schemas/synergetic/tests/seed-sample.xml")).unwrap();
    let bad = xml.replace("3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7", "not-a-guid-SECRET-TOKEN-VALUE-123456789");
    let p = temp("secret.xml", bad.as_bytes());
    let (code, out, err) = stdout(mapwright().args(["validate", "-s", "synergetic.create_purchase_order", "--report", "json"]).arg(&p));
    assert_eq!(code, 1);
    assert!(out.contains("invalid-guid"), "{out}");
    assert!(!out.contains("SECRET-TOKEN") && !err.contains("SECRET-TOKEN"), "{out}{err}");
}
