//! Build: a target record from compiled field specs.
//!
//! Each target field has a spec compiled once at load: a constant, an
//! expression, a JSONPath, a template, a lookup, a decision table, a nested
//! record or a list built `for_each` item of the source. Modifiers apply in
//! this order: `when` (false leaves the field out), the value, `default` (when
//! the value is blank), `round`, `format` (dates), `truncate`. Every field is
//! built even after one fails, so a rejection lists every problem.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::value::{Map, Value};

use crate::check::Path as CheckPath;
use crate::datefmt::{DatePattern, DateTime};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::expr::{is_blank, to_text, EvalError, Expr, ExternalCalls, Sandbox, Scope};
use crate::file_format as ff;
use crate::lookup::Lookup;
use crate::table::Table;
use crate::template::{TemplateError, Templates};
use crate::yaml::{span, Fields, Node, Value as Y};

/// Lookups and tables of a mapping: what `lookup()`, `has_lookup()` and
/// `table()` answer from.
#[derive(Debug, Default)]
pub struct Data {
    /// Lookups by name.
    pub lookups: Vec<Lookup>,
    /// Decision tables by name.
    pub tables: Vec<Table>,
}

impl Data {
    /// The lookup called `name`.
    pub fn lookup(&self, name: &str) -> Option<&Lookup> {
        self.lookups.iter().find(|l| l.name == name)
    }
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl ExternalCalls for Data {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, EvalError>> {
        let (Some(Value::String(which)), Some(arg)) = (args.first(), args.get(1)) else {
            return matches!(name, "lookup" | "has_lookup" | "table")
                .then(|| Err(EvalError::call(format!("{name}() takes a name and a key"))));
        };
        Some(match name {
            "lookup" => match self.lookup(which) {
                Some(l) => Ok(l.get(arg).cloned().unwrap_or(Value::Null)),
                None => Err(EvalError::call(format!("no lookup '{which}'"))),
            },
            "has_lookup" => match self.lookup(which) {
                Some(l) => Ok(Value::Bool(l.contains(arg))),
                None => Err(EvalError::call(format!("no lookup '{which}'"))),
            },
            "table" => match self.table(which) {
                Some(t) => t.call(arg),
                None => Err(EvalError::call(format!("no table '{which}'"))),
            },
            _ => return None,
        })
    }
}

/// A problem building one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    /// Rule id: the spec's own `rule`, else `build`.
    pub rule: String,
    /// JSON pointer of the target field.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// What a field's value comes from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Source {
    /// A constant.
    Const(Value),
    /// An expression (native or rhai).
    Expr(Expr),
    /// A JSONPath from the current record (complex paths only; simple ones are expressions).
    Path(String, Arc<jsonpath_rust::parser::model::JpQuery>),
    /// A plain JSONPath (`$.job.site.ref`) run as a native path: as with
    /// JSONPath, a path that finds nothing gives null, not an error.
    PlainPath(Expr),
    /// A minijinja template.
    Template(String),
    /// A lookup by key.
    Lookup {
        /// Lookup name.
        name: String,
        /// The key.
        key: Box<FieldSpec>,
        /// Column of a multi-column lookup.
        column: Option<String>,
    },
    /// A decision table's output.
    Table {
        /// Table name.
        name: String,
        /// Input name and its spec.
        inputs: Vec<(String, FieldSpec)>,
        /// The output to take (all outputs as a map if none).
        output: Option<String>,
    },
    /// A nested record.
    Object(Vec<FieldSpec>),
    /// A list built for each item of a source list; each item can give
    /// several records (each with its own condition).
    List {
        /// The source list.
        for_each: Expr,
        /// Records built per item: (condition, fields).
        records: Vec<(Option<Expr>, Vec<FieldSpec>)>,
        /// `let:` values computed per item, in order, before its records.
        lets: Vec<(String, Expr)>,
    },
}

/// One compiled target field.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    /// The target field's name.
    pub name: String,
    /// Where the value comes from.
    pub source: Source,
    /// The field is present only when this holds.
    pub when: Option<Expr>,
    /// The value used when the source gives a blank one.
    pub default: Option<Value>,
    /// Leave the field out when its value is blank (`omit_blank: true`).
    pub omit_blank: bool,
    /// Round numbers to this many places (half away from zero).
    pub round: Option<u32>,
    /// Write dates in this pattern.
    pub format: Option<DatePattern>,
    /// Write numbers with this many places (`format: "0.00"`).
    pub number_format: Option<NumberFormat>,
    /// Cut text to this many characters.
    pub truncate: Option<usize>,
    /// Convert text to this type (`number`, `integer`, `bool`): CSV columns are text.
    pub convert: Option<Conversion>,
    /// Rule id reported when the field cannot be built.
    pub rule: Option<String>,
    /// Message template used then.
    pub message: Option<String>,
    /// Where the spec is written.
    pub span: Span,
    /// The spec as written, for `explain` and `doc`.
    pub text: String,
    /// What the field is for, in the mapping author's words (`doc:`).
    pub doc: String,
}

impl FieldSpec {
    /// True when the value found is the value written: no modifier
    /// (`round`, `format`, `to`, `truncate`) computes a new one, so a copied
    /// number keeps its literal.
    fn keeps_the_copy(&self) -> bool {
        self.convert.is_none() && self.changes_nothing_but_the_type()
    }

    /// True when no modifier but `as:` applies: text converted to a
    /// number is that number, digits and all.
    fn changes_nothing_but_the_type(&self) -> bool {
        self.round.is_none()
            && self.format.is_none()
            && self.number_format.is_none()
            && self.truncate.is_none()
    }
}

impl fmt::Display for FieldSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.text)
    }
}

