//! Expressions: one language, specified in docs/expressions.md, compiled
//! once and evaluated per record over the engine's [`Value`](crate::value::Value).
//!
//! The language is small: paths (`job.site.ref`, `a?.b`, `list[0]`),
//! literals, arithmetic in decimal, comparisons, `&&`/`||`/`!`, `??`, `in`,
//! `if`/`else` as an expression, and a fixed set of functions and methods
//! (closures for `all`, `some`, `map`, `filter`, `reduce`). What is not in it
//! is a compile error with a code and a byte offset. rhai runs only where a
//! mapping says `script:`, in a sandbox with every limit set ([`Sandbox`]).
//!
//! - [`lex`]: tokens with byte spans; [`parse`]: the tree, with a depth limit;
//! - [`eval`]: evaluation under the unit's [`budget`];
//! - [`num`]: numbers (i64 and decimal), text form, equality, order;
//! - [`funcs`]: functions and methods; [`script`]: the rhai sandbox.

mod absent;
mod budget;
mod eval;
mod facts;
mod funcs;
mod lex;
mod num;
mod parse;
mod script;

use std::borrow::Cow;
use std::fmt;

use crate::value::{same_key, Map, Value};

pub use budget::{BesideUnit, RunLimits, UnitBudget, CLOCK_EVERY};
pub(crate) use facts::Fact;
pub use funcs::{add_days, round_to};
pub use num::{is_blank, is_unset, round_decimal, to_text, type_name, values_equal};
#[cfg(test)]
use parse::MAX_DEPTH;
pub use script::{Limits, Sandbox};

use parse::{Kind as N, Node};

/// What kind of thing went wrong while evaluating: the class a caller maps
/// to a reject rule, and what the differential test compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// An operator or function got a type it does not take.
    Type,
    /// `x / 0`, `x % 0`, for whole and decimal numbers alike.
    DivisionByZero,
    /// A whole number past i64, a decimal past 28 digits.
    Overflow,
    /// A field read on `()` (use `?.`).
    MissingField,
    /// An array index out of bounds.
    Index,
    /// A value of the right type that the function cannot use (`parse_int("x")`).
    Value,
    /// A deterministic budget ran out; `limit` names it (`operations`,
    /// `depth`, `string size`, ...).
    Budget {
        /// The limit's name.
        limit: &'static str,
    },
    /// The unit's wall-clock safety net.
    Time,
    /// A mapping function (`lookup`, `table`) failed.
    Call,
    /// A script failed in a way of its own (rhai's message).
    Script,
}

/// An expression that went wrong while running on a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    /// The class of the error.
    pub kind: EvalErrorKind,
    /// What went wrong, for a person.
    pub message: String,
}

impl EvalError {
    /// An error of `kind`.
    pub fn new(kind: EvalErrorKind, message: impl Into<String>) -> EvalError {
        EvalError {
            kind,
            message: message.into(),
        }
    }

    /// An error of a mapping function (lookup, table).
    pub fn call(message: impl Into<String>) -> EvalError {
        EvalError::new(EvalErrorKind::Call, message)
    }

