//! Tests over what is known of a record, not over a record: the check plan
//! knows facts of the fields a mapping builds (a constant, text that starts
//! with `!`, a field never blank), and asks whether a rule's `when` or
//! `assert` holds on every record with those facts.
//!
//! The answer is three-valued: `Some(b)` only where the evaluator surely
//! gives `b`, without an error, on every such record; `None` otherwise. Only
//! shapes that cannot fail are followed: `!`, `&&`, `||`, `==`, `!=`,
//! `blank()`, `.starts_with("...")` over paths and literals; anything else is
//! unknown.

use super::funcs::{Func, Method};
use super::num::{is_blank, values_equal};
use super::parse::{Kind, Node, Op};
use super::{Expr, ExprKind};
use crate::value::Value;

/// What is known of one value on every record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Fact {
    /// It is this value (`()` for a field never built).
    Is(Value),
    /// It is text that begins with this.
    Starts(String),
    /// It is present and not blank.
    Filled,
    /// It is a list (maybe empty) of records, each built by one of these
    /// entries, with what is known of each entry's fields.
    Items(Vec<Vec<(String, Fact)>>),
}

impl Fact {
    fn is_blank(&self) -> Option<bool> {
        match self {
            Fact::Is(v) => Some(is_blank(v)),
            Fact::Starts(prefix) if !prefix.trim().is_empty() => Some(false),
            Fact::Starts(_) => None,
            Fact::Filled => Some(false),
            Fact::Items(_) => None,
        }
    }

    /// True when it is surely set: what `require` asks.
    pub(crate) fn is_filled(&self) -> bool {
        self.is_blank() == Some(false)
    }
}

/// What is known of the value at a path (`["Item_ID"]`,
/// `["parent", "Job_Number"]`): `None` when nothing is.
pub(crate) type Known<'a> = &'a dyn Fn(&[&str]) -> Option<Fact>;

impl Expr {
    /// Whether this condition holds on every record `known` describes.
    pub(crate) fn test_on_facts(&self, known: Known) -> Option<bool> {
        match &self.kind {
            ExprKind::Native(node) => test(node, known),
            ExprKind::Script(_) => None,
        }
    }

    /// The text this expression's value always starts with: a text
    /// literal joined with `+` to anything (`"!" + sor_code`), which always
    /// gives text and cannot fail.
    pub(crate) fn leading_text(&self) -> Option<&str> {
        let ExprKind::Native(node) = &self.kind else {
            return None;
        };
        let Kind::Chain(first, rest) = &node.kind else {
            return None;
        };
        let all_add = rest
            .iter()
            .all(|(op, _)| *op == Op::Arith(super::num::Arith::Add));
        match &first.kind {
            Kind::Lit(Value::String(s)) if all_add => Some(s),
            _ => None,
        }
    }
}

