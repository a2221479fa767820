//! Report: what happened to every input record. Input records = accepted +
//! rejected + skipped, always; each rejection carries its original input and
//! every error.

use crate::value::Value;
use serde::Serialize;

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
/// `"warnings"` after the errors when there are any. Rows read from lines
/// (CSV, XML) add `"lines"` (every physical line the unit spans) and
/// `"raw"` (the text of each record as read); where that text, or an
/// unreadable line in `"source"`, is not UTF-8 it is base64, and
/// `"source_encoding": "base64"` says so.
#[derive(Clone, Debug)]
pub struct Rejection {
    /// Where each input record came from.
    pub input: Vec<InputRef>,
    /// The original record(s) as read.
    pub source: Source,
    /// The bytes of each input record as read, with its lines (CSV, XML).
    pub raw: Vec<RawLines>,
    /// Every error.
    pub errors: Vec<Violation>,
}

/// What a rejection holds of its input records.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Source {
    /// The records as values (documents, CSV rows).
    Values(Vec<Value>),
    /// One JSON line, verbatim: numbers keep the digits they were written
    /// with (18446744073709551616 is not rounded to a float).
    Verbatim(Box<serde_json::value::RawValue>),
    /// A line that could not be read as a record: its bytes.
    Unreadable(Vec<u8>),
}

impl Source {
    /// One JSON line as written, or its value when the text cannot be kept.
    pub fn verbatim(line: &[u8], value: Value) -> Source {
        std::str::from_utf8(line.trim_ascii())
            .ok()
            .and_then(|t| serde_json::value::RawValue::from_string(t.to_string()).ok())
            .map(Source::Verbatim)
            .unwrap_or_else(|| Source::Values(vec![value]))
    }
}

/// The bytes of one input record as read (without its final line end) and
/// the lines it spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLines {
    /// First line, 1-based.
    pub first: usize,
    /// Last line (a quoted CSV field may hold line ends).
    pub last: usize,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Bytes as rejects show them: text, or base64 when `base64`.
struct Shown<'a>(&'a [u8], bool);

impl Serialize for Shown<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.1, std::str::from_utf8(self.0)) {
            (false, Ok(text)) => s.serialize_str(text),
            _ => s.serialize_str(&base64(self.0)),
        }
    }
}

/// Standard base64 with padding (RFC 4648), for bytes that are not UTF-8.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
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

impl Rejection {
    /// True when some of the bytes kept are not UTF-8 (they are then all base64).
    fn base64(&self) -> bool {
        let not_text = |b: &[u8]| std::str::from_utf8(b).is_err();
        matches!(&self.source, Source::Unreadable(b) if not_text(b))
            || self.raw.iter().any(|r| not_text(&r.bytes))
    }
}

impl Serialize for Rejection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (errors, warnings): (Vec<&Violation>, Vec<&Violation>) = self
            .errors
            .iter()
            .partition(|v| v.severity == crate::diag::Severity::Error);
        let base64 = self.base64();
        let mut m = s.serialize_map(None)?;
        where_from(&mut m, &self.input)?;
        if !self.raw.is_empty() {
            let lines: Vec<usize> = self.raw.iter().flat_map(|r| r.first..=r.last).collect();
            m.serialize_entry("lines", &lines)?;
        }
        match &self.source {
            Source::Values(v) => m.serialize_entry("source", v)?,
            Source::Verbatim(v) => m.serialize_entry("source", &[v])?,
            Source::Unreadable(b) => m.serialize_entry("source", &[Shown(b, base64)])?,
        }
        if !self.raw.is_empty() {
            let raw: Vec<Shown> = self.raw.iter().map(|r| Shown(&r.bytes, base64)).collect();
            m.serialize_entry("raw", &raw)?;
        }
        if base64 {
            m.serialize_entry("source_encoding", "base64")?;
        }
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
            // A unit refused by several rules counts under each, so the
            // figures can add up to more than the rejected units: say so.
            let total: usize = self.rejected_by_rule.values().sum();
            let note = if total > c.rejected {
                " (a unit refused by several rules counts under each)"
            } else {
                ""
            };
            s.push_str(&format!(
                "\nrejected units by rule{note}: {}",
                rules.join(", ")
            ));
        }
        s
    }
}

/// Rejections kept on disk for the report instead of in memory: an
/// unnamed temporary file (nothing of it remains after any exit), spliced
/// into the report's `"rejections"` when it is written.
pub struct Spool {
    file: std::io::BufWriter<std::fs::File>,
    count: usize,
}

impl Spool {
    /// A spool in `dir` (the report's folder, so it fills the disk the
    /// report will).
    pub fn new_in(dir: &std::path::Path) -> std::io::Result<Spool> {
        Ok(Spool {
            file: std::io::BufWriter::new(tempfile::tempfile_in(dir)?),
            count: 0,
        })
    }

    /// Keep one rejection (a JSON line).
    pub fn push(&mut self, rejection: &Rejection) -> std::io::Result<()> {
        use std::io::Write;
        serde_json::to_writer(&mut self.file, rejection)?;
        self.file.write_all(b"\n")?;
        self.count += 1;
        Ok(())
    }

    /// Write `report` as pretty JSON with the spooled rejections as its
    /// `"rejections"` (each on one line).
    pub fn write_report(
        self,
        report: &Report,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        use std::io::{BufRead, Seek};
        const EMPTY: &str = "\n  \"rejections\": []";
        let text = serde_json::to_string_pretty(report)?;
        let (head, tail) = match text.find(EMPTY) {
            Some(at) if self.count > 0 && report.rejections.is_empty() => {
                (&text[..at], &text[at + EMPTY.len()..])
            }
            _ => {
                out.write_all(text.as_bytes())?;
                return out.write_all(b"\n");
            }
        };
        out.write_all(head.as_bytes())?;
        out.write_all(b"\n  \"rejections\": [")?;
        let mut file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
            out.write_all(line?.as_bytes())?;
        }
        out.write_all(b"\n  ]")?;
        out.write_all(tail.as_bytes())?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_report_is_the_same_json() {
        let rejection = Rejection {
            input: vec![InputRef {
                file: "in".into(),
                line: Some(3),
                index: None,
            }],
            source: Source::Values(vec![crate::json!({"a": 1})]),
            raw: vec![],
            errors: vec![],
        };
        let mut kept = Report {
            mapping: "m".into(),
            ..Report::default()
        };
        let spooled = kept.clone();
        kept.rejections = vec![rejection.clone(), rejection.clone()];
        let dir = std::env::temp_dir();
        let mut spool = Spool::new_in(&dir).unwrap();
        spool.push(&rejection).unwrap();
        spool.push(&rejection).unwrap();
        let mut out = Vec::new();
        spool.write_report(&spooled, &mut out).unwrap();
        let a: Value = serde_json::from_slice(&out).unwrap();
        let b: Value = crate::value::to_value(&kept).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn base64_is_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"caf\xe9"), "Y2Fm6Q==");
    }

    #[test]
    fn a_verbatim_source_keeps_its_digits() {
        let line = b"{\"n\": 18446744073709551616}\r\n";
        let r = Rejection {
            input: vec![],
            source: Source::verbatim(line, Value::Null),
            raw: vec![],
            errors: vec![],
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            text.contains(r#""source":[{"n": 18446744073709551616}]"#),
            "{text}"
        );
    }
}
