//! YAML with positions: mapping and schema files are read into a small tree
//! whose every node knows its line and column, so the loaders can report
//! every problem as `file:line:col` and keep going after the first.
//!
//! serde-saphyr does the parsing (serde_yaml is archived); we read into our
//! own tree rather than straight into structs because field specs take
//! several shapes (`= expr`, a constant, a map) and untagged enums would lose
//! the positions we need for diagnostics.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, Diagnostics, Severity, Span};
use crate::file_format::Section;

/// A YAML value.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Node, Node)>),
}

/// A YAML value and where it stands.
#[derive(Clone, Debug)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The file the node was written in, when it differs from the file
    /// being loaded: a layered mapping (`extends:`) merges nodes of several
    /// files into one tree, and each keeps its own file for diagnostics.
    pub file: Option<Arc<Path>>,
}

impl Node {
    /// The node's text if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries if the node is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items if the node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A scalar as text (numbers and booleans printed), for places that take text.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => None,
            _ => None,
        }
    }

    /// A short name of the node's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "text",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Convert to JSON (constants in mappings, inline test payloads).
    pub fn to_json(&self) -> crate::value::Value {
        use crate::value::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar_text().unwrap_or_default(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

struct Raw(Node);

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<RawValue>::deserialize(d)?;
        Ok(Raw(Node {
            value: spanned.value.0,
            line: spanned.referenced.line() as u32,
            column: spanned.referenced.column() as u32,
            file: None,
        }))
    }
}

struct RawValue(Value);

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue(Value::Null))
    }
    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue(Value::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue(Value::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(RawValue(
            i64::try_from(v)
                .map(Value::Int)
                .unwrap_or(Value::Float(v as f64)),
        ))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue(Value::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue(Value::Str(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue(Value::Str(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(Raw(n)) = a.next_element()? {
            items.push(n);
        }
        Ok(RawValue(Value::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(Raw(k)) = a.next_key()? {
            let Raw(v) = a.next_value()?;
            entries.push((k, v));
        }
        Ok(RawValue(Value::Map(entries)))
    }
}

/// Parse YAML text from `path` into a tree, or one diagnostic saying where it broke.
pub fn parse(path: &Path, text: &str) -> Result<Node, Diagnostic> {
    // YAML 1.1 reads `N`, `Y`, `no`, `on` as booleans and `000100` as the
    // number 100; vendor codes look exactly like that (Spectrum's
    // Detail_Entry_Type N, Phase_Code 000100), so both are kept as text.
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.underscored_numbers_as_strings = true;
    match serde_saphyr::from_str_with_options::<Raw>(text, options) {
        Ok(Raw(node)) => Ok(node),
        Err(e) => {
            let (line, column) = e
                .location()
                .map(|l| (l.line() as u32, l.column() as u32))
                .unwrap_or((0, 0));
            // The crate's message is "error: line L column C: reason" and then a
            // source excerpt; the diagnostic has the place, so keep the reason.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let reason = match first.split_once(": ") {
                Some((place, rest)) if place.starts_with("line ") => rest,
                _ => first,
            };
            let reason = match reason.strip_prefix("duplicate mapping key: ") {
                // The crate's advice is about its own options; ours is to remove the duplicate.
                Some(rest) => format!(
                    "duplicate key '{}'",
                    rest.split(", set ").next().unwrap_or(rest)
                ),
                None if reason.trim().is_empty() => "not valid YAML".to_string(),
                None => reason.trim().to_string(),
            };
            Err(Diagnostic::error(
                Span {
                    file: path.to_path_buf(),
                    line,
                    column,
                },
                "yaml",
                reason,
            ))
        }
    }
}

/// Reads the keys of one YAML mapping, complaining once about each key that
/// is not in its section of the file-format table (file_format/tables.rs).
/// Loaders call `take` for each key they read, then `finish`.
pub struct Fields<'a> {
    file: &'a Path,
    node: &'a Node,
    section: &'static Section,
}

impl<'a> Fields<'a> {
    /// Start reading `node`, which must be a mapping with the keys of
    /// `section`; if it is not a mapping, the diagnostic says what `what`
    /// should have been.
    pub(crate) fn new(
        file: &'a Path,
        node: &'a Node,
        what: &str,
        section: &'static Section,
        diags: &mut Diagnostics,
    ) -> Option<Fields<'a>> {
        if node.as_map().is_none() {
            diags.push(Diagnostic::error(
                span(file, node),
                "wrong-shape",
                format!("{what} must be a mapping, found {}", node.kind()),
            ));
            return None;
        }
        Some(Fields {
            file,
            node,
            section,
        })
    }

    /// The value of a key of the section, if present.
    pub fn take(&mut self, key: &str) -> Option<&'a Node> {
        // A loader reading a key its section does not list would accept
        // what the JSON Schema and the docs refuse.
        debug_assert!(
            self.section.has(key),
            "key '{key}' is not in section '{}' of file_format/tables.rs",
            self.section.id
        );
        self.node.get(key)
    }

    /// Report each key that is not in the section as `unknown-key`, naming the known ones.
    pub fn finish(self, what: &str, diags: &mut Diagnostics) {
        self.finish_near(what, &[], diags);
    }

    /// As [`Fields::finish`], suggesting also the keys `near` (valid here in
    /// another form: `for_each` in a spec that has `record:`).
    pub fn finish_near(self, what: &str, near: &[&str], diags: &mut Diagnostics) {
        for (k, _) in self.node.as_map().unwrap_or(&[]) {
            let name = k.scalar_text().unwrap_or_default();
            if !self.section.has(&name) {
                let mut known: Vec<&str> = self.section.names().collect();
                known.extend_from_slice(near);
                // The help line: the near key, or else every key allowed here.
                let help = crate::diag::near_help(&name, known).unwrap_or_else(|| {
                    format!(
                        "expected one of: {}",
                        self.section.names().collect::<Vec<_>>().join(", ")
                    )
                });
                diags.push(
                    Diagnostic::error(
                        span(self.file, k),
                        "unknown-key",
                        format!("unknown key '{name}' in {what}"),
                    )
                    .with_help(help),
                );
            }
        }
    }
}

/// A rule's `severity:` (`error`, the default, or `warning`); any other
/// value is an `unknown-value` error on its own line.
pub(crate) fn severity(file: &Path, node: Option<&Node>, diags: &mut Diagnostics) -> Severity {
    let Some(node) = node else {
        return Severity::Error;
    };
    match node.as_str() {
        Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        _ => {
            let shown = node.scalar_text().unwrap_or_else(|| "that".to_string());
            diags.push(
                Diagnostic::error(
                    span(file, node),
                    "unknown-value",
                    format!("severity '{shown}' must be error or warning"),
                )
                .with_help("write `severity: warning` for a finding that does not reject"),
            );
            Severity::Error
        }
    }
}

/// The span of a node in `file` (or in its own file, for a node merged in
/// from another layer).
pub fn span(file: &Path, node: &Node) -> Span {
    Span {
        file: file_of(file, node).to_path_buf(),
        line: node.line,
        column: node.column,
    }
}

/// The file `node` was written in: its own, or else `file`.
pub fn file_of<'a>(file: &'a Path, node: &'a Node) -> &'a Path {
    node.file.as_deref().unwrap_or(file)
}

/// Mark `node` and everything under it that has no file yet as written in `file`.
pub(crate) fn tag(node: &mut Node, file: &Arc<Path>) {
    if node.file.is_none() {
        node.file = Some(file.clone());
    }
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| tag(n, file)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            tag(k, file);
            tag(v, file);
        }),
        _ => {}
    }
}
