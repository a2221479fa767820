//! Static checks of a mapping against its contracts, at load (so `check`
//! and every command that loads a mapping run them).
//!
//! Every name the mapping reads (expressions, templates, JSONPaths,
//! `for_each`, `when`, lookup keys, table inputs, skips, `let:`, `where:`,
//! rules) is resolved against the source schema with the evaluator's scope
//! rules (the `scope` module); an unknown one is an error, because at run time it
//! would silently read as `()`. Constants and required target fields are
//! checked against the target (the `target` module). The walk follows the mapping's
//! YAML, not the compiled specs, so every finding points at the node (and,
//! where it can, the column) it is about.

mod json_path;
mod schema_rules;
mod scope;
mod target;
mod template_names;

pub(crate) use schema_rules::check_schema;

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::expr::{Expr, Read, Sandbox, Step};
use crate::mapping::Mapping;
use crate::schema::{Field, Schema};
use crate::yaml::{span, Node, Value as Y};

use json_path::Seg;
use scope::{Found, Frame, Place, Shape};
use target::Target;

/// Check the names, constants and required fields of the mapping loaded from
/// `root` (the text of `file`), appending findings to `diags`.
pub(crate) fn check_mapping(
    file: &Path,
    text: &str,
    root: &Node,
    options: &crate::confine::LoadOptions,
    mapping: &Mapping,
    diags: &mut Diagnostics,
) {
    let mut r = Resolver {
        file: file.to_path_buf(),
        text: text.to_string(),
        sandbox: Sandbox::default(),
        data: mapping.data.clone(),
        options: options.clone(),
        diags,
    };
    let source = mapping.source.as_deref();
    // A `source:` that did not load is the loader's error already.
    if source.is_none() && root.get("source").is_none() {
        r.diags.push(Diagnostic::warning(
            span(file, root.get("mapping").unwrap_or(root)),
            "no-source-schema",
            "the mapping names no `source:` schema, so the names it reads cannot be checked: \
             a misspelt field would read as () on every record",
        ));
    }
    let mut frame = Frame::unit(source, &mapping.params);
    if let Some(unit) = root.get("input").and_then(|i| i.get("csv")) {
        r.csv_input(unit, &frame, source);
    }
    for (k, v) in root.get("let").and_then(Node::as_map).unwrap_or(&[]) {
        let place = r
            .expr(v, &frame)
            .and_then(|reads| pure_path(&reads).cloned())
            .map(|found| Place {
                shape: found.shape,
                path: found.path,
            })
            .unwrap_or(Place {
                shape: Shape::Any,
                path: None,
            });
        frame
            .lets
            .push((k.scalar_text().unwrap_or_default(), place));
    }
    if let Some(w) = root.get("where") {
        r.expr(w, &frame);
    }
    for s in root.get("skip").and_then(Node::as_seq).unwrap_or(&[]) {
        if let Some(w) = s.get("when") {
            r.expr(w, &frame);
        }
        if let Some(t) = s.get("reason") {
            r.template(t, &frame);
        }
    }
    if let Some(n) = root.get("rules_from") {
        r.included_rules(n, &mut frame);
    }
    if let Some(rules) = root.get("rules") {
        r.rules(rules, &mut frame);
    }
    if let Some(record) = root.get("record") {
        let target = mapping.routes.first().map(|rt| Target::of(&rt.target));
        r.record(record, &frame, target.as_ref());
    }
    for route in root.get("routes").and_then(Node::as_seq).unwrap_or(&[]) {
        r.route(route, mapping, &frame);
    }
}

/// The first read of `key` (a diff's `--key`, evaluated over the input
/// record alone) that none of `mappings`' source schemas has, as words with
/// a did-you-mean. A mapping with no source schema knows every name, and so
/// does one that shapes CSV rows into units (`input.csv.unit`) for a CSV
/// input: the key reads the first row's columns, which no schema describes.
pub(crate) fn unknown_key_read(
    key: &Expr,
    mappings: &[&Mapping],
    format: crate::read::InputFormat,
) -> Option<String> {
    let columns = |m: &Mapping| format == crate::read::InputFormat::Csv && !m.csv.unit.is_empty();
    let frames: Vec<Frame> = mappings
        .iter()
        .map(|m| match columns(m) {
            true => Frame::unit(None, &[]),
            false => Frame::unit(m.source.as_deref(), &[]),
        })
        .collect();
    key.reads().into_iter().find_map(|read| {
        let mut misses = frames.iter().map(|f| f.resolve(&read.steps).err());
        let first = misses.next()??;
        if misses.any(|m| m.is_none()) {
            return None;
        }
        let name = &key.source()[read.offset..read.offset + read.len];
        let mut words = match first.message.starts_with(&format!("'{name}'")) {
            true => first.message,
            false => format!("'{name}': {}", first.message),
        };
        if let Some(h) = first.help {
            words.push_str(&format!(" ({h})"));
        }
        Some(words)
    })
}

