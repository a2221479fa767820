//! Expressions: rhai syntax, compiled once, evaluated per record.
//!
//! Mapping and schema authors write rhai. Most of what they write is small:
//! a path (`job.ref`), a comparison (`Ship_To_Code == "I"`), a concatenation
//! (`"!" + sor_code`), arithmetic (`unit_cost * quantity`). Running those
//! through the rhai interpreter would cost a conversion of the whole record
//! into rhai values on every call, so this module parses the common subset
//! itself and evaluates it directly over `serde_json::Value`, with rhai's
//! meaning. Anything it does not understand (statements, loops, `if`, map
//! literals, functions it does not know) is compiled by rhai instead and runs
//! in a sandbox with every limit set (see [`Sandbox`]).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

/// An expression that went wrong while running on a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError(pub String);

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T> = std::result::Result<T, EvalError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(EvalError(msg.into()))
}

/// Variables an expression can see: a record's fields plus named extras
/// (`params`, `parent`, closure arguments), looked up extras first.
pub struct Scope<'a> {
    /// The record whose fields are variables.
    pub record: Option<&'a Map<String, Value>>,
    /// Named values, searched before the record.
    pub vars: Vars<'a>,
    /// The enclosing record, searched after `record` (inside `for_each`,
    /// the unit's own fields stay visible).
    pub outer: Option<&'a Map<String, Value>>,
    /// Functions that need the mapping's data (`table`, `lookup`).
    pub calls: Option<&'a dyn ExternalCalls>,
    /// The mapping's `let:` values for this unit, searched after `vars`.
    pub lets: Option<&'a Map<String, Value>>,
}

impl<'a> Scope<'a> {
    /// A scope over a record.
    pub fn of(record: Option<&'a Map<String, Value>>) -> Scope<'a> {
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
    fn get(&self, name: &str) -> Option<&'a Value> {
        if let Some(v) = self.vars.get(name) {
            return Some(v);
        }
        let in_item = self.outer.is_some();
        if in_item {
            if let Some(v) = self.record.and_then(|r| get(r, name)) {
                return Some(v);
            }
        }
        if let Some(v) = self.lets.and_then(|l| get(l, name)) {
            return Some(v);
        }
        if !in_item {
            if let Some(v) = self.record.and_then(|r| get(r, name)) {
                return Some(v);
            }
        }
        self.outer.and_then(|o| get(o, name))
    }
}

/// A few named values kept inline: a scope is made for every record and
/// every list item, and a heap allocation each time showed in profiles.
#[derive(Clone, Copy)]
pub struct Vars<'a> {
    items: [(&'a str, &'a Value); 8],
    len: usize,
}

impl Default for Vars<'_> {
    fn default() -> Self {
        Vars {
            items: [("", &NULL); 8],
            len: 0,
        }
    }
}

impl<'a> Vars<'a> {
    /// Add or replace `name`. Panics past 8 names, which the engine never uses.
    pub fn push(&mut self, name: &'a str, value: &'a Value) {
        if let Some(slot) = self.items[..self.len].iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
            return;
        }
        self.items[self.len] = (name, value);
        self.len += 1;
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.items[..self.len]
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The names and values.
    pub fn iter(&self) -> impl Iterator<Item = &(&'a str, &'a Value)> {
        self.items[..self.len].iter()
    }
}

/// Functions whose answer depends on the mapping or schema: decision tables
/// and lookups. Returns `None` when the name is not one of them.
pub trait ExternalCalls {
    /// Call `name` with `args`.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value>>;
}

static NULL: Value = Value::Null;

