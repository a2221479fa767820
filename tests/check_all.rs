//! `convert --check-all` (issue 14, item 2): the checks the check plan
//! leaves out could not have failed, so every shipped mapping gives the
//! same bytes with and without the flag: output, rejects file and report,
//! on its shipped examples and on the benchmark's generated requests. (The
//! stored test cases are run both ways by the engine's check_plan tests.)

mod common;
use common::{fresh, mapwright, root, run};

use std::path::{Path, PathBuf};

/// What one run wrote: exit code, output, rejects, report, stderr summary.
#[derive(Debug, PartialEq)]
struct Written {
    code: i32,
    output: Vec<u8>,
    rejects: Vec<u8>,
    report: Vec<u8>,
    summary: String,
}

/// Run `convert` over `input` with `args`, into `dir`, with or without `--check-all`.
fn convert(dir: &Path, input: &Path, args: &[&str], check_all: bool) -> Written {
    let tag = if check_all { "all" } else { "plan" };
    let (out, rejects, report) = (
        dir.join(format!("out-{tag}")),
        dir.join(format!("rejects-{tag}.ndjson")),
        dir.join(format!("report-{tag}.json")),
    );
    let mut c = mapwright(&root());
    c.arg("convert").args(args).arg(input);
    c.arg("-o").arg(&out).arg("--rejects").arg(&rejects);
    c.arg("--report").arg(&report);
    if check_all {
        c.arg("--check-all");
    }
    let (code, _, err) = run(&mut c);
    let read = |p: &PathBuf| std::fs::read(p).unwrap_or_default();
    Written {
        code,
        output: read(&out),
        rejects: read(&rejects),
        report: read(&report),
        summary: err,
    }
}

/// Both ways give the same bytes; returns the run for further checks.
fn same_both_ways(name: &str, input: &Path, args: &[&str]) -> Written {
    let dir = fresh("check-all", name);
    let planned = convert(&dir, input, args, false);
    let full = convert(&dir, input, args, true);
    assert!(
        planned.code == 0 || planned.code == 1,
        "{name}: {}",
        planned.summary
    );
    assert!(!planned.output.is_empty(), "{name}: no output");
    assert_eq!(
        planned, full,
        "{name}: --check-all changed what was written"
    );
    planned
}

const SPECTRUM: [&str; 6] = [
    "-m",
    "mappings/oneserve-spectrum/order.yaml",
    "--param",
    "company_code=KM2",
    "--output-format",
    "ndjson",
];
const SYNERGETIC: [&str; 6] = [
    "-m",
    "mappings/oneserve-synergetic/order.yaml",
    "--param",
    "vendor_token=3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7",
    "--output-format",
    "xml",
];
const PRUVAN: [&str; 6] = [
    "-m",
    "mappings/oneserve-pruvan/create.yaml",
    "--param",
    "mode=external",
    "--output-format",
    "ndjson",
];

#[test]
fn shipped_examples_are_the_same_with_check_all() {
    let ex = |p: &str| root().join("mappings").join(p);
    same_both_ways(
        "spectrum-ndjson",
        &ex("oneserve-spectrum/examples/orders.ndjson"),
        &SPECTRUM,
    );
    same_both_ways(
        "spectrum-csv",
        &ex("oneserve-spectrum/examples/order-lines.csv"),
        &SPECTRUM,
    );
    for file in ["special-characters.json", "special-characters.xml"] {
        let input = ex(&format!("oneserve-synergetic/examples/{file}"));
        same_both_ways(&format!("synergetic-{file}"), &input, &SYNERGETIC);
    }
    for (m, events, params) in [
        ("primary-to-secondary", "primary-events", "primary-params"),
        (
            "secondary-to-primary",
            "secondary-events",
            "secondary-params",
        ),
    ] {
        let mapping = format!("mappings/o2o/{m}.yaml");
        let params = format!("mappings/o2o/examples/{params}.yaml");
        let args = [
            "-m",
            &mapping,
            "--params",
            &params,
            "--output-format",
            "ndjson",
        ];
        let w = same_both_ways(m, &ex(&format!("o2o/examples/{events}.ndjson")), &args);
        // The shipped expected actions, as a check that the run is the real one.
        let expected = std::fs::read(ex(&format!("o2o/examples/{events}.expected.ndjson")));
        assert_eq!(w.output, expected.unwrap(), "{m}");
    }
}

/// The benchmark's input (bench/gen): 2,000 generated requests through the
/// create mappings, with rejections among them (about 6% break a rule).
#[test]
fn generated_requests_are_the_same_with_check_all() {
    let dir = fresh("check-all", "generated");
    let mut bytes = Vec::new();
    mapwright_gen::write_ndjson(&mut bytes, 2000, mapwright_gen::DEFAULT_SEED).unwrap();
    let input = dir.join("orders-2000.ndjson");
    std::fs::write(&input, bytes).unwrap();
    let w = same_both_ways("generated-spectrum", &input, &SPECTRUM);
    assert_eq!(w.code, 1, "{}", w.summary);
    let rejected = w.rejects.iter().filter(|b| **b == b'\n').count();
    let accepted = w.output.iter().filter(|b| **b == b'\n').count();
    assert!(rejected > 50 && accepted > 1500, "{}", w.summary);
    assert_eq!(accepted + rejected, 2000);
    same_both_ways("generated-synergetic", &input, &SYNERGETIC);
    same_both_ways("generated-pruvan", &input, &PRUVAN);
}

/// The flag is part of convert's help, with what it is for.
#[test]
fn check_all_is_in_convert_help() {
    let (code, out, _) = run(mapwright(&root()).args(["convert", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("--check-all"), "{out}");
    assert!(out.contains("whole target schema"), "{out}");
}

/// Pruvan update's `shared-field-auto-admin-off` applies only with
/// Auto-Admin off (`when: = !params.auto_admin && ...`): on, it is left out
/// at prepare; off, it runs and refuses a shared field. Either way the
/// bytes are those of `--check-all`, which runs every rule.
#[test]
fn source_rules_that_never_apply_are_the_same_with_check_all() {
    let dir = fresh("check-all", "pruvan-update");
    let input = dir.join("changes.ndjson");
    let shared = r#"{"job":{"ref":"J1"},"change":{"status":"Order Late","fields":{"description":"New text"}}}"#;
    let owned = r#"{"job":{"ref":"J2"},"change":{"status":"Order Late","fields":{"clientDueDate":"2020-06-01T12:00:00Z"}}}"#;
    std::fs::write(&input, format!("{shared}\n{owned}\n")).unwrap();
    let args = |auto_admin: &'static str| {
        [
            "-m",
            "mappings/oneserve-pruvan/update.yaml",
            "--param",
            "mode=external",
            "--param",
            auto_admin,
            "--param",
            "status_by_job_status=",
            "--output-format",
            "ndjson",
        ]
    };
    let on = same_both_ways("pruvan-update-on", &input, &args("auto_admin=true"));
    assert_eq!(on.code, 0, "{}", on.summary);
    assert!(on.rejects.is_empty());
    let off = same_both_ways("pruvan-update-off", &input, &args("auto_admin=false"));
    let rejects = String::from_utf8(off.rejects).unwrap();
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
    assert!(rejects.contains("shared-field-auto-admin-off"), "{rejects}");
    assert!(rejects.contains("/change/fields/description"), "{rejects}");
    assert_eq!(off.output.iter().filter(|b| **b == b'\n').count(), 1);
}
