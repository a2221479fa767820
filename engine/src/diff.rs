//! Diff: two prepared mappings over the same records, compared record by
//! record. The inputs are read once, the way the OLD mapping reads them
//! (its `select:`, its `input.csv` grouping); each unit is transformed by
//! both mappings (a CSV group is shaped by each mapping's own
//! `input.csv.unit`), and the two outcomes are compared at once and
//! forgotten: memory holds one unit at a time (plus what the engine's CSV
//! grouping itself holds for an unsorted file).
//!
//! Because both sides see the very same unit, records are matched by their
//! place in the input; a `--key` expression (over the input record: the
//! first row of a CSV group) names each record instead. Keys are expected
//! to be unique within an input: a key already seen among the last
//! [`KEY_WINDOW`] records of the same input is reported as out of step (the
//! window keeps memory bounded; a repeat further back is not noticed).
//!
//! What is shown for people never holds a secret: values pass through the
//! same redaction as the rejects (the secret params, and the values at the
//! secret fields of the input and of both built records).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;

use crate::value::Value;
use serde::Serialize;

use crate::check::Violation;
use crate::convert::{ConvertError, Input};
use crate::diag::Severity;
use crate::expr::{Expr, Scope};
use crate::literal::SourceLiterals;
use crate::mapping::{Mapping, Outcome, Prepared};
use crate::params::Params;
use crate::read::{parse_xml, InputFormat, NdjsonReader};
use crate::redact::Redactor;
use crate::schema::Format;
use crate::select::records_of;

/// How many earlier keys of one input are kept to notice a key out of step.
pub const KEY_WINDOW: usize = 4096;

/// Options of a diff.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Input format; guessed per input from its name and first bytes when `None`.
    pub input_format: Option<InputFormat>,
    /// An expression over the input record that names each record.
    pub key: Option<String>,
}

/// One record whose outcomes differ.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordDiff {
    /// The input's name.
    pub input: String,
    /// The record's place in its input (1-based, in units read).
    pub position: usize,
    /// The line it starts on, when the format has lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The `--key` value (secrets hidden).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    /// The outcomes, when they differ (accepted by one and rejected by the
    /// other, other rules, another route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeChange>,
    /// The fields that differ, when both accepted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

/// What each mapping did with the record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutcomeChange {
    /// The old mapping's verdict.
    pub old: Verdict,
    /// The new mapping's verdict.
    pub new: Verdict,
}

/// One mapping's verdict on a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// Accepted, by this route.
    Accepted {
        /// The route's name.
        route: String,
    },
    /// Rejected, by these rules (sorted, each once) and their messages.
    Rejected {
        /// The rule ids of the errors.
        rules: Vec<String>,
        /// Each error, `rule at path: message`.
        messages: Vec<String>,
    },
    /// Skipped, for this reason.
    Skipped {
        /// The reason.
        reason: String,
    },
}

impl Verdict {
    fn of(outcome: &Outcome) -> Verdict {
        match outcome {
            Outcome::Accepted { route, .. } => Verdict::Accepted {
                route: route.clone(),
            },
            Outcome::Rejected(errors) => {
                let errors: Vec<&Violation> = errors
                    .iter()
                    .filter(|e| e.severity == Severity::Error)
                    .collect();
                let mut rules: Vec<String> = errors.iter().map(|e| e.rule.clone()).collect();
                rules.sort();
                rules.dedup();
                let messages = errors
                    .iter()
                    .map(|e| match e.path.as_str() {
                        "" => format!("{}: {}", e.rule, e.message),
                        path => format!("{} at {path}: {}", e.rule, e.message),
                    })
                    .collect();
                Verdict::Rejected { rules, messages }
            }
            Outcome::Skipped(reason) => Verdict::Skipped {
                reason: reason.clone(),
            },
        }
    }

    /// The same verdict for the purpose of a diff: the same status, route,
    /// rules or reason (messages may differ in wording only).
    fn same(&self, other: &Verdict) -> bool {
        match (self, other) {
            (Verdict::Rejected { rules: a, .. }, Verdict::Rejected { rules: b, .. }) => a == b,
            _ => self == other,
        }
    }

    fn hide(&mut self, redactor: &Redactor) {
        match self {
            Verdict::Accepted { .. } => {}
            Verdict::Rejected { messages, .. } => {
                for m in messages {
                    *m = redactor.redact(m).into_owned();
                }
            }
            Verdict::Skipped { reason } => *reason = redactor.redact(reason).into_owned(),
        }
    }

