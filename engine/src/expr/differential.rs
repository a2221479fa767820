//! The language against rhai, on generated expressions and records: the
//! same value, or the same class of error (docs/expressions.md, "Scripts").
//!
//! The generator is typed, so that it writes what both share. Left out on
//! purpose, as the documented differences:
//! - text of a decimal (`"x" + 2.5`, `2.5.to_string()`): rhai keeps the scale;
//! - `trim`, `keys`, `join`, `distinct` (not shared, or shared with another meaning);
//! - order comparisons of mismatched types other than text against number;
//! - in rhai a closure cannot read the list it is called on
//!   (`arr.some(|x| x == arr[0])` is a "data race"); the language can;
//! - rhai rejects some type errors between literals when compiling, where
//!   the language finds them when it runs (the same class, found earlier);
//! - division by a decimal whose quotient does not terminate (the language
//!   keeps a decimal result to the nearest f64 between steps, rhai keeps 28
//!   digits): divisors are drawn from values whose quotients terminate, and
//!   decimals stay within 15 significant digits (the f64 between steps holds
//!   those exactly; `big` only appears where it overflows).

use std::sync::OnceLock;

use super::{type_name, values_equal, EvalError, EvalErrorKind, Expr, Sandbox, Scope};
use crate::json;
use crate::value::Value;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn sandbox() -> &'static Sandbox {
    static S: OnceLock<Sandbox> = OnceLock::new();
    S.get_or_init(Sandbox::default)
}

/// The error classes both evaluators share.
fn class(e: &EvalError) -> &'static str {
    match e.kind {
        EvalErrorKind::Type => "type",
        EvalErrorKind::DivisionByZero => "division-by-zero",
        EvalErrorKind::Overflow => "overflow",
        EvalErrorKind::MissingField => "missing-field",
        EvalErrorKind::Index => "index",
        EvalErrorKind::Budget { .. } => "budget",
        _ => "other",
    }
}

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(options)
        .prop_map(str::to_string)
        .boxed()
}

fn int_expr() -> BoxedStrategy<String> {
    pick(&["i1", "i2", "z", "0", "1", "7", "arr.len()", "s1.len()"])
        .prop_recursive(2, 6, 2, |inner| {
            prop_oneof![
                (
                    inner.clone(),
                    pick(&["+", "-", "*", "/", "%"]),
                    inner.clone()
                )
                    .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
                inner.clone().prop_map(|a| format!("(-{a})")),
                (bool_leaf(), inner.clone(), inner.clone())
                    .prop_map(|(c, a, b)| format!("(if {c} {{ {a} }} else {{ {b} }})")),
                (str_leaf(), str_leaf()).prop_map(|(a, b)| format!("{a}.index_of({b})")),
                inner.prop_map(|i| format!("arr[{i}]")),
            ]
        })
        .boxed()
}

fn num_expr(int: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let leaf = prop_oneof![pick(&["d1", "d2", "0.1", "2.5", "1.25", "0.2"]), int,];
    leaf.prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), pick(&["+", "-", "*"]), inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (
                inner.clone(),
                pick(&["/", "%"]),
                pick(&["2", "4", "5", "0", "z", "0.5", "2.5", "0.0"])
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (bool_leaf(), inner.clone(), inner)
                .prop_map(|(c, a, b)| format!("(if {c} {{ {a} }} else {{ {b} }})")),
        ]
    })
    .boxed()
}

fn str_leaf() -> BoxedStrategy<String> {
    pick(&["s1", "s2", "\"ab\"", "\"\"", "\"b a\""])
}

fn str_expr(int: BoxedStrategy<String>) -> BoxedStrategy<String> {
    str_leaf()
        .prop_recursive(2, 8, 2, move |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
                (inner.clone(), int.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
                inner.clone().prop_map(|a| format!("{a}.to_upper()")),
                inner.clone().prop_map(|a| format!("{a}.to_lower()")),
                (inner.clone(), int.clone(), int.clone())
                    .prop_map(|(a, i, j)| format!("{a}.sub_string({i}, {j})")),
                (bool_leaf(), inner.clone(), inner.clone())
                    .prop_map(|(c, a, b)| format!("(if {c} {{ {a} }} else {{ {b} }})")),
                inner.prop_map(|a| format!("(u ?? {a})")),
            ]
        })
        .boxed()
}

fn bool_leaf() -> BoxedStrategy<String> {
    pick(&["b1", "true", "false", "(u == ())", "(i1 > i2)"])
}

