//! Templates with budgets: every minijinja environment the engine renders
//! with (mapping templates, skip reasons, rule and schema messages) has fuel
//! (a count of template instructions) and a cap on output size, and the
//! filters that build a string larger than their input (`indent`, `replace`,
//! `join`, `format`) check the cap before they build it. A render that trips
//! a limit stops with [`TemplateError::Budget`] naming the limit: the unit is
//! rejected with rule `budget`, and the batch goes on.
//!
//! Both limits count work, not time, so the same record trips the same limit
//! on any machine.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};

use minijinja::value::{Kwargs, Rest, StringInput, Value};
use minijinja::{Environment, Error, ErrorKind, State};

mod bounds;

/// The rule id of a reject whose template ran out of budget (shared with
/// the expression language's budget).
pub const BUDGET_RULE: &str = "budget";

/// How much one render may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemplateLimits {
    /// Template instructions per render (minijinja's fuel).
    pub fuel: u64,
    /// Bytes of output per render, and of any string a filter builds.
    pub max_output: usize,
}

impl Default for TemplateLimits {
    fn default() -> TemplateLimits {
        TemplateLimits {
            fuel: 100_000,
            max_output: 1 << 20,
        }
    }
}

/// Why a render failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// A limit tripped; the message names it.
    Budget(String),
    /// Anything else minijinja reports (an undefined variable, a bad filter argument).
    Render(String),
}

impl TemplateError {
    /// The rule id a reject carries for this error, if it is not the field's own.
    pub fn rule(&self) -> Option<&'static str> {
        matches!(self, TemplateError::Budget(_)).then_some(BUDGET_RULE)
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Budget(m) => write!(f, "template stopped: {m}"),
            TemplateError::Render(m) => f.write_str(m),
        }
    }
}

/// The most bytes a template's source may have. minijinja's parser and
/// compiler recurse over an expression's operators, so a long enough chain
/// (`{{ s ~ s ~ ... }}`, 30,000 `|upper`) overflows the stack; the largest
/// shipped template is under 1 KiB.
pub const MAX_TEMPLATE_SOURCE: usize = 8 * 1024;

/// The most operators, filters, attribute steps and calls one `{{ }}` or
/// `{% %}` tag may chain (each is a level of minijinja's syntax tree).
pub const MAX_TAG_OPERATORS: usize = 256;

/// Why a template was refused at load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The source is longer than [`MAX_TEMPLATE_SOURCE`].
    TooLong(usize),
    /// A tag chains more than [`MAX_TAG_OPERATORS`] operators.
    TooManyOperators(usize),
    /// It could build a value past its limits (see [`bounds`]).
    Unbounded(String),
    /// minijinja does not compile it.
    Compile(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::TooLong(n) => write!(
                f,
                "it is {n} bytes, over the template limit of {MAX_TEMPLATE_SOURCE} bytes"
            ),
            LoadError::TooManyOperators(n) => write!(
                f,
                "one tag chains {n} operators and filters, over the limit of {MAX_TAG_OPERATORS}"
            ),
            LoadError::Unbounded(why) => f.write_str(why),
            LoadError::Compile(m) => f.write_str(m),
        }
    }
}

/// A minijinja environment and the limits it renders with.
pub struct Templates {
    env: Environment<'static>,
    limits: TemplateLimits,
    /// The top-level names each template reads, found once at load, so a
    /// render converts only those values (not a whole unit per message);
    /// `None` when it cannot be told (an `include` reads the caller's scope).
    reads: HashMap<String, Option<Vec<String>>>,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Templates")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// An environment for plain text (no HTML escaping) with `limits`.
    pub fn new(limits: TemplateLimits) -> Templates {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        let mut t = Templates {
            env,
            limits,
            reads: HashMap::new(),
        };
        t.set_limits(limits);
        t
    }

    /// The limits in force.
    pub fn limits(&self) -> TemplateLimits {
        self.limits
    }

