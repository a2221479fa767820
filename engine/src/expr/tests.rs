use super::*;
use crate::json;

fn run(src: &str, rec: Value) -> Result<Value> {
    let e = Expr::compile(src, &[]).unwrap_or_else(|e| panic!("{src}: {e}"));
    e.eval(&Scope::of(rec.as_object()))
}

fn script(src: &str, rec: Value) -> Result<Value> {
    let e = Expr::compile_script(src, &Sandbox::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
    e.eval(&Scope::of(rec.as_object()))
}

fn code(src: &str) -> &'static str {
    Expr::compile(src, &[])
        .map(|_| "ok")
        .unwrap_or_else(|e| e.code)
}

#[test]
fn native_and_rhai_agree_on_the_shared_operators() {
    let rec = json!({"a": 2, "b": 2.5, "s": "x", "n": null, "list": [{"t": "N"}, {"t": "M"}], "o": {"k": "v"}});
    for src in [
        "a * b",
        "a + 1",
        "7 / a",
        "s + a",
        "a == 2.0",
        "a != \"2\"",
        "n == ()",
        "o.k + s",
        "list.all(|d| d.t != \"D\")",
        "list.some(|d| d.t == \"M\")",
        "\"x\" in [\"x\", \"y\"]",
        "s.starts_with(\"x\") && s.len() == 1",
        "n ?? \"dflt\"",
        "-a + 10 % 3",
        "list[1].t",
        "\"abc\".sub_string(1, 5)",
        "\"abcdef\".sub_string(-2, 2)",
        "0.1 + 0.2",
        "if a > 1 { \"big\" } else { \"small\" }",
    ] {
        let native = run(src, rec.clone()).unwrap();
        let scripted = script(src, rec.clone()).unwrap();
        assert!(
            values_equal(&native, &scripted),
            "{src}: native {native} vs rhai {scripted}"
        );
    }
}

#[test]
fn the_divergent_points_of_issue_10_have_one_meaning() {
    let rec = json!({"s": "abcdef", "a": 1.5, "o": {"k": 2}, "o2": {"k": 2.0}});
    // Text against a number has no order, in both.
    assert_eq!(
        run("s < 3", rec.clone()).unwrap_err().kind,
        EvalErrorKind::Type
    );
    assert_eq!(
        script("s < 3", rec.clone()).unwrap_err().kind,
        EvalErrorKind::Type
    );
    // A negative start counts from the end, in both.
    assert_eq!(
        run("s.sub_string(-2, 2)", rec.clone()).unwrap(),
        json!("ef")
    );
    assert_eq!(
        script("s.sub_string(-2, 2)", rec.clone()).unwrap(),
        json!("ef")
    );
    // Division by zero is an error, whole or decimal, in both.
    for src in ["a / 0.0", "a / 0", "7 / 0", "7 % 0"] {
        assert_eq!(
            run(src, rec.clone()).unwrap_err().kind,
            EvalErrorKind::DivisionByZero,
            "{src}"
        );
        assert_eq!(
            script(src, rec.clone()).unwrap_err().kind,
            EvalErrorKind::DivisionByZero,
            "{src}"
        );
    }
    // 2 and 2.0 are equal, inside maps too.
    assert_eq!(run("o == o2", rec.clone()).unwrap(), json!(true));
    assert_eq!(script("o == o2", rec.clone()).unwrap(), json!(true));
    // One text form of numbers.
    assert_eq!(
        run("1000000000000000.0.to_string()", json!({})).unwrap(),
        json!("1000000000000000.0")
    );
    assert_eq!(
        run("x.to_string()", json!({"x": 1e15})).unwrap(),
        json!("1000000000000000.0")
    );
}

#[test]
fn decimal_arithmetic() {
    assert_eq!(run("0.1 + 0.2", json!({})).unwrap(), json!(0.3));
    assert_eq!(run("0.1 + 0.2 == 0.3", json!({})).unwrap(), json!(true));
    assert_eq!(
        run(
            "unit_cost * quantity + 0.2",
            json!({"unit_cost": 0.05, "quantity": 2})
        )
        .unwrap(),
        json!(0.3)
    );
    assert_eq!(script("0.1 + 0.2 == 0.3", json!({})).unwrap(), json!(true));
    assert_eq!(
        run("9223372036854775807 + 1", json!({})).unwrap_err().kind,
        EvalErrorKind::Overflow
    );
}