/// A number pattern (`format: "0.00"`): the value is rounded half away
/// from zero to `places` in decimal. Where the target field is text it
/// becomes text with exactly those places (`"60.00"`); where it is a number
/// it stays a number, and the writer gives it its places (JSON `60.00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberFormat {
    /// Places after the point.
    pub places: u32,
    /// The target field is text: build the text here.
    pub as_text: bool,
}

impl NumberFormat {
    /// A number pattern is `0` or `0.` and zeros (`0.00`, `0.0000`). A
    /// pattern of digits and points only is meant as one, so any other is
    /// an error (`Ok(None)`: not a number pattern, perhaps a date pattern).
    pub fn parse(pattern: &str) -> Result<Option<NumberFormat>, String> {
        if !pattern
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '#' | ','))
        {
            return Ok(None);
        }
        let places = match pattern.split_once('.') {
            None if pattern == "0" => Some(0),
            Some(("0", zeros)) if !zeros.is_empty() && zeros.chars().all(|c| c == '0') => {
                u32::try_from(zeros.len()).ok().filter(|p| *p <= 28)
            }
            _ => None,
        };
        match places {
            Some(places) => Ok(Some(NumberFormat {
                places,
                as_text: false,
            })),
            None => Err(format!(
                "'{pattern}' is not a number pattern: write 0 and the places as zeros, as in \"0.00\" (at most 28 places)"
            )),
        }
    }

    /// The pattern as written.
    pub fn pattern(&self) -> String {
        if self.places == 0 {
            "0".to_string()
        } else {
            format!("0.{}", "0".repeat(self.places as usize))
        }
    }
}

/// A conversion of text (CSV columns, XML attributes) to a JSON type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conversion {
    /// A number (integer when it has no fraction).
    Number,
    /// A whole number.
    Integer,
    /// true/false.
    Bool,
    /// Text (numbers printed).
    Text,
}

fn convert_value(value: Value, to: Conversion) -> Result<Value, String> {
    let text = match &value {
        Value::Null => return Ok(Value::Null),
        Value::String(s) if s.trim().is_empty() && to != Conversion::Text => {
            return Ok(Value::Null)
        }
        Value::String(s) => s.trim().to_string(),
        other => to_text(other).into_owned(),
    };
    match to {
        Conversion::Text => Ok(Value::String(text)),
        Conversion::Integer => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("'{text}' is not a whole number")),
        Conversion::Number => match text.parse::<i64>() {
            Ok(i) => Ok(Value::from(i)),
            Err(_) => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("'{text}' is not a number")),
        },
        Conversion::Bool => match text.as_str() {
            "true" | "TRUE" | "True" | "1" | "yes" | "Y" => Ok(Value::Bool(true)),
            "false" | "FALSE" | "False" | "0" | "no" | "N" => Ok(Value::Bool(false)),
            _ => Err(format!("'{text}' is not true or false")),
        },
    }
}

/// Everything the compiler needs beside the YAML.
pub(crate) struct Compiler<'a> {
    pub file: &'a Path,
    pub diags: &'a mut Diagnostics,
    pub sandbox: Sandbox,
    pub data: &'a Data,
    pub templates: &'a mut Templates,
    pub externals: Vec<&'static str>,
    /// Where `script:` keys are, and what each computes.
    pub scripts: Vec<(Span, String)>,
}

/// The place of byte `offset` of a YAML scalar's text: on the node's line
/// when the text is one line (one more column past an opening quote, read
/// from the file), else the node's own place.
pub(crate) fn expr_span(file: &Path, n: &Node, text: &str, offset: usize) -> Span {
    let at = span(file, n);
    if text.contains('\n') || offset > text.len() {
        return at;
    }
    let quoted = std::fs::read_to_string(crate::yaml::file_of(file, n))
        .ok()
        .and_then(|t| {
            t.lines()
                .nth(n.line.saturating_sub(1) as usize)
                .map(str::to_string)
        })
        .and_then(|l| l.chars().nth(n.column.saturating_sub(1) as usize))
        .is_some_and(|c| c == '"' || c == '\'');
    let chars = text[..offset].chars().count() as u32;
    Span {
        column: at.column + chars + u32::from(quoted),
        ..at
    }
}