/// A key of a record. Records are small (a few dozen keys), and comparing
/// the keys in order beats hashing each lookup with SipHash, which showed
/// as the largest single cost in profiles of the Spectrum mapping.
pub fn get<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() <= 32 {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

// ---------------------------------------------------------------- syntax

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    Sym(&'static str),
}

const SYMBOLS: [&str; 27] = [
    "#{", "}", ":", "??", "==", "!=", "<=", ">=", "&&", "||", "()", "<", ">", "!", "+", "-", "*",
    "/", "%", "(", ")", "[", "]", ",", ".", "|", "?",
];

fn tokenize(src: &str) -> Option<Vec<Tok>> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Ident(src[s..i].to_string()));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
                i += 1;
            }
            let mut float = false;
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                float = true;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text: String = src[s..i].chars().filter(|&c| c != '_').collect();
            out.push(if float {
                Tok::Float(text.parse().ok()?)
            } else {
                Tok::Int(text.parse().ok()?)
            });
        } else if c == b'"' {
            let mut s = String::new();
            i += 1;
            loop {
                let ch = src[i..].chars().next()?;
                i += ch.len_utf8();
                match ch {
                    '"' => break,
                    '\\' => {
                        let e = src[i..].chars().next()?;
                        i += e.len_utf8();
                        s.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            '\\' => '\\',
                            '"' => '"',
                            _ => return None,
                        });
                    }
                    _ => s.push(ch),
                }
            }
            out.push(Tok::Str(s));
        } else {
            let sym = SYMBOLS.iter().find(|s| src[i..].starts_with(**s))?;
            // `()` is rhai's unit only when nothing sits between the brackets;
            // a call `f()` is handled by the parser, which sees `(` `)` too.
            if *sym == "()" && matches!(out.last(), Some(Tok::Ident(_))) {
                out.push(Tok::Sym("("));
                out.push(Tok::Sym(")"));
            } else {
                out.push(Tok::Sym(sym));
            }
            i += sym.len();
        }
    }
    Some(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bin {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl Bin {
    fn of(t: &Tok) -> Option<(Bin, u8)> {
        Some(match t {
            Tok::Sym("??") => (Bin::Coalesce, 1),
            Tok::Sym("||") => (Bin::Or, 2),
            Tok::Sym("&&") => (Bin::And, 3),
            Tok::Sym("==") => (Bin::Eq, 4),
            Tok::Sym("!=") => (Bin::Ne, 4),
            Tok::Ident(s) if s == "in" => (Bin::In, 5),
            Tok::Sym("<") => (Bin::Lt, 6),
            Tok::Sym("<=") => (Bin::Le, 6),
            Tok::Sym(">") => (Bin::Gt, 6),
            Tok::Sym(">=") => (Bin::Ge, 6),
            Tok::Sym("+") => (Bin::Add, 7),
            Tok::Sym("-") => (Bin::Sub, 7),
            Tok::Sym("*") => (Bin::Mul, 8),
            Tok::Sym("/") => (Bin::Div, 8),
            Tok::Sym("%") => (Bin::Rem, 8),
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
enum Node {
    Lit(Value),
    Var(String),
    Field(Box<Node>, String),
    Index(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    Binary(Bin, Box<Node>, Box<Node>),
    Call(String, Vec<Node>),
    Method(Box<Node>, String, Vec<Node>),
    Lambda(String, Box<Node>),
    Array(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// Functions the native evaluator knows; anything else goes to rhai.
const NATIVE_FUNCS: [&str; 5] = ["blank", "len", "is_empty", "round", "add_days"];
const NATIVE_METHODS: [&str; 12] = [
    "len",
    "is_empty",
    "starts_with",
    "ends_with",
    "contains",
    "to_upper",
    "to_lower",
    "all",
    "some",
    "sub_string",
    "to_string",
    "index_of",
];
const KEYWORDS: [&str; 16] = [
    "let", "const", "if", "else", "loop", "while", "for", "do", "until", "fn", "return", "switch",
    "import", "export", "break", "continue",
];

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
    externals: &'a [&'a str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expr(&mut self, min: u8) -> Option<Node> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.peek().and_then(Bin::of) {
            if prec < min {
                break;
            }
            self.pos += 1;
            let rhs = self.expr(prec + 1)?;
            lhs = Node::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        Some(lhs)
    }
    fn unary(&mut self) -> Option<Node> {
        if self.eat("!") {
            return Some(Node::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Some(Node::Neg(Box::new(self.unary()?)));
        }
        let mut node = self.primary()?;
        loop {
            if self.eat(".") {
                let Some(Tok::Ident(name)) = self.next() else {
                    return None;
                };
                if self.eat("(") {
                    if !NATIVE_METHODS.contains(&name.as_str()) {
                        return None;
                    }
                    let args = self.args()?;
                    node = Node::Method(Box::new(node), name, args);
                } else {
                    node = Node::Field(Box::new(node), name);
                }
            } else if self.eat("[") {
                let idx = self.expr(0)?;
                if !self.eat("]") {
                    return None;
                }
                node = Node::Index(Box::new(node), Box::new(idx));
            } else {
                return Some(node);
            }
        }
    }
    fn args(&mut self) -> Option<Vec<Node>> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Some(args);
        }
        loop {
            args.push(if self.eat("|") {
                self.lambda()?
            } else {
                self.expr(0)?
            });
            if self.eat(")") {
                return Some(args);
            }
            if !self.eat(",") {
                return None;
            }
        }
    }
    fn lambda(&mut self) -> Option<Node> {
        let Some(Tok::Ident(param)) = self.next() else {
            return None;
        };
        if !self.eat("|") {
            return None;
        }
        Some(Node::Lambda(param, Box::new(self.expr(0)?)))
    }
    fn primary(&mut self) -> Option<Node> {
        Some(match self.next()? {
            Tok::Int(i) => Node::Lit(Value::from(i)),
            Tok::Float(f) => Node::Lit(Value::Number(Number::from_f64(f)?)),
            Tok::Str(s) => Node::Lit(Value::String(s)),
            Tok::Sym("()") => Node::Lit(Value::Null),
            Tok::Sym("(") => {
                let e = self.expr(0)?;
                if !self.eat(")") {
                    return None;
                }
                e
            }
            Tok::Sym("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.expr(0)?);
                        if self.eat("]") {
                            break;
                        }
                        if !self.eat(",") {
                            return None;
                        }
                    }
                }
                Node::Array(items)
            }
            Tok::Sym("#{") => {
                let mut entries = Vec::new();
                if !self.eat("}") {
                    loop {
                        let key = match self.next()? {
                            Tok::Ident(k) | Tok::Str(k) => k,
                            _ => return None,
                        };
                        if !self.eat(":") {
                            return None;
                        }
                        entries.push((key, self.expr(0)?));
                        if self.eat("}") {
                            break;
                        }
                        if !self.eat(",") {
                            return None;
                        }
                    }
                }
                Node::Map(entries)
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => Node::Lit(Value::Bool(true)),
                "false" => Node::Lit(Value::Bool(false)),
                _ if KEYWORDS.contains(&name.as_str()) => return None,
                _ if self.eat("(") => {
                    if !NATIVE_FUNCS.contains(&name.as_str())
                        && !self.externals.contains(&name.as_str())
                    {
                        return None;
                    }
                    Node::Call(name, self.args()?)
                }
                _ => Node::Var(name),
            },
            _ => return None,
        })
    }
}

fn parse_native(src: &str, externals: &[&str]) -> Option<Node> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return None;
    }
    let mut p = Parser {
        toks: &toks,
        pos: 0,
        externals,
    };
    let node = p.expr(0)?;
    (p.pos == toks.len()).then_some(node)
}

// ---------------------------------------------------------------- values

/// True for `()`, `null`, `""` and all-space text: what "left blank" means
/// in every vendor table.
pub fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// The rhai name of a value's type, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "()",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "decimal",
        Value::Number(_) => "integer",
        Value::String(_) => "text",
        Value::Array(_) => "array",
        Value::Object(_) => "map",
    }
}

enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    let n = v.as_number()?;
    Some(match n.as_i64() {
        Some(i) => Num::I(i),
        None => Num::F(n.as_f64()?),
    })
}

fn float_value(f: f64) -> Result<Value> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| EvalError(format!("arithmetic gave {f}, not a number")))
}

/// Equality with rhai's meaning: numbers compare by value across integer and
/// decimal, other types must match.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (num(a), num(b)) {
        (Some(Num::I(x)), Some(Num::I(y))) => x == y,
        (Some(x), Some(y)) => as_f64(&x) == as_f64(&y),
        _ => match (a, b) {
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
            }
            _ => a == b,
        },
    }
}

fn as_f64(n: &Num) -> f64 {
    match n {
        Num::I(i) => *i as f64,
        Num::F(f) => *f,
    }
}

/// Text form of a value as rhai's `to_string` (and string `+`) gives it.
pub fn to_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        Value::Number(n) => Cow::Owned(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
            _ => n.to_string(),
        }),
        other => Cow::Owned(other.to_string()),
    }
}