#[test]
fn what_the_shipped_mappings_need_is_native() {
    let rec = json!({"job": {"priority": "P1"}, "params": {"m": "P1=open, P2 = closed"}, "acts": [{"team": {"name": "A"}}, {"team": null}, {"team": {"name": "A"}}]});
    assert_eq!(
        run("params.m.split(\",\").map(|p| p.split(\"=\")).filter(|kv| kv.len() == 2 && kv[0].trim() == job?.priority).map(|kv| kv[1].trim()).join(\"\")", rec.clone()).unwrap(),
        json!("open")
    );
    assert_eq!(
        run(
            "acts.filter(|a| a.team != ()).map(|a| a.team.name).distinct().len() <= 1",
            rec.clone()
        )
        .unwrap(),
        json!(true)
    );
    assert_eq!(run("nothing?.name", rec.clone()).unwrap(), json!(null));
    assert_eq!(
        run("nothing.name", rec.clone()).unwrap_err().kind,
        EvalErrorKind::MissingField
    );
    assert_eq!(
        run("if false { 1 } else if true { 2 } else { 3 }", rec.clone()).unwrap(),
        json!(2)
    );
    assert_eq!(run("if false { 1 }", rec.clone()).unwrap(), json!(null));
    assert_eq!(
        run(
            "[\"a\", \"\", (), \"b\"].join_nonblank(\", \")",
            rec.clone()
        )
        .unwrap(),
        json!("a, b")
    );
    assert_eq!(
        run("[1, 2, 3].reduce(|s, x| s + x, 0)", rec).unwrap(),
        json!(6)
    );
}

#[test]
fn four_nested_closures_and_many_names_do_not_panic() {
    let rec = json!({"l": [[[[1]]]]});
    let src = "l.all(|a| a.all(|b| b.all(|c| c.all(|d| d == 1 && a.len() == 1 && b.len() == 1 && c.len() == 1))))";
    let e = Expr::compile(src, &[]).unwrap();
    let vals: Vec<Value> = (0..20).map(Value::from).collect();
    let names: Vec<String> = (0..20).map(|i| format!("v{i}")).collect();
    let mut scope = Scope::of(rec.as_object());
    for (n, v) in names.iter().zip(&vals) {
        scope = scope.with(n, v);
    }
    assert_eq!(e.eval(&scope).unwrap(), json!(true));
    assert_eq!(
        run("v19 + 1", json!({})).unwrap_err().kind,
        EvalErrorKind::Type
    );
    assert_eq!(
        Expr::compile("v19 + 1", &[]).unwrap().eval(&scope).unwrap(),
        json!(20)
    );
}

#[test]
fn deep_nesting_is_a_compile_error_and_flat_chains_are_fine() {
    let deep = format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000));
    let err = Expr::compile(&deep, &[]).unwrap_err();
    assert_eq!(err.code, "expr-too-deep");
    assert_eq!(err.offset, MAX_DEPTH); // the 65th bracket
    assert_eq!(code(&format!("{}x", "!".repeat(5_000))), "expr-too-deep");
    assert_eq!(code(&format!("x{}", ".a".repeat(5_000))), "expr-too-deep");
    let chain = vec!["1"; 3_000].join(" + ");
    assert_eq!(run(&chain, json!({})).unwrap(), json!(3000));
}

#[test]
fn not_in_the_language_is_a_compile_error_with_a_code() {
    assert_eq!(code("let x = 1; x"), "expr-syntax");
    assert_eq!(code("a +"), "expr-syntax");
    assert_eq!(code("nosuch(1)"), "expr-unknown-function");
    assert_eq!(code("a.trimm()"), "expr-unknown-method");
    assert_eq!(code("round(1)"), "expr-arity");
    let e = Expr::compile("a.trimm()", &[]).unwrap_err();
    assert_eq!(e.help.as_deref(), Some("did you mean trim?"), "{e}");
    assert_eq!(e.offset, 2);
}

