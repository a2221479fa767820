//! Check: a record against its schema's field table and rules.
//!
//! Every problem is reported, not only the first, each with the rule that
//! caught it, the path to the value (a JSON pointer, or an XPath-like path
//! for XML payloads) and a message that says what is wrong and what is
//! allowed. Paths and messages are only built when something fails, so a
//! clean record costs no allocation beyond the rule evaluations.

use std::collections::HashMap;
use std::fmt::Write;

use crate::value::{same_key, Map, Value};
use serde::Serialize;

use crate::check_plan::{CheckPlan, When};
use crate::diag::Severity;
use crate::expr::{is_unset, type_name, BesideUnit, EvalError, Expr, Scope};
use crate::schema::{Additional, Check, Field, Format, Kind, Rule, Schema, Type, XmlPlace};

/// One thing wrong with a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule id (a built-in check such as `max-length`, or a schema or mapping rule).
    pub rule: String,
    /// Where: a JSON pointer, or an XPath-like path in XML payloads.
    pub path: String,
    /// What is wrong and what is allowed.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

/// One step of a path, kept on the stack until a violation needs the text.
#[derive(Clone, Copy)]
enum Step<'a> {
    Root(&'a str),
    Key(&'a str),
    Attr(&'a str),
    Index(usize),
    Item {
        field: &'a str,
        item: Option<&'a str>,
        index: usize,
    },
}

/// A path into the payload being checked.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    prev: Option<&'a Path<'a>>,
    step: Step<'a>,
    xml: bool,
}

impl<'a> Path<'a> {
    /// The root of a JSON payload (`""`) or of an XML record (`/InputXML`).
    pub fn root(schema: &'a Schema) -> Path<'a> {
        match (schema.format, &schema.root) {
            (Format::Xml, Some(root)) => Path {
                prev: None,
                step: Step::Root(root),
                xml: true,
            },
            (Format::Xml, None) => Path {
                prev: None,
                step: Step::Root(""),
                xml: true,
            },
            _ => Path {
                prev: None,
                step: Step::Root(""),
                xml: false,
            },
        }
    }

    /// A JSON payload root with a prefix (`/purchaseOrders/3` for record 3 of an envelope).
    pub fn json(prefix: &'a str) -> Path<'a> {
        Path {
            prev: None,
            step: Step::Root(prefix),
            xml: false,
        }
    }

    fn then(&'a self, step: Step<'a>) -> Path<'a> {
        Path {
            prev: Some(self),
            step,
            xml: self.xml,
        }
    }

    /// The index step of an envelope list.
    pub fn index(&'a self, i: usize) -> Path<'a> {
        self.then(Step::Index(i))
    }

    /// A key below this path.
    pub fn key(&'a self, k: &'a str) -> Path<'a> {
        self.then(Step::Key(k))
    }

    fn field(&'a self, f: &'a Field) -> Path<'a> {
        match (&f.xml, self.xml) {
            (XmlPlace::Attribute, true) => self.then(Step::Attr(&f.name)),
            (XmlPlace::List { wrapper, .. }, true) => self.then(Step::Key(wrapper)),
            _ => self.then(Step::Key(&f.name)),
        }
    }

    fn item(&'a self, f: &'a Field, index: usize) -> Path<'a> {
        let item = match &f.xml {
            XmlPlace::List { item, .. } => Some(item.as_str()),
            _ => None,
        };
        Path {
            prev: self.prev,
            step: Step::Item {
                field: self.last_key(),
                item,
                index,
            },
            xml: self.xml,
        }
    }

    fn last_key(&self) -> &'a str {
        match self.step {
            Step::Key(k) | Step::Attr(k) | Step::Root(k) => k,
            _ => "",
        }
    }

    /// The path as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        if let Some(p) = self.prev {
            p.write(out);
        }
        let _ = match self.step {
            Step::Root("") => Ok(()),
            Step::Root(r) if self.xml => write!(out, "/{r}"),
            Step::Root(r) => write!(out, "{r}"),
            Step::Key(k) if self.xml => write!(out, "/{k}"),
            Step::Key(k) => write!(out, "/{}", k.replace('~', "~0").replace('/', "~1")),
            Step::Attr(k) => write!(out, "/@{k}"),
            Step::Index(i) if self.xml => write!(out, "[{}]", i + 1),
            Step::Index(i) => write!(out, "/{i}"),
            Step::Item {
                field,
                item: Some(item),
                index,
            } if self.xml => write!(out, "/{field}/{item}[{}]", index + 1),
            Step::Item { field, index, .. } if self.xml => write!(out, "/{field}[{}]", index + 1),
            Step::Item { field, index, .. } => write!(
                out,
                "/{}/{index}",
                field.replace('~', "~0").replace('/', "~1")
            ),
        };
    }
}

/// Check a whole payload: an envelope of records for JSON schemas that have
/// one, else one record. A bare record (an object without the envelope's
/// key, such as a line of `--output-format ndjson`) is checked as a record.
pub fn check_payload(schema: &Schema, payload: &Value) -> Vec<Violation> {
    let mut found = check_payload_as_is(schema, payload);
    if !found.is_empty() {
        // A secret field's value quoted where it was copied is hidden.
        let mut hide = crate::redact::Redactor::default();
        hide.add_payload_secrets(schema, payload);
        found.iter_mut().for_each(|v| hide.redact_violation(v));
    }
    found
}