impl Compiler<'_> {
    pub fn expr(&mut self, n: &Node) -> Option<Expr> {
        let raw = n.scalar_text().unwrap_or_default();
        let after_eq = raw.strip_prefix('=').unwrap_or(&raw);
        let text = after_eq.trim();
        let prefix = raw.len() - after_eq.len() + (after_eq.len() - after_eq.trim_start().len());
        match Expr::compile(text, &self.externals) {
            Ok(e) => Some(e),
            Err(e) => {
                let at = expr_span(self.file, n, &raw, prefix + e.offset);
                self.diags.push(e.diagnostic(at));
                None
            }
        }
    }

    /// A `for_each:` expression (of a field spec or a rule). A constant that
    /// is no list (`for_each: 5`, `= "abc"`) would fail on every record:
    /// it is `wrong-shape` at its line instead.
    pub fn for_each(&mut self, n: &Node) -> Option<Expr> {
        let e = self.expr(n)?;
        match e.as_literal() {
            Some(Value::Array(_) | Value::Null) | None => Some(e),
            Some(other) => {
                self.diags.push(Diagnostic::error(
                    span(self.file, n),
                    "wrong-shape",
                    format!(
                        "for_each must be a list (or an expression that gives one), found the constant {} {}",
                        crate::expr::type_name(other),
                        e.quoted()
                    ),
                ));
                None
            }
        }
    }

    /// Compile the text of `n` as a rhai script (a `script:` key), noting
    /// where scripts are so `check` can list them.
    pub fn script(&mut self, n: &Node, what: &str) -> Option<Expr> {
        let raw = n.scalar_text().unwrap_or_default();
        match Expr::compile_script(&raw, &self.sandbox) {
            Ok(e) => {
                self.scripts.push((span(self.file, n), what.to_string()));
                Some(e)
            }
            Err(e) => {
                self.diags.push(Diagnostic::error(
                    expr_span(self.file, n, &raw, e.offset),
                    e.code,
                    e.message,
                ));
                None
            }
        }
    }

    /// Compile the text of `n` as a template (a field's `template`, a rule's
    /// `message`, a skip's `reason`), named by its place so that templates of
    /// different files never collide. `what` names it in a diagnostic.
    pub fn template(&mut self, n: &Node, what: &str) -> Option<String> {
        let name = format!("{}:{}:{}", self.file.display(), n.line, n.column);
        match self
            .templates
            .add(name.clone(), n.scalar_text().unwrap_or_default())
        {
            Ok(()) => Some(name),
            Err(e) => {
                let verdict = match e {
                    crate::template::LoadError::Unbounded(_) => "is refused",
                    _ => "does not compile",
                };
                self.diags.push(Diagnostic::error(
                    span(self.file, n),
                    "bad-template",
                    format!("the {what} {verdict}: {e}"),
                ));
                None
            }
        }
    }

    /// Compile the fields of a record (a YAML mapping of target field -> spec).
    pub fn record(&mut self, node: &Node) -> Vec<FieldSpec> {
        let Some(entries) = node.as_map() else {
            self.diags.push(Diagnostic::error(
                span(self.file, node),
                "wrong-shape",
                format!(
                    "a record must be a mapping of target fields to specs, found {}",
                    node.kind()
                ),
            ));
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|(k, v)| self.field(&k.scalar_text().unwrap_or_default(), v))
            .collect()
    }

    /// Compile one field spec.
    pub fn field(&mut self, name: &str, node: &Node) -> Option<FieldSpec> {
        let text = describe_node(node);
        let mut spec = FieldSpec {
            name: name.to_string(),
            source: Source::Const(Value::Null),
            when: None,
            default: None,
            omit_blank: false,
            round: None,
            format: None,
            number_format: None,
            truncate: None,
            convert: None,
            rule: None,
            message: None,
            span: span(self.file, node),
            text,
            doc: String::new(),
        };
        match &node.value {
            Y::Str(s) if s.starts_with('=') => spec.source = Source::Expr(self.expr(node)?),
            Y::Str(s) if s.starts_with("$.") || s.starts_with("$[") || s == "$" => {
                spec.source = self.path(node, s)?
            }
            Y::Map(_) => self.map_spec(&mut spec, node)?,
            _ => spec.source = Source::Const(node.to_json()),
        }
        Some(spec)
    }

    fn path(&mut self, node: &Node, p: &str) -> Option<Source> {
        // A plain dotted path runs as a native expression: no JSONPath engine per record.
        let simple = p
            .strip_prefix("$.")
            .filter(|rest| {
                rest.split('.').all(|seg| {
                    !seg.is_empty()
                        && seg
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '[' || c == ']')
                })
            })
            .and_then(|rest| Expr::compile(rest, &[]).ok())
            .filter(|e| e.as_path().is_some());
        if let Some(e) = simple {
            return Some(Source::PlainPath(e));
        }
        if let Some(why) = crate::select::too_costly(p) {
            self.diags.push(Diagnostic::error(
                span(self.file, node),
                "bad-path",
                format!("'{p}' is refused: {why}"),
            ));
            return None;
        }
        match jsonpath_rust::parser::parse_json_path(p) {
            Ok(q) => Some(Source::Path(p.to_string(), Arc::new(q))),
            Err(e) => {
                self.diags.push(Diagnostic::error(
                    span(self.file, node),
                    "bad-path",
                    format!("'{p}' is not a JSONPath: {e}"),
                ));
                None
            }
        }
    }

    fn map_spec(&mut self, spec: &mut FieldSpec, node: &Node) -> Option<()> {
        let file = self.file;
        let what = format!("the spec of '{}'", spec.name);
        let kinds: Vec<&str> = ff::SPEC_SOURCE_KEYS
            .iter()
            .copied()
            .filter(|k| node.get(k).is_some())
            .collect();
        let kind = match kinds.as_slice() {
            ["record", "for_each"] | ["for_each"] => "for_each",
            [one] => one,
            [] => {
                self.no_source(node, &what);
                return None;
            }
            many => {
                self.diags.push(Diagnostic::error(
                    span(file, node),
                    "ambiguous-spec",
                    format!("{what} has more than one source: {}", many.join(", ")),
                ));
                return None;
            }
        };
        let mut f = Fields::new(file, node, &what, &ff::FIELD_SPEC, self.diags)?;
        spec.source = match kind {
            "expr" => Source::Expr(self.expr(f.take("expr")?)?),
            "script" => Source::Expr(self.script(f.take("script")?, &spec.name)?),
            "path" => {
                let n = f.take("path")?;
                self.path(n, &n.scalar_text().unwrap_or_default())?
            }
            "template" => Source::Template(self.template(f.take("template")?, "template")?),
            "const" => Source::Const(f.take("const")?.to_json()),
            "lookup" => {
                let name_node = f.take("lookup")?;
                let name = name_node.scalar_text().unwrap_or_default();
                if self.data.lookup(&name).is_none() {
                    let known = self.data.lookups.iter().map(|l| l.name.as_str());
                    let d = Diagnostic::error(
                        span(file, name_node),
                        "unknown-lookup",
                        format!("no lookup '{name}' is declared under `lookups`"),
                    );
                    self.diags.push(d.with_near(&name, known));
                }
                let key = match f.take("key") {
                    Some(k) => self.field("key", k)?,
                    None => {
                        self.diags.push(Diagnostic::error(
                            span(file, name_node),
                            "missing-key",
                            format!("{what}: a lookup needs `key:`"),
                        ));
                        return None;
                    }
                };
                let column_node = f.take("column");
                let column = column_node.and_then(Node::scalar_text);
                if let (Some(c), Some(cn), Some(lookup)) =
                    (&column, column_node, self.data.lookup(&name))
                {
                    self.check_column(lookup, c, cn);
                }
                Source::Lookup {
                    name,
                    key: Box::new(key),
                    column,
                }
            }
            "table" => {
                let name_node = f.take("table")?;
                let name = name_node.scalar_text().unwrap_or_default();
                let Some(table) = self.data.table(&name) else {
                    let known = self.data.tables.iter().map(|t| t.name.as_str());
                    let d = Diagnostic::error(
                        span(file, name_node),
                        "unknown-table",
                        format!("no table '{name}' is declared under `tables`"),
                    );
                    self.diags.push(d.with_near(&name, known));
                    return None;
                };
                let input_names: Vec<String> =
                    table.inputs.iter().map(|(n, _)| n.clone()).collect();
                let outputs = table.outputs.clone();
                let mut inputs = Vec::new();
                for (k, v) in f.take("inputs").and_then(Node::as_map).unwrap_or(&[]) {
                    let iname = k.scalar_text().unwrap_or_default();
                    if !input_names.contains(&iname) {
                        self.diags.push(Diagnostic::error(
                            span(file, k),
                            "unknown-input",
                            format!(
                                "table '{name}' has no input '{iname}' (inputs: {})",
                                input_names.join(", ")
                            ),
                        ));
                    }
                    inputs.push((iname.clone(), self.field(&iname, v)?));
                }
                let output = f.take("output").and_then(Node::scalar_text);
                if let Some(o) = &output {
                    if !outputs.contains(o) {
                        self.diags.push(Diagnostic::error(
                            span(file, node),
                            "unknown-output",
                            format!(
                                "table '{name}' has no output '{o}' (outputs: {})",
                                outputs.join(", ")
                            ),
                        ));
                    }
                }
                Source::Table {
                    name,
                    inputs,
                    output,
                }
            }
            "record" => Source::Object(self.record(f.take("record")?)),
            _ => {
                let each = self.for_each(f.take("for_each")?)?;
                let mut records = Vec::new();
                if let Some(r) = f.take("record") {
                    records.push((None, self.record(r)));
                }
                for item in f.take("records").and_then(Node::as_seq).unwrap_or(&[]) {
                    let entry = "an entry of `records`";
                    let Some(mut ef) = Fields::new(file, item, entry, &ff::LIST_ENTRY, self.diags)
                    else {
                        continue;
                    };
                    let (when, record) = (ef.take("when"), ef.take("record"));
                    ef.finish(entry, self.diags);
                    let when = when.and_then(|w| self.expr(w));
                    match record {
                        Some(r) => records.push((when, self.record(r))),
                        None => self.diags.push(Diagnostic::error(
                            span(file, item),
                            "missing-key",
                            "each of `records` needs `record:` (and may have `when:`)",
                        )),
                    }
                }
                if records.is_empty() {
                    self.diags.push(Diagnostic::error(
                        span(file, node),
                        "missing-key",
                        format!("{what}: for_each needs `record:` or `records:`"),
                    ));
                }
                let lets = self.item_lets(f.take("let"));
                Source::List {
                    for_each: each,
                    records,
                    lets,
                }
            }
        };
        spec.when = f.take("when").and_then(|n| self.expr(n));
        spec.default = f.take("default").map(Node::to_json);
        spec.omit_blank = match f.take("omit_blank") {
            None => false,
            Some(Node {
                value: Y::Bool(b), ..
            }) => *b,
            Some(other) => {
                self.diags.push(Diagnostic::error(
                    span(self.file, other),
                    "wrong-shape",
                    format!("omit_blank of '{}' takes true or false", spec.name),
                ));
                false
            }
        };
        spec.round = f
            .take("round")
            .and_then(|n| self.places(n, "round", 0, MAX_PLACES))
            .map(|p| p as u32);
        spec.truncate = f
            .take("truncate")
            .and_then(|n| self.places(n, "truncate", 1, i64::MAX));
        if let Some(n) = f.take("format") {
            self.format(spec, n);
        }
        if let Some(n) = f.take("as") {
            spec.convert = self.conversion(n);
        }
        spec.rule = f.take("rule").and_then(Node::scalar_text);
        spec.message = match f.take("message") {
            Some(n) => Some(self.template(n, "message")?),
            None => None,
        };
        f.take("records");
        f.take("column");
        f.take("inputs");
        f.take("output");
        f.take("key");
        spec.doc = f
            .take("doc")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        f.finish(&what, self.diags);
        Some(())
    }

    /// A `for_each` spec's `let:`, computed per item (its names are seen by
    /// the item's fields after the item's own fields).
    fn item_lets(&mut self, n: Option<&Node>) -> Vec<(String, Expr)> {
        let entries = n.and_then(Node::as_map).unwrap_or(&[]);
        entries
            .iter()
            .filter_map(|(k, v)| Some((k.scalar_text()?, self.expr(v)?)))
            .collect()
    }

    /// A spec with none of the source keys; when one of its keys is near
    /// one (`foreach:`, `exp:`), the finding points at it and says which.
    fn no_source(&mut self, node: &Node, what: &str) {
        let near = node.as_map().unwrap_or(&[]).iter().find_map(|(k, _)| {
            let name = k.scalar_text()?;
            crate::diag::suggest(&name, ff::SPEC_SOURCE_KEYS).map(|s| (k, name, s))
        });
        let at = near.as_ref().map_or(node, |(k, _, _)| *k);
        let mut d = Diagnostic::error(
            span(self.file, at),
            "no-source",
            format!("{what} says nothing about where the value comes from: give one of expr, path, template, const, lookup, table, record, for_each (a nested record needs `record:`)"),
        );
        if let Some((_, name, key)) = near {
            d = d.with_help(format!("'{name}' is not a key here; did you mean '{key}'?"));
        }
        self.diags.push(d);
    }
}