fn arith(op: Bin, a: &Value, b: &Value) -> Result<Value> {
    if op == Bin::Add {
        match (a, b) {
            (Value::String(x), _) => return Ok(Value::String(format!("{x}{}", to_text(b)))),
            (_, Value::String(y)) => return Ok(Value::String(format!("{}{y}", to_text(a)))),
            (Value::Array(x), Value::Array(y)) => {
                return Ok(Value::Array(x.iter().chain(y).cloned().collect()))
            }
            _ => {}
        }
    }
    let (Some(x), Some(y)) = (num(a), num(b)) else {
        return err(format!(
            "cannot apply '{}' to {} and {}",
            bin_symbol(op),
            type_name(a),
            type_name(b)
        ));
    };
    match (x, y) {
        (Num::I(x), Num::I(y)) => {
            let r = match op {
                Bin::Add => x.checked_add(y),
                Bin::Sub => x.checked_sub(y),
                Bin::Mul => x.checked_mul(y),
                Bin::Div if y == 0 => return err("division by zero"),
                Bin::Div => x.checked_div(y),
                Bin::Rem if y == 0 => return err("division by zero"),
                Bin::Rem => x.checked_rem(y),
                _ => None,
            };
            r.map(Value::from)
                .ok_or_else(|| EvalError(format!("integer overflow in {x} {} {y}", bin_symbol(op))))
        }
        (x, y) => {
            let (x, y) = (as_f64(&x), as_f64(&y));
            float_value(match op {
                Bin::Add => x + y,
                Bin::Sub => x - y,
                Bin::Mul => x * y,
                Bin::Div => x / y,
                _ => x % y,
            })
        }
    }
}

fn bin_symbol(op: Bin) -> &'static str {
    match op {
        Bin::Coalesce => "??",
        Bin::Or => "||",
        Bin::And => "&&",
        Bin::Eq => "==",
        Bin::Ne => "!=",
        Bin::Lt => "<",
        Bin::Le => "<=",
        Bin::Gt => ">",
        Bin::Ge => ">=",
        Bin::In => "in",
        Bin::Add => "+",
        Bin::Sub => "-",
        Bin::Mul => "*",
        Bin::Div => "/",
        Bin::Rem => "%",
    }
}

fn compare(op: Bin, a: &Value, b: &Value) -> Result<bool> {
    let ord = match (num(a), num(b), a, b) {
        (Some(x), Some(y), _, _) => as_f64(&x).partial_cmp(&as_f64(&y)),
        (_, _, Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(ord) = ord else {
        return err(format!(
            "cannot compare {} with {} using '{}'",
            type_name(a),
            type_name(b),
            bin_symbol(op)
        ));
    };
    Ok(match op {
        Bin::Lt => ord.is_lt(),
        Bin::Le => ord.is_le(),
        Bin::Gt => ord.is_gt(),
        _ => ord.is_ge(),
    })
}

fn truth(v: &Value, what: &str) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => err(format!(
            "{what} must be true or false, found {}",
            type_name(other)
        )),
    }
}

fn char_len(s: &str) -> i64 {
    s.chars().count() as i64
}

// ---------------------------------------------------------------- evaluation

fn eval<'v>(node: &'v Node, scope: &Scope<'v>) -> Result<Cow<'v, Value>> {
    Ok(match node {
        Node::Lit(v) => Cow::Borrowed(v),
        Node::Var(name) => Cow::Borrowed(scope.get(name).unwrap_or(&NULL)),
        Node::Field(obj, name) => match eval(obj, scope)? {
            Cow::Borrowed(v) => Cow::Borrowed(field(v, name)?),
            Cow::Owned(v) => Cow::Owned(field(&v, name)?.clone()),
        },
        Node::Index(obj, idx) => {
            let i = eval(idx, scope)?;
            match eval(obj, scope)? {
                Cow::Borrowed(v) => Cow::Borrowed(index(v, &i)?),
                Cow::Owned(v) => Cow::Owned(index(&v, &i)?.clone()),
            }
        }
        Node::Not(e) => Cow::Owned(Value::Bool(!test_node(e, scope, "the operand of '!'")?)),
        Node::Neg(e) => Cow::Owned(arith(Bin::Sub, &Value::from(0), eval(e, scope)?.as_ref())?),
        Node::Binary(op, l, r) => Cow::Owned(binary(*op, l, r, scope)?),
        Node::Array(items) => Cow::Owned(Value::Array(
            items
                .iter()
                .map(|n| eval(n, scope).map(Cow::into_owned))
                .collect::<Result<_>>()?,
        )),
        Node::Map(entries) => Cow::Owned(Value::Object(
            entries
                .iter()
                .map(|(k, n)| Ok((k.clone(), eval(n, scope)?.into_owned())))
                .collect::<Result<_>>()?,
        )),
        Node::Call(name, args) => Cow::Owned(call(name, args, scope)?),
        Node::Method(obj, name, args) => {
            Cow::Owned(method(eval(obj, scope)?.as_ref(), name, args, scope)?)
        }
        Node::Lambda(..) => return err("a closure can only be an argument of all() or some()"),
    })
}

/// Evaluate a condition straight to a bool: `&&`, `||`, `!` and
/// comparisons never build a `Value` (conditions are most of what schema
/// rules evaluate, several per record).
fn test_node(node: &Node, scope: &Scope, what: &str) -> Result<bool> {
    match node {
        Node::Lit(Value::Bool(b)) => Ok(*b),
        Node::Not(e) => Ok(!test_node(e, scope, "the operand of '!'")?),
        Node::Binary(Bin::And, l, r) => {
            Ok(test_node(l, scope, "the left of '&&'")?
                && test_node(r, scope, "the right of '&&'")?)
        }
        Node::Binary(Bin::Or, l, r) => {
            Ok(test_node(l, scope, "the left of '||'")?
                || test_node(r, scope, "the right of '||'")?)
        }
        Node::Binary(op @ (Bin::Eq | Bin::Ne), l, r) => {
            let a = eval(l, scope)?;
            let b = eval(r, scope)?;
            Ok(values_equal(&a, &b) == (*op == Bin::Eq))
        }
        Node::Binary(op @ (Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge), l, r) => {
            compare(*op, eval(l, scope)?.as_ref(), eval(r, scope)?.as_ref())
        }
        Node::Call(name, args) if name == "blank" && args.len() == 1 => {
            Ok(is_blank(eval(&args[0], scope)?.as_ref()))
        }
        _ => {
            let v = eval(node, scope)?;
            truth(v.as_ref(), what)
        }
    }
}

