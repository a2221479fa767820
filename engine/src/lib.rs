//! mapwright: a declarative mapping and transform engine for work-order and
//! purchase-order integrations.
//!
//! Load a [`Mapping`] (it finds its source and target [`Schema`]s in a
//! [`Registry`]), give it its [`Params`] to get a [`Prepared`] mapping,
//! and transform records: each [`Outcome`] is an accepted target record,
//! a rejection naming every [`Violation`], or a skip. A [`ConvertJob`]
//! runs a mapping over whole inputs ([`Input`], in an [`InputFormat`])
//! into files in an [`OutputFormat`] with a [`Report`], as `mapwright
//! convert` does; a [`Renderer`] writes records in an output format. A
//! [`Project`] finds and checks a folder of mappings, schemas and tests;
//! a [`Validation`] checks payloads you already have. What goes wrong is an
//! [`Error`]; a mapping, schema or test file that is wrong says where in
//! its [`Diagnostics`].
//!
//! ```
//! use mapwright::{Mapping, Outcome, Params};
//! let mapping = Mapping::from_path("../mappings/oneserve-spectrum/order.yaml".as_ref())?;
//! let params = Params::from_pairs(&[("company_code", "KM2")]);
//! let record = mapwright::json!({"order_request_id": "ORQ-1"});
//! match mapping.transform(&record, &params)? {
//!     Outcome::Rejected(errors) => assert!(!errors.is_empty()),
//!     other => panic!("a record with only an id is rejected, not {other:?}"),
//! }
//! # Ok::<(), mapwright::Error>(())
//! ```
#![deny(missing_docs)]
// Every type a public signature uses is re-exported below (or the item is
// pub(crate)): a user can name what the front door hands out.
#![deny(unnameable_types)]

mod build;
mod check;
mod check_plan;
mod commit;
mod confine;
mod convert;
mod datefmt;
mod diag;
mod diff;
mod doc;
mod embed;
mod error;
mod excerpt;
mod expr;
mod file_format;
mod group;
mod job;
mod jsonstream;
mod layers;
mod literal;
mod lookup;
mod mapping;
mod params;
mod pick;
mod project;
mod read;
mod redact;
mod registry;
mod render;
mod report;
mod resolve;
mod rules;
mod schema;
mod select;
mod signoff;
mod spill;
mod table;
mod template;
mod testing;
mod trace;
mod validate;
mod value;
mod worded;
mod yaml;

// The front door. Loading and running:
pub use confine::LoadOptions;
pub use convert::Input;
pub use doc::Explanation;
pub use embed::Settled;
pub use job::{ConvertJob, Outputs};
pub use literal::Literals;
pub use mapping::{Mapping, Outcome, Prepared};
pub use params::Params;
pub use read::InputFormat;
pub use registry::{Origin, Registry};
pub use render::{OutputFormat, Renderer};
pub use schema::Schema;
pub use signoff::DocFormat;
pub use template::TemplateLimits;
pub use validate::{PayloadResult, ReportFile, Validation};
pub use value::{from_value, to_value, Entry, Map, Number, Value, ValueIndex};
pub use worded::{worded_for, Audience};
// Checking a project, and editor support:
pub use file_format::FileFormat;
pub use project::{CheckRun, Project, TestFileRun};
pub use testing::CaseResult;
// What a run reports (data to read):
pub use check::Violation;
pub use report::{
    Counts, InputRef, RawLines, Rejection, Report, Skip, Source as RejectedInput, Warning,
};
// What goes wrong:
pub use diag::{Diagnostic, Diagnostics, Severity, Span};
pub use error::Error;
pub use read::ReadError;

/// Parse one JSON document (a source record for [`Mapping::explain`]);
/// `name` names it in the [`Error::Malformed`] it gives when the text is
/// not one JSON document.
pub fn parse_json(name: &str, text: &[u8]) -> Result<crate::value::Value, Error> {
    read::parse_json(text).map_err(|e| Error::Malformed(name.to_string(), e))
}
// Comparing two mappings (`diff`):
pub use diff::{
    diff, prepare_pair, Change, DiffOptions, DiffSink, DiffSummary, KeyOutOfStep, OutcomeChange,
    RecordDiff, Verdict,
};
// Tracing one record (`explain RECORD`):
pub use trace::{
    ndjson_line, record_to_trace, LineError, RuleResult, Trace, TracedField, TracedLet,
    TracedLookup, TracedRead, TracedRule, TracedTable, TracedViolation,
};

// The README's library example runs as a doctest (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
