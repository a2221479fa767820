//! Trace: why one record built what it built (`mapwright explain` given a
//! record). For each target field the names it read and their values, the
//! lookup key and whether it hit, the decision-table row that matched, its
//! `when:` result and its value; the unit's `let:` values; and every rule's
//! result, the mapping's and the schemas', for an accepted record and for a
//! rejected one.
//!
//! Tracing costs nothing when it is off: the transform path builds no trace
//! data. The hooks in `build_field`, the source rules and the schema rules
//! test one thread-local flag ([`active`]) and go on as before when it is
//! down; only [`Prepared::trace`] raises it, for one record on its own
//! thread. What a hook records it works out again from the spec (the
//! `when:` tested again, the lookup key looked up again), so the
//! transform's own code is unchanged.

use std::cell::{Cell, RefCell};
use std::fmt::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::value::{Map, Value};
use serde::{Deserialize, Serialize};

use crate::build::{BuildError, Env, FieldSpec, Source};
use crate::check::Path as CheckPath;
use crate::expr::{Expr, Scope, Step};
use crate::mapping::{Outcome, Prepared};
use crate::redact::Redactor;
use crate::rules::SourceRule;

/// Why one record built what it built: see the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The mapping's name.
    pub mapping: String,
    /// The layer files of a layered mapping (`extends:`), the base first;
    /// empty for a mapping of one file.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub layers: Vec<String>,
    /// `accepted`, `rejected` or `skipped`.
    pub outcome: String,
    /// The route that built the record (accepted records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Why the record was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The errors (rejected) or warnings (accepted) of the outcome.
    pub violations: Vec<TracedViolation>,
    /// The unit's `let:` values, in order.
    pub lets: Vec<TracedLet>,
    /// Every rule checked, in the order checked.
    pub rules: Vec<TracedRule>,
    /// The `table(...)` calls made outside any field (in `let:` values,
    /// rules, routes), in order.
    pub tables: Vec<TracedTable>,
    /// Every target field built, in the order built.
    pub fields: Vec<TracedField>,
}

/// One error or warning of the outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedViolation {
    /// The rule's id.
    pub rule: String,
    /// Where (a JSON pointer).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// `error` or `warning`.
    pub severity: String,
}

/// One `let:` value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedLet {
    /// The name.
    pub name: String,
    /// The value (absent when it could not be computed).
    pub value: Option<Value>,
}

/// What a rule said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleResult {
    /// It holds.
    Pass,
    /// It does not hold (or could not be checked).
    Fail,
    /// Its `when:` does not hold.
    NotApplicable,
}

/// One rule checked on the record (or on one item of a `for_each`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedRule {
    /// The rule's id.
    pub id: String,
    /// `mapping` (a source rule of the mapping) or the schema's name.
    pub of: String,
    /// Where a failure is reported (a JSON pointer: the rule's `field:`, under the item for `for_each`).
    pub path: String,
    /// The `when:` result (absent when the rule has none).
    pub when: Option<bool>,
    /// Pass, fail or not applicable.
    pub result: RuleResult,
}

/// One name a field's expression read and its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedRead {
    /// The name as a path: `job.ref`, `activities[].team`.
    pub name: String,
    /// Its value (absent when the record has no such name).
    pub value: Option<Value>,
}

/// A lookup a field made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedLookup {
    /// The lookup's name.
    pub name: String,
    /// The key looked up.
    pub key: Value,
    /// The lookup has the key.
    pub hit: bool,
    /// The field's default, used on a miss.
    pub default: Option<Value>,
}

/// A decision table a field consulted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedTable {
    /// The table's name.
    pub name: String,
    /// Its inputs, by name.
    pub input: Map,
    /// The file the table is written in, relative to the current folder as
    /// a field's `at`.
    #[serde(default)]
    pub file: String,
    /// The line of the row that matched, in that file.
    pub row_line: Option<u32>,
    /// The field's default, used when no row matches.
    pub default: Option<Value>,
}

