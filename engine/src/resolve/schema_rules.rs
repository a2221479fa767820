//! The names a schema's own rules read: a rule's `when:` and `assert:` and
//! its message template read fields of the type the rule is on (and, through
//! lists and objects, of the types below it). A misspelt name reads `()` on
//! every payload, which can switch the rule off: `when: Ship_To_Cde == "I"`
//! let every ship-to-input P.O. through unchecked. So an unknown name is an
//! error at load, like a mapping's.

use crate::diag::{near_help, Diagnostic, Diagnostics, Span};
use crate::expr::{Expr, Step};
use crate::schema::{Check, Kind, Rule, Schema, Type};

/// Names every rule's expressions and message may use beside the type's
/// fields: `parent` (the record holding this one), and in a message the
/// `field` and `value` the rule is about.
const RULE_VARIABLES: [&str; 1] = ["parent"];
const MESSAGE_VARIABLES: [&str; 3] = ["parent", "field", "value"];

/// Check the names of every rule of every type of `schema`.
pub(crate) fn check_schema(schema: &Schema, diags: &mut Diagnostics) {
    for ty in &schema.types {
        for rule in &ty.rules {
            let assert = match &rule.check {
                Check::Assert(e) => Some(e),
                _ => None,
            };
            let exprs = [
                (rule.when.as_ref(), &rule.when_at),
                (assert, &rule.assert_at),
            ];
            for (e, at) in exprs {
                if let Some(e) = e {
                    let at = at.as_ref().unwrap_or(&rule.span);
                    check_expr(schema, ty, rule, (e, at), diags);
                }
            }
            check_message(schema, ty, rule, diags);
        }
    }
}

/// Check the reads of `e`, whose text begins at `at`.
fn check_expr(
    schema: &Schema,
    ty: &Type,
    rule: &Rule,
    (e, at): (&Expr, &Span),
    diags: &mut Diagnostics,
) {
    let mut said = Vec::new();
    for read in e.reads() {
        // A script's names are checked one level deep, as in mappings.
        let steps = if e.is_script() {
            &read.steps[..read.steps.len().min(1)]
        } else {
            &read.steps[..]
        };
        if let Err(problem) = resolve(schema, ty, steps, &RULE_VARIABLES) {
            if !said.contains(&problem.what) {
                let d = Diagnostic::error(
                    read_at(at, e.source(), read.offset),
                    "unknown-field",
                    format!("rule {}: {} (in `{}`)", rule.id, problem.what, e.quoted()),
                );
                said.push(problem.what.clone());
                diags.push(problem.help(d));
            }
        }
    }
}

/// The place of byte `offset` of expression text `src` that begins at
/// `start`: on its line when the text is one line, else where it begins.
fn read_at(start: &Span, src: &str, offset: usize) -> Span {
    match src.get(..offset) {
        Some(before) if !src.contains('\n') => Span {
            column: start.column + before.chars().count() as u32,
            ..start.clone()
        },
        _ => start.clone(),
    }
}

fn check_message(schema: &Schema, ty: &Type, rule: &Rule, diags: &mut Diagnostics) {
    let Some(name) = &rule.message else { return };
    let Ok(template) = schema.messages.get_template(name) else {
        return;
    };
    for var in template.undeclared_variables(true) {
        let steps: Vec<Step> = var.split('.').map(|s| Step::Name(s.to_string())).collect();
        if let Err(problem) = resolve(schema, ty, &steps, &MESSAGE_VARIABLES) {
            let d = Diagnostic::error(
                rule.span.clone(),
                "unknown-field",
                format!("rule {}: its message reads {}", rule.id, problem.what),
            );
            diags.push(problem.help(d));
        }
    }
}

/// The first step of a read that names no field, and a near name.
struct Problem {
    what: String,
    near: Option<String>,
}

impl Problem {
    fn help(self, d: Diagnostic) -> Diagnostic {
        match self.near {
            Some(h) => d.with_help(h),
            None => d,
        }
    }
}

/// Follow `steps` from the fields of `ty`; the problem with the first step
/// that names no field.
fn resolve(schema: &Schema, ty: &Type, steps: &[Step], variables: &[&str]) -> Result<(), Problem> {
    let Some(Step::Name(first)) = steps.first() else {
        return Ok(());
    };
    if variables.contains(&first.as_str()) {
        return Ok(());
    }
    let mut here = ty;
    let mut rest = steps;
    let mut first_step = true;
    loop {
        let Some(Step::Name(name)) = rest.first() else {
            return Ok(());
        };
        let Some(field) = here.field(name) else {
            // At the first step the variables are names too.
            let vars = variables.iter().copied().filter(|_| first_step);
            let near = near_help(
                name,
                here.fields.iter().map(|f| f.name.as_str()).chain(vars),
            );
            return Err(Problem {
                what: format!("'{name}' is not a field of {}", here.name),
                near,
            });
        };
        let Some(inner) = field.of.as_deref().and_then(|t| schema.type_named(t)) else {
            return Ok(());
        };
        rest = &rest[1..];
        first_step = false;
        if field.kind == Kind::List {
            match rest.first() {
                Some(Step::Item) => rest = &rest[1..],
                _ => return Ok(()),
            }
        }
        here = inner;
    }
}
