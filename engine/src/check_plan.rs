//! The check plan: which of the target's checks a route's record cannot
//! fail, proved once when a mapping is prepared, so the per-record check
//! skips them (`--check-all` turns the plan off).
//!
//! The route's record and the items of its `for_each` lists are proved
//! (a nested `record:` object is always checked). A proof is one of:
//! - a constant (a literal expression, or one of params alone: the run's
//!   params are known here) whose value, after `default` and `truncate`,
//!   passes the target field's checks (they are run on it here);
//! - a plain copy of a source field (`= job.ref`) of the same kind whose
//!   limits lie within the target's: the source check passed on the record
//!   before anything was built, and copying changes nothing. A `truncate`
//!   that may cut keeps a proof only into text, within the target's
//!   `max_length`, and only for a value that is text (and, where the
//!   target requires it, not left blank by the cut): a cut date, code,
//!   GUID or number string may no longer be one, so those are checked;
//! - a target rule whose every name is a constant always built (or a name
//!   the route never builds): it is run here on those values, and skipped
//!   only if it holds;
//! - a target rule that holds on what is known of every record built
//!   (expr/facts.rs): a copy of a required source field, a lookup with no
//!   blank value, and text joined to a literal are never blank, the last
//!   starts with its literal, a list item's `parent` is its holder's
//!   (Spectrum's `require: [Item_ID]`, `Item_ID.starts_with("!")`,
//!   `when: ... && blank(parent.Job_Number)`).
//!
//! The proofs are of records built whole: a record one of whose fields
//! failed to build is checked in full.
//!
//! When in doubt a check stays: any modifier that computes a new value
//! (`round`, `format`, `as:`), a `script:`, a `when:` on a constant a rule
//! reads, a source type narrowed by `check_only`, all keep their checks.

use crate::value::{Map, Value};

use crate::build::{Data, FieldSpec, Source};
use crate::expr::{is_blank, Expr, Fact, Step};
use crate::schema::{Check, Field, Kind, Schema, Type};

/// What is known of one target field, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Proof {
    /// Nothing: checked on every record.
    None,
    /// Its value passes when it is text and not blank (a truncated copy
    /// into a required text field: the cut may leave only spaces).
    IfFilledText,
    /// Its value passes when it is text (a truncated copy into text).
    IfText,
    /// Its value always passes the field's checks.
    Always,
}

impl Proof {
    /// What holds of a field two specs may build: the weaker proof.
    fn and(self, other: Proof) -> Proof {
        self.min(other)
    }
}

/// The checks of a route's record (or of the items of one of its lists)
/// that need not run per record.
#[derive(Clone, Debug, Default)]
pub(crate) struct CheckPlan {
    /// By field index of the record's type.
    fields: Vec<Proof>,
    /// By field index: always built, and never blank.
    present: Vec<bool>,
    /// By rule index of the record's type: holds on every record.
    rules: Vec<bool>,
    /// By rule index: what is left to test of its `when`.
    whens: Vec<When>,
    /// By field index: the plan of a `for_each` list's items.
    items: Vec<Option<CheckPlan>>,
    /// Items built by several `records:` entries: each entry's own plan,
    /// told apart by a constant each sets to its own value.
    entries: Option<Box<Entries>>,
}

/// What is left of a rule's `when` on a record whose constants the plan
/// knows: its `&&` operands that read only those constants and hold are
/// dropped (`Detail_Entry_Type != "M"` on an item line).
#[derive(Clone, Debug, Default)]
pub(crate) enum When {
    /// All of it is tested.
    #[default]
    Full,
    /// Every operand holds: the rule applies to every such record.
    Always,
    /// The operands left, in their order.
    Rest(Expr),
}

/// The plans of a list's `records:` entries, by the value of the field
/// whose constant tells them apart (Spectrum's `Detail_Entry_Type`: `N`
/// for an item line, `M` for a message line).
#[derive(Clone, Debug)]
struct Entries {
    field: String,
    plans: Vec<(Value, CheckPlan)>,
}