/// One target field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracedField {
    /// The field's JSON pointer in the built record (`/poDetails/0/Item_ID`).
    pub path: String,
    /// The spec as written.
    pub spec: String,
    /// Where the spec is written: `file:line:column`, the file relative to
    /// the current folder.
    pub at: String,
    /// The layer (mapping file) the field comes from.
    pub layer: Option<String>,
    /// The `when:` result (absent when the field has none).
    pub when: Option<bool>,
    /// The names read and their values.
    pub reads: Vec<TracedRead>,
    /// The lookup made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookup: Option<TracedLookup>,
    /// The table consulted (`{table: ...}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TracedTable>,
    /// The `table(...)` calls its expression made.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub table_calls: Vec<TracedTable>,
    /// The value built (absent when `when:` or `omit_blank` left the field
    /// out, or it failed).
    pub value: Option<Value>,
    /// `omit_blank: true` left the field out: its value was blank.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub omitted_blank: bool,
    /// Why the field could not be built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

// ---------------------------------------------------------------- recording

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static TRACER: RefCell<Tracer> = RefCell::new(Tracer::default());
}

/// How many threads are recording a trace: while none is, [`active`] is
/// one relaxed load, not a thread-local look-up.
static RECORDING: AtomicUsize = AtomicUsize::new(0);

/// True while a trace is being recorded on this thread (the one test the
/// transform path pays for).
#[inline(always)]
pub fn active() -> bool {
    RECORDING.load(Ordering::Relaxed) != 0 && ON.with(Cell::get)
}

/// What is recorded while the flag is up.
#[derive(Default)]
struct Tracer {
    fields: Vec<TracedField>,
    tables: Vec<TracedTable>,
    rules: Vec<TracedRule>,
    /// The fields being built, innermost last.
    open: Vec<Open>,
}

struct Open {
    /// The field's record; `None` for a key or input spec, whose value,
    /// once built, goes to its parent's `subs`.
    field: Option<usize>,
    /// The values of the key or input specs built for this one, in order.
    subs: Vec<Value>,
}

/// Lowers the flag however the traced transform ends.
struct Recording;