/// When a constant is written: always, or as a `default:` for a blank value.
#[derive(Clone, Copy)]
enum Fallback {
    Always,
    Default,
}

impl Fallback {
    fn what(self) -> &'static str {
        match self {
            Fallback::Always => "constant",
            Fallback::Default => "default",
        }
    }

    fn which(self) -> &'static str {
        match self {
            Fallback::Always => "",
            Fallback::Default => " that falls back to it",
        }
    }
}

struct Resolver<'d> {
    file: PathBuf,
    text: String,
    sandbox: Sandbox,
    /// The mapping's lookups and tables, which `lookup()`/`table()` name.
    data: std::sync::Arc<crate::build::Data>,
    /// Where files the mapping pulls in may come from.
    options: crate::confine::LoadOptions,
    diags: &'d mut Diagnostics,
}

/// A read and what it found (None: unknown, and reported).
type Resolved<'s> = (Read, Option<Found<'s>>);

/// The one read of an expression that is nothing but a path, if it found something.
fn pure_path<'a, 's>(reads: &'a (Expr, Vec<Resolved<'s>>)) -> Option<&'a Found<'s>> {
    let (expr, found) = reads;
    match found.as_slice() {
        [(read, Some(f))] if read.offset == 0 && read.len == expr.source().len() => Some(f),
        _ => None,
    }
}

/// The text of an expression node, as the compiler reads it.
fn expr_text(n: &Node) -> Option<String> {
    let text = n.scalar_text()?;
    Some(text.strip_prefix('=').unwrap_or(&text).trim().to_string())
}

