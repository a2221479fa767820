//! Test files that inherit (`extends:` in a mapping test file), end to end
//! through the binary: a base test file's cases run against the overlay's
//! mapping, with the base's params under the file's own; a case of the same
//! name replaces a base case, `{name: X, remove: true}` drops one; the files
//! a base case names are read beside the base test file; every finding
//! names the layer file and line it comes from (issue 13, item 1).

mod common;

use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// Run mapwright in `dir`: (exit code, stdout + stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let (code, out, err) = common::run(common::mapwright(dir).args(args));
    (code, format!("{out}{err}"))
}

const SCHEMA: &str = "schema: t.out
format: json
record: out
types:
  out:
    fields:
      Id: {type: text, required: true}
      Code: {type: text}
      Note: {type: text}
";

const BASE_MAPPING: &str = r#"mapping: base
target: t.out
params:
  prefix: {type: text, default: "B-"}
  mark: {type: text, default: ""}
record:
  Id: = params.prefix + id
  Code: = code + params.mark
  Note: = note
"#;

/// The overlay changes Code only.
const OVER_MAPPING: &str =
    "mapping: over\nextends: ../base.yaml\nrecord:\n  Code: = \"X-\" + code\n";

/// The base's tests: two params for every case, four named cases, the
/// last reading `rec.json` beside this file.
const BASE_TESTS: &str = r#"mapping: ../base.yaml
params: {prefix: "P-", mark: "!"}
cases:
  - name: the id gets the prefix
    input: {id: "1", code: a, note: n}
    output_includes: {Id: P-1}
  - name: the code is copied
    input: {id: "1", code: a, note: n}
    output_includes: {Code: a!}
  - name: the note is copied
    input: {id: "1", code: a, note: n}
    output_includes: {Note: n}
  - name: a record from a file
    file: rec.json
    output_includes: {Note: beside the base tests}
"#;

/// A project: schema, `mappings/demo/base.yaml` with `tests/base.yaml`
/// (and `tests/rec.json`), the overlay `mappings/demo/custom/over.yaml` with
/// `custom/tests/rec.json` (a different note, so a case that read it would
/// fail) and its test file `custom/tests/over.yaml`, extending the base's,
/// with `cases` as its cases.
fn project(name: &str, cases: &str) -> PathBuf {
    let dir = common::fresh("test_inheritance", name);
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(&dir, "mappings/demo/base.yaml", BASE_MAPPING);
    write(&dir, "mappings/demo/tests/base.yaml", BASE_TESTS);
    write(
        &dir,
        "mappings/demo/tests/rec.json",
        r#"{"id": "2", "code": "b", "note": "beside the base tests"}"#,
    );
    write(&dir, "mappings/demo/custom/over.yaml", OVER_MAPPING);
    write(
        &dir,
        "mappings/demo/custom/tests/rec.json",
        r#"{"id": "2", "code": "b", "note": "beside the overlay's tests"}"#,
    );
    write(
        &dir,
        OVER_TESTS,
        &format!("mapping: ../over.yaml\nextends: ../../tests/base.yaml\ncases:\n{cases}"),
    );
    dir
}

const OVER_TESTS: &str = "mappings/demo/custom/tests/over.yaml";

fn test(dir: &Path) -> (i32, String) {
    run(dir, &["test", OVER_TESTS])
}

/// The `FAIL` lines of a test report.
fn fails(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("FAIL ")).collect()
}

#[test]
fn inherited_cases_run_against_the_overlay_and_the_changed_one_fails_where_it_is_written() {
    let dir = project("inherited", "  []\n");
    let (code, out) = test(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("3 passed, 1 failed\n"), "{out}");
    // The overlay's Code is X-a (the base's mark param no longer reaches it).
    assert_eq!(
        fails(&out),
        [
            "FAIL mappings/demo/custom/tests/over.yaml: the code is copied (inherited from mappings/demo/tests/base.yaml:7)"
        ],
        "{out}"
    );
    assert!(out.contains("/Code: expected \"a!\", got \"X-a\""), "{out}");
    // The base's own suite still passes against the base.
    let (code, out) = run(&dir, &["test", "mappings/demo/tests/base.yaml"]);
    assert_eq!((code, out.as_str()), (0, "4 passed, 0 failed\n"));
}

