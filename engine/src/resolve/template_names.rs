//! The names a minijinja template reads, resolved with the template's own
//! scopes: a `{% for e in activities %}` loop variable is an item of
//! `activities`, a `{% set x = activities[0] %}` is that item, and a read
//! through an index (`activities[0].team`) follows the list's item type.
//!
//! minijinja's own analysis (`undeclared_variables`) stops at the first
//! index and never looks below a name the template binds, so a typo there
//! rendered as an error on every record (strict undefined) instead of being
//! caught by `check`. This walks minijinja's syntax tree instead.

use minijinja::machinery::ast;

use crate::expr::Step;

use super::scope::{Found, Frame, Place, Shape, Unknown};

/// A name a template reads that is not there: the diagnostic's parts and
/// the byte offset, in the template's text, of the step that is unknown.
pub(crate) struct Miss {
    pub unknown: Unknown,
    /// The name of the unknown step, as written.
    pub name: String,
    /// Byte offset of that name in the template source.
    pub offset: usize,
}

/// Names minijinja defines itself (and the engine does not shadow).
const GLOBALS: [&str; 12] = [
    "range",
    "dict",
    "debug",
    "namespace",
    "loop",
    "self",
    "caller",
    "varargs",
    "kwargs",
    "true",
    "false",
    "none",
];

/// Filters whose result holds the items of their input, so a loop over
/// `activities|sort(attribute="id")` still knows its item type.
const SAME_ITEMS: [&str; 8] = [
    "sort",
    "reverse",
    "unique",
    "list",
    "select",
    "reject",
    "selectattr",
    "rejectattr",
];

/// Filters whose result is one item of their input.
const ONE_ITEM: [&str; 2] = ["first", "last"];

/// Every unknown name `source` reads in `frame`; nothing when it does not
/// parse (the loader reports that).
pub(crate) fn misses(source: &str, frame: &Frame) -> Vec<Miss> {
    let Ok(tree) = minijinja::machinery::parse(source, "<template>", Default::default()) else {
        return Vec::new();
    };
    let mut walk = Walk {
        frame,
        scopes: vec![Vec::new()],
        misses: Vec::new(),
    };
    walk.stmt(&tree);
    walk.misses.sort_by_key(|m| m.offset);
    // A typo read twice (`{{ x.nmae }} {{ x.nmae }}`) is one finding, at the first.
    let mut said: Vec<String> = Vec::new();
    walk.misses.retain(|m| {
        let new = !said.contains(&m.unknown.message);
        if new {
            said.push(m.unknown.message.clone());
        }
        new
    });
    walk.misses
}

/// What a name bound by the template is: a place in the source (a loop
/// over a known list, a `set` of a path), or something unknown.
type Binding<'s> = Option<Place<'s>>;

