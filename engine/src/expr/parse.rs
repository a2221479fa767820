//! The parser: tokens to a tree with byte spans. Operators of one
//! precedence level are read in a loop into one flat `Chain`, so a
//! 3,000-term sum is a list, not a 3,000-deep tree; real nesting
//! (brackets, calls, closures, `if`, unary and postfix operators) counts
//! against [`MAX_DEPTH`] and deeper input is a compile error, never a stack
//! overflow.

use crate::value::Value;

use super::funcs::{self, Func, Method};
use super::lex::{Tok, Token};
use super::num::Arith;
use super::CompileError;

/// How deeply an expression may nest (brackets, calls, closures, `if`,
/// unary and postfix operators).
pub const MAX_DEPTH: usize = 64;

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Or,
    And,
    Eq,
    Ne,
    In,
    Lt,
    Le,
    Gt,
    Ge,
    Coalesce,
    Arith(Arith),
}

/// Precedence levels, loosest first: rhai's order (`??` binds tighter than
/// comparisons).
const LEVELS: [&[(&str, Op)]; 8] = [
    &[("||", Op::Or)],
    &[("&&", Op::And)],
    &[("==", Op::Eq), ("!=", Op::Ne)],
    &[("in", Op::In)],
    &[("<", Op::Lt), ("<=", Op::Le), (">", Op::Gt), (">=", Op::Ge)],
    &[("??", Op::Coalesce)],
    &[("+", Op::Arith(Arith::Add)), ("-", Op::Arith(Arith::Sub))],
    &[
        ("*", Op::Arith(Arith::Mul)),
        ("/", Op::Arith(Arith::Div)),
        ("%", Op::Arith(Arith::Rem)),
    ],
];

/// A node of the tree and its span.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub at: usize,
    pub len: usize,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Lit(Value),
    /// A name from the scope (record field, `params`, `let:` value...),
    /// with where the record had it last time.
    Var(String, super::Hint),
    /// A closure parameter: its slot on the evaluator's stack of locals.
    Local(usize),
    Field {
        obj: Box<Node>,
        name: String,
        /// `?.`: `()` when the object is `()`.
        optional: bool,
        /// Where the object had the field last time.
        hint: super::Hint,
    },
    Index(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    /// `first op1 x1 op2 x2 ...`, left to right, all of one level.
    Chain(Box<Node>, Vec<(Op, Node)>),
    Call(Func, Vec<Node>),
    External(String, Vec<Node>),
    Method(Box<Node>, Method, Vec<Node>),
    /// A closure: its parameters take the slots from `base` up.
    Closure {
        base: usize,
        params: usize,
        body: Box<Node>,
    },
    Array(Vec<Node>),
    Map(Vec<(String, Node)>),
    If(Vec<(Node, Node)>, Option<Box<Node>>),
}

impl Node {
    /// Call `f` on each direct child.
    pub(crate) fn for_each_child(&self, mut f: impl FnMut(&Node)) {
        match &self.kind {
            Kind::Lit(_) | Kind::Var(..) | Kind::Local(_) => {}
            Kind::Field { obj, .. } => f(obj),
            Kind::Index(a, b) => {
                f(a);
                f(b);
            }
            Kind::Not(e) | Kind::Neg(e) => f(e),
            Kind::Chain(first, rest) => {
                f(first);
                rest.iter().for_each(|(_, n)| f(n));
            }
            Kind::Call(_, args) | Kind::External(_, args) | Kind::Array(args) => {
                args.iter().for_each(f)
            }
            Kind::Method(obj, _, args) => {
                f(obj);
                args.iter().for_each(f);
            }
            Kind::Closure { body, .. } => f(body),
            Kind::Map(entries) => entries.iter().for_each(|(_, n)| f(n)),
            Kind::If(arms, otherwise) => {
                for (c, t) in arms {
                    f(c);
                    f(t);
                }
                if let Some(o) = otherwise {
                    f(o);
                }
            }
        }
    }
}

const STATEMENTS: [&str; 15] = [
    "let", "const", "loop", "while", "for", "do", "until", "fn", "return", "switch", "import",
    "export", "break", "continue", "throw",
];

pub(crate) struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    depth: usize,
    externals: &'a [&'a str],
    /// Closure parameters in scope, innermost last.
    locals: Vec<String>,
}

type R<T> = Result<T, CompileError>;