impl Compiler<'_> {
    /// `column:` must name a column the lookup gives: a typo would read
    /// null on every record.
    fn check_column(&mut self, lookup: &Lookup, column: &str, at: &Node) {
        let (problem, near) = match lookup.columns() {
            None => (
                format!(
                    "lookup '{}' gives one value per key, not columns: leave out `column:`",
                    lookup.name
                ),
                None,
            ),
            Some(cols) if cols.iter().any(|c| c == column) => return,
            Some(cols) => (
                format!(
                    "lookup '{}' has no column '{column}'; its columns: {}",
                    lookup.name,
                    cols.join(", ")
                ),
                crate::diag::near_help(column, cols.iter().map(String::as_str)),
            ),
        };
        let d = Diagnostic::error(span(self.file, at), "lookup-column", problem);
        self.diags.push(match near {
            Some(h) => d.with_help(h),
            None => d,
        });
    }
}

/// The most places a decimal can carry (rust_decimal's scale).
const MAX_PLACES: i64 = 28;

/// The names `as:` takes.
const CONVERSIONS: [(&str, Conversion); 4] = [
    ("number", Conversion::Number),
    ("integer", Conversion::Integer),
    ("bool", Conversion::Bool),
    ("text", Conversion::Text),
];

impl Compiler<'_> {
    /// A modifier's whole number (`round: 2`, `truncate: 40`) between `min`
    /// and `max`; anything else is an error at load, not a modifier that
    /// silently does nothing.
    fn places(&mut self, n: &Node, key: &str, min: i64, max: i64) -> Option<usize> {
        match n.value {
            Y::Int(i) if (min..=max).contains(&i) => usize::try_from(i).ok(),
            _ => {
                let found = match &n.value {
                    Y::Int(i) => i.to_string(),
                    _ => format!("{} '{}'", n.kind(), describe_node(n)),
                };
                let range = if max == i64::MAX {
                    format!("at least {min}")
                } else {
                    format!("from {min} to {max}")
                };
                self.diags.push(Diagnostic::error(
                    span(self.file, n),
                    "bad-modifier",
                    format!("`{key}` must be a whole number {range}, found {found}"),
                ));
                None
            }
        }
    }

    /// `as:`, with a did-you-mean for a near name.
    fn conversion(&mut self, n: &Node) -> Option<Conversion> {
        let name = n.scalar_text().unwrap_or_default();
        if let Some((_, c)) = CONVERSIONS.iter().find(|(k, _)| *k == name) {
            return Some(*c);
        }
        let known = CONVERSIONS.iter().map(|(k, _)| *k);
        self.diags.push(
            Diagnostic::error(
                span(self.file, n),
                "unknown-value",
                format!("`as` must be number, integer, bool or text, found '{name}'"),
            )
            .with_near(&name, known),
        );
        None
    }

    /// `format:`: a number pattern (`"0.00"`) or a date pattern (MM/DD/CCYY).
    fn format(&mut self, spec: &mut FieldSpec, n: &Node) {
        let Y::Str(text) = &n.value else {
            // `format: 0.00` unquoted is the YAML number 0.0: its places are lost.
            self.diags.push(Diagnostic::error(
                span(self.file, n),
                "bad-number-format",
                format!(
                    "`format` must be text: write a number pattern in quotes (format: \"0.00\"), found {} {}",
                    n.kind(),
                    describe_node(n)
                ),
            ));
            return;
        };
        match NumberFormat::parse(text) {
            Ok(Some(f)) => {
                spec.number_format = Some(f);
                return;
            }
            Ok(None) => {}
            Err(e) => {
                self.diags.push(Diagnostic::error(
                    span(self.file, n),
                    "bad-number-format",
                    e,
                ));
                return;
            }
        }
        match DatePattern::new(text) {
            Ok(p) => spec.format = Some(p),
            Err(e) => self
                .diags
                .push(Diagnostic::error(span(self.file, n), "bad-date-format", e)),
        }
    }
}

