//! Values and numbers: whole numbers are i64 (overflow is an error), every
//! other number is computed in rust_decimal and stored back as the f64 of the
//! decimal's shortest text, so `0.1 + 0.2` is `0.3`. One text form, one
//! equality and one order for the whole engine.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::value::{Number, Value};
use rust_decimal::prelude::*;

use super::{EvalError, EvalErrorKind as K};

/// A number taken out of a JSON value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    /// A whole number.
    I(i64),
    /// Anything else, in decimal.
    D(Decimal),
}

/// The number in `v`, if it is one. `Err` for a float too large for decimal
/// arithmetic (beyond about 7.9e28).
pub(crate) fn num(v: &Value) -> Option<Result<Num, EvalError>> {
    let n = v.as_number()?;
    Some(match n.as_i64() {
        Some(i) => Ok(Num::I(i)),
        None => match decimal_as_read(v) {
            Some(d) => Ok(Num::D(d)),
            None => decimal_of(n).map(Num::D),
        },
    })
}

/// A number of the record being read whose literal an f64 does not hold
/// (crate::literal), as the decimal it was written as, when that fits in a
/// decimal's 28 digits: `0.1000000000000000000000000001` is itself, not 0.1.
/// `None` for every other value (one thread-local read).
fn decimal_as_read(v: &Value) -> Option<Decimal> {
    let literal = crate::literal::source_literal(v)?;
    Decimal::from_str_exact(&crate::literal::plain_digits(&literal)).ok()
}

fn decimal_of(n: &Number) -> Result<Decimal, EvalError> {
    if let Some(u) = n.as_u64() {
        // Whole numbers are i64 (docs/expressions.md, "Numbers"): one past
        // that range cannot be computed exactly, so it is an overflow, not
        // a silent rounding to the nearest decimal.
        return Err(EvalError::new(
            K::Overflow,
            format!("{u} is a whole number past the 64-bit range"),
        ));
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    // `from_f64` keeps the shortest decimal that reads back as the same f64:
    // 0.1 is 0.1, not 0.1000000000000000055511151231257827.
    Decimal::from_f64(f).ok_or_else(|| {
        EvalError::new(
            K::Overflow,
            format!("{} is too large for decimal arithmetic", text_of_number(n)),
        )
    })
}

/// The decimal a number's text (`60.10`, `-0.5`) says, exactly, or why it
/// cannot be computed exactly: rust_decimal holds 28 significant digits
/// (some of 29) up to about 7.9e28, and rounds silently past that. `None`
/// when the text is not a plain decimal at all.
pub(crate) fn exact_decimal(text: &str) -> Option<Result<Decimal, String>> {
    // Trailing zeros of a fraction are no digits: 60.000 is 60.
    let text = match text.split_once('.') {
        Some((int, frac)) if frac.ends_with('0') => {
            let frac = frac.trim_end_matches('0');
            Cow::Owned(if frac.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{frac}")
            })
        }
        _ => Cow::Borrowed(text),
    };
    match Decimal::from_str_exact(&text) {
        Ok(d) => Some(Ok(d)),
        Err(rust_decimal::Error::ExceedsMaximumPossibleValue)
        | Err(rust_decimal::Error::LessThanMinimumPossibleValue) => Some(Err(format!(
            "{text} is past the range of decimal arithmetic (at most {} either side of 0)",
            Decimal::MAX
        ))),
        Err(rust_decimal::Error::Underflow) | Err(rust_decimal::Error::ScaleExceedsMaximumPrecision(_)) => {
            Some(Err(format!(
                "{text} has more significant digits than decimal arithmetic holds ({}): it would be rounded",
                Decimal::MAX_SCALE
            )))
        }
        Err(_) => None,
    }
}

/// Largest whole number every f64 up to it holds exactly (2^53).
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// The number as an f64 when it is a whole number that f64 and decimal both
/// hold exactly (|n| <= 2^53, not -0.0): for two of these, f64 arithmetic
/// and comparison give what the decimal path gives, without the decimal
/// conversions (`unit_cost == 1.0`, `unit_cost * quantity` on whole prices).
fn exact_whole(n: &Number) -> Option<f64> {
    let f = match n.as_i64() {
        Some(i) if i.unsigned_abs() <= 1 << 53 => i as f64,
        Some(_) => return None,
        None => n.as_f64()?,
    };
    let whole = f.fract() == 0.0 && f.abs() <= EXACT_F64;
    (whole && (f != 0.0 || f.is_sign_positive())).then_some(f)
}