#[test]
fn reads_are_paths_with_spans() {
    let e = Expr::compile(
        "job.site.ref + activities.map(|a| a.team.name).join(\",\") + sor_code.sub_string(0, 3) + params.x + activities[0].team",
        &[],
    )
    .unwrap();
    let reads: Vec<(Vec<Step>, &str)> = e
        .reads()
        .into_iter()
        .map(|r| (r.steps, &e.source()[r.offset..r.offset + r.len]))
        .collect();
    let n = |s: &str| Step::Name(s.to_string());
    assert_eq!(
        reads,
        vec![
            (vec![n("job"), n("site"), n("ref")], "job.site.ref"),
            (vec![n("activities")], "activities"),
            (
                vec![n("activities"), Step::Item, n("team"), n("name")],
                "a.team.name"
            ),
            (vec![n("sor_code")], "sor_code"),
            (vec![n("params"), n("x")], "params.x"),
            (
                vec![n("activities"), Step::Item, n("team")],
                "activities[0].team"
            ),
        ]
    );
    let s = Expr::compile_script(
        "let t = 0; for x in items { t += x.n } t + bonus",
        &Sandbox::default(),
    )
    .unwrap();
    assert!(s.is_script());
    let names: Vec<Vec<Step>> = s.reads().into_iter().map(|r| r.steps).collect();
    assert!(names.contains(&vec![n("items")]) && names.contains(&vec![n("bonus")]));
}

#[test]
fn the_budget_stops_quadratic_work_and_names_the_limit() {
    let acts: Vec<Value> = (0..8_000)
        .map(|i| json!({"id": i, "team": {"name": "T1"}}))
        .collect();
    let rec = json!({"activities": acts});
    let _unit = UnitBudget::start(RunLimits {
        time_ms: 3_600_000,
        ..RunLimits::default()
    });
    let linear = "activities.filter(|a| a.team != ()).map(|a| a.team.name).distinct().len() <= 1";
    assert_eq!(run(linear, rec.clone()).unwrap(), json!(true));
    let quadratic = "activities.all(|a| activities.all(|b| a.team == () || b.team == () || a.team.name == b.team.name))";
    let err = run(quadratic, rec).unwrap_err();
    assert_eq!(
        err.kind,
        EvalErrorKind::Budget {
            limit: "operations"
        }
    );
    assert_eq!(err.rule(), Some("budget"));
    assert_eq!(
        err.message,
        "stopped after 1000000 operations (the budget limit 'operations')"
    );
}

#[test]
fn scripts_are_bounded_by_size_not_only_operations() {
    let amplifier =
        "let s = \"x\"; for i in 0..20 { s += s } ; for i in 0..999000 { s.contains(\"y\") }";
    let err = script(amplifier, json!({})).unwrap_err();
    assert_eq!(
        err.kind,
        EvalErrorKind::Budget {
            limit: "script data size"
        }
    );
    let err = script("let x = 0; loop { x += 1; }", json!({})).unwrap_err();
    assert_eq!(
        err.kind,
        EvalErrorKind::Budget {
            limit: "script operations"
        }
    );
    assert!(
        Expr::compile_script("import \"x\" as y; 1", &Sandbox::default())
            .map(|e| e.eval(&Scope::of(None)).is_err())
            .unwrap_or(true)
    );
}

#[test]
fn rounding_is_what_a_person_expects_of_money() {
    for (src, want) in [
        ("round(1.15 * 0.10, 2)", json!(0.12)),
        ("round(0.125, 2)", json!(0.13)),
        ("round(-2.5, 0)", json!(-3.0)),
        ("round(249.5 * 0.15, 2)", json!(37.43)),
    ] {
        assert_eq!(run(src, json!({})).unwrap(), want, "{src}");
        assert_eq!(script(src, json!({})).unwrap(), want, "script {src}");
    }
}

const DOC: &str = include_str!("../../../docs/expressions.md");

/// The error class names of docs/expressions.md.
pub(crate) fn class(kind: EvalErrorKind) -> &'static str {
    match kind {
        EvalErrorKind::Type => "type",
        EvalErrorKind::DivisionByZero => "division-by-zero",
        EvalErrorKind::Overflow => "overflow",
        EvalErrorKind::MissingField => "missing-field",
        EvalErrorKind::Index => "index",
        EvalErrorKind::Value => "value",
        EvalErrorKind::Budget { .. } => "budget",
        EvalErrorKind::Time => "time",
        EvalErrorKind::Call => "call",
        EvalErrorKind::Script => "script",
    }
}

fn fenced<'d>(doc: &'d str, info: &str) -> Vec<&'d str> {
    let open = format!("```{info}\n");
    doc.match_indices(&open)
        .map(|(at, _)| {
            let body = &doc[at + open.len()..];
            &body[..body.find("```").unwrap()]
        })
        .collect()
}