fn describe_node(n: &Node) -> String {
    match &n.value {
        Y::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), Some("record" | "records")))
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        k.scalar_text().unwrap_or_default(),
                        describe_node(v)
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Y::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(describe_node)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Y::Str(s) if s.is_empty() => "\"\"".to_string(),
        Y::Str(s) => s.clone(),
        _ => n.to_json().to_string(),
    }
}

/// The values a spec is evaluated against.
pub struct Env<'a> {
    /// Variables: `params`, `root`, `item`, `index`, `parent`, ...
    pub scope: Scope<'a>,
    /// The current record as a value (the unit, or the item inside `for_each`).
    pub this: &'a Value,
    /// Lookups and tables.
    pub data: &'a Data,
    /// Compiled templates.
    pub templates: &'a Templates,
    /// Params that are secret: shown as "(secret)" in templates' messages.
    pub secrets: &'a [String],
}

/// Build the fields of one record; `path` is the JSON pointer of the record.
pub fn build_record(
    fields: &[FieldSpec],
    env: &Env,
    path: &CheckPath,
    errors: &mut Vec<BuildError>,
) -> Map {
    let mut out = Map::with_capacity(fields.len());
    for spec in fields {
        if spent(errors) {
            // The unit's budget is gone: every field after this one would
            // only report it again.
            break;
        }
        let field_path = path.key(&spec.name);
        match build_field(spec, env, &field_path, errors) {
            Ok(Some(v)) => {
                out.insert(spec.name.clone(), v);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    out
}

/// True when the last error is a spent budget or clock (the rules
/// `budget` and `time-limit`): nothing more can be evaluated in this unit.
pub(crate) fn spent(errors: &[BuildError]) -> bool {
    errors
        .last()
        .is_some_and(|e| crate::expr::EvalError::is_spent_rule(&e.rule))
}

fn fail(spec: &FieldSpec, env: &Env, path: &CheckPath, message: String) -> BuildError {
    fail_as(spec, env, path, message, None)
}

/// A failed evaluation: a spent budget or the clock is its own rule
/// (`budget`, `time-limit`), whatever the spec's `rule` says.
fn fail_eval(
    spec: &FieldSpec,
    env: &Env,
    path: &CheckPath,
    message: String,
    err: &EvalError,
) -> BuildError {
    fail_as(spec, env, path, message, err.rule())
}

fn fail_as(
    spec: &FieldSpec,
    env: &Env,
    path: &CheckPath,
    message: String,
    rule: Option<&str>,
) -> BuildError {
    let message = match &spec.message {
        Some(t) => render_template(t, env, Some(&message)).unwrap_or(message),
        None => message,
    };
    BuildError {
        rule: rule
            .map(str::to_string)
            .or_else(|| spec.rule.clone())
            .unwrap_or_else(|| "build".to_string()),
        path: path.render(),
        message,
    }
}

/// Build one field: `Ok(None)` when its `when` or `omit_blank` leaves it out.
pub fn build_field(
    spec: &FieldSpec,
    env: &Env,
    path: &CheckPath,
    errors: &mut Vec<BuildError>,
) -> Result<Option<Value>, BuildError> {
    // One flag test per field when no trace is recorded (crate::trace).
    if crate::trace::active() {
        return crate::trace::field(spec, env, path, || {
            build_field_untraced(spec, env, path, errors)
        });
    }
    build_field_untraced(spec, env, path, errors)
}

fn build_field_untraced(
    spec: &FieldSpec,
    env: &Env,
    path: &CheckPath,
    errors: &mut Vec<BuildError>,
) -> Result<Option<Value>, BuildError> {
    if let Some(w) = &spec.when {
        match w.test(&env.scope) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => {
                return Err(fail_eval(
                    spec,
                    env,
                    path,
                    format!("{}: when {}: {e}", spec.name, w.quoted()),
                    &e,
                ))
            }
        }
    }
    // The literals of source numbers this field copies unchanged (only
    // looked for while the record has any: crate::literal).
    let mut copied = Vec::new();
    let mut note = |found: &Value| {
        if crate::literal::active() {
            copied = crate::literal::literals_under(found);
        }
    };
    let value = match &spec.source {
        Source::Const(v) => v.clone(),
        Source::Expr(e) => e.eval_noting(&env.scope, &mut note).map_err(|err| {
            fail_eval(
                spec,
                env,
                path,
                format!("{} = {}: {err}", spec.name, e.quoted()),
                &err,
            )
        })?,
        Source::PlainPath(e) => e.eval_noting(&env.scope, &mut note).unwrap_or(Value::Null),
        Source::Path(text, q) => match jsonpath_rust::query::js_path_process(q, env.this) {
            Ok(found) => found
                .first()
                .map(|r| {
                    note(r.val);
                    r.val.clone()
                })
                .unwrap_or(Value::Null),
            Err(e) => {
                return Err(fail(
                    spec,
                    env,
                    path,
                    format!("{}: path {text}: {e}", spec.name),
                ))
            }
        },
        Source::Template(name) => Value::String(
            render_template(name, env, None).map_err(|e| template_failed(spec, env, path, &e))?,
        ),
        Source::Lookup { name, key, column } => {
            // The key is a copy, but the field holds what the lookup finds.
            let mark = crate::literal::target_mark();
            let k = build_field(key, env, path, errors)?.unwrap_or(Value::Null);
            crate::literal::target_back_to(mark);
            let lookup = env
                .data
                .lookup(name)
                .ok_or_else(|| fail(spec, env, path, format!("no lookup '{name}'")))?;
            match lookup.get(&k) {
                Some(v) => match column {
                    Some(c) => v.get(c).cloned().unwrap_or(Value::Null),
                    None => v.clone(),
                },
                None if spec.default.is_some() => Value::Null,
                None => {
                    return Err(fail(
                        spec,
                        env,
                        path,
                        format!(
                            "{}: no '{name}' entry for '{}' (the lookup has {} entries)",
                            spec.name,
                            to_text(&k),
                            lookup.len()
                        ),
                    ))
                }
            }
        }
        Source::Table {
            name,
            inputs,
            output,
        } => {
            let mut input = Map::new();
            let mark = crate::literal::target_mark();
            for (iname, ispec) in inputs {
                input.insert(
                    iname.clone(),
                    build_field(ispec, env, path, errors)?.unwrap_or(Value::Null),
                );
            }
            crate::literal::target_back_to(mark);
            let table = env
                .data
                .table(name)
                .ok_or_else(|| fail(spec, env, path, format!("no table '{name}'")))?;
            match table
                .decide(&input)
                .map_err(|e| fail_eval(spec, env, path, e.message.clone(), &e))?
            {
                Some(row) => match output {
                    Some(o) => row.outputs.get(o).cloned().unwrap_or(Value::Null),
                    None => Value::Object(row.outputs.clone()),
                },
                None if spec.default.is_some() => Value::Null,
                None => {
                    return Err(fail(
                        spec,
                        env,
                        path,
                        format!(
                            "{}: no row of table '{name}' matches {}",
                            spec.name,
                            Value::Object(input)
                        ),
                    ))
                }
            }
        }
        Source::Object(fields) => Value::Object(build_record(fields, env, path, errors)),
        Source::List {
            for_each,
            records,
            lets,
        } => build_list(spec, for_each, records, lets, env, path, errors)?,
    };
    // Text converted to a number (`as: number`, a CSV column) keeps its
    // digits as a copied number does.
    let text = match (&value, spec.convert) {
        (Value::String(s), Some(Conversion::Number))
            if crate::literal::may_lose_digits(s.trim()) =>
        {
            Some(s.trim().to_string())
        }
        _ => None,
    };
    if spec.omit_blank && spec.default.is_none() && is_blank(&value) {
        return Ok(None);
    }
    let value = finish(spec, value, env, path)?;
    if !copied.is_empty() && spec.keeps_the_copy() {
        crate::literal::note_target(&path.render(), copied);
    }
    if let (Some(text), Value::Number(n)) = (text, &value) {
        if spec.changes_nothing_but_the_type() {
            crate::literal::note_text_number(&path.render(), &text, n);
        }
    }
    Ok(Some(value))
}

/// The `let:` values one item of a `for_each` sees: the unit's, then the
/// spec's own in order (each sees those before it). None when the spec has
/// none, so a list without `let:` copies nothing per item.
fn item_lets(lets: &[(String, Expr)], scope: &Scope) -> Result<Option<Map>, (String, EvalError)> {
    if lets.is_empty() {
        return Ok(None);
    }
    let mut values = scope.lets.cloned().unwrap_or_default();
    for (name, e) in lets {
        let value = e
            .eval(&Scope {
                record: scope.record,
                vars: scope.vars.clone(),
                outer: scope.outer,
                calls: scope.calls,
                lets: Some(&values),
            })
            .map_err(|err| (name.clone(), err))?;
        values.insert(name.clone(), value);
    }
    Ok(Some(values))
}

/// A template that did not render: a tripped budget is rule `budget`
/// whatever the spec's own rule, so every budget reads the same.
fn template_failed(spec: &FieldSpec, env: &Env, path: &CheckPath, e: &TemplateError) -> BuildError {
    match e.rule() {
        Some(rule) => BuildError {
            rule: rule.to_string(),
            path: path.render(),
            message: format!("{}: {e}", spec.name),
        },
        None => fail(spec, env, path, format!("{}: template: {e}", spec.name)),
    }
}

fn build_list(
    spec: &FieldSpec,
    for_each: &Expr,
    records: &[(Option<Expr>, Vec<FieldSpec>)],
    lets: &[(String, Expr)],
    env: &Env,
    path: &CheckPath,
    errors: &mut Vec<BuildError>,
) -> Result<Value, BuildError> {
    let list = for_each.eval_cow(&env.scope);
    let items: &[Value] = match list.as_deref() {
        Ok(Value::Array(a)) => a,
        Ok(Value::Null) => &[],
        Ok(other) => {
            return Err(fail(
                spec,
                env,
                path,
                format!(
                    "{}: for_each {} gave {}, not a list",
                    spec.name,
                    for_each.quoted(),
                    crate::expr::type_name(other)
                ),
            ))
        }
        Err(e) => {
            return Err(fail_eval(
                spec,
                env,
                path,
                format!("{}: for_each {}: {e}", spec.name, for_each.quoted()),
                e,
            ))
        }
    };
    let parent = env.this;
    let outer = env.scope.record.or(env.scope.outer);
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let index = Value::from(i);
        let mut vars = env.scope.vars.clone();
        vars.push("item", item);
        vars.push("index", &index);
        vars.push("parent", parent);
        let first = Scope {
            record: item.as_object(),
            vars: vars.clone(),
            outer,
            calls: env.scope.calls,
            lets: env.scope.lets,
        };
        let own_lets = match item_lets(lets, &first) {
            Ok(l) => l,
            Err((name, e)) => {
                errors.push(fail_eval(
                    spec,
                    env,
                    &path.index(out.len()),
                    format!("{} item {i}: let {name}: {e}", spec.name),
                    &e,
                ));
                continue;
            }
        };
        let inner = Env {
            this: item,
            scope: Scope {
                record: item.as_object(),
                vars,
                outer,
                calls: env.scope.calls,
                lets: own_lets.as_ref().or(env.scope.lets),
            },
            data: env.data,
            templates: env.templates,
            secrets: env.secrets,
        };
        for (when, fields) in records {
            if spent(errors) {
                return Ok(Value::Array(out));
            }
            if let Some(w) = when {
                match w.test(&inner.scope) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        errors.push(fail_eval(
                            spec,
                            env,
                            &path.index(out.len()),
                            format!("{} item {i}: when {}: {e}", spec.name, w.quoted()),
                            &e,
                        ));
                        continue;
                    }
                }
            }
            let p = path.index(out.len());
            out.push(Value::Object(build_record(fields, &inner, &p, errors)));
        }
    }
    Ok(Value::Array(out))
}