/// Where a record's copies come from: the source type its paths start in.
#[derive(Clone)]
struct Origin<'s> {
    schema: &'s Schema,
    ty: &'s Type,
    /// In a `for_each` item, what lies further out (see [`Outside`]).
    item: Option<Outside<'s>>,
}

/// In a `for_each` item a name the item lacks is looked for further out:
/// in the `let:` values, then in the record holding the list. A path is
/// trusted when its first field is required (always there after the
/// source check), or when nothing further out can answer to the name.
#[derive(Clone)]
struct Outside<'s> {
    /// Every `let:` name an item sees (the unit's and the list's own).
    lets: Vec<String>,
    /// The type of the record holding the list.
    holder: &'s Type,
}

impl Outside<'_> {
    /// True when a name the item lacks finds nothing further out: no
    /// `let:` of that name, and the holder has no such field and refuses
    /// unknown ones (so a record that passed its check has none).
    fn answers_nothing_to(&self, name: &str) -> bool {
        !self.lets.iter().any(|l| l == name)
            && self.holder.field(name).is_none()
            && self.holder.additional == crate::schema::Additional::Error
    }
}

/// What is known of the fields of the record being proved, by name.
type Facts = Vec<(String, Fact)>;

/// A `for_each` list field's item type, `records:` entries, and the origin
/// of its items ([`Prover::list_items`]).
type ListItems<'t, 'f, 'o> = (&'t Type, Vec<&'f [FieldSpec]>, Option<Origin<'o>>);

/// What every proof of one route needs.
struct Prover<'a> {
    target: &'a Schema,
    /// Names found before a unit's fields: `params`, `root`, `let:` values.
    shadowed: &'a [&'a str],
    params: &'a Value,
    /// The mapping's lookups: a field a lookup fills can only hold one of
    /// its values.
    data: &'a Data,
}

/// The most values a lookup field may have, or combinations a rule over
/// such fields may take, for the plan to try each one.
const MOST_TRIED: usize = 256;