fn check_payload_as_is(schema: &Schema, payload: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    let root = Path::root(schema);
    let bare_record = |env: &crate::schema::Envelope| {
        payload.as_object().is_some_and(|o| {
            !o.contains_key(&env.key) && o.keys().any(|k| schema.record_type().field(k).is_some())
        })
    };
    match (&schema.envelope, schema.format) {
        (Some(env), Format::Json) if !bare_record(env) => {
            let Some(obj) = payload.as_object() else {
                out.push(violation(
                    "wrong-type",
                    &root,
                    format!(
                        "expected an object with '{}', found {}",
                        env.key,
                        type_name(payload)
                    ),
                ));
                return out;
            };
            let records = root.key(&env.key);
            match obj.get(&env.key) {
                Some(Value::Array(items)) => {
                    if let Some(max) = env.max_records {
                        if items.len() > max {
                            out.push(violation(
                                "too-many-records",
                                &records,
                                format!(
                                    "{} records in one payload; {} takes at most {max}",
                                    items.len(),
                                    schema.system
                                ),
                            ));
                        }
                    }
                    for (i, rec) in items.iter().enumerate() {
                        check_record_at(schema, rec, &records.index(i), &mut out);
                    }
                }
                Some(other) => out.push(violation(
                    "wrong-type",
                    &records,
                    format!("expected a list of records, found {}", type_name(other)),
                )),
                None => out.push(violation(
                    "required",
                    &records,
                    format!("'{}' is required: the list of records", env.key),
                )),
            }
            for k in obj.keys().filter(|k| **k != env.key) {
                out.push(violation(
                    "unknown-field",
                    &root.key(k),
                    format!("'{k}' is not part of the {} envelope", schema.system),
                ));
            }
        }
        _ => check_record_at(schema, payload, &root, &mut out),
    }
    out
}

/// Check one record at `path`, appending to `out`.
pub fn check_record_at(schema: &Schema, record: &Value, path: &Path, out: &mut Vec<Violation>) {
    Checker::plain(schema).object(schema.record_type(), record, None, None, path, out);
}

/// Check one record as [`check_record_at`] does, leaving out the checks of
/// its fields and rules (and of its lists' items) that `plan` proved cannot
/// fail (crate::check_plan). With `audit` (`--check-all`), or while a trace
/// is recorded (it lists every rule), every check runs, the proved rules
/// each on a count of its own. When the record holds numbers an f64 does
/// not (their digits are judged as read), every check runs as without a
/// plan, in either mode.
pub(crate) fn check_record_planned(
    schema: &Schema,
    record: &Value,
    path: &Path,
    plan: Option<&CheckPlan>,
    audit: bool,
    out: &mut Vec<Violation>,
) {
    let ty = schema.record_type();
    let plan = plan.filter(|p| p.fits(ty) && !crate::literal::active());
    let audit = audit || crate::trace::active();
    Checker { schema, audit }.object(ty, record, None, plan, path, out);
}

/// True when `value` passes `field`'s own checks (a scalar field: nothing
/// in them depends on the rest of the record). The check plan's test of a
/// constant.
pub(crate) fn field_passes(schema: &Schema, field: &Field, value: &Value) -> bool {
    let mut out = Vec::new();
    let root = Path::root(schema);
    let record = Value::Object(Map::new());
    Checker::plain(schema).field(
        field,
        Some(value),
        &record,
        None,
        &root.field(field),
        &mut out,
    );
    out.is_empty()
}

/// True when rule `i` of the top record type `ty` holds on `rec` (or does
/// not apply to it): the check plan's test of a rule over constants. The
/// scope is the one the top record's check gives it.
pub(crate) fn rule_passes(schema: &Schema, ty: &Type, i: usize, rec: &Map) -> bool {
    let Some(rule) = ty.rules.get(i) else {
        return false;
    };
    let scope = constants_scope(schema, rec);
    let mut out = Vec::new();
    match Answers::default().holds(ty, i, rule, &scope) {
        Ok(true) => {
            Checker::plain(schema).rule(ty, rule, rec, &scope, &Path::root(schema), &mut out)
        }
        Ok(false) => {}
        Err(_) => return false,
    }
    out.is_empty()
}

/// True when rule `i` of `ty` never applies to a record holding `rec`'s
/// constants: the first operand of its `when` reads only them (`known`
/// vouches for every name) and is false on them, so the condition is false
/// before anything else of the record is read.
pub(crate) fn rule_never_applies(
    schema: &Schema,
    ty: &Type,
    i: usize,
    rec: &Map,
    known: &dyn Fn(&Expr) -> bool,
) -> bool {
    let Some(first) = ty
        .rules
        .get(i)
        .and_then(|r| r.when.as_ref()?.leading_conjunct())
    else {
        return false;
    };
    known(&first) && matches!(first.test(&constants_scope(schema, rec)), Ok(false))
}

/// The scope the check plan tests a top record's rules in: the record's
/// constants `rec`, no parent, and the schema's functions.
pub(crate) fn constants_scope<'a>(schema: &'a Schema, rec: &'a Map) -> Scope<'a> {
    static NO_PARENT: Value = Value::Null;
    let mut scope = Scope::of(Some(rec)).with("parent", &NO_PARENT);
    scope.calls = Some(schema);
    scope
}