fn test(node: &Node, known: Known) -> Option<bool> {
    match &node.kind {
        Kind::Lit(Value::Bool(b)) => Some(*b),
        Kind::Not(operand) => test(operand, known).map(|b| !b),
        Kind::Chain(first, rest) if matches!(rest[0].0, Op::And | Op::Or) => {
            // Left to right, as the evaluator goes: an unknown operand before
            // the deciding one leaves the whole unknown.
            let is_or = rest[0].0 == Op::Or;
            let operands = std::iter::once(first.as_ref()).chain(rest.iter().map(|(_, n)| n));
            for operand in operands {
                if test(operand, known)? == is_or {
                    return Some(is_or);
                }
            }
            Some(!is_or)
        }
        Kind::Chain(first, rest) if rest.len() == 1 && matches!(rest[0].0, Op::Eq | Op::Ne) => {
            let equal = equal(&value(first, known)?, &value(&rest[0].1, known)?)?;
            Some(equal == (rest[0].0 == Op::Eq))
        }
        Kind::Call(Func::Blank, args) if args.len() == 1 => value(&args[0], known)?.is_blank(),
        Kind::Method(list, Method::All, args) => all_items(list, args, known),
        Kind::Method(text, Method::StartsWith, args) => {
            let [Node {
                kind: Kind::Lit(Value::String(part)),
                ..
            }] = args.as_slice()
            else {
                return None;
            };
            match value(text, known)? {
                Fact::Is(Value::String(s)) => Some(s.starts_with(part.as_str())),
                Fact::Starts(prefix) if prefix.starts_with(part.as_str()) => Some(true),
                Fact::Starts(prefix) if !part.starts_with(prefix.as_str()) => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `list.all(|d| body)` over a list of records: true when the body holds
/// on every entry that can build an item (an empty list gives true too),
/// false when it fails on all of them and the list is never empty (not
/// known here, so never said).
fn all_items(list: &Node, args: &[Node], known: Known) -> Option<bool> {
    let [Node {
        kind: Kind::Closure {
            base,
            params: 1,
            body,
        },
        ..
    }] = args
    else {
        return None;
    };
    let Fact::Items(entries) = value(list, known)? else {
        return None;
    };
    let item = LOCALS.get(*base)?;
    let holds_on = |entry: &Vec<(String, Fact)>| {
        let in_entry = |path: &[&str]| match path {
            [local, name] if local == item => entry
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, f)| f.clone()),
            // The item itself, or a closure of its own: not followed.
            [local, ..] if local.starts_with('\0') => None,
            _ => known(path),
        };
        test(body, &in_entry) == Some(true)
    };
    entries.iter().all(holds_on).then_some(true)
}

/// The names a closure's slots go by in a path (not names a field can
/// have: they begin with NUL).
const LOCALS: [&str; 4] = ["\0item0", "\0item1", "\0item2", "\0item3"];

fn value(node: &Node, known: Known) -> Option<Fact> {
    match &node.kind {
        Kind::Lit(v) => Some(Fact::Is(v.clone())),
        _ => known(&path(node)?),
    }
}

/// A path of names (`a`, `parent.b`), as written.
fn path(node: &Node) -> Option<Vec<&str>> {
    match &node.kind {
        Kind::Var(name, _) => Some(vec![name.as_str()]),
        Kind::Local(slot) => Some(vec![*LOCALS.get(*slot)?]),
        Kind::Field {
            obj,
            name,
            optional: false,
            ..
        } => {
            let mut steps = path(obj)?;
            steps.push(name);
            Some(steps)
        }
        _ => None,
    }
}

/// Whether two values with these facts are equal, when that is sure.
fn equal(a: &Fact, b: &Fact) -> Option<bool> {
    match (a, b) {
        (Fact::Is(x), Fact::Is(y)) => Some(values_equal(x, y)),
        (Fact::Starts(prefix), Fact::Is(Value::String(s)))
        | (Fact::Is(Value::String(s)), Fact::Starts(prefix))
            if !s.starts_with(prefix.as_str()) =>
        {
            Some(false)
        }
        // Text, a value never blank, or a list, is not `()`.
        (Fact::Starts(_) | Fact::Filled | Fact::Items(_), Fact::Is(Value::Null))
        | (Fact::Is(Value::Null), Fact::Starts(_) | Fact::Filled | Fact::Items(_)) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(path: &[&str]) -> Option<Fact> {
        match path {
            ["kind"] => Some(Fact::Is(Value::from("N"))),
            ["id"] => Some(Fact::Starts("!".into())),
            ["job"] => Some(Fact::Filled),
            ["parent", "job"] => Some(Fact::Filled),
            ["gone"] => Some(Fact::Is(Value::Null)),
            ["lines"] => Some(Fact::Items(vec![
                vec![("kind".into(), Fact::Is(Value::from("N")))],
                vec![
                    ("kind".into(), Fact::Is(Value::from("M"))),
                    ("id".into(), Fact::Starts("!".into())),
                ],
            ])),
            _ => None,
        }
    }

    fn on_facts(text: &str) -> Option<bool> {
        Expr::compile(text, &[]).unwrap().test_on_facts(&facts)
    }

    #[test]
    fn what_the_facts_decide() {
        for (text, want) in [
            (r#"kind == "N""#, Some(true)),
            (r#"kind != "M" && !blank(id)"#, Some(true)),
            (r#"id.starts_with("!")"#, Some(true)),
            (r#"id.starts_with("?")"#, Some(false)),
            (r#"id.starts_with("!R")"#, None),
            (r#"id == "X1""#, Some(false)),
            ("blank(parent.job)", Some(false)),
            (r#"kind == "M" && other"#, Some(false)),
            (r#"kind == "N" || other"#, Some(true)),
            // An unknown operand before the deciding one: it might fail.
            (r#"other || kind == "N""#, None),
            ("job != ()", Some(true)),
            ("gone == ()", Some(true)),
            ("blank(gone)", Some(true)),
            ("job == other", None),
            ("blank(job.name)", None),
            ("id.len() <= 15", None),
            // Over every item of a list built by two entries.
            (
                r#"lines.all(|l| l.kind == "N" || l.kind == "M")"#,
                Some(true),
            ),
            (r#"lines.all(|l| l.kind == "N")"#, None),
            (r#"lines.all(|l| l.id.starts_with("!"))"#, None),
            (r#"lines.all(|l| l.kind != "X" && !blank(job))"#, Some(true)),
            ("lines != ()", Some(true)),
            ("blank(lines)", None),
            // Not a list the facts describe.
            (r#"job.all(|l| l.kind == "N")"#, None),
        ] {
            assert_eq!(on_facts(text), want, "{text}");
        }
    }

    #[test]
    fn leading_text_is_a_literal_joined_with_plus() {
        let lead = |t: &str| {
            Expr::compile(t, &[])
                .unwrap()
                .leading_text()
                .map(str::to_string)
        };
        assert_eq!(lead(r#""!" + sor_code"#).as_deref(), Some("!"));
        assert_eq!(lead(r#""PO " + a + b"#).as_deref(), Some("PO "));
        assert_eq!(lead(r#""!" + a - 1"#), None);
        assert_eq!(lead(r#"a + "!""#), None);
        assert_eq!(lead(r#""!""#), None);
    }
}
