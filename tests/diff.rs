//! `mapwright diff OLD NEW [INPUT ...]`: the shipped Spectrum mapping
//! against itself and against edited copies, over its shipped examples and
//! over generated records.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{copy_tree, fresh, root};
use serde_json::Value;

const SPECTRUM: &str = "mappings/oneserve-spectrum/order.yaml";
const ORDERS: &str = "mappings/oneserve-spectrum/examples/orders.ndjson";
const LINES: &str = "mappings/oneserve-spectrum/examples/order-lines.csv";

/// Exit code, stdout and stderr of `mapwright diff ARGS`, from the repository root.
fn diff(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(root())
        .arg("diff")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the Spectrum mapping (with the shared rules it includes) in a
/// temp folder, its order.yaml edited by `edit`; the copy's path.
fn edited_copy(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = fresh("diff", name);
    for folder in ["oneserve-spectrum", "shared"] {
        copy_tree(
            &root().join("mappings").join(folder),
            &dir.join("mappings").join(folder),
        );
    }
    let path = dir.join("mappings/oneserve-spectrum/order.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit changed nothing");
    std::fs::write(&path, edited).unwrap();
    path
}

fn replaced(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the mapping no longer has {from:?}");
    text.replace(from, to)
}

/// The copy with Batch_Code and Comment changed, as a customer's would be.
fn customer_copy(name: &str) -> PathBuf {
    edited_copy(name, |t| {
        let t = replaced(t, "Batch_Code: = params.batch_code", "Batch_Code: CUSTX");
        replaced(
            t,
            r#"Comment: = "Oneserve order request " + order_request_id"#,
            r#"Comment: = "Customer X order " + order_request_id"#,
        )
    })
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn shown(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn the_mapping_against_itself_over_its_examples_has_no_difference() {
    for input in [ORDERS, LINES] {
        let (code, out, err) = diff(&[SPECTRUM, SPECTRUM, input, "--param", "company_code=KM2"]);
        assert_eq!(code, 0, "{input}: {out}{err}");
        assert!(out.starts_with("summary\n"), "no record is listed: {out}");
        assert!(
            out.contains("  records compared               200\n"),
            "{out}"
        );
        assert!(
            out.contains("  identical                      200\n"),
            "{out}"
        );
        assert!(
            out.contains("  changed                          0\n"),
            "{out}"
        );
    }
}

#[test]
fn a_customer_copy_reports_exactly_batch_code_and_comment_per_record() {
    let copy = customer_copy("customer");
    let (code, out, err) = diff(&[
        SPECTRUM,
        shown(&copy),
        ORDERS,
        "--param",
        "company_code=KM2",
    ]);
    assert_eq!(code, 1, "{err}");
    // Every record block is its place and exactly the two changes.
    let blocks: Vec<&str> = out.split("summary\n").next().unwrap().lines().collect();
    assert_eq!(blocks.len() % 3, 0, "{out}");
    for block in blocks.chunks(3) {
        assert!(block[0].starts_with(ORDERS), "{block:?}");
        assert_eq!(block[1], r#"  changed /Batch_Code: "" -> "CUSTX""#);
        assert!(
            block[2].starts_with(r#"  changed /Comment: "Oneserve order request ORQ-"#)
                && block[2].contains(r#"" -> "Customer X order ORQ-"#),
            "{block:?}"
        );
    }
    assert!(
        out.contains("  /Batch_Code                                    187\n"),
        "{out}"
    );
    assert!(
        out.contains("  /Comment                                       187\n"),
        "{out}"
    );

    let (code, out, _) = diff(&[
        SPECTRUM,
        shown(&copy),
        ORDERS,
        "--param",
        "company_code=KM2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let lines = json_lines(&out);
    let (summary, records) = lines.split_last().unwrap();
    assert_eq!(records.len(), 187);
    for r in records {
        assert_eq!(r["kind"], "record");
        let id = r["position"].as_u64().unwrap() - 1;
        assert_eq!(r["line"].as_u64(), Some(id + 1));
        let comment = |prefix: &str| format!("{prefix} ORQ-{id:06}");
        assert_eq!(
            r["changes"],
            serde_json::json!([
                {"path": "/Batch_Code", "old": "", "new": "CUSTX"},
                {"path": "/Comment", "old": comment("Oneserve order request"),
                 "new": comment("Customer X order")},
            ]),
        );
        assert!(r.get("outcome").is_none(), "{r}");
    }
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["compared"], 200);
    assert_eq!(summary["identical"], 13);
    assert_eq!(summary["changed"], 187);
    assert_eq!(summary["accepted_to_rejected"], 0);
    assert_eq!(
        summary["fields"],
        serde_json::json!({"/Batch_Code": 187, "/Comment": 187})
    );
}

#[test]
fn the_csv_example_is_grouped_as_convert_groups_it() {
    let copy = customer_copy("customer-csv");
    let (code, out, err) = diff(&[
        SPECTRUM,
        shown(&copy),
        LINES,
        "--param",
        "company_code=KM2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let lines = json_lines(&out);
    let summary = lines.last().unwrap();
    assert_eq!(summary["compared"], 200, "one unit per order request");
    assert_eq!(
        summary["fields"],
        serde_json::json!({"/Batch_Code": 187, "/Comment": 187})
    );
    // The first group starts on line 2 (after the header), ORQ-000154.
    assert_eq!(lines[0]["line"], 2);
    assert_eq!(lines[0]["changes"][1]["new"], "Customer X order ORQ-000154");
}

#[test]
fn a_rule_that_rejects_one_record_is_accepted_to_rejected_with_its_id() {
    let copy = edited_copy("rule", |t| {
        replaced(
            t,
            "\nrules_from:",
            "\nrules:\n  - id: not-order-five\n    assert: = order_request_id != \"ORQ-000005\"\n    message: \"order five is on hold\"\nrules_from:",
        )
    });
    let args = [
        SPECTRUM,
        shown(&copy),
        ORDERS,
        "--param",
        "company_code=KM2",
    ];
    let (code, out, err) = diff(&args);
    assert_eq!(code, 1, "{err}");
    let head: Vec<&str> = out.lines().take(3).collect();
    assert_eq!(
        head,
        [
            format!("{ORDERS} #6 (line 6)").as_str(),
            "  accepted (oneserve-order-to-spectrum) -> rejected by not-order-five",
            "    new: not-order-five: order five is on hold",
        ]
    );
    assert!(
        out.contains("  accepted -> rejected             1\n"),
        "{out}"
    );
    assert!(
        out.contains("  changed                          1\n"),
        "{out}"
    );

    let (code, out, _) = diff(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 1);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{out}");
    let outcome = &lines[0]["outcome"];
    assert_eq!(outcome["old"]["status"], "accepted");
    assert_eq!(outcome["new"]["status"], "rejected");
    assert_eq!(
        outcome["new"]["rules"],
        serde_json::json!(["not-order-five"])
    );
    assert_eq!(lines[1]["accepted_to_rejected"], 1);
    // The other way round: rejected -> accepted.
    let (code, out, _) = diff(&[
        shown(&copy),
        SPECTRUM,
        ORDERS,
        "--param",
        "company_code=KM2",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("  rejected -> accepted             1\n"),
        "{out}"
    );
}

#[test]
fn a_key_names_each_record_and_a_repeated_key_is_out_of_step() {
    let dir = fresh("diff", "key");
    let lines: Vec<String> = std::fs::read_to_string(root().join(ORDERS))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    // Records 1, 2, then 1 again: the third is out of step.
    let input = dir.join("orders.ndjson");
    std::fs::write(
        &input,
        format!("{}\n{}\n{}\n", lines[0], lines[1], lines[0]),
    )
    .unwrap();
    let copy = customer_copy("key-copy");
    let (code, out, err) = diff(&[
        SPECTRUM,
        shown(&copy),
        shown(&input),
        "--param",
        "company_code=KM2",
        "--key",
        "= order_request_id",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let found = json_lines(&out);
    let kinds: Vec<&str> = found.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["record", "record", "key_out_of_step", "record", "summary"]
    );
    assert_eq!(found[0]["key"], "ORQ-000000");
    assert_eq!(found[1]["key"], "ORQ-000001");
    assert_eq!(found[2]["key"], "ORQ-000000");
    assert_eq!(found[2]["position"], 3);
    assert_eq!(found[2]["first_at"], 1);
    assert_eq!(found[4]["keys_out_of_step"], 1);

    // The same mapping twice: no difference, the key out of step is told
    // but is not a difference of the mappings.
    let (code, out, _) = diff(&[
        SPECTRUM,
        SPECTRUM,
        shown(&input),
        "--param",
        "company_code=KM2",
        "--key",
        "order_request_id",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with(&format!(
        "{} #3: key \"ORQ-000000\" out of step (first seen at #1)\n",
        shown(&input)
    )));
}

/// A copy whose batch_code param is secret, and, with `custx`, whose
/// Batch_Code is CUSTX instead of the param.
fn secret_copy(name: &str, custx: bool) -> PathBuf {
    edited_copy(name, |t| {
        let t = replaced(
            t,
            "batch_code: {type: text, default: \"\",",
            "batch_code: {type: text, secret: true, default: \"\",",
        );
        match custx {
            true => replaced(t, "Batch_Code: = params.batch_code", "Batch_Code: CUSTX"),
            false => t,
        }
    })
}

/// `diff OLD NEW` over the orders with a secret batch_code: code and all bytes written.
fn diff_with_secret(old: &Path, new: &Path, secret: &str, format: &str) -> (i32, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(root())
        .args(["diff", shown(old), shown(new), ORDERS])
        .args(["--param", "company_code=KM2"])
        .args(["--param", &format!("batch_code={secret}")])
        .args(["--key", "= order_request_id", "--format", format])
        .output()
        .unwrap();
    let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&all).into_owned(),
    )
}

#[test]
fn a_secret_param_never_appears_in_any_byte_of_the_output() {
    let (secret, custx) = (
        secret_copy("secret", false),
        secret_copy("secret-custx", true),
    );
    // Too long for Batch_Code (10 characters): the old mapping rejects
    // every record with a message about the value, the new one accepts.
    const LONG: &str = "Sup3r-Secret-Batch-7731";
    for format in ["human", "json"] {
        let (code, all) = diff_with_secret(&secret, &custx, LONG, format);
        assert_eq!(code, 1, "{format}: {all}");
        assert!(all.contains("max-length"), "{format}: {all}");
        assert!(
            !all.contains("Secret-Batch") && !all.contains("7731"),
            "{format}: {all}"
        );
    }
    // A secret that fits: Batch_Code changes from it to CUSTX, shown hidden.
    const SHORT: &str = "Zq7-Kx9Wp1";
    let (code, all) = diff_with_secret(&secret, &custx, SHORT, "json");
    assert_eq!(code, 1);
    assert!(!all.contains("Kx9Wp"), "{all}");
    let first = &json_lines(&all)[0];
    assert_eq!(
        first["changes"][0],
        serde_json::json!({"path": "/Batch_Code", "old": "(secret)", "new": "CUSTX"})
    );
    // The base does not declare the param secret: the copy that does hides it for both.
    let (code, all) = diff_with_secret(&root().join(SPECTRUM), &custx, SHORT, "human");
    assert_eq!(code, 1);
    assert!(
        all.contains(r#"changed /Batch_Code: "(secret)" -> "CUSTX""#),
        "{all}"
    );
    assert!(!all.contains("Kx9Wp"), "{all}");
}

#[test]
fn usage_and_input_errors_have_their_exit_codes() {
    let (code, _, err) = diff(&[SPECTRUM, SPECTRUM, ORDERS, "--param", "compny_code=KM2"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown param 'compny_code' (did you mean 'company_code'?)"),
        "{err}"
    );
    let (code, _, err) = diff(&[SPECTRUM, "mappings/none.yaml", ORDERS]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("none.yaml"), "{err}");
    let (code, _, err) = diff(&[SPECTRUM, SPECTRUM, ORDERS, "--colour"]);
    assert_eq!(code, 2);
    assert!(err.contains("unexpected argument '--colour'"), "{err}");
    let (code, _, err) = diff(&[
        SPECTRUM,
        SPECTRUM,
        "--param",
        "company_code=KM2",
        "--key",
        "= (",
    ]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: --key = (:"), "{err}");
    let (code, _, err) = diff(&[
        SPECTRUM,
        SPECTRUM,
        "no-such.ndjson",
        "--param",
        "company_code=KM2",
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("cannot read no-such.ndjson"), "{err}");
}

#[test]
fn the_mapping_against_itself_over_20000_generated_records_has_no_difference() {
    let dir = fresh("diff", "generated");
    let input = dir.join("orders.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    mapwright_gen::write_ndjson(&mut file, 20_000, mapwright_gen::DEFAULT_SEED).unwrap();
    drop(file);
    let (code, out, err) = diff(&[
        SPECTRUM,
        SPECTRUM,
        shown(&input),
        "--param",
        "company_code=KM2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "only the summary");
    assert_eq!(lines[0]["compared"], 20_000);
    assert_eq!(lines[0]["identical"], 20_000);
    assert_eq!(lines[0]["changed"], 0);
}

/// Issue 13's must-show: `diff` between the base and the shipped customer
/// overlay, over the shipped examples, reports exactly the overlay's three
/// changed fields (its own vendor codes, batch code and comment), and no
/// change of outcome: the overlay's records take the base's one route.
#[test]
fn the_base_against_the_customer_overlay_reports_exactly_its_three_fields() {
    let (code, out, err) = diff(&[
        SPECTRUM,
        "mappings/oneserve-spectrum/customers/example/order.yaml",
        ORDERS,
        "--param",
        "company_code=KM2",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let summary: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(summary["kind"], "summary");
    assert_eq!(
        summary["fields"],
        serde_json::json!({"/Batch_Code": 187, "/Comment": 187, "/Vendor_Code": 187})
    );
    assert_eq!(summary["accepted_to_rejected"], 0);
    assert_eq!(summary["rejected_to_accepted"], 0);
    assert_eq!(summary["other_outcome_changes"], 0);
}

/// Review of issue 13: a misspelt `--key` read () in every record, so every
/// record was reported as out of step. It is a usage error before any record
/// is read: nothing on stdout, where a record read would be reported.
#[test]
fn a_key_that_names_no_source_field_is_a_usage_error_before_any_record() {
    let dir = fresh("diff", "key-misspelt");
    let input = dir.join("orders.ndjson");
    let first = std::fs::read_to_string(root().join(ORDERS)).unwrap();
    let first = first.lines().next().unwrap();
    std::fs::write(&input, format!("{first}\n{first}\n")).unwrap();
    let (code, out, err) = diff(&[
        SPECTRUM,
        SPECTRUM,
        shown(&input),
        "--param",
        "company_code=KM2",
        "--key",
        "= order_requst_id",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: --key = order_requst_id: 'order_requst_id' is not a field of oneserve.activity_order_request's activity_order_request or a variable here (did you mean 'order_request_id'?); the key is read from the input record, with the source schema's names\n"
    );
    // The name the schema has: the record read twice is out of step.
    let (code, out, _) = diff(&[
        SPECTRUM,
        SPECTRUM,
        shown(&input),
        "--param",
        "company_code=KM2",
        "--key",
        "= order_request_id",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with(&format!(
        "{} #2: key \"ORQ-000000\" out of step (first seen at #1)\n",
        shown(&input)
    )));
}