impl Recording {
    fn start() -> Recording {
        TRACER.with(|t| *t.borrow_mut() = Tracer::default());
        RECORDING.fetch_add(1, Ordering::Relaxed);
        ON.with(|on| on.set(true));
        Recording
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        ON.with(|on| on.set(false));
        RECORDING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Build `spec` with `build` and record what it did (`build_field`'s hook).
pub(crate) fn field(
    spec: &FieldSpec,
    env: &Env,
    path: &CheckPath,
    build: impl FnOnce() -> Result<Option<Value>, BuildError>,
) -> Result<Option<Value>, BuildError> {
    let rendered = path.render();
    let reads = reads_of(spec, &env.scope);
    let slot = TRACER.with(|t| open_field(&mut t.borrow_mut(), spec, rendered, reads));
    let result = build();
    let subs = TRACER.with(|t| {
        t.borrow_mut()
            .open
            .pop()
            .map(|o| o.subs)
            .unwrap_or_default()
    });
    let value = result.as_ref().ok().and_then(Option::clone);
    // Left out, and not by `when:`: by `omit_blank` (build_field's only
    // other way to give no value).
    let left_out = matches!(result, Ok(None));
    let Some(i) = slot else {
        TRACER.with(|t| {
            if let Some(parent) = t.borrow_mut().open.last_mut() {
                parent.subs.push(value.unwrap_or(Value::Null));
            }
        });
        return result;
    };
    let when = quiet(|| spec.when.as_ref().and_then(|w| w.test(&env.scope).ok()));
    let omitted_blank = left_out && spec.omit_blank && when != Some(false);
    let lookup = traced_lookup(spec, env, &subs);
    let table = traced_table(spec, env, &subs);
    let error = result
        .as_ref()
        .err()
        .map(|e| format!("{}: {}", e.rule, e.message));
    // A nested record or a list shows its fields one by one, not again whole.
    let value = match spec.source {
        Source::Object(_) | Source::List { .. } => None,
        _ => value,
    };
    TRACER.with(|t| {
        let f = &mut t.borrow_mut().fields[i];
        f.when = when;
        f.lookup = lookup;
        f.table = table;
        f.error = error;
        f.value = value;
        f.omitted_blank = omitted_blank;
    });
    result
}

/// Open a field's record, or (for a key or input spec built at its
/// parent's path) a frame whose value goes to the parent: `None` then.
fn open_field(
    t: &mut Tracer,
    spec: &FieldSpec,
    path: String,
    reads: Vec<TracedRead>,
) -> Option<usize> {
    let parent = t.open.iter().rev().find_map(|o| o.field);
    let inside_parent = match t.open.last() {
        Some(o) => o.field.is_none() || parent.is_some_and(|i| t.fields[i].path == path),
        None => false,
    };
    if inside_parent {
        if let Some(i) = parent {
            let known = &mut t.fields[i].reads;
            for r in reads {
                if !known.iter().any(|k| k.name == r.name) {
                    known.push(r);
                }
            }
        }
        t.open.push(Open {
            field: None,
            subs: Vec::new(),
        });
        return None;
    }
    let i = t.fields.len();
    let file = shown_path(&spec.span.file);
    t.fields.push(TracedField {
        path,
        spec: spec.text.clone(),
        at: format!("{file}:{}:{}", spec.span.line, spec.span.column),
        layer: Some(file),
        when: None,
        reads,
        lookup: None,
        table: None,
        table_calls: Vec::new(),
        value: None,
        omitted_blank: false,
        error: None,
    });
    t.open.push(Open {
        field: Some(i),
        subs: Vec::new(),
    });
    Some(i)
}

/// Check a source rule with `check` (appending to `out`) and record its
/// result (the source rules' hook).
pub(crate) fn rule(
    rule: &SourceRule,
    env: &Env,
    path: String,
    out: &mut Vec<crate::check::Violation>,
    check: impl FnOnce(&mut Vec<crate::check::Violation>),
) {
    let before = out.len();
    check(out);
    let when = quiet(|| rule.when.as_ref().and_then(|w| w.test(&env.scope).ok()));
    let result = if out.len() > before {
        RuleResult::Fail
    } else if when == Some(false) {
        RuleResult::NotApplicable
    } else {
        RuleResult::Pass
    };
    record_rule(TracedRule {
        id: rule.id.clone(),
        of: "mapping".into(),
        path,
        when,
        result,
    });
}

/// Record a schema rule's result (the schema rules' hook): `holds` is its
/// `when:` answer, `failed` whether it added a finding.
pub(crate) fn schema_rule(
    schema: &str,
    id: &str,
    has_when: bool,
    holds: Option<bool>,
    path: String,
    failed: bool,
) {
    let result = match (holds, failed) {
        (_, true) | (None, _) => RuleResult::Fail,
        (Some(false), false) => RuleResult::NotApplicable,
        (Some(true), false) => RuleResult::Pass,
    };
    record_rule(TracedRule {
        id: id.to_string(),
        of: schema.to_string(),
        path,
        when: holds.filter(|_| has_when),
        result,
    });
}

/// Record the row a `table(...)` call found (the tables' hook): on the
/// field being built, or on the trace when none is.
pub(crate) fn table_row(table: &crate::table::Table, input: &Map, row_line: Option<u32>) {
    let call = TracedTable {
        name: table.name.clone(),
        file: shown_path(&table.file),
        input: input.clone(),
        row_line,
        default: None,
    };
    TRACER.with(|t| {
        let mut t = t.borrow_mut();
        match t.open.iter().rev().find_map(|o| o.field) {
            Some(i) => t.fields[i].table_calls.push(call),
            None => t.tables.push(call),
        }
    });
}

/// `f` run with the flag down: what a hook works out again (a `when:`
/// tested again) is not itself recorded.
pub(crate) fn quiet<T>(f: impl FnOnce() -> T) -> T {
    ON.with(|on| on.set(false));
    let out = f();
    ON.with(|on| on.set(true));
    out
}

fn record_rule(r: TracedRule) {
    TRACER.with(|t| t.borrow_mut().rules.push(r));
}

/// The names `spec`'s own expression reads, each with its value.
fn reads_of(spec: &FieldSpec, scope: &Scope) -> Vec<TracedRead> {
    let expr: &Expr = match &spec.source {
        Source::Expr(e) | Source::PlainPath(e) => e,
        _ => return Vec::new(),
    };
    let mut out: Vec<TracedRead> = Vec::new();
    for read in expr.reads() {
        let (name, value) = read_value(&read.steps, scope);
        if !out.iter().any(|r| r.name == name) {
            out.push(TracedRead { name, value });
        }
    }
    out
}

/// A read's name (`job.ref`, `activities[].team`) and its value: through
/// an item step, the list of what each item holds there.
fn read_value(steps: &[Step], scope: &Scope) -> (String, Option<Value>) {
    let mut name = String::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Name(n) if i > 0 => {
                name.push('.');
                name.push_str(n);
            }
            Step::Name(n) => name.push_str(n),
            Step::Item => name.push_str("[]"),
        }
    }
    let value = match steps.split_first() {
        Some((Step::Name(first), rest)) => scope.get(first).and_then(|v| walk(v, rest)),
        _ => None,
    };
    (name, value)
}

fn walk(v: &Value, steps: &[Step]) -> Option<Value> {
    match steps.split_first() {
        None => Some(v.clone()),
        Some((Step::Name(n), rest)) => match v {
            Value::Object(m) => m.get(n).and_then(|v| walk(v, rest)),
            _ => None,
        },
        Some((Step::Item, rest)) => match v {
            Value::Array(items) => Some(Value::Array(
                items.iter().filter_map(|i| walk(i, rest)).collect(),
            )),
            _ => None,
        },
    }
}

fn traced_lookup(spec: &FieldSpec, env: &Env, subs: &[Value]) -> Option<TracedLookup> {
    let Source::Lookup { name, column, .. } = &spec.source else {
        return None;
    };
    let key = subs.first().cloned().unwrap_or(Value::Null);
    let lookup = env.data.lookup(name);
    let hit = lookup.is_some_and(|l| l.contains(&key));
    // On a miss the lookup's own default (its column), else the field's.
    let lookup_default = lookup
        .and_then(|l| l.default.as_ref())
        .map(|d| match column {
            Some(c) => d.get(c).cloned().unwrap_or(Value::Null),
            None => d.clone(),
        });
    Some(TracedLookup {
        name: name.clone(),
        key,
        hit,
        default: lookup_default
            .or_else(|| spec.default.clone())
            .filter(|_| !hit),
    })
}

fn traced_table(spec: &FieldSpec, env: &Env, subs: &[Value]) -> Option<TracedTable> {
    let Source::Table { name, inputs, .. } = &spec.source else {
        return None;
    };
    let input: Map = inputs
        .iter()
        .zip(subs.iter().chain(std::iter::repeat(&Value::Null)))
        .map(|((n, _), v)| (n.clone(), v.clone()))
        .collect();
    let table = env.data.table(name);
    let row_line = table
        .and_then(|t| t.decide(&input).ok().flatten())
        .map(|r| r.line);
    Some(TracedTable {
        name: name.clone(),
        file: table.map(|t| shown_path(&t.file)).unwrap_or_default(),
        default: spec.default.clone().filter(|_| row_line.is_none()),
        input,
        row_line,
    })
}

/// A file as shown: relative to the current folder when it lies below it.
fn shown_path(file: &std::path::Path) -> String {
    let here = std::env::current_dir().ok();
    let relative = here
        .as_deref()
        .and_then(|h| file.strip_prefix(h).ok())
        .unwrap_or(file);
    relative.display().to_string().replace('\\', "/")
}

// ---------------------------------------------------------------- the entry point

impl Prepared<'_> {
    /// Transform `record` and tell why it built what it built, field by
    /// field and rule by rule (`mapwright explain`). Secret params and the
    /// values at secret fields are shown as `(secret)`.
    pub fn trace(&self, record: &Value) -> Trace {
        let recording = Recording::start();
        let outcome = self.transform(record);
        drop(recording);
        let recorded = TRACER.with(|t| std::mem::take(&mut *t.borrow_mut()));
        let mut trace = Trace {
            mapping: self.mapping().name.clone(),
            layers: match self.mapping().layers.as_slice() {
                [_] | [] => Vec::new(),
                chain => chain.iter().map(|p| shown_path(p)).collect(),
            },
            lets: self.traced_lets(record),
            rules: recorded.rules,
            tables: recorded.tables,
            fields: recorded.fields,
            ..Trace::default()
        };
        let built = match &outcome {
            Outcome::Accepted { route, record, .. } => {
                self.mapping().route(route).map(|r| (&*r.target, record))
            }
            _ => None,
        };
        let mut redactor = self.redactor_for(record, built);
        self.hide_secret_fields(&trace.fields, &mut redactor);
        set_outcome(&mut trace, outcome);
        redact(&mut trace, &redactor);
        trace
    }

