//! Diagnostics: what is wrong with a mapping or schema file, and where.
//!
//! Loading collects every problem it can find before giving up, the way a
//! compiler does, and each one names the file, line and column. They are
//! values here; turning them into text is the caller's business
//! (`Display` gives the one-line compiler form).

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// For information: where a mapping leaves the language (a `script:`).
    Note,
    /// Worth knowing; does not stop anything.
    Warning,
    /// The file cannot be used as it is.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A place in a source file (1-based line and column; 0 when unknown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

impl Span {
    /// A span for a whole file (no line known).
    pub fn file(path: &Path) -> Span {
        Span {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        Ok(())
    }
}

/// One finding in a mapping, schema or test file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub span: Span,
    /// How bad.
    pub severity: Severity,
    /// A stable code (`unknown-key`, `expr-syntax`, ...), listed in docs/diagnostics.md.
    pub code: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
    /// What to do about it (a did-you-mean, the allowed values), if known.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
        }
    }

    /// The same with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The same with a did-you-mean help line, when a known name is near
    /// `name` ("did you mean `NAME`?").
    pub fn with_near<'a>(self, name: &str, known: impl IntoIterator<Item = &'a str>) -> Diagnostic {
        match near_help(name, known) {
            Some(h) => self.with_help(h),
            None => self,
        }
    }

    /// A note at `span`.
    pub fn note(span: Span, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::warning(span, code, message)
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            severity: Severity::Warning,
            code,
            message: message.into(),
            help: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    /// The one-line form; a help line follows the message in brackets
    /// (`... (did you mean 'ref'?)`), as a hint written into it would.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.span.file.as_os_str().is_empty() {
            write!(f, "{}: ", self.span)?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        match &self.help {
            Some(h) => write!(f, " ({h})"),
            None => Ok(()),
        }
    }
}

/// Every finding of one load; an error if any of them is an error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Add one finding.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// True when at least one finding is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// The findings, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Add all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The known name `name` was most likely meant to be: the same but for
/// case, or within two edits of it. For "did you mean" hints.
pub fn suggest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let d = if k.to_lowercase() == lower {
            0
        } else {
            edit_distance(&lower, &k.to_lowercase())
        };
        if d <= 2 && d < name.chars().count() / 2 + 1 && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

/// ` (did you mean 'x'?)` for the known name `name` was most likely meant
/// to be ([`suggest`]), or nothing: for a hint inside a message's text
/// (prefer [`near_help`] and a help line).
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    near_help(name, known)
        .map(|h| format!(" ({h})"))
        .unwrap_or_default()
}

/// "did you mean 'x'?", for [`Diagnostic::with_help`], when a known name is
/// near `name`.
pub fn near_help<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    suggest(name, known).map(|n| format!("did you mean '{n}'?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions() {
        let known = ["Vendor_Code", "Item_ID", "Vat_Code"];
        assert_eq!(super::suggest("Vendor_Cod", known), Some("Vendor_Code"));
        assert_eq!(super::suggest("Itme_ID", known), Some("Item_ID"));
        assert_eq!(super::suggest("VAT_Code", known), Some("Vat_Code"));
        assert_eq!(super::suggest("Colour", known), None);
    }
}
