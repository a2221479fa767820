//! Scopes: what a name means at one place of a mapping, and what a path
//! through the source schema finds there.
//!
//! The order mirrors the evaluator's (`expr::Scope::get`): the named
//! variables (`params`, `root`, `item`, `index`, `parent`, `rows`, `error`),
//! then inside `for_each` the item's fields, then the `let:` values, then the
//! unit's fields (or, inside `for_each`, the record that holds the list).

use crate::expr::Step;
use crate::params::ParamSpec;
use crate::schema::{Check, Field, Kind, Schema, Type};

/// What a value is known to be, statically.
#[derive(Clone, Debug)]
pub(crate) enum Shape<'s> {
    /// Unknown (no schema, a `let:` computed value, CSV columns): nothing
    /// below it can be checked.
    Any,
    /// A record of a source schema type.
    Record(&'s Type),
    /// A list whose items have this shape.
    List(Box<Shape<'s>>),
    /// A scalar (text, number, date...).
    Value,
}

/// A record in scope and, when known, its path from the unit (`[activities, Item]`).
#[derive(Clone, Debug)]
pub(crate) struct Place<'s> {
    pub shape: Shape<'s>,
    pub path: Option<Vec<Step>>,
}

/// Everything a name can mean at one place.
#[derive(Clone, Debug)]
pub(crate) struct Frame<'s> {
    /// The source schema, if the mapping names one.
    pub schema: Option<&'s Schema>,
    /// The unit (`root`).
    pub unit: Shape<'s>,
    /// The record whose fields are variables (the unit, or the item inside `for_each`).
    pub record: Place<'s>,
    /// Inside `for_each`: the record that holds the list (searched last).
    pub outer: Option<Place<'s>>,
    /// `parent` (build `for_each` only; source rules have none).
    pub parent: Option<Place<'s>>,
    /// Inside `for_each`: `item` and `index` are defined, item fields come first.
    pub in_item: bool,
    /// `let:` values: name, shape and path (a `let:` that is a plain path keeps both).
    pub lets: Vec<(String, Place<'s>)>,
    /// `rows` (the group's rows, in `input.csv.unit`).
    pub rows: bool,
    /// `error` (the build error, in a field's `message:`).
    pub error: bool,
    /// Declared params.
    pub params: &'s [ParamSpec],
    /// Paths known present: tested by a rule that rejects the unit, or by the
    /// `when:` of the record being built.
    pub guards: Vec<Vec<Step>>,
}

/// A name found: its shape, its path from the unit when known, and the
/// paths (from the unit) of the optional fields it passes through.
#[derive(Clone, Debug)]
pub(crate) struct Found<'s> {
    pub shape: Shape<'s>,
    pub path: Option<Vec<Step>>,
    pub optional: Vec<Option<Vec<Step>>>,
    /// The last optional field passed through, for messages.
    pub optional_name: Option<String>,
    /// The schema field the read ends at, when it ends at one.
    pub field: Option<&'s Field>,
}

/// A name not found: which step of the read, a stable code and the words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unknown {
    pub step: usize,
    pub code: &'static str,
    pub message: String,
    /// A did-you-mean, when a known name is near.
    pub help: Option<String>,
}

impl Unknown {
    /// The finding, at `at`.
    pub fn at(self, at: crate::diag::Span) -> crate::diag::Diagnostic {
        let d = crate::diag::Diagnostic::error(at, self.code, self.message);
        match self.help {
            Some(h) => d.with_help(h),
            None => d,
        }
    }
}

const VARIABLES: [(&str, &str); 6] = [
    ("item", "inside for_each"),
    ("index", "inside for_each"),
    ("parent", "inside a record's for_each"),
    ("rows", "in input.csv.unit"),
    ("error", "in a field's message"),
    ("root", "everywhere"),
];