/// Names found before an item's fields (crate::build's `for_each`).
const ITEM_VARS: [&str; 5] = ["params", "root", "item", "index", "parent"];

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
        data: &Data,
    ) -> CheckPlan {
        let prover = Prover {
            target,
            shadowed,
            params,
            data,
        };
        let origin = source.map(|schema| Origin {
            schema,
            ty: schema.record_type(),
            item: None,
        });
        prover.record(target.record_type(), &[record], origin.as_ref(), None)
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
            Some(Proof::IfFilledText) => value.is_string() && !is_blank(value),
            _ => false,
        }
    }

    /// True when rule `i` holds on every record the route builds.
    pub(crate) fn proves_rule(&self, i: usize) -> bool {
        self.rules.get(i).copied().unwrap_or(false)
    }

    /// What is left to test of rule `i`'s `when`.
    pub(crate) fn when_of(&self, i: usize) -> &When {
        static FULL: When = When::Full;
        self.whens.get(i).unwrap_or(&FULL)
    }

    /// The plan for `rec`: the plan of the `records:` entry that built it
    /// when the entries' telling constant names one (no other entry sets
    /// that value), else this plan, which holds for every entry.
    pub(crate) fn for_record(&self, rec: &Map) -> &CheckPlan {
        let Some(e) = &self.entries else {
            return self;
        };
        let Some(value) = crate::expr::get(rec, &e.field) else {
            return self;
        };
        e.plans
            .iter()
            .find(|(v, _)| v == value)
            .map_or(self, |(_, p)| p)
    }

    /// The plan of the items of list field `i`, if it has one.
    pub(crate) fn items(&self, i: usize) -> Option<&CheckPlan> {
        self.items.get(i).and_then(Option::as_ref)
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

impl Prover<'_> {
    /// The plan of records of type `ty`, each built by one of `variants`
    /// (a list's `records:`; one for a route's record).
    /// `parent` is what is known of the record holding them (for a
    /// list's items).
    fn record(
        &self,
        ty: &Type,
        variants: &[&[FieldSpec]],
        from: Option<&Origin>,
        parent: Option<&Facts>,
    ) -> CheckPlan {
        let n = ty.fields.len();
        let mut plan = CheckPlan {
            fields: vec![Proof::None; n],
            present: vec![variants.len() == 1; n],
            rules: vec![true; ty.rules.len()],
            whens: vec![When::Full; ty.rules.len()],
            items: vec![None; n],
            entries: None,
        };
        // What items see of this record as `parent`.
        let holder = match variants {
            [specs] => Some(self.facts(ty, specs, from)),
            _ => None,
        };
        for (i, field) in ty.fields.iter().enumerate() {
            let mut proof = None;
            for specs in variants {
                let p = match specs.iter().filter(|s| s.name == field.name).count() {
                    0 => continue,
                    1 => self.field(field, only_spec(specs, &field.name).unwrap(), from),
                    _ => Proof::None,
                };
                proof = Some(proof.map_or(p, |q: Proof| q.and(p)));
            }
            plan.fields[i] = proof.unwrap_or(Proof::None);
            plan.items[i] = match variants {
                [specs] => only_spec(specs, &field.name)
                    .and_then(|s| self.items(field, s, from, holder.as_ref())),
                _ => None,
            };
        }
        for specs in variants {
            let facts = self.facts(ty, specs, from);
            self.rules_of(ty, specs, variants.len() == 1, (&facts, parent), &mut plan);
        }
        plan.entries = self.entries(ty, variants, from, parent);
        plan
    }

    /// Each entry's own plan, when one field tells the entries apart.
    fn entries(
        &self,
        ty: &Type,
        variants: &[&[FieldSpec]],
        from: Option<&Origin>,
        parent: Option<&Facts>,
    ) -> Option<Box<Entries>> {
        if variants.len() < 2 {
            return None;
        }
        let (field, values) = ty
            .fields
            .iter()
            .find_map(|f| Some((f, self.telling_values(&f.name, variants)?)))?;
        let plans = values
            .into_iter()
            .zip(variants)
            .map(|(v, specs)| (v, self.record(ty, &[specs], from, parent)))
            .collect();
        Some(Box::new(Entries {
            field: field.name.clone(),
            plans,
        }))
    }

    /// The value each entry always gives `name`, when every entry sets it
    /// to a constant (no `when:`, no `omit_blank`) and no two the same.
    fn telling_values(&self, name: &str, variants: &[&[FieldSpec]]) -> Option<Vec<Value>> {
        let mut values: Vec<Value> = Vec::new();
        for specs in variants {
            let spec = only_spec(specs, name).filter(|s| s.when.is_none() && !s.omit_blank)?;
            let v = constant_value(spec, self.params)??;
            if values.contains(&v) {
                return None;
            }
            values.push(v);
        }
        Some(values)
    }

    fn field(&self, field: &Field, spec: &FieldSpec, from: Option<&Origin>) -> Proof {
        if let Some(v) = constant_value(spec, self.params) {
            return constant_proof(self.target, field, &v);
        }
        if let Some(values) = self.lookup_values(spec) {
            let every = |v| constant_proof(self.target, field, v) == Proof::Always;
            return match values.iter().all(every) {
                true => Proof::Always,
                false => Proof::None,
            };
        }
        copy_proof(self.target, field, spec, from, self.names(from))
    }

    /// Every value a lookup field can be built with, as [`constant_value`]
    /// gives one (`None` where it is left out): each entry's value (or its
    /// column), the lookup's default, and blank when a key it lacks takes
    /// the field's `default`. None when the spec is not a plain lookup or
    /// the values are too many to try.
    fn lookup_values(&self, spec: &FieldSpec) -> Option<Vec<Option<Value>>> {
        let Source::Lookup { name, column, .. } = &spec.source else {
            return None;
        };
        let lookup = self.data.lookup(name)?;
        if !plain(spec) || lookup.len() >= MOST_TRIED {
            return None;
        }
        let found = |v: &Value| match column {
            Some(c) => v.get(c.as_str()).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        };
        let mut built: Vec<Value> = lookup
            .sorted_entries()
            .into_iter()
            .map(|(_, v)| found(v))
            .collect();
        match &lookup.default {
            Some(d) => built.push(found(d)),
            // A key it lacks fails the record unless the field has a default
            // (and a record that failed to build is checked without a plan).
            None if spec.default.is_some() => built.push(Value::Null),
            None => {}
        }
        let mut values: Vec<Option<Value>> = Vec::new();
        for v in built {
            let v = match spec.omit_blank && spec.default.is_none() && is_blank(&v) {
                true => None,
                false => Some(finished(spec, v)),
            };
            if !values.contains(&v) {
                values.push(v);
            }
        }
        Some(values)
    }

    /// The names that come before a record's own in `from`'s scope.
    fn names(&self, from: Option<&Origin>) -> &[&str] {
        match from {
            Some(o) if o.item.is_some() => &ITEM_VARS,
            _ => self.shadowed,
        }
    }

    /// The plan of the items of a `for_each` list field.
    fn items(
        &self,
        field: &Field,
        spec: &FieldSpec,
        from: Option<&Origin>,
        holder: Option<&Facts>,
    ) -> Option<CheckPlan> {
        let (ty, variants, item_from) = self.list_items(field, spec, from)?;
        Some(self.record(ty, &variants, item_from.as_ref(), holder))
    }

    /// A `for_each` list field's item type, its `records:` entries and
    /// where its items come from; None for any other field, or a list with
    /// a `default:` (whose items its records do not build).
    fn list_items<'f, 'o>(
        &self,
        field: &Field,
        spec: &'f FieldSpec,
        from: Option<&Origin<'o>>,
    ) -> Option<ListItems<'_, 'f, 'o>> {
        let Source::List {
            for_each,
            records,
            lets,
        } = &spec.source
        else {
            return None;
        };
        if spec.default.is_some() {
            return None;
        }
        let ty = self.target.type_named(field.of.as_deref()?)?;
        let variants = records.iter().map(|(_, f)| f.as_slice()).collect();
        Some((ty, variants, self.item_origin(from, for_each, lets)))
    }

    /// Where a `for_each` list's items come from, when from a source list.
    fn item_origin<'o>(
        &self,
        from: Option<&Origin<'o>>,
        for_each: &Expr,
        lets: &[(String, Expr)],
    ) -> Option<Origin<'o>> {
        from.and_then(|o| {
            // The item sees the unit's `let:` values (and any outside this
            // list), then the list's own.
            let mut seen: Vec<String> = match &o.item {
                Some(out) => out.lets.clone(),
                None => self.shadowed.iter().map(|s| s.to_string()).collect(),
            };
            seen.extend(lets.iter().map(|(n, _)| n.clone()));
            item_type(o, for_each, self.names(from), seen)
        })
    }

    /// What is known of a `for_each` list field on every record: a list
    /// (never `()`), each item built by one of its `records:` entries with
    /// that entry's facts. Not for a list that a `default:`, a `when:`,
    /// `omit_blank` or a conversion may replace or leave out.
    fn list_fact(&self, field: &Field, spec: &FieldSpec, from: Option<&Origin>) -> Option<Fact> {
        if spec.when.is_some() || spec.omit_blank || !plain(spec) {
            return None;
        }
        let (ty, variants, item_from) = self.list_items(field, spec, from)?;
        let entries = variants
            .iter()
            .map(|specs| self.facts(ty, specs, item_from.as_ref()))
            .collect();
        Some(Fact::Items(entries))
    }

    /// What is known of each field of `ty` that `specs` build on every
    /// record: a constant; a field never built is `()`; a lookup whose
    /// every value is set, a copy of a source field always set, and text
    /// joined to a literal (`"!" + sor_code`) are never blank, the last
    /// starting with its literal. (Of records built whole: one that failed
    /// to build is checked without the plan.)
    fn facts(&self, ty: &Type, specs: &[FieldSpec], from: Option<&Origin>) -> Facts {
        let mut facts = Facts::new();
        for field in &ty.fields {
            if !specs.iter().any(|s| s.name == field.name) {
                facts.push((field.name.clone(), Fact::Is(Value::Null)));
                continue;
            }
            let Some(spec) = only_spec(specs, &field.name) else {
                continue;
            };
            let fact = self
                .list_fact(field, spec, from)
                .or_else(|| self.fact(spec, from));
            if let Some(fact) = fact {
                facts.push((field.name.clone(), fact));
            }
        }
        facts
    }

    fn fact(&self, spec: &FieldSpec, from: Option<&Origin>) -> Option<Fact> {
        if spec.when.is_some() || spec.omit_blank {
            return None;
        }
        if let Some(v) = constant_value(spec, self.params) {
            return Some(Fact::Is(v.unwrap_or(Value::Null)));
        }
        if let Some(values) = self.lookup_values(spec) {
            let all_set = values
                .iter()
                .all(|v| v.as_ref().is_some_and(|v| !is_blank(v)));
            return all_set.then_some(Fact::Filled);
        }
        let Source::Expr(e) = &spec.source else {
            return None;
        };
        // A cut may leave only spaces; a default fills only a blank.
        if !plain(spec) || spec.truncate.is_some() {
            return None;
        }
        // Text joined to a blank literal may be blank, and take the default.
        if let Some(text) = e.leading_text() {
            let kept = spec.default.is_none() || !text.trim().is_empty();
            return kept.then(|| Fact::Starts(text.to_string()));
        }
        // A required source field is set, but set is not filled for a list
        // or a map: `[]` is given (`required`) and blank (`blank()`).
        let (field, always_set) = source_field(from?, e, self.names(from))?;
        (always_set && scalar(field.kind).is_some()).then_some(Fact::Filled)
    }

    /// Rules that hold on what `specs` build, kept only if every variant
    /// proves them; the constants always built are noted present. `facts`
    /// are what is known of this record and of its parent.
    fn rules_of(
        &self,
        ty: &Type,
        specs: &[FieldSpec],
        single: bool,
        facts: (&[(String, Fact)], Option<&Facts>),
        plan: &mut CheckPlan,
    ) {
        // The constants a rule may read: their names and final values.
        let mut constants = Map::new();
        for (i, field) in ty.fields.iter().enumerate() {
            let constant = only_spec(specs, &field.name)
                .filter(|s| s.when.is_none() && !s.omit_blank)
                .and_then(|s| constant_value(s, self.params));
            match constant {
                Some(Some(v)) => {
                    plan.present[i] &= !is_blank(&v);
                    constants.insert(field.name.clone(), v);
                }
                _ => plan.present[i] = false,
            }
        }
        // Fields a lookup fills, built on every record: one of a few values.
        let finite: Vec<(&str, Vec<Option<Value>>)> = ty
            .fields
            .iter()
            .filter_map(|f| {
                let spec = only_spec(specs, &f.name).filter(|s| s.when.is_none())?;
                Some((f.name.as_str(), self.lookup_values(spec)?))
            })
            .collect();
        let built: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let known = |name: &str| constants.contains_key(name) || !built.contains(&name);
        let expr_known = |e: &Expr| expr_reads_only(e, &known);
        for (i, rule) in ty.rules.iter().enumerate() {
            plan.rules[i] &= (rule_reads_only(rule, &known)
                && crate::check::rule_passes(self.target, ty, i, &constants))
                || crate::check::rule_never_applies(self.target, ty, i, &constants, &expr_known)
                || self.holds_on_every_value(ty, i, &constants, &finite, &known)
                || holds_on_facts(rule, facts);
            if single && !plan.rules[i] {
                plan.whens[i] = self.when_left(ty, i, &constants, &expr_known);
            }
        }
    }

    /// Rule `i`'s `when` without the `&&` operands that read only
    /// constants and hold on them: they hold on every record built.
    fn when_left(
        &self,
        ty: &Type,
        i: usize,
        constants: &Map,
        known: &dyn Fn(&Expr) -> bool,
    ) -> When {
        let Some(when) = &ty.rules[i].when else {
            return When::Full;
        };
        let Some(parts) = when.conjuncts() else {
            return When::Full;
        };
        let scope = crate::check::constants_scope(self.target, constants);
        let count = parts.len();
        let left: Vec<Expr> = parts
            .into_iter()
            .filter(|part| !(known(part) && matches!(part.test(&scope), Ok(true))))
            .collect();
        match left.len() {
            0 => When::Always,
            n if n == count => When::Full,
            _ => Expr::all_of(when, left).map_or(When::Full, When::Rest),
        }
    }

    /// True when rule `i` reads nothing but constants and lookup fields,
    /// and holds on every combination of the lookups' values (at most
    /// [`MOST_TRIED`] of them, each run here as a record would be).
    fn holds_on_every_value(
        &self,
        ty: &Type,
        i: usize,
        constants: &Map,
        finite: &[(&str, Vec<Option<Value>>)],
        known: &dyn Fn(&str) -> bool,
    ) -> bool {
        let rule = &ty.rules[i];
        let is_finite = |n: &str| finite.iter().any(|(f, _)| *f == n);
        // The lookup fields it reads: without the one, it reads an unknown.
        let read: Vec<&(&str, Vec<Option<Value>>)> = finite
            .iter()
            .filter(|(name, _)| {
                !rule_reads_only(rule, &|n| n != *name && (known(n) || is_finite(n)))
            })
            .collect();
        let combinations = read
            .iter()
            .try_fold(1usize, |n, (_, vs)| n.checked_mul(vs.len()));
        if read.is_empty()
            || !rule_reads_only(rule, &|n| known(n) || is_finite(n))
            || combinations.is_none_or(|n| n > MOST_TRIED)
        {
            return false;
        }
        let mut record = constants.clone();
        every_combination(&read, &mut record, &mut |rec| {
            crate::check::rule_passes(self.target, ty, i, rec)
        })
    }
}