fn field<'v>(v: &'v Value, name: &str) -> Result<&'v Value> {
    match v {
        Value::Object(m) => Ok(get(m, name).unwrap_or(&NULL)),
        Value::Null => err(format!("cannot read '{name}' of () (the value is missing)")),
        other => err(format!("cannot read '{name}' of {}", type_name(other))),
    }
}

fn index<'v>(v: &'v Value, i: &Value) -> Result<&'v Value> {
    match (v, i) {
        (Value::Array(a), Value::Number(n)) => {
            let Some(k) = n.as_i64() else {
                return err("an index must be a whole number");
            };
            let pos = if k < 0 { a.len() as i64 + k } else { k };
            a.get(pos as usize).filter(|_| pos >= 0).ok_or_else(|| {
                EvalError(format!(
                    "index {k} is out of bounds for an array of {}",
                    a.len()
                ))
            })
        }
        (Value::Object(m), Value::String(k)) => Ok(m.get(k).unwrap_or(&NULL)),
        (other, i) => err(format!(
            "cannot index {} with {}",
            type_name(other),
            type_name(i)
        )),
    }
}

fn binary(op: Bin, l: &Node, r: &Node, scope: &Scope) -> Result<Value> {
    match op {
        Bin::And => Ok(Value::Bool(
            test_node(l, scope, "the left of '&&'")? && test_node(r, scope, "the right of '&&'")?,
        )),
        Bin::Or => Ok(Value::Bool(
            test_node(l, scope, "the left of '||'")? || test_node(r, scope, "the right of '||'")?,
        )),
        Bin::Coalesce => {
            let a = eval(l, scope)?;
            if a.is_null() {
                Ok(eval(r, scope)?.into_owned())
            } else {
                Ok(a.into_owned())
            }
        }
        _ => {
            let a = eval(l, scope)?;
            let b = eval(r, scope)?;
            match op {
                Bin::Eq => Ok(Value::Bool(values_equal(&a, &b))),
                Bin::Ne => Ok(Value::Bool(!values_equal(&a, &b))),
                Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge => Ok(Value::Bool(compare(op, &a, &b)?)),
                Bin::In => contains(&b, &a).map(Value::Bool),
                _ => arith(op, &a, &b),
            }
        }
    }
}

fn contains(hay: &Value, needle: &Value) -> Result<bool> {
    match (hay, needle) {
        (Value::Array(items), n) => Ok(items.iter().any(|i| values_equal(i, n))),
        (Value::String(s), Value::String(n)) => Ok(s.contains(n.as_str())),
        (Value::Object(m), Value::String(k)) => Ok(m.contains_key(k)),
        (h, n) => err(format!(
            "cannot look for {} in {}",
            type_name(n),
            type_name(h)
        )),
    }
}

fn call(name: &str, args: &[Node], scope: &Scope) -> Result<Value> {
    // Arguments are borrowed where they can be: `blank(activities)` must not copy the list.
    let cows: Vec<Cow<Value>> = args.iter().map(|a| eval(a, scope)).collect::<Result<_>>()?;
    let refs: Vec<&Value> = cows.iter().map(|c| c.as_ref()).collect();
    match (name, refs.as_slice()) {
        ("blank", [v]) => Ok(Value::Bool(is_blank(v))),
        ("len", [v]) => len(v),
        ("is_empty", [v]) => Ok(Value::Bool(len(v)? == 0)),
        ("round", [v, places]) => round_to(v, places),
        ("add_days", [date, days]) => add_days(date, days),
        _ => match scope.calls.and_then(|c| {
            c.call(
                name,
                &cows.iter().map(|c| c.as_ref().clone()).collect::<Vec<_>>(),
            )
        }) {
            Some(r) => r,
            None => err(format!(
                "no function {name}() taking {} argument(s)",
                refs.len()
            )),
        },
    }
}

/// `add_days(date, n)`: an ISO 8601 date or timestamp `n` days later
/// (earlier when negative), as ISO 8601.
pub fn add_days(date: &Value, days: &Value) -> Result<Value> {
    let Some(n) = days.as_i64() else {
        return err("add_days(date, days) takes a whole number of days");
    };
    let text = to_text(date);
    let dt = crate::datefmt::DateTime::parse_iso(&text).ok_or_else(|| {
        EvalError(format!(
            "add_days: '{text}' is not an ISO 8601 date or timestamp"
        ))
    })?;
    Ok(Value::String(dt.add_days(n).to_iso()))
}

/// `round(x, places)`: half away from zero, in decimal arithmetic (so
/// 0.125 rounds to 0.13, where f64 arithmetic would give 0.12).
pub fn round_to(v: &Value, places: &Value) -> Result<Value> {
    let Some(p) = places.as_u64().filter(|p| *p <= 10) else {
        return err("round(x, places) takes a whole number of places from 0 to 10");
    };
    round_decimal(v, p as u32)
        .ok_or_else(|| EvalError(format!("cannot round {}: not a number", type_name(v))))
}

/// Round a number (or numeric text) to `places`, half away from zero.
pub fn round_decimal(value: &Value, places: u32) -> Option<Value> {
    use rust_decimal::prelude::*;
    let d = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => return Some(value.clone()),
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok()?,
        Value::String(s) => Decimal::from_str(s.trim()).ok()?,
        _ => return None,
    };
    // Binary floats make 1.15 * 0.10 into 0.11499999999999999; money is
    // never meant to carry 17 places, so settle at 10 places first, then
    // round half away from zero (0.115 -> 0.12, as a person would).
    let d = if places < 10 {
        d.round_dp_with_strategy(10, RoundingStrategy::MidpointNearestEven)
    } else {
        d
    };
    let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    r.to_f64().and_then(Number::from_f64).map(Value::Number)
}

fn len(v: &Value) -> Result<Value> {
    Ok(Value::from(match v {
        Value::String(s) => char_len(s),
        Value::Array(a) => a.len() as i64,
        Value::Object(m) => m.len() as i64,
        other => return err(format!("{} has no length", type_name(other))),
    }))
}

