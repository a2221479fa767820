//! Report: what happened to every input record. Input records = accepted +
//! rejected + skipped, always; each rejection carries its original input and
//! every error.

use serde::Serialize;
use serde_json::Value;

use crate::check::Violation;

/// Where a unit came from: its file and its line (NDJSON, CSV) or record index (JSON).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct InputRef {
    /// The input file (`-` for stdin).
    pub file: String,
    /// 1-based line, for line-oriented inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based record index, for documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

/// A refused unit: its inputs verbatim and every error found. Written as
/// docs/design.md's rejects line: `{"file", "input": [line or index, ...],
/// "source": [record, ...], "errors": [{"rule", "path", "message"}]}`, with
/// `"warnings"` after the errors when there are any.
#[derive(Clone, Debug)]
pub struct Rejection {
    /// Where each input record came from.
    pub input: Vec<InputRef>,
    /// The original record(s) as read (the raw line when it did not parse).
    pub source: Vec<Value>,
    /// Every error.
    pub errors: Vec<Violation>,
}

/// A unit set aside on purpose: `{"file", "input": [...], "reason"}`.
#[derive(Clone, Debug)]
pub struct Skip {
    /// Where it came from.
    pub input: Vec<InputRef>,
    /// Why.
    pub reason: String,
}

impl InputRef {
    /// The line (line-oriented inputs) or record index (documents).
    pub fn position(&self) -> usize {
        self.line.or(self.index).unwrap_or(0)
    }
}

/// `"file"` and `"input"` (the lines or indices) of a rejects or report entry.
fn where_from<M: serde::ser::SerializeMap>(m: &mut M, input: &[InputRef]) -> Result<(), M::Error> {
    m.serialize_entry("file", input.first().map(|i| i.file.as_str()).unwrap_or(""))?;
    m.serialize_entry(
        "input",
        &input.iter().map(InputRef::position).collect::<Vec<_>>(),
    )
}

/// A finding as rejects and reports show it: rule, path, message.
struct Finding<'a>(&'a Violation);

impl Serialize for Finding<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("rule", &self.0.rule)?;
        m.serialize_entry("path", &self.0.path)?;
        m.serialize_entry("message", &self.0.message)?;
        m.end()
    }
}

impl Serialize for Rejection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (errors, warnings): (Vec<&Violation>, Vec<&Violation>) = self
            .errors
            .iter()
            .partition(|v| v.severity == crate::diag::Severity::Error);
        let mut m = s.serialize_map(None)?;
        where_from(&mut m, &self.input)?;
        m.serialize_entry("source", &self.source)?;
        m.serialize_entry(
            "errors",
            &errors.into_iter().map(Finding).collect::<Vec<_>>(),
        )?;
        if !warnings.is_empty() {
            m.serialize_entry(
                "warnings",
                &warnings.into_iter().map(Finding).collect::<Vec<_>>(),
            )?;
        }
        m.end()
    }
}

impl Serialize for Skip {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        where_from(&mut m, &self.input)?;
        m.serialize_entry("reason", &self.reason)?;
        m.end()
    }
}

/// A warning on an accepted unit: `{"file", "input", "rule", "path", "message"}`.
#[derive(Clone, Debug)]
pub struct Warning {
    /// Where the unit came from.
    pub input: Vec<InputRef>,
    /// The warning.
    pub warning: Violation,
}

impl Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(5))?;
        where_from(&mut m, &self.input)?;
        m.serialize_entry("rule", &self.warning.rule)?;
        m.serialize_entry("path", &self.warning.path)?;
        m.serialize_entry("message", &self.warning.message)?;
        m.end()
    }
}

/// The counts of a run.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Records read (lines, array elements, rows), including unreadable ones.
    pub input_records: usize,
    /// Units (a unit is one record, or a group of rows).
    pub units: usize,
    /// Units accepted.
    pub accepted: usize,
    /// Units rejected.
    pub rejected: usize,
    /// Units skipped on purpose.
    pub skipped: usize,
    /// Target records written (a route may build one record per unit).
    pub records_written: usize,
}

/// The JSON report of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The mapping's name.
    pub mapping: String,
    /// Counts.
    pub counts: Counts,
    /// Accepted units per route (for mappings with several outputs).
    pub routes: std::collections::BTreeMap<String, usize>,
    /// Rejected units per rule (a unit with several failing rules counts under each).
    pub rejected_by_rule: std::collections::BTreeMap<String, usize>,
    /// Every rejection (kept only when asked for: `--report`).
    pub rejections: Vec<Rejection>,
    /// Every skip and its reason.
    pub skips: Vec<Skip>,
    /// Warnings on accepted records.
    pub warnings: Vec<Warning>,
}

impl Report {
    /// A one-paragraph summary for a person (stderr).
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let mut s = format!(
            "{}: {} input records, {} units: {} accepted, {} rejected, {} skipped",
            self.mapping, c.input_records, c.units, c.accepted, c.rejected, c.skipped
        );
        if !self.warnings.is_empty() {
            s.push_str(&format!(" ({} warnings)", self.warnings.len()));
        }
        if !self.rejected_by_rule.is_empty() {
            let rules: Vec<String> = self
                .rejected_by_rule
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            s.push_str(&format!("\nrejected by rule: {}", rules.join(", ")));
        }
        s
    }
}
