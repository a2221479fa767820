//! The one error type of the library's front door: what can go wrong in
//! loading, preparing, converting and writing, as a value a program can
//! match on and a message a person can read.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::check::Violation;
use crate::commit::CommitError;
use crate::convert::ConvertError;
use crate::diag::Diagnostics;
use crate::read::ReadError;
use crate::spill::SpillError;

/// What went wrong. Its `Debug` is its message: a `main` returning
/// `Result<(), Error>` prints what a person can read, not the fields.
#[non_exhaustive]
pub enum Error {
    /// A mapping, schema or test file is wrong or cannot be read: each
    /// finding with its file, line, column, code and hint.
    Diagnostics(Diagnostics),
    /// The params do not fit the mapping's `params:`, or a param given
    /// could not be read: one message each.
    Params(Vec<String>),
    /// The mapping's routes build records for different targets, and only
    /// NDJSON output can hold records of several targets.
    MixedTargets,
    /// XML output was asked for, but the target named is JSON.
    NotXmlTarget(String),
    /// Two roles on one path, or an output that is also an input: the two
    /// roles (as the command line names them) and the path.
    SamePath(String, String, PathBuf),
    /// Another run holds the lock on this output.
    Busy(PathBuf),
    /// An output could not be created, locked or written.
    Output(PathBuf, io::Error),
    /// An input (named) could not be read.
    Read(String, io::Error),
    /// A JSON or XML document (named) could not be parsed.
    Malformed(String, ReadError),
    /// Writing a result failed.
    Write(io::Error),
    /// The rows of an unsorted CSV input (named) could not be spilled to
    /// the temp folder `dir` while they were grouped.
    Spill(String, PathBuf, io::Error),
    /// The rows of one group key of a CSV input (named) take more memory
    /// (about `needs` bytes) than the grouping bound (`--group-memory`,
    /// `limit` bytes) holds.
    GroupMemory {
        /// The input.
        input: String,
        /// The bound, in bytes.
        limit: u64,
        /// About what the rows of the biggest group key take, in bytes.
        needs: u64,
    },
    /// A `diff` key expression does not compile: the message names it.
    Key(String),
    /// No target field of the mapping is at this path (`explain --field`):
    /// the path asked for and the nearest field path, if one is near.
    UnknownField {
        /// The path asked for.
        field: String,
        /// The nearest target field path.
        near: Option<String>,
    },
    /// The mapping has no route of this name: the name asked for and the
    /// nearest route name, if one is near.
    UnknownRoute {
        /// The name asked for.
        route: String,
        /// The nearest route name.
        near: Option<String>,
    },
    /// A payload given to render does not fit its route's target schema:
    /// the route, and every error the target's checks found (each naming
    /// its rule and path; secret values hidden).
    Unfit {
        /// The route whose target the payload was checked against.
        route: String,
        /// What the checks found, errors only.
        violations: Vec<Violation>,
    },
}