/// Parse a whole expression.
pub(crate) fn parse(src: &str, toks: &[Token], externals: &[&str]) -> R<Node> {
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
        externals,
        locals: Vec::new(),
    };
    if toks.is_empty() {
        return Err(CompileError::syntax(
            0,
            src.len(),
            "the expression is empty",
        ));
    }
    let node = p.expr()?;
    if p.pos < toks.len() {
        return Err(p.unexpected("an operator or the end of the expression"));
    }
    Ok(node)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn here(&self) -> usize {
        self.toks
            .get(self.pos)
            .map(|t| t.at)
            .unwrap_or(self.src.len())
    }

    fn end_of_prev(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map(|t| t.at + t.len)
            .unwrap_or(0)
    }

    fn is(&self, sym: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym)
    }

    fn eat(&mut self, sym: &str) -> bool {
        let hit = self.is(sym);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, sym: &str, what: &str) -> R<()> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, expected: &str) -> CompileError {
        match self.toks.get(self.pos) {
            Some(t) => CompileError::syntax(
                t.at,
                t.len,
                format!(
                    "expected {expected}, found '{}'",
                    &self.src[t.at..t.at + t.len]
                ),
            ),
            None => CompileError::syntax(
                self.src.len(),
                0,
                format!("expected {expected}, found the end of the expression"),
            ),
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            // The token that opened the level one too many.
            let at = self
                .pos
                .checked_sub(1)
                .map(|i| self.toks[i].at)
                .unwrap_or(0);
            return Err(CompileError::new(
                "expr-too-deep",
                at,
                0,
                format!("the expression nests deeper than {MAX_DEPTH} levels (brackets, calls, closures, if, unary and postfix operators); split it with `let:`"),
            ));
        }
        Ok(())
    }

    fn node(&self, kind: Kind, at: usize) -> Node {
        Node {
            kind,
            at,
            len: self.end_of_prev().saturating_sub(at),
        }
    }

    pub(crate) fn expr(&mut self) -> R<Node> {
        self.level(0)
    }

    fn op_at(&self, level: usize) -> Option<Op> {
        let t = self.peek()?;
        LEVELS[level].iter().find_map(|(s, op)| match t {
            Tok::Sym(x) if x == s => Some(*op),
            Tok::Ident(x) if x == s => Some(*op),
            _ => None,
        })
    }

    fn level(&mut self, level: usize) -> R<Node> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let at = self.here();
        let first = self.level(level + 1)?;
        let mut rest = Vec::new();
        while let Some(op) = self.op_at(level) {
            self.pos += 1;
            rest.push((op, self.level(level + 1)?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        Ok(self.node(Kind::Chain(Box::new(first), rest), at))
    }

    fn unary(&mut self) -> R<Node> {
        let at = self.here();
        let mut ops = Vec::new();
        while self.is("!") || self.is("-") {
            ops.push(self.is("!"));
            self.pos += 1;
            self.enter()?;
        }
        let mut node = self.postfix()?;
        for not in ops.into_iter().rev() {
            self.depth -= 1;
            node = match (not, node.kind) {
                (false, Kind::Lit(Value::Number(n))) if n.as_i64().is_some() => {
                    self.node(Kind::Lit(Value::from(-n.as_i64().unwrap_or(0))), at)
                }
                (not, kind) => {
                    let inner = Box::new(Node { kind, ..node });
                    self.node(
                        if not {
                            Kind::Not(inner)
                        } else {
                            Kind::Neg(inner)
                        },
                        at,
                    )
                }
            };
        }
        Ok(node)
    }

    fn postfix(&mut self) -> R<Node> {
        let at = self.here();
        let mut node = self.primary()?;
        let mut steps = 0;
        loop {
            let optional = self.is("?.");
            if self.eat(".") || self.eat("?.") {
                self.enter()?;
                steps += 1;
                let name_at = self.here();
                let Some(Tok::Ident(name)) = self.peek().cloned() else {
                    return Err(self.unexpected("a field or method name after '.'"));
                };
                self.pos += 1;
                if self.is("(") && !optional {
                    let spec = funcs::method(&name).ok_or_else(|| {
                        unknown(
                            "method",
                            &name,
                            name_at,
                            funcs::METHODS.iter().map(|s| s.name),
                        )
                    })?;
                    let args = self.args(spec.closure)?;
                    check_arity(spec, args.len(), name_at, name.len())?;
                    node = self.node(Kind::Method(Box::new(node), spec.id, args), at);
                } else {
                    node = self.node(
                        Kind::Field {
                            obj: Box::new(node),
                            name,
                            optional,
                            hint: super::Hint::default(),
                        },
                        at,
                    );
                }
            } else if self.eat("[") {
                self.enter()?;
                steps += 1;
                let idx = self.expr()?;
                self.expect("]", "']'")?;
                node = self.node(Kind::Index(Box::new(node), Box::new(idx)), at);
            } else {
                self.depth -= steps;
                return Ok(node);
            }
        }
    }

    /// Arguments after `(`; a closure is allowed first when `closure` > 0.
    fn args(&mut self, closure: usize) -> R<Vec<Node>> {
        self.expect("(", "'('")?;
        self.enter()?;
        let mut args = Vec::new();
        if !self.eat(")") {
            loop {
                let arg = if self.is("|") || self.is("||") {
                    if closure == 0 || !args.is_empty() {
                        return Err(self.unexpected(
                            "a value (only all, some, map, filter and reduce take a closure)",
                        ));
                    }
                    self.closure(closure)?
                } else {
                    self.expr()?
                };
                args.push(arg);
                if self.eat(")") {
                    break;
                }
                self.expect(",", "',' or ')'")?;
            }
        }
        self.depth -= 1;
        Ok(args)
    }

    fn closure(&mut self, want: usize) -> R<Node> {
        let at = self.here();
        self.expect("|", "'|'")?;
        let base = self.locals.len();
        loop {
            let Some(Tok::Ident(p)) = self.peek().cloned() else {
                return Err(self.unexpected("a parameter name"));
            };
            self.pos += 1;
            self.locals.push(p);
            if self.eat("|") {
                break;
            }
            self.expect(",", "',' or '|'")?;
        }
        let params = self.locals.len() - base;
        if params != want {
            self.locals.truncate(base);
            return Err(CompileError::new(
                "expr-arity",
                at,
                self.end_of_prev() - at,
                format!("this closure takes {params} parameter(s); here it needs {want}"),
            ));
        }
        self.enter()?;
        let body = self.expr();
        self.depth -= 1;
        self.locals.truncate(base);
        let body = body?;
        Ok(self.node(
            Kind::Closure {
                base,
                params,
                body: Box::new(body),
            },
            at,
        ))
    }

    fn primary(&mut self) -> R<Node> {
        let at = self.here();
        let Some(tok) = self.peek().cloned() else {
            return Err(self.unexpected("a value"));
        };
        self.pos += 1;
        let kind = match tok {
            Tok::Int(i) => Kind::Lit(Value::from(i)),
            Tok::Dec(text) => Kind::Lit(decimal_literal(&text, at)?),
            Tok::Str(s) => Kind::Lit(Value::String(s)),
            Tok::Sym("(") => {
                if self.eat(")") {
                    Kind::Lit(Value::Null)
                } else {
                    self.enter()?;
                    let e = self.expr()?;
                    self.expect(")", "')'")?;
                    self.depth -= 1;
                    return Ok(e);
                }
            }
            Tok::Sym("[") => {
                self.enter()?;
                let items = self.list("]")?;
                self.depth -= 1;
                Kind::Array(items)
            }
            Tok::Sym("#{") => {
                self.enter()?;
                let entries = self.map_entries()?;
                self.depth -= 1;
                Kind::Map(entries)
            }
            Tok::Ident(name) => return self.ident(name, at),
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a value"));
            }
        };
        Ok(self.node(kind, at))
    }

    fn list(&mut self, close: &str) -> R<Vec<Node>> {
        let mut items = Vec::new();
        if self.eat(close) {
            return Ok(items);
        }
        loop {
            items.push(self.expr()?);
            if self.eat(close) {
                return Ok(items);
            }
            self.expect(",", &format!("',' or '{close}'"))?;
        }
    }

    fn map_entries(&mut self) -> R<Vec<(String, Node)>> {
        let mut entries = Vec::new();
        if self.eat("}") {
            return Ok(entries);
        }
        loop {
            let key = match self.peek().cloned() {
                Some(Tok::Ident(k) | Tok::Str(k)) => k,
                _ => return Err(self.unexpected("a key")),
            };
            self.pos += 1;
            self.expect(":", "':'")?;
            entries.push((key, self.expr()?));
            if self.eat("}") {
                return Ok(entries);
            }
            self.expect(",", "',' or '}'")?;
        }
    }

    fn ident(&mut self, name: String, at: usize) -> R<Node> {
        let kind = match name.as_str() {
            "true" => Kind::Lit(Value::Bool(true)),
            "false" => Kind::Lit(Value::Bool(false)),
            "if" => return self.if_expr(at),
            s if STATEMENTS.contains(&s) => {
                return Err(CompileError::syntax(
                    at,
                    s.len(),
                    format!("'{s}' starts a statement, and expressions have none: use if/else, map, filter or reduce, or make this a `script:`"),
                ))
            }
            _ if self.is("(") => {
                if let Some(spec) = funcs::func(&name) {
                    let args = self.args(0)?;
                    check_arity(spec, args.len(), at, name.len())?;
                    Kind::Call(spec.id, args)
                } else if self.externals.contains(&name.as_str()) {
                    Kind::External(name, self.args(0)?)
                } else {
                    let names = funcs::FUNCS.iter().map(|s| s.name);
                    return Err(unknown(
                        "function",
                        &name,
                        at,
                        names.chain(self.externals.iter().copied()),
                    ));
                }
            }
            _ => match self.locals.iter().rposition(|l| *l == name) {
                Some(slot) => Kind::Local(slot),
                None => Kind::Var(name, super::Hint::default()),
            },
        };
        Ok(self.node(kind, at))
    }

    /// `if c { a } else if d { b } else { e }`; without `else` it is `()`
    /// when no condition holds.
    fn if_expr(&mut self, at: usize) -> R<Node> {
        self.enter()?;
        let mut arms = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.expr()?;
            self.expect("{", "'{' after the condition of if")?;
            let then = self.expr()?;
            self.expect("}", "'}'")?;
            arms.push((cond, then));
            if !matches!(self.peek(), Some(Tok::Ident(e)) if e == "else") {
                break;
            }
            self.pos += 1;
            if matches!(self.peek(), Some(Tok::Ident(e)) if e == "if") {
                self.pos += 1;
                continue;
            }
            self.expect("{", "'{' or 'if' after else")?;
            otherwise = Some(Box::new(self.expr()?));
            self.expect("}", "'}'")?;
            break;
        }
        self.depth -= 1;
        Ok(self.node(Kind::If(arms, otherwise), at))
    }
}