#[test]
fn a_case_of_the_same_name_replaces_the_base_s_in_place() {
    let cases = "  - name: the code is copied
    input: {id: \"1\", code: a, note: n}
    output_includes: {Code: X-a}
  - name: the overlay's own case
    input: {id: \"7\", code: c, note: n}
    output: {Id: P-7, Code: X-c, Note: n}
";
    let dir = project("replace", cases);
    let (code, out) = test(&dir);
    assert_eq!((code, out.as_str()), (0, "5 passed, 0 failed\n"));
    // The replacement runs in the base case's place: make it fail and see.
    let failing = cases.replace("{Code: X-a}", "{Code: Y-a}");
    write(
        &dir,
        OVER_TESTS,
        &format!("mapping: ../over.yaml\nextends: ../../tests/base.yaml\ncases:\n{failing}"),
    );
    let (code, out) = test(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("4 passed, 1 failed\n"), "{out}");
    // Written in the overlay's file, so not "inherited".
    assert_eq!(
        fails(&out),
        ["FAIL mappings/demo/custom/tests/over.yaml: the code is copied"],
        "{out}"
    );
}

#[test]
fn remove_true_drops_a_base_case() {
    let dir = project("remove", "  - {name: the code is copied, remove: true}\n");
    let (code, out) = test(&dir);
    assert_eq!((code, out.as_str()), (0, "3 passed, 0 failed\n"));
}

#[test]
fn removing_a_case_the_base_does_not_have_is_an_error_on_its_line_with_did_you_mean() {
    let dir = project(
        "unknown",
        "  - name: the note is copied\n    input: {id: \"1\", code: a, note: n}\n    output_includes: {Note: n}\n  - {name: the code is coppied, remove: true}\n",
    );
    for command in ["check", "test"] {
        let (code, out) = run(&dir, &[command, "--message-format=short", OVER_TESTS]);
        assert_eq!(code, 2, "{command}: {out}");
        assert!(
            out.contains("mappings/demo/custom/tests/over.yaml:7:12: error[unknown-case]: remove: the base test file mappings/demo/tests/base.yaml (with its own bases) has no case 'the code is coppied' (did you mean 'the code is copied'?)"),
            "{command}: {out}"
        );
        // A file problem: no case runs.
        let tail = match command {
            "check" => "checked 1 file(s): 1 error(s), 0 warning(s)\n",
            _ => "0 passed, 0 failed\n",
        };
        assert!(out.ends_with(tail), "{command}: {out}");
    }
}

#[test]
fn a_case_name_used_twice_in_a_file_is_an_error_at_the_second() {
    let dir = project(
        "duplicate",
        "  - name: twice\n    input: {id: \"1\", code: a, note: n}\n    output_includes: {Note: n}\n  - name: twice\n    input: {id: \"1\", code: a, note: n}\n    output_includes: {Id: P-1}\n",
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", OVER_TESTS]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/custom/tests/over.yaml:7:11: error[duplicate-case]: a case named 'twice' is already at line 4"),
        "{out}"
    );
}

#[test]
fn a_cycle_of_test_files_is_an_error_at_the_extends_that_closes_it() {
    let dir = project("cycle", "  []\n");
    // The base now extends the overlay's tests: base -> over -> base.
    write(
        &dir,
        "mappings/demo/tests/base.yaml",
        &BASE_TESTS.replace(
            "mapping: ../base.yaml\n",
            "mapping: ../base.yaml\nextends: ../custom/tests/over.yaml\n",
        ),
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", OVER_TESTS]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/tests/base.yaml:2:10: error[extends-cycle]: extends: '../custom/tests/over.yaml' leads back to itself: mappings/demo/custom/tests/over.yaml -> mappings/demo/tests/base.yaml -> mappings/demo/custom/tests/over.yaml"),
        "{out}"
    );
    let (code, out) = test(&dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.ends_with("0 passed, 0 failed\n"), "{out}");
}