    /// `accepted`, `rejected` or `skipped`.
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Accepted { .. } => "accepted",
            Verdict::Rejected { .. } => "rejected",
            Verdict::Skipped { .. } => "skipped",
        }
    }
}

/// A field that differs between the two built records.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// A JSON pointer into the target record (`/poDetails/0/Item_Price`).
    pub path: String,
    /// The old value; absent when the new mapping added the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value; absent when the new mapping removed the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

impl Change {
    /// `added`, `removed` or `changed`.
    pub fn kind(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        }
    }
}

/// A key seen again among the recent records of the same input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyOutOfStep {
    /// The input's name.
    pub input: String,
    /// The record's place in its input.
    pub position: usize,
    /// The key (secrets hidden).
    pub key: Value,
    /// The place of the earlier record with the same key.
    pub first_at: usize,
}

/// The counts of a whole diff.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DiffSummary {
    /// Records compared.
    pub compared: usize,
    /// Records both mappings treated alike.
    pub identical: usize,
    /// Records that differ in any way.
    pub changed: usize,
    /// Accepted by the old mapping, rejected by the new.
    pub accepted_to_rejected: usize,
    /// Rejected by the old mapping, accepted by the new.
    pub rejected_to_accepted: usize,
    /// Other changes of verdict (rules, routes, skips).
    pub other_outcome_changes: usize,
    /// Keys seen again out of step (with `--key`).
    pub keys_out_of_step: usize,
    /// Per field path, how many records changed it.
    pub fields: BTreeMap<String, usize>,
}

/// Where a diff's findings go, as they are found.
pub trait DiffSink {
    /// A record that differs.
    fn record(&mut self, diff: &RecordDiff) -> io::Result<()>;
    /// A key seen again out of step.
    fn key_out_of_step(&mut self, _note: &KeyOutOfStep) -> io::Result<()> {
        Ok(())
    }
}

/// Run `old` and `new` over `inputs` and hand each difference to `sink`.
/// Errors: [`crate::Error::Key`] for a `key` that does not compile or
/// reads a name neither mapping's source schema has,
/// [`crate::Error::Read`] and [`crate::Error::Malformed`] for an input that
/// cannot be read, [`crate::Error::Write`] when the sink fails.
pub fn diff(
    old: &Prepared,
    new: &Prepared,
    inputs: Vec<Input>,
    options: &DiffOptions,
    sink: &mut dyn DiffSink,
) -> Result<DiffSummary, crate::Error> {
    let key = match &options.key {
        // `= expr`, as in a mapping, or the bare expression.
        Some(source) => Some(
            Expr::compile(
                source.trim_start().trim_start_matches('=').trim_start(),
                &[],
            )
            .map_err(|e| crate::Error::Key(format!("--key {source}: {e}")))?,
        ),
        None => None,
    };
    let both = [old.mapping(), new.mapping()];
    let key_names = |key: Option<&Expr>, format: InputFormat| {
        let miss = crate::resolve::unknown_key_read(key?, &both, format)?;
        let source = options.key.as_deref().unwrap_or_default();
        Some(crate::Error::Key(format!(
            "--key {source}: {miss}; the key is read from the input record, with the source schema's names"
        )))
    };
    let mut run = Run {
        old,
        new,
        key,
        sink,
        summary: DiffSummary::default(),
        recent: Recent::default(),
    };
    for input in inputs {
        run.recent = Recent::default();
        let name = input.name.clone();
        let opened = crate::read::open_input(&name, options.input_format, input.reader)
            .map_err(|e| ConvertError::Read(name.to_string(), e))?;
        let Some((format, reader)) = opened else {
            continue;
        };
        // A misspelt name would read as () in every record, and every
        // record would be out of step: say so before any is read.
        if let Some(e) = key_names(run.key.as_ref(), format) {
            return Err(e);
        }
        read_units(old, &name, format, reader, &mut |place, unit| {
            run.compare(&name, place, unit)
        })
        .map_err(crate::Error::from)?;
    }
    Ok(run.summary)
}

/// Prepare both mappings of a diff with one set of params: each gets the
/// params it declares (an overlay may add one the base does not have), and
/// a name neither declares is an error, with the nearest name.
pub fn prepare_pair<'m>(
    old: &'m Mapping,
    new: &'m Mapping,
    params: &Params,
) -> Result<(Prepared<'m>, Prepared<'m>), crate::Error> {
    let declares = |m: &Mapping, name: &str| m.params.iter().any(|p| p.name == name);
    if params
        .given
        .iter()
        .any(|(k, _)| !declares(old, k) && !declares(new, k))
    {
        // The old mapping's own message names the nearest param.
        old.prepare(params)?;
    }
    let only = |m: &Mapping| Params {
        given: params
            .given
            .iter()
            .filter(|(k, _)| declares(m, k))
            .cloned()
            .collect(),
    };
    Ok((old.prepare(&only(old))?, new.prepare(&only(new))?))
}

