//! Secrets never written: the values of secret params (`secret: true` under
//! `params:`) and of secret schema fields are replaced by `(secret)` in every
//! text mapwright writes for people: messages, rejects, the report,
//! `explain`, `test` diffs, `doc`. A secret leaks the moment it is copied
//! into another field ("'7E57...' is 36 characters"), so hiding the secret
//! field itself is not enough: the value is replaced wherever it appears.
//! The payload itself is not redacted: carrying the token is its job.

use std::borrow::Cow;

use serde_json::Value;

use crate::check::Violation;
use crate::mapping::Outcome;
use crate::report::{Rejection, Source};
use crate::schema::{Schema, Type};

/// What a secret value is shown as.
pub const SHOWN: &str = "(secret)";

/// The secret values of a run (or of one record), and the step that hides them.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is hidden whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// True when there is nothing to hide (every call is then a no-op).
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Hide `text` from now on (empty text hides nothing).
    pub fn add(&mut self, text: &str) {
        if text.is_empty() || self.secrets.iter().any(|s| s == text) {
            return;
        }
        self.secrets.push(text.to_string());
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// Hide a value: text as it is, numbers and booleans as written, every
    /// item of a list or map.
    pub fn add_value(&mut self, value: &Value) {
        match value {
            Value::Null => {}
            Value::String(s) => self.add(s),
            Value::Array(items) => items.iter().for_each(|i| self.add_value(i)),
            Value::Object(map) => map.values().for_each(|v| self.add_value(v)),
            other => self.add(&other.to_string()),
        }
    }

    /// Hide the values found at the secret fields of `record`, a record of `schema`.
    pub fn add_secret_fields(&mut self, schema: &Schema, record: &Value) {
        self.walk(schema, schema.record_type(), record);
    }

    /// Hide the values at the secret fields of a payload of `schema`: one
    /// record, or an envelope of them.
    pub fn add_payload_secrets(&mut self, schema: &Schema, payload: &Value) {
        self.add_secret_fields(schema, payload);
        if let Some(records) = schema.envelope.as_ref().and_then(|e| payload.get(&e.key)) {
            self.add_secret_fields(schema, records);
        }
    }

    fn walk(&mut self, schema: &Schema, ty: &Type, value: &Value) {
        match value {
            Value::Array(items) => items.iter().for_each(|i| self.walk(schema, ty, i)),
            Value::Object(map) => {
                for f in &ty.fields {
                    let Some(v) = map.get(&f.name) else { continue };
                    if f.secret {
                        self.add_value(v);
                    } else if let Some(inner) = f.of.as_deref().and_then(|t| schema.type_named(t)) {
                        self.walk(schema, inner, v);
                    }
                }
            }
            _ => {}
        }
    }

    /// `text` with every secret replaced by [`SHOWN`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), SHOWN));
            }
        }
        out
    }

    /// Bytes with every secret replaced (for raw input lines, which need
    /// not be UTF-8).
    pub fn redact_bytes(&self, bytes: &mut Vec<u8>) {
        for s in &self.secrets {
            let needle = s.as_bytes();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                *bytes = replace_bytes(bytes, needle, SHOWN.as_bytes());
            }
        }
    }

    /// A value with every secret in its text replaced.
    pub fn redact_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(r) = self.redact(s) {
                    *s = r;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.redact_value(i)),
            Value::Object(map) => map.values_mut().for_each(|v| self.redact_value(v)),
            Value::Number(n) if self.redact(&n.to_string()) != n.to_string() => {
                *value = Value::String(SHOWN.into());
            }
            _ => {}
        }
    }

    /// A violation with its message (and path) hidden where they hold a secret.
    pub fn redact_violation(&self, v: &mut Violation) {
        if let Cow::Owned(m) = self.redact(&v.message) {
            v.message = m;
        }
        if let Cow::Owned(p) = self.redact(&v.path) {
            v.path = p;
        }
    }

    /// An outcome's messages and skip reason hidden (the accepted record is
    /// the payload, and is left as built).
    pub fn redact_outcome(&self, outcome: &mut Outcome) {
        if self.is_empty() {
            return;
        }
        match outcome {
            Outcome::Accepted { warnings, .. } => {
                warnings.iter_mut().for_each(|w| self.redact_violation(w))
            }
            Outcome::Rejected(errors) => errors.iter_mut().for_each(|e| self.redact_violation(e)),
            Outcome::Skipped(reason) => {
                if let Cow::Owned(r) = self.redact(reason) {
                    *reason = r;
                }
            }
        }
    }

    /// A rejection as written to the rejects file and the report: its
    /// messages, and its input where a secret appears in it.
    pub fn redact_rejection(&self, rejection: &mut Rejection) {
        if self.is_empty() {
            return;
        }
        rejection
            .errors
            .iter_mut()
            .for_each(|e| self.redact_violation(e));
        for raw in &mut rejection.raw {
            self.redact_bytes(&mut raw.bytes);
        }
        match &mut rejection.source {
            Source::Values(values) => values.iter_mut().for_each(|v| self.redact_value(v)),
            Source::Unreadable(bytes) => self.redact_bytes(bytes),
            Source::Verbatim(raw) => {
                if let Cow::Owned(text) = self.redact(raw.get()) {
                    rejection.source = match serde_json::value::RawValue::from_string(text.clone())
                    {
                        Ok(r) => Source::Verbatim(r),
                        // A secret that was a bare number: the line is
                        // no longer JSON, so it is kept as bytes.
                        Err(_) => Source::Unreadable(text.into_bytes()),
                    };
                }
            }
        }
    }
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_replaced_wherever_it_appears_longest_first() {
        let mut r = Redactor::default();
        r.add("7E57");
        r.add("7E57-TOKEN");
        assert_eq!(
            r.redact("'7E57-TOKEN' is 10 characters; 7E57 again"),
            "'(secret)' is 10 characters; (secret) again"
        );
        let mut bytes = b"a\xff7E57-TOKEN\xfe".to_vec();
        r.redact_bytes(&mut bytes);
        assert_eq!(bytes, b"a\xff(secret)\xfe".to_vec());
    }

    #[test]
    fn an_empty_redactor_borrows() {
        let r = Redactor::default();
        assert!(matches!(r.redact("text"), Cow::Borrowed("text")));
    }
}
