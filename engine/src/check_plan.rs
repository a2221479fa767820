//! The check plan: which of the target's checks a route's record cannot
//! fail, proved once when a mapping is prepared, so the per-record check
//! skips them (`--check-all` turns the plan off).
//!
//! Only the top record's own fields and rules are proved; nested records
//! and lists are always checked. A proof is one of:
//! - a constant (or a literal expression) whose value, after `default` and
//!   `truncate`, passes the target field's checks (they are run on it here);
//! - a plain copy of a source field (`= job.ref`) of the same kind whose
//!   limits lie within the target's: the source check passed on the record
//!   before anything was built, and copying changes nothing. `truncate`
//!   within the target's `max_length` proves the length of text (the
//!   per-record check still looks at a copied number or bool, which
//!   truncate leaves as it is);
//! - a target rule whose every name is a constant always built (or a name
//!   the route never builds): it is run here on those values, and skipped
//!   only if it holds.
//!
//! When in doubt a check stays: any modifier that computes a new value
//! (`round`, `format`, `as:`), a `script:`, a `when:` on a constant a rule
//! reads, a source type narrowed by `check_only`, all keep their checks.

use serde_json::{Map, Value};

use crate::build::{FieldSpec, Source};
use crate::expr::{is_blank, Expr, Step};
use crate::schema::{Check, Field, Kind, Schema, Type};

/// What is known of one target field of the top record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proof {
    /// Nothing: checked on every record.
    None,
    /// Its value always passes the field's checks.
    Always,
    /// Its value passes when it is text (a truncated copy).
    IfText,
}

/// The checks of a route's top record that need not run per record.
#[derive(Clone, Debug, Default)]
pub(crate) struct CheckPlan {
    /// By field index of the target's record type.
    fields: Vec<Proof>,
    /// By field index: always built, and never blank.
    present: Vec<bool>,
    /// By rule index of the target's record type: holds on every record.
    rules: Vec<bool>,
}

impl CheckPlan {
    /// Prove what can be proved of `record` (a route's top field specs)
    /// built for `target`, from a unit `source` has checked. `shadowed`
    /// are names a path finds before the record's fields (`let:` values,
    /// `params`, `root`); `params` are the run's, so an expression of
    /// params alone (`= params.company_code`) is a constant too.
    pub(crate) fn prove(
        record: &[FieldSpec],
        target: &Schema,
        source: Option<&Schema>,
        shadowed: &[&str],
        params: &Value,
    ) -> CheckPlan {
        let ty = target.record_type();
        let mut plan = CheckPlan {
            fields: vec![Proof::None; ty.fields.len()],
            present: vec![false; ty.fields.len()],
            rules: vec![false; ty.rules.len()],
        };
        // The constants a rule may read: their names and final values.
        let mut constants = Map::new();
        let mut always_built = Vec::new();
        for (i, field) in ty.fields.iter().enumerate() {
            let Some(spec) = only_spec(record, &field.name) else {
                continue;
            };
            let constant = constant_value(spec, params);
            plan.fields[i] = match &constant {
                Some(v) => constant_proof(target, field, v),
                None => copy_proof(target, field, spec, source, shadowed),
            };
            let built_always = spec.when.is_none() && !spec.omit_blank;
            if let (true, Some(Some(v))) = (built_always, &constant) {
                plan.present[i] = !is_blank(v);
                constants.insert(field.name.clone(), v.clone());
                always_built.push(field.name.as_str());
            }
        }
        let built: Vec<&str> = record.iter().map(|s| s.name.as_str()).collect();
        let known = |name: &str| always_built.contains(&name) || !built.contains(&name);
        for (i, rule) in ty.rules.iter().enumerate() {
            plan.rules[i] = rule_reads_only(rule, &known)
                && crate::check::rule_passes(target, ty, i, &constants);
        }
        plan
    }

    /// Whether the plan was made for `ty` (a copy of the target may differ).
    pub(crate) fn fits(&self, ty: &Type) -> bool {
        self.fields.len() == ty.fields.len() && self.rules.len() == ty.rules.len()
    }

    /// True when field `i`'s check cannot fail on `value`.
    pub(crate) fn proves_field(&self, i: usize, value: &Value) -> bool {
        match self.fields.get(i) {
            Some(Proof::Always) => true,
            Some(Proof::IfText) => value.is_string(),
            _ => false,
        }
    }