/// What an example gives, in the doc's notation.
fn outcome(src: &str, rec: &Value) -> String {
    match Expr::compile(src, &[]) {
        Err(e) => format!("error: {}", e.code),
        Ok(e) => match e.eval(&Scope::of(rec.as_object())) {
            Ok(v) => v.to_string(),
            Err(e) => format!("error: {}", class(e.kind)),
        },
    }
}

#[test]
fn every_example_of_the_expressions_doc_holds() {
    let rec: Value = serde_json::from_str(fenced(DOC, "json record")[0]).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    for block in fenced(DOC, "examples") {
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            let (src, want) = line
                .split_once("  ==>  ")
                .unwrap_or_else(|| panic!("an example needs '  ==>  ': {line}"));
            let got = outcome(src.trim(), &rec);
            let want = want.trim();
            let same = match (
                serde_json::from_str::<Value>(want),
                want.starts_with("error:"),
            ) {
                (Ok(w), false) => serde_json::from_str::<Value>(&got).is_ok_and(|g| g == w),
                _ => got == want,
            };
            if !same {
                failures.push(format!("{src}  ==>  {got}   (the doc says {want})"));
            }
            count += 1;
        }
    }
    assert!(count > 100, "only {count} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_function_and_method_is_documented_with_its_example() {
    let examples: Vec<&str> = fenced(DOC, "examples")
        .into_iter()
        .flat_map(str::lines)
        .collect();
    let specs = funcs::FUNCS
        .iter()
        .map(|s| (s.name, s.doc, s.example))
        .chain(funcs::METHODS.iter().map(|s| (s.name, s.doc, s.example)));
    for (name, doc, example) in specs {
        assert!(!doc.is_empty(), "{name} has no doc line");
        assert!(
            examples.contains(&example),
            "the example of {name} is not in docs/expressions.md: {example}"
        );
        assert!(DOC.contains(&format!("`{name}")), "{name} is not described");
    }
}

/// Review of issue 10: `(x + 1).to_string()` with x = 12345678901234567890
/// gave "12345678901234567000.0". A whole number past i64 is an overflow.
#[test]
fn a_whole_number_past_64_bits_from_the_record_is_an_overflow_not_a_rounding() {
    let rec = crate::json!({"x": 12345678901234567890u64});
    let e = run("(x + 1).to_string()", rec.clone()).unwrap_err();
    assert_eq!(e.kind, EvalErrorKind::Overflow);
    assert!(e.message.contains("12345678901234567890"), "{e}");
    // Copying it is no arithmetic: the value passes through as it is.
    assert_eq!(
        run("x", rec).unwrap(),
        crate::json!(12345678901234567890u64)
    );
}

/// Review of issue 10: a script with a non-ASCII literal panicked at load
/// ("start byte index 4 is not a char boundary").
#[test]
fn a_script_with_non_ascii_text_compiles_and_runs() {
    let rec = crate::json!({"s": "10", "items": ["a"]});
    assert_eq!(
        script("\"£\" + s", rec.clone()).unwrap(),
        crate::json!("£10")
    );
    assert_eq!(
        script("\"日本\".len()", rec.clone()).unwrap(),
        crate::json!(2)
    );
    assert_eq!(
        script("items.map(|x| \"a😀b\")", rec).unwrap(),
        crate::json!(["a😀b"])
    );
}

/// Run `src` over `rec` in a unit with the default budget, expecting the
/// operations budget to trip (the message names the limit).
fn trips_the_budget(src: &str, rec: &Value) {
    // The clock's safety net is set far off: a debug build on a busy
    // machine must trip the operations budget, which does not depend on load.
    let _unit = UnitBudget::start(RunLimits {
        time_ms: 3_600_000,
        ..RunLimits::default()
    });
    let err = run(src, rec.clone()).expect_err(src);
    assert_eq!(
        err.kind,
        EvalErrorKind::Budget {
            limit: "operations"
        },
        "{src}: {err}"
    );
    assert_eq!(err.rule(), Some("budget"), "{src}");
    assert_eq!(
        err.message, "stopped after 1000000 operations (the budget limit 'operations')",
        "{src}"
    );
}

