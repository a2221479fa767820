//! Source rules: checks on a unit before anything is built (Oneserve's
//! create-order validation). Every failing rule is reported, and a rule with
//! `for_each` reports each failing item at its own path.

use serde_json::Value;

use crate::build::{render_template, Env};
use crate::check::Violation;
use crate::diag::Severity;
use crate::expr::{Expr, Scope};

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
    /// Message template name.
    pub message: Option<String>,
    /// Error or warning.
    pub severity: Severity,
}

/// Check `rules` against the unit in `env`, appending violations to `out`.
pub fn check_rules(rules: &[SourceRule], env: &Env, out: &mut Vec<Violation>) {
    for rule in rules {
        match &rule.for_each {
            None => check_one(rule, env, String::new(), out),
            Some(each) => {
                let items = match each.eval(&env.scope) {
                    Ok(Value::Array(a)) => a,
                    Ok(Value::Null) => Vec::new(),
                    Ok(other) => {
                        out.push(error(
                            rule,
                            "",
                            format!(
                                "for_each {} gave {}, not a list",
                                each.source(),
                                crate::expr::type_name(&other)
                            ),
                        ));
                        continue;
                    }
                    Err(e) => {
                        out.push(error(rule, "", format!("for_each {}: {e}", each.source())));
                        continue;
                    }
                };
                let list_path = each
                    .as_path()
                    .map(|p| format!("/{}", p.join("/")))
                    .unwrap_or_default();
                for (i, item) in items.iter().enumerate() {
                    let index = Value::from(i);
                    let mut vars = env.scope.vars.clone();
                    vars.push(("item", item));
                    vars.push(("index", &index));
                    let inner = Env {
                        scope: Scope {
                            record: item.as_object(),
                            vars,
                            outer: env.scope.record,
                            calls: env.scope.calls,
                        },
                        data: env.data,
                        templates: env.templates,
                        secrets: env.secrets,
                    };
                    check_one(rule, &inner, format!("{list_path}/{i}"), out);
                }
            }
        }
    }
}

fn error(rule: &SourceRule, path: &str, message: String) -> Violation {
    Violation {
        rule: rule.id.clone(),
        path: path.to_string(),
        message,
        severity: Severity::Error,
    }
}

fn check_one(rule: &SourceRule, env: &Env, path: String, out: &mut Vec<Violation>) {
    if let Some(w) = &rule.when {
        match w.test(&env.scope) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => return out.push(error(rule, &path, format!("when {}: {e}", w.source()))),
        }
    }
    let at = match &rule.field {
        Some(f) => format!("{path}/{f}"),
        None => path,
    };
    match rule.assert.test(&env.scope) {
        Ok(true) => {}
        Ok(false) => {
            let message = match &rule.message {
                Some(t) => render_template(t, env, None).unwrap_or_else(|e| {
                    format!("{} failed (and its message did not render: {e})", rule.id)
                }),
                None => format!("{} does not hold", rule.assert.source()),
            };
            out.push(Violation {
                rule: rule.id.clone(),
                path: at,
                message,
                severity: rule.severity,
            });
        }
        Err(e) => out.push(error(rule, &at, format!("{}: {e}", rule.assert.source()))),
    }
}
