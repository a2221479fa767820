//! Select: which records of an input become units, and which are skipped on
//! purpose. A JSONPath (`select:`) picks the records out of a JSON document;
//! `where:` and `skip:` set records aside with a reason, counted as skipped,
//! never silently dropped.

use std::sync::Arc;

use crate::value::Value;

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
        if let Some(why) = too_costly(text) {
            return Err(why);
        }
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

/// Why a JSONPath could take time beyond any budget, or `None`. Each
/// descendant step (`..`) walks everything below every node the steps
/// before it found, so two of them over a deep record multiply out (twenty
/// over a record nested 41 deep ran for minutes and 4 GB); the JSONPath
/// engine has no budget of its own, so a path may hold one.
pub(crate) fn too_costly(text: &str) -> Option<String> {
    let mut descendants = 0;
    let mut quote = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), b'\\') => i += 1,
            (Some(_), _) => {}
            (None, q @ (b'\'' | b'"')) => quote = Some(q),
            (None, b'.') if bytes.get(i + 1) == Some(&b'.') => {
                descendants += 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    (descendants > 1).then(|| {
        format!("it has {descendants} descendant steps (`..`); a JSONPath may hold one, since each more one multiplies the work by the size of the record")
    })
}

/// JSONPath reads the engine's values as it reads serde_json's: the same
/// members and items, and the same extension functions (`in`, `nin`,
/// `any_of`...), answered by serde_json's own implementation.
impl jsonpath_rust::query::queryable::Queryable for Value {
    fn get(&self, key: &str) -> Option<&Self> {
        Value::get(self, key)
    }

    fn as_array(&self) -> Option<&Vec<Self>> {
        Value::as_array(self)
    }

    fn as_object(&self) -> Option<Vec<(&str, &Self)>> {
        Value::as_object(self).map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }

    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }

    fn as_i64(&self) -> Option<i64> {
        Value::as_i64(self)
    }

    fn as_f64(&self) -> Option<f64> {
        Value::as_f64(self)
    }

    fn as_bool(&self) -> Option<bool> {
        Value::as_bool(self)
    }

    fn null() -> Self {
        Value::Null
    }

    fn extension_custom(name: &str, args: Vec<std::borrow::Cow<Self>>) -> Self {
        let args = args
            .into_iter()
            .map(|a| std::borrow::Cow::Owned(serde_json::Value::from(a.into_owned())))
            .collect();
        Value::from(
            <serde_json::Value as jsonpath_rust::query::queryable::Queryable>::extension_custom(
                name, args,
            ),
        )
    }
}

#[cfg(test)]
mod cost_tests {
    use super::too_costly;

    #[test]
    fn one_descendant_step_is_allowed_and_two_are_not() {
        assert_eq!(too_costly("$..team.name"), None);
        assert_eq!(too_costly("$.a['x..y']..b"), None);
        assert!(too_costly("$..a..b").is_some());
        assert!(too_costly("$..a[?(@..b)]").is_some());
    }
}
