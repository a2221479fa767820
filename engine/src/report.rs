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

/// A refused unit: its inputs verbatim and every error found.
#[derive(Clone, Debug, Serialize)]
pub struct Rejection {
    /// Where each input record came from.
    pub input: Vec<InputRef>,
    /// The original record(s) as read (the raw line when it did not parse).
    pub source: Vec<Value>,
    /// Every error.
    pub errors: Vec<Violation>,
}

/// A unit set aside on purpose.
#[derive(Clone, Debug, Serialize)]
pub struct Skip {
    /// Where it came from.
    pub input: Vec<InputRef>,
    /// Why.
    pub reason: String,
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
    /// Warnings on accepted records: (input, warning).
    pub warnings: Vec<(Vec<InputRef>, Violation)>,
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
