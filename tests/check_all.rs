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
    convert_in(&root(), dir, input, args, check_all)
}

/// [`convert`] in project folder `project`.
fn convert_in(project: &Path, dir: &Path, input: &Path, args: &[&str], check_all: bool) -> Written {
    let tag = if check_all { "all" } else { "plan" };
    let (out, rejects, report) = (
        dir.join(format!("out-{tag}")),
        dir.join(format!("rejects-{tag}.ndjson")),
        dir.join(format!("report-{tag}.json")),
    );
    let mut c = mapwright(project);
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

/// A project of two schemas, one mapping (`mappings/m.yaml`) and its
/// input: the plan must leave the default run as `--check-all` has it.
struct Project {
    source: &'static str,
    target: &'static str,
    mapping: &'static str,
    lookup: Option<&'static str>,
    input: &'static str,
}

impl Project {
    /// Both ways, the same bytes; the run.
    fn run_both_ways(&self, name: &str) -> Written {
        let dir = fresh("check-all", name);
        let schemas = dir.join("schemas/t");
        std::fs::create_dir_all(&schemas).unwrap();
        std::fs::create_dir_all(dir.join("mappings/lookups")).unwrap();
        std::fs::write(schemas.join("src.yaml"), self.source).unwrap();
        std::fs::write(schemas.join("dst.yaml"), self.target).unwrap();
        std::fs::write(dir.join("mappings/m.yaml"), self.mapping).unwrap();
        if let Some(rows) = self.lookup {
            std::fs::write(dir.join("mappings/lookups/v.csv"), rows).unwrap();
        }
        let input = dir.join("in.ndjson");
        std::fs::write(&input, self.input).unwrap();
        let args = ["-m", "mappings/m.yaml", "--output-format", "ndjson"];
        let planned = convert_in(&dir, &dir, &input, &args, false);
        let full = convert_in(&dir, &dir, &input, &args, true);
        assert_eq!(
            planned, full,
            "{name}: --check-all changed what was written"
        );
        planned
    }
}

fn rejected(w: &Written) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&w.rejects)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `truncate` cuts text; a cut date, code, GUID, number or bool string is
/// no longer one, so only a cut into text keeps its proof.
#[test]
fn a_cut_that_breaks_a_format_is_still_checked() {
    let w = Project {
        source: "schema: t.src\nrecord: src\ntypes:\n  src:\n    fields:\n      id: {type: text, required: true}\n      ts: {type: datetime, format: YYYY-MM-DD HHMI}\n      c: {type: code, codes: [ABC, ABD]}\n      g: {type: guid}\n      n: {type: decimal, min: 10}\n      b: {type: bool}\n",
        target: "schema: t.dst\nrecord: dst\ntypes:\n  dst:\n    fields:\n      id: {type: text, required: true}\n      ts: {type: datetime, format: YYYY-MM-DD HHMI, max_length: 10}\n      c: {type: code, codes: [ABC, ABD], max_length: 2}\n      g: {type: guid, max_length: 8}\n      n: {type: decimal, min: 10, max_length: 1}\n      b: {type: bool, max_length: 3}\n",
        mapping: "mapping: m\nsource: t.src\ntarget: t.dst\nrecord:\n  id: = id\n  ts: {expr: ts, truncate: 10}\n  c: {expr: c, truncate: 2}\n  g: {expr: g, truncate: 8}\n  n: {expr: n, truncate: 1}\n  b: {expr: b, truncate: 3}\n",
        lookup: None,
        input: "{\"id\":\"1\",\"ts\":\"2024-01-01 1200\"}\n{\"id\":\"2\",\"c\":\"ABC\"}\n{\"id\":\"3\",\"g\":\"3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7\"}\n{\"id\":\"4\",\"n\":\"15\"}\n{\"id\":\"5\",\"b\":\"false\"}\n",
    }
    .run_both_ways("cut-formats");
    assert_eq!(w.code, 1, "{}", w.summary);
    assert!(
        w.output.is_empty(),
        "{}",
        String::from_utf8_lossy(&w.output)
    );
    let rules: Vec<String> = rejected(&w)
        .iter()
        .map(|r| r["errors"][0]["rule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        rules,
        [
            "invalid-date",
            "unknown-code",
            "invalid-guid",
            "below-minimum",
            "invalid-bool"
        ]
    );
}

/// A cut can leave a required text field nothing but spaces.
#[test]
fn a_cut_that_leaves_a_required_field_blank_is_still_checked() {
    let w = Project {
        source: "schema: t.src\nrecord: src\ntypes:\n  src:\n    fields:\n      id: {type: text, required: true}\n      name: {type: text, required: true}\n",
        target: "schema: t.dst\nrecord: dst\ntypes:\n  dst:\n    fields:\n      id: {type: text, required: true}\n      Name: {type: text, required: true, max_length: 5}\n",
        mapping: "mapping: m\nsource: t.src\ntarget: t.dst\nrecord:\n  id: = id\n  Name: {expr: name, truncate: 5}\n",
        lookup: None,
        input: "{\"id\":\"1\",\"name\":\"      Smith\"}\n{\"id\":\"2\",\"name\":\"Jones-Smith\"}\n",
    }
    .run_both_ways("cut-blank");
    assert_eq!(
        String::from_utf8_lossy(&w.output),
        "{\"id\":\"2\",\"Name\":\"Jones\"}\n"
    );
    let rejects = rejected(&w);
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["errors"][0]["rule"], "required");
}