#[test]
fn deep_copies_of_nested_lists_and_maps_are_charged_by_size() {
    let rec = json!({"l": (0..40).collect::<Vec<i32>>()});
    for src in [
        "l.reduce(|a, x| [a, a], 1).len()",
        "l.reduce(|a, x| a + [a], [1]).len()",
        "l.reduce(|a, x| #{l: a, r: a}, 1).len()",
        "l.reduce(|a, x| [a, a], 1) == l.reduce(|a, x| [a, a], 1)",
        "l.reduce(|a, x| [a, a], 1).distinct().len()",
        "l.reduce(|a, x| [a, a], 1).to_string().len()",
    ] {
        trips_the_budget(src, &rec);
    }
}

#[test]
fn comparing_searching_and_writing_out_big_lists_is_charged_by_size() {
    let big: Vec<i32> = (0..200_000).collect();
    let rec = json!({"big": big, "l": (0..100).collect::<Vec<i32>>()});
    for src in [
        "big.filter(|x| x in big).len()",
        "l.filter(|x| big == big).len()",
        "l.filter(|x| big != big).len()",
        "l.map(|x| \"\" + big).len()",
        "l.map(|x| big.to_string()).len()",
        "l.map(|x| big.contains(-1)).len()",
        "l.map(|x| big.distinct()).len()",
        "l.map(|x| [big]).len()",
        "l.map(|x| big).len()",
    ] {
        trips_the_budget(src, &rec);
    }
}

#[test]
fn joins_are_charged_by_the_bytes_they_would_build_before_building() {
    let s = "x".repeat(1 << 20);
    let rec = json!({"s": s, "l": (0..2_000).collect::<Vec<i32>>()});
    for src in [
        "l.map(|x| s).join(\"\").len()",
        "l.join(s).len()",
        "l.join_nonblank(s).len()",
        "l.map(|x| s).join_nonblank(\"\").len()",
        "l.map(|x| s + \"\").len()",
    ] {
        trips_the_budget(src, &rec);
    }
}

#[test]
fn a_copy_costs_its_size_and_no_more() {
    // `[big]` copies 2,000 items (2,001 values) into the new list: within a
    // budget of 3,000 it fits, within 1,000 it trips, the same on any run.
    let rec = json!({"big": (0..2_000).collect::<Vec<i32>>()});
    let limits = |operations| RunLimits {
        operations,
        ..RunLimits::default()
    };
    {
        let _unit = UnitBudget::start(limits(3_000));
        assert_eq!(run("[big].len()", rec.clone()).unwrap(), json!(1));
    }
    let _unit = UnitBudget::start(limits(1_000));
    let err = run("[big].len()", rec).unwrap_err();
    assert_eq!(
        err.message,
        "stopped after 1000 operations (the budget limit 'operations')"
    );
    assert_eq!(err.rule(), Some("budget"));
}

#[test]
fn a_record_value_past_the_script_limits_is_refused_before_the_script_runs() {
    let scan = "let n = 0; for i in 0..30000 { n += s.index_of(\"y\") } n";
    let err = script(scan, json!({"s": "x".repeat(1 << 20)})).unwrap_err();
    assert_eq!(
        err.kind,
        EvalErrorKind::Budget {
            limit: "script data size"
        }
    );
    assert_eq!(err.rule(), Some("budget"));
    assert_eq!(
        err.message,
        "the value of 's' is past the budget limit 'script data size' (text 65536 characters, arrays 10000 items, maps 10000 entries)"
    );
    let err = script(
        "l.len()",
        json!({"l": [[(0..10_001).collect::<Vec<i32>>()]]}),
    )
    .unwrap_err();
    assert!(
        err.message
            .starts_with("the value of 'l' is past the budget limit 'script data size'"),
        "{}",
        err.message
    );
    // At the limit is fine: 65,536 characters of text go in.
    let at = json!({"s": "é".repeat(65_536)});
    assert_eq!(script("s.len()", at).unwrap(), json!(65_536));
}

#[test]
fn a_quoted_source_stops_at_120_characters() {
    let short = "a + b";
    assert_eq!(super::quoted(short), "a + b");
    let exact = "x".repeat(120);
    assert_eq!(super::quoted(&exact), exact);
    // Characters, not bytes: a cut never splits one.
    let long = "é".repeat(200);
    let q = super::quoted(&long);
    assert_eq!(q.chars().count(), 121);
    assert_eq!(q, format!("{}…", "é".repeat(120)));
}

