//! Select: which records of an input become units, and which are skipped on
//! purpose. A JSONPath (`select:`) picks the records out of a JSON document;
//! `where:` and `skip:` set records aside with a reason, counted as skipped,
//! never silently dropped.

use std::sync::Arc;

use serde_json::Value;

use crate::expr::{EvalError, Expr, Scope};

/// A JSONPath that picks records out of a document.
#[derive(Clone, Debug)]
pub struct Selector {
    /// As written.
    pub text: String,
    query: Arc<jsonpath_rust::parser::model::JpQuery>,
}

impl Selector {
    /// Compile a JSONPath.
    pub fn new(text: &str) -> Result<Selector, String> {
        jsonpath_rust::parser::parse_json_path(text)
            .map(|q| Selector {
                text: text.to_string(),
                query: Arc::new(q),
            })
            .map_err(|e| e.to_string())
    }

    /// For a path of plain keys ending in `[*]` (`$.orders[*]`,
    /// `$.batch.orders[*]`, `$[*]`), the keys: records under such a path are
    /// read one at a time without holding the document.
    pub fn streamable(&self) -> Option<Vec<String>> {
        let rest = self.text.strip_prefix('$')?.strip_suffix("[*]")?;
        if rest.is_empty() {
            return Some(Vec::new());
        }
        let keys: Vec<String> = rest
            .strip_prefix('.')?
            .split('.')
            .map(str::to_string)
            .collect();
        keys.iter()
            .all(|k| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            })
            .then_some(keys)
    }

    /// The records of `doc`.
    pub fn records(&self, doc: &Value) -> Vec<Value> {
        jsonpath_rust::query::js_path_process(&self.query, doc)
            .map(|found| found.into_iter().map(|r| r.val.clone()).collect())
            .unwrap_or_default()
    }
}

/// A reason to skip a record.
#[derive(Clone, Debug)]
pub struct Skip {
    /// The condition.
    pub when: Expr,
    /// Why (a template name, or plain text).
    pub reason: String,
    /// `reason` is a template to render.
    pub templated: bool,
    /// Skip when the condition is false (`where:` keeps what holds): the
    /// expression is kept as written, never rewritten, so nothing can be lost.
    pub negate: bool,
}

/// The records of a JSON document: those the selector picks, else the
/// elements of a top-level array, else the document itself.
pub fn records_of(doc: Value, selector: Option<&Selector>) -> Vec<Value> {
    match (selector, doc) {
        (Some(s), doc) => s.records(&doc),
        (None, Value::Array(items)) => items,
        (None, doc) => vec![doc],
    }
}

/// The first skip whose condition holds, as (reason template or text, templated).
pub fn first_skip<'a>(skips: &'a [Skip], scope: &Scope) -> Result<Option<&'a Skip>, EvalError> {
    for s in skips {
        match s.when.test(scope) {
            Ok(holds) if holds != s.negate => return Ok(Some(s)),
            Ok(_) => {}
            Err(e) => return Err(e.context(format_args!("skip when {}", s.when.quoted()))),
        }
    }
    Ok(None)
}