    /// The reject rule this error calls for, over the caller's own:
    /// `budget` for a spent budget, `time-limit` for the clock.
    pub fn rule(&self) -> Option<&'static str> {
        match self.kind {
            EvalErrorKind::Budget { .. } => Some("budget"),
            EvalErrorKind::Time => Some("time-limit"),
            _ => None,
        }
    }

    /// Whether `rule` is one [`EvalError::rule`] gives: a spent budget or
    /// clock, after which nothing more of the unit can be evaluated.
    pub(crate) fn is_spent_rule(rule: &str) -> bool {
        rule == "budget" || rule == "time-limit"
    }

    /// The same error with `context` before its message.
    pub fn context(self, context: impl fmt::Display) -> EvalError {
        EvalError {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

type Result<T> = std::result::Result<T, EvalError>;

/// An expression that does not compile: a stable code, the byte span in the
/// expression's text, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// `expr-syntax`, `expr-too-deep`, `expr-unknown-function`,
    /// `expr-unknown-method`, `expr-arity`, `expr-number`, `script-syntax`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Byte offset in the expression's text.
    pub offset: usize,
    /// Byte length of the offending part (0 at the end).
    pub len: usize,
    /// A did-you-mean (or the known names), for the help line.
    pub help: Option<String>,
}

impl CompileError {
    /// The load finding at `span`: "the expression does not compile: ...",
    /// with the help line apart.
    pub(crate) fn diagnostic(self, span: crate::diag::Span) -> crate::diag::Diagnostic {
        let d = crate::diag::Diagnostic::error(
            span,
            self.code,
            format!("the expression does not compile: {}", self.message),
        );
        match self.help {
            Some(h) => d.with_help(h),
            None => d,
        }
    }

    pub(crate) fn new(
        code: &'static str,
        offset: usize,
        len: usize,
        message: impl Into<String>,
    ) -> CompileError {
        CompileError {
            code,
            message: message.into(),
            offset,
            len,
            help: None,
        }
    }

    pub(crate) fn syntax(offset: usize, len: usize, message: impl Into<String>) -> CompileError {
        CompileError::new("expr-syntax", offset, len, message)
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)?;
        match &self.help {
            Some(h) => write!(f, " ({h})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for CompileError {}

/// Variables an expression can see: a record's fields plus named extras
/// (`params`, `parent`, `item`...), looked up extras first.
pub struct Scope<'a> {
    /// The record whose fields are variables.
    pub record: Option<&'a Map>,
    /// Named values, searched before the record.
    pub vars: Vars<'a>,
    /// The enclosing record, searched after `record` (inside `for_each`,
    /// the unit's own fields stay visible).
    pub outer: Option<&'a Map>,
    /// Functions that need the mapping's data (`table`, `lookup`).
    pub calls: Option<&'a dyn ExternalCalls>,
    /// The mapping's `let:` values for this unit, searched after `vars`.
    pub lets: Option<&'a Map>,
}

impl<'a> Scope<'a> {
    /// A scope over a record.
    pub fn of(record: Option<&'a Map>) -> Scope<'a> {
        Scope {
            record,
            vars: Vars::default(),
            outer: None,
            calls: None,
            lets: None,
        }
    }

    /// Add a named variable.
    pub fn with(mut self, name: &'a str, value: &'a Value) -> Scope<'a> {
        self.vars.push(name, value);
        self
    }

    /// Innermost first: named variables, then inside `for_each` the item's
    /// fields, then the `let:` values, then the unit's fields.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.get_hinted(name, &Hint::default())
    }

    /// [`Scope::get`], looking first where `hint` says the record held
    /// `name` last time (and noting where it was found this time). Each
    /// layer is still asked in turn, so the answer is the same.
    pub(crate) fn get_hinted(&self, name: &str, hint: &Hint) -> Option<&'a Value> {
        if let Some(v) = self.vars.get(name) {
            return Some(v);
        }
        let in_item = self.outer.is_some();
        if in_item {
            if let Some(v) = self.record.and_then(|r| hint.get(r, name)) {
                return Some(v);
            }
        }
        if let Some(v) = self.lets.and_then(|l| get(l, name)) {
            return Some(v);
        }
        if !in_item {
            if let Some(v) = self.record.and_then(|r| hint.get(r, name)) {
                return Some(v);
            }
        }
        self.outer.and_then(|o| get(o, name))
    }
}

/// The most characters of an expression's source a message quotes.
pub const QUOTED_CHARS: usize = 120;

/// `source` cut to [`QUOTED_CHARS`] characters, with "…" if it was longer.
pub fn quoted(source: &str) -> std::borrow::Cow<'_, str> {
    match source.char_indices().nth(QUOTED_CHARS) {
        None => source.into(),
        Some((end, _)) => format!("{}…", &source[..end]).into(),
    }
}

/// Named values: the first few inline (a scope is made for every record and
/// list item, and a heap allocation each time showed in profiles), any more
/// in a list, so there is no limit. Closure parameters are not here: the
/// evaluator keeps them on its own stack.
#[derive(Clone, Default)]
pub struct Vars<'a> {
    inline: [Option<(&'a str, &'a Value)>; 6],
    more: Vec<(&'a str, &'a Value)>,
}