fn decimal_literal(text: &str, at: usize) -> R<Value> {
    // Past 28 significant digits the literal would be rounded: say so at
    // load rather than compute with another number than the one written.
    if let Some(Err(why)) = super::num::exact_decimal(text) {
        return Err(CompileError::new("expr-number", at, text.len(), why));
    }
    text.parse::<f64>()
        .ok()
        // Held as an f64 between steps: that f64 must still be a decimal
        // (Decimal::MAX itself rounds up past the range).
        .filter(|f| {
            <rust_decimal::Decimal as rust_decimal::prelude::FromPrimitive>::from_f64(*f).is_some()
        })
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| {
            CompileError::new(
                "expr-number",
                at,
                text.len(),
                format!("{text} is past the range of decimal arithmetic"),
            )
        })
}

/// The arity of a call, against its spec; the message shows the spec's
/// line of documentation and its example.
fn check_arity<T>(spec: &funcs::Spec<T>, got: usize, at: usize, len: usize) -> R<()> {
    let (name, arity) = (spec.name, spec.arity);
    if arity.contains(&got) {
        return Ok(());
    }
    let example = spec.example.split("  ==>").next().unwrap_or_default();
    let want: Vec<String> = arity.iter().map(|a| a.to_string()).collect();
    Err(CompileError::new(
        "expr-arity",
        at,
        len,
        format!(
            "{name}() takes {} argument(s), not {got} ({}: `{example}`)",
            want.join(" or "),
            spec.doc
        ),
    ))
}

fn unknown<'n>(
    what: &str,
    name: &str,
    at: usize,
    known: impl Iterator<Item = &'n str>,
) -> CompileError {
    let known: Vec<&str> = known.collect();
    let near = crate::diag::suggest(name, known.iter().copied());
    let help = match near {
        Some(n) => format!("did you mean {n}?"),
        None => format!("known: {}", known.join(", ")),
    };
    let mut e = CompileError::new(
        if what == "method" {
            "expr-unknown-method"
        } else {
            "expr-unknown-function"
        },
        at,
        name.len(),
        format!("there is no {what} {name}(); a script can use rhai's: `script:`"),
    );
    e.help = Some(help);
    e
}