/// True when the facts prove rule `rule` holds on every record: its `when`
/// is false on them, or known and its check holds. (Its `when` must be
/// known either way, or it might fail.)
fn holds_on_facts(
    rule: &crate::schema::Rule,
    (own, parent): (&[(String, Fact)], Option<&Facts>),
) -> bool {
    if rule.check_only.is_some() {
        return false;
    }
    let find = |facts: &[(String, Fact)], name: &str| {
        facts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
    };
    // A field called `parent` would stand in the way of the holder.
    let holder = parent.filter(|_| find(own, "parent").is_none());
    let known = |path: &[&str]| match path {
        ["parent", name] => find(holder?, name),
        [name] if *name != "parent" => find(own, name),
        _ => None,
    };
    let when = match &rule.when {
        Some(w) => w.test_on_facts(&known),
        None => Some(true),
    };
    let filled = |name: &String| known(&[name.as_str()]).is_some_and(|f| f.is_filled());
    match when {
        Some(false) => true,
        Some(true) => match &rule.check {
            Check::Require(names) => names.iter().all(filled),
            Check::RequireAny(names) => names.iter().any(filled),
            Check::Assert(e) => e.test_on_facts(&known) == Some(true),
            _ => false,
        },
        None => false,
    }
}

/// True when `test` holds on `record` with each combination of `fields`'
/// values set in it (a `None` value leaves the field out).
fn every_combination(
    fields: &[&(&str, Vec<Option<Value>>)],
    record: &mut Map,
    test: &mut dyn FnMut(&Map) -> bool,
) -> bool {
    let Some(((name, values), rest)) = fields.split_first().map(|(f, r)| (*f, r)) else {
        return test(record);
    };
    values.iter().all(|v| {
        match v {
            Some(v) => record.insert(name.to_string(), v.clone()),
            None => record.shift_remove(name),
        };
        every_combination(rest, record, test)
    })
}

