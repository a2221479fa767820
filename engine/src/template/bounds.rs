//! What a template may build, checked at load so that no render can make a
//! value larger than its limits allow.
//!
//! Fuel counts instructions and the output cap counts the bytes written,
//! but minijinja's `~`, `+` and `*` join or repeat two values in one
//! instruction, and a value kept in a variable is not written. A template
//! that keeps doubling a value (`{% set s = s ~ s %}` thirty times, a
//! macro passing `s ~ s` to itself, a `namespace()` updated in a loop)
//! would build gigabytes within its fuel. So a template may not:
//!
//! - define a macro (`{% macro %}`, `{% call %}`);
//! - capture a block into a variable (`{% set x %}…{% endset %}`,
//!   `{% filter %}…{% endfilter %}`): the capture is not written, so the
//!   output cap does not see it;
//! - call `namespace()`, whose attributes outlive a loop's iteration;
//! - in the value of a `set`, a `with` or the list of a `for`, read a name
//!   the template itself binds more than once, or under `~`, `+` or `*`,
//!   or inside a list or map literal.
//!
//! Every bound value is then one value of the record (or a literal), passed
//! through filters whose output is capped; every value written is capped.

use std::collections::HashSet;

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt};

/// Why `source` could build a value past its limits, or `None` when it
/// cannot (or does not parse: the compiler reports that).
pub(crate) fn unbounded(source: &str) -> Option<String> {
    let tree = minijinja::machinery::parse(source, "<template>", Default::default()).ok()?;
    let mut bound = HashSet::new();
    bound_names(&tree, &mut bound);
    first_problem(&tree, &bound)
}

/// Every name the template binds, wherever it does (a conservative set:
/// scopes are ignored).
fn bound_names<'a>(stmt: &Stmt<'a>, out: &mut HashSet<&'a str>) {
    match stmt {
        Stmt::Set(s) => target_names(&s.target, out),
        Stmt::SetBlock(s) => target_names(&s.target, out),
        Stmt::WithBlock(w) => {
            for (target, _) in &w.assignments {
                target_names(target, out);
            }
        }
        Stmt::ForLoop(f) => target_names(&f.target, out),
        _ => {}
    }
    for child in children(stmt) {
        bound_names(child, out);
    }
}

fn target_names<'a>(target: &Expr<'a>, out: &mut HashSet<&'a str>) {
    match target {
        Expr::Var(v) => {
            out.insert(v.id);
        }
        Expr::GetAttr(g) => target_names(&g.expr, out),
        Expr::List(l) => l.items.iter().for_each(|i| target_names(i, out)),
        Expr::Tuple(t) => t.items.iter().for_each(|i| target_names(i, out)),
        _ => {}
    }
}

fn first_problem(stmt: &Stmt, bound: &HashSet<&str>) -> Option<String> {
    let own = match stmt {
        Stmt::Macro(_) | Stmt::CallBlock(_) => {
            Some("a template cannot define a macro ({% macro %} or {% call %})".to_string())
        }
        Stmt::SetBlock(_) | Stmt::FilterBlock(_) => Some(
            "a template cannot capture a block into a value ({% set x %}…{% endset %} or {% filter %}); write it out instead".to_string(),
        ),
        Stmt::Set(s) => binding(&s.expr, bound),
        Stmt::WithBlock(w) => w.assignments.iter().find_map(|(_, v)| binding(v, bound)),
        Stmt::ForLoop(f) => binding(&f.iter, bound),
        _ => None,
    };
    own.or_else(|| stmt_exprs(stmt).into_iter().find_map(namespace_call))
        .or_else(|| children(stmt).find_map(|c| first_problem(c, bound)))
}

/// A bound value built from `expr`: what is wrong with it, if anything.
fn binding(expr: &Expr, bound: &HashSet<&str>) -> Option<String> {
    let mut reads = 0;
    let mut joined = None;
    walk(expr, false, &mut |e, under_join| {
        if let Expr::Var(v) = e {
            if bound.contains(v.id) {
                reads += 1;
                if under_join && joined.is_none() {
                    joined = Some(v.id.to_string());
                }
            }
        }
    });
    if let Some(name) = joined {
        return Some(format!(
            "'{name}' is a value the template bound, joined, added or repeated (~, +, *) or put in a list into a new one: a chain of these doubles it without limit"
        ));
    }
    (reads > 1).then(|| {
        "a value the template bound is read twice into a new one: a chain of these doubles it without limit".to_string()
    })
}

/// `namespace()`: its attributes can be updated across a loop's iterations.
fn namespace_call(expr: &Expr) -> Option<String> {
    let mut found = false;
    walk(expr, false, &mut |e, _| {
        if let Expr::Call(c) = e {
            found |= matches!(&c.expr, Expr::Var(v) if v.id == "namespace");
        }
    });
    found.then(|| "a template cannot call namespace()".to_string())
}

/// Call `f` on `expr` and every expression inside it, saying whether it
/// sits under a `~`, `+`, `*` or inside a list, tuple or map literal.
fn walk<'a>(expr: &Expr<'a>, under_join: bool, f: &mut impl FnMut(&Expr<'a>, bool)) {
    f(expr, under_join);
    let joins = match expr {
        Expr::BinOp(b) => matches!(b.op, BinOpKind::Concat | BinOpKind::Add | BinOpKind::Mul),
        Expr::List(_) | Expr::Tuple(_) | Expr::Map(_) => true,
        _ => false,
    };
    let inner = under_join || joins;
    for child in expr_children(expr) {
        walk(child, inner, f);
    }
}

