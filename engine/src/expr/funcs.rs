//! Functions and methods of the expression language. Each is declared once,
//! with its name, arity, a line of documentation and an example (the
//! examples are also run by the tests of docs/expressions.md). Names are
//! resolved to these enums when an expression compiles, never per call.

use crate::value::Value;
use rust_decimal::prelude::*;

use super::num::{as_decimal, decimal_value, num, round_decimal, type_name, Num};
use super::{is_blank, to_text, EvalError, EvalErrorKind as K};

type Result<T> = std::result::Result<T, EvalError>;

/// A free function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Blank,
    Len,
    IsEmpty,
    Round,
    AddDays,
    ParseInt,
    ParseDecimal,
}

/// A method, called as `value.name(...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Len,
    IsEmpty,
    ToString,
    StartsWith,
    EndsWith,
    Contains,
    ToUpper,
    ToLower,
    IndexOf,
    SubString,
    Split,
    Trim,
    Keys,
    Join,
    JoinNonblank,
    ParseInt,
    ParseDecimal,
    Distinct,
    All,
    Some,
    Map,
    Filter,
    Reduce,
}

/// What the documentation and the compiler know of a function or method.
pub(crate) struct Spec<T> {
    pub name: &'static str,
    pub id: T,
    /// Arguments (for a method, not counting the value it is called on).
    pub arity: &'static [usize],
    /// Parameters of the closure it takes as first argument (0: none).
    pub closure: usize,
    pub doc: &'static str,
    pub example: &'static str,
}

pub(crate) const FUNCS: &[Spec<Func>] = &[
    Spec {
        name: "blank",
        id: Func::Blank,
        arity: &[1],
        closure: 0,
        doc: "true for (), \"\" and all-space text",
        example: "blank(\"  \")  ==>  true",
    },
    Spec {
        name: "len",
        id: Func::Len,
        arity: &[1],
        closure: 0,
        doc: "characters of text, items of an array, entries of a map",
        example: "len(\"héllo\")  ==>  5",
    },
    Spec {
        name: "is_empty",
        id: Func::IsEmpty,
        arity: &[1],
        closure: 0,
        doc: "len(x) == 0",
        example: "is_empty([])  ==>  true",
    },
    Spec {
        name: "round",
        id: Func::Round,
        arity: &[2],
        closure: 0,
        doc: "round a number (or numeric text) to 0..10 places, half away from zero",
        example: "round(0.125, 2)  ==>  0.13",
    },
    Spec {
        name: "add_days",
        id: Func::AddDays,
        arity: &[2],
        closure: 0,
        doc: "an ISO 8601 date or timestamp n days later",
        example: "add_days(\"2024-02-28\", 1)  ==>  \"2024-02-29T00:00:00Z\"",
    },
    Spec {
        name: "parse_int",
        id: Func::ParseInt,
        arity: &[1],
        closure: 0,
        doc: "text of a whole number (spaces around allowed) to an integer",
        example: "parse_int(\" 42 \")  ==>  42",
    },
    Spec {
        name: "parse_decimal",
        id: Func::ParseDecimal,
        arity: &[1],
        closure: 0,
        doc: "text of a number to a decimal",
        example: "parse_decimal(\"60.10\") + 0.2  ==>  60.3",
    },
];