/// One unit as read, before either mapping shapes it.
enum Unit {
    /// A record, with the literals of its numbers.
    Record(Value, SourceLiterals),
    /// The rows of a CSV group.
    Rows(Vec<Value>),
    /// Text that is no record: both mappings reject it alike.
    Unreadable,
}

/// Where a unit was read: its place and first line.
type Place = (usize, Option<usize>);

type Each<'e> = dyn FnMut(Place, Unit) -> Result<(), ConvertError> + 'e;

/// Read the units of one input as `mapping` reads them, one at a time.
fn read_units(
    mapping: &Prepared,
    name: &str,
    format: InputFormat,
    mut reader: Box<dyn io::BufRead + Send + '_>,
    each: &mut Each,
) -> Result<(), ConvertError> {
    let m = mapping.mapping();
    let mut position = 0;
    let mut next = |line: Option<usize>| {
        position += 1;
        (position, line)
    };
    match format {
        InputFormat::Ndjson => {
            let mut lines = NdjsonReader::new(reader);
            while let Some(line) = lines.next_raw() {
                let (number, bytes) = line.map_err(|e| ConvertError::Read(name.to_string(), e))?;
                let unit = match crate::read::parse_line(number, bytes).into_record(bytes) {
                    Ok((v, literals)) => Unit::Record(v, literals),
                    Err(_) => Unit::Unreadable,
                };
                each(next(Some(number)), unit)?;
            }
        }
        InputFormat::Json => {
            let streamable = match &m.select {
                Some(s) => s.streamable(),
                None => Some(Vec::new()),
            };
            match streamable {
                Some(path) => {
                    let mut failed = None;
                    let read = crate::jsonstream::stream_json_records(
                        &mut reader,
                        &path,
                        false,
                        &mut |piece| {
                            let unit = match piece {
                                crate::jsonstream::Piece::Record(record, literals, _) => {
                                    Unit::Record(record, literals)
                                }
                                // A broken element is one unreadable record,
                                // as convert counts it.
                                crate::jsonstream::Piece::Broken(..) => Unit::Unreadable,
                            };
                            match each(next(None), unit) {
                                Ok(()) => true,
                                Err(e) => {
                                    failed = Some(e);
                                    false
                                }
                            }
                        },
                    );
                    if let Some(e) = failed {
                        return Err(e);
                    }
                    if let Err(crate::jsonstream::Unstreamed::Io(_)) = read {
                        each(next(None), Unit::Unreadable)?;
                    }
                }
                None => {
                    let mut bytes = Vec::new();
                    reader
                        .read_to_end(&mut bytes)
                        .map_err(|e| ConvertError::Read(name.to_string(), e))?;
                    // A document that does not parse is one unreadable
                    // record, as convert counts it.
                    let Ok(docs) = crate::read::parse_json_documents(&bytes) else {
                        return each(next(None), Unit::Unreadable);
                    };
                    for doc in docs {
                        for record in records_of(doc, m.select.as_ref()) {
                            each(next(None), Unit::Record(record, SourceLiterals::default()))?;
                        }
                    }
                }
            }
        }
        InputFormat::Xml => {
            let mut text = String::new();
            reader
                .read_to_string(&mut text)
                .map_err(|e| ConvertError::Read(name.to_string(), e))?;
            let Ok((_, tree)) = parse_xml(&text) else {
                return each(next(None), Unit::Unreadable);
            };
            let record = match &m.source {
                Some(s) if s.format == Format::Xml => s.record_from_xml(tree),
                _ => tree,
            };
            each(next(None), Unit::Record(record, SourceLiterals::default()))?;
        }
        InputFormat::Csv => crate::group::csv_items(
            &m.csv,
            crate::group::Grouping::default(),
            mapping.params(),
            name,
            reader,
            |item| match item {
                crate::group::Item::Group(refs, rows) => {
                    let line = refs.first().and_then(|r| r.line);
                    let (rows, _) = rows.values();
                    each(next(line), Unit::Rows(rows))
                }
                crate::group::Item::Bad(refs, ..) => {
                    let line = refs.first().and_then(|r| r.line);
                    each(next(line), Unit::Unreadable)
                }
            },
        )?,
    }
    Ok(())
}

/// The last keys of one input, for noticing a key out of step.
#[derive(Default)]
struct Recent {
    order: VecDeque<String>,
    at: HashMap<String, usize>,
}