impl<'a> Vars<'a> {
    /// Add or replace `name`.
    pub fn push(&mut self, name: &'a str, value: &'a Value) {
        for slot in self.inline.iter_mut() {
            match slot {
                Some((n, v)) if same_key(n, name) => {
                    *v = value;
                    return;
                }
                None => {
                    *slot = Some((name, value));
                    return;
                }
                _ => {}
            }
        }
        match self.more.iter_mut().find(|(n, _)| same_key(n, name)) {
            Some(slot) => slot.1 = value,
            None => self.more.push((name, value)),
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        // A plain loop: every variable an expression reads asks here first.
        for slot in &self.inline {
            match slot {
                Some((n, v)) if same_key(n, name) => return Some(v),
                Some(_) => {}
                None => return None,
            }
        }
        self.more
            .iter()
            .find(|(n, _)| same_key(n, name))
            .map(|(_, v)| *v)
    }

    /// The names and values.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + '_ {
        self.inline
            .iter()
            .map_while(|s| *s)
            .chain(self.more.iter().copied())
    }
}

/// Functions whose answer depends on the mapping or schema: decision tables
/// and lookups. Returns `None` when the name is not one of them.
pub trait ExternalCalls {
    /// Call `name` with `args`.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value>>;
}

/// A key of a record. Records are small (a few dozen keys), and comparing
/// the keys in order beats hashing each lookup with SipHash, which showed
/// as the largest single cost in profiles of the Spectrum mapping.
pub fn get<'v>(map: &'v Map, key: &str) -> Option<&'v Value> {
    if map.len() <= 32 {
        map.iter().find(|(k, _)| same_key(k, key)).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// Where a name was last found in a record. The records of one mapping
/// share their key order, so the next one most likely holds the name at
/// the same place: one key compared instead of a search. Only ever a
/// guess, checked before it is used; a mapping's expressions are shared
/// by its threads, and a guess another thread overwrote is still checked.
#[derive(Debug, Default)]
pub(crate) struct Hint(std::sync::atomic::AtomicU32);

impl Clone for Hint {
    fn clone(&self) -> Hint {
        Hint(std::sync::atomic::AtomicU32::new(self.at() as u32))
    }
}

impl Hint {
    fn at(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed) as usize
    }

    /// `map[key]`, as [`get`] finds it.
    pub(crate) fn get<'v>(&self, map: &'v Map, key: &str) -> Option<&'v Value> {
        // A map's keys are distinct: the key at the guessed place is the one.
        if let Some((k, v)) = map.entry_at(self.at()) {
            if same_key(k, key) {
                return Some(v);
            }
        }
        if map.len() > 32 {
            // A big map is searched by its index, as `get` does.
            return map.get(key);
        }
        let (at, v) = map
            .iter()
            .enumerate()
            .find(|(_, (k, _))| same_key(k, key))?;
        let at = u32::try_from(at).unwrap_or(0);
        self.0.store(at, std::sync::atomic::Ordering::Relaxed);
        Some(v.1)
    }
}

/// One step of a path an expression reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A field (or a map key given as a literal).
    Name(String),
    /// An item of a list (any index, or a closure's parameter).
    Item,
}

/// One name an expression reads: `job.site.ref` is [Name(job), Name(site),
/// Name(ref)]; `activities[0].team` and the closure parameter `a` in
/// `activities.map(|a| a.team)` are [Name(activities), Item, Name(team)].
/// Closure parameters are resolved to the list they range over; a name bound
/// by the expression itself is never reported. `params.x` is [Name(params),
/// Name(x)].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// The path, from a top-level name.
    pub steps: Vec<Step>,
    /// Byte offset in the source.
    pub offset: usize,
    /// Byte length in the source.
    pub len: usize,
}

/// A compiled expression.
#[derive(Clone)]
pub struct Expr {
    source: String,
    kind: ExprKind,
}

#[derive(Clone)]
enum ExprKind {
    Native(Node),
    Script(script::Script),
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.is_script() { "script" } else { "native" };
        write!(f, "Expr({:?}, {how})", self.source)
    }
}

impl Expr {
    /// Compile `source` in the expression language. `externals` names the
    /// functions that [`ExternalCalls`] answers (`table`, `lookup`).
    pub fn compile(source: &str, externals: &[&str]) -> std::result::Result<Expr, CompileError> {
        let toks = lex::tokenize(source)?;
        let node = parse::parse(source, &toks, externals)?;
        Ok(Expr {
            source: source.to_string(),
            kind: ExprKind::Native(node),
        })
    }