    /// True when rule `i` holds on every record the route builds.
    pub(crate) fn proves_rule(&self, i: usize) -> bool {
        self.rules.get(i).copied().unwrap_or(false)
    }

    /// How many field and rule checks the plan leaves out.
    #[cfg(test)]
    fn skipped(&self) -> usize {
        let fields = self.fields.iter().filter(|p| **p != Proof::None).count();
        fields + self.rules.iter().filter(|r| **r).count()
    }

    /// What is known of the field called `name` of `ty`.
    #[cfg(test)]
    fn proof_of(&self, ty: &Type, name: &str) -> Proof {
        ty.position(name)
            .map(|i| self.fields[i])
            .unwrap_or(Proof::None)
    }
}

/// The one spec that builds `name` (none when two do: the later wins at
/// build time, and proving either would be guessing).
fn only_spec<'a>(record: &'a [FieldSpec], name: &str) -> Option<&'a FieldSpec> {
    let mut found = record.iter().filter(|s| s.name == name);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// No modifier that computes a new value: only `default` and `truncate`,
/// which the proofs account for.
fn plain(spec: &FieldSpec) -> bool {
    spec.round.is_none()
        && spec.format.is_none()
        && spec.number_format.is_none()
        && spec.convert.is_none()
}

/// The value a constant spec always builds: `Some(None)` when it is left
/// out (blank with `omit_blank`), None when the spec is not a constant.
fn constant_value(spec: &FieldSpec, params: &Value) -> Option<Option<Value>> {
    let written = match &spec.source {
        Source::Const(v) => v.clone(),
        Source::Expr(e) => match e.as_literal() {
            Some(v) => v.clone(),
            None => of_params(e, params)?,
        },
        _ => return None,
    };
    if !plain(spec) {
        return None;
    }
    if spec.omit_blank && spec.default.is_none() && is_blank(&written) {
        return Some(None);
    }
    Some(Some(finished(spec, written)))
}

/// The value of an expression that reads nothing but params (the same
/// for every record of the run); None if it reads anything else or fails.
fn of_params(e: &Expr, params: &Value) -> Option<Value> {
    let reads = e.reads();
    let only_params = reads
        .iter()
        .all(|r| matches!(r.steps.first(), Some(Step::Name(n)) if n == "params"));
    if e.is_script() || reads.is_empty() || !only_params {
        return None;
    }
    let scope = crate::expr::Scope::of(None).with("params", params);
    e.eval(&scope).ok()
}

/// `default` then `truncate`, as the builder applies them.
fn finished(spec: &FieldSpec, mut value: Value) -> Value {
    if is_blank(&value) {
        if let Some(d) = &spec.default {
            value = d.clone();
        }
    }
    if let (Some(n), Value::String(s)) = (spec.truncate, &value) {
        if s.chars().count() > n {
            value = Value::String(s.chars().take(n).collect());
        }
    }
    value
}

/// A constant is proved when the target's own checks pass on it.
fn constant_proof(target: &Schema, field: &Field, v: &Option<Value>) -> Proof {
    if scalar(field.kind).is_none() {
        return Proof::None;
    }
    match v {
        Some(v) if crate::check::field_passes(target, field, v) => Proof::Always,
        // Left out: the record's check of required fields still runs.
        None => Proof::Always,
        _ => Proof::None,
    }
}

fn scalar(kind: Kind) -> Option<Kind> {
    (!matches!(kind, Kind::List | Kind::Object)).then_some(kind)
}

/// A plain copy of a source field is proved by the source's limits.
fn copy_proof(
    target: &Schema,
    field: &Field,
    spec: &FieldSpec,
    source: Option<&Schema>,
    shadowed: &[&str],
) -> Proof {
    let (Some(source), Source::Expr(e)) = (source, &spec.source) else {
        return Proof::None;
    };
    if !plain(spec) || scalar(field.kind).is_none() {
        return Proof::None;
    }
    let Some((from, always_set)) = source_field(source, e, shadowed) else {
        return Proof::None;
    };
    // A blank copy is blank on the target, or takes the default.
    let blank_passes = match &spec.default {
        Some(d) => crate::check::field_passes(target, field, &finished(spec, d.clone())),
        None => always_set || !field.required,
    };
    if !blank_passes || from.kind != field.kind {
        return Proof::None;
    }
    if !limits_within(from, field, false) {
        // Cut to the target's length, text fits; anything else must fit as is.
        let cut_fits = spec
            .truncate
            .is_some_and(|n| field.max_length.is_none_or(|max| n <= max));
        return match cut_fits && limits_within(from, field, true) {
            true => Proof::IfText,
            false => Proof::None,
        };
    }
    Proof::Always
}