impl Error {
    /// The findings, when this is [`Error::Diagnostics`]: each with its
    /// file, line, column, code and hint.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            Error::Diagnostics(d) => Some(d),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Diagnostics(d) => write!(f, "{d}"),
            Error::Params(problems) => write!(f, "{}", problems.join("; ")),
            Error::MixedTargets => write!(
                f,
                "this mapping's routes build records for different targets; only NDJSON output holds them"
            ),
            Error::NotXmlTarget(target) => {
                write!(f, "the target {target} is JSON; XML output needs an XML target")
            }
            Error::SamePath(a, b, p) => CommitError::SamePath(a.clone(), b.clone(), p.clone()).fmt(f),
            Error::Busy(p) => CommitError::Busy(p.clone()).fmt(f),
            Error::Output(p, e) => write!(f, "cannot write {}: {e}", p.display()),
            Error::Read(name, e) => write!(f, "{name}: {e}"),
            Error::Malformed(name, e) => write!(f, "{name}: {e}"),
            Error::Write(e) => write!(f, "writing {e}"),
            Error::Spill(input, dir, e) => {
                write!(f, "{input}: ")?;
                crate::spill::temp_message(f, dir, e)
            }
            Error::GroupMemory {
                input,
                limit,
                needs,
            } => {
                write!(f, "{input}: ")?;
                crate::spill::too_big_message(f, *limit, *needs)
            }
            Error::Key(message) => f.write_str(message),
            Error::UnknownField { field, near } => {
                write!(f, "no target field of this mapping is at '{field}'")?;
                match near {
                    Some(n) => write!(f, " (did you mean '{n}'?)"),
                    None => Ok(()),
                }
            }
            Error::UnknownRoute { route, near } => {
                write!(f, "this mapping has no route '{route}'")?;
                match near {
                    Some(n) => write!(f, " (did you mean '{n}'?)"),
                    None => Ok(()),
                }
            }
            Error::Unfit { route, violations } => {
                write!(f, "the payload does not fit the target of route '{route}'")?;
                for v in violations {
                    write!(f, "; {} [{}]: {}", v.path, v.rule, v.message)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Diagnostics(d) => Some(d),
            Error::Output(_, e) | Error::Read(_, e) | Error::Write(e) | Error::Spill(_, _, e) => {
                Some(e)
            }
            Error::Malformed(_, e) => Some(e),
            _ => None,
        }
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Error {
        Error::Diagnostics(d)
    }
}

impl From<CommitError> for Error {
    fn from(e: CommitError) -> Error {
        match e {
            CommitError::SamePath(a, b, p) => Error::SamePath(a, b, p),
            CommitError::Busy(p) => Error::Busy(p),
            CommitError::Io(p, e) => Error::Output(p, e),
        }
    }
}

impl From<ConvertError> for Error {
    fn from(e: ConvertError) -> Error {
        match e {
            ConvertError::Read(name, e) => Error::Read(name, e),
            ConvertError::Write(e) => Error::Write(e),
            ConvertError::Group(input, SpillError::Io(dir, e)) => Error::Spill(input, dir, e),
            ConvertError::Group(input, SpillError::TooBig { limit, needs }) => Error::GroupMemory {
                input,
                limit,
                needs,
            },
        }
    }
}

impl std::error::Error for ReadError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_and_convert_errors_keep_their_messages() {
        let busy = Error::from(CommitError::Busy(PathBuf::from("out.json")));
        assert_eq!(
            busy.to_string(),
            "another mapwright run is writing out.json (it holds its lock); wait for it to finish or write elsewhere"
        );
        let write = Error::from(ConvertError::Write(io::Error::other("disk full")));
        assert_eq!(write.to_string(), "writing disk full");
        let read = Error::from(ConvertError::Read(
            "in.ndjson".into(),
            io::Error::other("gone"),
        ));
        assert_eq!(read.to_string(), "in.ndjson: gone");
        assert!(std::error::Error::source(&read).is_some());
    }

    #[test]
    fn a_malformed_document_gives_its_read_error_as_source() {
        let e = Error::Malformed(
            "rec.json".into(),
            crate::read::parse_json(b"{").unwrap_err(),
        );
        let source = std::error::Error::source(&e).expect("the read error is the source");
        assert_eq!(
            source.to_string(),
            "line 1, column 1: not valid JSON: EOF while parsing an object"
        );
        assert!(e.to_string().starts_with("rec.json: line 1, column 1: "));
    }

    #[test]
    fn a_mapping_that_is_not_there_reads_the_same_in_debug_as_in_display() {
        let e =
            crate::Mapping::from_path(std::path::Path::new("../nowhere/order.yaml")).unwrap_err();
        let shown = format!("{e:?}");
        assert_eq!(shown, e.to_string());
        assert!(
            shown
                .starts_with("../nowhere/order.yaml: error[unreadable]: cannot read the mapping: "),
            "{shown}"
        );
        assert!(
            !shown.contains("line: 0") && !shown.contains("Diagnostic"),
            "{shown}"
        );
    }

    #[test]
    fn an_unknown_field_names_the_nearest() {
        let e = Error::UnknownField {
            field: "/poDetails/*/Item_Prise".into(),
            near: Some("/poDetails/*/Item_Price".into()),
        };
        assert_eq!(
            e.to_string(),
            "no target field of this mapping is at '/poDetails/*/Item_Prise' (did you mean '/poDetails/*/Item_Price'?)"
        );
    }

    #[test]
    fn params_problems_are_listed_in_one_line() {
        let e = Error::Params(vec!["a is required".into(), "b is unknown".into()]);
        assert_eq!(e.to_string(), "a is required; b is unknown");
    }
}