fn finish(
    spec: &FieldSpec,
    mut value: Value,
    env: &Env,
    path: &CheckPath,
) -> Result<Value, BuildError> {
    if let Some(to) = spec.convert {
        value = convert_value(value, to)
            .map_err(|e| fail(spec, env, path, format!("{}: {e}", spec.name)))?;
    }
    if is_blank(&value) {
        if let Some(d) = &spec.default {
            value = d.clone();
        }
    }
    if let Some(places) = spec.round {
        if !value.is_null() {
            value = round(&value, places).ok_or_else(|| {
                fail(
                    spec,
                    env,
                    path,
                    format!("{}: cannot round {}: not a number", spec.name, value),
                )
            })?;
        }
    }
    if let Some(f) = spec.number_format {
        if !is_blank(&value) {
            value = number_format(&value, f).ok_or_else(|| {
                fail(
                    spec,
                    env,
                    path,
                    format!(
                        "{}: cannot write {} as {}: not a number",
                        spec.name,
                        value,
                        f.pattern()
                    ),
                )
            })?;
        }
    }
    if let Some(p) = &spec.format {
        if !is_blank(&value) {
            let text = to_text(&value);
            let dt = DateTime::parse_iso(&text)
                .ok_or_else(|| fail(spec, env, path, format!("{}: '{text}' is not an ISO 8601 date or timestamp, so it cannot be written as {}", spec.name, p.as_str())))?;
            value = Value::String(p.format(&dt));
        }
    }
    if let (Some(n), Value::String(s)) = (spec.truncate, &mut value) {
        // No more characters than bytes: text within the limit in bytes
        // needs no count.
        if s.len() > n {
            if let Some((end, _)) = s.char_indices().nth(n) {
                s.truncate(end);
            }
        }
    }
    Ok(value)
}