impl Resolver<'_> {
    // ------------------------------------------------------------ expressions

    /// Resolve every read of the expression at `n`; None when it does not
    /// compile (the compiler has said so).
    fn expr<'s>(&mut self, n: &Node, frame: &Frame<'s>) -> Option<(Expr, Vec<Resolved<'s>>)> {
        let text = expr_text(n)?;
        let expr = Expr::compile(&text, &["lookup", "has_lookup", "table"]).ok()?;
        self.reads_of(n, frame, expr)
    }

    /// As [`Resolver::expr`], for a `script:` (rhai): only its top-level names.
    fn script<'s>(&mut self, n: &Node, frame: &Frame<'s>) -> Option<(Expr, Vec<Resolved<'s>>)> {
        let text = n.scalar_text()?;
        let expr = Expr::compile_script(&text, &self.sandbox).ok()?;
        self.reads_of(n, frame, expr)
    }

    fn reads_of<'s>(
        &mut self,
        n: &Node,
        frame: &Frame<'s>,
        expr: Expr,
    ) -> Option<(Expr, Vec<Resolved<'s>>)> {
        self.data_calls(n, &expr);
        let mut out = Vec::new();
        let mut said: Vec<String> = Vec::new();
        for read in expr.reads() {
            // A script's names are checked one level deep (what rhai does
            // below them is not a path this checker can follow), but for
            // `params.X`, which names a declared param.
            let params = matches!(read.steps.first(), Some(Step::Name(n)) if n == "params");
            let steps = if expr.is_script() && !params {
                &read.steps[..read.steps.len().min(1)]
            } else {
                &read.steps[..]
            };
            let found = match frame.resolve(steps) {
                Ok(f) => Some(f),
                Err(u) => {
                    // A closure parameter repeats its list's path: a typo in
                    // the list is reported once, at the list.
                    if !said.contains(&u.message) {
                        let at = self.read_span(n, expr.source(), &read, u.step);
                        said.push(u.message.clone());
                        self.diags.push(u.at(at));
                    }
                    None
                }
            };
            out.push((read, found));
        }
        Some((expr, out))
    }

    /// `lookup("x", ..)`, `has_lookup("x", ..)` and `table("x", #{input: ..})`
    /// must name a declared lookup or table, and a table's declared inputs:
    /// at run time an unknown one rejects every record, or (an input) is
    /// ignored and picks the wrong row.
    fn data_calls(&mut self, n: &Node, expr: &Expr) {
        let data = self.data.clone();
        for call in expr.data_calls() {
            let Some(name) = &call.name else { continue };
            let at = self.locate(n, name, 0, 0);
            if call.function == "table" {
                let Some(table) = data.table(name) else {
                    let known: Vec<&str> = data.tables.iter().map(|t| t.name.as_str()).collect();
                    self.unknown_data(at, "unknown-table", "table", name, &known);
                    continue;
                };
                let inputs: Vec<&str> = table.inputs.iter().map(|(i, _)| i.as_str()).collect();
                for key in call.keys.iter().filter(|k| !inputs.contains(&k.as_str())) {
                    let at = self.locate(n, key, 0, 0);
                    let d = Diagnostic::error(
                        at,
                        "unknown-input",
                        format!(
                            "table '{name}' has no input '{key}'; its inputs: {}",
                            inputs.join(", ")
                        ),
                    );
                    self.diags.push(d.with_near(key, inputs.iter().copied()));
                }
            } else if data.lookup(name).is_none() {
                let known: Vec<&str> = data.lookups.iter().map(|l| l.name.as_str()).collect();
                self.unknown_data(at, "unknown-lookup", "lookup", name, &known);
            }
        }
    }

    fn unknown_data(
        &mut self,
        at: Span,
        code: &'static str,
        what: &str,
        name: &str,
        known: &[&str],
    ) {
        let d = Diagnostic::error(at, code, format!("no {what} '{name}' is declared"));
        self.diags.push(d.with_near(name, known.iter().copied()));
    }

    /// Where step `step` of `read` (in expression `src`, written at `n`) stands in the file.
    fn read_span(&self, n: &Node, src: &str, read: &Read, step: usize) -> Span {
        let (Some(chain), Some(before)) = (
            src.get(read.offset..read.offset + read.len),
            src.get(..read.offset),
        ) else {
            return span(&self.file, n);
        };
        let first = chain
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or(chain);
        // Which occurrence of the first name this is, in the expression.
        let nth = word_positions(before, first).len();
        let within = step_offset(chain, &read.steps, step);
        self.locate(n, first, nth, within)
    }

    /// The span of the `nth` whole-word `word` at or after node `n`, moved
    /// `within` bytes on; the node's own span when it cannot be found.
    fn locate(&self, n: &Node, word: &str, nth: usize, within: usize) -> Span {
        let fallback = span(&self.file, n);
        // A node merged in from another layer (`extends:`) stands in that
        // layer's text; read it only then, on the way to a finding.
        let other;
        let text = match n.file.as_deref() {
            Some(f) if f != self.file => {
                let Ok(t) = std::fs::read_to_string(f) else {
                    return fallback;
                };
                other = t;
                &other
            }
            _ => &self.text,
        };
        let Some(start) = byte_of(text, n.line, n.column) else {
            return fallback;
        };
        // Look no further than a few KiB on: past that the word is
        // another node's, and the node's own span is the honest answer.
        let mut window_end = (start + 4096).min(text.len());
        while !text.is_char_boundary(window_end) {
            window_end -= 1;
        }
        let Some(window) = text.get(start..window_end) else {
            return fallback;
        };
        let Some(&at) = word_positions(window, word).get(nth) else {
            return fallback;
        };
        let Some(before) = text.get(..start + at + within) else {
            return fallback;
        };
        let line = before.matches('\n').count() as u32 + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
        Span {
            file: fallback.file,
            line,
            column: col,
        }
    }

    // ------------------------------------------------------------ templates

    /// Resolve the variables a template reads, with its own scopes (`for`,
    /// `set`) and through indexes (the `template_names` module).
    fn template(&mut self, n: &Node, frame: &Frame) {
        let Some(text) = n.scalar_text() else { return };
        // Too big for minijinja's recursive parser: the load reports it.
        if crate::template::check_source(&text).is_err() {
            return;
        }
        for miss in template_names::misses(&text, frame) {
            // Which occurrence of the name this is, in the template.
            let before = text.get(..miss.offset).unwrap_or_default();
            let nth = word_positions(before, &miss.name).len();
            let at = self.locate(n, &miss.name, nth, 0);
            self.diags.push(miss.unknown.at(at));
        }
    }

    // ------------------------------------------------------------ rules

    fn included_rules(&mut self, n: &Node, frame: &mut Frame) {
        // Beside the layer that names it (`extends:`), else the mapping.
        let from = crate::yaml::file_of(&self.file, n).to_path_buf();
        let inc = from
            .parent()
            .unwrap_or(Path::new("."))
            .join(n.scalar_text().unwrap_or_default());
        // Read as the loader reads it (inside the project, a regular file,
        // under the cap); the loader reports a file that fails.
        let Ok(bytes) = crate::confine::read(
            &from,
            &n.scalar_text().unwrap_or_default(),
            crate::confine::RULES_FILE_LIMIT,
            &self.options,
        ) else {
            return;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return;
        };
        let Ok(node) = crate::yaml::parse(&inc, &text) else {
            return;
        };
        let (file, saved) = (
            std::mem::replace(&mut self.file, inc),
            std::mem::replace(&mut self.text, text),
        );
        if let Some(rules) = node.get("rules") {
            self.rules(rules, frame);
        }
        self.file = file;
        self.text = saved;
    }

    /// Check each rule, and note what the ones that reject the unit test
    /// present (`!blank(x)`, `x != ()`), for `maybe-missing`.
    fn rules(&mut self, n: &Node, frame: &mut Frame) {
        for rule in n.as_seq().unwrap_or(&[]) {
            let mut inner = frame.clone();
            if let Some(each) = rule.get("for_each") {
                inner = if literal_list(each) {
                    // `[description, reference]`: each item is a value,
                    // so the names the rule reads are the unit's.
                    if each.as_seq().is_none() {
                        self.expr(each, frame);
                    }
                    frame.item(&value_list(), false)
                } else {
                    match self.expr(each, frame).as_ref().and_then(pure_path) {
                        Some(list) => frame.item(list, false),
                        None => frame.unknown_item(false),
                    }
                };
            } else if misspelt_for_each(rule) {
                // The loader reports the key (did you mean 'for_each'?); the
                // item's names would each be a second, wrong finding.
                inner = frame.unknown_item(false);
            }
            if let Some(w) = rule.get("when") {
                self.expr(w, &inner);
            }
            let assert = match (rule.get("assert"), rule.get("script")) {
                (Some(a), _) => self.expr(a, &inner),
                (None, Some(sc)) => self.script(sc, &inner),
                (None, None) => None,
            };
            if let Some(field) = rule.get("field").and_then(Node::scalar_text) {
                // A templated field: its template is checked, and the
                // names before the first `{{` are resolved.
                let fixed = match field.find("{{") {
                    Some(at) => {
                        self.template(rule.get("field").unwrap_or(rule), &inner);
                        field[..at].rsplit_once('/').map_or("", |(head, _)| head)
                    }
                    None => field.as_str(),
                };
                let steps: Vec<Step> = fixed
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| Step::Name(s.into()))
                    .collect();
                if let Err(u) = inner.resolve(&steps) {
                    let f = rule.get("field").unwrap_or(rule);
                    let needle = field
                        .split('/')
                        .take(u.step + 1)
                        .collect::<Vec<_>>()
                        .join("/");
                    let within = needle.rfind('/').map_or(0, |d| d + 1);
                    let at = self.locate(f, &needle, 0, within);
                    self.diags.push(u.at(at));
                }
            }
            if let (Some(each), Some(field)) = (rule.get("for_each"), rule.get("field")) {
                self.field_per_item(each, field, &inner);
            }
            if let Some(m) = rule.get("message") {
                self.template(m, &inner);
            }
            let rejects = rule.get("severity").and_then(Node::as_str) != Some("warning");
            if let (true, Some(assert)) = (rejects, &assert) {
                frame.guards.extend(tested_present(assert));
            }
        }
    }

    /// A rule over a literal YAML list whose `field:` is a path with the
    /// item in it (`change/fields/{{ item }}`): the path each item makes
    /// must be in the source, so a misspelt item (`descripton`) is reported
    /// at the item, with the near name, like any misspelt field.
    fn field_per_item(&mut self, each: &Node, field: &Node, frame: &Frame) {
        let (Some(items), Some(text)) = (each.as_seq(), field.scalar_text()) else {
            return;
        };
        let Some((before, after)) = item_placeholder(&text) else {
            return;
        };
        // Steps before the item's are the fixed part, which `rules` checks.
        let fixed = before.split('/').filter(|s| !s.is_empty()).count()
            - usize::from(!before.is_empty() && !before.ends_with('/'));
        for item in items {
            let Some(name) = item.as_str() else {
                continue;
            };
            let path = format!("{before}{name}{after}");
            let steps: Vec<Step> = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| Step::Name(s.into()))
                .collect();
            if let Err(u) = frame.resolve(&steps) {
                if u.step >= fixed {
                    self.diags.push(u.at(span(&self.file, item)));
                }
            }
        }
    }

    // ------------------------------------------------------------ records

    fn route(&mut self, route: &Node, m: &Mapping, frame: &Frame) {
        if let Some(w) = route.get("when") {
            self.expr(w, frame);
        }
        let mut frame = frame.clone();
        if let Some(rules) = route.get("rules") {
            self.rules(rules, &mut frame);
        }
        let name = route
            .get("name")
            .and_then(Node::scalar_text)
            .unwrap_or_else(|| format!("route at line {}", route.line));
        let target = m
            .routes
            .iter()
            .find(|r| r.name == name)
            .map(|r| Target::of(&r.target));
        if let Some(record) = route.get("record") {
            self.record(record, &frame, target.as_ref());
        }
    }

    /// The fields of a record built into `target` (None: the target is not
    /// known, or the field is not in it; the loader has said so).
    fn record(&mut self, n: &Node, frame: &Frame, target: Option<&Target>) {
        for (k, v) in n.as_map().unwrap_or(&[]) {
            let name = k.scalar_text().unwrap_or_default();
            let field = target.and_then(|t| t.ty.field(&name).map(|f| (t, f)));
            self.field(v, frame, field);
        }
    }

    /// One field spec, written to `into` (the target and its field) when known.
    fn field(&mut self, n: &Node, frame: &Frame, into: Option<(&Target, &Field)>) {
        match &n.value {
            Y::Str(s) if s.starts_with('=') => {
                let reads = self.expr(n, frame);
                self.literal(reads.as_ref(), n, n, into);
                self.maybe_missing(n, lost_read(reads.as_ref(), frame), frame, into);
            }
            // What the loader takes for a JSONPath (`$5.00` is a constant).
            Y::Str(s) if s.starts_with("$.") || s.starts_with("$[") || s == "$" => {
                let found = self.json_path(n, s, frame);
                self.maybe_missing(n, found.as_ref().map(|f| (f, s.clone())), frame, into);
            }
            Y::Map(_) => self.map_spec(n, frame, into),
            _ => self.constant(n, n, into),
        }
    }

    fn map_spec(&mut self, n: &Node, frame: &Frame, into: Option<(&Target, &Field)>) {
        let guarded =
            n.get("when").is_some() || n.get("default").is_some() || n.get("omit_blank").is_some();
        if let Some(w) = n.get("when") {
            self.expr(w, frame);
        }
        if let Some(m) = n.get("message") {
            let mut with_error = frame.clone();
            with_error.error = true;
            self.template(m, &with_error);
        }
        let plain = n.get("round").is_none() && n.get("format").is_none() && n.get("as").is_none();
        if let Some(d) = n.get("default").filter(|_| plain) {
            self.constant_at(d.to_json(), d, n, into, Fallback::Default);
        }
        if let Some(e) = n.get("expr") {
            let reads = self.expr(e, frame);
            self.number_format_on_text(n, reads.as_ref(), frame);
            if plain {
                self.literal(reads.as_ref(), e, n, into);
            }
            if !guarded {
                self.maybe_missing(e, lost_read(reads.as_ref(), frame), frame, into);
            }
        } else if let Some(sc) = n.get("script") {
            self.script(sc, frame);
        } else if let Some(p) = n.get("path") {
            let text = p.scalar_text().unwrap_or_default();
            let found = self.json_path(p, &text, frame);
            if !guarded {
                self.maybe_missing(p, found.as_ref().map(|f| (f, text)), frame, into);
            }
        } else if let Some(t) = n.get("template") {
            self.template(t, frame);
        } else if let Some(c) = n.get("const") {
            if plain {
                self.constant(c, n, into);
            }
        } else if n.get("lookup").is_some() {
            if let Some(k) = n.get("key") {
                self.field(k, frame, None);
            }
        } else if n.get("table").is_some() {
            for (_, v) in n.get("inputs").and_then(Node::as_map).unwrap_or(&[]) {
                self.field(v, frame, None);
            }
        } else if let Some(each) = n.get("for_each") {
            self.for_each(n, each, frame, into);
        } else if let Some(r) = n.get("record") {
            let below = into.and_then(|(t, f)| t.below(f));
            self.record(r, frame, below.as_ref());
        }
    }

    fn for_each(&mut self, n: &Node, each: &Node, frame: &Frame, into: Option<(&Target, &Field)>) {
        let mut inner = match self.expr(each, frame).as_ref().and_then(pure_path) {
            Some(list) => frame.item(list, true),
            None => frame.unknown_item(true),
        };
        // Per-item `let:`, in order: each sees the item and those before.
        for (k, v) in n.get("let").and_then(Node::as_map).unwrap_or(&[]) {
            let place = self
                .expr(v, &inner)
                .and_then(|reads| pure_path(&reads).cloned())
                .map_or(
                    Place {
                        shape: Shape::Any,
                        path: None,
                    },
                    |found| Place {
                        shape: found.shape,
                        path: found.path,
                    },
                );
            inner
                .lets
                .push((k.scalar_text().unwrap_or_default(), place));
        }
        let below = into.and_then(|(t, f)| t.below(f));
        if let Some(r) = n.get("record") {
            self.record(r, &inner, below.as_ref());
        }
        for item in n.get("records").and_then(Node::as_seq).unwrap_or(&[]) {
            let mut guarded = inner.clone();
            if let Some(w) = item.get("when") {
                if let Some(reads) = self.expr(w, &inner) {
                    guarded.guards.extend(tested_present(&reads));
                }
            }
            if let Some(r) = item.get("record") {
                self.record(r, &guarded, below.as_ref());
            }
        }
    }

    /// A JSONPath reads from the current record; the names of the forms
    /// `json_path::segments` reads are checked step by step (a `..name`
    /// somewhere below), and a plain one (names only) gives what it found.
    fn json_path<'s>(&mut self, n: &Node, p: &str, frame: &Frame<'s>) -> Option<Found<'s>> {
        let segs = json_path::segments(p)?;
        let mut steps = Vec::new();
        let mut offsets = Vec::new();
        let mut descend = None;
        for seg in &segs {
            match seg {
                Seg::Name(name, at) => {
                    steps.push(Step::Name(name.clone()));
                    offsets.push(*at);
                }
                Seg::Item => {
                    steps.push(Step::Item);
                    offsets.push(offsets.last().copied().unwrap_or(0));
                }
                Seg::Descend(name, at) => descend = Some((name, *at)),
                Seg::Stop => break,
            }
        }
        let plain = segs.iter().all(|s| matches!(s, Seg::Name(..)));
        let found = match frame.resolve_in_record(&steps) {
            Ok(f) => f,
            Err(u) => {
                let within = offsets.get(u.step).copied().unwrap_or(0);
                self.json_path_error(n, within, u);
                return None;
            }
        };
        if let Some((name, at)) = descend {
            if let Err(u) = frame.descendant(&found.shape, name, steps.len()) {
                self.json_path_error(n, at, u);
            }
        }
        plain.then_some(found)
    }

    /// An unknown name `within` bytes into the JSONPath written at `n`.
    fn json_path_error(&mut self, n: &Node, within: usize, u: scope::Unknown) {
        let at = self.locate(n, "$", 0, within);
        self.diags.push(u.at(at));
    }

    // ------------------------------------------------------------ the target

    /// A constant must pass the target field's checks, or every record fails.
    fn constant(&mut self, value: &Node, spec: &Node, into: Option<(&Target, &Field)>) {
        self.constant_at(value.to_json(), value, spec, into, Fallback::Always);
    }

    /// An expression that is nothing but a literal (`= "X"`) is a constant.
    fn literal(
        &mut self,
        reads: Option<&(Expr, Vec<Resolved>)>,
        at: &Node,
        spec: &Node,
        into: Option<(&Target, &Field)>,
    ) {
        if let Some(v) = reads.and_then(|(e, _)| e.as_literal()) {
            self.constant_at(v.clone(), at, spec, into, Fallback::Always);
        }
    }

    /// `v`, written at `value` by field spec `spec`, against the target field.
    fn constant_at(
        &mut self,
        mut v: crate::value::Value,
        value: &Node,
        spec: &Node,
        into: Option<(&Target, &Field)>,
        when: Fallback,
    ) {
        let Some((target, field)) = into else { return };
        if v.is_null() || field.reserved {
            return;
        }
        if let (Some(n), crate::value::Value::String(s)) =
            (spec.get("truncate").and_then(|t| t.scalar_text()), &mut v)
        {
            if let Ok(n) = n.parse::<usize>() {
                *s = s.chars().take(n).collect();
            }
        }
        let problems = target.constant_problems(field, &v);
        if problems.is_empty() {
            return;
        }
        // The code check's own message already lists the allowed codes.
        let allowed = target::allowed(field)
            .filter(|_| !problems.iter().any(|p| p.contains(" allows ")))
            .map(|a| format!(" (allowed: {a})"))
            .unwrap_or_default();
        // A secret field's constant is itself secret.
        let shown = if field.secret {
            "(secret)".to_string()
        } else {
            v.to_string()
        };
        self.diags.push(Diagnostic::error(
            span(&self.file, value),
            "bad-constant",
            format!(
                "{}: the {} {} breaks {}, so every record{} would be rejected: {}{allowed}",
                field.name,
                when.what(),
                shown,
                target.schema.name,
                when.which(),
                problems.join("; ")
            ),
        ));
    }

    /// A number `format:` on a read of a text field: a record whose text is
    /// not a number is rejected (all of them, for a description).
    fn number_format_on_text(
        &mut self,
        spec: &Node,
        reads: Option<&(Expr, Vec<Resolved>)>,
        frame: &Frame,
    ) {
        let Some(format) = spec.get("format") else {
            return;
        };
        let Some(pattern) = format.as_str() else {
            return;
        };
        if !matches!(crate::build::NumberFormat::parse(pattern), Ok(Some(_))) {
            return;
        }
        let Some(field) = reads.and_then(pure_path).and_then(|f| f.field) else {
            return;
        };
        if field.kind != crate::schema::Kind::Text {
            return;
        }
        let source = frame
            .schema
            .map(|s| s.name.as_str())
            .unwrap_or("the source");
        self.diags.push(Diagnostic::warning(
            span(&self.file, format),
            "number-format-on-text",
            format!(
                "format \"{pattern}\" writes a number, but '{}' is a text field of {source}: a record whose '{}' is not a number is rejected",
                field.name, field.name
            ),
        ));
    }

    /// A required target field whose value is lost, `()` or an error, when
    /// an optional source field that nothing tests present is absent (`read`:
    /// what that read found and its text): some records will lack it.
    fn maybe_missing(
        &mut self,
        n: &Node,
        read: Option<(&Found, String)>,
        frame: &Frame,
        into: Option<(&Target, &Field)>,
    ) {
        let (Some((found, text)), Some((target, field))) = (read, into) else {
            return;
        };
        if !field.required || field.reserved || !unguarded(found, frame) {
            return;
        }
        let source = frame
            .schema
            .map(|s| s.name.as_str())
            .unwrap_or("the source");
        self.diags.push(Diagnostic::warning(
            span(&self.file, n),
            "maybe-missing",
            format!(
                "{} requires {}, but {} may be absent: {} does not require '{}', and nothing here \
                 tests it, so a record without it is rejected (give `default:` or `when:`, or a rule that checks it)",
                target.schema.name,
                field.name,
                text,
                source,
                found.optional_name.as_deref().unwrap_or("it")
            ),
        ));
    }

    // ------------------------------------------------------------ CSV input

    /// `input.csv`: the group key and the unit read the CSV columns (unknown
    /// statically); the unit is the record the rest of the mapping reads, so
    /// its fields must be the source schema's.
    fn csv_input(&mut self, csv: &Node, unit_frame: &Frame, source: Option<&Schema>) {
        let mut columns = Frame::unit(None, unit_frame.params);
        for g in csv.get("group_by").and_then(Node::as_seq).unwrap_or(&[]) {
            self.expr(g, &columns);
        }
        columns.rows = true;
        if let Some(unit) = csv.get("unit") {
            let ty = source.map(|s| (s, s.record_type()));
            self.unit_fields(unit, &columns, ty);
        }
    }

    fn unit_fields(
        &mut self,
        n: &Node,
        frame: &Frame,
        ty: Option<(&Schema, &crate::schema::Type)>,
    ) {
        for (k, v) in n.as_map().unwrap_or(&[]) {
            let name = k.scalar_text().unwrap_or_default();
            let field = match ty {
                Some((s, t)) => match t.field(&name) {
                    Some(f) => Some((s, f)),
                    None => {
                        let d = Diagnostic::error(
                            span(&self.file, k),
                            "unknown-source-field",
                            format!(
                                "input.csv.unit builds '{name}', which is not a field of {}'s {}",
                                s.name, t.name,
                            ),
                        );
                        let known = t.fields.iter().map(|f| f.name.as_str());
                        self.diags.push(d.with_near(&name, known));
                        None
                    }
                },
                None => None,
            };
            let below = field.and_then(|(s, f)| {
                f.of.as_deref()
                    .and_then(|o| s.type_named(o))
                    .map(|t| (s, t))
            });
            match (&v.value, v.get("for_each"), v.get("record")) {
                (Y::Map(_), Some(each), record) => {
                    self.expr(each, frame);
                    let inner = frame.unknown_item(true);
                    if let Some(w) = v.get("when") {
                        self.expr(w, frame);
                    }
                    if let Some(r) = record {
                        self.unit_fields(r, &inner, below);
                    }
                }
                (Y::Map(_), None, Some(r)) => {
                    if let Some(w) = v.get("when") {
                        self.expr(w, frame);
                    }
                    self.unit_fields(r, frame, below);
                }
                _ => self.field(v, frame, None),
            }
        }
    }
}

