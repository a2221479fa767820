//! Source rules: checks on a unit before anything is built (Oneserve's
//! create-order validation). Every failing rule is reported, and a rule with
//! `for_each` reports each failing item at its own path.

use crate::value::Value;

use crate::build::{render_template, Env};
use crate::check::Violation;
use crate::diag::Severity;
use crate::expr::{EvalError, Expr, Scope};

/// A rule on the source record.
#[derive(Clone, Debug)]
pub struct SourceRule {
    /// Stable id, reported as the error's rule.
    pub id: String,
    /// Check each item of this list (the item's fields become variables).
    pub for_each: Option<Expr>,
    /// The rule applies only when this holds.
    pub when: Option<Expr>,
    /// Must be true.
    pub assert: Expr,
    /// Field (of the item) the error points at.
    pub field: Option<String>,
    /// `field:` written as a template (`change/fields/{{ item }}`): its
    /// name, rendered per item into the whole path (no list prefix).
    pub field_template: Option<String>,
    /// Message template name.
    pub message: Option<String>,
    /// Error or warning.
    pub severity: Severity,
    /// What the rule is for, in the words of whoever wrote it (`doc:`).
    pub doc: String,
    /// Where it is written.
    pub span: crate::diag::Span,
}

/// Which of `rules` never apply under the run's `params`: the first operand
/// of the rule's `when` (of its `&&` chain, or the whole condition) reads
/// nothing but params and is false, and its `for_each`, if any, reads
/// nothing at all (a literal list), so no record can make it fail. Such a
/// rule is found at prepare and left out of every unit (Pruvan update's
/// `shared-field-auto-admin-off` with Auto-Admin on: ten items a record).
pub(crate) fn never_applying(rules: &[SourceRule], params: &Value) -> Vec<bool> {
    let fixed_list = |e: &Expr| {
        !e.is_script()
            && e.reads().is_empty()
            && matches!(e.eval(&Scope::of(None)), Ok(Value::Array(_) | Value::Null))
    };
    rules
        .iter()
        .map(|r| {
            r.for_each.as_ref().is_none_or(fixed_list)
                && r.when
                    .as_ref()
                    .and_then(Expr::leading_conjunct)
                    .and_then(|first| crate::check_plan::of_params(&first, params))
                    .is_some_and(|v| v == Value::Bool(false))
        })
        .collect()
}

/// Check `rules` against the unit in `env`, appending violations to `out`;
/// a rule whose place in `skip` is true is left out (see [`never_applying`]),
/// or with `run_skipped` (`--check-all`, a trace) run beside the unit's
/// budget with no operation limit of its own, so that it costs the unit
/// what leaving it out costs: nothing.
pub fn check_rules(
    rules: &[SourceRule],
    skip: &[bool],
    run_skipped: bool,
    env: &Env,
    out: &mut Vec<Violation>,
) {
    for (i, rule) in rules.iter().enumerate() {
        let skipped = skip.get(i).copied().unwrap_or(false);
        if skipped && !run_skipped {
            continue;
        }
        let _beside = skipped.then(crate::expr::BesideUnit::uncounted);
        // A unit whose budget or time is spent stops here: every later
        // check would only report the same limit again.
        if spent(out) {
            return;
        }
        match &rule.for_each {
            None => check_one(rule, env, None, out),
            Some(each) => {
                let list = each.eval_cow(&env.scope);
                let items: &[Value] = match list.as_deref() {
                    Ok(Value::Array(a)) => a,
                    Ok(Value::Null) => &[],
                    Ok(other) => {
                        out.push(error(
                            rule,
                            "",
                            format!(
                                "for_each {} gave {}, not a list",
                                each.quoted(),
                                crate::expr::type_name(other)
                            ),
                        ));
                        continue;
                    }
                    Err(e) => {
                        out.push(eval_error(
                            rule,
                            "",
                            format!("for_each {}: {e}", each.quoted()),
                            e,
                        ));
                        continue;
                    }
                };
                for (i, item) in items.iter().enumerate() {
                    if spent(out) {
                        return;
                    }
                    let index = Value::from(i);
                    let mut vars = env.scope.vars.clone();
                    vars.push("item", item);
                    vars.push("index", &index);
                    let inner = Env {
                        this: item,
                        scope: Scope {
                            record: item.as_object(),
                            vars,
                            outer: env.scope.record,
                            calls: env.scope.calls,
                            lets: env.scope.lets,
                        },
                        data: env.data,
                        templates: env.templates,
                        secrets: env.secrets,
                    };
                    check_one(rule, &inner, Some(i), out);
                }
            }
        }
    }
}

