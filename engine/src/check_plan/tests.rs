//! The check plan proves only what cannot fail, and the outcomes with and
//! without it are the same.

use std::path::{Path, PathBuf};

use crate::json;
use crate::value::Value;
use proptest::prelude::*;

use super::*;
use crate::mapping::{Mapping, Outcome};
use crate::params::Params;

const SOURCE: &str = "\
schema: t.src
system: Src
format: json
record: rec
types:
  rec:
    fields:
      short: {type: text, max_length: 10, required: true}
      long: {type: text, max_length: 80}
      free: {type: text}
      code: {type: code, codes: [A, B], required: true}
      qty: {type: integer, min: 0, max: 99, required: true}
      nested: {type: object, of: inner, required: true}
      lines: {type: list, of: line}
  line:
    fields:
      sku: {type: text, max_length: 8, required: true}
      note: {type: text}
  inner:
    fields:
      name: {type: text, max_length: 5, required: true}
";

const TARGET: &str = "\
schema: t.dst
system: Dst
format: json
record: out
types:
  out:
    fields:
      Short: {type: text, max_length: 35, required: true}
      Long: {type: text, max_length: 35}
      Cut: {type: text, max_length: 35}
      Code: {type: code, codes: [A, B, C], required: true}
      Narrow: {type: code, codes: [A]}
      Qty: {type: integer, min: 0, max: 999}
      Fixed: {type: code, codes: [X, Y], required: true}
      Maybe: {type: text, max_length: 3}
      Named: {type: text, max_length: 5, required: true}
      Company: {type: text, max_length: 3}
      Nowhere: {type: text}
      Lines: {type: list, of: tline}
    rules:
      - id: fixed-is-x
        assert: Fixed == \"X\"
      - id: maybe-given
        require: [Maybe]
      - id: short-given
        require: [Short]
      - id: never-built-is-blank
        forbid: [Nowhere]
      - id: lines-known
        when: Lines != ()
        assert: Lines.all(|l| l.Kind == \"N\" || l.Kind == \"M\")
  tline:
    fields:
      Kind: {type: code, codes: [N, M], required: true}
      Sku: {type: text, max_length: 10}
      Note: {type: text, max_length: 5}
      Msg: {type: text, max_length: 20}
      Cut: {type: text, max_length: 3}
    rules:
      - id: msg-given
        when: Kind == \"M\"
        require: [Msg]
      - id: kind-known
        assert: Kind != \"X\"
";

const MAPPING: &str = "\
mapping: plan-test
source: t.src
target: t.dst
params:
  company: {type: text, default: ABC}
record:
  Short: = short
  Long: = long
  Cut: {expr: free, truncate: 35}
  Code: = code
  Narrow: = code
  Qty: = qty
  Fixed: X
  Maybe: {const: Z, when: = qty > 5}
  Named: = nested.name
  Company: = params.company
  Lines:
    for_each: lines
    records:
      - record:
          Kind: N
          Sku: = sku
          Cut: {expr: sku, truncate: 3}
          Note: = note
      - when: = !blank(note)
        record:
          Kind: M
          Msg: {expr: note, truncate: 20}
";

/// A folder with the two schemas and `mapping`, removed when dropped.
struct Fixture(PathBuf);

impl Fixture {
    fn new(name: &str, mapping: &str) -> Fixture {
        Fixture::with_target(name, TARGET, mapping)
    }

    fn with_target(name: &str, target: &str, mapping: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!(
            "mapwright-check-plan-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("schemas/t")).unwrap();
        std::fs::create_dir_all(dir.join("mappings")).unwrap();
        std::fs::write(dir.join("schemas/t/src.yaml"), SOURCE).unwrap();
        std::fs::write(dir.join("schemas/t/dst.yaml"), target).unwrap();
        std::fs::write(dir.join("mappings/m.yaml"), mapping).unwrap();
        Fixture(dir)
    }

    fn mapping(&self) -> Result<Mapping, crate::Error> {
        Mapping::from_path(&self.0.join("mappings/m.yaml"))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn plan(m: &Mapping) -> (CheckPlan, &Type) {
    let params = Params::default().resolve(&m.params).unwrap();
    let plans = m.check_plans(&params);
    (plans[0].clone(), m.routes[0].target.record_type())
}

fn proof(m: &Mapping, name: &str) -> Proof {
    let (p, ty) = plan(m);
    p.proof_of(ty, name)
}

fn rule_proved(m: &Mapping, id: &str) -> bool {
    let (p, ty) = plan(m);
    let i = ty.rules.iter().position(|r| r.id == id).unwrap();
    p.proves_rule(i)
}

fn present(m: &Mapping, name: &str) -> bool {
    let (p, ty) = plan(m);
    p.present[ty.position(name).unwrap()]
}

#[test]
fn what_the_plan_proves_of_each_field() {
    let fx = Fixture::new("fields", MAPPING);
    let m = fx.mapping().unwrap();
    // text max 10 into max 35: proved; max 80 into max 35: not.
    assert_eq!(proof(&m, "Short"), Proof::Always);
    assert_eq!(proof(&m, "Long"), Proof::None);
    // Unlimited text cut to 35 fits while it is text.
    assert_eq!(proof(&m, "Cut"), Proof::IfText);
    // Codes A, B into A, B, C: a subset; into A alone: not.
    assert_eq!(proof(&m, "Code"), Proof::Always);
    assert_eq!(proof(&m, "Narrow"), Proof::None);
    assert_eq!(proof(&m, "Qty"), Proof::Always);
    assert_eq!(proof(&m, "Fixed"), Proof::Always);
    assert_eq!(proof(&m, "Named"), Proof::Always);
    // A param is the same on every record of the run.
    assert_eq!(proof(&m, "Company"), Proof::Always);
}

#[test]
fn what_the_plan_proves_of_list_items() {
    let fx = Fixture::new("items", MAPPING);
    let m = fx.mapping().unwrap();
    let (p, ty) = plan(&m);
    let items = p.items(ty.position("Lines").unwrap()).unwrap();
    let line = m.routes[0].target.type_named("tline").unwrap();
    // Both records' constants pass; the required sku (8) fits 10.
    assert_eq!(items.proof_of(line, "Kind"), Proof::Always);
    assert_eq!(items.proof_of(line, "Sku"), Proof::Always);
    assert_eq!(items.proof_of(line, "Note"), Proof::None);
    assert_eq!(items.proof_of(line, "Cut"), Proof::IfText);
    // An item without a note finds no `note` further out: no `let:` has
    // the name, and the unit's type has no such field and refuses unknown ones.
    assert_eq!(items.proof_of(line, "Msg"), Proof::IfText);
    let rule = |id: &str| items.proves_rule(line.rules.iter().position(|r| r.id == id).unwrap());
    // A message line's Msg is a copy: its rule stays.
    assert!(!rule("msg-given"));
    assert!(rule("kind-known"));
    // Two records build items: Kind is present in each, but a line is not
    // proved present by either alone.
    assert!(!items.present[line.position("Sku").unwrap()]);
}

#[test]
fn each_records_entry_has_its_own_plan() {
    let fx = Fixture::new("entries", MAPPING);
    let m = fx.mapping().unwrap();
    let (p, ty) = plan(&m);
    let items = p.items(ty.position("Lines").unwrap()).unwrap();
    let line = m.routes[0].target.type_named("tline").unwrap();
    let msg_given = line.rules.iter().position(|r| r.id == "msg-given").unwrap();
    let of = |kind: Value| {
        let rec = json!({ "Kind": kind });
        items.for_record(rec.as_object().unwrap()).clone()
    };
    // Kind N (the first entry, which builds no Msg): the rule cannot apply.
    assert!(of(json!("N")).proves_rule(msg_given));
    // Kind M: Msg is a copy, so the rule stays; so it does for a Kind no
    // entry sets, which gets the plan of every entry.
    assert!(!of(json!("M")).proves_rule(msg_given));
    assert!(!of(json!("X")).proves_rule(msg_given));
    // Only the message entry builds Msg; only the line entry, Sku.
    assert_eq!(of(json!("M")).proof_of(line, "Msg"), Proof::IfText);
    assert_eq!(of(json!("N")).proof_of(line, "Sku"), Proof::Always);
    assert!(!of(json!("N")).present[line.position("Sku").unwrap()]);
    assert!(of(json!("N")).present[line.position("Kind").unwrap()]);
}

#[test]
fn entries_that_share_a_value_are_not_told_apart() {
    let text = MAPPING.replace("          Kind: M\n", "          Kind: N\n");
    let fx = Fixture::new("entries-alike", &text);
    let m = fx.mapping().unwrap();
    let (p, ty) = plan(&m);
    let items = p.items(ty.position("Lines").unwrap()).unwrap();
    assert!(items.entries.is_none());
}

#[test]
fn a_param_that_breaks_the_target_is_not_proved() {
    let fx = Fixture::new("param", MAPPING);
    let m = fx.mapping().unwrap();
    let params = Params::default()
        .resolve(&m.params)
        .map(|mut p| {
            p["company"] = json!("TOO LONG");
            p
        })
        .unwrap();
    let ty = m.routes[0].target.record_type();
    let plans = m.check_plans(&params);
    assert_eq!(plans[0].proof_of(ty, "Company"), Proof::None);
}

/// `MAPPING` with `Maybe` from an inline lookup of `map`, by `code`.
fn with_lookup(map: &str) -> String {
    MAPPING
        .replace(
            "params:\n",
            &format!("lookups:\n  sizes: {{map: {map}}}\nparams:\n"),
        )
        .replace(
            "  Maybe: {const: Z, when: = qty > 5}\n",
            "  Maybe: {lookup: sizes, key: = code}\n",
        )
}

/// A lookup field holds one of the lookup's values: proved when each
/// passes the target's checks, and the rule requiring it then holds; one
/// value too long for the field keeps both checked, and rejects.
#[test]
fn a_lookup_field_is_proved_by_every_value_it_can_hold() {
    let fx = Fixture::new("lookup", &with_lookup("{A: S, B: M}, default: L"));
    let m = fx.mapping().unwrap();
    assert_eq!(proof(&m, "Maybe"), Proof::Always);
    assert!(rule_proved(&m, "maybe-given"));
    // Without a default, a key the lookup lacks fails the record, which is
    // then checked without the plan: the proofs hold of the rest.
    let fx = Fixture::new("lookup-no-default", &with_lookup("{A: S, B: M}"));
    let m = fx.mapping().unwrap();
    assert_eq!(proof(&m, "Maybe"), Proof::Always);
    assert!(rule_proved(&m, "maybe-given"));
    let fx = Fixture::new("lookup-long", &with_lookup("{A: S, B: XXXX}"));
    let m = fx.mapping().unwrap();
    assert_eq!(proof(&m, "Maybe"), Proof::None);
    // A blank value fails `require: [Maybe]`: that rule is kept as well.
    let fx = Fixture::new("lookup-blank", &with_lookup("{A: S, B: ''}"));
    let blank = fx.mapping().unwrap();
    assert!(!rule_proved(&blank, "maybe-given"));
    let mut rec = record("ab", 7);
    rec["code"] = json!("B");
    let out = m.prepare(&Params::default()).unwrap().transform(&rec);
    let Outcome::Rejected(v) = out else {
        panic!("expected a reject, got {out:?}")
    };
    assert!(
        v.iter()
            .any(|v| v.rule == "max-length" && v.path == "/Maybe"),
        "{v:?}"
    );
}

#[test]
fn a_field_under_when_is_not_proved_present() {
    let fx = Fixture::new("when", MAPPING);
    let m = fx.mapping().unwrap();
    assert!(!present(&m, "Maybe"));
    assert!(present(&m, "Fixed"));
    // Its value, when built, passes; the rule that requires it stays.
    assert_eq!(proof(&m, "Maybe"), Proof::Always);
    assert!(!rule_proved(&m, "maybe-given"));
}

#[test]
fn rules_over_constants_are_run_once() {
    let fx = Fixture::new("rules", MAPPING);
    let m = fx.mapping().unwrap();
    assert!(rule_proved(&m, "fixed-is-x"));
    assert!(rule_proved(&m, "never-built-is-blank"));
    // Short is a copy of a required source field: never blank.
    assert!(rule_proved(&m, "short-given"));
    // Not so when the copy may be cut (to spaces), or its source is optional.
    let cut = MAPPING.replace(
        "  Short: = short\n",
        "  Short: {expr: short, truncate: 3}\n",
    );
    let fx = Fixture::new("rules-cut", &cut);
    assert!(!rule_proved(&fx.mapping().unwrap(), "short-given"));
    let optional = MAPPING.replace("  Short: = short\n", "  Short: = long\n");
    let fx = Fixture::new("rules-optional", &optional);
    assert!(!rule_proved(&fx.mapping().unwrap(), "short-given"));
}

/// `Lines.all(|l| ...)` over a list the mapping builds: each `records:`
/// entry's facts decide the closure, so a rule over constant kinds is
/// proved; a kind copied from the source is not, and the rule runs.
#[test]
fn a_rule_over_every_item_is_proved_on_each_entry() {
    let fx = Fixture::new("all-items", MAPPING);
    assert!(rule_proved(&fx.mapping().unwrap(), "lines-known"));
    let copied = MAPPING.replace("          Kind: M\n", "          Kind: = note\n");
    let fx = Fixture::new("all-items-copied", &copied);
    let m = fx.mapping().unwrap();
    assert!(!rule_proved(&m, "lines-known"));
    let mut rec = record("ab", 7);
    rec["lines"] = json!([{"sku": "s1", "note": "Q"}]);
    let (planned, full) = both_ways(&m, &rec);
    assert_eq!(planned, full);
    let Outcome::Rejected(v) = planned else {
        panic!("expected a reject, got {planned:?}")
    };
    let rules: Vec<&str> = v.iter().map(|v| v.rule.as_str()).collect();
    assert!(rules.contains(&"lines-known"), "{rules:?}");
}

/// A proved rule that `--check-all` runs spends none of the schema checks'
/// allowance (at least 1,000,000 operations), as it spends none when it is
/// left out: over 300,000 lines `lines-known` costs more than that, and the
/// record is accepted both ways (found by an adversarial review).
#[test]
fn a_proved_rule_run_by_check_all_costs_the_checks_nothing() {
    let text = "\
mapping: plan-test
source: t.src
target: t.dst
# The budget, not the clock, is under test: a debug build on a busy
# machine takes seconds over this record.
limits: {time_ms: 600000}
record:
  Short: = short
  Code: = code
  Fixed: X
  Maybe: Z
  Named: = nested.name
  Lines:
    for_each: lines
    records:
      - record: {Kind: N}
      - record: {Kind: M, Msg: m}
";
    let fx = Fixture::new("all-items-long", text);
    let m = fx.mapping().unwrap();
    assert!(rule_proved(&m, "lines-known"));
    let mut rec = record("ab", 7);
    rec["lines"] = Value::Array(vec![json!({"sku": "s"}); 150_000]);
    let (planned, full) = both_ways(&m, &rec);
    let rejects = |o: &Outcome| match o {
        Outcome::Rejected(v) => Some(v.clone()),
        _ => None,
    };
    assert_eq!(rejects(&planned), None);
    assert_eq!(rejects(&full), None, "--check-all rejected it");
    assert!(planned == full, "the two outcomes differ");
}

/// `--check-all` pays for a schema rule's `when` what the default run pays
/// (found by an adversarial review): the `&&` operands the plan drops as
/// holding on constants are worked out off the count; a proved rule's
/// answer, worked out off the count, spares no counted rule with the same
/// `when`; and a source rule left out under the params runs with no limit.
/// Each case costs over the 1,000,000 operations of an allowance one way.
#[test]
fn check_all_pays_for_a_when_what_the_default_run_pays() {
    let cube = |op: &str| {
        let l: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        let l = format!("[{}]", l.join(", "));
        format!("{l}.all(|a| {l}.all(|b| {l}.all(|c| c {op})))")
    };
    let dropped = TARGET.replace(
        "      - id: maybe-given\n",
        &format!(
            "      - id: cube-1\n        when: Fixed == \"X\" && {}\n        assert: Short != \"zzz\"\n      - id: cube-2\n        when: Fixed == \"X\" && {}\n        assert: Short != \"zzy\"\n      - id: maybe-given\n",
            cube(">= 0"),
            cube(">= -1")
        ),
    );
    let slow = "limits: {time_ms: 600000}\nrecord:\n";
    let fx = Fixture::with_target(
        "when-dropped",
        &dropped,
        &MAPPING.replacen("record:\n", slow, 1),
    );
    let m = fx.mapping().unwrap();
    let (planned, full) = both_ways(&m, &record("ab", 7));
    assert!(matches!(planned, Outcome::Accepted { .. }), "{planned:?}");
    assert_eq!(planned, full);

    let long = r#"Lines.all(|l| l.Kind != "A" && l.Kind != "B" && l.Kind != "C" && l.Kind != "D" && l.Kind != "E" && l.Kind != "F")"#;
    let shared = TARGET.replace(
        "      - id: maybe-given\n",
        &format!(
            "      - id: a-proved\n        when: {long}\n        require: [Fixed]\n      - id: b-kept\n        when: {long}\n        assert: Short != \"zzz\"\n      - id: maybe-given\n"
        ),
    );
    let fx = Fixture::with_target(
        "when-shared",
        &shared,
        &MAPPING.replacen("record:\n", slow, 1),
    );
    let m = fx.mapping().unwrap();
    assert!(rule_proved(&m, "a-proved"));
    assert!(!rule_proved(&m, "b-kept"));
    let mut rec = record("ab", 7);
    rec["lines"] = Value::Array(vec![json!({"sku": "s"}); 100_000]);
    let (planned, full) = both_ways(&m, &rec);
    let budget =
        |o: &Outcome| matches!(o, Outcome::Rejected(v) if v.iter().any(|v| v.rule == "budget"));
    assert!(
        budget(&planned),
        "the kept rule's when costs over 1,000,000"
    );
    assert!(planned == full, "the two outcomes differ");

    let items = vec!["\"a\""; 200_000].join(",");
    let rule = format!(
        "rules:\n  - id: off\n    for_each: = [{items}]\n    when: = params.company == \"none\" && item == \"a\"\n    assert: = false\n"
    );
    let skipped = MAPPING.replacen("record:\n", &format!("{rule}{slow}"), 1);
    let fx = Fixture::new("source-skipped", &skipped);
    let m = fx.mapping().unwrap();
    let (planned, full) = both_ways(&m, &record("ab", 7));
    assert!(matches!(planned, Outcome::Accepted { .. }), "{planned:?}");
    assert!(planned == full, "the two outcomes differ");
}

#[test]
fn a_constant_rule_that_fails_is_kept() {
    let text = MAPPING.replace("  Fixed: X\n", "  Fixed: Y\n");
    let fx = Fixture::new("rule-fails", &text);
    let m = fx.mapping().unwrap();
    assert_eq!(proof(&m, "Fixed"), Proof::Always);
    assert!(!rule_proved(&m, "fixed-is-x"));
    let out = m
        .prepare(&Params::default())
        .unwrap()
        .transform(&record("ab", 7));
    let Outcome::Rejected(v) = out else {
        panic!("expected a reject, got {out:?}")
    };
    let found: Vec<(&str, &str)> = v
        .iter()
        .map(|v| (v.rule.as_str(), v.path.as_str()))
        .collect();
    assert_eq!(found, [("fixed-is-x", "")]);
}

#[test]
fn a_constant_the_target_refuses_is_a_load_error_and_never_proved() {
    let text = MAPPING.replace("  Fixed: X\n", "  Fixed: Q\n");
    let fx = Fixture::new("bad-constant", &text);
    let err = fx.mapping().unwrap_err().to_string();
    assert!(err.contains("Fixed"), "{err}");
    // Proved directly, the plan still refuses it.
    let target = crate::schema::Schema::from_str(Path::new("dst.yaml"), TARGET).unwrap();
    let f = target.record_type().field("Fixed").unwrap();
    assert_eq!(constant_proof(&target, f, &Some(json!("Q"))), Proof::None);
    assert_eq!(constant_proof(&target, f, &Some(json!(""))), Proof::None);
    assert_eq!(constant_proof(&target, f, &Some(json!("X"))), Proof::Always);
}

#[test]
fn modifiers_that_compute_a_value_keep_the_check() {
    let text = MAPPING.replace("  Qty: = qty\n", "  Qty: {expr: qty, round: 0}\n");
    let fx = Fixture::new("round", &text);
    let m = fx.mapping().unwrap();
    assert_eq!(proof(&m, "Qty"), Proof::None);
}

#[test]
fn a_let_that_shadows_a_field_keeps_the_check() {
    let text = MAPPING.replacen("record:\n", "let:\n  short: = long\nrecord:\n", 1);
    let fx = Fixture::new("let", &text);
    let m = fx.mapping().unwrap();
    assert_eq!(proof(&m, "Short"), Proof::None);
}

#[test]
fn an_item_field_a_let_could_answer_for_keeps_the_check() {
    // An item without a note would read the unit's `let: note` instead.
    let text = MAPPING.replacen("record:\n", "let:\n  note: = free\nrecord:\n", 1);
    let fx = Fixture::new("item-let", &text);
    let m = fx.mapping().unwrap();
    let (p, ty) = plan(&m);
    let items = p.items(ty.position("Lines").unwrap()).unwrap();
    let line = m.routes[0].target.type_named("tline").unwrap();
    assert_eq!(items.proof_of(line, "Msg"), Proof::None);
    // sku is required: every item has its own.
    assert_eq!(items.proof_of(line, "Sku"), Proof::Always);
}

fn record(short: &str, qty: i64) -> Value {
    json!({"short": short, "code": "A", "qty": qty, "nested": {"name": "n"}})
}

/// Outcomes of one record with the plan and without it.
fn both_ways(m: &Mapping, rec: &Value) -> (Outcome, Outcome) {
    let mut p = m.prepare(&Params::default()).unwrap();
    let planned = p.transform(rec);
    p.check_all(true);
    (planned, p.transform(rec))
}

proptest! {
    // No regressions file: a test writes only to temp folders.
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Records that pass the source check (and some that do not) give the
    /// same outcome, findings and all, with the plan and with every check.
    #[test]
    fn the_plan_changes_no_outcome(
        short in "[a-z ]{0,12}",
        long in proptest::option::of("[a-z]{0,90}"),
        free in proptest::option::of(prop_oneof![
            "[a-z]{0,50}".prop_map(Value::from),
            (0u64..u64::MAX).prop_map(Value::from),
            (-1e60f64..1e60).prop_map(Value::from),
            Just(Value::Bool(true)),
        ]),
        code in prop_oneof![Just("A"), Just("B"), Just("C")],
        qty in -3i64..120,
        name in "[a-z]{0,7}",
        lines in proptest::collection::vec(
            ("[a-z]{0,10}", proptest::option::of(prop_oneof![
                "[a-z ]{0,30}".prop_map(Value::from),
                (0u64..u64::MAX).prop_map(Value::from),
            ])),
            0..4,
        ),
    ) {
        let fx = Fixture::new("fuzz", MAPPING);
        let m = fx.mapping().unwrap();
        let mut rec = json!({"short": short, "code": code, "qty": qty, "nested": {"name": name}});
        if let Some(l) = long {
            rec["long"] = json!(l);
        }
        if let Some(f) = free {
            rec["free"] = f;
        }
        let lines: Vec<Value> = lines
            .into_iter()
            .map(|(sku, note)| match note {
                Some(n) => json!({"sku": sku, "note": n}),
                None => json!({"sku": sku}),
            })
            .collect();
        rec["lines"] = json!(lines);
        let (planned, full) = both_ways(&m, &rec);
        prop_assert_eq!(planned, full);
    }
}

/// The repository's shipped mappings folder.
fn shipped(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// A stored case: its name, params and input record.
type StoredCase = (String, Params, Value);

/// The cases of one stored mapping test file, as `mapwright test` reads
/// them (crate::testing): each case's params and its input record.
fn stored_cases(file: &Path) -> Option<(PathBuf, Vec<StoredCase>)> {
    let root = crate::testing::load_test_file(file).ok()?;
    let dir = file.parent().unwrap();
    let mapping = dir.join(root.get("mapping")?.scalar_text()?);
    let mut base = Params::default();
    for (k, v) in root.get("params").and_then(|n| n.as_map()).unwrap_or(&[]) {
        base.set(&k.scalar_text().unwrap_or_default(), v.to_json());
    }
    let mut cases = Vec::new();
    for case in root.get("cases").and_then(|n| n.as_seq()).unwrap_or(&[]) {
        let mut params = base.clone();
        for (k, v) in case.get("params").and_then(|n| n.as_map()).unwrap_or(&[]) {
            params.set(&k.scalar_text().unwrap_or_default(), v.to_json());
        }
        let mut input = match (
            case.get("file").and_then(|n| n.scalar_text()),
            case.get("input"),
        ) {
            (Some(f), _) => serde_json::from_slice(&std::fs::read(dir.join(f)).unwrap()).unwrap(),
            (None, Some(i)) => i.to_json(),
            (None, None) => continue,
        };
        if crate::testing::patch(&mut input, case).is_err() {
            continue;
        }
        let name = case
            .get("name")
            .and_then(|n| n.scalar_text())
            .unwrap_or_default();
        cases.push((name, params, input));
    }
    Some((mapping, cases))
}

/// Every stored mapping test case (mappings/*/tests/*.yaml) gives the same
/// outcome (record, warnings, every finding) with the plan and without.
#[test]
fn stored_cases_are_the_same_with_check_all() {
    let mut ran = 0;
    let mut proved = 0;
    for dir in std::fs::read_dir(shipped("mappings")).unwrap().flatten() {
        let Ok(tests) = std::fs::read_dir(dir.path().join("tests")) else {
            continue;
        };
        for file in tests.flatten().map(|e| e.path()) {
            if file.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let Some((mapping, cases)) = stored_cases(&file) else {
                continue;
            };
            let m = Mapping::from_path(&mapping).unwrap();
            for (name, params, input) in cases {
                let Ok(mut p) = m.prepare(&params) else {
                    continue;
                };
                proved += p.plans.iter().map(CheckPlan::skipped).sum::<usize>();
                let planned = p.transform(&input);
                p.check_all(true);
                assert_eq!(planned, p.transform(&input), "{}: {name}", file.display());
                ran += 1;
            }
        }
    }
    // The shipped files hold over 250 cases; an empty walk would prove nothing.
    assert!(ran > 200, "only {ran} stored cases ran");
    assert!(
        proved > 0,
        "the plan proved nothing on the shipped mappings"
    );
}

/// On the Spectrum mapping the plan proves the header's constants and
/// params, the ship-to rule (Ship_To_Code is J, not I), and on each line
/// the constants and the text cut to Spectrum's lengths.
#[test]
fn the_spectrum_plan() {
    let m = Mapping::from_path(&shipped("mappings/oneserve-spectrum/order.yaml")).unwrap();
    let mut params = Params::default();
    params.set("company_code", json!("KM2"));
    let params = params.resolve(&m.params).unwrap();
    let plan = &m.check_plans(&params)[0];
    let ty = m.routes[0].target.record_type();
    let proved: Vec<&str> = ty
        .fields
        .iter()
        .filter(|f| plan.proof_of(ty, &f.name) != Proof::None)
        .map(|f| f.name.as_str())
        .collect();
    // Job_Number copies job.ref, which Oneserve does not limit: checked.
    // Vendor_Code is one of lookups/vendors.csv's codes (a team without one
    // fails the build), each within Spectrum's 10 characters.
    let constants = [
        "Company_Code",
        "PO_Number",
        "Vendor_Code",
        "Status_Flag",
        "Cost_Center",
    ];
    let more = ["Ship_To_Code", "Batch_Code", "PO_Type"];
    assert_eq!(proved, [&constants[..], &more[..]].concat());
    let rule = |id: &str| plan.proves_rule(ty.rules.iter().position(|r| r.id == id).unwrap());
    let items = plan.items(ty.position("poDetails").unwrap()).unwrap();
    let line = m.routes[0]
        .target
        .type_named(ty.field("poDetails").unwrap().of.as_deref().unwrap())
        .unwrap();
    let proved: Vec<(&str, Proof)> = line
        .fields
        .iter()
        .map(|f| (f.name.as_str(), items.proof_of(line, &f.name)))
        .filter(|(_, p)| *p != Proof::None)
        .collect();
    // The lines' constants and param, and the truncated description and note.
    let text = Proof::IfText;
    let always = Proof::Always;
    let lines = [
        ("Detail_Entry_Type", always),
        ("PO_Quantity", always),
        ("Item_Description", text),
        ("Unit_Of_Measure", always),
        ("Phase_Code", always),
        ("Cost_Type", always),
        ("Message", text),
        ("Cost_Center", always),
    ];
    assert_eq!(proved, lines);
    let line_rule =
        |id: &str| items.proves_rule(line.rules.iter().position(|r| r.id == id).unwrap());
    // PO_Quantity is 1 on every line. Item_ID is `"!" + sor_code` on an
    // item line, text starting with "!", never blank; a message line has
    // none, and the rule's `when` is false there.
    assert!(line_rule("quantity-non-zero"));
    assert!(line_rule("item-id-required"));
    // Its length depends on sor_code, which has no limit: checked.
    assert!(!line_rule("non-stock-item-length"));
    // A message line (Detail_Entry_Type M) has no Item_ID, quantity or
    // unit: the rules about them cannot apply to it.
    let message = json!({"Detail_Entry_Type": "M"});
    let message = items.for_record(message.as_object().unwrap());
    let message_rule =
        |id: &str| message.proves_rule(line.rules.iter().position(|r| r.id == id).unwrap());
    assert!(message_rule("item-id-required"));
    assert!(message_rule("non-stock-item-length"));
    // Its Message is a copy, so the rule requiring it stays.
    assert!(!message_rule("message-only-needs-message"));
    // `Detail_Entry_Type != "M" && !blank(parent.Job_Number)`: the first
    // operand is false on a message line, so `parent` is never read and the
    // rule never applies (the plan does not see `parent`'s values).
    assert!(message_rule("phase-cost-type-required"));
    assert!(message_rule("gl-account-warehouse"));
    // On an item line the same operand is true. The header's Job_Number
    // copies job.ref, required: `parent.Job_Number` is never blank, so the
    // rule applies, and Phase_Code and Cost_Type, from a lookup with a
    // default and no blank value, are always set. The G/L account rule
    // needs a blank Job_Number: it never applies.
    let item = json!({"Detail_Entry_Type": "N"});
    let item = items.for_record(item.as_object().unwrap());
    let item_rule =
        |id: &str| item.proves_rule(line.rules.iter().position(|r| r.id == id).unwrap());
    assert!(item_rule("phase-cost-type-required"));
    assert!(item_rule("gl-account-warehouse"));
    assert!(item_rule("non-stock-item-bang"));
    assert!(!item_rule("non-stock-item-length"));
    // Phase_Code is one of lookups/phases.csv's codes or the default
    // 000900, none with a dash: tried on each, the rule always holds.
    assert!(item_rule("phase-code-no-dashes"));
    // What is left of a `when` on an item line: `Detail_Entry_Type == "N"`
    // holds there, so the length rule tests only `!blank(Item_ID)`.
    let when = |plan: &CheckPlan, id: &str| {
        let i = line.rules.iter().position(|r| r.id == id).unwrap();
        match plan.when_of(i) {
            When::Full => "full".to_string(),
            When::Always => "always".to_string(),
            When::Rest(e) => {
                let names: Vec<String> =
                    e.reads().iter().map(|r| format!("{:?}", r.steps)).collect();
                format!("reads {}", names.join(" "))
            }
        }
    };
    assert_eq!(
        when(item, "non-stock-item-length"),
        r#"reads [Name("Item_ID")]"#
    );
    assert_eq!(when(message, "message-only-needs-message"), "always");
    // `when: Detail_Entry_Type == "M"` is false on an item line.
    assert!(item_rule("message-only-needs-message"));
    assert!(item_rule("message-only-ignores-others"));
    assert!(rule("ship-to-input-address"));
    // Job_Number is never blank.
    assert!(rule("job-or-warehouse"));
    // Every line is built with Detail_Entry_Type N or M: the closure
    // holds on each entry, so the lump-sum rule never fails.
    assert!(rule("lump-sum-non-stock"));
}

/// The source rules left out at prepare: Pruvan update's two Auto-Admin
/// rules (`when: = !params.auto_admin && ...`; one over a literal list of
/// ten fields) with Auto-Admin on, and none of its rules with it off.
#[test]
fn source_rules_false_under_the_params_never_apply() {
    let m = Mapping::from_path(&shipped("mappings/oneserve-pruvan/update.yaml")).unwrap();
    let skipped = |auto_admin: bool| {
        let mut params = Params::default();
        params.set("mode", json!("external"));
        params.set("auto_admin", json!(auto_admin));
        let params = params.resolve(&m.params).unwrap();
        let never = crate::rules::never_applying(&m.rules, &params);
        m.rules
            .iter()
            .zip(never)
            .filter(|(_, n)| *n)
            .map(|(r, _)| r.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        skipped(true),
        ["shared-field-auto-admin-off", "status-auto-admin-off"]
    );
    assert!(skipped(false).is_empty());
}