    /// Change the limits (a mapping's `limits:`); templates already added stay.
    pub fn set_limits(&mut self, limits: TemplateLimits) {
        self.limits = limits;
        self.env.set_fuel(Some(limits.fuel));
        let max = limits.max_output;
        self.env.add_filter("indent", capped_indent(max));
        self.env.add_filter("replace", capped_replace(max));
        self.env.add_filter("join", capped_join(max));
        self.env.add_filter("format", capped_format(max));
    }

    /// Check `source` against the size limits, compile it as `name` and
    /// note the names it reads. Always use this, not minijinja's own
    /// `add_template_owned`, which would overflow the stack on a long chain.
    pub fn add(&mut self, name: String, source: String) -> Result<(), LoadError> {
        check_source(&source)?;
        let reads = top_level_reads(&source);
        self.env
            .add_template_owned(name.clone(), source)
            .map_err(|e| LoadError::Compile(e.to_string()))?;
        let reads = reads.then(|| {
            let mut names: Vec<String> = self
                .env
                .get_template(&name)
                .map(|t| t.undeclared_variables(false).into_iter().collect())
                .unwrap_or_default();
            names.sort();
            names
        });
        self.reads.insert(name, reads);
        Ok(())
    }

    /// The text of template `name` as written (a sign-off document shows
    /// a rule's message).
    pub fn source(&self, name: &str) -> Option<String> {
        self.env
            .get_template(name)
            .ok()
            .map(|t| t.source().to_string())
    }

    /// The top-level names template `name` reads, or `None` if it may read
    /// any (the caller then gives it the whole scope).
    pub fn reads(&self, name: &str) -> Option<&[String]> {
        self.reads.get(name).and_then(|r| r.as_deref())
    }

    /// Render the template called `name` over `ctx`, within the limits.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, TemplateError> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| TemplateError::Render(e.to_string()))?;
        let mut out = Capped {
            buf: Vec::new(),
            max: self.limits.max_output,
            tripped: false,
        };
        let result = tmpl.render_captured_to(ctx, &mut out).map(|_| ());
        if out.tripped {
            return Err(TemplateError::Budget(format!(
                "output limit {} bytes reached",
                self.limits.max_output
            )));
        }
        match result {
            Ok(()) => Ok(String::from_utf8(out.buf).unwrap_or_default()),
            Err(e) => Err(classify(&e, &self.limits)),
        }
    }
}

impl Deref for Templates {
    type Target = Environment<'static>;
    fn deref(&self) -> &Environment<'static> {
        &self.env
    }
}

impl DerefMut for Templates {
    fn deref_mut(&mut self) -> &mut Environment<'static> {
        &mut self.env
    }
}

/// Refuse a source minijinja could not parse without overflowing the stack
/// (anything that hands a template to minijinja checks this first).
pub fn check_source(source: &str) -> Result<(), LoadError> {
    if source.len() > MAX_TEMPLATE_SOURCE {
        return Err(LoadError::TooLong(source.len()));
    }
    let most = tags(source).map(operators).max().unwrap_or(0);
    if most > MAX_TAG_OPERATORS {
        return Err(LoadError::TooManyOperators(most));
    }
    if let Some(why) = bounds::unbounded(source) {
        return Err(LoadError::Unbounded(why));
    }
    Ok(())
}

/// Whether the names a template reads can be told from its own source:
/// not when it includes or imports another, which reads the same scope.
fn top_level_reads(source: &str) -> bool {
    !tags(source).any(|t| {
        let word = t.trim_start_matches(['%', '-', '+']).trim_start();
        ["include", "import", "from", "extends"]
            .iter()
            .any(|k| word.starts_with(k))
    })
}

/// The inside of each `{{ }}` and `{% %}` tag (comments skipped), with
/// string literals kept whole so a `}}` inside one does not end the tag.
fn tags(source: &str) -> impl Iterator<Item = &str> {
    let mut rest = source;
    std::iter::from_fn(move || loop {
        let start = rest.find(['{'])?;
        let after = &rest[start + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => {
                rest = after.find("#}").map_or("", |e| &after[e + 2..]);
                continue;
            }
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        let end = tag_end(body, close);
        rest = body.get(end + close.len()..).unwrap_or("");
        return Some(&body[..end]);
    })
}

/// Where `close` ends a tag body, outside string literals (or the end).
fn tag_end(body: &str, close: &str) -> usize {
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut quote = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if bytes[i..].starts_with(close.as_bytes()) => return i,
            None => {}
        }
        i += 1;
    }
    body.len()
}