    /// Compile `source` as a rhai script, to run in `sandbox` (a `script:`).
    pub fn compile_script(
        source: &str,
        sandbox: &Sandbox,
    ) -> std::result::Result<Expr, CompileError> {
        Ok(Expr {
            source: source.to_string(),
            kind: ExprKind::Script(script::Script::compile(source, sandbox)?),
        })
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text as a message quotes it: at most [`QUOTED_CHARS`] characters,
    /// then "…" (a reject once quoted a 1M-item literal whole, 2 MB a line).
    pub fn quoted(&self) -> std::borrow::Cow<'_, str> {
        quoted(&self.source)
    }

    /// The value of an expression that is nothing but a literal (`"X"`, `3`).
    pub(crate) fn as_literal(&self) -> Option<&Value> {
        match &self.kind {
            ExprKind::Native(Node {
                kind: N::Lit(v), ..
            }) => Some(v),
            _ => None,
        }
    }

    /// The first operand of a `&&` chain, or the whole expression when it
    /// is none: when it is false, nothing after it is evaluated, so the
    /// whole is false whatever the rest reads. None for a script.
    pub(crate) fn leading_conjunct(&self) -> Option<Expr> {
        self.conjuncts()?.into_iter().next()
    }

    /// The operands of a top-level `&&` chain, in order (the whole
    /// condition when it is no such chain); None for a script.
    pub(crate) fn conjuncts(&self) -> Option<Vec<Expr>> {
        let ExprKind::Native(node) = &self.kind else {
            return None;
        };
        let nodes: Vec<&Node> = match &node.kind {
            N::Chain(first, rest) if rest[0].0 == parse::Op::And => std::iter::once(first.as_ref())
                .chain(rest.iter().map(|(_, n)| n))
                .collect(),
            _ => vec![node],
        };
        let part = |n: &Node| Expr {
            source: self.source.clone(),
            kind: ExprKind::Native(n.clone()),
        };
        Some(nodes.into_iter().map(part).collect())
    }

    /// `parts` joined by `&&`, left to right (as written, so the same
    /// operand fails first); the source is `source`'s, for messages.
    pub(crate) fn all_of(source: &Expr, parts: Vec<Expr>) -> Option<Expr> {
        let mut nodes = parts.into_iter().map(|e| match e.kind {
            ExprKind::Native(n) => Some(n),
            ExprKind::Script(_) => None,
        });
        let first = nodes.next()??;
        let rest: Option<Vec<(parse::Op, Node)>> =
            nodes.map(|n| n.map(|n| (parse::Op::And, n))).collect();
        let rest = rest?;
        let node = match rest.is_empty() {
            true => first,
            false => Node {
                at: first.at,
                len: rest
                    .last()
                    .map_or(first.len, |(_, n)| n.at + n.len - first.at),
                kind: N::Chain(Box::new(first), rest),
            },
        };
        Some(Expr {
            source: source.source.clone(),
            kind: ExprKind::Native(node),
        })
    }

    /// True for a `script:` (rhai) expression.
    pub fn is_script(&self) -> bool {
        matches!(self.kind, ExprKind::Script(_))
    }

    /// If the expression is nothing but a path into the record (`job.ref`,
    /// `activities[0].team.name`), its segments.
    pub fn as_path(&self) -> Option<Vec<String>> {
        fn walk(n: &Node, out: &mut Vec<String>) -> bool {
            match &n.kind {
                N::Var(v, _) => {
                    out.push(v.clone());
                    true
                }
                N::Field {
                    obj,
                    name,
                    optional: false,
                    ..
                } => {
                    walk(obj, out) && {
                        out.push(name.clone());
                        true
                    }
                }
                N::Index(o, i) => match &i.kind {
                    N::Lit(Value::Number(n)) if n.is_u64() => {
                        walk(o, out) && {
                            out.push(n.to_string());
                            true
                        }
                    }
                    _ => false,
                },
                _ => false,
            }
        }
        let ExprKind::Native(n) = &self.kind else {
            return None;
        };
        let mut out = Vec::new();
        walk(n, &mut out).then_some(out)
    }

    /// Every name the expression reads (see [`Read`]). For a script, the
    /// top-level names it reads, best effort.
    pub fn reads(&self) -> Vec<Read> {
        match &self.kind {
            ExprKind::Native(n) => {
                let mut out = Vec::new();
                reads_of(n, &mut Vec::new(), &mut out);
                out
            }
            ExprKind::Script(s) => s.reads(),
        }
    }

