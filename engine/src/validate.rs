//! Validate: payloads you already have, checked against a schema
//! (`mapwright validate`). NDJSON is checked a line at a time; a JSON or XML
//! document is one payload.

use std::io::BufRead;

use crate::check::{check_payload, check_xml_text, Violation};
use crate::diag::Severity;
use crate::read::{parse_json_documents, InputFormat, NdjsonReader, ReadError};
use crate::schema::{Format, Schema};

/// The outcome for one payload.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PayloadResult {
    /// 1-based payload number within its input.
    pub record: usize,
    /// 1-based line (NDJSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Everything found, errors and warnings.
    pub violations: Vec<Violation>,
}

impl PayloadResult {
    /// Each finding as a line, `INPUT:LINE: error[rule]: PATH: message`
    /// (`input` as messages name the input).
    pub fn lines<'a>(&'a self, input: &'a str) -> impl Iterator<Item = String> + 'a {
        let place = match self.line {
            Some(l) => format!("{input}:{l}"),
            None => input.to_string(),
        };
        self.violations.iter().map(move |v| {
            let path = if v.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", v.path)
            };
            format!("{place}: {}[{}]: {path}{}\n", v.severity, v.rule, v.message)
        })
    }

    /// True when no violation is an error.
    pub fn is_valid(&self) -> bool {
        !self
            .violations
            .iter()
            .any(|v| v.severity == Severity::Error)
    }
}

/// Why a whole input could not be validated.
#[derive(Debug)]
#[non_exhaustive]
pub enum InputError {
    /// Reading failed.
    Io(std::io::Error),
    /// The document is not JSON/XML, is empty, or is not UTF-8.
    Malformed(ReadError),
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::Io(e) => write!(f, "{e}"),
            InputError::Malformed(e) => write!(f, "{e}"),
        }
    }
}

/// Validate every payload in `input`, calling `each` with each result.
/// `format` is guessed from `name` and the first bytes when not given.
pub fn validate_stream(
    schema: &Schema,
    name: &str,
    input: impl BufRead + Send,
    format: Option<InputFormat>,
    mut each: impl FnMut(PayloadResult),
) -> Result<(), InputError> {
    let format = match schema.format {
        Format::Xml => format.or(Some(InputFormat::Xml)),
        Format::Json => format,
    };
    let Some((format, mut input)) =
        crate::read::open_input(name, format, Box::new(input)).map_err(InputError::Io)?
    else {
        return Err(InputError::Malformed(ReadError {
            line: None,
            column: None,
            message: "the input is empty".into(),
        }));
    };
    match format {
        InputFormat::Ndjson => {
            let mut n = 0;
            for line in NdjsonReader::new(input) {
                let line = line.map_err(InputError::Io)?;
                n += 1;
                let violations = match &line.value {
                    Ok(v) => check_payload(schema, v),
                    Err(e) => vec![malformed(e)],
                };
                each(PayloadResult {
                    record: n,
                    line: Some(line.number),
                    violations,
                });
            }
            if n == 0 {
                return Err(InputError::Malformed(ReadError {
                    line: None,
                    column: None,
                    message: "the input is empty".into(),
                }));
            }
            Ok(())
        }
        InputFormat::Xml => {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).map_err(InputError::Io)?;
            let text = String::from_utf8(bytes).map_err(|e| {
                InputError::Malformed(ReadError {
                    line: None,
                    column: None,
                    message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
                })
            })?;
            let docs = xml_documents(&text);
            let several = docs.len() > 1;
            let mut record = 0;
            for (line, doc) in docs {
                let found = check_xml_text(schema, doc).map_err(|mut e| {
                    e.line = e.line.map(|l| l + line - 1);
                    InputError::Malformed(e)
                })?;
                for violations in found {
                    record += 1;
                    each(PayloadResult {
                        record,
                        line: several.then_some(line),
                        violations,
                    });
                }
            }
            Ok(())
        }
        InputFormat::Json | InputFormat::Csv => {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).map_err(InputError::Io)?;
            // One document, or several one after another (`convert
            // --batch-size N` writes one envelope per line): each is a payload.
            let values = parse_json_documents(&bytes).map_err(InputError::Malformed)?;
            for (i, value) in values.iter().enumerate() {
                each(PayloadResult {
                    record: i + 1,
                    line: None,
                    violations: check_payload(schema, value),
                });
            }
            Ok(())
        }
    }
}