fn expr_children<'e, 'a>(expr: &'e Expr<'a>) -> Vec<&'e Expr<'a>> {
    let mut out: Vec<&Expr> = Vec::new();
    let args = |args: &'e [CallArg<'a>], out: &mut Vec<&'e Expr<'a>>| {
        for a in args {
            out.push(match a {
                CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e) => e,
            });
        }
    };
    match expr {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(s) => {
            out.push(&s.expr);
            out.extend(s.start.iter().chain(&s.stop).chain(&s.step));
        }
        Expr::UnaryOp(u) => out.push(&u.expr),
        Expr::BinOp(b) => out.extend([&b.left, &b.right]),
        Expr::Compare(c) => {
            out.push(&c.expr);
            out.extend(c.ops.iter().map(|op| &op.expr));
        }
        Expr::IfExpr(i) => {
            out.extend([&i.test_expr, &i.true_expr]);
            out.extend(&i.false_expr);
        }
        Expr::Filter(fl) => {
            out.extend(&fl.expr);
            args(&fl.args, &mut out);
        }
        Expr::Test(t) => {
            out.push(&t.expr);
            args(&t.args, &mut out);
        }
        Expr::GetAttr(g) => out.push(&g.expr),
        Expr::GetItem(g) => out.extend([&g.expr, &g.subscript_expr]),
        Expr::Call(c) => {
            out.push(&c.expr);
            args(&c.args, &mut out);
        }
        Expr::List(l) => out.extend(&l.items),
        Expr::Tuple(t) => out.extend(&t.items),
        Expr::Map(m) => out.extend(m.keys.iter().chain(&m.values)),
    }
    out
}

/// The expressions a statement holds itself (not those of its children).
fn stmt_exprs<'s, 'a>(stmt: &'s Stmt<'a>) -> Vec<&'s Expr<'a>> {
    match stmt {
        Stmt::EmitExpr(e) => vec![&e.expr],
        Stmt::ForLoop(f) => [&f.target, &f.iter]
            .into_iter()
            .chain(&f.filter_expr)
            .collect(),
        Stmt::IfCond(i) => vec![&i.expr],
        Stmt::WithBlock(w) => w.assignments.iter().flat_map(|(a, b)| [a, b]).collect(),
        Stmt::Set(s) => vec![&s.target, &s.expr],
        Stmt::SetBlock(s) => std::iter::once(&s.target).chain(&s.filter).collect(),
        Stmt::FilterBlock(f) => vec![&f.filter],
        Stmt::Include(i) => vec![&i.name],
        Stmt::Do(d) => vec![&d.call.expr],
        _ => Vec::new(),
    }
}

/// The statements directly inside `stmt`.
fn children<'s, 'a>(stmt: &'s Stmt<'a>) -> Box<dyn Iterator<Item = &'s Stmt<'a>> + 's> {
    match stmt {
        Stmt::Template(t) => Box::new(t.children.iter()),
        Stmt::ForLoop(f) => Box::new(f.body.iter().chain(&f.else_body)),
        Stmt::IfCond(i) => Box::new(i.true_body.iter().chain(&i.false_body)),
        Stmt::WithBlock(w) => Box::new(w.body.iter()),
        Stmt::SetBlock(s) => Box::new(s.body.iter()),
        Stmt::AutoEscape(a) => Box::new(a.body.iter()),
        Stmt::FilterBlock(f) => Box::new(f.body.iter()),
        Stmt::Block(b) => Box::new(b.body.iter()),
        Stmt::Macro(m) => Box::new(m.body.iter()),
        Stmt::CallBlock(c) => Box::new(c.macro_decl.body.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::unbounded;

    #[test]
    fn doubling_forms_are_refused() {
        for bomb in [
            "{% set s = x %}{% set s = s ~ s %}{{ s|length }}",
            "{% set a = x %}{% set b = a + a %}{{ b }}",
            "{% set a = x %}{% set b = [a, a] %}{{ b|length }}",
            "{% set a = x %}{% set b = a|replace('q', a) %}{{ b }}",
            "{% for a in [x] %}{% for b in [a ~ a] %}{{ b }}{% endfor %}{% endfor %}",
            "{% with a = x %}{% with b = a * 3 %}{{ b }}{% endwith %}{% endwith %}",
            "{% macro d(s, n) %}{% if n %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ d('x', 31) }}",
            "{% set ns = namespace(s='x') %}{% for i in range(30) %}{% set ns.s = ns.s %}{% endfor %}",
            "{% set a %}{{ x }}{{ x }}{% endset %}{{ a }}",
            "{% filter upper %}{{ x }}{% endfilter %}",
        ] {
            assert!(unbounded(bomb).is_some(), "{bomb}");
        }
    }

    #[test]
    fn ordinary_templates_pass() {
        for ok in [
            "{{ a ~ a ~ a }}",
            "{% set a = appointment %}Secondary job {{ job.ref }}: {{ a.date }}",
            "{% set full = first ~ ' ' ~ last %}{{ full }} {{ full }}",
            "{% for a in activities %}{{ a.id }}{% if not loop.last %}, {% endif %}{% endfor %}",
            "{% set x = activities[0] %}{{ x.team.name ~ x.team.name }}",
            "{% set n = items|length %}{% set m = n - 1 %}{{ m }}",
        ] {
            assert_eq!(unbounded(ok), None, "{ok}");
        }
    }
}
