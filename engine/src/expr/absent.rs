//! Whether an expression's value can be lost to an absent field: for the
//! `maybe-missing` warning (docs/diagnostics.md). The checker says which
//! reads may find nothing; this follows them to the expression's result.
//!
//! A read that finds nothing is `()`. Reading below it, calling a method or
//! a function on it (`job.client.trim()`, `round(x, 2)`), doing arithmetic
//! or ordering with it is a `type`/`missing-field` error; either way a record
//! without the field gets no value, so the wrapping does not hide it. What
//! does give a value: `?? b` (when `b` does), `blank(x)`, `x.to_string()`,
//! text `+` (`"!" + x` is `"!"`), `==`/`!=`/`in`, `&&`/`||`, a list or map
//! built around it, a lookup or table call, and a closure's body (the list
//! is there; what the closure reads is per item).

use super::funcs::{Func, Method};
use super::num::Arith;
use super::parse::{Kind as N, Node, Op};

/// What an absent read does to a value: nothing, makes it `()`, or makes
/// it an error; with the read (offset, length in the source) to blame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lost {
    No,
    Missing(usize, usize),
    Fails(usize, usize),
}

impl Lost {
    /// What the value becomes when it is used by an operation that needs it.
    fn used(self) -> Lost {
        match self {
            Lost::Missing(a, l) => Lost::Fails(a, l),
            other => other,
        }
    }

    /// Only an error passes through an operation that takes `()`.
    fn only_fails(self) -> Lost {
        match self {
            Lost::Fails(..) => self,
            _ => Lost::No,
        }
    }

    /// The first of two that loses the value.
    fn or(self, other: Lost) -> Lost {
        if self == Lost::No {
            other
        } else {
            self
        }
    }
}

/// The read that can lose `node`'s value; `absent(offset, len)` says
/// whether the path read there may find nothing.
pub(crate) fn lost(node: &Node, absent: &dyn Fn(usize, usize) -> bool) -> Lost {
    Follow {
        absent,
        tested: Vec::new(),
    }
    .lost(node)
}

struct Follow<'a> {
    absent: &'a dyn Fn(usize, usize) -> bool,
    /// Paths an enclosing `if` condition tests (`blank(x)`, `x != ()`): a
    /// branch that reads them is taken only as its condition allows.
    tested: Vec<Vec<String>>,
}

impl Follow<'_> {
    fn lost(&mut self, node: &Node) -> Lost {
        if is_path(node) {
            let tested =
                path_names(node).is_some_and(|p| self.tested.iter().any(|t| t.starts_with(&p)));
            return if !tested && (self.absent)(node.at, node.len) {
                Lost::Missing(node.at, node.len)
            } else {
                Lost::No
            };
        }
        self.wrapped(node)
    }

    fn wrapped(&mut self, node: &Node) -> Lost {
        let mut of = |n: &Node| self.lost(n);
        match &node.kind {
            N::Lit(_) | N::Var(..) | N::Local(_) | N::Closure { .. } => Lost::No,
            N::Array(_) | N::Map(_) | N::External(..) => Lost::No,
            // A path with a computed index: below an absent object is an error.
            N::Field { obj, optional, .. } => match of(obj) {
                Lost::Missing(a, l) if *optional => Lost::Missing(a, l),
                other => other.used(),
            },
            N::Index(obj, _) => of(obj).used(),
            N::Not(e) | N::Neg(e) => of(e).used(),
            N::Call(Func::Blank, args) => args.first().map_or(Lost::No, |a| of(a).only_fails()),
            N::Call(_, args) => args.first().map_or(Lost::No, |a| of(a).used()),
            N::Method(obj, Method::ToString, _) => of(obj).only_fails(),
            N::Method(obj, _, _) => of(obj).used(),
            N::If(arms, otherwise) => self.branches(arms, otherwise.as_deref()),
            N::Chain(first, rest) => self.chain(first, rest),
        }
    }

    fn branches(&mut self, arms: &[(Node, Node)], otherwise: Option<&Node>) -> Lost {
        let depth = self.tested.len();
        let mut out = Lost::No;
        for (cond, then) in arms {
            out = out.or(self.lost(cond).used());
            tested_by(cond, &mut self.tested);
            out = out.or(self.lost(then));
        }
        out = out.or(otherwise.map_or(Lost::No, |o| self.lost(o)));
        self.tested.truncate(depth);
        out
    }

    /// One level of binary operators, left to right.
    fn chain(&mut self, first: &Node, rest: &[(Op, Node)]) -> Lost {
        let mut acc = self.lost(first);
        let mut text = is_text(first);
        for (op, n) in rest {
            let right = self.lost(n);
            acc = match op {
                Op::Coalesce => match acc {
                    Lost::Missing(..) => right,
                    other => other,
                },
                Op::Arith(Arith::Add) if text || is_text(n) => {
                    text = true;
                    acc.only_fails().or(right.only_fails())
                }
                Op::Arith(_) | Op::Lt | Op::Le | Op::Gt | Op::Ge => acc.used().or(right.used()),
                Op::Eq | Op::Ne | Op::In | Op::And | Op::Or => {
                    acc.only_fails().or(right.only_fails())
                }
            };
            if !matches!(op, Op::Arith(Arith::Add)) {
                text = false;
            }
        }
        acc
    }
}