/// `distinct()` keeps the first of each value in order, for text compared
/// in place (a short list), hashed (a long one), and mixed values alike.
#[test]
fn distinct_keeps_the_first_of_each_in_order() {
    let short = json!({"l": ["b", "a", "b", "c", "a"]});
    assert_eq!(run("l.distinct()", short).unwrap(), json!(["b", "a", "c"]));
    let long: Vec<String> = (0..40).map(|i| format!("t{}", i % 7)).collect();
    let want: Vec<String> = (0..7).map(|i| format!("t{i}")).collect();
    assert_eq!(
        run("l.distinct()", json!({ "l": long })).unwrap(),
        json!(want)
    );
    let mixed = json!({"l": [1, "1", 1.0, "1", true]});
    assert_eq!(run("l.distinct()", mixed).unwrap(), json!([1, "1", true]));
}

/// Work beside the unit off the count (a check the plan proved, run by
/// `--check-all`) is stopped by neither the operations limit nor the
/// deadline, as leaving it out is not; the unit's own limits hold again
/// after it. The deadline here has passed before the work starts.
#[test]
fn uncounted_work_meets_neither_limit_and_the_unit_keeps_both() {
    let rec = json!({"l": (0..3_000).collect::<Vec<i64>>()});
    let _unit = UnitBudget::start(RunLimits {
        operations: 10,
        time_ms: 1,
    });
    std::thread::sleep(std::time::Duration::from_millis(5));
    let work = "l.all(|x| x >= 0)";
    {
        let _off = crate::expr::BesideUnit::uncounted();
        assert_eq!(run(work, rec.clone()).unwrap(), json!(true));
    }
    let err = run(work, rec).unwrap_err();
    assert!(
        matches!(err.kind, EvalErrorKind::Time | EvalErrorKind::Budget { .. }),
        "{err:?}"
    );
}

/// One compiled expression read over records whose keys move, and over
/// scopes where the name is found in a different layer each time: the
/// place remembered from the last record (`Hint`) never answers for a
/// name that is elsewhere now, or shadowed.
#[test]
fn a_remembered_place_never_answers_for_a_moved_or_shadowed_name() {
    let e = Expr::compile("x + \"/\" + o.k", &[]).unwrap();
    let records = [
        json!({"x": "a", "o": {"k": 1, "j": 2}}),
        json!({"y": 0, "x": "b", "o": {"j": 2, "k": 3}}),
        json!({"k": 9, "x": "c", "o": {"k": 4}}),
        json!({"x": "d", "k": 9, "o": {"j": 0, "kk": 1, "k": 5}}),
    ];
    let got: Vec<Value> = records
        .iter()
        .map(|r| e.eval(&Scope::of(r.as_object())).unwrap())
        .collect();
    assert_eq!(
        got,
        [json!("a/1"), json!("b/3"), json!("c/4"), json!("d/5")]
    );
    // A record without the name, after one with it at the remembered place.
    let missing = json!({"o": {"k": 6}, "z": "x"});
    let fresh = Expr::compile("x + \"/\" + o.k", &[]).unwrap();
    let scope = Scope::of(missing.as_object());
    assert_eq!(
        format!("{:?}", e.eval(&scope)),
        format!("{:?}", fresh.eval(&scope))
    );
    assert_ne!(
        format!("{:?}", e.eval(&scope)),
        format!("{:?}", Ok::<_, EvalError>(json!("a/6")))
    );
    // The same place now shadowed: by a variable, then by a `let:` value
    // (searched before the unit's record), then, in an item, the item's
    // own field before the record holding the list.
    let rec = json!({"x": "rec", "o": {"k": 7}});
    let var = json!("var");
    let scope = Scope::of(rec.as_object()).with("x", &var);
    assert_eq!(e.eval(&scope).unwrap(), json!("var/7"));
    let lets = json!({"x": "let"});
    let mut scope = Scope::of(rec.as_object());
    scope.lets = lets.as_object();
    assert_eq!(e.eval(&scope).unwrap(), json!("let/7"));
    let item = json!({"o": {"k": 8}, "x": "item"});
    let mut scope = Scope::of(item.as_object());
    scope.outer = rec.as_object();
    assert_eq!(e.eval(&scope).unwrap(), json!("item/8"));
    let bare_item = json!({"o": {"k": 8}});
    let mut scope = Scope::of(bare_item.as_object());
    scope.outer = rec.as_object();
    assert_eq!(e.eval(&scope).unwrap(), json!("rec/8"));
    // And back to the first record: found again, wherever it is.
    assert_eq!(
        e.eval(&Scope::of(records[0].as_object())).unwrap(),
        json!("a/1")
    );
}
