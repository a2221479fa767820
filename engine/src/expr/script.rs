//! `script:` expressions: rhai, compiled once, run in a sandbox with every
//! limit set. Scripts see the same functions as the language (`blank`,
//! `round`, `add_days`, `join_nonblank`, and the mapping's or schema's
//! `lookup`/`has_lookup`/`table`), compute in decimal (rhai's `decimal`
//! and `no_float` features: `0.1 + 0.2 == 0.3`), and stop deterministically
//! on operations, string, array and map sizes; the unit's deadline is the
//! last net, through rhai's progress callback.

use std::fmt;
use std::sync::Arc;

use crate::value::{Map, Value};
use rhai::{Dynamic, EvalAltResult, ImmutableString, Module, INT};
use rust_decimal::Decimal;

use super::budget::past_deadline;
use super::num::{decimal_value, num, Num};
use super::{
    add_days, is_blank, round_to, to_text, CompileError, EvalError, EvalErrorKind as K,
    ExternalCalls, Read, Scope, Step,
};

type RhaiResult<T> = std::result::Result<T, Box<EvalAltResult>>;

#[path = "script_work.rs"]
mod text_work;

/// Limits for scripts, so a bad mapping can neither hang nor exhaust
/// memory. rhai's operation count does not weigh string work (one
/// `contains` on a megabyte is one operation), so the string size is kept
/// small too: together they bound the work.
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
            max_operations: 100_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
        }
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
        // Registered after the standard package, so searched before it: our
        // `round` (half away from zero) wins over rhai's (half to even).
        engine.register_global_module(shared_functions(calls).into());
        // Also after the standard package: text methods that pay by size.
        engine.register_global_module(text_work::methods(limits.max_operations).into());
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
        let max_operations = limits.max_operations;
        engine.on_progress(move |ops| {
            if let Some(out) = text_work::over(ops, max_operations) {
                return Some(out);
            }
            if ops % super::CLOCK_EVERY == 0 {
                past_deadline().map(Dynamic::from)
            } else {
                None
            }
        });
        // No optimiser: its folding changes meaning (`n && true` becomes `n`,
        // a number, where evaluation would be a type error).
        engine.set_optimization_level(rhai::OptimizationLevel::None);
        // Without this, rhai answers `"x" < 3` with its built-in `false`
        // before our type-error overloads are looked at.
        engine.set_fast_operators(false);
        Sandbox {
            engine: Arc::new(engine),
            limits,
        }
    }
}

fn value_err(e: EvalError) -> Box<EvalAltResult> {
    let tag = match e.kind {
        K::Type => "type error: ",
        _ => "",
    };
    format!("{tag}{}", e.message).into()
}

/// The language's functions, for scripts: the same code answers in both.
fn shared_functions(calls: Option<Arc<dyn ExternalCalls + Send + Sync>>) -> Module {
    let mut m = Module::new();
    let round = |v: Dynamic, places: INT| -> RhaiResult<Dynamic> {
        let r = round_to(&to_value(&v), &Value::from(places)).map_err(value_err)?;
        Ok(to_dynamic(&r))
    };
    m.set_native_fn("round", round);
    m.set_native_fn("round", move |v: Decimal, p: INT| {
        round(Dynamic::from_decimal(v), p)
    });
    m.set_native_fn("round", move |v: INT, p: INT| {
        round(Dynamic::from_int(v), p)
    });
    m.set_native_fn("add_days", |d: Dynamic, n: INT| -> RhaiResult<Dynamic> {
        let r = add_days(&to_value(&d), &Value::from(n)).map_err(value_err)?;
        Ok(to_dynamic(&r))
    });
    m.set_native_fn("blank", |v: Dynamic| -> RhaiResult<bool> {
        Ok(is_blank(&to_value(&v)))
    });
    m.set_native_fn(
        "join_nonblank",
        |a: rhai::Array, sep: ImmutableString| -> RhaiResult<ImmutableString> {
            let items: Vec<String> = a
                .iter()
                .map(to_value)
                .filter(|v| !is_blank(v))
                .map(|v| to_text(&v).into_owned())
                .collect();
            Ok(items.join(sep.as_str()).into())
        },
    );
    // Text against a number has no order: an error, as in the language
    // (rhai's own answer would be `false`).
    for op in ["<", "<=", ">", ">="] {
        m.set_native_fn(op, |a: ImmutableString, b: INT| -> RhaiResult<bool> {
            type_error(&a, b)
        });
        m.set_native_fn(op, |a: INT, b: ImmutableString| -> RhaiResult<bool> {
            type_error(a, &b)
        });
        m.set_native_fn(op, |a: ImmutableString, b: Decimal| -> RhaiResult<bool> {
            type_error(&a, b)
        });
        m.set_native_fn(op, |a: Decimal, b: ImmutableString| -> RhaiResult<bool> {
            type_error(a, &b)
        });
    }
    if let Some(calls) = calls {
        for name in ["lookup", "has_lookup", "table"] {
            let calls = calls.clone();
            m.set_native_fn(name, move |a: Dynamic, b: Dynamic| -> RhaiResult<Dynamic> {
                match calls.call(name, &[to_value(&a), to_value(&b)]) {
                    Some(Ok(v)) => Ok(to_dynamic(&v)),
                    Some(Err(e)) => Err(value_err(e)),
                    None => Err(format!("no function {name}()").into()),
                }
            });
        }
    }
    m
}