pub(crate) const METHODS: &[Spec<Method>] = &[
    Spec {
        name: "len",
        id: Method::Len,
        arity: &[0],
        closure: 0,
        doc: "as len(x)",
        example: "[1, 2].len()  ==>  2",
    },
    Spec {
        name: "is_empty",
        id: Method::IsEmpty,
        arity: &[0],
        closure: 0,
        doc: "as is_empty(x)",
        example: "\"\".is_empty()  ==>  true",
    },
    Spec {
        name: "to_string",
        id: Method::ToString,
        arity: &[0],
        closure: 0,
        doc: "the text form of any value",
        example: "1.5.to_string()  ==>  \"1.5\"",
    },
    Spec {
        name: "starts_with",
        id: Method::StartsWith,
        arity: &[1],
        closure: 0,
        doc: "text starts with text",
        example: "\"!R1\".starts_with(\"!\")  ==>  true",
    },
    Spec {
        name: "ends_with",
        id: Method::EndsWith,
        arity: &[1],
        closure: 0,
        doc: "text ends with text",
        example: "\"a.pdf\".ends_with(\".pdf\")  ==>  true",
    },
    Spec {
        name: "contains",
        id: Method::Contains,
        arity: &[1],
        closure: 0,
        doc: "text holds text, an array holds an item, a map has a key",
        example: "[1, 2].contains(2.0)  ==>  true",
    },
    Spec {
        name: "to_upper",
        id: Method::ToUpper,
        arity: &[0],
        closure: 0,
        doc: "upper case",
        example: "\"ab\".to_upper()  ==>  \"AB\"",
    },
    Spec {
        name: "to_lower",
        id: Method::ToLower,
        arity: &[0],
        closure: 0,
        doc: "lower case",
        example: "\"AB\".to_lower()  ==>  \"ab\"",
    },
    Spec {
        name: "index_of",
        id: Method::IndexOf,
        arity: &[1],
        closure: 0,
        doc: "character position of text in text, -1 if absent",
        example: "\"abc\".index_of(\"c\")  ==>  2",
    },
    Spec {
        name: "sub_string",
        id: Method::SubString,
        arity: &[2],
        closure: 0,
        doc: "len characters from start; a negative start counts from the end",
        example: "\"abcdef\".sub_string(-2, 2)  ==>  \"ef\"",
    },
    Spec {
        name: "split",
        id: Method::Split,
        arity: &[1],
        closure: 0,
        doc: "text cut at each separator, as an array of text",
        example: "\"a,b\".split(\",\")  ==>  [\"a\", \"b\"]",
    },
    Spec {
        name: "trim",
        id: Method::Trim,
        arity: &[0],
        closure: 0,
        doc: "text without the spaces around it",
        example: "\" a \".trim()  ==>  \"a\"",
    },
    Spec {
        name: "keys",
        id: Method::Keys,
        arity: &[0],
        closure: 0,
        doc: "the keys of a map, in the record's order",
        example: "#{b: 1, a: 2}.keys()  ==>  [\"b\", \"a\"]",
    },
    Spec {
        name: "join",
        id: Method::Join,
        arity: &[1],
        closure: 0,
        doc: "the text forms of the items, with a separator between",
        example: "[\"a\", 1, ()].join(\"-\")  ==>  \"a-1-\"",
    },
    Spec {
        name: "join_nonblank",
        id: Method::JoinNonblank,
        arity: &[1],
        closure: 0,
        doc: "as join, leaving out blank items",
        example: "[\"a\", \" \", (), \"b\"].join_nonblank(\" \")  ==>  \"a b\"",
    },
    Spec {
        name: "parse_int",
        id: Method::ParseInt,
        arity: &[0],
        closure: 0,
        doc: "as parse_int(x)",
        example: "\"7\".parse_int()  ==>  7",
    },
    Spec {
        name: "parse_decimal",
        id: Method::ParseDecimal,
        arity: &[0],
        closure: 0,
        doc: "as parse_decimal(x)",
        example: "\"0.1\".parse_decimal() + 0.2  ==>  0.3",
    },
    Spec {
        name: "distinct",
        id: Method::Distinct,
        arity: &[0],
        closure: 0,
        doc: "the items without repeats (first kept; 2 and 2.0 are one)",
        example: "[1, 2, 1, 2.0].distinct()  ==>  [1, 2]",
    },
    Spec {
        name: "all",
        id: Method::All,
        arity: &[1],
        closure: 1,
        doc: "the closure holds for every item",
        example: "[1, 2].all(|x| x > 0)  ==>  true",
    },
    Spec {
        name: "some",
        id: Method::Some,
        arity: &[1],
        closure: 1,
        doc: "the closure holds for at least one item",
        example: "[1, 2].some(|x| x > 1)  ==>  true",
    },
    Spec {
        name: "map",
        id: Method::Map,
        arity: &[1],
        closure: 1,
        doc: "the closure's value for each item",
        example: "[1, 2].map(|x| x * 10)  ==>  [10, 20]",
    },
    Spec {
        name: "filter",
        id: Method::Filter,
        arity: &[1],
        closure: 1,
        doc: "the items for which the closure holds",
        example: "[1, 2, 3].filter(|x| x != 2)  ==>  [1, 3]",
    },
    Spec {
        name: "reduce",
        id: Method::Reduce,
        arity: &[1, 2],
        closure: 2,
        doc: "fold the items: |acc, x| ..., starting from the second argument (() if none)",
        example: "[1, 2, 3].reduce(|s, x| s + x, 0)  ==>  6",
    },
];