    fn traced_lets(&self, record: &Value) -> Vec<TracedLet> {
        let Value::Object(fields) = record else {
            return Vec::new();
        };
        let mut vars = crate::expr::Vars::default();
        vars.push("params", self.params());
        vars.push("root", record);
        let values = match self.lets(fields, &vars) {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => Map::new(),
        };
        self.mapping()
            .lets
            .iter()
            .map(|(name, _)| TracedLet {
                name: name.clone(),
                value: values.get(name).cloned(),
            })
            .collect()
    }

    /// The values built at secret target fields are hidden wherever they
    /// appear (a rejected record's built fields are in no outcome).
    fn hide_secret_fields(&self, fields: &[TracedField], redactor: &mut Redactor) {
        for route in &self.mapping().routes {
            for f in fields {
                let pattern: String = f
                    .path
                    .split('/')
                    .map(|s| match s.parse::<usize>() {
                        Ok(_) => "*",
                        Err(_) => s,
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                if crate::doc::target_field(&route.target, &pattern).is_some_and(|t| t.secret) {
                    if let Some(v) = &f.value {
                        redactor.add_value(v);
                    }
                }
            }
        }
    }
}

fn set_outcome(trace: &mut Trace, outcome: Outcome) {
    let (name, violations) = match outcome {
        Outcome::Accepted {
            route, warnings, ..
        } => {
            trace.route = Some(route);
            ("accepted", warnings)
        }
        Outcome::Rejected(errors) => ("rejected", errors),
        Outcome::Skipped(reason) => {
            trace.skipped = Some(reason);
            ("skipped", Vec::new())
        }
    };
    trace.outcome = name.into();
    trace.violations = violations
        .into_iter()
        .map(|v| TracedViolation {
            rule: v.rule,
            path: v.path,
            message: v.message,
            severity: v.severity.to_string(),
        })
        .collect();
}

/// Every secret in the trace replaced, values and text alike.
fn redact(trace: &mut Trace, redactor: &Redactor) {
    if redactor.is_empty() {
        return;
    }
    let Ok(mut value) = crate::value::to_value(&*trace) else {
        return;
    };
    redactor.redact_value(&mut value);
    if let Ok(hidden) = crate::value::from_value(value) {
        *trace = hidden;
    }
}

// ---------------------------------------------------------------- showing

impl Trace {
    /// The record was rejected.
    pub fn rejected(&self) -> bool {
        self.outcome == "rejected"
    }

    /// Keep only the fields at `filter` (a path with `*` for any list
    /// index, or a prefix of one).
    pub fn keep_fields(&mut self, filter: &str) {
        let wanted: Vec<&str> = filter
            .trim_end_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        self.fields.retain(|f| {
            let have: Vec<&str> = f.path.split('/').filter(|s| !s.is_empty()).collect();
            have.len() >= wanted.len()
                && wanted
                    .iter()
                    .zip(&have)
                    .all(|(w, h)| w == h || (*w == "*" && h.parse::<usize>().is_ok()))
        });
    }

    /// The trace as a person reads it.
    pub fn human(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "{}: {}", self.mapping, self.outcome);
        if let Some(route) = &self.route {
            let _ = write!(out, " (route {route})");
        }
        if let Some(reason) = &self.skipped {
            let _ = write!(out, ": {reason}");
        }
        out.push('\n');
        if !self.layers.is_empty() {
            let _ = writeln!(out, "layers: {}", self.layers.join(" -> "));
        }
        for v in &self.violations {
            let what = if v.severity == "warning" {
                "warning"
            } else {
                "rejected"
            };
            // A finding about the whole record has no path: no "at" then.
            let _ = match v.path.as_str() {
                "" => writeln!(out, "{what}: {}: {}", v.rule, v.message),
                path => writeln!(out, "{what}: {} at {path}: {}", v.rule, v.message),
            };
        }
        if !self.lets.is_empty() {
            out.push_str("\nlet:\n");
            for l in &self.lets {
                let _ = writeln!(out, "  {} = {}", l.name, shown_value(&l.value));
            }
        }
        if !self.tables.is_empty() {
            out.push_str("\ntables:\n");
            for t in &self.tables {
                let _ = writeln!(out, "  {}", table_call(t));
            }
        }
        if !self.rules.is_empty() {
            out.push_str("\nrules:\n");
            for r in &self.rules {
                let result = match r.result {
                    RuleResult::Pass => "pass",
                    RuleResult::Fail => "FAIL",
                    RuleResult::NotApplicable => "not applicable",
                };
                let when = r.when.map(|w| format!(" (when {w})")).unwrap_or_default();
                let at = if r.path.is_empty() { "/" } else { &r.path };
                let _ = writeln!(out, "  {result:<14} {} [{}] at {at}{when}", r.id, r.of);
            }
        }
        for f in &self.fields {
            human_field(&mut out, f, !self.layers.is_empty());
        }
        out
    }
}

/// One field for people; `layered`: the mapping has layers, so the layer
/// each field comes from is worth a line.
fn human_field(out: &mut String, f: &TracedField, layered: bool) {
    let _ = writeln!(out, "\n{}\n  from: {}\n  at:   {}", f.path, f.spec, f.at);
    if let (true, Some(layer)) = (layered, &f.layer) {
        let _ = writeln!(out, "  layer: {layer}");
    }
    for r in &f.reads {
        let _ = writeln!(out, "  read: {} = {}", r.name, shown_value(&r.value));
    }
    if let Some(l) = &f.lookup {
        let result = match (l.hit, &l.default) {
            (true, _) => "hit".to_string(),
            (false, Some(d)) => format!("miss, default {d}"),
            (false, None) => "miss".to_string(),
        };
        let _ = writeln!(out, "  lookup: {}[{}]: {result}", l.name, l.key);
    }
    if let Some(t) = &f.table {
        let row = match (t.row_line, &t.default) {
            (Some(line), _) => format!("row at {}:{line}", t.file),
            (None, Some(d)) => format!("no row, default {d}"),
            (None, None) => "no row".to_string(),
        };
        let _ = writeln!(
            out,
            "  table: {} {}: {row}",
            t.name,
            Value::Object(t.input.clone())
        );
    }
    for t in &f.table_calls {
        let _ = writeln!(out, "  table: {}", table_call(t));
    }
    if let Some(w) = f.when {
        let _ = writeln!(out, "  when: {w}");
    }
    if let Some(v) = &f.value {
        let _ = writeln!(out, "  value: {v}");
    }
    if f.omitted_blank {
        out.push_str("  omit_blank: left out (the value is blank)\n");
    }
    if let Some(e) = &f.error {
        let _ = writeln!(out, "  error: {e}");
    }
}

/// `status_matrix {"mode":"external",...}: row at schemas/pruvan/work_orders.yaml:40`.
fn table_call(t: &TracedTable) -> String {
    let row = match t.row_line {
        Some(line) => format!("row at {}:{line}", t.file),
        None => "no row".to_string(),
    };
    format!("{} {}: {row}", t.name, Value::Object(t.input.clone()))
}

fn shown_value(v: &Option<Value>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "(absent)".into(),
    }
}