#[test]
fn a_chain_runs_every_layer_s_cases_with_the_params_merged_in_order() {
    let dir = project(
        "chain",
        "  - {name: the id gets the prefix, remove: true}\n",
    );
    // An environment layer on the customer's tests: its prefix wins over
    // the base's, and it replaces a case the customer inherited.
    write(
        &dir,
        "mappings/demo/env/tests/env.yaml",
        "mapping: ../../custom/over.yaml\nextends: ../../custom/tests/over.yaml\nparams: {prefix: \"E-\"}\ncases:\n  - name: the environment's prefix\n    input: {id: \"3\", code: a, note: n}\n    output_includes: {Id: E-3}\n  - name: the code is copied\n    input: {id: \"1\", code: a, note: n}\n    output_includes: {Code: X-a}\n",
    );
    let (code, out) = run(&dir, &["test", "mappings/demo/env/tests/env.yaml"]);
    // note, file, code (replaced), prefix: the id case was removed a layer down.
    assert_eq!((code, out.as_str()), (0, "4 passed, 0 failed\n"));
}

#[test]
fn a_base_case_s_file_is_read_beside_the_base_test_file() {
    let dir = project("files", "  []\n");
    let (code, out) = test(&dir);
    // "a record from a file" reads mappings/demo/tests/rec.json, whose note
    // it expects, and passes; the overlay's folder holds a rec.json with
    // another note. Only the code case (the overlay's change) fails.
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("3 passed, 1 failed\n"), "{out}");
    assert_eq!(fails(&out).len(), 1, "{out}");
    assert!(!out.contains("a record from a file"), "{out}");
    // And when the base's own file is gone, the base file is wrong, at its line.
    std::fs::remove_file(dir.join("mappings/demo/tests/rec.json")).unwrap();
    let (code, out) = run(&dir, &["check", "--message-format=short", OVER_TESTS]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/tests/base.yaml:14:11: error[missing-file]: no file 'rec.json' beside mappings/demo/tests/base.yaml"),
        "{out}"
    );
}

#[test]
fn a_base_param_the_overlay_s_mapping_does_not_declare_is_an_error_in_the_base() {
    let dir = project("param", "  []\n");
    write(
        &dir,
        "mappings/demo/tests/base.yaml",
        &BASE_TESTS.replace("mark: \"!\"}", "mark: \"!\", colour: red}"),
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", OVER_TESTS]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/tests/base.yaml:2:35: error[unknown-param]: the mapping declares no param 'colour'"),
        "{out}"
    );
}

#[test]
fn remove_without_a_base_and_a_base_that_is_no_mapping_test_file_are_errors() {
    let dir = project("no-base", "  []\n");
    write(
        &dir,
        "mappings/demo/tests/lone.yaml",
        "mapping: ../base.yaml\ncases:\n  - {name: x, remove: true}\n",
    );
    let (code, out) = run(
        &dir,
        &[
            "check",
            "--message-format=short",
            "mappings/demo/tests/lone.yaml",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/tests/lone.yaml:3:5: error[unknown-case]: `remove: true` drops a case of the base test file, and this file has no `extends:`"),
        "{out}"
    );
    write(
        &dir,
        OVER_TESTS,
        "mapping: ../over.yaml\nextends: ../over.yaml\ncases: []\n",
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", OVER_TESTS]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/custom/tests/over.yaml:2:10: error[extends-file]: cannot read the base test file '../over.yaml': it is no mapping test file (one has `mapping:` and `cases:`)"),
        "{out}"
    );
}