fn type_error(a: impl fmt::Debug, b: impl fmt::Debug) -> RhaiResult<bool> {
    Err(format!("type error: cannot compare {a:?} with {b:?}").into())
}

/// A compiled script.
#[derive(Clone)]
pub(crate) struct Script {
    ast: Arc<rhai::AST>,
    sandbox: Sandbox,
    /// Top-level names it may read, with the byte offset of the first use.
    idents: Vec<(String, usize)>,
    /// Names it binds itself (let, for, closure parameters).
    bound: Vec<String>,
    /// The text as written.
    source: String,
}

impl Script {
    pub(crate) fn compile(source: &str, sandbox: &Sandbox) -> Result<Script, CompileError> {
        let ast = sandbox.engine.compile(source).map_err(|e| {
            let offset = byte_offset(source, e.position());
            CompileError::new(
                "script-syntax",
                offset,
                0,
                format!("the script does not compile: {}", e.err_type()),
            )
        })?;
        Ok(Script {
            ast: Arc::new(ast),
            sandbox: sandbox.clone(),
            idents: identifiers(source),
            bound: bound_names(source),
            source: source.to_string(),
        })
    }

    pub(crate) fn reads(&self) -> Vec<Read> {
        let mut out: Vec<Read> = self
            .idents
            .iter()
            .filter(|(name, _)| !self.bound.contains(name))
            .map(|(name, at)| Read {
                steps: vec![Step::Name(name.clone())],
                offset: *at,
                len: name.len(),
            })
            .collect();
        // `params.x` names a declared param in a script too: it is the one
        // path below a top-level name that the checker can follow there.
        if !self.bound.iter().any(|b| b == "params") {
            out.extend(params_reads(&self.source));
        }
        out
    }

    pub(crate) fn run(&self, scope: &Scope) -> Result<Value, EvalError> {
        let mut rscope = rhai::Scope::new();
        for (name, _) in &self.idents {
            let v = scope.get(name).unwrap_or(&Value::Null);
            within_limits(name, v, &self.sandbox.limits)?;
            // `push`, not `push_constant`: a constant would let the optimiser
            // bake in the first record's value.
            rscope.push_dynamic(name.clone(), to_dynamic(v));
        }
        text_work::start();
        let out: Dynamic = self
            .sandbox
            .engine
            .eval_ast_with_scope(&mut rscope, &self.ast)
            .map_err(|e| describe(&e, &self.sandbox.limits))?;
        Ok(to_value(&out))
    }
}

fn byte_offset(src: &str, pos: rhai::Position) -> usize {
    let (Some(line), col) = (pos.line(), pos.position().unwrap_or(1)) else {
        return 0;
    };
    let start: usize = src.split_inclusive('\n').take(line - 1).map(str::len).sum();
    let rest = &src[start.min(src.len())..];
    start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map(|(i, _)| i)
            .unwrap_or(rest.len())
}