/// Operators, filters, attribute steps, calls and logic words in a tag
/// (string literals skipped): each nests the syntax tree one level.
fn operators(tag: &str) -> usize {
    let mut n = 0;
    let mut quote = None;
    let mut escaped = false;
    let mut word = String::new();
    for c in tag.chars() {
        if let Some(q) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        n += usize::from(matches!(word.as_str(), "and" | "or" | "not" | "is" | "in"));
        word.clear();
        match c {
            '"' | '\'' => quote = Some(c),
            '~' | '+' | '-' | '*' | '/' | '%' | '|' | '<' | '>' | '=' | '!' | '.' | '[' | '(' => {
                n += 1
            }
            _ => {}
        }
    }
    n + usize::from(matches!(word.as_str(), "and" | "or" | "not" | "is" | "in"))
}

/// minijinja's error as ours: out of fuel and our filters' caps are budgets.
fn classify(e: &Error, limits: &TemplateLimits) -> TemplateError {
    if e.kind() == ErrorKind::OutOfFuel {
        return TemplateError::Budget(format!("fuel limit {} reached", limits.fuel));
    }
    match e.detail().and_then(|d| d.strip_prefix(BUDGET_MARK)) {
        Some(rest) => TemplateError::Budget(rest.to_string()),
        None => TemplateError::Render(e.to_string()),
    }
}

/// Marks a filter's error as a budget (minijinja errors carry text only).
const BUDGET_MARK: &str = "budget: ";

fn over_cap(what: &str, size: usize, max: usize) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{BUDGET_MARK}{what} could build {size} bytes, over the output limit {max} bytes"),
    )
}

fn check_size(what: &str, size: usize, max: usize) -> Result<(), Error> {
    if size > max {
        Err(over_cap(what, size, max))
    } else {
        Ok(())
    }
}

/// A writer that keeps at most `max` bytes and then refuses.
struct Capped {
    buf: Vec<u8>,
    max: usize,
    tripped: bool,
}

impl io::Write for Capped {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.buf.len() + b.len() > self.max {
            self.tripped = true;
            return Err(io::Error::other("output limit reached"));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Filtered = Result<Value, Error>;

/// `indent` builds `width` spaces for every line before writing anything.
fn capped_indent(
    max: usize,
) -> impl Fn(StringInput<'_>, Option<usize>, Option<bool>, Option<bool>, Kwargs) -> Filtered
       + Send
       + Sync
       + 'static {
    move |value, width, first, blank, kwargs| {
        let w = match width {
            Some(w) => w,
            None => kwargs.peek::<Option<usize>>("width")?.unwrap_or(4),
        };
        let lines = value.as_str().matches('\n').count() + 1;
        let size = w
            .checked_mul(lines)
            .and_then(|n| n.checked_add(value.as_str().len()))
            .unwrap_or(usize::MAX);
        check_size("indent", size, max)?;
        minijinja::filters::indent(value, width, first, blank, kwargs)
    }
}

/// `replace` multiplies the text by the replacement's length.
fn capped_replace(
    max: usize,
) -> impl Fn(&mut State, StringInput<'_>, StringInput<'_>, StringInput<'_>) -> Filtered
       + Send
       + Sync
       + 'static {
    move |state, value, from, to| {
        let hits = value.as_str().matches(from.as_str()).count();
        let size = hits
            .checked_mul(to.as_str().len())
            .and_then(|n| n.checked_add(value.as_str().len()))
            .unwrap_or(usize::MAX);
        check_size("replace", size, max)?;
        minijinja::filters::replace(state, value, from, to)
    }
}

/// `join` repeats its joiner once per item.
fn capped_join(
    max: usize,
) -> impl Fn(&mut State, &Value, Option<StringInput<'_>>, Option<&str>, Kwargs) -> Filtered
       + Send
       + Sync
       + 'static {
    move |state, value, joiner, attribute, kwargs| {
        let items = value.len().unwrap_or(0);
        let sep = joiner.as_ref().map(|j| j.as_str().len()).unwrap_or(0);
        check_size("join", items.saturating_sub(1).saturating_mul(sep), max)?;
        let out = minijinja::filters::join(state, value, joiner, attribute, kwargs)?;
        check_size("join", out.as_str().map(str::len).unwrap_or(0), max)?;
        Ok(out)
    }
}

/// `format` pads to any width it is given (`%1000000000s`).
fn capped_format(
    max: usize,
) -> impl Fn(&mut State, &Value, Rest<minijinja::value::ValueOrKwargs>) -> Filtered + Send + Sync + 'static
{
    move |state, format_str, args| {
        let widest = format_str.as_str().map(widest_number).unwrap_or(0);
        check_size("format", widest, max)?;
        let out = minijinja::filters::format(state, format_str, args)?;
        check_size("format", out.as_str().map(str::len).unwrap_or(0), max)?;
        Ok(out)
    }
}

/// The largest run of digits in `s` (a printf width or precision), saturating.
fn widest_number(s: &str) -> usize {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<usize>().unwrap_or(usize::MAX))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, limits: TemplateLimits) -> Result<String, TemplateError> {
        let mut t = Templates::new(limits);
        t.add_template_owned("t".to_string(), source.to_string())
            .unwrap();
        t.render("t", Value::from(()))
    }

