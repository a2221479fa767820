//! The target side of the static checks: a constant must pass the target
//! field's own checks (type, code list, max length), and a required target
//! field fed by a read that can find nothing deserves a warning.
//!
//! Constants are checked by the record checker itself (`check.rs`), on a
//! record that holds only the constant at its place, so the two can never
//! disagree about what a field accepts.

use crate::value::{Map, Value};

use crate::check::{check_record_at, Path as CheckPath};
use crate::schema::{builtin_rule_ids, Field, Kind, Schema, Type};

/// One step from a target record to a field below it.
#[derive(Clone, Debug)]
pub(crate) enum Seg {
    /// A key.
    Key(String),
    /// The first item of a list.
    Item,
}

/// Where a field spec writes: the target schema, the type of the record
/// being built, and the path from the target record to that record.
#[derive(Clone, Debug)]
pub(crate) struct Target<'s> {
    pub schema: &'s Schema,
    pub ty: &'s Type,
    pub at: Vec<Seg>,
}

impl<'s> Target<'s> {
    /// The target of the top-level record of `schema`.
    pub fn of(schema: &'s Schema) -> Target<'s> {
        Target {
            schema,
            ty: schema.record_type(),
            at: Vec::new(),
        }
    }

    /// The target of a nested record (`record:`) or of each item of a list (`for_each`).
    pub fn below(&self, field: &Field) -> Option<Target<'s>> {
        let ty = self.schema.type_named(field.of.as_deref()?)?;
        let mut at = self.at.clone();
        at.push(Seg::Key(field.name.clone()));
        if field.kind == Kind::List {
            at.push(Seg::Item);
        }
        Some(Target {
            schema: self.schema,
            ty,
            at,
        })
    }

    /// What is wrong with writing `value` to `field` of this record, as the
    /// record checker words it; empty when the constant is fine.
    pub fn constant_problems(&self, field: &Field, value: &Value) -> Vec<String> {
        let mut segs = self.at.clone();
        segs.push(Seg::Key(field.name.clone()));
        let record = nest(&segs, value.clone());
        let want = pointer(&segs);
        let mut found = Vec::new();
        check_record_at(self.schema, &record, &CheckPath::json(""), &mut found);
        found
            .into_iter()
            .filter(|v| v.path == want)
            .filter(|v| v.rule != "unknown-field" && builtin_rule_ids().contains(&v.rule.as_str()))
            .map(|v| format!("{} ({})", v.message, v.rule))
            .collect()
    }
}

/// A record holding only `value`, at `segs`.
fn nest(segs: &[Seg], value: Value) -> Value {
    match segs.split_first() {
        None => value,
        Some((Seg::Key(k), rest)) => {
            let mut m = Map::new();
            m.insert(k.clone(), nest(rest, value));
            Value::Object(m)
        }
        Some((Seg::Item, rest)) => Value::Array(vec![nest(rest, value)]),
    }
}

/// The JSON pointer the record checker reports for `segs`.
fn pointer(segs: &[Seg]) -> String {
    segs.iter()
        .map(|s| match s {
            Seg::Key(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
            Seg::Item => "/0".to_string(),
        })
        .collect()
}

/// The allowed codes of a code field, for the message of a bad constant.
pub(crate) fn allowed(field: &Field) -> Option<String> {
    (field.kind == Kind::Code && !field.codes.is_empty()).then(|| {
        field
            .codes
            .iter()
            .map(|(c, _)| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    })
}