/// `a op b` in f64 when both are exact whole numbers, one of them a decimal
/// (two whole numbers stay integers), and the result is exact and not zero
/// (a decimal zero's sign is its own): the value the decimal path returns.
pub(crate) fn fast_arith(op: Arith, a: &Value, b: &Value) -> Option<Value> {
    let (Value::Number(x), Value::Number(y)) = (a, b) else {
        return None;
    };
    if x.is_i64() && y.is_i64() {
        return None;
    }
    let (p, q) = (exact_whole(x)?, exact_whole(y)?);
    if kept_digits(a) || kept_digits(b) {
        return None;
    }
    let r = match op {
        Arith::Add => p + q,
        Arith::Sub => p - q,
        Arith::Mul => p * q,
        Arith::Div | Arith::Rem => return None,
    };
    let exact = r != 0.0 && r.abs() <= EXACT_F64;
    exact.then(|| Number::from_f64(r).map(Value::Number))?
}

/// The order of two numbers when both are exact whole numbers (see
/// [`exact_whole`]).
fn fast_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let (Value::Number(x), Value::Number(y)) = (a, b) else {
        return None;
    };
    let (p, q) = (exact_whole(x)?, exact_whole(y)?);
    if kept_digits(a) || kept_digits(b) {
        return None;
    }
    p.partial_cmp(&q)
}

/// True for a number read with more digits than its f64 holds (the f64 is
/// whole, the literal need not be: `1.0000000000000000001`), which the
/// decimal path computes as written.
fn kept_digits(v: &Value) -> bool {
    // Whole numbers first: they hold their digits, and need no thread-local.
    !v.as_number().is_some_and(Number::is_i64)
        && crate::literal::active()
        && decimal_as_read(v).is_some()
}

/// The order of two number values, as [`cmp_num`] gives it.
pub(crate) fn cmp_values(a: &Value, b: &Value) -> Option<Result<Ordering, EvalError>> {
    if let Some(o) = fast_cmp(a, b) {
        return Some(Ok(o));
    }
    match (num(a), num(b)) {
        (Some(x), Some(y)) => Some(x.and_then(|x| Ok(cmp_num(x, y?)))),
        _ => None,
    }
}

/// A decimal back into JSON: the f64 nearest its text.
pub(crate) fn decimal_value(d: Decimal) -> Result<Value, EvalError> {
    let f: f64 = d.normalize().to_string().parse().unwrap_or(f64::NAN);
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| EvalError::new(K::Overflow, format!("{d} is not a number JSON can hold")))
}

/// The decimal form of a number value (for `round`, `parse_decimal`).
pub(crate) fn as_decimal(n: Num) -> Decimal {
    match n {
        Num::I(i) => Decimal::from(i),
        Num::D(d) => d,
    }
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Arith {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Arith::Add => "+",
            Arith::Sub => "-",
            Arith::Mul => "*",
            Arith::Div => "/",
            Arith::Rem => "%",
        }
    }
}

/// `x op y` on two numbers.
pub(crate) fn arith(op: Arith, x: Num, y: Num) -> Result<Value, EvalError> {
    let overflow = || {
        let range = match (x, y) {
            (Num::I(_), Num::I(_)) => "the 64-bit range of whole numbers".to_string(),
            _ => format!(
                "the range of decimal arithmetic (at most {} either side of 0)",
                Decimal::MAX
            ),
        };
        EvalError::new(
            K::Overflow,
            format!(
                "{} overflows: the result is past {range}",
                describe(op, x, y)
            ),
        )
    };
    if let (Num::I(a), Num::I(b)) = (x, y) {
        if b == 0 && matches!(op, Arith::Div | Arith::Rem) {
            return Err(EvalError::new(K::DivisionByZero, "division by zero"));
        }
        let r = match op {
            Arith::Add => a.checked_add(b),
            Arith::Sub => a.checked_sub(b),
            Arith::Mul => a.checked_mul(b),
            Arith::Div => a.checked_div(b),
            Arith::Rem => a.checked_rem(b),
        };
        return r.map(Value::from).ok_or_else(overflow);
    }
    let (a, b) = (as_decimal(x), as_decimal(y));
    if b.is_zero() && matches!(op, Arith::Div | Arith::Rem) {
        return Err(EvalError::new(K::DivisionByZero, "division by zero"));
    }
    let r = match op {
        Arith::Add => a.checked_add(b),
        Arith::Sub => a.checked_sub(b),
        Arith::Mul => a.checked_mul(b),
        Arith::Div => a.checked_div(b),
        Arith::Rem => a.checked_rem(b),
    };
    decimal_value(r.ok_or_else(overflow)?)
}

