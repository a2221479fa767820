//! Plain words for where a field's value comes from, for a reader who
//! does not write mappings. The expression is quoted as written beside
//! the words, so nothing is paraphrased away.

use crate::value::Value;

use crate::build::{Conversion, FieldSpec, Source};
use crate::expr::{to_text, Expr};
use crate::mapping::Mapping;
use crate::select::Skip;

/// A value as a reader sees it: text quoted, the rest as JSON.
pub(super) fn value(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "empty text".to_string(),
        Value::String(s) => format!("\"{s}\""),
        Value::Null => "nothing (null)".to_string(),
        v => v.to_string(),
    }
}

/// A value in a table cell: text bare.
pub(super) fn cell(v: &Value) -> String {
    to_text(v).into_owned()
}

/// Where `spec`'s value comes from, then what is done to it.
pub(super) fn source(m: &Mapping, spec: &FieldSpec) -> String {
    let mut text = origin(m, &spec.source);
    for step in steps(spec) {
        text.push_str("; ");
        text.push_str(&step);
    }
    text
}

fn origin(m: &Mapping, source: &Source) -> String {
    match source {
        Source::Const(v) => format!("always {}", value(v)),
        Source::Expr(e) => expression(m, e),
        Source::PlainPath(e) => format!("the source field at `{}`", e.source()),
        Source::Path(p, _) => format!("what the JSONPath `{p}` finds in the source"),
        Source::Template(name) => match m.templates.source(name) {
            Some(t) => format!("the text `{t}`, filled in from the record"),
            None => "a text template".to_string(),
        },
        Source::Lookup { name, key, column } => {
            let column = column
                .as_ref()
                .map(|c| format!(", its `{c}` column"))
                .unwrap_or_default();
            let layer = match m.layers.len() > 1 {
                true => m
                    .data
                    .lookup(name)
                    .map(|l| format!(", declared in {}", crate::doc::layer_name(m, &l.span.file)))
                    .unwrap_or_default(),
                false => String::new(),
            };
            format!(
                "looked up in `{name}` (see its Lookup{layer}) by {}{column}",
                noun(m, &key.source)
            )
        }
        Source::Table {
            name,
            inputs,
            output,
        } => {
            let inputs: Vec<String> = inputs
                .iter()
                .map(|(n, spec)| format!("{n} = {}", noun(m, &spec.source)))
                .collect();
            let output = match output {
                Some(o) => format!("its `{o}` output"),
                None => "all its outputs".to_string(),
            };
            format!(
                "{output} from decision table `{name}` (see its Decision table), given {}",
                inputs.join(", ")
            )
        }
        Source::Object(_) => "a record of the fields below".to_string(),
        Source::List { for_each, lets, .. } => {
            let lets = match lets.is_empty() {
                true => String::new(),
                false => format!(
                    ", each item first working out {}",
                    lets.iter()
                        .map(|(n, e)| format!("`{n}` = `{}`", e.source()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            format!("one entry for each item of `{}`{lets}", for_each.source())
        }
    }
}

/// The layer that declares the lookup `spec` reads, if it reads one: in
/// an overlay that swaps a lookup's file, the field's value changes there.
pub(super) fn lookup_layer<'m>(m: &'m Mapping, spec: &FieldSpec) -> Option<&'m std::path::Path> {
    match &spec.source {
        Source::Lookup { name, .. } => m.data.lookup(name).map(|l| l.span.file.as_path()),
        _ => None,
    }
}

/// An expression in words where it is a plain read, else quoted.
fn expression(m: &Mapping, e: &Expr) -> String {
    match (e.as_literal(), read(m, e)) {
        (Some(v), _) => format!("always {}", value(v)),
        (None, Some(Read::Source(what))) => format!("copied from {what}"),
        (None, Some(Read::Named(what))) => what,
        (None, None) => format!("worked out as `{}`", e.source()),
    }
}

/// A key or a table input, named rather than described.
fn noun(m: &Mapping, source: &Source) -> String {
    let Source::Expr(e) = source else {
        return origin(m, source);
    };
    match (e.as_literal(), read(m, e)) {
        (Some(v), _) => value(v),
        (None, Some(Read::Source(what) | Read::Named(what))) => what,
        (None, None) => format!("`{}`", e.source()),
    }
}

enum Read {
    /// A field of the source record.
    Source(String),
    /// A param or a `let:` value.
    Named(String),
}

/// What a plain read (`job.ref`, `params.x`, a `let:` name) reads.
fn read(m: &Mapping, e: &Expr) -> Option<Read> {
    let path = e.as_path()?;
    Some(match path.split_first() {
        Some((first, [name])) if first == "params" => {
            Read::Named(format!("the param `{name}` (see Params)"))
        }
        Some((first, [])) if m.lets.iter().any(|(n, _)| n == first) => Read::Named(format!(
            "the value `{first}` (see Before anything is built)"
        )),
        _ => Read::Source(format!("the source field `{}`", e.source())),
    })
}

/// What is done to a value after it is found, in the order the engine
/// does it (build.rs: default, round, format, truncate).
fn steps(spec: &FieldSpec) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = &spec.default {
        out.push(format!("when that is blank, {}", value(d)));
    }
    if spec.omit_blank {
        out.push("left out when blank".to_string());
    }
    if let Some(c) = &spec.convert {
        out.push(format!("read as {}", conversion(c)));
    }
    if let Some(r) = spec.round {
        out.push(format!("rounded to {r} places"));
    }
    if let Some(f) = &spec.number_format {
        out.push(format!("written with {} places", f.places));
    }
    if let Some(f) = &spec.format {
        out.push(format!("written as the date `{}`", f.as_str()));
    }
    if let Some(n) = spec.truncate {
        out.push(format!("cut to {n} characters"));
    }
    out
}

fn conversion(c: &Conversion) -> &'static str {
    match c {
        Conversion::Number => "a number",
        Conversion::Integer => "a whole number",
        Conversion::Bool => "true or false",
        Conversion::Text => "text",
    }
}

/// What happens when the field cannot be built: the rule a rejection
/// names and its message.
pub(super) fn on_failure(m: &Mapping, spec: &FieldSpec) -> Option<String> {
    let message = spec.message.as_ref().and_then(|t| m.templates.source(t));
    match (&spec.rule, message) {
        (Some(r), Some(msg)) => Some(format!("rejected as `{r}`: {msg}")),
        (Some(r), None) => Some(format!("rejected as `{r}`")),
        (None, Some(msg)) => Some(format!("rejected: {msg}")),
        (None, None) => None,
    }
}

/// A reason to skip a record.
pub(super) fn skip(m: &Mapping, s: &Skip) -> String {
    let when = match s.negate {
        true => format!("unless `{}`", s.when.source()),
        false => format!("when `{}`", s.when.source()),
    };
    let reason = match s.templated {
        true => m.templates.source(&s.reason).unwrap_or_default(),
        false => s.reason.clone(),
    };
    format!("A record is skipped {when}: {reason}")
}
