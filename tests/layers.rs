//! Layered mappings (`extends:`), end to end through the binary: what an
//! overlay replaces, removes and adds, chains of layers, a cycle, and every
//! finding naming the layer file and line it comes from.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// Run mapwright in `dir`: (exit code, stdout + stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(dir)
        .args(args)
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

const SCHEMA: &str = "schema: t.out
format: json
record: out
types:
  out:
    fields:
      Id: {type: text, required: true}
      Comment: {type: text}
      Code: {type: text}
      Extra: {type: text}
      Lines: {type: list, of: line}
  line:
    fields:
      Amount: {type: money}
      Note: {type: text}
";

/// The base every test extends: a param with a default, an inline lookup,
/// a `let:`, a rule and a record with nested `for_each` lines.
const BASE: &str = r#"mapping: base
target: t.out
params:
  prefix: {type: text, default: "B-", doc: the id's prefix}
lookups:
  codes: {map: {a: A1, b: B1}}
let:
  who: = id
rules:
  - {id: no-bad, assert: id != "bad", message: "id is bad"}
record:
  Id: = params.prefix + id
  Comment: base comment
  Code: {lookup: codes, key: = code}
  Lines:
    for_each: lines
    record:
      Amount: = amount
"#;

/// A project with the schema, `base.yaml` and the overlay `over.yaml`.
fn project(name: &str, overlay: &str) -> PathBuf {
    let dir = common::fresh("layers", name);
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(&dir, "base.yaml", BASE);
    write(
        &dir,
        "over.yaml",
        &format!("mapping: over\nextends: base.yaml\n{overlay}"),
    );
    dir
}

/// The one output line of `mapping` over `record`, or the run's exit code and text.
fn convert(dir: &Path, mapping: &str, record: &str, params: &[&str]) -> Result<String, String> {
    write(dir, "in.json", record);
    let mut args = vec!["convert", "-q", "--output-format", "ndjson", "-m", mapping];
    args.extend(params.iter().flat_map(|p| ["--param", p]));
    args.extend(["--rejects", "rejects.ndjson", "in.json"]);
    let (code, out) = run(dir, &args);
    match code {
        0 => Ok(out.trim().to_string()),
        _ => Err(format!(
            "exit {code}: {out}{}",
            std::fs::read_to_string(dir.join("rejects.ndjson")).unwrap_or_default()
        )),
    }
}

const RECORD: &str = r#"{"id": "x", "code": "a", "lines": [{"amount": 1}]}"#;

#[test]
fn what_the_overlay_does_not_say_is_the_base_s() {
    let dir = project("inherit", "");
    assert_eq!(
        convert(&dir, "over.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"B-x","Comment":"base comment","Code":"A1","Lines":[{"Amount":1}]}"#
    );
}

#[test]
fn a_field_is_replaced_in_place() {
    let dir = project("replace", "record:\n  Comment: = \"over \" + who\n");
    assert_eq!(
        convert(&dir, "over.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"B-x","Comment":"over x","Code":"A1","Lines":[{"Amount":1}]}"#
    );
}

#[test]
fn null_removes_a_field_of_the_base() {
    let dir = project("remove", "record:\n  Comment: null\n");
    assert_eq!(
        convert(&dir, "over.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"B-x","Code":"A1","Lines":[{"Amount":1}]}"#
    );
}

#[test]
fn a_new_field_is_added_after_the_base_s() {
    let dir = project("add", "record:\n  Extra: = who\n");
    assert_eq!(
        convert(&dir, "over.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"B-x","Comment":"base comment","Code":"A1","Lines":[{"Amount":1}],"Extra":"x"}"#
    );
}

#[test]
fn a_dotted_name_reaches_into_the_for_each_record() {
    let dir = project(
        "nested",
        "record:\n  Lines.Amount: = amount * 2\n  Lines.Note: = \"n\" + amount\n",
    );
    assert_eq!(
        convert(&dir, "over.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"B-x","Comment":"base comment","Code":"A1","Lines":[{"Amount":2,"Note":"n1"}]}"#
    );
}

#[test]
fn a_param_default_is_overridden_and_the_param_keeps_its_type_and_doc() {
    let dir = project("param-default", "params:\n  prefix: {default: \"O-\"}\n");
    assert_eq!(
        convert(&dir, "over.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"O-x","Comment":"base comment","Code":"A1","Lines":[{"Amount":1}]}"#
    );
    assert!(convert(&dir, "over.yaml", RECORD, &["prefix=Z-"])
        .unwrap()
        .starts_with(r#"{"Id":"Z-x""#));
    let (_, doc) = run(&dir, &["doc", "-m", "over.yaml"]);
    assert!(
        doc.contains("| `prefix` | text | \"O-\" | \"O-\" | the id's prefix |"),
        "{doc}"
    );
}

#[test]
fn a_lookup_with_a_file_replaces_the_base_s_read_beside_the_overlay() {
    let dir = project(
        "lookup-file",
        "lookups:\n  codes: {file: lookups/codes.csv, key: k, value: v}\n",
    );
    write(&dir, "lookups/codes.csv", "k,v\na,FROM-CSV\n");
    assert_eq!(
        convert(&dir, "over.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"B-x","Comment":"base comment","Code":"FROM-CSV","Lines":[{"Amount":1}]}"#
    );
    // The base's inline rows are gone: `b` is not in the file.
    let err = convert(&dir, "over.yaml", &RECORD.replace("\"a\"", "\"b\""), &[]).unwrap_err();
    assert!(
        err.contains("exit 1") && err.contains("\"path\":\"/Code\""),
        "{err}"
    );
}

#[test]
fn a_lookup_without_a_file_adds_its_rows_to_the_base_s() {
    let dir = project("lookup-rows", "lookups:\n  codes: {map: {c: C1, a: A2}}\n");
    let code_of = |code: &str| {
        let out = convert(&dir, "over.yaml", &RECORD.replace("\"a\"", code), &[]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["Code"].as_str().unwrap().to_string()
    };
    assert_eq!(code_of("\"c\""), "C1");
    assert_eq!(code_of("\"a\""), "A2");
    assert_eq!(code_of("\"b\""), "B1");
}

#[test]
fn a_rule_is_overridden_by_its_id() {
    let dir = project(
        "rule-override",
        "rules:\n  - {id: no-bad, assert: id != \"worse\", message: \"id is worse\"}\n",
    );
    assert!(convert(&dir, "over.yaml", &RECORD.replace("\"x\"", "\"bad\""), &[]).is_ok());
    let err = convert(
        &dir,
        "over.yaml",
        &RECORD.replace("\"x\"", "\"worse\""),
        &[],
    )
    .unwrap_err();
    assert!(
        err.contains("\"rule\":\"no-bad\"") && err.contains("id is worse"),
        "{err}"
    );
    // The base alone still refuses "bad".
    let err = convert(&dir, "base.yaml", &RECORD.replace("\"x\"", "\"bad\""), &[]).unwrap_err();
    assert!(err.contains("id is bad"), "{err}");
}

#[test]
fn a_rule_is_removed_by_its_id() {
    let dir = project("rule-remove", "rules:\n  - {id: no-bad, remove: true}\n");
    assert_eq!(
        convert(&dir, "over.yaml", &RECORD.replace("\"x\"", "\"bad\""), &[]).unwrap(),
        r#"{"Id":"B-bad","Comment":"base comment","Code":"A1","Lines":[{"Amount":1}]}"#
    );
}

#[test]
fn a_rule_of_the_base_s_rules_from_is_removed_and_one_overridden() {
    let dir = common::fresh("layers", "rules-from");
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(
        &dir,
        "shared/rules.yaml",
        "rules:\n  - {id: no-bad, assert: id != \"bad\"}\n  - {id: no-ugly, assert: id != \"ugly\"}\n",
    );
    write(
        &dir,
        "base/m.yaml",
        "mapping: base\ntarget: t.out\nrules_from: ../shared/rules.yaml\nrecord:\n  Id: = id\n",
    );
    write(
        &dir,
        "customer/m.yaml",
        "mapping: c\nextends: ../base/m.yaml\nrules:\n  - {id: no-bad, remove: true}\n  - {id: no-ugly, assert: id != \"uglier\"}\n",
    );
    assert!(convert(&dir, "base/m.yaml", r#"{"id": "bad"}"#, &[]).is_err());
    assert_eq!(
        convert(&dir, "customer/m.yaml", r#"{"id": "bad"}"#, &[]).unwrap(),
        r#"{"Id":"bad"}"#
    );
    assert!(convert(&dir, "customer/m.yaml", r#"{"id": "ugly"}"#, &[]).is_ok());
    let err = convert(&dir, "customer/m.yaml", r#"{"id": "uglier"}"#, &[]).unwrap_err();
    assert!(err.contains("\"rule\":\"no-ugly\""), "{err}");
}

#[test]
fn three_layers_chain_and_each_field_names_its_layer() {
    let dir = project("chain", "");
    write(
        &dir,
        "customer/order.yaml",
        "mapping: customer\nextends: ../base.yaml\nlookups:\n  codes: {file: codes.csv, key: k, value: v}\nrecord:\n  Comment: customer comment\n  Extra: customer extra\n",
    );
    write(&dir, "customer/codes.csv", "k,v\na,CUST-A\n");
    // The environment layer inherits the customer's lookup: its file is
    // still read beside the customer's layer, not the environment's.
    write(
        &dir,
        "customer/test-env/order.yaml",
        "mapping: customer-test\nextends: ../order.yaml\nrecord:\n  Comment: test comment\n",
    );
    assert_eq!(
        convert(&dir, "customer/test-env/order.yaml", RECORD, &[]).unwrap(),
        r#"{"Id":"B-x","Comment":"test comment","Code":"CUST-A","Lines":[{"Amount":1}],"Extra":"customer extra"}"#
    );
    let (code, doc) = run(&dir, &["doc", "-m", "customer/test-env/order.yaml"]);
    assert_eq!(code, 0, "{doc}");
    assert!(
        doc.contains("../../base.yaml -> ../order.yaml -> order.yaml"),
        "{doc}"
    );
    for (field, layer) in [
        ("/Id", "../../base.yaml"),
        ("/Comment", "order.yaml"),
        ("/Code", "../../base.yaml"),
        ("/Extra", "../order.yaml"),
        ("/Lines/*/Amount", "../../base.yaml"),
    ] {
        let line = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{field}` |")))
            .unwrap_or_else(|| panic!("no row for {field}:\n{doc}"));
        let from = line.rsplit('|').nth(1).unwrap_or_default().trim();
        assert!(from.starts_with(&format!("{layer}:")), "{line}");
    }
    assert!(
        doc.contains("## Lookup `codes`\n\nDeclared at `../order.yaml:"),
        "{doc}"
    );
    assert!(doc.contains(". From `../codes.csv`, by `k`"), "{doc}");
}

#[test]
fn a_cycle_is_an_error_at_the_extends_that_closes_it() {
    let dir = common::fresh("layers", "cycle");
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(
        &dir,
        "a.yaml",
        "mapping: a\nextends: b/b.yaml\ntarget: t.out\nrecord:\n  Id: = id\n",
    );
    write(&dir, "b/b.yaml", "mapping: b\nextends: ../a.yaml\n");
    let (code, out) = run(&dir, &["check", "--message-format=short", "a.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("b/b.yaml:2:10: error[extends-cycle]: extends: '../a.yaml' leads back to itself: a.yaml -> b/b.yaml -> a.yaml"),
        "{out}"
    );
    // A file that extends itself is the shortest cycle.
    write(&dir, "self.yaml", "mapping: s\nextends: self.yaml\n");
    let (code, out) = run(&dir, &["check", "--message-format=short", "self.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("self.yaml:2:10: error[extends-cycle]"),
        "{out}"
    );
}

#[test]
fn a_chain_longer_than_the_limit_is_an_error_naming_the_limit() {
    let dir = common::fresh("layers", "depth");
    write(&dir, "schemas/t/out.yaml", SCHEMA);
    write(
        &dir,
        "l0.yaml",
        "mapping: l0\ntarget: t.out\nrecord:\n  Id: = id\n",
    );
    for i in 1..=20 {
        let text = format!("mapping: l{i}\nextends: l{}.yaml\n", i - 1);
        write(&dir, &format!("l{i}.yaml"), &text);
    }
    // Sixteen layers load.
    assert!(convert(&dir, "l15.yaml", r#"{"id": "a"}"#, &[]).is_ok());
    let (code, out) = run(&dir, &["check", "--message-format=short", "l20.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("l5.yaml:2:10: error[extends-depth]: extends: 'l4.yaml' would make a chain of more than 16 layers (the limit)"),
        "{out}"
    );
}

#[test]
fn a_missing_base_is_an_error_at_the_extends_line() {
    let dir = project("missing-base", "");
    write(&dir, "over.yaml", "mapping: over\nextends: nowhere.yaml\n");
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("over.yaml:2:10: error[")
            && out.contains("cannot read the base mapping 'nowhere.yaml'"),
        "{out}"
    );
}

#[test]
fn a_finding_in_the_overlay_names_the_overlay_file_and_line() {
    let dir = project("overlay-finding", "record:\n  Comment: x\n  Extr: = who\n");
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("over.yaml:5:9: error[unknown-field]: t.out has no field 'Extr' in out (did you mean 'Extra'?)"),
        "{out}"
    );
    assert!(!out.contains("base.yaml:"), "{out}");
}

#[test]
fn removing_what_the_base_does_not_have_is_an_error_with_did_you_mean() {
    let dir = project(
        "overlay-missing",
        "record:\n  Coment: null\nrules:\n  - {id: no-bda, remove: true}\n",
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("over.yaml:4:3: error[overlay-missing]: 'Coment' removes nothing: the base has no field 'Coment' (did you mean 'Comment'?)"),
        "{out}"
    );
    assert!(
        out.contains("over.yaml:6:5: error[overlay-missing]: rule 'no-bda' removes nothing: the base has no rule 'no-bda' (did you mean 'no-bad'?)"),
        "{out}"
    );
}

#[test]
fn a_finding_in_the_base_names_the_base_file() {
    let dir = project("base-finding", "record:\n  Comment: x\n");
    write(
        &dir,
        "base.yaml",
        &BASE.replace("Code: {lookup: codes", "Code: {lookup: cods"),
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("base.yaml:14:18: error[unknown-lookup]: no lookup 'cods' is declared"),
        "{out}"
    );
}

#[test]
fn the_shipped_customer_example_passes_its_own_tests() {
    let dir = common::root().join("mappings/oneserve-spectrum/customers/example");
    let (code, out) = run(&dir, &["test", "."]);
    assert_eq!(code, 0, "{out}");
    // The base's 19 cases (three replaced, tests/test_inheritance.rs) and one of its own.
    assert!(out.contains("20 passed, 0 failed"), "{out}");
}

/// Review of issue 13: `remove: true` (or a replacement by id) reached only
/// the first of two rules with one id, so one id must name one rule.
#[test]
fn two_rules_with_one_id_in_one_layer_are_an_error_at_the_second() {
    let dir = project(
        "duplicate-rule-id",
        "rules:\n  - {id: no-x, assert: id != \"x\", message: x}\n  - {id: no-x, assert: id != \"y\", message: y}\n",
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("over.yaml:5:10: error[duplicate-rule-id]: a second rule with id 'no-x' (the first rule 'no-x' is at line 4; give each rule its own id (an overlay replaces or removes a rule by id))"),
        "{out}"
    );
    // The same in a base mapping, which is a layer too.
    let base = BASE.replace(
        "rules:\n",
        "rules:\n  - {id: no-bad, assert: id != \"worse\", message: worse}\n",
    );
    write(&dir, "base.yaml", &base);
    write(&dir, "over.yaml", "mapping: over\nextends: base.yaml\n");
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("base.yaml:11:10: error[duplicate-rule-id]: a second rule with id 'no-bad' (the first rule 'no-bad' is at line 10;"),
        "{out}"
    );
}

/// Review of issue 13: an overlay could add a param without `type:` (a
/// misspelt name for the base's param became a second, text param), and
/// change a param's type without its default (which the new type refuses).
#[test]
fn a_new_param_needs_a_type_and_a_changed_type_its_default() {
    let dir = project("param-type", "params:\n  prefx: {default: \"C-\"}\n");
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("over.yaml:4:3: error[missing-key]: param 'prefx' is new in this layer (the base has no param 'prefx') and has no `type:`: a new param says its type (did you mean 'prefix'?)"),
        "{out}"
    );
    write(
        &dir,
        "over.yaml",
        "mapping: over\nextends: base.yaml\nparams:\n  prefix: {type: integer}\n",
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("over.yaml:4:18: error[wrong-shape]: param 'prefix' has default \"B-\", which is not a whole number (the default is at base.yaml:4; a layer that changes a param's type gives its default too)"),
        "{out}"
    );
    // With its default, or with a type, each is fine.
    write(&dir, "over.yaml", "mapping: over\nextends: base.yaml\nparams:\n  prefix: {type: integer, default: 7}\n  extra: {type: text}\n");
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert!(!out.contains("error["), "{out}");
    assert_eq!(code, 0, "{out}");
}

/// Review of issue 13: removing a table or `let:` value the base does not
/// have gave another code (wrong-shape, "must be a mapping, found null")
/// when the base had no `tables:` at all, and named it an "entry".
#[test]
fn removing_a_table_or_let_the_base_does_not_have_is_overlay_missing() {
    let dir = project(
        "overlay-missing-table",
        "tables:\n  statuz: null\nlet:\n  whoo: null\nlookups:\n  cods: null\n",
    );
    let (code, out) = run(&dir, &["check", "--message-format=short", "over.yaml"]);
    assert_eq!(code, 2, "{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.contains("error[")).collect();
    assert_eq!(
        errors,
        [
            "over.yaml:4:3: error[overlay-missing]: 'statuz' removes nothing: the base has no table 'statuz'",
            "over.yaml:6:3: error[overlay-missing]: 'whoo' removes nothing: the base has no let: value 'whoo' (did you mean 'who'?)",
            "over.yaml:8:3: error[overlay-missing]: 'cods' removes nothing: the base has no lookup 'cods' (did you mean 'codes'?)",
        ]
    );
}