struct Walk<'f, 's> {
    frame: &'f Frame<'s>,
    /// Names the template binds, innermost scope last.
    scopes: Vec<Vec<(String, Binding<'s>)>>,
    misses: Vec<Miss>,
}

/// One step of a template path and where its name is written.
struct At {
    step: Step,
    name: String,
    offset: usize,
}

impl<'s> Walk<'_, 's> {
    fn bound(&self, name: &str) -> Option<&Binding<'s>> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.iter().rev().find(|(n, _)| n == name).map(|(_, b)| b))
    }

    fn bind_name(&mut self, name: &str, binding: Binding<'s>) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((name.to_string(), binding));
        }
    }

    fn bind(&mut self, target: &ast::Expr, binding: Binding<'s>) {
        match target {
            ast::Expr::Var(v) => self.bind_name(v.id, binding),
            // Unpacking (`for k, v in ...`): the parts are not paths.
            ast::Expr::List(l) => l.items.iter().for_each(|x| self.bind(x, None)),
            ast::Expr::Tuple(t) => t.items.iter().for_each(|x| self.bind(x, None)),
            _ => {}
        }
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(Vec::new());
        f(self);
        self.scopes.pop();
    }

    fn body(&mut self, body: &[ast::Stmt]) {
        body.iter().for_each(|s| self.stmt(s));
    }

    fn stmt(&mut self, s: &ast::Stmt) {
        match s {
            ast::Stmt::Template(t) => self.body(&t.children),
            ast::Stmt::EmitExpr(e) => {
                self.expr(&e.expr);
            }
            ast::Stmt::EmitRaw(_) => {}
            ast::Stmt::ForLoop(f) => {
                let list = self.expr(&f.iter);
                let item = list.map(|l| item_of(&l));
                self.scoped(|w| {
                    w.bind(&f.target, item);
                    if let Some(e) = &f.filter_expr {
                        w.expr(e);
                    }
                    w.body(&f.body);
                });
                self.scoped(|w| w.body(&f.else_body));
            }
            ast::Stmt::IfCond(c) => {
                self.expr(&c.expr);
                self.scoped(|w| w.body(&c.true_body));
                self.scoped(|w| w.body(&c.false_body));
            }
            ast::Stmt::WithBlock(b) => self.scoped(|w| {
                for (target, e) in &b.assignments {
                    let place = w.expr(e).map(place_of);
                    w.bind(target, place);
                }
                w.body(&b.body);
            }),
            ast::Stmt::Set(set) => {
                let place = self.expr(&set.expr).map(place_of);
                self.bind(&set.target, place);
            }
            ast::Stmt::SetBlock(b) => {
                self.bind(&b.target, None);
                if let Some(f) = &b.filter {
                    self.expr(f);
                }
                self.scoped(|w| w.body(&b.body));
            }
            ast::Stmt::AutoEscape(a) => {
                self.expr(&a.enabled);
                self.scoped(|w| w.body(&a.body));
            }
            ast::Stmt::FilterBlock(b) => {
                self.expr(&b.filter);
                self.scoped(|w| w.body(&b.body));
            }
            ast::Stmt::Macro(m) => {
                self.bind_name(m.name, None);
                self.scoped(|w| w.macro_body(m));
            }
            ast::Stmt::CallBlock(c) => {
                self.call(&c.call);
                self.scoped(|w| w.macro_body(&c.macro_decl));
            }
            ast::Stmt::Do(d) => self.call(&d.call),
            ast::Stmt::Block(b) => self.scoped(|w| {
                w.bind_name("super", None);
                w.body(&b.body);
            }),
            ast::Stmt::Import(i) => self.bind(&i.name, None),
            ast::Stmt::FromImport(i) => {
                for (name, alias) in &i.names {
                    self.bind(alias.as_ref().unwrap_or(name), None);
                }
            }
            // Extends and include name other templates: none exist here.
            _ => {}
        }
    }

    fn macro_body(&mut self, m: &ast::Macro) {
        for a in &m.args {
            self.bind(a, None);
        }
        for d in &m.defaults {
            self.expr(d);
        }
        self.body(&m.body);
    }

    fn call(&mut self, c: &ast::Call) {
        // A method call (`x.upper()`): the method is no field; read its object.
        match &c.expr {
            ast::Expr::GetAttr(g) => {
                self.expr(&g.expr);
            }
            e => {
                self.expr(e);
            }
        }
        self.args(&c.args);
    }

    fn args(&mut self, args: &[ast::CallArg]) {
        for a in args {
            match a {
                ast::CallArg::Pos(e)
                | ast::CallArg::Kwarg(_, e)
                | ast::CallArg::PosSplat(e)
                | ast::CallArg::KwargSplat(e) => {
                    self.expr(e);
                }
            }
        }
    }

    /// Check every read in `e`; what `e` finds, when it is a path (or a
    /// filter that keeps a path's items) that resolved.
    fn expr(&mut self, e: &ast::Expr) -> Option<Found<'s>> {
        if let Some(path) = self.path(e) {
            return self.read(&path);
        }
        match e {
            ast::Expr::Var(_) | ast::Expr::Const(_) => {}
            ast::Expr::Slice(s) => {
                for x in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(x);
                }
                return self.expr(&s.expr);
            }
            ast::Expr::UnaryOp(u) => {
                self.expr(&u.expr);
            }
            ast::Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            ast::Expr::Compare(c) => {
                self.expr(&c.expr);
                for op in &c.ops {
                    self.expr(&op.expr);
                }
            }
            ast::Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.expr(&i.true_expr);
                if let Some(f) = &i.false_expr {
                    self.expr(f);
                }
            }
            ast::Expr::Filter(f) => {
                let input = f.expr.as_ref().and_then(|x| self.expr(x));
                self.args(&f.args);
                if let (Some(list), Some(attr)) = (&input, attribute_arg(f)) {
                    self.attribute(&item_of(list), attr);
                }
                if SAME_ITEMS.contains(&f.name) {
                    return input;
                }
                if ONE_ITEM.contains(&f.name) {
                    let item = item_of(&input?);
                    return Some(Found {
                        shape: item.shape,
                        path: item.path,
                        optional: Vec::new(),
                        optional_name: None,
                        field: None,
                    });
                }
            }
            ast::Expr::Test(t) => {
                self.expr(&t.expr);
                self.args(&t.args);
            }
            ast::Expr::GetAttr(g) => {
                self.expr(&g.expr);
            }
            ast::Expr::GetItem(g) => {
                self.expr(&g.expr);
                self.expr(&g.subscript_expr);
            }
            ast::Expr::Call(c) => self.call(c),
            ast::Expr::List(l) => l.items.iter().for_each(|x| {
                self.expr(x);
            }),
            ast::Expr::Tuple(t) => t.items.iter().for_each(|x| {
                self.expr(x);
            }),
            ast::Expr::Map(m) => {
                for (k, v) in m.keys.iter().zip(&m.values) {
                    self.expr(k);
                    self.expr(v);
                }
            }
        }
        None
    }

    /// The path `e` denotes (`a.b[0]['c']`), reading the indexes' own
    /// names as it goes; None when it is not a path.
    fn path(&mut self, e: &ast::Expr) -> Option<Vec<At>> {
        match e {
            ast::Expr::Var(v) => Some(vec![At {
                step: Step::Name(v.id.to_string()),
                name: v.id.to_string(),
                offset: v.span().start_offset as usize,
            }]),
            ast::Expr::GetAttr(g) => {
                let mut p = self.path(&g.expr)?;
                let end = g.span().end_offset as usize;
                p.push(At {
                    step: Step::Name(g.name.to_string()),
                    name: g.name.to_string(),
                    offset: end.saturating_sub(g.name.len()),
                });
                Some(p)
            }
            ast::Expr::GetItem(g) => {
                let mut p = self.path(&g.expr)?;
                let sub = &g.subscript_expr;
                let step = match sub {
                    ast::Expr::Const(c) => match c.value.as_str() {
                        Some(k) => At {
                            step: Step::Name(k.to_string()),
                            name: k.to_string(),
                            // Inside the quote.
                            offset: c.span().start_offset as usize + 1,
                        },
                        None => item_at(sub),
                    },
                    _ => {
                        self.expr(sub);
                        item_at(sub)
                    }
                };
                p.push(step);
                Some(p)
            }
            _ => None,
        }
    }

    /// An `attribute=` of a filter over a list: a (dotted) path in each item.
    fn attribute(&mut self, item: &Place<'s>, attr: &ast::Spanned<ast::Const>) {
        let Some(text) = attr.value.as_str() else {
            return;
        };
        // Inside the quote.
        let start = attr.span().start_offset as usize + 1;
        let mut at = Vec::new();
        let mut offset = start;
        for part in text.split('.') {
            let step = if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                Step::Item
            } else {
                Step::Name(part.to_string())
            };
            at.push(At {
                step,
                name: part.to_string(),
                offset,
            });
            offset += part.len() + 1;
        }
        let steps: Vec<Step> = at.iter().map(|a| a.step.clone()).collect();
        if let Err(unknown) = self.frame.resolve_from(item, &steps, 0) {
            let a = &at[unknown.step.min(at.len() - 1)];
            self.misses.push(Miss {
                name: a.name.clone(),
                offset: a.offset,
                unknown,
            });
        }
    }

    /// Resolve one path: from what the template bound, or from the frame.
    fn read(&mut self, path: &[At]) -> Option<Found<'s>> {
        let Step::Name(first) = &path.first()?.step else {
            return None;
        };
        let steps: Vec<Step> = path.iter().map(|a| a.step.clone()).collect();
        let result = match self.bound(first) {
            Some(Some(place)) => self.frame.resolve_from(&place.clone(), &steps[1..], 1),
            Some(None) => return None,
            None if GLOBALS.contains(&first.as_str()) => return None,
            None => self.frame.resolve(&steps),
        };
        match result {
            Ok(found) => Some(found),
            Err(unknown) => {
                let at = &path[unknown.step.min(path.len() - 1)];
                self.misses.push(Miss {
                    name: at.name.clone(),
                    offset: at.offset,
                    unknown,
                });
                None
            }
        }
    }
}