fn method(obj: &Value, name: &str, args: &[Node], scope: &Scope) -> Result<Value> {
    if let (Value::Array(items), "all" | "some", [Node::Lambda(param, body)]) = (obj, name, args) {
        let want_all = name == "all";
        for item in items {
            let mut vars = scope.vars;
            vars.push(param.as_str(), item);
            let inner = Scope {
                record: scope.record,
                vars,
                outer: scope.outer,
                calls: scope.calls,
                lets: scope.lets,
            };
            let hit = test_node(body, &inner, "the closure of all() or some()")?;
            if hit != want_all {
                return Ok(Value::Bool(!want_all));
            }
        }
        return Ok(Value::Bool(want_all));
    }
    // Arguments borrowed, not cloned: `Item_ID.starts_with("!")` must not
    // allocate a copy of "!" per record.
    let cows: Vec<Cow<Value>> = match args {
        [] => Vec::new(),
        _ => args.iter().map(|a| eval(a, scope)).collect::<Result<_>>()?,
    };
    let refs: Vec<&Value> = cows.iter().map(|c| c.as_ref()).collect();
    match (obj, name, refs.as_slice()) {
        (v, "len", []) => len(v),
        (v, "is_empty", []) => Ok(Value::Bool(len(v)? == 0)),
        (v, "to_string", []) => Ok(Value::String(to_text(v).into_owned())),
        (Value::String(s), "starts_with", [Value::String(p)]) => {
            Ok(Value::Bool(s.starts_with(p.as_str())))
        }
        (Value::String(s), "ends_with", [Value::String(p)]) => {
            Ok(Value::Bool(s.ends_with(p.as_str())))
        }
        (Value::String(s), "to_upper", []) => Ok(Value::String(s.to_uppercase())),
        (Value::String(s), "to_lower", []) => Ok(Value::String(s.to_lowercase())),
        (Value::String(s), "index_of", [Value::String(p)]) => Ok(Value::from(
            s.find(p.as_str()).map(|b| char_len(&s[..b])).unwrap_or(-1),
        )),
        (Value::String(s), "sub_string", [start, count]) => {
            let (Some(start), Some(count)) = (start.as_i64(), count.as_i64()) else {
                return err("sub_string takes two whole numbers");
            };
            Ok(Value::String(
                s.chars()
                    .skip(start.max(0) as usize)
                    .take(count.max(0) as usize)
                    .collect(),
            ))
        }
        (h, "contains", [n]) => contains(h, n).map(Value::Bool),
        (v, _, _) => err(format!(
            "{} has no method {name}() taking {} argument(s)",
            type_name(v),
            refs.len()
        )),
    }
}

// ---------------------------------------------------------------- rhai

/// Limits for expressions that run in rhai, so a bad mapping can neither
/// hang nor exhaust memory. A limit that trips fails that record only.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Operations per evaluation (a loop that never ends stops here).
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_levels: usize,
    /// Nesting of expressions in the source.
    pub max_expr_depth: usize,
    /// Characters in one string.
    pub max_string_size: usize,
    /// Items in one array.
    pub max_array_size: usize,
    /// Entries in one map.
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_operations: 1_000_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 10_000,
            max_map_size: 10_000,
        }
    }
}

type RhaiResult = std::result::Result<rhai::Dynamic, Box<rhai::EvalAltResult>>;

/// One of the native functions taking a value and a whole number, as rhai
/// calls it: the same code answers in both evaluators.
fn value_fn(
    f: fn(&Value, &Value) -> Result<Value>,
) -> impl Fn(rhai::Dynamic, i64) -> RhaiResult + Send + Sync + 'static {
    move |v, n| {
        let v: Value = rhai::serde::from_dynamic(&v)?;
        let r = f(&v, &Value::from(n)).map_err(|e| e.0)?;
        rhai::serde::to_dynamic(&r)
    }
}

/// The rhai engine for one mapping or schema: no file, network or process
/// access (no `import`, no `print`), every limit set.
#[derive(Clone)]
pub struct Sandbox {
    engine: Arc<rhai::Engine>,
    limits: Limits,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("limits", &self.limits)
            .finish()
    }
}

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new(Limits::default())
    }
}

impl Sandbox {
    /// A sandbox with the given limits.
    pub fn new(limits: Limits) -> Sandbox {
        Sandbox::with_calls(limits, None)
    }