    /// The read (offset and length in the source) through which the value
    /// can be lost, `()` or an error, when the reads `absent` names find
    /// nothing (the `absent` module); None for a script, which is not followed.
    pub(crate) fn lost_to(&self, absent: &dyn Fn(usize, usize) -> bool) -> Option<(usize, usize)> {
        match &self.kind {
            ExprKind::Native(n) => absent::lost(n, absent).read(),
            ExprKind::Script(_) => None,
        }
    }

    /// Evaluate over `scope`.
    pub fn eval(&self, scope: &Scope) -> Result<Value> {
        match &self.kind {
            ExprKind::Native(node) => {
                // The copy of a borrowed result (a `let:` of a record list)
                // is paid by its size like any other copy.
                let mut ctx = eval::Ctx::new(scope);
                let r = ctx.eval(node).and_then(|v| ctx.own(v));
                ctx.finish();
                r
            }
            ExprKind::Script(s) => s.run(scope),
        }
    }

    /// Evaluate as [`Expr::eval`] does, handing `found` the value first
    /// when it is part of the scope's data, copied unchanged (a path): the
    /// builder looks there for numbers that keep their literal.
    pub fn eval_noting(&self, scope: &Scope, found: &mut dyn FnMut(&Value)) -> Result<Value> {
        match &self.kind {
            ExprKind::Native(node) => {
                let mut ctx = eval::Ctx::new(scope);
                let r = ctx.eval(node).and_then(|v| {
                    if let Cow::Borrowed(b) = &v {
                        found(b);
                    }
                    ctx.own(v)
                });
                ctx.finish();
                r
            }
            ExprKind::Script(s) => s.run(scope),
        }
    }

    /// Evaluate without copying when the result is part of the scope's data
    /// (`for_each: activities` borrows the list instead of cloning it).
    pub fn eval_cow<'v>(&'v self, scope: &Scope<'v>) -> Result<Cow<'v, Value>> {
        match &self.kind {
            ExprKind::Native(node) => {
                let mut ctx = eval::Ctx::new(scope);
                let r = ctx.eval(node);
                ctx.finish();
                r
            }
            ExprKind::Script(s) => s.run(scope).map(Cow::Owned),
        }
    }

    /// Evaluate a condition: the result must be true or false.
    pub fn test(&self, scope: &Scope) -> Result<bool> {
        match &self.kind {
            ExprKind::Native(node) => {
                let mut ctx = eval::Ctx::new(scope);
                let r = ctx.test(node, "a condition");
                ctx.finish();
                r
            }
            ExprKind::Script(s) => match s.run(scope)? {
                Value::Bool(b) => Ok(b),
                other => Err(EvalError::new(
                    EvalErrorKind::Type,
                    format!(
                        "a condition must be true or false, found {}",
                        type_name(&other)
                    ),
                )),
            },
        }
    }
}

/// A call of a function the mapping's data answers (`lookup`, `has_lookup`,
/// `table`), as written: which lookup or table it names, when the name is a
/// literal, and the keys of a literal map argument (a table's inputs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataCall {
    /// The function: `lookup`, `has_lookup` or `table`.
    pub function: String,
    /// The lookup or table named by a literal first argument.
    pub name: Option<String>,
    /// The keys of a literal map second argument.
    pub keys: Vec<String>,
    /// Byte offset of the call in the source.
    pub offset: usize,
    /// Byte length of the call.
    pub len: usize,
}

impl Expr {
    /// Every call of `lookup`, `has_lookup` or `table` in the expression, so
    /// the loader can check the names against what the mapping declares.
    pub fn data_calls(&self) -> Vec<DataCall> {
        let mut out = Vec::new();
        if let ExprKind::Native(n) = &self.kind {
            collect_calls(n, &mut out);
        }
        out
    }
}

fn collect_calls(node: &Node, out: &mut Vec<DataCall>) {
    if let N::External(function, args) = &node.kind {
        let name = match args.first().map(|a| &a.kind) {
            Some(N::Lit(Value::String(s))) => Some(s.clone()),
            _ => None,
        };
        let keys = match args.get(1).map(|a| &a.kind) {
            Some(N::Map(entries)) => entries.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        };
        out.push(DataCall {
            function: function.clone(),
            name,
            keys,
            offset: node.at,
            len: node.len,
        });
    }
    node.for_each_child(|c| collect_calls(c, out));
}