/// A value under a number format: rounded to its places, as text with
/// exactly those places when the target wants text.
fn number_format(value: &Value, f: NumberFormat) -> Option<Value> {
    let rounded = round(value, f.places)?;
    if f.as_text {
        crate::render::fixed_places(&rounded, f.places).map(Value::String)
    } else {
        Some(rounded)
    }
}

/// Round half away from zero with exact decimal arithmetic.
pub fn round(value: &Value, places: u32) -> Option<Value> {
    crate::expr::round_decimal(value, places)
}

/// Render a compiled template over the scope (fields of the outer record, then
/// the current record, then the named variables; secret params hidden).
pub fn render_template(
    name: &str,
    env: &Env,
    error: Option<&str>,
) -> Result<String, TemplateError> {
    let redacted = redacted_params(env);
    let error_value = error.map(|e| Value::String(e.to_string()));
    let ctx = template_context(name, env, redacted.as_ref(), error_value.as_ref());
    env.templates
        .render(name, minijinja::Value::from(minijinja::value::Serde(&ctx)))
}

/// The values template `name` reads, by name, borrowed from the scope.
/// Only the names the template reads are looked up, so a rule message
/// rendered once per failing item does not convert the whole unit each
/// time (that made a unit of 3,000 failing activities take minutes).
fn template_context<'v>(
    name: &str,
    env: &Env<'v>,
    redacted: Option<&'v Value>,
    error: Option<&'v Value>,
) -> HashMap<&'v str, &'v Value> {
    let look = |key: &str| -> Option<&'v Value> {
        match key {
            "error" if error.is_some() => error,
            "params" if redacted.is_some() => redacted,
            _ => env.scope.get(key),
        }
    };
    let mut ctx = HashMap::new();
    match env.templates.reads(name) {
        Some(names) => {
            for key in names {
                if let Some(v) = look(key) {
                    ctx.insert(key.as_str(), v);
                }
            }
        }
        None => {
            for key in scope_names(env) {
                if let Some(v) = look(key) {
                    ctx.insert(key, v);
                }
            }
            if let Some(e) = error {
                ctx.insert("error", e);
            }
        }
    }
    ctx
}