    /// A sandbox whose scripts can also call `lookup`, `has_lookup` and
    /// `table` (answered by `calls`).
    pub fn with_calls(
        limits: Limits,
        calls: Option<Arc<dyn ExternalCalls + Send + Sync>>,
    ) -> Sandbox {
        use rhai::packages::Package;
        // `new_raw` has no module resolver and no print/debug output;
        // `Engine::new()` would let a script import files and write to stdout.
        let mut engine = rhai::Engine::new_raw();
        engine.register_global_module(rhai::packages::StandardPackage::new().as_shared_module());
        engine
            .set_max_operations(limits.max_operations)
            .set_max_call_levels(limits.max_call_levels)
            .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
            .set_max_string_size(limits.max_string_size)
            .set_max_array_size(limits.max_array_size)
            .set_max_map_size(limits.max_map_size)
            .set_max_modules(0)
            .set_max_variables(1_000)
            .set_max_functions(64);
        engine.set_optimization_level(rhai::OptimizationLevel::Simple);
        engine.register_fn("round", value_fn(round_to));
        engine.register_fn("add_days", value_fn(add_days));
        engine.register_fn("blank", |v: rhai::Dynamic| -> bool {
            v.is_unit()
                || v.clone()
                    .into_immutable_string()
                    .map(|s| s.trim().is_empty())
                    .unwrap_or(false)
        });
        if let Some(calls) = calls {
            for (name, arity) in [("lookup", 2), ("has_lookup", 2), ("table", 2)] {
                let calls = calls.clone();
                let f = move |a: rhai::Dynamic, b: rhai::Dynamic| -> std::result::Result<rhai::Dynamic, Box<rhai::EvalAltResult>> {
                    let args: Vec<Value> = [a, b]
                        .iter()
                        .map(rhai::serde::from_dynamic::<Value>)
                        .collect::<std::result::Result<_, _>>()?;
                    match calls.call(name, &args) {
                        Some(Ok(v)) => rhai::serde::to_dynamic(&v),
                        Some(Err(e)) => Err(e.0.into()),
                        None => Err(format!("no function {name}()").into()),
                    }
                };
                debug_assert_eq!(arity, 2);
                engine.register_fn(name, f);
            }
        }
        Sandbox {
            engine: Arc::new(engine),
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

// ---------------------------------------------------------------- compiled

/// A compiled expression: native when it can be, rhai when it must.
#[derive(Clone)]
pub struct Expr {
    source: String,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Native(Node),
    Script {
        ast: Arc<rhai::AST>,
        sandbox: Sandbox,
        idents: Vec<String>,
    },
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Expr({:?}, {})",
            self.source,
            if self.is_native() { "native" } else { "rhai" }
        )
    }
}

impl Expr {
    /// Compile `source`. `externals` names the functions that [`ExternalCalls`]
    /// answers (`table`, `lookup`); they may appear in native expressions.
    pub fn compile(
        source: &str,
        sandbox: &Sandbox,
        externals: &[&str],
    ) -> std::result::Result<Expr, String> {
        if let Some(node) = parse_native(source, externals) {
            return Ok(Expr {
                source: source.to_string(),
                kind: Kind::Native(node),
            });
        }
        let ast = sandbox.engine.compile(source).map_err(|e| e.to_string())?;
        Ok(Expr {
            source: source.to_string(),
            kind: Kind::Script {
                ast: Arc::new(ast),
                sandbox: sandbox.clone(),
                idents: identifiers(source),
            },
        })
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the expression runs without the interpreter.
    pub fn is_native(&self) -> bool {
        matches!(self.kind, Kind::Native(_))
    }

    /// If the expression is nothing but a path into the record (`job.ref`,
    /// `activities[0].team.name`), its segments.
    pub fn as_path(&self) -> Option<Vec<String>> {
        fn walk(n: &Node, out: &mut Vec<String>) -> bool {
            match n {
                Node::Var(v) => {
                    out.push(v.clone());
                    true
                }
                Node::Field(o, f) => {
                    walk(o, out) && {
                        out.push(f.clone());
                        true
                    }
                }
                Node::Index(o, i) => match &**i {
                    Node::Lit(Value::Number(n)) if n.is_u64() => {
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
        let Kind::Native(n) = &self.kind else {
            return None;
        };
        let mut out = Vec::new();
        walk(n, &mut out).then_some(out)
    }

    /// Evaluate over `scope`.
    pub fn eval(&self, scope: &Scope) -> Result<Value> {
        match &self.kind {
            Kind::Native(node) => eval(node, scope).map(Cow::into_owned),
            Kind::Script {
                ast,
                sandbox,
                idents,
            } => run_script(ast, sandbox, idents, scope),
        }
    }

    /// Evaluate without copying when the result is part of the scope's data
    /// (`for_each: activities` borrows the list instead of cloning it).
    pub fn eval_cow<'v>(&'v self, scope: &Scope<'v>) -> Result<Cow<'v, Value>> {
        match &self.kind {
            Kind::Native(node) => eval(node, scope),
            Kind::Script {
                ast,
                sandbox,
                idents,
            } => run_script(ast, sandbox, idents, scope).map(Cow::Owned),
        }
    }

    /// Evaluate a condition: the result must be true or false.
    pub fn test(&self, scope: &Scope) -> Result<bool> {
        match &self.kind {
            Kind::Native(node) => test_node(node, scope, "a condition"),
            _ => truth(&self.eval(scope)?, "a condition"),
        }
    }
}

/// The names a script may read as variables: every identifier that is not a
/// keyword, a property (`.name`) or a call (`name(`). Each is put in the rhai
/// scope, as `()` when the record lacks it, so a blank field reads as `()`
/// instead of failing with "variable not found".
fn identifiers(src: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    let b = src.as_bytes();
    let mut i = 0;
    let mut prev = b' ';
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'`' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            prev = c;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &src[s..i];
            let next = src[i..].trim_start().chars().next();
            if prev != b'.'
                && next != Some('(')
                && !KEYWORDS.contains(&word)
                && !["true", "false", "this", "in"].contains(&word)
            {
                out.insert(word.to_string());
            }
            prev = b'a';
            continue;
        }
        if !c.is_ascii_whitespace() {
            prev = c;
        }
        i += 1;
    }
    out.into_iter().collect()
}

fn run_script(
    ast: &rhai::AST,
    sandbox: &Sandbox,
    idents: &[String],
    scope: &Scope,
) -> Result<Value> {
    let mut rscope = rhai::Scope::new();
    for name in idents {
        let v = scope.get(name).unwrap_or(&NULL);
        let d = rhai::serde::to_dynamic(v).map_err(|e| EvalError(e.to_string()))?;
        // `push`, not `push_constant`: a constant would let the optimiser bake
        // in the first record's value.
        rscope.push_dynamic(name.clone(), d);
    }
    let out: rhai::Dynamic = sandbox
        .engine
        .eval_ast_with_scope(&mut rscope, ast)
        .map_err(|e| describe(&e, sandbox))?;
    rhai::serde::from_dynamic::<Value>(&out)
        .map_err(|e| EvalError(format!("the result cannot be used: {e}")))
}

fn describe(e: &rhai::EvalAltResult, sandbox: &Sandbox) -> EvalError {
    use rhai::EvalAltResult as E;
    let l = &sandbox.limits;
    EvalError(match e {
        E::ErrorTooManyOperations(_) => {
            format!("stopped after {} operations (the sandbox limit): does it loop forever?", l.max_operations)
        }
        E::ErrorDataTooLarge(what, _) => format!(
            "{what} grew past the sandbox limit (strings {} characters, arrays {} items, maps {} entries)",
            l.max_string_size, l.max_array_size, l.max_map_size
        ),
        E::ErrorStackOverflow(_) => format!("calls nested deeper than {} (the sandbox limit)", l.max_call_levels),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(src: &str, rec: Value) -> Result<Value> {
        let e = Expr::compile(src, &Sandbox::default(), &[]).unwrap();
        e.eval(&Scope::of(rec.as_object()))
    }

    #[test]
    fn common_forms_are_native() {
        for src in [
            "job.ref",
            "\"!\" + sor_code",
            "unit_cost * quantity",
            "team != ()",
            "team.type == \"Sub-Contract\"",
            "poDetails.all(|d| d.Detail_Entry_Type != \"D\")",
            "!blank(Ship_Name) && Ship_To_Code in [\"D\", \"J\"]",
            "activities[0].team.name",
        ] {
            assert!(
                Expr::compile(src, &Sandbox::default(), &[])
                    .unwrap()
                    .is_native(),
                "{src}"
            );
        }
        assert!(
            !Expr::compile("if a { 1 } else { 2 }", &Sandbox::default(), &[])
                .unwrap()
                .is_native()
        );
    }

    #[test]
    fn native_and_rhai_agree() {
        let rec = json!({"a": 2, "b": 2.5, "s": "x", "n": null, "list": [{"t": "N"}, {"t": "M"}], "o": {"k": "v"}});
        for src in [
            "a * b",
            "a + 1",
            "7 / a",
            "s + a",
            "s + b",
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
        ] {
            let native = run(src, rec.clone()).unwrap();
            let e = Expr::compile(&format!("{{ {src} }}"), &Sandbox::default(), &[]).unwrap();
            assert!(!e.is_native());
            let script = e.eval(&Scope::of(rec.as_object())).unwrap();
            assert!(
                values_equal(&native, &script),
                "{src}: native {native} vs rhai {script}"
            );
        }
    }

    #[test]
    fn missing_fields_read_as_unit_in_both() {
        let rec = json!({});
        assert_eq!(run("missing == ()", rec.clone()).unwrap(), json!(true));
        assert_eq!(run("{ blank(missing) }", rec).unwrap(), json!(true));
    }

    #[test]
    fn limits_stop_runaway_scripts() {
        let start = std::time::Instant::now();
        let e = run("{ let x = 0; loop { x += 1; } }", json!({})).unwrap_err();
        assert!(e.0.contains("operations"), "{e}");
        let e = run("{ let s = \"xx\"; loop { s += s; } }", json!({})).unwrap_err();
        assert!(e.0.contains("sandbox limit"), "{e}");
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn no_file_or_module_access() {
        assert!(
            Expr::compile("import \"x\" as y; 1", &Sandbox::default(), &[])
                .and_then(|e| e.eval(&Scope::of(None)).map_err(|e| e.0))
                .is_err()
        );
    }

    #[test]
    fn rounding_is_what_a_person_expects_of_money() {
        assert_eq!(
            run("round(1.15 * 0.10, 2)", json!({})).unwrap(),
            json!(0.12)
        );
        assert_eq!(run("round(0.125, 2)", json!({})).unwrap(), json!(0.13));
        assert_eq!(run("round(-2.5, 0)", json!({})).unwrap(), json!(-3.0));
        assert_eq!(
            run("round(249.5 * 0.15, 2)", json!({})).unwrap(),
            json!(37.43)
        );
    }

    #[test]
    fn type_errors_are_messages() {
        let e = run("s < 3", json!({"s": "x"})).unwrap_err();
        assert_eq!(e.0, "cannot compare text with integer using '<'");
        let e = run("t.name", json!({"t": null})).unwrap_err();
        assert!(e.0.contains("missing"));
    }
}

// reads(): interim, replaced by the expr rewrite
//
// What names an expression reads, for the static checks of `resolve`. The
// native AST carries no positions, so each read's offset is found by looking
// for its first name in the source text, left to right in the order the
// walk meets them (best effort: exact for the forms mappings use).

/// One step of a read path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A named field or variable.
    Name(String),
    /// A list item (`[n]`, or a closure parameter ranging over the list).
    Item,
}

/// `job.site.ref` is [Name(job), Name(site), Name(ref)]; `activities[0].team` and the closure
/// parameter `a` in `activities.all(|a| a.team)` are [Name(activities), Item, Name(team)]. Closure
/// parameters are resolved to the list they range over. `params.x` is [Name(params), Name(x)].
/// The path stops at the first step that is not a plain field or index (method call results are not
/// paths; `sor_code.sub_string(0, 3)` reads [Name(sor_code)]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// The path read.
    pub steps: Vec<Step>,
    /// Byte offset of the path's text in [`Expr::source`].
    pub offset: usize,
    /// Byte length of the path's text.
    pub len: usize,
}

impl Expr {
    /// Every path the expression reads, in source order. For a script, only
    /// its top-level names (one-step paths), minus the ones it binds itself.
    pub fn reads(&self) -> Vec<Read> {
        match &self.kind {
            Kind::Native(node) => {
                let mut w = ReadWalk {
                    src: &self.source,
                    cursor: 0,
                    out: Vec::new(),
                };
                w.node(node, &[]);
                w.out
            }
            Kind::Script { .. } => script_reads(&self.source),
        }
    }

    /// True when the expression runs in rhai rather than natively.
    pub fn is_script(&self) -> bool {
        !self.is_native()
    }
}

struct ReadWalk<'s> {
    src: &'s str,
    cursor: usize,
    out: Vec<Read>,
}

/// A closure parameter and the path of the list it ranges over (`None`: not a path).
type Binding<'b> = (&'b str, Option<Vec<Step>>);

impl ReadWalk<'_> {
    fn node(&mut self, n: &Node, binds: &[Binding]) {
        match n {
            Node::Var(_) | Node::Field(..) | Node::Index(..) => self.path(n, binds),
            Node::Lit(_) => {}
            Node::Not(a) | Node::Neg(a) => self.node(a, binds),
            Node::Binary(_, a, b) => {
                self.node(a, binds);
                self.node(b, binds);
            }
            Node::Call(_, args) | Node::Array(args) => {
                for a in args {
                    self.node(a, binds);
                }
            }
            Node::Map(entries) => {
                for (_, v) in entries {
                    self.node(v, binds);
                }
            }
            Node::Method(obj, _, args) => {
                self.node(obj, binds);
                let list = path_steps(obj, binds);
                for a in args {
                    match a {
                        Node::Lambda(param, body) => {
                            // Step over the parameter's own `|a|`.
                            self.find(param);
                            let mut inner = binds.to_vec();
                            inner.push((param, list.clone()));
                            self.node(body, &inner);
                        }
                        other => self.node(other, binds),
                    }
                }
            }
            Node::Lambda(param, body) => {
                self.find(param);
                let mut inner = binds.to_vec();
                inner.push((param, None));
                self.node(body, &inner);
            }
        }
    }

    /// A chain of fields and indexes: one read, then the reads of its
    /// index expressions, or of its base when the base is not a name.
    fn path(&mut self, n: &Node, binds: &[Binding]) {
        let mut base = n;
        let mut indexes = Vec::new();
        loop {
            match base {
                Node::Field(o, _) => base = o,
                Node::Index(o, i) => {
                    indexes.push(&**i);
                    base = o;
                }
                _ => break,
            }
        }
        match base {
            Node::Var(name) => {
                let at = self.find(name);
                let steps = path_steps(n, binds);
                if let (Some(steps), Some(at)) = (steps, at) {
                    self.out.push(Read {
                        steps,
                        offset: at,
                        len: chain_len(self.src, at),
                    });
                }
            }
            other => self.node(other, binds),
        }
        for i in indexes.into_iter().rev() {
            self.node(i, binds);
        }
    }

    /// The offset of the next whole-word `name` outside string literals.
    fn find(&mut self, name: &str) -> Option<usize> {
        let at = find_word(self.src, name, self.cursor).or_else(|| find_word(self.src, name, 0));
        if let Some(at) = at {
            self.cursor = at + name.len();
        }
        at
    }
}

/// The steps of a plain path node, closure parameters replaced by their list.
fn path_steps(n: &Node, binds: &[Binding]) -> Option<Vec<Step>> {
    match n {
        Node::Var(name) => match binds.iter().rev().find(|(p, _)| p == name) {
            Some((_, list)) => list.clone().map(|mut l| {
                l.push(Step::Item);
                l
            }),
            None => Some(vec![Step::Name(name.clone())]),
        },
        Node::Field(o, f) => path_steps(o, binds).map(|mut s| {
            s.push(Step::Name(f.clone()));
            s
        }),
        Node::Index(o, _) => path_steps(o, binds).map(|mut s| {
            s.push(Step::Item);
            s
        }),
        _ => None,
    }
}

/// Where `word` next stands alone (not part of a longer name, not after a
/// `.`, not inside a string literal), from byte `from` on.
fn find_word(src: &str, word: &str, from: usize) -> Option<usize> {
    let b = src.as_bytes();
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'`' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if is_name(c) {
            let s = i;
            while i < b.len() && is_name(b[i]) {
                i += 1;
            }
            let after_dot = s > 0 && b[s - 1] == b'.';
            if s >= from && &src[s..i] == word && !after_dot {
                return Some(s);
            }
            continue;
        }
        i += 1;
    }
    None
}

/// The length of the path text starting at `at`: the name, then `.name`,
/// `?.name` and `[...]` steps, stopping before a method call.
fn chain_len(src: &str, at: usize) -> usize {
    let b = src.as_bytes();
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = at;
    while i < b.len() && is_name(b[i]) {
        i += 1;
    }
    loop {
        let dot = if src[i..].starts_with("?.") {
            2
        } else if src[i..].starts_with('.') {
            1
        } else {
            0
        };
        if dot > 0 {
            let s = i + dot;
            let mut e = s;
            while e < b.len() && is_name(b[e]) {
                e += 1;
            }
            if e == s || src[e..].trim_start().starts_with('(') {
                return i - at;
            }
            i = e;
        } else if src[i..].starts_with('[') {
            let mut depth = 0;
            let mut e = i;
            while e < b.len() {
                match b[e] {
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                e += 1;
            }
            if e >= b.len() {
                return i - at;
            }
            i = e + 1;
        } else {
            return i - at;
        }
    }
}

/// A script's top-level names: like [`identifiers`], without the names the
/// script binds itself (`let x`, `const x`, `for x in`, closure `|x|`) and
/// map-literal keys (`#{mode: ...}`), each once, at its first use.
fn script_reads(src: &str) -> Vec<Read> {
    let bound = script_bindings(src);
    let mut out: Vec<Read> = Vec::new();
    for name in identifiers(src) {
        if bound.contains(&name) {
            continue;
        }
        let mut from = 0;
        while let Some(at) = find_word(src, &name, from) {
            from = at + name.len();
            let rest = src[from..].trim_start();
            let map_key = rest.starts_with(':') && !rest.starts_with("::");
            if !map_key {
                out.push(Read {
                    steps: vec![Step::Name(name.clone())],
                    offset: at,
                    len: name.len(),
                });
                break;
            }
        }
    }
    out.sort_by_key(|r| r.offset);
    out
}

/// Names a script declares: after `let`/`const`, between `for` and `in`,
/// and between the bars of a closure.
fn script_bindings(src: &str) -> BTreeSet<String> {
    let mut words: Vec<(usize, &str)> = Vec::new();
    let b = src.as_bytes();
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    let mut out = BTreeSet::new();
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'`' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if is_name(c) {
            let s = i;
            while i < b.len() && is_name(b[i]) {
                i += 1;
            }
            words.push((s, &src[s..i]));
            continue;
        }
        if c == b'|' && i + 1 < b.len() && b[i + 1] != b'|' {
            let before = src[..i].trim_end();
            if before.is_empty() || before.ends_with(['(', ',', '=']) {
                if let Some(end) = src[i + 1..].find('|') {
                    for p in src[i + 1..i + 1 + end].split(',') {
                        out.insert(p.trim().to_string());
                    }
                    i += end + 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    let mut in_for = false;
    for (k, (_, w)) in words.iter().enumerate() {
        match *w {
            "let" | "const" => {
                if let Some((_, n)) = words.get(k + 1) {
                    out.insert(n.to_string());
                }
            }
            "for" => in_for = true,
            "in" => in_for = false,
            other if in_for => {
                out.insert(other.to_string());
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod reads_tests {
    use super::*;

    fn reads(src: &str) -> Vec<(Vec<Step>, usize, usize)> {
        let e = Expr::compile(src, &Sandbox::default(), &["lookup", "table"]).unwrap();
        e.reads()
            .into_iter()
            .map(|r| (r.steps, r.offset, r.len))
            .collect()
    }

    fn n(s: &str) -> Step {
        Step::Name(s.to_string())
    }

    #[test]
    fn paths_closures_and_methods() {
        assert_eq!(
            reads("job.site.ref"),
            vec![(vec![n("job"), n("site"), n("ref")], 0, 12)]
        );
        assert_eq!(
            reads("activities.all(|a| a.team == ())"),
            vec![
                (vec![n("activities")], 0, 10),
                (vec![n("activities"), Step::Item, n("team")], 19, 6)
            ]
        );
        assert_eq!(
            reads("\"!\" + sor_code.sub_string(0, 3)"),
            vec![(vec![n("sor_code")], 6, 8)]
        );
        assert_eq!(
            reads("activities[0].team.name"),
            vec![(
                vec![n("activities"), Step::Item, n("team"), n("name")],
                0,
                23
            )]
        );
        assert_eq!(
            reads("params.x + \"params\""),
            vec![(vec![n("params"), n("x")], 0, 8)]
        );
    }

    #[test]
    fn scripts_read_top_level_names_they_do_not_bind() {
        let e = Expr::compile(
            "let s = \"\"; for p in params.list.split(\",\") { if p == change?.status { s = p; } } s",
            &Sandbox::default(),
            &[],
        )
        .unwrap();
        assert!(e.is_script());
        let names: Vec<Vec<Step>> = e.reads().into_iter().map(|r| r.steps).collect();
        assert_eq!(names, vec![vec![n("params")], vec![n("change")]]);
    }
}