/// The answers one record gave to its type's `when` conditions, by slot
/// (see [`Type::when_slot`]): a condition several rules share is tested once.
#[derive(Default)]
struct Answers {
    known: [Option<bool>; 32],
}

impl Answers {
    /// Whether `rule` (rule `i` of `ty`) applies: its `when` holds, or it has none.
    fn holds(
        &mut self,
        ty: &Type,
        i: usize,
        rule: &Rule,
        scope: &Scope,
    ) -> Result<bool, EvalError> {
        let Some(when) = &rule.when else {
            return Ok(true);
        };
        let slot = ty.when_slot(i).filter(|&s| s < self.known.len());
        if let Some(known) = slot.and_then(|s| self.known[s]) {
            return Ok(known);
        }
        let answer = when.test(scope)?;
        if let Some(s) = slot {
            self.known[s] = Some(answer);
        }
        Ok(answer)
    }
}

fn violation(rule: &str, path: &Path, message: String) -> Violation {
    Violation {
        rule: rule.to_string(),
        path: path.render(),
        message,
        severity: Severity::Error,
    }
}

/// A rule that could not be evaluated: a spent budget or clock reports as
/// its own rule (`budget`, `time-limit`), not as the rule's failure.
fn unchecked(rule: &Rule, path: &Path, e: &EvalError) -> Violation {
    let id = e.rule().unwrap_or(&rule.id);
    violation(id, path, format!("the rule could not be checked: {e}"))
}

struct Checker<'s> {
    schema: &'s Schema,
    /// Every check runs, and a rule the plan proved runs on a count of its
    /// own (`--check-all`, a trace): skipped, it costs the default run
    /// nothing, so run it must not spend the checks' allowance either.
    audit: bool,
}

impl<'s> Checker<'s> {
    /// A checker that runs what it is asked to, with no audit.
    fn plain(schema: &'s Schema) -> Checker<'s> {
        Checker {
            schema,
            audit: false,
        }
    }
}

/// How a value appears in a message: quoted, cut short, or hidden if secret.
fn shown(field: &Field, v: &Value) -> String {
    if field.secret {
        return "(a secret value, not shown)".to_string();
    }
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => plain_number(n),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("'{}...'", text.chars().take(57).collect::<String>())
    } else {
        format!("'{text}'")
    }
}

impl<'s> Checker<'s> {
    fn report(
        &self,
        field: &Field,
        rule: &str,
        path: &Path,
        default: String,
        out: &mut Vec<Violation>,
    ) {
        let message = field.messages.get(rule).cloned().unwrap_or(default);
        out.push(Violation {
            rule: rule.to_string(),
            path: path.render(),
            message,
            severity: Severity::Error,
        });
    }