fn bool_expr(k: &Kit) -> BoxedStrategy<String> {
    let (int_expr, num_expr, str_expr) = (|| k.int.clone(), || k.num.clone(), || k.str.clone());
    let cmp = pick(&["==", "!=", "<", "<=", ">", ">="]);
    prop_oneof![
        bool_leaf(),
        (num_expr(), cmp.clone(), num_expr()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        (str_expr(), cmp, str_expr()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        (str_expr(), str_expr()).prop_map(|(a, b)| format!("{a}.contains({b})")),
        (str_expr(), str_expr()).prop_map(|(a, b)| format!("{a}.starts_with({b})")),
        (str_expr(), str_expr()).prop_map(|(a, b)| format!("{a}.ends_with({b})")),
        (int_expr(), str_expr()).prop_map(|(a, b)| format!("({a} == {b})")),
        (str_expr(), str_expr()).prop_map(|(a, b)| format!("({a} in {b})")),
        int_expr().prop_map(|a| format!("({a} in arr)")),
        int_expr().prop_map(|a| format!("arr.all(|x| x > {a})")),
        int_expr().prop_map(|a| format!("arr.some(|x| x == {a} + i1)")),
        num_expr().prop_map(|a| format!("(arr.filter(|x| x > 0).len() == {a})")),
        num_expr().prop_map(|a| format!("(arr.reduce(|s, x| s + x * {a}, 0) < 3)")),
        num_expr().prop_map(|a| format!("(arr.map(|x| x + {a}) == arr)")),
        (pick(&["u", "m"]), str_expr()).prop_map(|(m, a)| format!("({m}?.k == {a})")),
    ]
    .prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                pick(&["&&", "||", "==", "!="]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("!{a}")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(c, a, b)| format!("(if {c} {{ {a} }} else {{ {b} }})")),
        ]
    })
    .boxed()
}

/// Forms that are errors in both: the error classes must agree.
fn bad_expr(k: &Kit) -> BoxedStrategy<String> {
    let (int_expr, num_expr, str_expr) = (|| k.int.clone(), || k.num.clone(), || k.str.clone());
    prop_oneof![
        (str_expr(), pick(&["<", ">=", "-", "*"]), int_expr())
            .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        (pick(&["u", "b1"]), pick(&["+", "-", "*"]), num_expr())
            .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        (int_expr(), k.bool.clone()).prop_map(|(a, b)| format!("({a} && {b})")),
        (int_expr(), str_expr()).prop_map(|(c, a)| format!("(if {c} {{ {a} }} else {{ 1 }})")),
        num_expr().prop_map(|a| format!("u.k + {a}")),
        pick(&[
            "(big * 4)",
            "(big + big + big)",
            "(-big - big - big)",
            "(big * i1 * i1 * 4)"
        ]),
    ]
    .boxed()
}

/// The strategies, each built once (building them inside one another's
/// recursion multiplies the work at every level).
struct Kit {
    int: BoxedStrategy<String>,
    num: BoxedStrategy<String>,
    str: BoxedStrategy<String>,
    bool: BoxedStrategy<String>,
}

fn any_expr() -> BoxedStrategy<String> {
    let int = int_expr();
    let mut kit = Kit {
        num: num_expr(int.clone()),
        str: str_expr(int.clone()),
        int,
        bool: bool_leaf(),
    };
    kit.bool = bool_expr(&kit);
    prop_oneof![
        3 => kit.num.clone(),
        3 => kit.str.clone(),
        3 => kit.bool.clone(),
        1 => bad_expr(&kit),
    ]
    .boxed()
}

fn record() -> impl Strategy<Value = Value> {
    (
        -20i64..20,
        -20i64..20,
        -2000i64..2000,
        -2000i64..2000,
        "[ab ]{0,4}",
        "[ab ]{0,4}",
        any::<bool>(),
        proptest::collection::vec(-5i64..5, 0..4),
    )
        .prop_map(|(i1, i2, d1, d2, s1, s2, b1, arr)| {
            json!({
                "i1": i1, "i2": i2, "z": 0,
                "d1": d1 as f64 / 100.0, "d2": d2 as f64 / 100.0,
                "s1": s1, "s2": s2, "b1": b1, "arr": arr, "u": null,
                "big": 4_611_686_018_427_387_904i64, "m": {"k": "ab"},
            })
        })
}

fn same(native: &Result<Value, EvalError>, script: &Result<Value, EvalError>) -> bool {
    match (native, script) {
        (Ok(a), Ok(b)) => values_equal(a, b) && type_name(a) == type_name(b),
        (Err(a), Err(b)) => class(a) == class(b),
        _ => false,
    }
}

#[test]
fn the_language_and_rhai_agree_on_what_they_share() {
    // A fixed seed: the same 3,000 cases on every run (a disagreement found
    // is a bug to fix, not a flaky test).
    let config = Config {
        cases: 3_000,
        failure_persistence: None,
        // Shrinking generated text is slow and rarely makes it shorter.
        max_shrink_iters: 64,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&(any_expr(), record()), |(src, rec)| check_case(&src, &rec));
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn check_case(src: &str, rec: &Value) -> Result<(), TestCaseError> {
    {
        let native =
            Expr::compile(src, &[]).map_err(|e| TestCaseError::fail(format!("{src}: {e}")))?;
        let scope = Scope::of(rec.as_object());
        let script = match Expr::compile_script(src, sandbox()) {
            Ok(s) => s,
            // rhai finds some type errors between literals when it compiles
            // (`(-0) && b`); the language finds them when it runs.
            Err(e) => {
                let native = native.eval(&scope);
                prop_assert!(
                    matches!(&native, Err(n) if class(n) == "type"),
                    "{src}\n  rhai does not compile it ({e}), native {native:?}"
                );
                return Ok(());
            }
        };
        let (a, b) = (native.eval(&scope), script.eval(&scope));
        if matches!(&b, Err(e) if e.message.starts_with("Data race detected")) {
            return Ok(()); // documented: a script's closure cannot read the list it runs over
        }
        prop_assert!(
            same(&a, &b),
            "{src}\n  record {rec}\n  native {a:?}\n  rhai   {b:?}"
        );
        Ok(())
    }
}