/// True when the last finding is a spent budget or clock.
fn spent(out: &[Violation]) -> bool {
    out.last()
        .is_some_and(|v| crate::expr::EvalError::is_spent_rule(&v.rule))
}

fn error(rule: &SourceRule, path: &str, message: String) -> Violation {
    Violation {
        rule: rule.id.clone(),
        path: path.to_string(),
        message,
        severity: Severity::Error,
    }
}

/// A rule that could not be evaluated: a spent budget or the clock reports
/// as its own rule (`budget`, `time-limit`), not as the rule's failure.
fn eval_error(rule: &SourceRule, path: &str, message: String, e: &EvalError) -> Violation {
    let mut v = error(rule, path, message);
    if let Some(r) = e.rule() {
        v.rule = r.to_string();
    }
    v
}

/// The path of an item's error: `/activities/2/team` (the list's path comes
/// from `for_each` when it is a plain path; built only when a rule fails).
fn item_path(rule: &SourceRule, index: Option<usize>, field: Option<&str>) -> String {
    let mut p = String::new();
    if field.is_some_and(|f| f.starts_with('/')) {
        // A templated field, already rendered into the whole path.
        return field.unwrap_or_default().to_string();
    }
    if let (Some(each), Some(i)) = (&rule.for_each, index) {
        for seg in each.as_path().unwrap_or_default() {
            p.push('/');
            p.push_str(&seg);
        }
        p.push_str(&format!("/{i}"));
    }
    if let Some(f) = field {
        p.push('/');
        p.push_str(f);
    }
    p
}

fn check_one(rule: &SourceRule, env: &Env, index: Option<usize>, out: &mut Vec<Violation>) {
    // One flag test per rule when no trace is recorded (crate::trace).
    if crate::trace::active() {
        // The place a failure is reported at: the rule's `field:` (a
        // templated one names the item's whole path; a literal list's
        // index is no place in the record).
        let field = crate::trace::quiet(|| rule_field(rule, env));
        let path = item_path(rule, index, field.as_deref());
        return crate::trace::rule(rule, env, path, out, |out| {
            check_one_untraced(rule, env, index, out)
        });
    }
    check_one_untraced(rule, env, index, out)
}

fn check_one_untraced(
    rule: &SourceRule,
    env: &Env,
    index: Option<usize>,
    out: &mut Vec<Violation>,
) {
    if let Some(w) = &rule.when {
        match w.test(&env.scope) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                return out.push(eval_error(
                    rule,
                    &item_path(rule, index, None),
                    format!("when {}: {e}", w.quoted()),
                    &e,
                ))
            }
        }
    }
    match rule.assert.test(&env.scope) {
        Ok(true) => {}
        Ok(false) => {
            let message = match &rule.message {
                Some(t) => render_template(t, env, None).unwrap_or_else(|e| {
                    format!("{} failed (and its message did not render: {e})", rule.id)
                }),
                None => format!("{} does not hold", rule.assert.quoted()),
            };
            let field = rule_field(rule, env);
            out.push(Violation {
                rule: rule.id.clone(),
                path: item_path(rule, index, field.as_deref()),
                message,
                severity: rule.severity,
            });
        }
        Err(e) => out.push(eval_error(
            rule,
            &item_path(rule, index, rule_field(rule, env).as_deref()),
            format!("{}: {e}", rule.assert.quoted()),
            &e,
        )),
    }
}

/// The field a failing rule points at: a templated one is rendered for
/// this item into the whole path (`/change/fields/tasks`); built only when
/// the rule fails.
fn rule_field(rule: &SourceRule, env: &Env) -> Option<String> {
    match &rule.field_template {
        None => rule.field.clone(),
        Some(t) => Some(match render_template(t, env, None) {
            Ok(f) => format!("/{}", f.trim_start_matches('/')),
            Err(e) => format!(
                "/{} (the field did not render: {e})",
                rule.field.as_deref().unwrap_or("")
            ),
        }),
    }
}