/// A value handed to a script must be within the limits the script's own
/// values are held to: rhai checks only what a script builds, so a 1 MB
/// record text would go in and every scan of it would escape the limit.
fn within_limits(name: &str, v: &Value, l: &Limits) -> Result<(), EvalError> {
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        let over = match x {
            Value::String(t) => {
                l.max_string_size > 0
                    && t.len() > l.max_string_size
                    && t.chars().count() > l.max_string_size
            }
            Value::Array(a) => {
                stack.extend(a.iter());
                l.max_array_size > 0 && a.len() > l.max_array_size
            }
            Value::Object(m) => {
                stack.extend(m.values());
                l.max_map_size > 0 && m.len() > l.max_map_size
            }
            _ => false,
        };
        if over {
            return Err(EvalError::new(
                K::Budget { limit: "script data size" },
                format!(
                    "the value of '{name}' is past the budget limit 'script data size' (text {} characters, arrays {} items, maps {} entries)",
                    l.max_string_size, l.max_array_size, l.max_map_size
                ),
            ));
        }
    }
    Ok(())
}

/// A JSON value as rhai's: numbers with a fraction become decimals.
pub(crate) fn to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(_) => match num(v) {
            Some(Ok(Num::I(i))) => Dynamic::from_int(i),
            Some(Ok(Num::D(d))) => Dynamic::from_decimal(d),
            _ => Dynamic::UNIT,
        },
        Value::String(s) => Dynamic::from(s.clone()),
        Value::Array(a) => Dynamic::from_array(a.iter().map(to_dynamic).collect()),
        Value::Object(m) => Dynamic::from_map(
            m.iter()
                .map(|(k, v)| (k.as_str().into(), to_dynamic(v)))
                .collect(),
        ),
    }
}

/// A rhai value as JSON: a decimal becomes the f64 nearest its text.
pub(crate) fn to_value(d: &Dynamic) -> Value {
    if d.is_unit() {
        return Value::Null;
    }
    if let Ok(b) = d.as_bool() {
        return Value::Bool(b);
    }
    if let Ok(i) = d.as_int() {
        return Value::from(i);
    }
    if let Ok(x) = d.as_decimal() {
        return decimal_value(x).unwrap_or(Value::Null);
    }
    if let Ok(s) = d.as_immutable_string_ref() {
        return Value::String(s.to_string());
    }
    if let Ok(c) = d.as_char() {
        return Value::String(c.to_string());
    }
    if d.is_array() {
        if let Some(a) = d.read_lock::<rhai::Array>() {
            return Value::Array(a.iter().map(to_value).collect());
        }
    }
    if d.is_map() {
        if let Some(m) = d.read_lock::<rhai::Map>() {
            return Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), to_value(v)))
                    .collect::<Map>(),
            );
        }
    }
    Value::String(d.to_string())
}

/// A rhai error as the language's class of error.
fn describe(e: &EvalAltResult, l: &Limits) -> EvalError {
    use EvalAltResult as E;
    match e {
        E::ErrorTooManyOperations(_) => EvalError::new(
            K::Budget { limit: "script operations" },
            format!("stopped after {} operations (the budget limit 'script operations')", l.max_operations),
        ),
        E::ErrorDataTooLarge(what, _) => EvalError::new(
            K::Budget { limit: "script data size" },
            format!(
                "{what} grew past the budget limit 'script data size' (text {} characters, arrays {} items, maps {} entries)",
                l.max_string_size, l.max_array_size, l.max_map_size
            ),
        ),
        E::ErrorStackOverflow(_) => EvalError::new(
            K::Budget { limit: "script call depth" },
            format!("calls nested deeper than {} (the budget limit 'script call depth')", l.max_call_levels),
        ),
        E::ErrorTerminated(token, _) if text_work::is_spent(token) => EvalError::new(
            K::Budget { limit: "script operations" },
            format!("stopped after {} operations (the budget limit 'script operations')", l.max_operations),
        ),
        E::ErrorTerminated(ms, _) => EvalError::new(
            K::Time,
            format!("stopped after {ms} ms (the time limit 'time_ms', a safety net)"),
        ),
        E::ErrorInFunctionCall(_, _, inner, _) => describe(inner, l),
        E::ErrorArithmetic(msg, _) => {
            let kind = if msg.to_lowercase().contains("zero") {
                K::DivisionByZero
            } else {
                K::Overflow
            };
            EvalError::new(kind, msg.clone())
        }
        E::ErrorFunctionNotFound(..)
        | E::ErrorMismatchDataType(..)
        | E::ErrorMismatchOutputType(..)
        | E::ErrorIndexingType(..)
        | E::ErrorFor(..) => EvalError::new(K::Type, e.to_string()),
        E::ErrorDotExpr(..) | E::ErrorPropertyNotFound(..) => {
            EvalError::new(K::MissingField, e.to_string())
        }
        E::ErrorArrayBounds(..) | E::ErrorStringBounds(..) => EvalError::new(K::Index, e.to_string()),
        E::ErrorRuntime(d, _) => {
            let text = d.to_string();
            let kind = if text.starts_with("type error") { K::Type } else { K::Script };
            EvalError::new(kind, text)
        }
        other => EvalError::new(K::Script, other.to_string()),
    }
}