/// The function called `name`.
pub(crate) fn func(name: &str) -> Option<&'static Spec<Func>> {
    FUNCS.iter().find(|s| s.name == name)
}

/// The method called `name`.
pub(crate) fn method(name: &str) -> Option<&'static Spec<Method>> {
    METHODS.iter().find(|s| s.name == name)
}

/// A free function on evaluated arguments.
pub(crate) fn call(f: Func, args: &[&Value]) -> Result<Value> {
    match (f, args) {
        (Func::Blank, [v]) => Ok(Value::Bool(is_blank(v))),
        (Func::Len, [v]) => len(v).map(Value::from),
        (Func::IsEmpty, [v]) => Ok(Value::Bool(len(v)? == 0)),
        (Func::Round, [v, places]) => round_to(v, places),
        (Func::AddDays, [d, n]) => add_days(d, n),
        (Func::ParseInt, [v]) => parse_int(v),
        (Func::ParseDecimal, [v]) => parse_decimal(v),
        _ => Err(EvalError::new(
            K::Type,
            format!("{f:?}: wrong number of arguments"),
        )),
    }
}

/// A method without a closure, on evaluated arguments.
pub(crate) fn call_method(m: Method, recv: &Value, args: &[&Value]) -> Result<Value> {
    use Value::String as S;
    Ok(match (m, recv, args) {
        (Method::Len, v, []) => Value::from(len(v)?),
        (Method::IsEmpty, v, []) => Value::Bool(len(v)? == 0),
        (Method::ToString, v, []) => S(to_text(v).into_owned()),
        (Method::StartsWith, S(s), [S(p)]) => Value::Bool(s.starts_with(p.as_str())),
        (Method::EndsWith, S(s), [S(p)]) => Value::Bool(s.ends_with(p.as_str())),
        (Method::Contains, h, [n]) => Value::Bool(contains(h, n)?),
        (Method::ToUpper, S(s), []) => S(s.to_uppercase()),
        (Method::ToLower, S(s), []) => S(s.to_lowercase()),
        // rhai's meaning: nothing is found in empty text, not even "".
        (Method::IndexOf, S(s), [S(_)]) if s.is_empty() => Value::from(-1),
        (Method::IndexOf, S(s), [S(p)]) => Value::from(
            s.find(p.as_str())
                .map(|b| s[..b].chars().count() as i64)
                .unwrap_or(-1),
        ),
        (Method::SubString, S(s), [start, count]) => S(sub_string(s, start, count)?),
        (Method::Split, S(s), [S(sep)]) => {
            Value::Array(s.split(sep.as_str()).map(|p| S(p.to_string())).collect())
        }
        (Method::Trim, S(s), []) => S(s.trim().to_string()),
        (Method::Keys, Value::Object(m), []) => {
            Value::Array(m.keys().map(|k| S(k.clone())).collect())
        }
        (Method::Join, Value::Array(items), [S(sep)]) => S(join(items, sep, false)),
        (Method::JoinNonblank, Value::Array(items), [S(sep)]) => S(join(items, sep, true)),
        (Method::ParseInt, v, []) => parse_int(v)?,
        (Method::ParseDecimal, v, []) => parse_decimal(v)?,
        (Method::Distinct, Value::Array(items), []) => Value::Array(distinct(items)),
        (m, v, args) => {
            let spec = METHODS
                .iter()
                .find(|s| s.id == m)
                .map(|s| s.name)
                .unwrap_or("?");
            let kinds: Vec<&str> = args.iter().map(|a| type_name(a)).collect();
            return Err(EvalError::new(
                K::Type,
                format!(
                    "{} has no method {spec}({})",
                    type_name(v),
                    kinds.join(", ")
                ),
            ));
        }
    })
}