/// The path `node` denotes, if it is one; `bound` holds, per closure slot,
/// the path of the list the parameter ranges over.
fn path_of(node: &Node, bound: &[Option<Vec<Step>>]) -> Option<Vec<Step>> {
    match &node.kind {
        N::Var(v, _) => Some(vec![Step::Name(v.clone())]),
        N::Local(slot) => bound.get(*slot).cloned().flatten(),
        N::Field { obj, name, .. } => {
            let mut p = path_of(obj, bound)?;
            p.push(Step::Name(name.clone()));
            Some(p)
        }
        N::Index(obj, idx) => {
            let mut p = path_of(obj, bound)?;
            p.push(match &idx.kind {
                N::Lit(Value::String(k)) => Step::Name(k.clone()),
                _ => Step::Item,
            });
            Some(p)
        }
        _ => None,
    }
}

/// The path of one item of the list `node` is: a path's item, the same
/// for a `filter`/`distinct` of one (`activities.filter(..)` holds
/// activities), and for a `map` whose closure is a path, that path
/// (`activities.map(|a| a.team)` holds teams), so closure parameters further
/// down a chain are still checked.
fn item_path(node: &Node, bound: &[Option<Vec<Step>>]) -> Option<Vec<Step>> {
    match &node.kind {
        N::Method(obj, funcs::Method::Filter | funcs::Method::Distinct, _) => item_path(obj, bound),
        N::Method(obj, funcs::Method::Map, args) => match args.as_slice() {
            [Node {
                kind:
                    N::Closure {
                        base,
                        params: 1,
                        body,
                    },
                ..
            }] => {
                let mut inner: Vec<Option<Vec<Step>>> = bound.iter().take(*base).cloned().collect();
                inner.resize(*base, None);
                inner.push(item_path(obj, bound));
                path_of(body, &inner)
            }
            _ => None,
        },
        _ => path_of(node, bound).map(|mut p| {
            p.push(Step::Item);
            p
        }),
    }
}

fn reads_of(node: &Node, bound: &mut Vec<Option<Vec<Step>>>, out: &mut Vec<Read>) {
    if let Some(steps) = path_of(node, bound) {
        out.push(Read {
            steps,
            offset: node.at,
            len: node.len,
        });
        // Indexes inside the path read names of their own.
        let mut n = node;
        loop {
            match &n.kind {
                N::Field { obj, .. } => n = obj,
                N::Index(obj, idx) => {
                    reads_of(idx, bound, out);
                    n = obj;
                }
                _ => return,
            }
        }
    }
    let mut each = |n: &Node, bound: &mut Vec<Option<Vec<Step>>>| reads_of(n, bound, out);
    match &node.kind {
        N::Lit(_) | N::Var(..) | N::Local(_) => {}
        N::Field { obj, .. } => each(obj, bound),
        N::Index(o, i) => {
            each(o, bound);
            each(i, bound);
        }
        N::Not(e) | N::Neg(e) => each(e, bound),
        N::Chain(first, rest) => {
            each(first, bound);
            for (_, n) in rest {
                each(n, bound);
            }
        }
        N::Call(_, args) | N::External(_, args) | N::Array(args) => {
            for a in args {
                each(a, bound);
            }
        }
        N::Map(entries) => {
            for (_, n) in entries {
                each(n, bound);
            }
        }
        N::If(arms, otherwise) => {
            for (c, t) in arms {
                each(c, bound);
                each(t, bound);
            }
            if let Some(o) = otherwise {
                each(o, bound);
            }
        }
        N::Method(obj, _, args) => {
            each(obj, bound);
            let item = item_path(obj, bound);
            for a in args {
                match &a.kind {
                    N::Closure { base, params, body } => {
                        bound.truncate(*base);
                        if *params == 2 {
                            bound.push(None); // reduce's accumulator is no path
                        }
                        bound.push(item.clone());
                        each(body, bound);
                        bound.truncate(*base);
                    }
                    _ => each(a, bound),
                }
            }
        }
        N::Closure { body, .. } => each(body, bound),
    }
}

#[cfg(test)]
mod tests;
// The language against rhai on generated expressions (was engine/tests/).
#[cfg(test)]
mod differential;