impl<'s> Frame<'s> {
    /// The frame of the unit itself: its fields, `params` and `root`.
    pub fn unit(schema: Option<&'s Schema>, params: &'s [ParamSpec]) -> Frame<'s> {
        let unit = match schema {
            Some(s) => Shape::Record(s.record_type()),
            None => Shape::Any,
        };
        Frame {
            schema,
            unit: unit.clone(),
            record: Place {
                shape: unit,
                path: Some(Vec::new()),
            },
            outer: None,
            parent: None,
            in_item: false,
            lets: Vec::new(),
            rows: false,
            error: false,
            params,
            guards: Vec::new(),
        }
    }

    /// The frame inside `for_each` over `list` (a build's, with `parent`, or a rule's).
    pub fn item(&self, list: &Found<'s>, with_parent: bool) -> Frame<'s> {
        let shape = match &list.shape {
            Shape::List(inner) => (**inner).clone(),
            _ => Shape::Any,
        };
        let path = list.path.clone().map(|mut p| {
            p.push(Step::Item);
            p
        });
        let mut f = self.clone();
        f.outer = Some(self.record.clone());
        f.parent = with_parent.then(|| self.record.clone());
        f.record = Place { shape, path };
        f.in_item = true;
        f
    }

    /// The frame inside a `for_each` whose list is not a plain path.
    pub fn unknown_item(&self, with_parent: bool) -> Frame<'s> {
        self.item(
            &Found {
                shape: Shape::Any,
                path: None,
                optional: Vec::new(),
                optional_name: None,
                field: None,
            },
            with_parent,
        )
    }

    /// Resolve a read path.
    pub fn resolve(&self, steps: &[Step]) -> Result<Found<'s>, Unknown> {
        let Some(Step::Name(first)) = steps.first() else {
            return Ok(self.any());
        };
        let rest = &steps[1..];
        match first.as_str() {
            "params" => return self.param(rest),
            "root" => return self.walk(&self.unit.clone(), Some(Vec::new()), rest, 1),
            "item" if self.in_item => return self.walk_place(&self.record.clone(), rest, 1),
            "index" if self.in_item => return Ok(self.value()),
            "parent" if self.parent.is_some() => {
                let p = self.parent.clone().unwrap_or_else(|| self.record.clone());
                return self.walk_place(&p, rest, 1);
            }
            "rows" if self.rows => {
                return Ok(Found {
                    shape: Shape::List(Box::new(Shape::Any)),
                    path: None,
                    optional: Vec::new(),
                    optional_name: None,
                    field: None,
                })
            }
            "error" if self.error => return Ok(self.value()),
            _ => {}
        }
        if self.in_item && self.has(&self.record.shape, first) {
            return self.walk_place(&self.record.clone(), steps, 0);
        }
        if let Some((_, place)) = self.lets.iter().rev().find(|(n, _)| n == first) {
            return self.walk_place(&place.clone(), rest, 1);
        }
        if !self.in_item && self.has(&self.record.shape, first) {
            return self.walk_place(&self.record.clone(), steps, 0);
        }
        if let Some(o) = &self.outer {
            if self.has(&o.shape, first) {
                return self.walk_place(&o.clone(), steps, 0);
            }
        }
        Err(self.unknown_first(first))
    }

    /// Resolve a path in the current record only (a JSONPath's `$`).
    pub fn resolve_in_record(&self, steps: &[Step]) -> Result<Found<'s>, Unknown> {
        match steps.first() {
            Some(Step::Name(first)) if !self.has(&self.record.shape, first) => {
                let t = match &self.record.shape {
                    Shape::Record(t) => *t,
                    _ => return Ok(self.any()),
                };
                Err(self.unknown_field(t, first, 0))
            }
            _ => self.walk_place(&self.record.clone(), steps, 0),
        }
    }

    fn any(&self) -> Found<'s> {
        Found {
            shape: Shape::Any,
            path: None,
            optional: Vec::new(),
            optional_name: None,
            field: None,
        }
    }

    fn value(&self) -> Found<'s> {
        Found {
            shape: Shape::Value,
            ..self.any()
        }
    }

    fn has(&self, shape: &Shape, name: &str) -> bool {
        match shape {
            Shape::Any => true,
            Shape::Record(t) => t.field(name).is_some(),
            _ => false,
        }
    }

    fn param(&self, rest: &[Step]) -> Result<Found<'s>, Unknown> {
        let Some(Step::Name(name)) = rest.first() else {
            return Ok(self.any());
        };
        if self.params.iter().any(|p| &p.name == name) {
            return Ok(self.value());
        }
        let declared: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
        let list = if declared.is_empty() {
            "the mapping declares no params".to_string()
        } else {
            format!("declared: {}", declared.join(", "))
        };
        Err(Unknown {
            step: 1,
            code: "unknown-param",
            message: format!("params.{name} is not declared under `params:` ({list})"),
            help: hint(name, declared),
        })
    }

    /// Resolve `steps` below a place the caller bound itself (a template's
    /// loop variable); `skipped` steps of the read came before.
    pub fn resolve_from(
        &self,
        place: &Place<'s>,
        steps: &[Step],
        skipped: usize,
    ) -> Result<Found<'s>, Unknown> {
        self.walk_place(place, steps, skipped)
    }

    fn walk_place(
        &self,
        place: &Place<'s>,
        steps: &[Step],
        skipped: usize,
    ) -> Result<Found<'s>, Unknown> {
        self.walk(&place.shape, place.path.clone(), steps, skipped)
    }

    /// Follow `steps` from `shape`; `skipped` steps of the read came before
    /// (for the step number of an unknown name).
    fn walk(
        &self,
        shape: &Shape<'s>,
        mut path: Option<Vec<Step>>,
        steps: &[Step],
        skipped: usize,
    ) -> Result<Found<'s>, Unknown> {
        let mut shape = shape.clone();
        let mut optional = Vec::new();
        let mut optional_name = None;
        let mut field = None;
        for (i, step) in steps.iter().enumerate() {
            if let Some(p) = path.as_mut() {
                p.push(step.clone());
            }
            field = None;
            shape = match (&shape, step) {
                (Shape::Record(t), Step::Name(n)) => {
                    let Some(f) = t.field(n) else {
                        return Err(self.unknown_field(t, n, skipped + i));
                    };
                    if !f.required && !required_by_rule(t, n) {
                        optional.push(path.clone());
                        optional_name = Some(n.clone());
                    }
                    field = Some(f);
                    self.field_shape(f)
                }
                (Shape::List(inner), Step::Item) => (**inner).clone(),
                _ => Shape::Any,
            };
            if matches!(shape, Shape::Any) {
                path = None;
                break;
            }
        }
        Ok(Found {
            shape,
            path,
            optional,
            optional_name,
            field,
        })
    }

    /// A JSONPath's `..name` below `shape`: some type at or below it (through
    /// objects and lists) must have a field `name`. `step` numbers the read.
    pub fn descendant(&self, shape: &Shape<'s>, name: &str, step: usize) -> Result<(), Unknown> {
        let mut types: Vec<&'s Type> = Vec::new();
        let mut todo = vec![shape.clone()];
        while let Some(s) = todo.pop() {
            match s {
                // Anything may be below an unknown value.
                Shape::Any => return Ok(()),
                Shape::Record(t) if !types.iter().any(|k| std::ptr::eq(*k, t)) => {
                    types.push(t);
                    todo.extend(t.fields.iter().map(|f| self.field_shape(f)));
                }
                Shape::List(inner) => todo.push(*inner),
                Shape::Record(_) | Shape::Value => {}
            }
        }
        if types.iter().any(|t| t.field(name).is_some()) {
            return Ok(());
        }
        let below = match shape {
            Shape::Record(t) => format!("{}'s {} or any type below it", self.schema_name(), t.name),
            _ => "anything below this path".to_string(),
        };
        let known = types
            .iter()
            .flat_map(|t| t.fields.iter().map(|f| f.name.as_str()));
        Err(Unknown {
            step,
            code: "unknown-source-field",
            message: format!("'..{name}' finds nothing: no field '{name}' is in {below}"),
            help: hint(name, known),
        })
    }

    /// The shape of a schema field's value.
    pub fn field_shape(&self, f: &'s Field) -> Shape<'s> {
        let inner =
            f.of.as_deref()
                .and_then(|t| self.schema.and_then(|s| s.type_named(t)));
        match (f.kind, inner) {
            (Kind::Object, Some(t)) => Shape::Record(t),
            (Kind::List, Some(t)) => Shape::List(Box::new(Shape::Record(t))),
            (Kind::List, None) => Shape::List(Box::new(Shape::Any)),
            (Kind::Object, None) => Shape::Any,
            _ => Shape::Value,
        }
    }

    fn schema_name(&self) -> &str {
        self.schema.map(|s| s.name.as_str()).unwrap_or("the source")
    }

    fn unknown_field(&self, t: &Type, name: &str, step: usize) -> Unknown {
        Unknown {
            step,
            code: "unknown-source-field",
            message: format!(
                "'{name}' is not a field of {}'s {}",
                self.schema_name(),
                t.name
            ),
            help: hint(name, t.fields.iter().map(|f| f.name.as_str())),
        }
    }

    /// A first name that nothing in scope has: a variable used out of its
    /// place, or a field the record does not have.
    fn unknown_first(&self, name: &str) -> Unknown {
        if let Some((_, place)) = VARIABLES.iter().find(|(v, _)| *v == name) {
            return Unknown {
                step: 0,
                code: "unknown-variable",
                message: format!("'{name}' is defined only {place}, not here"),
                help: None,
            };
        }
        let mut known: Vec<&str> = Vec::new();
        let records = [Some(&self.record), self.outer.as_ref()];
        for place in records.into_iter().flatten() {
            if let Shape::Record(t) = &place.shape {
                known.extend(t.fields.iter().map(|f| f.name.as_str()));
            }
        }
        known.extend(self.lets.iter().map(|(n, _)| n.as_str()));
        known.extend(self.variables());
        let what = match &self.record.shape {
            Shape::Record(t) => format!("a field of {}'s {}", self.schema_name(), t.name),
            _ => "a field of the record".to_string(),
        };
        let lets = if self.lets.is_empty() {
            ""
        } else {
            ", a let: value"
        };
        Unknown {
            step: 0,
            code: "unknown-source-field",
            message: format!("'{name}' is not {what}{lets} or a variable here"),
            help: hint(name, known),
        }
    }

    fn variables(&self) -> Vec<&'static str> {
        let mut v = vec!["params", "root"];
        if self.in_item {
            v.extend(["item", "index"]);
        }
        if self.parent.is_some() {
            v.push("parent");
        }
        if self.rows {
            v.push("rows");
        }
        if self.error {
            v.push("error");
        }
        v
    }
}