#[test]
fn the_shipped_customer_runs_the_base_s_whole_suite() {
    let root = common::root();
    let base = root.join("mappings/oneserve-spectrum/tests/order.yaml");
    let (code, out) = run(&root, &["test", base.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let base_cases: usize = passed(&out);
    let customer = root.join("mappings/oneserve-spectrum/customers/example/tests/order.yaml");
    let (code, out) = run(&root, &["test", customer.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // Every base case (three replaced) and one case of its own.
    assert_eq!((base_cases, passed(&out)), (19, 20), "{out}");
}

fn passed(report: &str) -> usize {
    let last = report.lines().last().unwrap_or_default();
    last.split(' ').next().unwrap().parse().unwrap()
}

/// The overlay test file of docs/mappings.md ("Layered mappings"), run as
/// shown beside the shipped customer overlay (in a copy of the project):
/// the counts and the two failures the docs print.
#[test]
fn the_docs_example_runs_as_shown() {
    let root = common::root();
    let docs = std::fs::read_to_string(root.join("docs/mappings.md")).unwrap();
    let example = yaml_block_with(&docs, "extends: ../../../tests/order.yaml");
    let dir = common::fresh("test_inheritance", "docs");
    common::copy_tree(&root.join("schemas"), &dir.join("schemas"));
    for m in ["oneserve-spectrum", "shared"] {
        common::copy_tree(
            &root.join("mappings").join(m),
            &dir.join("mappings").join(m),
        );
    }
    let test = "mappings/oneserve-spectrum/customers/example/tests/doc.yaml";
    write(&dir, test, &example);
    let (code, out) = run(&dir, &["test", test]);
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("17 passed, 2 failed\n"), "{out}");
    let shown = block_after(&docs, "each failure names where the case is\nwritten:\n");
    assert_eq!(fails(&out), shown.lines().collect::<Vec<_>>(), "{out}");
}

/// The fenced yaml block of `docs` that holds `line`.
fn yaml_block_with(docs: &str, line: &str) -> String {
    docs.split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains(line))
        .unwrap_or_else(|| panic!("no yaml block with {line:?}"))
        .to_string()
}

/// The first fenced block after `text` in `docs`.
fn block_after<'a>(docs: &'a str, text: &str) -> &'a str {
    let rest = &docs[docs.find(text).expect("the text") + text.len()..];
    let rest = &rest[rest.find("```\n").expect("a block") + 4..];
    &rest[..rest.find("```").expect("its end")]
}

#[test]
fn removing_every_base_case_and_adding_none_is_a_file_that_tests_nothing() {
    let removals: String = [
        "the id gets the prefix",
        "the code is copied",
        "the note is copied",
        "a record from a file",
    ]
    .iter()
    .map(|n| format!("  - {{name: {n}, remove: true}}\n"))
    .collect();
    let dir = project("nothing-left", &removals);
    let (code, out) = run(&dir, &["check", "--message-format=short", OVER_TESTS]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/custom/tests/over.yaml:4:3: error[case-asserts-nothing]: with its base's cases removed, this test file has no case: it tests nothing"),
        "{out}"
    );
}

#[test]
fn a_chain_of_test_files_longer_than_the_limit_is_an_error_naming_the_limit() {
    let dir = project("depth", "  []\n");
    let tests = dir.join("mappings/demo/tests");
    for i in 1..=20 {
        let base = if i == 1 {
            "base.yaml".to_string()
        } else {
            format!("t{}.yaml", i - 1)
        };
        let text = format!("mapping: ../base.yaml\nextends: {base}\ncases: []\n");
        write(&tests, &format!("t{i}.yaml"), &text);
    }
    // Sixteen files (t15 down to base.yaml) run.
    let (code, out) = run(&dir, &["test", "mappings/demo/tests/t15.yaml"]);
    assert_eq!((code, out.as_str()), (0, "4 passed, 0 failed\n"));
    let (code, out) = run(
        &dir,
        &[
            "check",
            "--message-format=short",
            "mappings/demo/tests/t20.yaml",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("mappings/demo/tests/t5.yaml:2:10: error[extends-depth]: extends: 't4.yaml' would make a chain of more than 16 test files (the limit)"),
        "{out}"
    );
}