/// A rule's `for_each` over a literal list: a YAML list, or an expression
/// that is one (`= ["a", "b"]`).
fn literal_list(each: &Node) -> bool {
    each.as_seq().is_some() || expr_text(each).is_some_and(|t| t.starts_with('['))
}

/// A `field:` with one `{{ item }}` and no other template tag: the text
/// before and after it.
fn item_placeholder(field: &str) -> Option<(&str, &str)> {
    let open = field.find("{{")?;
    let close = open + field[open..].find("}}")?;
    let (before, after) = (&field[..open], &field[close + 2..]);
    let plain = |s: &str| !s.contains("{{") && !s.contains("{%");
    (field[open + 2..close].trim() == "item" && plain(before) && plain(after))
        .then_some((before, after))
}

/// What a literal list is to the checker: a list of values.
fn value_list<'s>() -> Found<'s> {
    Found {
        shape: Shape::List(Box::new(Shape::Value)),
        path: None,
        optional: Vec::new(),
        optional_name: None,
        field: None,
    }
}

/// A rule with a key near `for_each` (`foreach:`) and no `for_each:`.
fn misspelt_for_each(rule: &Node) -> bool {
    rule.as_map().unwrap_or(&[]).iter().any(|(k, _)| {
        k.scalar_text()
            .is_some_and(|k| k != "for_each" && crate::diag::suggest(&k, ["for_each"]).is_some())
    })
}