/// A field that one of its type's `require:` rules asks for. The rule's
/// condition usually matches the route or `when:` that reads the field
/// (`document` when the event is document_uploaded), so the read is taken
/// as guarded rather than warned about.
fn required_by_rule(t: &Type, name: &str) -> bool {
    t.rules
        .iter()
        .any(|r| matches!(&r.check, Check::Require(fields) if fields.iter().any(|f| f == name)))
}

/// "did you mean 'x'?" when a known name is near `name`, for a help line.
pub(crate) fn hint<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    crate::diag::near_help(name, known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SCHEMA: &str = "schema: t.unit\nsystem: T\nformat: json\nrecord: unit\ntypes:\n  unit:\n    fields:\n      ref: {type: text, required: true}\n      lines: {type: list, of: line}\n  line:\n    fields:\n      id: {type: integer, required: true}\n      parts: {type: list, of: part}\n  part:\n    fields:\n      code: {type: text}\n";

    fn names(path: &str) -> Vec<Step> {
        path.split('.')
            .map(|s| match s {
                "[]" => Step::Item,
                n => Step::Name(n.to_string()),
            })
            .collect()
    }

    #[test]
    fn scopes_follow_the_evaluator() {
        let schema = Schema::from_str(Path::new("schemas/t/unit.yaml"), SCHEMA).unwrap();
        let unit = Frame::unit(Some(&schema), &[]);
        assert!(unit.resolve(&names("ref")).is_ok());
        assert_eq!(
            unit.resolve(&names("index")).unwrap_err().code,
            "unknown-variable"
        );
        let lines = unit.resolve(&names("lines")).unwrap();
        let line = unit.item(&lines, true);
        // An item sees its own fields, then the record holding the list.
        assert!(line.resolve(&names("id")).is_ok());
        assert!(line.resolve(&names("ref")).is_ok());
        assert!(line.resolve(&names("parent.ref")).is_ok());
        assert!(line.resolve(&names("index")).is_ok());
        let parts = line.resolve(&names("parts")).unwrap();
        let part = line.item(&parts, true);
        // Two lists down, the unit's fields are reached through root only.
        assert!(part.resolve(&names("id")).is_ok());
        assert_eq!(
            part.resolve(&names("ref")).unwrap_err().code,
            "unknown-source-field"
        );
        assert!(part.resolve(&names("root.ref")).is_ok());
        // The item's path from the unit, for guards.
        let code = part.resolve(&names("code")).unwrap();
        assert_eq!(code.path, Some(names("lines.[].parts.[].code")));
        assert_eq!(code.optional, vec![Some(names("lines.[].parts.[].code"))]);
        let unknown = part.resolve(&names("root.lines.[].idd")).unwrap_err();
        assert_eq!((unknown.step, unknown.code), (3, "unknown-source-field"));
        assert_eq!(unknown.help.as_deref(), Some("did you mean 'id'?"));
    }
}