    #[test]
    fn nested_ranges_run_out_of_fuel() {
        let bomb =
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}";
        let limits = TemplateLimits {
            fuel: 50_000,
            max_output: usize::MAX,
        };
        assert_eq!(
            render(bomb, limits),
            Err(TemplateError::Budget("fuel limit 50000 reached".into()))
        );
    }

    #[test]
    fn big_indent_is_refused_before_it_is_built() {
        let e = render(
            r#"{{ "x" | indent(1000000000, true) }}"#,
            TemplateLimits::default(),
        );
        assert_eq!(
            e,
            Err(TemplateError::Budget(
                "indent could build 1000000001 bytes, over the output limit 1048576 bytes".into()
            ))
        );
    }

    #[test]
    fn output_stops_at_the_cap() {
        let limits = TemplateLimits {
            fuel: 1_000_000,
            max_output: 100,
        };
        assert_eq!(
            render("{% for a in range(1000) %}xy{% endfor %}", limits),
            Err(TemplateError::Budget(
                "output limit 100 bytes reached".into()
            ))
        );
        assert_eq!(
            render("{% for a in range(50) %}xy{% endfor %}", limits).map(|s| s.len()),
            Ok(100)
        );
    }

    #[test]
    fn amplifying_filters_are_capped() {
        let limits = TemplateLimits {
            fuel: 1_000_000,
            max_output: 1000,
        };
        for (t, what) in [
            (r#"{{ "aaaa" | replace("a", "x" * 500) }}"#, "replace"),
            (r#"{{ range(100) | join("y" * 100) }}"#, "join"),
            (r#"{{ "%5000s" | format("x") }}"#, "format"),
        ] {
            match render(t, limits) {
                Err(TemplateError::Budget(m)) => assert!(m.starts_with(what), "{t}: {m}"),
                other => panic!("{t}: {other:?}"),
            }
        }
        // Within the cap they work as minijinja's own.
        assert_eq!(
            render(r#"{{ "a\nb" | indent(2) }}"#, limits).unwrap(),
            "a\n  b"
        );
        assert_eq!(
            render(r#"{{ [1, 2] | join("-") }}"#, limits).unwrap(),
            "1-2"
        );
        assert_eq!(
            render(r#"{{ "%3s" | format("x") }}"#, limits).unwrap(),
            "  x"
        );
        assert_eq!(
            render(r#"{{ "ab" | replace("a", "c") }}"#, limits).unwrap(),
            "cb"
        );
    }
}