const KEYWORDS: [&str; 21] = [
    "let", "const", "if", "else", "loop", "while", "for", "do", "until", "fn", "return", "switch",
    "import", "export", "break", "continue", "throw", "true", "false", "this", "in",
];

/// The parameters of the `fn` whose name is `name` (a word and its byte
/// offset): the names between the parentheses after it.
fn fn_parameters(src: &str, name: Option<&(usize, &str)>) -> Vec<String> {
    let Some((at, name)) = name else {
        return Vec::new();
    };
    let after = src[at + name.len()..].trim_start();
    let Some(list) = after.strip_prefix('(').and_then(|l| l.split(')').next()) else {
        return Vec::new();
    };
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The names a script may read as variables: every identifier that is not a
/// keyword, a property (`.name`) or a call (`name(`). Each is put in the rhai
/// scope, as `()` when the record lacks it, so a blank field reads as `()`
/// instead of failing with "variable not found".
/// Every `params.NAME` in a script (outside string literals), as a read of
/// [params, NAME].
fn params_reads(src: &str) -> Vec<Read> {
    let mut out = Vec::new();
    let mut in_string: Option<char> = None;
    let mut chars = src.char_indices();
    while let Some((i, c)) = chars.next() {
        match in_string {
            Some(_) if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => in_string = None,
            Some(_) => {}
            None if c == '"' || c == '\'' || c == '`' => in_string = Some(c),
            None => {
                let rest = &src[i..];
                let after_word =
                    src[..i].ends_with(|p: char| p.is_ascii_alphanumeric() || p == '_' || p == '.');
                if rest.starts_with("params.") && !after_word {
                    let name: String = rest["params.".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push(Read {
                            steps: vec![Step::Name("params".into()), Step::Name(name.clone())],
                            offset: i,
                            len: "params.".len() + name.len(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Names a script binds itself (`let x`, `const x`, `for x in`, `for (x, i)
/// in`, closure parameters `|a, b|`, function parameters `fn f(a, b)`):
/// they are not reads of the record.
fn bound_names(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Words between separators; the separator's own length moves `start`
    // past it, so a multi-byte character (`"£"`) never splits a slice.
    let words: Vec<(usize, &str)> = src
        .match_indices(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .fold((0, Vec::new()), |(start, mut v), (i, sep)| {
            if i > start {
                v.push((start, &src[start..i]));
            }
            (i + sep.len(), v)
        })
        .1;
    for (k, (_, w)) in words.iter().enumerate() {
        if *w == "fn" {
            out.extend(fn_parameters(src, words.get(k + 1)));
        }
        if matches!(*w, "let" | "const" | "for") {
            if let Some((_, name)) = words.get(k + 1) {
                out.push(name.to_string());
            }
            if *w == "for" {
                // `for (x, i) in`: the second name too.
                if let Some((_, name)) = words.get(k + 2).filter(|(_, n)| *n != "in") {
                    out.push(name.to_string());
                }
            }
        }
    }
    // Closure parameters: `|a|`, `|acc, x|`.
    let mut rest = src;
    while let Some(open) = rest.find('|') {
        let after = &rest[open + 1..];
        match after.find('|') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ',' || c == ' ') =>
            {
                out.extend(
                    after[..close]
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_string),
                );
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn identifiers(src: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
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
            let after = src[i..].trim_start();
            let next = after.chars().next();
            // `#{key: ..}`: a map literal's key is a name it gives, not a read.
            let map_key = after.starts_with(':') && !after.starts_with("::");
            if prev != b'.'
                && next != Some('(')
                && !map_key
                && !KEYWORDS.contains(&word)
                && !out.iter().any(|(w, _)| w == word)
            {
                out.push((word.to_string(), s));
            }
            prev = b'a';
            continue;
        }
        if !c.is_ascii_whitespace() {
            prev = c;
        }
        i += 1;
    }
    out
}