/// Filters that read an attribute of each item of their input: by
/// `attribute=`, or (these) by a first positional text too.
const ATTRIBUTE_FILTERS: [&str; 9] = [
    "map",
    "selectattr",
    "rejectattr",
    "sort",
    "groupby",
    "sum",
    "unique",
    "min",
    "max",
];
const POSITIONAL_ATTRIBUTE: [&str; 3] = ["selectattr", "rejectattr", "groupby"];

/// The attribute a filter reads in each item, when written as a text.
fn attribute_arg<'a>(f: &'a ast::Filter<'_>) -> Option<&'a ast::Spanned<ast::Const>> {
    if !ATTRIBUTE_FILTERS.contains(&f.name) {
        return None;
    }
    let text = |e: &'a ast::Expr<'_>| match e {
        ast::Expr::Const(c) if c.value.as_str().is_some() => Some(c),
        _ => None,
    };
    let kwarg = f.args.iter().find_map(|a| match a {
        ast::CallArg::Kwarg("attribute", e) => text(e),
        _ => None,
    });
    let first = || match f.args.first() {
        Some(ast::CallArg::Pos(e)) if POSITIONAL_ATTRIBUTE.contains(&f.name) => text(e),
        _ => None,
    };
    kwarg.or_else(first)
}

fn item_at(sub: &ast::Expr) -> At {
    At {
        step: Step::Item,
        name: String::new(),
        offset: sub.span().start_offset as usize,
    }
}

fn place_of(found: Found) -> Place {
    Place {
        shape: found.shape,
        path: found.path,
    }
}

/// The place of one item of the list `list` found.
fn item_of<'s>(list: &Found<'s>) -> Place<'s> {
    let shape = match &list.shape {
        Shape::List(inner) => (**inner).clone(),
        _ => Shape::Any,
    };
    Place {
        shape,
        path: list.path.clone().map(|mut p| {
            p.push(Step::Item);
            p
        }),
    }
}