/// The source type of a list's items, when `for_each` is a plain path to
/// a source list field (the source check checked each item as that type).
fn item_type<'s>(
    from: &Origin<'s>,
    for_each: &Expr,
    shadowed: &[&str],
    lets: Vec<String>,
) -> Option<Origin<'s>> {
    let (list, _) = source_field(from, for_each, shadowed)?;
    if list.kind != Kind::List {
        return None;
    }
    let ty = from.schema.type_named(list.of.as_deref()?)?;
    Some(Origin {
        schema: from.schema,
        ty,
        item: Some(Outside {
            lets,
            holder: from.ty,
        }),
    })
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
pub(crate) fn of_params(e: &Expr, params: &Value) -> Option<Value> {
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
    origin: Option<&Origin>,
    shadowed: &[&str],
) -> Proof {
    let (Some(origin), Source::Expr(e)) = (origin, &spec.source) else {
        return Proof::None;
    };
    if !plain(spec) || scalar(field.kind).is_none() {
        return Proof::None;
    }
    let Some((from, always_set)) = source_field(origin, e, shadowed) else {
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
    // A cut can change the value: only text stays what it was, shorter
    // (a cut date, code or number string may no longer be one).
    let cuts = spec
        .truncate
        .is_some_and(|n| from.max_length.is_none_or(|max| max > n));
    if !cuts {
        return match limits_within(from, field, false) {
            true => Proof::Always,
            false => Proof::None,
        };
    }
    let cut_fits = spec
        .truncate
        .is_some_and(|n| field.max_length.is_none_or(|max| n <= max));
    match (field.kind, cut_fits && limits_within(from, field, true)) {
        (Kind::Text, true) if field.required => Proof::IfFilledText,
        (Kind::Text, true) => Proof::IfText,
        _ => Proof::None,
    }
}

/// The source field a path expression copies, and whether it is never
/// blank on a record that passed the source check (every field on the
/// way is required). None when the path leaves what the source check
/// proves: a list item, a reserved field, a type narrowed by `check_only`,
/// a name a `let:` or variable shadows, in an item a first name that may
/// be missing (found further out).
fn source_field<'s>(origin: &Origin<'s>, e: &Expr, shadowed: &[&str]) -> Option<(&'s Field, bool)> {
    let path = e.as_path()?;
    let first = path.first()?;
    if shadowed.contains(&first.as_str()) {
        return None;
    }
    if let Some(outside) = &origin.item {
        let there = checked_field(origin.ty, first)?.required;
        if !there && !outside.answers_nothing_to(first) {
            return None;
        }
    }
    let mut ty = origin.ty;
    let mut always_set = true;
    let (last, ways) = path.split_last()?;
    for step in ways {
        let f = checked_field(ty, step)?;
        if f.kind != Kind::Object {
            return None;
        }
        always_set &= f.required;
        ty = origin.schema.type_named(f.of.as_deref()?)?;
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

/// True when every name `e` reads is one `known` vouches for (never
/// `parent`, whose values the plan does not see). A script is not followed.
fn expr_reads_only(e: &Expr, known: &dyn Fn(&str) -> bool) -> bool {
    !e.is_script()
        && e.reads().iter().all(|r| match r.steps.first() {
            Some(Step::Name(n)) => n != "parent" && known(n),
            _ => false,
        })
}

/// True when every name the rule reads is one `known` vouches for (a
/// constant always built, or a name never built). A script is not followed.
fn rule_reads_only(rule: &crate::schema::Rule, known: &dyn Fn(&str) -> bool) -> bool {
    if rule.check_only.is_some() {
        return false;
    }
    let expr_known = |e: &Expr| expr_reads_only(e, known);
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