impl Recent {
    /// The place of an earlier record with `key`, and remember this one.
    fn seen(&mut self, key: String, position: usize) -> Option<usize> {
        if let Some(first) = self.at.get(&key) {
            return Some(*first);
        }
        if self.order.len() == KEY_WINDOW {
            if let Some(old) = self.order.pop_front() {
                self.at.remove(&old);
            }
        }
        self.order.push_back(key.clone());
        self.at.insert(key, position);
        None
    }
}

struct Run<'a, 'm> {
    old: &'a Prepared<'m>,
    new: &'a Prepared<'m>,
    key: Option<Expr>,
    sink: &'a mut dyn DiffSink,
    summary: DiffSummary,
    recent: Recent,
}

impl Run<'_, '_> {
    fn compare(&mut self, name: &str, place: Place, unit: Unit) -> Result<(), ConvertError> {
        self.summary.compared += 1;
        let (input, old, new) = match unit {
            Unit::Unreadable => {
                self.summary.identical += 1;
                return Ok(());
            }
            Unit::Record(record, literals) => {
                let old = self.old.transform_read(&record, &literals);
                let new = self.new.transform_read(&record, &literals);
                (record, old, new)
            }
            Unit::Rows(rows) => {
                // One list of the group's rows, read by both mappings.
                let rows = Value::Array(rows);
                let old = transform_rows(self.old, &rows);
                let new = transform_rows(self.new, &rows);
                let first = match rows {
                    Value::Array(rows) => rows.into_iter().next(),
                    _ => None,
                };
                (first.unwrap_or(Value::Null), old, new)
            }
        };
        let redactor = self.redactor(&input, &old, &new);
        let key = self.key_of(&input, &redactor);
        if let Some(key) = &key {
            let text = key.to_string();
            if let Some(first_at) = self.recent.seen(text, place.0) {
                self.summary.keys_out_of_step += 1;
                let note = KeyOutOfStep {
                    input: name.to_string(),
                    position: place.0,
                    key: key.clone(),
                    first_at,
                };
                self.sink
                    .key_out_of_step(&note)
                    .map_err(ConvertError::Write)?;
            }
        }
        let mut found = RecordDiff {
            input: name.to_string(),
            position: place.0,
            line: place.1,
            key,
            outcome: None,
            changes: Vec::new(),
        };
        let (mut before, mut after) = (Verdict::of(&old), Verdict::of(&new));
        // A mapping of one record has one route, named after the mapping:
        // an overlay under another name takes the same route.
        let single = |p: &Prepared| p.mapping().routes.len() == 1;
        if let (Verdict::Accepted { route: a }, Verdict::Accepted { route: b }) =
            (&before, &mut after)
        {
            if single(self.old) && single(self.new) {
                b.clone_from(a);
            }
        }
        if !before.same(&after) {
            before.hide(&redactor);
            after.hide(&redactor);
            self.count_verdicts(&before, &after);
            found.outcome = Some(OutcomeChange {
                old: before,
                new: after,
            });
        } else if let (Outcome::Accepted { record: a, .. }, Outcome::Accepted { record: b, .. }) =
            (&old, &new)
        {
            changes(a, b, &mut String::new(), &mut found.changes);
            for change in &mut found.changes {
                // A path may hold a secret too (a key copied from one).
                change.path = redactor.redact(&change.path).into_owned();
                *self.summary.fields.entry(change.path.clone()).or_default() += 1;
                for v in [&mut change.old, &mut change.new].into_iter().flatten() {
                    redactor.redact_value(v);
                }
            }
        }
        if found.outcome.is_none() && found.changes.is_empty() {
            self.summary.identical += 1;
            return Ok(());
        }
        self.summary.changed += 1;
        self.sink.record(&found).map_err(ConvertError::Write)
    }

    fn count_verdicts(&mut self, before: &Verdict, after: &Verdict) {
        match (before, after) {
            (Verdict::Accepted { .. }, Verdict::Rejected { .. }) => {
                self.summary.accepted_to_rejected += 1
            }
            (Verdict::Rejected { .. }, Verdict::Accepted { .. }) => {
                self.summary.rejected_to_accepted += 1
            }
            _ => self.summary.other_outcome_changes += 1,
        }
    }

    /// What hides the secrets of this record: both mappings' secret params,
    /// and the secret fields of the input and of what each built.
    fn redactor(&self, input: &Value, old: &Outcome, new: &Outcome) -> Redactor {
        let mut redactor = Redactor::default();
        for (prepared, outcome) in [(self.old, old), (self.new, new)] {
            let built = match outcome {
                Outcome::Accepted { route, record, .. } => prepared
                    .mapping()
                    .route(route)
                    .map(|r| (&*r.target, record)),
                _ => None,
            };
            redactor.merge(&prepared.redactor_for(input, built));
        }
        redactor
    }