/// A lookup field whose key is missing fails the record and is left out;
/// the target check still runs, and a rule reading it reports.
#[test]
fn a_rule_over_a_failed_lookup_reports_as_with_check_all() {
    let w = Project {
        source: "schema: t.src\nrecord: src\ntypes:\n  src:\n    fields:\n      id: {type: text, required: true}\n      team: {type: text}\n",
        target: "schema: t.dst\nrecord: dst\ntypes:\n  dst:\n    fields:\n      id: {type: text, required: true}\n      Vendor: {type: text, max_length: 4}\n      Kind: {type: code, codes: [J, W]}\n    rules:\n      - id: warehouse-needs-vendor\n        when: Kind == \"W\" || Vendor != \"V1\"\n        assert: '!blank(Vendor) && Vendor.starts_with(\"V\")'\n        field: Kind\n        message: a warehouse order needs a vendor\n",
        mapping: "mapping: m\nsource: t.src\ntarget: t.dst\nlookups:\n  vend: {file: lookups/v.csv, key: team, value: vendor}\nrecord:\n  id: = id\n  Vendor:\n    lookup: vend\n    key: = team\n    rule: vendor-mapped\n    message: \"team '{{ team }}' has no vendor\"\n  Kind: W\n",
        lookup: Some("team,vendor\nA,V1\nB,V2\n"),
        input: "{\"id\":\"1\",\"team\":\"A\"}\n{\"id\":\"2\",\"team\":\"Z\"}\n",
    }
    .run_both_ways("failed-lookup");
    let rejects = rejected(&w);
    assert_eq!(rejects.len(), 1);
    let rules: Vec<&str> = rejects[0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["vendor-mapped", "warehouse-needs-vendor"]);
}

/// A list's `default:` items are not built by its `record:`, so the plan
/// made from the record proves nothing of them.
#[test]
fn a_list_default_is_checked_in_full() {
    let w = Project {
        source: "schema: t.src\nrecord: src\ntypes:\n  src:\n    fields:\n      id: {type: text, required: true}\n      lines: {type: list, of: line}\n  line:\n    fields:\n      sku: {type: text, max_length: 3}\n",
        target: "schema: t.dst\nrecord: dst\ntypes:\n  dst:\n    fields:\n      id: {type: text, required: true}\n      lines: {type: list, of: line}\n  line:\n    fields:\n      Kind: {type: code, codes: [N]}\n      Sku: {type: text, max_length: 3}\n    rules:\n      - id: kind-n\n        assert: Kind == \"N\"\n        field: Kind\n",
        mapping: "mapping: m\nsource: t.src\ntarget: t.dst\nrecord:\n  id: = id\n  lines:\n    for_each: lines\n    record:\n      Kind: N\n      Sku: = sku\n    default: [{Kind: X, Sku: TOOLONG}]\n",
        lookup: None,
        input: "{\"id\":\"1\",\"lines\":[{\"sku\":\"abc\"}]}\n{\"id\":\"2\",\"lines\":[]}\n{\"id\":\"3\"}\n",
    }
    .run_both_ways("list-default");
    assert_eq!(
        String::from_utf8_lossy(&w.output),
        "{\"id\":\"1\",\"lines\":[{\"Kind\":\"N\",\"Sku\":\"abc\"}]}\n"
    );
    assert_eq!(rejected(&w).len(), 2);
}