/// Why the record asked for (`explain --line N`, the playground's
/// `"record": N`) was not found, or is no record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineError {
    /// The input has fewer lines.
    PastTheEnd {
        /// The line asked for.
        line: usize,
        /// The lines the input has.
        lines: usize,
    },
    /// JSON or XML documents hold fewer records.
    NoSuchRecord {
        /// The record asked for (1-based).
        record: usize,
        /// The records the input holds.
        records: usize,
    },
    /// Line or record 0 (both count from 1).
    Zero,
    /// The line is not a JSON record.
    NotJson {
        /// The line.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A line given for an input whose name says it is no NDJSON (CSV,
    /// XML, a JSON document), to [`record_to_trace`], which reads only
    /// NDJSON lines ([`crate::Prepared::unit_to_trace`] reads them all).
    NotNdjson {
        /// The format the name says (`CSV`).
        format: &'static str,
    },
    /// The input (given whole) cannot be read.
    Unreadable {
        /// What the reader said.
        message: String,
    },
    /// The JSON is not one record (an object): a list, a number...
    NotARecord {
        /// The line or record asked for, if one was.
        line: Option<usize>,
        /// What it is (`a list`).
        found: &'static str,
    },
    /// No row of a CSV input is on the line (the header's, or a blank one;
    /// a line past the end is [`LineError::PastTheEnd`]).
    NoRowOnLine {
        /// The line asked for.
        line: usize,
    },
    /// The CSV rows on the line form no unit: a row that cannot be read, a
    /// split group, a unit `input.csv.unit` cannot shape (a run rejects them).
    NoUnit {
        /// The line asked for.
        line: usize,
        /// The rule a run rejects them under.
        rule: String,
        /// Why.
        message: String,
    },
}

