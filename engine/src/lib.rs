//! mapwright: a declarative mapping and transform engine for work-order and
//! purchase-order integrations.
//!
//! A record travels through the modules in this order:
//! [`read`] (input files into records) → [`mapping`] (the compiled mapping:
//! select, source rules, build) → [`check`] (the target schema's field table
//! and rules) → [`render`] (JSON, NDJSON or XML out) → [`report`] (counts and
//! rejections). [`schema`] and [`mapping`] load the two file formats
//! ([`resolve`] checks every name a mapping reads against its contracts);
//! [`expr`] compiles the expressions both use.
//!
//! ```no_run
//! use mapwright::{Mapping, Params};
//! let mapping = Mapping::from_path("mappings/oneserve-spectrum/order.yaml".as_ref()).unwrap();
//! let params = Params::from_pairs(&[("company_code", "KM2")]);
//! let record = serde_json::json!({"order_request_id": "ORQ-1"});
//! match mapping.transform(&record, &params) {
//!     Ok(outcome) => println!("{:?}", outcome),
//!     Err(problems) => eprintln!("params: {}", problems.join("; ")),
//! }
//! ```
#![deny(missing_docs)]

pub mod build;
pub mod check;
pub mod commit;
pub mod confine;
pub mod convert;
pub mod datefmt;
pub mod diag;
pub mod doc;
pub mod excerpt;
pub mod expr;
pub mod group;
pub mod literal;
pub mod lookup;
pub mod mapping;
pub mod params;
pub mod project;
pub mod read;
pub mod redact;
pub mod registry;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod schema;
pub mod select;
pub mod table;
pub mod template;
pub mod testing;
pub mod validate;
pub mod yaml;

pub use check::{check_payload, check_record, Violation};
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use mapping::{Mapping, Outcome, Prepared};
pub use params::Params;
pub use registry::Registry;
pub use schema::Schema;