/// Whether `found` passes through an optional field that no guard of
/// `frame` tests present.
fn unguarded(found: &Found, frame: &Frame) -> bool {
    found.optional.iter().any(|p| match p {
        None => true,
        Some(p) => !frame.guards.iter().any(|g| g.starts_with(p)),
    })
}

/// The read through which an expression's value is lost when an unguarded
/// optional field is absent (the expression module follows it to the
/// result: `x.trim()` is lost with `x`, `x ?? ""` is not), with its text.
fn lost_read<'a, 's>(
    reads: Option<&'a (Expr, Vec<Resolved<'s>>)>,
    frame: &Frame,
) -> Option<(&'a Found<'s>, String)> {
    let (expr, found) = reads?;
    let at = |offset: usize, len: usize| {
        found.iter().find_map(|(r, f)| match f {
            Some(f) if r.offset == offset && r.len == len => Some(f),
            _ => None,
        })
    };
    let absent = |offset: usize, len: usize| at(offset, len).is_some_and(|f| unguarded(f, frame));
    let (offset, len) = expr.lost_to(&absent)?;
    let text = expr.source().get(offset..offset + len)?.to_string();
    Some((at(offset, len)?, text))
}

/// The paths an expression tests present: the argument of `blank(...)` and
/// the left side of `!= ()`.
fn tested_present(reads: &(Expr, Vec<Resolved>)) -> Vec<Vec<Step>> {
    let (expr, found) = reads;
    let src = expr.source();
    found
        .iter()
        .filter_map(|(read, f)| {
            let before = src.get(..read.offset)?.trim_end();
            let after = src.get(read.offset + read.len..)?.trim_start();
            let tested = before.ends_with("blank(") || after.starts_with("!= ()");
            match f {
                Some(found) if tested => found.path.clone(),
                _ => None,
            }
        })
        .collect()
}