impl LineError {
    /// The message, naming the number asked for as the caller's user gave
    /// it: `--line` on the command line, `record` in the playground's API
    /// (a flag means nothing to an API caller).
    pub fn worded(&self, asked: &str) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match self {
            LineError::PastTheEnd { line, lines } => {
                format!("{asked} {line}: the input has {lines} line{}", plural(*lines))
            }
            LineError::NoSuchRecord { record, records } => format!(
                "{asked} {record}: the input has {records} record{}",
                plural(*records)
            ),
            LineError::Zero => format!("{asked} 0: lines and records count from 1"),
            LineError::NotJson { line, message } => format!(
                "line {line} is not a JSON record ({message}): an NDJSON input holds one JSON record a line"
            ),
            LineError::NotNdjson { format } => format!(
                "{asked} names a line of NDJSON (one JSON record a line), and this is {format}"
            ),
            LineError::Unreadable { message } => message.clone(),
            LineError::NotARecord { line, found } => {
                let at = line.map_or(String::new(), |n| format!("{asked} {n}: "));
                format!("{at}explain traces one record (a JSON object), found {found}: give one record, or name one with {asked} N")
            }
            LineError::NoRowOnLine { line: 1 } => format!(
                "{asked} 1: no row of the CSV input is on that line (line 1 is its header)"
            ),
            LineError::NoRowOnLine { line } => {
                format!("{asked} {line}: no row of the CSV input is on that line")
            }
            LineError::NoUnit {
                line,
                rule,
                message,
            } => format!("{asked} {line}: the rows there form no unit ({rule}): {message}"),
        }
    }
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.worded("record"))
    }
}