    /// The record's key, or the error's message when the key cannot be
    /// computed for it (shown as the key: the record is still compared).
    fn key_of(&self, input: &Value, redactor: &Redactor) -> Option<Value> {
        let key = self.key.as_ref()?;
        let mut value = match key.eval(&Scope::of(input.as_object())) {
            Ok(v) => v,
            Err(e) => Value::String(format!("(no key: {e})")),
        };
        redactor.redact_value(&mut value);
        Some(value)
    }
}

/// One mapping's outcome for the rows of a CSV group (a list): shaped by its own
/// `input.csv.unit` (or the first row, without one), then transformed.
fn transform_rows(prepared: &Prepared, rows: &Value) -> Outcome {
    match prepared.shape(rows) {
        Ok(Some(unit)) => prepared.transform(&unit),
        Ok(None) => prepared.transform(rows.get(0).unwrap_or(&Value::Null)),
        Err(errors) => Outcome::Rejected(errors),
    }
}

/// The differences between `old` and `new` under `path`, a JSON pointer.
fn changes(old: &Value, new: &Value, path: &mut String, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let len = path.len();
                push_token(path, k);
                match b.get(k) {
                    Some(w) => changes(v, w, path, out),
                    None => out.push(change(path, Some(v), None)),
                }
                path.truncate(len);
            }
            for (k, w) in b.iter().filter(|(k, _)| !a.contains_key(k)) {
                let len = path.len();
                push_token(path, k);
                out.push(change(path, None, Some(w)));
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                match (a.get(i), b.get(i)) {
                    (Some(v), Some(w)) => changes(v, w, path, out),
                    (v, w) => out.push(change(path, v, w)),
                }
                path.truncate(len);
            }
        }
        (a, b) if a != b => out.push(change(path, Some(a), Some(b))),
        _ => {}
    }
}

fn change(path: &str, old: Option<&Value>, new: Option<&Value>) -> Change {
    Change {
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
        old: old.cloned(),
        new: new.cloned(),
    }
}

/// One reference token of a JSON pointer (RFC 6901: `~` as `~0`, `/` as `~1`).
fn push_token(path: &mut String, key: &str) {
    path.push('/');
    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn diffs(a: Value, b: Value) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        changes(&a, &b, &mut String::new(), &mut out);
        out.iter().map(|c| (c.path.clone(), c.kind())).collect()
    }

    #[test]
    fn fields_added_removed_and_changed_by_pointer() {
        let found = diffs(
            json!({"a": 1, "b": {"c": "x", "d/e": 2}, "l": [1, 2]}),
            json!({"a": 1, "b": {"c": "y", "d/e": 2, "f~": true}, "l": [1]}),
        );
        assert_eq!(
            found,
            vec![
                ("/b/c".to_string(), "changed"),
                ("/b/f~0".to_string(), "added"),
                ("/l/1".to_string(), "removed"),
            ]
        );
    }

    #[test]
    fn a_change_of_type_is_one_change_at_its_path() {
        assert_eq!(
            diffs(json!({"a": {"b": 1}}), json!({"a": [1]})),
            vec![("/a".to_string(), "changed")]
        );
        assert!(diffs(json!({"a": [1, {"b": 2}]}), json!({"a": [1, {"b": 2}]})).is_empty());
    }

    #[test]
    fn a_key_repeated_within_the_window_is_out_of_step() {
        let mut recent = Recent::default();
        assert_eq!(recent.seen("a".into(), 1), None);
        assert_eq!(recent.seen("b".into(), 2), None);
        assert_eq!(recent.seen("a".into(), 3), Some(1));
        for i in 0..KEY_WINDOW {
            recent.seen(format!("k{i}"), 10 + i);
        }
        // "a" has left the window: memory stays bounded.
        assert_eq!(recent.seen("a".into(), 99_999), None);
    }

    #[test]
    fn verdicts_differ_by_rules_not_by_wording() {
        let rejected = |rule: &str, message: &str| {
            Verdict::of(&Outcome::Rejected(vec![Violation {
                rule: rule.into(),
                path: String::new(),
                message: message.into(),
                severity: Severity::Error,
            }]))
        };
        assert!(rejected("r", "one").same(&rejected("r", "two")));
        assert!(!rejected("r", "one").same(&rejected("s", "one")));
    }
}