/// Byte offsets of `word` standing alone in `text` (not inside a longer
/// name); a word after `.` counts, for nested paths.
fn word_positions(text: &str, word: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    if word.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let end = at + word.len();
        let alone_before = at == 0 || !is_name(b[at - 1]) || word == "$";
        let alone_after = end >= b.len() || !is_name(b[end]) || word == "$";
        if alone_before && alone_after {
            out.push(at);
        }
        from = end;
    }
    out
}

/// The byte offset, inside a path's text, of the name of step `step`
/// (0 for the first). A step not written there (the list path a closure
/// parameter stands for: `a` in `|a| a.team` is `activities[]`) is passed over.
fn step_offset(chain: &str, steps: &[Step], step: usize) -> usize {
    let mut at = 0;
    for (i, s) in steps.iter().enumerate().take(step + 1).skip(1) {
        let Step::Name(name) = s else { continue };
        let written = [
            format!(".{name}"),
            format!("\"{name}\""),
            format!("'{name}'"),
        ]
        .iter()
        .filter_map(|w| chain[at..].find(w.as_str()))
        .min();
        let Some(p) = written else { continue };
        at += p + 1;
        if i == step {
            return at;
        }
    }
    at
}

/// The byte offset of 1-based `line`, `column` (in characters) in `text`.
fn byte_of(text: &str, line: u32, column: u32) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let line_text = &text[start..];
    let col = line_text
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map(|(i, _)| i)
        .unwrap_or(0);
    Some(start + col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_stand_alone() {
        assert_eq!(word_positions("job.ref + jobs + a.job", "job"), vec![0, 19]);
        assert_eq!(word_positions("x", ""), Vec::<usize>::new());
    }

    #[test]
    fn step_offsets_point_at_the_step_name() {
        let steps: Vec<Step> = ["job", "site", "reff"]
            .iter()
            .map(|s| Step::Name(s.to_string()))
            .collect();
        assert_eq!(step_offset("job.site.reff", &steps, 0), 0);
        assert_eq!(step_offset("job.site.reff", &steps, 2), 9);
        let with_item = vec![
            Step::Name("activities".into()),
            Step::Item,
            Step::Name("team".into()),
        ];
        assert_eq!(step_offset("activities[0].team", &with_item, 2), 14);
        assert_eq!(step_offset("activities[0][\"team\"]", &with_item, 2), 15);
        // `ps` stands for lines[].parts: only `cod` is written.
        let through_closure: Vec<Step> = ["lines", "[]", "parts", "[]", "cod"]
            .iter()
            .map(|s| match *s {
                "[]" => Step::Item,
                n => Step::Name(n.to_string()),
            })
            .collect();
        assert_eq!(step_offset("ps[0].cod", &through_closure, 4), 6);
    }

    #[test]
    fn byte_offsets_of_lines_and_columns() {
        let text = "a: 1\nbé: = x\n";
        assert_eq!(byte_of(text, 2, 4), Some(9));
        assert_eq!(byte_of(text, 0, 1), None);
        assert_eq!(byte_of(text, 9, 1), None);
    }
}
