//! Loading is checking: test files, empty runs, field modifiers, `where:`,
//! template budgets and number formats. Each test pins the diagnostic code
//! and line, or the reject and its rule.

mod common;
use common::root as repo;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use mapwright::json;
use mapwright::{Mapping, Outcome, Params, Registry};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// Run mapwright in `dir`; `check` and `test` print findings one per line
/// (`--message-format short`), the form these tests compare.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut args = args.to_vec();
    if matches!(args.first(), Some(&"check" | &"test")) {
        args.insert(1, "--message-format=short");
    }
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(dir)
        .args(&args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A small target schema: text, a number and a money field.
const SCHEMA: &str = "schema: t.out
format: json
record: out
types:
  out:
    fields:
      Id: {type: text, required: true}
      Comment: {type: text}
      Price: {type: money}
      Qty: {type: decimal}
      Price_Text: {type: text}
      Lines: {type: list, of: line}
  line:
    fields:
      Amount: {type: money}
";

/// A project folder with the schema and `mapping.yaml` holding `record`.
fn project(name: &str, record: &str) -> PathBuf {
    let dir = scratch(name);
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(
        &dir,
        "mapping.yaml",
        &format!("mapping: m\ntarget: t.out\nrecord:\n  Id: = id\n{record}"),
    );
    dir
}

fn load(dir: &Path) -> Result<Mapping, mapwright::Diagnostics> {
    let registry = Registry::with_dirs(vec![dir.join("schemas")]);
    Mapping::from_path_with(&dir.join("mapping.yaml"), &registry).map_err(|e| match e {
        mapwright::Error::Diagnostics(d) => d,
        other => panic!("findings, not {other}"),
    })
}

/// The (code, line) of every error of a mapping that must not load (these
/// test mappings have no `source:`, so each also has that warning).
fn load_errors(dir: &Path) -> Vec<(&'static str, u32, String)> {
    load(dir)
        .expect_err("the mapping must not load")
        .iter()
        .filter(|d| d.severity == mapwright::Severity::Error)
        .map(|d| (d.code, d.span.line, d.message.clone()))
        .collect()
}

// ---------------------------------------------------------------- test files

fn mapping_tests(dir: &Path, cases: &str) -> PathBuf {
    write(
        dir,
        "tests/m.yaml",
        &format!("mapping: ../mapping.yaml\ncases:\n{cases}"),
    )
}

#[test]
fn a_mistyped_test_key_is_unknown_key_with_did_you_mean() {
    let dir = project("mistyped-key", "");
    mapping_tests(
        &dir,
        "  - name: typo\n    input: {id: A}\n    output_include: {Id: B}\n",
    );
    let (code, out) = run(&dir, &["test", "tests/m.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("tests/m.yaml:5:5: error[unknown-key]: unknown key 'output_include' in a test case (did you mean 'output_includes'?)"),
        "{out}"
    );
    let (code, out) = run(&dir, &["check", "tests/m.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("tests/m.yaml:5:5: error[unknown-key]"),
        "{out}"
    );
}

#[test]
fn a_case_that_asserts_nothing_is_an_error() {
    let dir = project("asserts-nothing", "");
    mapping_tests(&dir, "  - name: nothing\n    input: {id: A}\n");
    let (code, out) = run(&dir, &["test", "tests/m.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(
            "tests/m.yaml:3:5: error[case-asserts-nothing]: case 'nothing' asserts nothing"
        ),
        "{out}"
    );
    // The same case with an assertion runs and passes.
    mapping_tests(
        &dir,
        "  - name: something\n    input: {id: A}\n    output: {Id: A}\n",
    );
    let (code, out) = run(&dir, &["test", "tests/m.yaml"]);
    assert_eq!((code, out.trim()), (0, "1 passed, 0 failed"));
}

#[test]
fn a_schema_case_without_errors_list_asserts_nothing() {
    let dir = project("schema-case", "");
    write(
        &dir,
        "tests/s.yaml",
        "schema: t.out\ncases:\n  - name: bare\n    payload: {Id: A}\n",
    );
    let (code, out) = run(&dir, &["check", "tests/s.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("tests/s.yaml:3:5: error[case-asserts-nothing]"),
        "{out}"
    );
}

#[test]
fn test_on_a_path_that_is_not_there_exits_2() {
    let dir = scratch("nosuch");
    let (code, out) = run(&dir, &["test", "nosuch.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        out.trim(),
        "nosuch.yaml: error[no-such-path]: no such file or folder"
    );
}

#[test]
fn check_and_test_in_an_empty_folder_exit_2_saying_where_they_looked() {
    let dir = scratch("empty");
    let here = dir.canonicalize().unwrap();
    for cmd in ["check", "test"] {
        let (code, out) = run(&dir, &[cmd]);
        assert_eq!(code, 2, "{cmd}: {out}");
        assert!(out.contains("error[nothing-found]"), "{cmd}: {out}");
        assert!(out.contains(&here.display().to_string()), "{cmd}: {out}");
    }
    // An empty folder named on the command line: the message names it.
    std::fs::create_dir_all(dir.join("mappings")).unwrap();
    let (code, out) = run(&dir, &["test", "mappings"]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        out.trim(),
        "error[nothing-found]: no test file (a .yaml file with a top-level `cases:`) in mappings"
    );
    let (code, out) = run(&dir, &["check"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("error[nothing-found]: no schema, mapping or test file"),
        "{out}"
    );
    assert!(out.contains("in mappings"), "{out}");
}

#[test]
fn a_test_file_with_a_yaml_error_is_never_skipped() {
    let dir = project("yaml-error", "");
    write(
        &dir,
        "tests/m.yaml",
        "mapping: ../mapping.yaml\ncases:\n  - name: a\n    input: {id: A\n    output: {Id: A}\n",
    );
    for cmd in ["check", "test"] {
        let (code, out) = run(&dir, &[cmd, "tests/m.yaml"]);
        assert_eq!(code, 2, "{cmd}: {out}");
        assert!(out.contains("tests/m.yaml:"), "{cmd}: {out}");
        assert!(out.contains("error[yaml]"), "{cmd}: {out}");
    }
}

// ---------------------------------------------------------------- modifiers and where

#[test]
fn round_two_is_a_load_error() {
    let dir = project("round-two", "  Price: {expr: = price, round: two}\n");
    assert_eq!(
        load_errors(&dir),
        vec![(
            "bad-modifier",
            5,
            "`round` must be a whole number from 0 to 28, found text 'two'".to_string()
        )]
    );
}

#[test]
fn round_minus_one_is_a_load_error() {
    let dir = project("round-neg", "  Price: {expr: = price, round: -1}\n");
    assert_eq!(
        load_errors(&dir),
        vec![(
            "bad-modifier",
            5,
            "`round` must be a whole number from 0 to 28, found -1".to_string()
        )]
    );
}

#[test]
fn truncate_minus_one_is_a_load_error() {
    let dir = project("truncate-neg", "  Comment: {expr: = note, truncate: -1}\n");
    assert_eq!(
        load_errors(&dir),
        vec![(
            "bad-modifier",
            5,
            "`truncate` must be a whole number at least 1, found -1".to_string()
        )]
    );
}

#[test]
fn as_numbr_is_unknown_value_with_did_you_mean() {
    let dir = project("as-numbr", "  Qty: {expr: = qty, as: numbr}\n");
    assert_eq!(
        load_errors(&dir),
        vec![(
            "unknown-value",
            5,
            "`as` must be number, integer, bool or text, found 'numbr'".to_string()
        )]
    );
    // The did-you-mean is the help line, apart from the message.
    let diags = load(&dir).expect_err("the mapping must not load");
    let d = diags.iter().find(|d| d.code == "unknown-value").unwrap();
    assert_eq!(d.help.as_deref(), Some("did you mean 'number'?"));
}

#[test]
fn a_where_that_compiles_is_applied_as_written() {
    // `!(let y = s; ...)` does not compile; the condition is no longer
    // rewritten, so the where holds as written instead of being dropped.
    let dir = scratch("where");
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    // Issue 10: `where: = let y = s; y == "zzz"` was silently ignored. The
    // language has no statements, so it is an error at its line.
    write(
        &dir,
        "mapping.yaml",
        "mapping: m\ntarget: t.out\nwhere: = let y = s; y == \"zzz\"\nrecord:\n  Id: = id\n",
    );
    let d = load(&dir).expect_err("a where that does not compile must not load");
    let found: Vec<(&str, u32)> = d
        .iter()
        .filter(|d| d.severity == mapwright::Severity::Error)
        .map(|d| (d.code, d.span.line))
        .collect();
    assert_eq!(found, vec![("expr-syntax", 3)], "{d}");
    // One that compiles is applied as written: true keeps, false skips.
    write(
        &dir,
        "mapping.yaml",
        "mapping: m\ntarget: t.out\nwhere: = s == \"zzz\"\nrecord:\n  Id: = id\n",
    );
    let m = load(&dir).unwrap_or_else(|d| panic!("{d}"));
    let params = Params::default();
    let kept = m
        .transform(&json!({"id": "A", "s": "zzz"}), &params)
        .unwrap();
    assert!(matches!(kept, Outcome::Accepted { .. }), "{kept:?}");
    let set_aside = m.transform(&json!({"id": "B", "s": "a"}), &params).unwrap();
    assert!(
        matches!(&set_aside, Outcome::Skipped(r) if r == "where s == \"zzz\" is false"),
        "{set_aside:?}"
    );
}

// ---------------------------------------------------------------- template budgets

/// A mapping whose `Comment` template runs `bomb` only for the record that
/// asks for it; the outcomes of three records, the bomb in the middle.
fn three_records_through(name: &str, bomb: &str) -> Vec<Outcome> {
    let dir = project(
        name,
        &format!("  Comment: {{template: '{{% if go %}}{bomb}{{% else %}}fine{{% endif %}}'}}\n"),
    );
    let m = load(&dir).unwrap_or_else(|d| panic!("{d}"));
    let prepared = m.prepare(&Params::default()).unwrap();
    [
        json!({"id": "A"}),
        json!({"id": "B", "go": true}),
        json!({"id": "C"}),
    ]
    .iter()
    .map(|r| prepared.transform(r))
    .collect()
}

fn assert_budget_trips(outcomes: &[Outcome], message: &str) {
    assert_eq!(outcomes.len(), 3);
    for (i, id) in [(0, "A"), (2, "C")] {
        match &outcomes[i] {
            Outcome::Accepted { record, .. } => {
                assert_eq!(record, &json!({"Id": id, "Comment": "fine"}))
            }
            other => panic!("record {id}: {other:?}"),
        }
    }
    match &outcomes[1] {
        Outcome::Rejected(errors) => {
            let found: Vec<(&str, &str, &str)> = errors
                .iter()
                .map(|e| (e.rule.as_str(), e.path.as_str(), e.message.as_str()))
                .collect();
            assert_eq!(found, vec![("budget", "/Comment", message)]);
        }
        other => panic!("the bomb: {other:?}"),
    }
}

#[test]
fn a_nested_range_trips_the_fuel_limit_and_the_batch_goes_on() {
    let outcomes = three_records_through(
        "bomb-range",
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
    );
    assert_budget_trips(
        &outcomes,
        "Comment: template stopped: fuel limit 100000 reached",
    );
}

/// An exponential macro, and every other way a template could double a
/// value within its fuel (minijinja joins two values in one instruction),
/// is refused at load: `bad-template` on the template's line.
#[test]
fn templates_that_could_double_a_value_are_refused_at_load() {
    for (name, bomb, why) in [
        (
            "bomb-macro",
            "{% macro m(n) %}{% if n > 0 %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}x{% endmacro %}{{ m(60) }}",
            "a template cannot define a macro",
        ),
        (
            "bomb-namespace",
            "{% set ns = namespace(s=id) %}{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            "a template cannot call namespace()",
        ),
        (
            "bomb-sets",
            "{% set s = id %}{% set s = s ~ s %}{% set s = s ~ s %}{{ s|length }}",
            "'s' is a value the template bound, joined",
        ),
        (
            "bomb-capture",
            "{% set s %}{{ id }}{{ id }}{% endset %}{{ s }}",
            "a template cannot capture a block",
        ),
    ] {
        let dir = project(name, &format!("  Comment: {{template: '{bomb}'}}\n"));
        let errors = load_errors(&dir);
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        let (code, line, message) = &errors[0];
        assert_eq!((*code, *line), ("bad-template", 5), "{name}");
        assert!(
            message.starts_with("the template is refused: ") && message.contains(why),
            "{name}: {message}"
        );
    }
}

#[test]
fn a_huge_indent_trips_the_output_limit_before_it_is_built() {
    let outcomes = three_records_through("bomb-indent", "{{ \"x\\ny\" | indent(1000000000) }}");
    assert_budget_trips(
        &outcomes,
        "Comment: template stopped: indent could build 2000000003 bytes, over the output limit 1048576 bytes",
    );
}

#[test]
fn template_limits_are_settable() {
    let dir = project(
        "limits",
        "  Comment: {template: '{% for a in range(100) %}ab{% endfor %}'}\n",
    );
    let mut m = load(&dir).unwrap();
    assert_eq!(
        m.template_limits(),
        mapwright::TemplateLimits {
            fuel: 100_000,
            max_output: 1 << 20
        }
    );
    m.set_template_limits(mapwright::TemplateLimits {
        fuel: 100_000,
        max_output: 150,
    });
    match m
        .transform(&json!({"id": "A"}), &Params::default())
        .unwrap()
    {
        Outcome::Rejected(e) => assert_eq!(
            (e[0].rule.as_str(), e[0].message.as_str()),
            (
                "budget",
                "Comment: template stopped: output limit 150 bytes reached"
            )
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_template_that_does_not_compile_is_an_error_at_its_line() {
    let dir = project("bad-template", "  Comment: {template: '{% for a in %}'}\n");
    let found: Vec<(&str, u32)> = load_errors(&dir)
        .into_iter()
        .map(|(c, l, _)| (c, l))
        .collect();
    assert_eq!(found, vec![("bad-template", 5)]);
}

// ---------------------------------------------------------------- number formats

const PRICED: &str = "  Price: {expr: = price, format: \"0.00\"}
  Qty: {expr: = qty, format: \"0.000\"}
  Price_Text: {expr: = price, format: \"0.00\"}
  Lines: {for_each: = lines, record: {Amount: {expr: = a, format: \"0.00\"}}}
";

const PRICED_INPUT: &str =
    "{\"id\":\"A\",\"price\":60,\"qty\":1.5,\"lines\":[{\"a\":2.005},{\"a\":7}]}
{\"id\":\"B\",\"price\":\"12.345\",\"qty\":2,\"lines\":[]}
";

#[test]
fn a_number_format_writes_json_numbers_with_their_places() {
    let dir = project("number-json", PRICED);
    write(&dir, "in.ndjson", PRICED_INPUT);
    let (code, out) = run(
        &dir,
        &[
            "convert",
            "-m",
            "mapping.yaml",
            "in.ndjson",
            "--output-format",
            "ndjson",
            "-o",
            "out.ndjson",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("out.ndjson")).unwrap(),
        "{\"Id\":\"A\",\"Price\":60.00,\"Qty\":1.500,\"Price_Text\":\"60.00\",\"Lines\":[{\"Amount\":2.01},{\"Amount\":7.00}]}\n\
         {\"Id\":\"B\",\"Price\":12.35,\"Qty\":2.000,\"Price_Text\":\"12.35\",\"Lines\":[]}\n"
    );
    // The record itself holds numbers (what the target checks see), rounded
    // half away from zero; a text target holds the text.
    let m = load(&dir).unwrap();
    match m
        .transform(
            &json!({"id": "A", "price": 0.125, "qty": 1, "lines": []}),
            &Params::default(),
        )
        .unwrap()
    {
        Outcome::Accepted { record, .. } => {
            assert_eq!(record["Price"], json!(0.13));
            assert_eq!(record["Price_Text"], json!("0.13"));
        }
        other => panic!("{other:?}"),
    }
}

const XML_SCHEMA: &str = "schema: t.order
format: xml
root: Order
record: order
types:
  order:
    fields:
      Total: {type: money}
      Note: {type: text}
      Lines: {type: list, of: line, xml: {wrapper: Lines, item: Line}}
  line:
    fields:
      Amount: {type: money, xml: attribute}
";

#[test]
fn a_number_format_writes_xml_text_with_its_places() {
    let dir = scratch("number-xml");
    write(&dir, "schemas/t/order.yaml", XML_SCHEMA);
    write(
        &dir,
        "mapping.yaml",
        "mapping: m\ntarget: t.order\nrecord:\n  Total: {expr: = total, format: \"0.00\"}\n  Note: {expr: = total, format: \"0.0\"}\n  Lines: {for_each: = lines, record: {Amount: {expr: = a, format: \"0.000\"}}}\n",
    );
    write(
        &dir,
        "in.ndjson",
        "{\"total\":6.3901,\"lines\":[{\"a\":80},{\"a\":0.3}]}\n",
    );
    let (code, out) = run(
        &dir,
        &[
            "convert",
            "-m",
            "mapping.yaml",
            "in.ndjson",
            "--output-format",
            "xml",
            "--batch-size",
            "1",
            "-o",
            "out.xml",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("out.xml")).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Order><Total>6.39</Total><Note>6.4</Note><Lines><Line Amount=\"80.000\"/><Line Amount=\"0.300\"/></Lines></Order>\n"
    );
}

#[test]
fn bad_number_formats_are_load_errors() {
    for (spec, line_message) in [
        (
            "  Price: {expr: = price, format: 0.00}\n",
            "`format` must be text: write a number pattern in quotes (format: \"0.00\"), found a number 0.0",
        ),
        (
            "  Price: {expr: = price, format: \"0.0#\"}\n",
            "'0.0#' is not a number pattern: write 0 and the places as zeros, as in \"0.00\" (at most 28 places)",
        ),
        (
            "  Price: {expr: = price, format: \"0.00000\"}\n",
            "'Price' takes at most 4 places, and format \"0.00000\" writes 5",
        ),
    ] {
        let dir = project("bad-number-format", spec);
        assert_eq!(
            load_errors(&dir),
            vec![("bad-number-format", 5, line_message.to_string())],
            "{spec}"
        );
    }
}

#[test]
fn the_shipped_spectrum_mapping_writes_item_price_with_two_places() {
    let out = scratch("spectrum-places").join("out.ndjson");
    let (code, msg) = run(
        &repo(),
        &[
            "convert",
            "-m",
            "mappings/oneserve-spectrum/order.yaml",
            "mappings/oneserve-spectrum/tests/design-example.json",
            "--param",
            "company_code=KM2",
            "--output-format",
            "ndjson",
            "-o",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{msg}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("\"Item_Price\":60.00,"), "{text}");
}

#[test]
fn check_resolves_the_schema_a_test_file_names() {
    let dir = project("test-schema-name", "");
    write(
        &dir,
        "tests/s.yaml",
        "schema: t.outt\ncases:\n  - name: clean\n    payload: {Id: A}\n    errors: []\n",
    );
    for cmd in ["check", "test"] {
        let (code, out) = run(&dir, &[cmd, "tests/s.yaml"]);
        assert_eq!(code, 2, "{cmd}: {out}");
        assert!(
            out.contains("tests/s.yaml:1:9: error[unknown-schema]: no schema 't.outt'"),
            "{cmd}: {out}"
        );
    }
}

/// Review of issue 10: `params: {compnay_code: X}` in a test file failed
/// every case at run time instead of being a file error with its place.
#[test]
fn an_undeclared_param_in_a_test_file_is_a_file_error() {
    let dir = project("test-params", "");
    write(
        &dir,
        "mapping.yaml",
        "mapping: m\ntarget: t.out\nparams:\n  company: {type: text, default: A}\nrecord:\n  Id: = id\n",
    );
    write(
        &dir,
        "tests/m.yaml",
        "mapping: ../mapping.yaml\nparams: {compny: B}\ncases:\n  - name: a\n    input: {id: A}\n    output: {Id: A}\n",
    );
    for cmd in ["check", "test"] {
        let (code, out) = run(&dir, &[cmd, "tests/m.yaml"]);
        assert_eq!(code, 2, "{cmd}: {out}");
        assert!(
            out.contains("tests/m.yaml:2:10: error[unknown-param]: the mapping declares no param 'compny'; it takes: company (did you mean 'company'?)"),
            "{cmd}: {out}"
        );
    }
}

/// A folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    common::fresh("loading", name)
}

/// Review of issue 10: a misspelt `severity:` in a mapping's rule (or a
/// rules_from file) passed check, and the rule then rejected every record.
#[test]
fn a_misspelt_rule_severity_is_an_unknown_value_on_its_line() {
    for bad in ["warnig", "fatal", "42"] {
        let dir = scratch(&format!("severity-{bad}"));
        write(&dir, "schemas/t/out.yaml", SCHEMA);
        write(
            &dir,
            "mapping.yaml",
            &format!("mapping: m\ntarget: t.out\nrules:\n  - id: x\n    severity: {bad}\n    assert: id != \"nope\"\nrecord:\n  Id: = id\n"),
        );
        let errors = load_errors(&dir);
        assert_eq!(
            errors,
            vec![(
                "unknown-value",
                5,
                format!("severity '{bad}' must be error or warning")
            )],
            "{bad}"
        );
    }
    let dir = scratch("severity-warning");
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(
        &dir,
        "mapping.yaml",
        "mapping: m\ntarget: t.out\nrules:\n  - id: x\n    severity: warning\n    assert: id != \"nope\"\nrecord:\n  Id: = id\n",
    );
    assert!(load(&dir).is_ok());
}

/// Review of issue 10: twenty descendant steps over a record nested 41
/// deep ran for minutes and 4 GB; a path may hold one.
#[test]
fn a_jsonpath_with_two_descendant_steps_is_refused_at_load() {
    let dir = project("descendants", "  Comment: \"$..a..a\"\n");
    let errors = load_errors(&dir);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (code, line, message) = &errors[0];
    assert_eq!((*code, *line), ("bad-path", 5));
    assert!(message.contains("it has 2 descendant steps"), "{message}");
    let one = project("descendant", "  Comment: \"$..a\"\n");
    assert!(load(&one).is_ok());
}

/// The front door as a user's crate sees it: every type a public signature
/// returns can be named from the crate root (this file does not compile
/// otherwise), and every failure is one `mapwright::Error`.
mod front_door {
    use super::repo;
    use mapwright::{
        CaseResult, CheckRun, Counts, Error, InputRef, LoadOptions, Mapping, Origin, Project,
        RawLines, Registry, RejectedInput, Rejection, Report, Skip, Span, TestFileRun, Warning,
    };
    use std::error::Error as _;

    /// Named types, so that a type falling out of the re-exports breaks the build.
    #[allow(dead_code)]
    fn names(report: &Report, case: &CaseResult, span: &Span) {
        let _: &Counts = &report.counts;
        let _: &[Rejection] = &report.rejections;
        let _: &[Skip] = &report.skips;
        let _: &[Warning] = &report.warnings;
        let r: Option<&Rejection> = report.rejections.first();
        let _: Option<&[InputRef]> = r.map(|r| r.input.as_slice());
        let _: Option<&RejectedInput> = r.map(|r| &r.source);
        let _: Option<&[RawLines]> = r.map(|r| r.raw.as_slice());
        let _ = (case, span);
    }

    #[test]
    fn a_project_check_and_test_run_are_named_types() {
        let project = Project::find(&[repo().join("mappings/oneserve-spectrum")]).unwrap();
        let options = LoadOptions::default();
        let run: CheckRun = project.check(&options).unwrap();
        assert_eq!(
            run.count(mapwright::Severity::Error),
            0,
            "{}",
            run.diagnostics
        );
        let tests: Vec<TestFileRun> = project.test(&options).unwrap();
        let (file, cases) = &tests[0];
        assert!(file.ends_with("order.yaml"), "{}", file.display());
        let cases: &Vec<CaseResult> = cases.as_ref().unwrap();
        assert!(!cases.is_empty());
    }

    #[test]
    fn an_unknown_schema_is_an_error_holding_its_diagnostic() {
        let registry = Registry::discover(&repo());
        let e: Error = registry.load("acme.ordrs").unwrap_err();
        let d = e.diagnostics().expect("findings");
        assert_eq!(d.iter().next().unwrap().code, "unknown-schema");
        assert_eq!(e.source().unwrap().to_string(), e.to_string());
        let (_, origin): (String, Origin) = registry.list().into_iter().next().unwrap();
        assert!(matches!(origin, Origin::File(_) | Origin::BuiltIn(_)));
    }

    #[test]
    fn an_unknown_explain_field_and_bad_json_are_errors_too() {
        let m = Mapping::from_path(&repo().join("mappings/oneserve-spectrum/order.yaml")).unwrap();
        match m.explain_fields("/Vendor_Cade") {
            Err(Error::UnknownField { field, near }) => {
                assert_eq!(field, "/Vendor_Cade");
                assert_eq!(near.as_deref(), Some("/Vendor_Code"));
            }
            other => panic!("an unknown field is an error, not {other:?}"),
        }
        let e = mapwright::parse_json("rec.json", b"{\"a\": ").unwrap_err();
        assert!(matches!(e, Error::Malformed(ref name, _) if name == "rec.json"));
        assert!(
            e.source().unwrap().to_string().contains("not valid JSON"),
            "{e}"
        );
    }
}

/// Review of issue 13: `omit_blank: yes` (text, with YAML's strict
/// booleans) was taken as false without a word.
#[test]
fn omit_blank_takes_true_or_false_only() {
    for bad in ["yes", "\"no\"", "1"] {
        let dir = project(
            &format!("omit-{}", bad.trim_matches('"')),
            &format!("  Comment: {{expr: id, omit_blank: {bad}}}\n"),
        );
        let errors = load_errors(&dir);
        assert_eq!(
            errors,
            vec![(
                "wrong-shape",
                5,
                "omit_blank of 'Comment' takes true or false".to_string()
            )],
            "{bad}"
        );
    }
    let dir = project("omit-true", "  Comment: {expr: id, omit_blank: true}\n");
    assert!(load(&dir).is_ok());
}

/// Review of issue 13: a `type: map` param whose default is badly written
/// passed check, and every run then stopped before its first record.
#[test]
fn a_map_param_with_a_badly_written_default_is_a_load_error_on_its_line() {
    let dir = scratch("map-default");
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(
        &dir,
        "mapping.yaml",
        "mapping: m\ntarget: t.out\nparams:\n  status_by_priority:\n    type: map\n    default: \"P1:rush\"\nrecord:\n  Id: = id\n",
    );
    let errors = load_errors(&dir);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (code, line, message) = &errors[0];
    assert_eq!((*code, *line), ("wrong-shape", 6));
    assert!(
        message.starts_with("param 'status_by_priority' has a default that is no map: "),
        "{message}"
    );
    write(
        &dir,
        "mapping.yaml",
        "mapping: m\ntarget: t.out\nparams:\n  status_by_priority:\n    type: map\n    default: \"P1=rush,P2=rework\"\nrecord:\n  Id: = id\n",
    );
    assert!(load(&dir).is_ok());
}

/// Review of issue 13: a param's default that its own type refuses stopped
/// nothing at load (and every run that did not give the param used it).
#[test]
fn a_param_default_its_type_refuses_is_wrong_shape_at_the_default() {
    let dir = common::demo_project("loading", "param-default");
    std::fs::write(
        dir.join("m.yaml"),
        format!("mapping: rows\ntarget: demo.row\nparams:\n  count: {{type: integer, default: abc}}\n  flag: {{type: bool, default: true}}\n{}", common::DEMO_RECORD),
    )
    .unwrap();
    let (code, out, _) =
        common::run(common::mapwright(&dir).args(["check", "--message-format=short", "m.yaml"]));
    assert_eq!(code, 2, "{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.contains("error[")).collect();
    assert_eq!(
        errors,
        ["m.yaml:4:35: error[wrong-shape]: param 'count' has default \"abc\", which is not a whole number"]
    );
}