fn len(v: &Value) -> Result<i64> {
    Ok(match v {
        Value::String(s) => s.chars().count() as i64,
        Value::Array(a) => a.len() as i64,
        Value::Object(m) => m.len() as i64,
        other => {
            return Err(EvalError::new(
                K::Type,
                format!("{} has no length", type_name(other)),
            ))
        }
    })
}

/// `needle in hay`, `hay.contains(needle)`.
pub(crate) fn contains(hay: &Value, needle: &Value) -> Result<bool> {
    match (hay, needle) {
        (Value::Array(items), n) => Ok(items.iter().any(|i| super::values_equal(i, n))),
        (Value::String(s), Value::String(n)) => Ok(s.contains(n.as_str())),
        (Value::Object(m), Value::String(k)) => Ok(m.contains_key(k)),
        (h, n) => Err(EvalError::new(
            K::Type,
            format!("cannot look for {} in {}", type_name(n), type_name(h)),
        )),
    }
}

/// rhai's meaning: a negative start counts from the end (before the start is
/// the start); a length past the end stops at the end.
fn sub_string(s: &str, start: &Value, count: &Value) -> Result<String> {
    let (Some(start), Some(count)) = (start.as_i64(), count.as_i64()) else {
        return Err(EvalError::new(
            K::Type,
            "sub_string takes two whole numbers",
        ));
    };
    if count <= 0 {
        return Ok(String::new());
    }
    if s.is_ascii() {
        // One byte a character: the same cut, by slicing.
        let n = s.len() as i64;
        let from = if start < 0 {
            (n + start).max(0)
        } else {
            start.min(n)
        } as usize;
        let to = from.saturating_add(count as usize).min(s.len());
        return Ok(s[from..to].to_string());
    }
    let n = s.chars().count() as i64;
    let from = if start < 0 { (n + start).max(0) } else { start };
    Ok(s.chars().skip(from as usize).take(count as usize).collect())
}

fn join(items: &[Value], sep: &str, skip_blank: bool) -> String {
    let mut out = String::new();
    let mut first = true;
    for item in items {
        if skip_blank && is_blank(item) {
            continue;
        }
        if !first {
            out.push_str(sep);
        }
        first = false;
        out.push_str(&to_text(item));
    }
    out
}

/// Items without repeats, in one pass: each item's canonical text (numbers
/// by value, so 2 and 2.0 are one) goes into a set.
fn distinct(items: &[Value]) -> Vec<Value> {
    // Text is the same text exactly when its canonical forms are equal:
    // compared as it is, with no canonical copy per item.
    if items.iter().all(Value::is_string) {
        // A short list (one order's teams): compared in place, no hashing.
        if items.len() <= 16 {
            let mut kept: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                if !kept.iter().any(|k| k.as_str() == item.as_str()) {
                    kept.push(item.clone());
                }
            }
            return kept;
        }
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        return items
            .iter()
            .filter(|i| seen.insert(i.as_str()))
            .cloned()
            .collect();
    }
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items
        .iter()
        .filter(|i| seen.insert(canonical(i)))
        .cloned()
        .collect()
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Number(_) => match num(v) {
            Some(Ok(n)) => format!("n{}", as_decimal(n).normalize()),
            _ => format!("n{v}"),
        },
        Value::String(s) => format!("s{s}"),
        Value::Array(a) => format!(
            "a[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Object(m) => {
            let mut parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k:?}:{}", canonical(v)))
                .collect();
            parts.sort();
            format!("m{{{}}}", parts.join(","))
        }
        other => format!("o{other}"),
    }
}

fn parse_int(v: &Value) -> Result<Value> {
    match v {
        Value::String(s) => s.trim().parse::<i64>().map(Value::from).map_err(|_| {
            EvalError::new(K::Value, format!("parse_int: '{s}' is not a whole number"))
        }),
        Value::Number(n) if n.is_i64() => Ok(v.clone()),
        other => Err(EvalError::new(
            K::Type,
            format!("parse_int takes text, found {}", type_name(other)),
        )),
    }
}