/// A required list is given when it is `[]` (`required` asks only that it
/// is there) yet blank to `blank()`; text joined to a blank literal can be
/// blank too, and then takes the field's default. Neither proves a rule.
#[test]
fn an_empty_list_and_a_blank_join_are_not_filled() {
    let w = Project {
        source: "schema: t.src\nrecord: src\ntypes:\n  src:\n    fields:\n      id: {type: text, required: true}\n      tags: {type: list, of: tag, required: true}\n      note: {type: text}\n  tag:\n    fields:\n      name: {type: text}\n",
        target: "schema: t.dst\nrecord: dst\ntypes:\n  dst:\n    fields:\n      id: {type: text, required: true}\n      tags: {type: list, of: tag}\n      Ref: {type: text}\n    rules:\n      - id: tags-given\n        assert: '!blank(tags)'\n        field: tags\n      - id: ref-spaced\n        assert: 'Ref.starts_with(\" \")'\n        field: Ref\n  tag:\n    fields:\n      name: {type: text}\n",
        mapping: "mapping: m\nsource: t.src\ntarget: t.dst\nrecord:\n  id: = id\n  tags: = tags\n  Ref: {expr: '\" \" + note', default: X}\n",
        lookup: None,
        input: "{\"id\":\"1\",\"tags\":[],\"note\":\"a\"}\n{\"id\":\"2\",\"tags\":[{\"name\":\"a\"}],\"note\":\"\"}\n{\"id\":\"3\",\"tags\":[{\"name\":\"a\"}],\"note\":\"b\"}\n",
    }
    .run_both_ways("empty-list-blank-join");
    assert_eq!(
        String::from_utf8_lossy(&w.output),
        "{\"id\":\"3\",\"tags\":[{\"name\":\"a\"}],\"Ref\":\" b\"}\n"
    );
    let rules: Vec<String> = rejected(&w)
        .iter()
        .map(|r| r["errors"][0]["rule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rules, ["tags-given", "ref-spaced"]);
}

/// The schema checks are not charged to the unit's operations budget, so a
/// unit whose mapping nearly spends it passes the same with `--check-all`,
/// which runs the rule the plan proves (a constant) and skips.
#[test]
fn a_proved_rule_costs_the_budget_nothing_either_way() {
    let w = Project {
        source: "schema: t.src\nrecord: src\ntypes:\n  src:\n    fields:\n      id: {type: text, required: true}\n",
        target: "schema: t.dst\nrecord: dst\ntypes:\n  dst:\n    fields:\n      id: {type: text, required: true}\n      Kind: {type: code, codes: [N]}\n    rules:\n      - id: kind-n\n        assert: Kind == \"N\" && Kind != \"X\" && Kind != \"Y\"\n        field: Kind\n",
        mapping: "mapping: m\nsource: t.src\ntarget: t.dst\nlimits: {operations: 3}\nrecord:\n  id: = id\n  Kind: N\n",
        lookup: None,
        input: "{\"id\":\"1\"}\n",
    }
    .run_both_ways("proved-rule-budget");
    assert_eq!(
        String::from_utf8_lossy(&w.output),
        "{\"id\":\"1\",\"Kind\":\"N\"}\n",
        "{}",
        String::from_utf8_lossy(&w.rejects)
    );
}