/// The paths condition `cond` tests, present or absent: `blank(x)`,
/// `x == ()`, `x != ()`, under `!`, `&&` and `||`.
fn tested_by(cond: &Node, out: &mut Vec<Vec<String>>) {
    match &cond.kind {
        N::Call(Func::Blank, args) => out.extend(args.first().and_then(path_names)),
        N::Not(e) => tested_by(e, out),
        N::Chain(first, rest) => {
            let mut left = first.as_ref();
            for (op, right) in rest {
                match op {
                    Op::And | Op::Or => {
                        tested_by(left, out);
                        tested_by(right, out);
                    }
                    Op::Eq | Op::Ne if is_unit(right) => out.extend(path_names(left)),
                    Op::Eq | Op::Ne if is_unit(left) => out.extend(path_names(right)),
                    _ => {}
                }
                left = right;
            }
        }
        _ => {}
    }
}

fn is_unit(n: &Node) -> bool {
    matches!(&n.kind, N::Lit(crate::value::Value::Null))
}

/// The names of a path (`job.site.ref`: job, site, ref); an index is its literal.
fn path_names(n: &Node) -> Option<Vec<String>> {
    match &n.kind {
        N::Var(v, _) => Some(vec![v.clone()]),
        N::Field { obj, name, .. } => {
            let mut p = path_names(obj)?;
            p.push(name.clone());
            Some(p)
        }
        N::Index(obj, idx) => {
            let mut p = path_names(obj)?;
            match &idx.kind {
                N::Lit(v) => p.push(v.to_string()),
                _ => p.push("[]".to_string()),
            }
            Some(p)
        }
        _ => None,
    }
}

/// A text literal (so `+` joins text, and `()` joins as "").
fn is_text(n: &Node) -> bool {
    matches!(&n.kind, N::Lit(crate::value::Value::String(_)))
}

/// A plain path (the reads the checker resolves): names, fields, indexes.
fn is_path(n: &Node) -> bool {
    match &n.kind {
        N::Var(..) => true,
        N::Field { obj, .. } => is_path(obj),
        // As `reads_of` records them: any index (its own names read apart).
        N::Index(obj, _) => is_path(obj),
        _ => false,
    }
}

impl Lost {
    /// The blamed read, if the value can be lost.
    pub(crate) fn read(self) -> Option<(usize, usize)> {
        match self {
            Lost::No => None,
            Lost::Missing(a, l) | Lost::Fails(a, l) => Some((a, l)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::Expr;

    /// Whether `src` can be lost when `x` (and only `x`, with what is below it) is absent.
    fn lost(src: &str) -> bool {
        let e = Expr::compile(src, &["lookup"]).unwrap();
        e.lost_to(&|at, len| src[at..at + len].starts_with('x'))
            .is_some()
    }

    #[test]
    fn a_wrapped_read_is_still_lost_and_a_fallback_saves_it() {
        for src in [
            "x",
            "x.b",
            "x?.b",
            "x.trim()",
            "round(x, 2)",
            "x * 2",
            "-x",
            "x ?? x",
            "x[y]",
            "if y { x } else { 1 }",
            "(x + 1) + \"a\"",
            "x < 3",
            "x.trim().to_string()",
            "if blank(x.b) { x.c } else { 1 }",
        ] {
            assert!(lost(src), "{src} can be lost");
        }
        for src in [
            "x ?? \"\"",
            "x ?? y",
            "\"!\" + x",
            "blank(x)",
            "x.to_string()",
            "x == 1",
            "[x]",
            "lookup(\"l\", x)",
            "y.map(|a| x)",
            "if blank(x) { 1 } else { 2 }",
            "if blank(x) { \"-\" } else { x }",
            "if x != () && y { x.trim() } else { \"\" }",
            "if y { 1 } else if !blank(x.b) { x.b } else { 2 }",
            "y",
        ] {
            assert!(!lost(src), "{src} cannot be lost");
        }
    }
}