    fn object(
        &self,
        ty: &'s Type,
        value: &Value,
        parent: Option<&Value>,
        plan: Option<&CheckPlan>,
        path: &Path,
        out: &mut Vec<Violation>,
    ) {
        let plan = plan.filter(|p| p.fits(ty));
        let Value::Object(rec) = value else {
            out.push(violation(
                "wrong-type",
                path,
                format!(
                    "expected a {} record (an object), found {}",
                    ty.name,
                    type_name(value)
                ),
            ));
            return;
        };
        // Items of a list: the plan of the `records:` entry that built this one.
        let plan = plan.map(|p| p.for_record(rec));
        // What the plan lets this check leave out: nothing in an audit.
        let skipping = plan.filter(|_| !self.audit);
        // Most of a record's objects (an activity's team, its status) have
        // no rules: no scope to build for them.
        let mut rules = (!ty.rules.is_empty()).then(|| {
            let scope_parent = parent.unwrap_or(&Value::Null);
            let mut scope = Scope::of(Some(rec)).with("parent", scope_parent);
            scope.calls = Some(self.schema);
            // The answers of the checks the default run makes, and (in an
            // audit) of those it leaves out, kept apart: an answer worked out
            // off the count must not spare a counted check its cost.
            (scope, Answers::default(), Answers::default())
        });
        let only = match &mut rules {
            Some((scope, answers, uncounted)) => {
                self.narrowed(ty, scope, (answers, uncounted), plan, path, out)
            }
            None => None,
        };
        // Walk the record's keys once (not the schema's fields times the
        // keys), noting which fields were seen; then the unseen ones are blank.
        let mut seen = [false; 128];
        let mut known = 0;
        let mut cursor = 0;
        for (key, v) in rec {
            // Records usually list their keys in the schema's order (the
            // mapping builds them that way), so look ahead from the last
            // match before falling back to the index.
            let ahead = ty
                .fields
                .get(cursor..)
                .and_then(|rest| rest.iter().position(|f| same_key(&f.name, key)));
            let Some(i) = ahead.map(|a| cursor + a).or_else(|| ty.position(key)) else {
                continue;
            };
            cursor = i + 1;
            known += 1;
            if let Some(s) = seen.get_mut(i) {
                *s = true;
            }
            let field = &ty.fields[i];
            if field.reserved || only.is_some_and(|o| !o.contains(&field.name)) {
                continue;
            }
            if skipping.is_some_and(|p| p.proves_field(i, v)) {
                continue;
            }
            let items = plan.and_then(|p| p.items(i));
            self.field(field, Some(v), value, items, &path.field(field), out);
        }
        for &i in ty.required() {
            let field = &ty.fields[i];
            let unseen = seen
                .get(i)
                .map(|s| !s)
                .unwrap_or_else(|| rec.get(&field.name).is_none());
            if unseen && only.is_none_or(|o| o.contains(&field.name)) {
                self.field(field, None, value, None, &path.field(field), out);
            }
        }
        // Every key was a known field: no need to look for unknown ones.
        if ty.additional != Additional::Allow && known < rec.len() {
            for key in rec.keys().filter(|k| ty.field(k).is_none()) {
                let near = crate::diag::suggest(key, ty.fields.iter().map(|f| f.name.as_str()))
                    .map(|n| format!(" (did you mean '{n}'?)"));
                out.push(Violation {
                    rule: "unknown-field".into(),
                    path: path.key(key).render(),
                    message: format!(
                        "'{key}' is not a field of {}'s {}{}",
                        self.schema.system,
                        ty.name,
                        near.unwrap_or_default()
                    ),
                    severity: if ty.additional == Additional::Warn {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                });
            }
        }
        if let Some((scope, answers, uncounted)) = &mut rules {
            self.rules(ty, rec, plan, (scope, answers, uncounted), path, out);
        }
    }

    /// The rules of `ty` on `rec`, the plan's proofs left out (run off the
    /// count in an audit).
    fn rules(
        &self,
        ty: &'s Type,
        rec: &Map,
        plan: Option<&CheckPlan>,
        (scope, answers, uncounted): (&Scope, &mut Answers, &mut Answers),
        path: &Path,
        out: &mut Vec<Violation>,
    ) {
        for (i, rule) in ty.rules.iter().enumerate() {
            let proved = plan.is_some_and(|p| p.proves_rule(i));
            if proved && !self.audit {
                continue;
            }
            let _own_count = proved.then(BesideUnit::uncounted);
            let before = out.len();
            let planned = plan.map(|p| p.when_of(i));
            let holds = match (self.audit, planned) {
                (false, Some(When::Always)) => Ok(true),
                (false, Some(When::Rest(left))) => left.test(scope),
                // The whole `when`, off the count; then paid as the
                // default run pays, for the part it keeps.
                (true, Some(When::Always | When::Rest(_))) if !proved => {
                    let whole = {
                        let _off = BesideUnit::uncounted();
                        uncounted.holds(ty, i, rule, scope)
                    };
                    let paid = match planned {
                        Some(When::Rest(left)) => left.test(scope).map(|_| ()),
                        _ => Ok(()),
                    };
                    paid.and(whole)
                }
                _ if proved => uncounted.holds(ty, i, rule, scope),
                _ => answers.holds(ty, i, rule, scope),
            };
            match holds {
                Ok(true) => self.rule(ty, rule, rec, scope, path, out),
                Ok(false) => {}
                Err(e) => out.push(unchecked(rule, path, &e)),
            }
            if crate::trace::active() {
                // Asked again, off the count: the answer is kept, or the
                // `when` tested again.
                let _off = BesideUnit::uncounted();
                let off_count = proved || matches!(planned, Some(When::Always | When::Rest(_)));
                let kept = if off_count {
                    &mut *uncounted
                } else {
                    &mut *answers
                };
                let answer = kept.holds(ty, i, rule, scope).ok();
                let failed = out.len() > before;
                let has_when = rule.when.is_some();
                let at = path.render();
                crate::trace::schema_rule(
                    &self.schema.name,
                    &rule.id,
                    has_when,
                    answer,
                    at,
                    failed,
                );
            }
        }
    }

    /// The `check_only` list of the first rule whose condition holds.
    fn narrowed(
        &self,
        ty: &'s Type,
        scope: &Scope,
        (answers, uncounted): (&mut Answers, &mut Answers),
        plan: Option<&CheckPlan>,
        path: &Path,
        out: &mut Vec<Violation>,
    ) -> Option<&'s Vec<String>> {
        let narrowing = ty.rules.iter().enumerate();
        // A narrowing rule the plan proved is one whose `when` never holds.
        let proved = |i: usize| plan.is_some_and(|p| p.proves_rule(i));
        let run = |i: usize| !proved(i) || self.audit;
        for (i, rule) in narrowing.filter(|(i, r)| r.check_only.is_some() && run(*i)) {
            let answer = match proved(i) {
                true => {
                    let _off = BesideUnit::uncounted();
                    uncounted.holds(ty, i, rule, scope)
                }
                false => answers.holds(ty, i, rule, scope),
            };
            match answer {
                Ok(true) => return rule.check_only.as_ref(),
                Ok(false) => {}
                Err(e) => out.push(unchecked(rule, path, &e)),
            }
        }
        None
    }

