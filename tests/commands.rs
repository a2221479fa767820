//! The command line's consistency: display names, exit codes and
//! did-you-mean for names a user types.

mod common;
use common::root;

use assert_cmd::Command;

/// `convert` with the shipped Spectrum mapping and its required param.
fn convert_spectrum(args: &[&str]) -> (i32, String, String) {
    let base = [
        "convert",
        "-m",
        "mappings/oneserve-spectrum/order.yaml",
        "--param",
        "company_code=KM2",
    ];
    mapwright(&[&base[..], args].concat())
}

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

#[test]
fn explain_refuses_an_unknown_field_and_names_the_nearest() {
    let (code, out, err) = mapwright(&[
        "explain",
        "-m",
        "mappings/oneserve-spectrum/order.yaml",
        "--field",
        "/poDetails/*/Item_Prise",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(
        err.trim(),
        "error: --field: no target field of this mapping is at '/poDetails/*/Item_Prise' (did you mean '/poDetails/*/Item_Price'?)"
    );
}

#[test]
fn explain_exits_1_for_a_rejected_record() {
    let dir = common::fresh("commands", "explain");
    let example = std::fs::read_to_string(
        root().join("mappings/oneserve-spectrum/tests/design-example.json"),
    )
    .unwrap();
    let mut record: serde_json::Value = serde_json::from_str(&example).unwrap();
    record["activities"][0]["team"] = serde_json::Value::Null;
    let file = dir.join("no-team.json");
    std::fs::write(&file, record.to_string()).unwrap();
    let args = [
        "explain",
        "-m",
        "mappings/oneserve-spectrum/order.yaml",
        "--param",
        "company_code=KM2",
    ];
    let (code, out, err) = mapwright(&[&args[..], &[file.to_str().unwrap()]].concat());
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("rejected: team-assigned at /activities/0/team"),
        "{out}"
    );
    let (code, _, err) = mapwright(
        &[
            &args[..],
            &[root()
                .join("mappings/oneserve-spectrum/tests/design-example.json")
                .to_str()
                .unwrap()],
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn schema_show_names_the_format_as_people_write_it() {
    let (code, out, _) = mapwright(&["schema", "show", "spectrum.purchase_order_batch"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().next(),
        Some("spectrum.purchase_order_batch (Spectrum, JSON)")
    );
    let (_, out, _) = mapwright(&["schema", "show", "synergetic.create_purchase_order"]);
    assert!(
        out.starts_with("synergetic.create_purchase_order (Synergetic, XML)"),
        "{out}"
    );
}

#[test]
fn check_and_test_from_inside_an_integration_folder_cover_the_whole_project() {
    let from_root = mapwright(&["check"]);
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(root().join("mappings/oneserve-spectrum/lookups"))
        .arg("check")
        .output()
        .unwrap();
    let inside = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(from_root.0, 0, "{}", from_root.2);
    assert_eq!(out.status.code(), Some(0), "{inside}");
    let summary = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("checked "))
            .map(str::to_string)
    };
    assert!(
        summary(&inside).is_some_and(|l| !l.starts_with("checked 0 ")),
        "{inside}"
    );
    assert_eq!(summary(&inside), summary(&from_root.2));
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(root().join("mappings/oneserve-spectrum"))
        .arg("test")
        .output()
        .unwrap();
    let (_, all, _) = mapwright(&["test"]);
    let last = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .last()
            .map(str::to_string)
    };
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(last(&out.stdout), all.lines().last().map(str::to_string));
}

#[test]
fn validate_takes_report_file_and_format_as_convert_does() {
    let dir = common::fresh("commands", "validate");
    let report = dir.join("report.json");
    let sample = root().join("schemas/spectrum/tests/seed-sample.json");
    let (code, out, err) = mapwright(&[
        "validate",
        "-s",
        "spectrum.purchase_order_batch",
        "--report",
        report.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(written["payloads"], 1);
    assert_eq!(written["valid"], 1);
    let (code, out, _) = mapwright(&[
        "validate",
        "-s",
        "spectrum.purchase_order_batch",
        "--format",
        "json",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown, written);
    // The old form names the format where a file is meant: refused with the way out.
    let (code, _, err) = mapwright(&[
        "validate",
        "-s",
        "spectrum.purchase_order_batch",
        "--report",
        "json",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("use --format json"), "{err}");
}

#[test]
fn rule_counts_say_they_count_units_and_when_they_overlap() {
    let dir = common::fresh("commands", "counts");
    let example = std::fs::read_to_string(
        root().join("mappings/oneserve-spectrum/tests/design-example.json"),
    )
    .unwrap();
    let mut both: serde_json::Value = serde_json::from_str(&example).unwrap();
    // No team and a unit cost of 12.50: one unit, two rules.
    both["activities"][0]["team"] = serde_json::Value::Null;
    both["activities"][0]["unit_cost"] = serde_json::json!(12.5);
    let file = dir.join("two-rules.ndjson");
    std::fs::write(&file, format!("{both}\n")).unwrap();
    let (code, _, err) = convert_spectrum(&["--output-format", "ndjson", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("1 units: 0 accepted, 1 rejected, 0 skipped"),
        "{err}"
    );
    assert!(
        err.contains("rejected units by rule (a unit refused by several rules counts under each): team-assigned 1, unit-cost-one 1"),
        "{err}"
    );
}

#[test]
fn an_unknown_param_names_the_nearest_one_and_exits_2() {
    let (code, _, err) = mapwright(&[
        "convert",
        "-m",
        "mappings/oneserve-spectrum/order.yaml",
        "--param",
        "compny_code=KM2",
        "mappings/oneserve-spectrum/tests/design-example.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown param 'compny_code' (did you mean 'company_code'?); this mapping takes: company_code, batch_code, cost_center"),
        "{err}"
    );
}

/// Review of issue 10: `check mappings/shared/oneserve-create-order-rules.yaml`
/// said unknown-file and exited 2, though the file ships.
#[test]
fn a_shared_rules_file_is_checked_on_its_own() {
    let (code, _, err) = mapwright(&["check", "mappings/shared/oneserve-create-order-rules.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("checked 1 file(s): 0 error(s), 0 warning(s)"),
        "{err}"
    );
    let dir = common::fresh("commands", "rules");
    let file = dir.join("rules.yaml");
    std::fs::write(&file, "rules:\n  - id: r\n    assert: let x = 1; x == 1\n").unwrap();
    let (code, out, _) = mapwright(&["check", "--message-format=short", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.contains("rules.yaml:3:13: error[expr-syntax]"), "{out}");
}

/// Review of issue 10: a large computed price was refused as "'1e+16' is
/// not a number" (invalid-number); it is a number above the maximum.
#[test]
fn a_large_computed_price_is_above_the_maximum_not_an_exponent() {
    let dir = common::fresh("commands", "big");
    let example = std::fs::read_to_string(
        root().join("mappings/oneserve-spectrum/tests/design-example.json"),
    )
    .unwrap();
    let mut lines = String::new();
    for q in ["10000000000000000", "100000000000000000000"] {
        let text = example.replacen("\"quantity\": 60", &format!("\"quantity\": {q}"), 1);
        assert_ne!(text, example);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        lines.push_str(&format!("{v}\n"));
    }
    let input = dir.join("big.ndjson");
    std::fs::write(&input, lines).unwrap();
    let rejects = dir.join("rejects.ndjson");
    let (code, _, err) = convert_spectrum(&[
        "--output-format",
        "ndjson",
        "--rejects",
        rejects.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let text = std::fs::read_to_string(&rejects).unwrap();
    let errors: Vec<(String, String)> = text
        .lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["rule"].as_str().unwrap().to_string(),
                        e["message"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, "above-maximum");
    assert!(
        errors[0]
            .1
            .starts_with("'10000000000000000' is above the maximum"),
        "{errors:?}"
    );
    assert!(
        errors[1]
            .1
            .starts_with("'100000000000000000000' is above the maximum"),
        "{errors:?}"
    );
}

/// Review of issue 10: `test MAPPING` found nothing; it runs the test
/// files beside the mapping that name it.
#[test]
fn test_given_a_mapping_runs_the_cases_that_test_it() {
    let (code, out, err) = mapwright(&["test", "mappings/oneserve-spectrum/order.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, direct, _) = mapwright(&["test", "mappings/oneserve-spectrum/tests/order.yaml"]);
    let last = |s: &str| s.lines().last().map(str::to_string);
    assert_eq!(last(&out), last(&direct));
    assert!(
        last(&out).is_some_and(|l| l.ends_with(" passed, 0 failed") && !l.starts_with("0 ")),
        "{out}"
    );
}

/// Review of issue 10: a schema's error was counted twice, once found by
/// checking the schema and once through the mapping that names it.
#[test]
fn a_schema_error_is_reported_once() {
    let dir = common::fresh("commands", "dup");
    std::fs::create_dir_all(dir.join("schemas/t")).unwrap();
    std::fs::create_dir_all(dir.join("mappings")).unwrap();
    std::fs::write(
        dir.join("schemas/t/out.yaml"),
        "schema: t.out\nrecord: r\ntypes:\n  r:\n    fields:\n      Id: {type: txt}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("mappings/m.yaml"),
        "mapping: m\ntarget: t.out\nrecord:\n  Id: = id\n",
    )
    .unwrap();
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(&dir)
        .args(["check", "--message-format=short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("error[unknown-type]").count(), 1, "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 error(s)"));
}

/// Review of issue 11: `--rejects /dev/stdout > file` replaced the host's
/// /dev/stdout symlink with a regular file, `-o LINK` replaced the link,
/// and `-o f < f` overwrote its own input.
#[test]
fn outputs_through_links_and_aliases_of_stdio_are_safe() {
    let dir = common::fresh("commands", "links");
    let m = "mappings/oneserve-spectrum/order.yaml";
    let input = root().join("mappings/oneserve-spectrum/examples/orders.ndjson");
    let run = |args: &[&str], stdin: Option<&std::path::Path>, stdout: std::process::Stdio| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("mapwright"));
        c.current_dir(root())
            .args(args)
            .stdout(stdout)
            .stderr(std::process::Stdio::piped());
        if let Some(f) = stdin {
            c.stdin(std::fs::File::open(f).unwrap());
        }
        c.output().unwrap()
    };
    // Rejects to /dev/stdout beside output on stdout: refused, stdout untouched.
    let captured = dir.join("mix.txt");
    let out = run(
        &[
            "convert",
            "-m",
            m,
            input.to_str().unwrap(),
            "--param",
            "company_code=KM2",
            "--output-format",
            "ndjson",
            "--rejects",
            "/dev/stdout",
        ],
        None,
        std::process::Stdio::from(std::fs::File::create(&captured).unwrap()),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::symlink_metadata("/dev/stdout")
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&captured).unwrap(), b"");
    // -o LINK writes the file the link names; the link stays a link.
    let target = dir.join("target.ndjson");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.join("link.ndjson");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run(
        &[
            "convert",
            "-m",
            m,
            input.to_str().unwrap(),
            "--param",
            "company_code=KM2",
            "--output-format",
            "ndjson",
            "-q",
            "-o",
            link.to_str().unwrap(),
        ],
        None,
        std::process::Stdio::null(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap().lines().count(),
        187
    );
    // -o FILE < FILE: the output is the input, refused before anything is read.
    let own = dir.join("own.ndjson");
    std::fs::copy(&input, &own).unwrap();
    let out = run(
        &[
            "convert",
            "-m",
            m,
            "--param",
            "company_code=KM2",
            "--output-format",
            "ndjson",
            "-o",
            own.to_str().unwrap(),
        ],
        Some(&own),
        std::process::Stdio::null(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("-o/--output and stdin are the same file")
    );
    assert_eq!(std::fs::read(&own).unwrap(), std::fs::read(&input).unwrap());
}

/// Review of issue 11: `rules_from: /dev/zero` (or a FIFO in the project)
/// hung check and convert and ate memory: the static checks read the
/// rules file without the loader's confinement.
#[test]
fn rules_from_a_device_or_fifo_is_refused_without_reading_it() {
    let dir = common::fresh("commands", "rules-device");
    std::fs::create_dir_all(dir.join("mappings")).unwrap();
    let fifo = dir.join("mappings/rules.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (name, rules, code) in [
        ("zero.yaml", "/dev/zero", "outside-project"),
        ("fifo.yaml", "rules.fifo", "not-a-regular-file"),
    ] {
        std::fs::write(
            dir.join("mappings").join(name),
            format!("mapping: m\ntarget: spectrum.purchase_order_batch\nrules_from: {rules}\nrecord:\n  Company_Code: KM2\n"),
        )
        .unwrap();
        let out = Command::cargo_bin("mapwright")
            .unwrap()
            .current_dir(&dir)
            .args([
                "check",
                "--message-format=short",
                &format!("mappings/{name}"),
            ])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{name}: {text}");
        assert!(text.contains(&format!("error[{code}]")), "{name}: {text}");
    }
}

/// Review of issue 11: `--output-format TOKEN` echoed the token.
#[test]
fn a_bad_format_value_is_not_echoed() {
    let token = "7e57aaaa-bbbb-4ccc-8ddd-eeeeffff0001";
    for flag in ["--output-format", "--input-format"] {
        let (code, out, err) = convert_spectrum(&[
            flag,
            token,
            "mappings/oneserve-spectrum/tests/design-example.json",
        ]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(
            !out.contains(token) && !err.contains(token),
            "{flag}: {err}"
        );
        assert!(err.contains(&format!("{flag} takes json")), "{flag}: {err}");
    }
}

/// Review of issue 11: `validate` could not read a `--batch-size` JSON file
/// (one envelope per line) that convert wrote.
#[test]
fn validate_reads_a_batched_json_file_back() {
    let dir = common::fresh("commands", "batches");
    let batches = dir.join("batch.json");
    let (code, _, err) = convert_spectrum(&[
        "mappings/oneserve-spectrum/examples/orders.ndjson",
        "--output-format",
        "json",
        "--batch-size",
        "50",
        "-q",
        "-o",
        batches.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = mapwright(&[
        "validate",
        "-s",
        "spectrum.purchase_order_batch",
        batches.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // 187 accepted orders in envelopes of 50: 4 payloads.
    assert!(
        err.contains(
            "4 payload(s) checked against spectrum.purchase_order_batch: 4 valid, 0 invalid"
        ),
        "{err}"
    );
}

/// Review of issue 11: `--rejects LOOKUP.csv` or `--report RULES.yaml`
/// overwrote the files the mapping reads.
#[test]
fn outputs_over_the_mappings_own_lookups_or_rules_are_refused() {
    let dir = common::fresh("commands", "own-files");
    common::copy_tree(
        &root().join("mappings/oneserve-spectrum"),
        &dir.join("mappings/oneserve-spectrum"),
    );
    common::copy_tree(
        &root().join("mappings/shared"),
        &dir.join("mappings/shared"),
    );
    let lookup = dir.join("mappings/oneserve-spectrum/lookups/vendors.csv");
    let rules = dir.join("mappings/shared/oneserve-create-order-rules.yaml");
    let (lookup_before, rules_before) = (
        std::fs::read(&lookup).unwrap(),
        std::fs::read(&rules).unwrap(),
    );
    for (flag, target) in [("--rejects", &lookup), ("--report", &rules)] {
        let out = Command::cargo_bin("mapwright")
            .unwrap()
            .current_dir(&dir)
            .args([
                "convert",
                "-m",
                "mappings/oneserve-spectrum/order.yaml",
                "mappings/oneserve-spectrum/examples/orders.ndjson",
                "--param",
                "company_code=KM2",
                "-o",
                "out.ndjson",
                flag,
                target.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("a file the mapping reads are the same file"),
            "{flag}"
        );
    }
    assert_eq!(std::fs::read(&lookup).unwrap(), lookup_before);
    assert_eq!(std::fs::read(&rules).unwrap(), rules_before);
    assert!(!dir.join("out.ndjson").exists());
}

/// Review of issue 11: one malformed XML or JSON document ended the whole
/// run with exit 3, and the other inputs' records reached no file.
#[test]
fn a_document_that_does_not_parse_is_one_reject_and_the_run_goes_on() {
    let dir = common::fresh("commands", "bad-documents");
    let xml = dir.join("b.xml");
    std::fs::write(&xml, "<?xml version=\"1.0\"?>\n<a>&bogus;</a>\n").unwrap();
    let json = dir.join("bad.json");
    std::fs::write(&json, "{\"a\": [1,2}\n").unwrap();
    let (out, rejects) = (dir.join("out.ndjson"), dir.join("rejects.ndjson"));
    let (code, _, err) = convert_spectrum(&[
        "mappings/oneserve-spectrum/examples/orders.ndjson",
        xml.to_str().unwrap(),
        json.to_str().unwrap(),
        "--output-format",
        "ndjson",
        "-o",
        out.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("202 input records, 202 units: 187 accepted, 15 rejected, 0 skipped"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 187);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bad: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|r| r["errors"][0]["rule"] == "malformed")
        .collect();
    assert_eq!(bad.len(), 2);
    assert_eq!(
        bad[0]["source"][0],
        "<?xml version=\"1.0\"?>\n<a>&bogus;</a>"
    );
    assert_eq!(bad[0]["lines"], serde_json::json!([1, 2]));
    assert_eq!(bad[0]["input"], serde_json::json!([2]));
    // As read, without its final line end (as an NDJSON line's is).
    assert_eq!(bad[1]["source"][0], "{\"a\": [1,2}");
    assert_eq!(bad[1]["lines"], serde_json::json!([1]));
}