/// Every name the scope has (for a template that may read any).
fn scope_names<'v>(env: &Env<'v>) -> Vec<&'v str> {
    let s = &env.scope;
    let maps = [s.outer, s.record, s.lets].into_iter().flatten();
    let mut names: Vec<&'v str> = maps.flat_map(|m| m.keys().map(String::as_str)).collect();
    names.extend(s.vars.iter().map(|(k, _)| k));
    names
}

/// `params` with each secret shown as "(secret)", if the mapping has secrets.
fn redacted_params(env: &Env) -> Option<Value> {
    if env.secrets.is_empty() {
        return None;
    }
    let Some(Value::Object(m)) = env.scope.vars.get("params") else {
        return None;
    };
    let mut p = m.clone();
    for s in env.secrets {
        if p.contains_key(s) {
            p.insert(s.clone(), Value::String("(secret)".into()));
        }
    }
    Some(Value::Object(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateLimits;

    fn templates(sources: &[(&str, &str)]) -> Templates {
        let mut t = Templates::new(TemplateLimits::default());
        t.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        for (name, source) in sources {
            t.add(name.to_string(), source.to_string()).unwrap();
        }
        t
    }

    /// A template that reads one field of a record with a 100,000-item list
    /// is given that field alone: the list is never converted.
    #[test]
    fn a_template_is_given_only_the_names_it_reads() {
        let t = templates(&[
            ("one", "{{ id }}{% if note %}!{% endif %}"),
            ("err", "{{ id }}: {{ error }}"),
        ]);
        let big: Vec<Value> = (0..100_000).map(Value::from).collect();
        let rec = crate::json!({"id": "A1", "items": big});
        let data = Data::default();
        let env = Env {
            scope: Scope::of(rec.as_object()),
            this: &rec,
            data: &data,
            templates: &t,
            secrets: &[],
        };
        let ctx = template_context("one", &env, None, None);
        let mut keys: Vec<&str> = ctx.keys().copied().collect();
        keys.sort();
        assert_eq!(keys, ["id"]);
        assert_eq!(render_template("one", &env, None).unwrap(), "A1");
        assert_eq!(
            render_template("err", &env, Some("too long")).unwrap(),
            "A1: too long"
        );
    }

    /// Inside `for_each` the item's fields come before the `let:` values and
    /// the unit's; a secret param reads as "(secret)".
    #[test]
    fn a_template_reads_the_scope_in_order_with_secrets_hidden() {
        let t = templates(&[(
            "t",
            "{{ id }} {{ total }} {{ params.key }} {{ params.code }}",
        )]);
        let unit = crate::json!({"id": "unit", "total": "unit-total"});
        let item = crate::json!({"id": "item"});
        let lets = crate::json!({"total": "let-total", "id": "let-id"});
        let params = crate::json!({"key": "s3cret", "code": "KM2"});
        let data = Data::default();
        let secrets = ["key".to_string()];
        let mut scope = Scope::of(item.as_object()).with("params", &params);
        scope.outer = unit.as_object();
        scope.lets = lets.as_object();
        let env = Env {
            scope,
            this: &item,
            data: &data,
            templates: &t,
            secrets: &secrets,
        };
        assert_eq!(
            render_template("t", &env, None).unwrap(),
            "item let-total (secret) KM2"
        );
    }
}