fn describe(op: Arith, x: Num, y: Num) -> String {
    // A decimal as the value it came from reads (`5e25`, not the
    // 50000000000000002382364672 that f64 holds).
    let t = |n: Num| match n {
        Num::I(i) => i.to_string(),
        Num::D(d) => d
            .to_f64()
            .and_then(Number::from_f64)
            .map(|n| text_of_number(&n))
            .unwrap_or_else(|| d.to_string()),
    };
    format!("{} {} {}", t(x), op.symbol(), t(y))
}

/// The order of two numbers.
pub(crate) fn cmp_num(x: Num, y: Num) -> Ordering {
    match (x, y) {
        (Num::I(a), Num::I(b)) => a.cmp(&b),
        (a, b) => as_decimal(a).cmp(&as_decimal(b)),
    }
}

/// Equality: numbers by value across whole and decimal (`2 == 2.0`), lists
/// and maps item by item with the same rule, everything else by type and value.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => match cmp_values(a, b) {
            Some(Ok(o)) => o == Ordering::Equal,
            _ => a.as_f64() == b.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// True for `()`, `null`, `""`, all-space text, an empty list and an empty
/// object: what "left blank" means in every vendor table, and what
/// `blank()` and `omit_blank` both test (docs/expressions.md).
pub fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => blank_text(s),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// True for `()`, `null`, `""` and all-space text: what a schema's
/// `required` and `require`/`forbid` checks call missing. An empty list or
/// object is not missing there: a list's size is `min_items`' business
/// (`too-few-items`).
pub fn is_unset(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => blank_text(s),
        _ => false,
    }
}

/// Empty or all-space text. Text that begins with a printable ASCII
/// character is not, with no trim to find that out.
#[inline]
fn blank_text(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b'!'..=b'~') => false,
        _ => s.trim().is_empty(),
    }
}

/// The name of a value's type, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "()",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "integer",
        Value::Number(_) => "decimal",
        Value::String(_) => "text",
        Value::Array(_) => "array",
        Value::Object(_) => "map",
    }
}

/// Text form of a value (string `+`, `to_string()`, lookup keys, XML text).
/// `()` is empty; a whole number is its digits; any other number is its
/// shortest decimal digits that read back as the same number, written out in
/// full (never with an exponent), with `.0` when it is whole: `1e15` is
/// `1000000000000000.0`, `1e-7` is `0.0000001`.
pub fn to_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        Value::Number(n) => Cow::Owned(text_of_number(n)),
        other => Cow::Owned(other.to_string()),
    }
}