/// The XML documents in `text`: one, or several each starting with its own
/// `<?xml` declaration (one document per line, as `convert --batch-size 1`
/// writes them), with the line each starts on.
fn xml_documents(text: &str) -> Vec<(usize, &str)> {
    let starts: Vec<usize> = text.match_indices("<?xml").map(|(i, _)| i).collect();
    if starts.len() <= 1 {
        return vec![(1, text)];
    }
    let mut out = Vec::new();
    let mut prefix = &text[..starts[0]];
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let line = text[..s].matches('\n').count() + 1;
        if !prefix.trim().is_empty() {
            out.push((1, prefix));
        }
        prefix = "";
        out.push((line, &text[s..end]));
    }
    out
}

fn malformed(e: &ReadError) -> Violation {
    Violation {
        rule: "malformed".into(),
        path: String::new(),
        message: e.to_string(),
        severity: Severity::Error,
    }
}

/// A `validate` run: payloads of several inputs checked against one
/// schema, and the report of them all.
pub struct Validation<'s> {
    schema: &'s Schema,
    results: Vec<(String, PayloadResult)>,
    unreadable: Vec<crate::value::Value>,
}

impl<'s> Validation<'s> {
    /// A run against `schema`.
    pub fn new(schema: &'s Schema) -> Validation<'s> {
        Validation {
            schema,
            results: Vec::new(),
            unreadable: Vec::new(),
        }
    }

    /// Validate every payload of one input (`name` as given, `-` for stdin;
    /// `shown` as messages name it), calling `each` with each result as it
    /// is found. An input that cannot be read or parsed is kept as
    /// unreadable and is the error.
    pub fn input(
        &mut self,
        name: &str,
        shown: &str,
        input: std::io::Result<impl BufRead + Send>,
        format: Option<InputFormat>,
        mut each: impl FnMut(&PayloadResult),
    ) -> Result<(), crate::Error> {
        let results = &mut self.results;
        let outcome = input.map_err(InputError::Io).and_then(|input| {
            validate_stream(self.schema, name, input, format, |r| {
                each(&r);
                results.push((shown.to_string(), r));
            })
        });
        outcome.map_err(|e| {
            self.unreadable
                .push(crate::json!({"input": shown, "error": e.to_string()}));
            match e {
                InputError::Io(e) => crate::Error::Read(shown.to_string(), e),
                InputError::Malformed(e) => crate::Error::Malformed(shown.to_string(), e),
            }
        })
    }

    /// Payloads checked.
    pub fn payloads(&self) -> usize {
        self.results.len()
    }

    /// Payloads with at least one error.
    pub fn invalid(&self) -> usize {
        self.results.iter().filter(|(_, r)| !r.is_valid()).count()
    }

    /// Inputs that could not be read or parsed.
    pub fn unreadable(&self) -> usize {
        self.unreadable.len()
    }

    /// Findings of `severity`, over every payload.
    pub fn count(&self, severity: Severity) -> usize {
        self.results
            .iter()
            .flat_map(|(_, r)| &r.violations)
            .filter(|v| v.severity == severity)
            .count()
    }

    /// The report: counts, the unreadable inputs and every payload's findings.
    pub fn report(&self) -> crate::value::Value {
        let invalid = self.invalid();
        crate::json!({
            "schema": self.schema.name,
            "payloads": self.results.len(),
            "valid": self.results.len() - invalid,
            "invalid": invalid,
            "errors": self.count(Severity::Error),
            "warnings": self.count(Severity::Warning),
            "unreadable": self.unreadable,
            "results": self.results.iter().map(|(input, r)| crate::json!({
                "input": input, "record": r.record, "line": r.line, "valid": r.is_valid(), "violations": r.violations,
            })).collect::<Vec<_>>(),
        })
    }

    /// Open the report file at `path` (before any input is read, so a
    /// folder that cannot take it fails first); it is written whole, into a
    /// temporary file renamed into place.
    ///
    /// The file is locked as `convert` locks its outputs: a second run on
    /// the same report is refused, and the lock holder removes the
    /// temporary files a killed run left beside it.
    pub fn report_file(path: &std::path::Path) -> Result<ReportFile, crate::Error> {
        let lock = crate::commit::Locks::take(&[path])?;
        Ok(ReportFile {
            staged: crate::commit::Staged::create(path)?,
            _lock: lock,
        })
    }
}

/// A report file opened before the run, written whole at its end.
pub struct ReportFile {
    staged: crate::commit::Staged,
    /// Held until the file is written.
    _lock: crate::commit::Locks,
}

impl ReportFile {
    /// Write `text` and rename the file into place.
    pub fn write(mut self, text: &str) -> std::io::Result<()> {
        use std::io::Write as _;
        self.staged
            .write_all(text.as_bytes())
            .and_then(|()| self.staged.prepare())
            .and_then(|ready| ready.commit())
    }
}