/// The source field a path expression copies, and whether it is never
/// blank on a record that passed the source check (every field on the
/// way is required). None when the path leaves what the source check
/// proves: a list item, a reserved field, a type narrowed by `check_only`,
/// a name a `let:` or variable shadows.
fn source_field<'s>(source: &'s Schema, e: &Expr, shadowed: &[&str]) -> Option<(&'s Field, bool)> {
    let path = e.as_path()?;
    if shadowed.contains(&path.first()?.as_str()) {
        return None;
    }
    let mut ty = source.record_type();
    let mut always_set = true;
    let (last, ways) = path.split_last()?;
    for step in ways {
        let f = checked_field(ty, step)?;
        if f.kind != Kind::Object {
            return None;
        }
        always_set &= f.required;
        ty = source.type_named(f.of.as_deref()?)?;
    }
    let f = checked_field(ty, last)?;
    Some((f, always_set && f.required))
}

/// A field the source check always checks when present.
fn checked_field<'t>(ty: &'t Type, name: &str) -> Option<&'t Field> {
    if ty.rules.iter().any(|r| r.check_only.is_some()) {
        return None;
    }
    ty.field(name).filter(|f| !f.reserved)
}

/// Every check the target field makes is implied by the source field's
/// (same kind); `ignore_length` leaves `max_length` to a truncate.
fn limits_within(from: &Field, to: &Field, ignore_length: bool) -> bool {
    let at_most = |s: Option<usize>, t: Option<usize>| t.is_none_or(|t| s.is_some_and(|s| s <= t));
    let length = ignore_length || at_most(from.max_length, to.max_length);
    let min = to.min.is_none_or(|t| from.min.is_some_and(|s| s >= t));
    let max = to.max.is_none_or(|t| from.max.is_some_and(|s| s <= t));
    let commas = !from.commas || to.commas;
    let codes = from.kind != Kind::Code
        || from
            .codes
            .iter()
            .all(|(c, _)| to.codes.iter().any(|(t, _)| t == c));
    let format = from.format.as_ref().map(|p| p.as_str()) == to.format.as_ref().map(|p| p.as_str());
    length && min && max && commas && codes && format && digits_within(from, to)
}

/// The digit limits (SQL Decimal(digits, scale)) of the target are implied
/// by the source's: before the point, after it, and in all.
fn digits_within(from: &Field, to: &Field) -> bool {
    let bounds = |f: &Field| -> [Option<u32>; 3] {
        match (f.digits, f.scale) {
            (Some(d), Some(s)) => [Some(d.saturating_sub(s)), Some(s), None],
            (Some(d), None) => [None, None, Some(d)],
            (None, s) => [None, s, None],
        }
    };
    let [int, frac, total] = bounds(from);
    // What the source's limits give for each, derived where not written.
    let int = int.or(total);
    let frac = frac.or(total);
    let total = total.or_else(|| Some(int? + frac?));
    let [need_int, need_frac, need_total] = bounds(to);
    let within =
        |have: Option<u32>, need: Option<u32>| need.is_none_or(|n| have.is_some_and(|h| h <= n));
    within(int, need_int) && within(frac, need_frac) && within(total, need_total)
}

/// True when every name the rule reads is one `known` vouches for (a
/// constant always built, or a name never built). A script is not followed.
fn rule_reads_only(rule: &crate::schema::Rule, known: &dyn Fn(&str) -> bool) -> bool {
    if rule.check_only.is_some() {
        return false;
    }
    let expr_known = |e: &Expr| {
        !e.is_script()
            && e.reads().iter().all(|r| match r.steps.first() {
                Some(Step::Name(n)) => n != "parent" && known(n),
                _ => false,
            })
    };
    let names_known = |names: &[String]| names.iter().all(|n| known(n));
    let check = match &rule.check {
        Check::Require(n) | Check::RequireAny(n) | Check::Forbid(n) => names_known(n),
        Check::Assert(e) => expr_known(e),
        _ => false,
    };
    check && rule.when.as_ref().is_none_or(expr_known)
}

#[cfg(test)]
mod tests;
