//! What a sign-off document must not show: the values of secret params
//! (given or default) and whatever the mapping itself would put in a
//! secret target field: a constant, a default, or the rows of a lookup
//! that feeds one. They are hidden in the document's data, before it is
//! written as Markdown or HTML, so no escaping can split a secret.

use crate::value::Value;

use crate::build::{FieldSpec, Source};
use crate::doc::target_field;
use crate::mapping::Mapping;
use crate::params::Params;
use crate::redact::Redactor;
use crate::schema::Schema;

pub(super) fn of(m: &Mapping, given: &Params) -> Redactor {
    let mut hide = Redactor::default();
    hide.add_secret_defaults(m);
    for p in m.params.iter().filter(|p| p.secret) {
        if let Some((_, v)) = given.given.iter().find(|(k, _)| *k == p.name) {
            hide.add_value(v);
        }
    }
    let mut found = Vec::new();
    for r in &m.routes {
        fed(m, &r.target, "", &r.record, &mut found);
    }
    hide.add_many(found.iter().map(String::as_str));
    hide
}

/// The texts the specs under `prefix` would write into secret fields.
fn fed(m: &Mapping, target: &Schema, prefix: &str, specs: &[FieldSpec], out: &mut Vec<String>) {
    for spec in specs {
        let path = format!("{prefix}/{}", spec.name);
        if target_field(target, &path).is_some_and(|f| f.secret) {
            values_of(m, spec, out);
        }
        match &spec.source {
            Source::Object(children) => fed(m, target, &path, children, out),
            Source::List { records, .. } => {
                for (_, children) in records {
                    fed(m, target, &format!("{path}/*"), children, out);
                }
            }
            _ => {}
        }
    }
}

fn values_of(m: &Mapping, spec: &FieldSpec, out: &mut Vec<String>) {
    if let Some(d) = &spec.default {
        texts(d, out);
    }
    match &spec.source {
        Source::Const(v) => texts(v, out),
        Source::Expr(e) => {
            if let Some(v) = e.as_literal() {
                texts(v, out);
            }
        }
        Source::Lookup { name, column, .. } => {
            let Some(l) = m.data.lookup(name) else {
                return;
            };
            for (_, v) in l.sorted_entries() {
                match column {
                    Some(c) => v.get(c).into_iter().for_each(|v| texts(v, out)),
                    None => texts(v, out),
                }
            }
            if let Some(d) = &l.default {
                texts(d, out);
            }
        }
        _ => {}
    }
}

fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| texts(i, out)),
        Value::Object(map) => map.values().for_each(|i| texts(i, out)),
        other => out.push(other.to_string()),
    }
}