fn text_of_number(n: &Number) -> String {
    if !n.is_f64() {
        return n.to_string();
    }
    let s = n.to_string(); // ryu: shortest round trip, maybe with an exponent
    let text = match s.find(['e', 'E']) {
        Some(e) => expand_exponent(&s[..e], s[e + 1..].parse().unwrap_or(0)),
        None => s,
    };
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// `1.5` and exponent `3` to `1500`; `1.5` and `-3` to `0.0015`.
fn expand_exponent(mantissa: &str, exp: i32) -> String {
    let (sign, m) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let digits = format!("{int}{frac}");
    let point = int.len() as i64 + exp as i64; // where the point goes in `digits`
    let body = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    let body = match body.split_once('.') {
        Some((i, f)) => {
            let f = f.trim_end_matches('0');
            let i = i.trim_start_matches('0');
            let i = if i.is_empty() { "0" } else { i };
            if f.is_empty() {
                i.to_string()
            } else {
                format!("{i}.{f}")
            }
        }
        None => body,
    };
    format!("{sign}{body}")
}

/// Round a number (or numeric text) to `places`, half away from zero.
pub fn round_decimal(value: &Value, places: u32) -> Option<Value> {
    let d = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => return Some(value.clone()),
        // A whole decimal rounds to itself (the decimal path gives it back).
        Value::Number(n) if exact_whole(n).is_some_and(|f| f != 0.0) => return Some(value.clone()),
        Value::Number(n) => decimal_of(n).ok()?,
        Value::String(s) => Decimal::from_str(s.trim()).ok()?,
        _ => return None,
    };
    // A value read from JSON may carry binary noise (0.11499999999999999 for
    // 1.15 * 0.10 computed elsewhere); money never means 17 places, so settle
    // at 10 places first, then round half away from zero as a person would.
    let d = if places < 10 {
        d.round_dp_with_strategy(10, RoundingStrategy::MidpointNearestEven)
    } else {
        d
    };
    let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    decimal_value(r).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    proptest::proptest! {
        // ASCII and Unicode spaces (U+00A0, U+2003, U+0085) among letters.
        #[test]
        fn blank_text_is_all_space(s in "[ \t\r\n\u{a0}\u{2003}\u{85}a!~]{0,6}") {
            proptest::prop_assert_eq!(blank_text(&s), s.trim().is_empty());
        }
    }

    #[test]
    fn numbers_as_text() {
        assert_eq!(to_text(&json!(1e15)), "1000000000000000.0");
        assert_eq!(to_text(&json!(1e21)), "1000000000000000000000.0");
        assert_eq!(to_text(&json!(1.5e-7)), "0.00000015");
        assert_eq!(to_text(&json!(-2.5)), "-2.5");
        assert_eq!(to_text(&json!(60.0)), "60.0");
        assert_eq!(to_text(&json!(12)), "12");
    }

    #[test]
    fn decimal_sums() {
        let a = |x: f64, y: f64| {
            let (Some(Ok(p)), Some(Ok(q))) = (num(&json!(x)), num(&json!(y))) else {
                panic!()
            };
            arith(Arith::Add, p, q).unwrap()
        };
        assert_eq!(a(0.1, 0.2), json!(0.3));
        assert_eq!(a(1.15, 0.1), json!(1.25));
    }

    /// The whole-number fast paths give exactly what the decimal path gives:
    /// the same value (and type) for `+ - *`, the same order, the same
    /// rounding, across whole and fractional numbers, signs and zeros.
    #[test]
    fn fast_paths_match_the_decimal_path() {
        let values = [
            json!(0),
            json!(1),
            json!(-3),
            json!(60),
            json!(9007199254740992i64),
            json!(9007199254740993i64),
            json!(0.0),
            json!(-0.0),
            json!(1.0),
            json!(-1.0),
            json!(60.0),
            json!(2.5),
            json!(0.1),
            json!(-7.0),
            json!(1e15),
            json!(9007199254740992.0),
            json!(4503599627370496.0),
            json!(123456789.0),
        ];
        let slow = |op: Arith, a: &Value, b: &Value| match (num(a), num(b)) {
            (Some(Ok(x)), Some(Ok(y))) => arith(op, x, y).ok(),
            _ => None,
        };
        for a in &values {
            for b in &values {
                for op in [Arith::Add, Arith::Sub, Arith::Mul] {
                    if let Some(fast) = fast_arith(op, a, b) {
                        let want = slow(op, a, b).expect("the decimal path computes it");
                        assert_eq!(fast, want, "{a} {} {b}", op.symbol());
                        assert_eq!(fast.is_f64(), want.is_f64(), "{a} {} {b}", op.symbol());
                    }
                }
                if let Some(o) = fast_cmp(a, b) {
                    let (Some(Ok(x)), Some(Ok(y))) = (num(a), num(b)) else {
                        panic!("{a} and {b} are numbers")
                    };
                    assert_eq!(o, cmp_num(x, y), "{a} against {b}");
                }
            }
            for places in [0, 2] {
                let decimal = match a {
                    Value::Number(n) if n.is_f64() => decimal_of(n).ok().and_then(|d| {
                        let r = d
                            .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
                        decimal_value(r).ok()
                    }),
                    _ => round_decimal(a, places),
                };
                assert_eq!(round_decimal(a, places), decimal, "{a} to {places} places");
            }
        }
        // The hot cases themselves take the fast path.
        assert_eq!(
            fast_arith(Arith::Mul, &json!(1.0), &json!(60.0)),
            Some(json!(60.0))
        );
        assert_eq!(fast_cmp(&json!(1.0), &json!(1)), Some(Ordering::Equal));
        assert_eq!(fast_arith(Arith::Mul, &json!(0.5), &json!(2.0)), None);
        assert_eq!(fast_arith(Arith::Mul, &json!(-1.0), &json!(0.0)), None);
        assert_eq!(fast_arith(Arith::Add, &json!(1), &json!(2)), None);
    }
}