fn parse_decimal(v: &Value) -> Result<Value> {
    match v {
        Value::String(s) => {
            let d = match super::num::exact_decimal(s.trim()) {
                Some(Ok(d)) => Ok(d),
                // Past 28 digits: an overflow, not a silent rounding.
                Some(Err(why)) => {
                    return Err(EvalError::new(K::Overflow, format!("parse_decimal: {why}")))
                }
                None => Decimal::from_scientific(s.trim()),
            };
            let d = d.map_err(|_| {
                EvalError::new(K::Value, format!("parse_decimal: '{s}' is not a number"))
            })?;
            decimal_value(d)
        }
        Value::Number(_) => match num(v) {
            Some(Ok(Num::I(i))) => decimal_value(Decimal::from(i)),
            _ => Ok(v.clone()),
        },
        other => Err(EvalError::new(
            K::Type,
            format!("parse_decimal takes text, found {}", type_name(other)),
        )),
    }
}

/// `add_days(date, n)`: an ISO 8601 date or timestamp `n` days later
/// (earlier when negative), as ISO 8601.
pub fn add_days(date: &Value, days: &Value) -> Result<Value> {
    let Some(n) = days.as_i64() else {
        return Err(EvalError::new(
            K::Type,
            "add_days(date, days) takes a whole number of days",
        ));
    };
    let text = to_text(date);
    let dt = crate::datefmt::DateTime::parse_iso(&text).ok_or_else(|| {
        EvalError::new(
            K::Value,
            format!("add_days: '{text}' is not an ISO 8601 date or timestamp"),
        )
    })?;
    let Some(later) = dt.add_days(n) else {
        return Err(EvalError::new(
            K::Overflow,
            format!("add_days: {n} days from '{text}' is outside the years 0000 to 9999"),
        ));
    };
    let mut iso = later.to_iso();
    // A fraction of a second is kept as written (the calendar does not touch it).
    if let Some(fraction) = fraction_of_second(&text) {
        iso.insert_str(19, fraction);
    }
    Ok(Value::String(iso))
}

/// The `.123` of an ISO 8601 timestamp `2024-01-01T00:00:00.123Z`, if any.
fn fraction_of_second(text: &str) -> Option<&str> {
    let rest = text.get(19..)?.strip_prefix('.')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| &text[19..20 + digits])
}

/// `round(x, places)`: half away from zero, in decimal arithmetic.
pub fn round_to(v: &Value, places: &Value) -> Result<Value> {
    let Some(p) = places.as_u64().filter(|p| *p <= 10) else {
        return Err(EvalError::new(
            K::Type,
            "round(x, places) takes a whole number of places from 0 to 10",
        ));
    };
    round_decimal(v, p as u32).ok_or_else(|| {
        EvalError::new(
            K::Type,
            format!("cannot round {}: not a number", type_name(v)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::sub_string;
    use crate::value::Value;

    /// ASCII text is cut by slicing: the same cut as counting characters,
    /// for starts and counts before, inside and past the text.
    #[test]
    fn ascii_sub_strings_cut_as_characters_do() {
        let by_chars = |s: &str, start: i64, count: i64| -> String {
            if count <= 0 {
                return String::new();
            }
            let n = s.chars().count() as i64;
            let from = if start < 0 { (n + start).max(0) } else { start };
            s.chars().skip(from as usize).take(count as usize).collect()
        };
        for s in ["", "a", "GRD003", "Cut back overgrown hedge"] {
            for start in [-30, -7, -1, 0, 1, 3, 6, 24, 25, 100, i64::MIN + 1, i64::MAX] {
                for count in [i64::MIN, -1, 0, 1, 3, 6, 30, i64::MAX] {
                    let cut = sub_string(s, &Value::from(start), &Value::from(count)).unwrap();
                    assert_eq!(
                        cut,
                        by_chars(s, start, count),
                        "{s:?}.sub_string({start}, {count})"
                    );
                }
            }
        }
        let e_acute = sub_string("café au lait", &Value::from(2), &Value::from(3)).unwrap();
        assert_eq!(e_acute, "fé ");
    }
}