impl std::error::Error for LineError {}

/// The record `explain` traces from input `name`: the whole of `bytes`
/// (one JSON object), or with `line` that line of an NDJSON input. A
/// `line` for an input whose name says CSV, XML or JSON is
/// [`LineError::NotNdjson`]; JSON that is no object is
/// [`LineError::NotARecord`].
pub fn record_to_trace(name: &str, bytes: &[u8], line: Option<usize>) -> Result<Value, LineError> {
    use crate::read::InputFormat;
    let value = match line {
        None => crate::read::parse_json(bytes).map_err(|e| LineError::Unreadable {
            message: e.to_string(),
        })?,
        Some(n) => {
            let format = match InputFormat::from_name(name) {
                Some(InputFormat::Csv) => Some("CSV"),
                Some(InputFormat::Xml) => Some("XML"),
                Some(InputFormat::Json) => Some("a JSON document (.json)"),
                _ => None,
            };
            if let Some(format) = format {
                return Err(LineError::NotNdjson { format });
            }
            ndjson_line(bytes, n)?
        }
    };
    match &value {
        Value::Object(_) => Ok(value),
        other => Err(LineError::NotARecord {
            line,
            found: kind_of(other),
        }),
    }
}

/// What a value that is no record is, for a message.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "a list",
        Value::String(_) => "a text",
        Value::Number(_) => "a number",
        Value::Bool(_) => "true or false",
        Value::Object(_) => "a record",
        Value::Null => "null",
    }
}