    fn field(
        &self,
        f: &Field,
        value: Option<&Value>,
        record: &Value,
        items: Option<&CheckPlan>,
        path: &Path,
        out: &mut Vec<Violation>,
    ) {
        let value = value.unwrap_or(&Value::Null);
        if is_unset(value) {
            if f.required {
                let what = if f.doc.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", first_sentence(&f.doc))
                };
                self.report(
                    f,
                    "required",
                    path,
                    format!("{} is required by {}{what}", f.name, self.schema.system),
                    out,
                );
            }
            return;
        }
        match f.kind {
            Kind::List => return self.list(f, value, record, items, path, out),
            Kind::Object => {
                if let Some(ty) = f.of.as_deref().and_then(|t| self.schema.type_named(t)) {
                    self.object(ty, value, Some(record), None, path, out);
                }
                return;
            }
            _ => {}
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            self.report(
                f,
                "wrong-type",
                path,
                format!("expected {}, found {}", f.kind.name(), type_name(value)),
                out,
            );
            return;
        }
        // A number read with more digits than an f64 holds is judged by
        // its digits as read (crate::literal), not by the nearest f64.
        let as_read = crate::literal::number_literal(value, &|| path.render())
            .map(|l| Value::String(crate::literal::plain_digits(&l)));
        let value = as_read.as_ref().unwrap_or(value);
        // A JSON number in a numeric field with no digit limits needs no text form.
        if let (Value::Number(n), true) = (value, f.kind.is_number()) {
            if f.digits.is_none() && f.scale.is_none() && f.max_length.is_none() {
                return self.number_value(f, value, n, path, out);
            }
        }
        let mut digits = WholeDigits::default();
        let text = match value {
            Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
            Value::Number(n) => match digits.of(n) {
                Some(whole) => std::borrow::Cow::Borrowed(whole),
                None => std::borrow::Cow::Owned(plain_number(n)),
            },
            other => std::borrow::Cow::Owned(other.to_string()),
        };
        // No more characters than bytes: most text needs no count.
        if let Some(max) = f.max_length.filter(|max| text.len() > *max) {
            let n = text.chars().count();
            if n > max {
                // A secret's length is part of it: not shown either.
                let n = match f.secret {
                    true => crate::redact::SHOWN.to_string(),
                    false => n.to_string(),
                };
                self.report(
                    f,
                    "max-length",
                    path,
                    format!(
                        "{} is {n} characters; {} allows at most {max}",
                        shown(f, value),
                        self.schema.system
                    ),
                    out,
                );
            }
        }
        match f.kind {
            Kind::Integer | Kind::Decimal | Kind::Money => self.number(f, value, &text, path, out),
            Kind::Code if !f.codes.iter().any(|(c, _)| same_key(c, &text)) => {
                let allowed: Vec<String> = f
                    .codes
                    .iter()
                    .map(|(c, m)| {
                        if m.is_empty() {
                            c.clone()
                        } else {
                            format!("{c} ({m})")
                        }
                    })
                    .collect();
                self.report(
                    f,
                    "unknown-code",
                    path,
                    format!(
                        "{} is not a valid {}; {} allows {}",
                        shown(f, value),
                        f.name,
                        self.schema.system,
                        allowed.join(", ")
                    ),
                    out,
                );
            }
            Kind::Date | Kind::Datetime => {
                let ok = match &f.format {
                    Some(p) => p.parse(&text).is_some(),
                    None => crate::datefmt::DateTime::parse_iso(&text).is_some(),
                };
                if !ok {
                    let fmt = f
                        .format
                        .as_ref()
                        .map(|p| p.as_str())
                        .unwrap_or("ISO 8601 (YYYY-MM-DD)");
                    self.report(
                        f,
                        "invalid-date",
                        path,
                        format!("{} is not a date in the format {fmt}", shown(f, value)),
                        out,
                    );
                }
            }
            Kind::Guid if !is_guid(&text) => {
                self.report(
                    f,
                    "invalid-guid",
                    path,
                    format!(
                        "{} is not a GUID (8-4-4-4-12 hexadecimal digits)",
                        shown(f, value)
                    ),
                    out,
                );
            }
            Kind::Bool
                if !matches!(value, Value::Bool(_)) && !["true", "false"].contains(&&*text) =>
            {
                self.report(
                    f,
                    "invalid-bool",
                    path,
                    format!("{} is not true or false", shown(f, value)),
                    out,
                );
            }
            _ => {}
        }
    }

    fn number_value(
        &self,
        f: &Field,
        value: &Value,
        n: &serde_json::Number,
        path: &Path,
        out: &mut Vec<Violation>,
    ) {
        let x = n.as_f64().unwrap_or(0.0);
        if f.kind == Kind::Integer && x.fract() != 0.0 {
            return self.report(
                f,
                "invalid-integer",
                path,
                format!("{} is not a whole number", shown(f, value)),
                out,
            );
        }
        self.range(f, value, x, path, out);
    }

    fn range(&self, f: &Field, value: &Value, x: f64, path: &Path, out: &mut Vec<Violation>) {
        if let Some(min) = f.min {
            if x < min {
                self.report(
                    f,
                    "below-minimum",
                    path,
                    format!(
                        "{} is below the minimum of {}",
                        shown(f, value),
                        number_text(min)
                    ),
                    out,
                );
            }
        }
        if let Some(max) = f.max {
            if x > max {
                self.report(
                    f,
                    "above-maximum",
                    path,
                    format!(
                        "{} is above the maximum; {} allows at most {}",
                        shown(f, value),
                        self.schema.system,
                        number_text(max)
                    ),
                    out,
                );
            }
        }
    }

    fn number(&self, f: &Field, value: &Value, text: &str, path: &Path, out: &mut Vec<Violation>) {
        let Some(n) = parse_number(text, f.commas || matches!(value, Value::Number(_))) else {
            let (rule, what) = if f.kind == Kind::Integer {
                ("invalid-integer", "a whole number")
            } else {
                ("invalid-number", "a number")
            };
            let commas = if f.commas {
                " (thousands commas are allowed)"
            } else {
                ""
            };
            self.report(
                f,
                rule,
                path,
                format!("{} is not {what}{commas}", shown(f, value)),
                out,
            );
            return;
        };
        // Past 2^53 an f64 is always whole: the digits after the point tell.
        let beyond_f64 = n.value.abs() >= 9_007_199_254_740_992.0 && !text.contains(['e', 'E']);
        if f.kind == Kind::Integer && n.frac_digits > 0 && (n.value.fract() != 0.0 || beyond_f64) {
            self.report(
                f,
                "invalid-integer",
                path,
                format!("{} is not a whole number", shown(f, value)),
                out,
            );
            return;
        }
        // SQL Decimal(digits, scale): at most digits - scale before the point
        // (Decimal(4,2) tops out at 99.99), and digits in all.
        if let (Some(d), Some(sc)) = (f.digits, f.scale) {
            if n.int_digits > d.saturating_sub(sc) {
                self.report(
                    f,
                    "too-many-digits",
                    path,
                    format!(
                        "{} has {} digits before the point; {} allows at most {} (Decimal({d},{sc}))",
                        shown(f, value),
                        n.int_digits,
                        self.schema.system,
                        d.saturating_sub(sc)
                    ),
                    out,
                );
            }
        } else if let Some(d) = f.digits {
            if n.int_digits + n.frac_digits > d {
                self.report(
                    f,
                    "too-many-digits",
                    path,
                    format!(
                        "{} has {} digits; {} allows at most {d}",
                        shown(f, value),
                        n.int_digits + n.frac_digits,
                        self.schema.system
                    ),
                    out,
                );
            }
        }
        if let Some(s) = f.scale {
            if n.frac_digits > s {
                self.report(
                    f,
                    "too-many-decimals",
                    path,
                    format!(
                        "{} has {} decimal places; {} allows at most {s}",
                        shown(f, value),
                        n.frac_digits,
                        self.schema.system
                    ),
                    out,
                );
            }
        }
        self.range(f, value, n.value, path, out);
    }

    fn list(
        &self,
        f: &Field,
        value: &Value,
        record: &Value,
        items_plan: Option<&CheckPlan>,
        path: &Path,
        out: &mut Vec<Violation>,
    ) {
        let Value::Array(items) = value else {
            self.report(
                f,
                "wrong-type",
                path,
                format!("expected a list, found {}", type_name(value)),
                out,
            );
            return;
        };
        if let Some(max) = f.max_items {
            if items.len() > max {
                self.report(
                    f,
                    "too-many-items",
                    path,
                    format!(
                        "{} has {} items; {} allows at most {max}",
                        f.name,
                        items.len(),
                        self.schema.system
                    ),
                    out,
                );
            }
        }
        if let Some(min) = f.min_items {
            if items.len() < min {
                self.report(
                    f,
                    "too-few-items",
                    path,
                    format!(
                        "{} has {} items; {} needs at least {min}",
                        f.name,
                        items.len(),
                        self.schema.system
                    ),
                    out,
                );
            }
        }
        let Some(ty) = f.of.as_deref().and_then(|t| self.schema.type_named(t)) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            self.object(ty, item, Some(record), items_plan, &path.item(f, i), out);
        }
    }

    fn rule(
        &self,
        ty: &'s Type,
        rule: &Rule,
        rec: &Map,
        scope: &Scope,
        path: &Path,
        out: &mut Vec<Violation>,
    ) {
        let blank = |name: &String| is_unset(crate::expr::get(rec, name).unwrap_or(&Value::Null));
        let field_path = |name: &str| match ty.field(name) {
            Some(f) => path.field(f).render(),
            None => path.render() + "/" + name,
        };
        match &rule.check {
            // `require` reports the blank fields, `forbid` the ones that are set.
            Check::Require(names) | Check::Forbid(names) => {
                let require = matches!(rule.check, Check::Require(_));
                let what = if require {
                    "must be given"
                } else {
                    "must not be set"
                };
                for name in names.iter().filter(|n| blank(n) == require) {
                    let default = match &rule.when {
                        Some(w) => format!("{name} {what} when {}", w.quoted()),
                        None => format!("{name} {what}"),
                    };
                    self.rule_violation(
                        ty,
                        rule,
                        rec,
                        scope,
                        Some(name),
                        field_path(name),
                        default,
                        out,
                    );
                }
            }
            Check::RequireAny(names) => {
                if names.iter().all(blank) {
                    let default = format!("at least one of {} must be given", names.join(", "));
                    self.rule_violation(ty, rule, rec, scope, None, path.render(), default, out);
                }
            }
            Check::Assert(expr) => match expr.test(scope) {
                Ok(true) => {}
                Ok(false) => {
                    let at = rule
                        .field
                        .as_deref()
                        .map(field_path)
                        .unwrap_or_else(|| path.render());
                    let default = format!("{} does not hold", expr.quoted());
                    self.rule_violation(
                        ty,
                        rule,
                        rec,
                        scope,
                        rule.field.as_deref(),
                        at,
                        default,
                        out,
                    );
                }
                Err(e) => out.push(unchecked(rule, path, &e)),
            },
            Check::Nothing => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn rule_violation(
        &self,
        ty: &Type,
        rule: &Rule,
        rec: &Map,
        scope: &Scope,
        field: Option<&str>,
        path: String,
        default: String,
        out: &mut Vec<Violation>,
    ) {
        let message = match &rule.message {
            Some(name) => {
                render_message(self.schema, ty, name, rec, scope, field).unwrap_or(default)
            }
            None => default,
        };
        out.push(Violation {
            rule: rule.id.clone(),
            path,
            message,
            severity: rule.severity,
        });
    }
}

/// The record as a message template sees it: secrets replaced.
fn render_message(
    schema: &Schema,
    ty: &Type,
    name: &str,
    rec: &Map,
    scope: &Scope,
    field: Option<&str>,
) -> Option<String> {
    let secret = Value::String("(secret)".into());
    let null = Value::Null;
    let field_name = field.map(|f| Value::String(f.to_string()));
    // A secret field reads as "(secret)".
    let shown = |k: &str| {
        rec.get(k)
            .map(|v| match ty.field(k).is_some_and(|f| f.secret) {
                true => &secret,
                false => v,
            })
    };
    // Only the names the message reads: the context is converted whole,
    // and `parent` is the record holding this one (all its siblings).
    let reads = schema.messages.reads(name);
    let wants = |k: &str| reads.is_none_or(|r| r.iter().any(|n| n == k));
    let mut ctx: HashMap<&str, &Value> = match reads {
        Some(names) => names
            .iter()
            .filter_map(|k| shown(k).map(|v| (k.as_str(), v)))
            .collect(),
        None => rec
            .keys()
            .filter_map(|k| shown(k).map(|v| (k.as_str(), v)))
            .collect(),
    };
    if let (Some(f), Some(n)) = (field, &field_name) {
        if wants("field") {
            ctx.insert("field", n);
        }
        if wants("value") {
            ctx.insert("value", shown(f).unwrap_or(&null));
        }
    }
    if let Some(parent) = scope.vars.get("parent").filter(|_| wants("parent")) {
        ctx.insert("parent", parent);
    }
    // A message that does not render (or runs out of budget) falls back to
    // the built-in one: the finding itself stands either way.
    schema
        .messages
        .render(name, minijinja::Value::from(minijinja::value::Serde(&ctx)))
        .ok()
}

/// The doc's first sentence: up to ". " or a line end ("e.g." stays whole).
fn first_sentence(doc: &str) -> &str {
    let line = doc.lines().next().unwrap_or(doc);
    let end = line
        .match_indices(". ")
        .map(|(i, _)| i)
        .find(|&i| !line[..i].ends_with("e.g") && !line[..i].ends_with("i.e"));
    end.map(|i| &line[..i])
        .unwrap_or(line)
        .trim()
        .trim_end_matches('.')
}

/// A JSON number's digits as a vendor writes them: never an exponent
/// (serde_json writes 1e16 for a large computed value, which no vendor
/// field accepts, so the check would call it "not a number").
/// The text of a whole number (what [`plain_number`] writes for it),
/// written in place: the common case needs no allocation.
#[derive(Default)]
struct WholeDigits {
    buf: [u8; 24],
}

impl WholeDigits {
    /// `n`'s digits, when it is an integer or a whole f64 within 2^53.
    fn of(&mut self, n: &serde_json::Number) -> Option<&str> {
        let (negative, magnitude) = match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => (false, u),
            (None, Some(i)) => (true, i.unsigned_abs()),
            _ => {
                let f = n.as_f64()?;
                let whole = f.fract() == 0.0 && f != 0.0 && f.abs() <= 9_007_199_254_740_992.0;
                whole.then_some((f < 0.0, f.abs() as u64))?
            }
        };
        let mut at = self.buf.len();
        let mut rest = magnitude;
        loop {
            at -= 1;
            self.buf[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if negative {
            at -= 1;
            self.buf[at] = b'-';
        }
        std::str::from_utf8(&self.buf[at..]).ok()
    }
}

fn plain_number(n: &serde_json::Number) -> String {
    use rust_decimal::prelude::FromPrimitive;
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    // A whole decimal (60.0) is its digits: what the decimal path writes,
    // without building a decimal (zero left to it: a decimal zero keeps a sign).
    if f.fract() == 0.0 && f != 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
        return (f as i64).to_string();
    }
    match rust_decimal::Decimal::from_f64(f) {
        Some(d) => d.normalize().to_string(),
        None => format!("{f:.0}"),
    }
}

#[cfg(test)]
mod plain_number_tests {
    use super::{plain_number, WholeDigits};

    /// Written in place, a whole number has the digits `plain_number` gives.
    #[test]
    fn whole_digits_are_plain_numbers() {
        let ints = [
            0i64,
            1,
            -1,
            9,
            10,
            -10,
            4200,
            i64::MAX,
            i64::MIN,
            -9_007_199_254_740_993,
        ];
        let mut numbers: Vec<serde_json::Number> = ints.iter().map(|&i| i.into()).collect();
        numbers.push(u64::MAX.into());
        for f in [
            60.0,
            -60.0,
            1.0,
            9_007_199_254_740_992.0,
            -9_007_199_254_740_992.0,
            1e15,
        ] {
            numbers.push(serde_json::Number::from_f64(f).unwrap());
        }
        for n in &numbers {
            let mut digits = WholeDigits::default();
            assert_eq!(digits.of(n), Some(plain_number(n).as_str()), "{n}");
        }
        // Fractions, zero as a float (a decimal zero keeps a sign) and
        // floats past 2^53 are left to plain_number.
        for f in [2.5, 0.0, -0.0, 1e300, 9_007_199_254_740_994.0] {
            let n = serde_json::Number::from_f64(f).unwrap();
            assert_eq!(WholeDigits::default().of(&n), None, "{f}");
        }
    }
    use rust_decimal::prelude::FromPrimitive;

    /// The whole-number shortcut writes what the decimal path writes.
    #[test]
    fn whole_decimals_write_as_the_decimal_path_does() {
        for f in [
            1.0,
            -1.0,
            60.0,
            1e15,
            -7.0,
            9_007_199_254_740_992.0,
            4_503_599_627_370_497.0,
        ] {
            let n = serde_json::Number::from_f64(f).unwrap();
            let decimal = rust_decimal::Decimal::from_f64(f)
                .unwrap()
                .normalize()
                .to_string();
            assert_eq!(plain_number(&n), decimal, "{f}");
        }
        let n = serde_json::Number::from_f64(2.5).unwrap();
        assert_eq!(plain_number(&n), "2.5");
    }
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// A number as the vendor would read it.
struct Parsed {
    value: f64,
    int_digits: u32,
    frac_digits: u32,
}

/// Parse `1234.5`, `-3`, `1,234.50` (when `commas`); `None` if not a number.
fn parse_number(text: &str, commas: bool) -> Option<Parsed> {
    let t = text.trim();
    let t = t
        .strip_prefix('-')
        .or_else(|| t.strip_prefix('+'))
        .unwrap_or(t);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    let frac = frac.split(['e', 'E']).next().unwrap_or(frac);
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let grouped = int.contains(',');
    if grouped {
        let mut groups = int.split(',');
        let first = groups.next()?;
        if !commas
            || first.is_empty()
            || first.len() > 3
            || !groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
    }
    // Without thousands commas (nearly always) the text is used as it is.
    let digits = match grouped {
        true => std::borrow::Cow::Owned(int.replace(',', "")),
        false => std::borrow::Cow::Borrowed(int),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: f64 = match grouped {
        true => text.trim().replace(',', "").parse().ok()?,
        false => text.trim().parse().ok()?,
    };
    let significant = digits.trim_start_matches('0');
    Some(Parsed {
        value,
        int_digits: significant.len() as u32,
        frac_digits: frac.trim_end_matches('0').len() as u32,
    })
}

fn is_guid(s: &str) -> bool {
    let s = s
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(s);
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Check an XML payload: its root element must be the schema's (one
/// record), or `<Batch>` holding records (what `convert` writes for several
/// records). One list of findings per record, with XPath-like paths.
pub fn check_xml_text(
    schema: &Schema,
    text: &str,
) -> Result<Vec<Vec<Violation>>, crate::read::ReadError> {
    let (root, tree) = crate::read::parse_xml(text)?;
    let expected = schema.root.clone().unwrap_or_else(|| schema.record.clone());
    let records: Vec<Value> = match (&tree, root == expected, root == "Batch") {
        (_, true, _) => vec![tree],
        (Value::Object(m), false, true) => match m.get(&expected) {
            Some(Value::Array(items)) => items.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        },
        (Value::String(s), false, true) if s.is_empty() => Vec::new(),
        _ => {
            return Ok(vec![vec![Violation {
                rule: "wrong-type".into(),
                path: format!("/{root}"),
                message: format!(
                    "the root element is <{root}>; {} expects <{expected}> (or a <Batch> of them)",
                    schema.name
                ),
                severity: Severity::Error,
            }]])
        }
    };
    Ok(records
        .into_iter()
        .map(|tree| {
            let mut out = Vec::new();
            let record = schema.record_from_xml(tree);
            check_record_at(schema, &record, &Path::root(schema), &mut out);
            // A secret field's value quoted where it was copied is hidden.
            let mut hide = crate::redact::Redactor::default();
            hide.add_secret_fields(schema, &record);
            out.iter_mut().for_each(|v| hide.redact_violation(v));
            out
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_vendors_write_them() {
        assert_eq!(
            parse_number("1,234.50", true).map(|p| p.value),
            Some(1234.5)
        );
        assert!(parse_number("1,234.50", false).is_none());
        assert!(parse_number("12,34", true).is_none());
        assert_eq!(
            parse_number("9999999.9999", false).map(|p| (p.int_digits, p.frac_digits)),
            Some((7, 4))
        );
        assert!(parse_number("abc", true).is_none());
        assert!(parse_number("", true).is_none());
    }

    #[test]
    fn guids() {
        assert!(is_guid("3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7")); // the seed's VendorTokenGUID
        assert!(!is_guid("3FC2ABA9-8F37-4CC9-934C"));
    }
}