/// The record on 1-based `line` of an NDJSON input (the line a rejects
/// file names).
pub fn ndjson_line(bytes: &[u8], line: usize) -> Result<Value, LineError> {
    if line == 0 {
        return Err(LineError::Zero);
    }
    let mut lines = bytes.split(|b| *b == b'\n');
    let count = bytes.split(|b| *b == b'\n').count() - usize::from(bytes.ends_with(b"\n"));
    match lines.nth(line - 1) {
        Some(text) if line <= count => {
            // The parser's position is within the line: its column only.
            crate::read::parse_json(text).map_err(|e| LineError::NotJson {
                line,
                message: match e.column {
                    Some(c) => format!("column {c}: {}", e.message),
                    None => e.message,
                },
            })
        }
        _ => Err(LineError::PastTheEnd { line, lines: count }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_past_the_end_says_how_many_there_are() {
        let text = b"{\"a\":1}\n{\"a\":2}\n";
        assert_eq!(ndjson_line(text, 2).unwrap(), crate::json!({"a": 2}));
        assert_eq!(
            ndjson_line(text, 3).unwrap_err().worded("--line"),
            "--line 3: the input has 2 lines"
        );
        assert_eq!(ndjson_line(text, 0).unwrap_err(), LineError::Zero);
    }

    #[test]
    fn the_flag_is_down_outside_a_trace() {
        assert!(!active());
        let r = Recording::start();
        assert!(active());
        drop(r);
        assert!(!active());
    }

    #[test]
    fn a_filter_with_a_star_keeps_every_item() {
        let field = |p: &str| TracedField {
            path: p.into(),
            spec: String::new(),
            at: String::new(),
            layer: None,
            when: None,
            reads: Vec::new(),
            lookup: None,
            table: None,
            table_calls: Vec::new(),
            value: None,
            omitted_blank: false,
            error: None,
        };
        let mut t = Trace {
            fields: vec![
                field("/a/0/b"),
                field("/a/1/b"),
                field("/a/1/c"),
                field("/d"),
            ],
            ..Trace::default()
        };
        t.keep_fields("/a/*/b");
        let kept: Vec<&str> = t.fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(kept, ["/a/0/b", "/a/1/b"]);
    }
}
