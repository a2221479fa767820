//! Mapping files: one integration, compiled once. See docs/mappings.md.
//!
//! A unit (one source record) goes: `where`/`skip` (set aside with a
//! reason) → the source schema (if named) → source `rules` → the first
//! route whose `when` holds (or the one `record`) → build → the route's
//! target schema. Any error rejects the unit with every problem found.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::value::{Map, Value};

use crate::build::{
    build_record, render_template, BuildError, Compiler, Data, Env, FieldSpec, Source,
};
use crate::check::{check_record_at, check_record_planned, Path as CheckPath, Violation};
use crate::check_plan::CheckPlan;
use crate::confine::{self, LoadOptions};
use crate::diag::{Diagnostic, Diagnostics, Severity, Span};
use crate::expr::{BesideUnit, Expr, Limits, RunLimits, Sandbox, Scope, UnitBudget};
use crate::file_format as ff;
use crate::lookup::Lookup;
use crate::params::{ParamSpec, Params};
use crate::redact::Redactor;
use crate::registry::Registry;
use crate::render::NumberPlan;
use crate::rules::{check_rules, SourceRule};
use crate::schema::{Kind, Schema, Type};
use crate::select::{first_skip, Selector, Skip};
use crate::table::Table;
use crate::template::{TemplateLimits, Templates};
use crate::yaml::{self, span, Fields, Node};

/// One output of a mapping: a target and how to build it.
#[derive(Clone, Debug)]
pub struct Route {
    /// The route's name (the mapping's name when there is one record).
    pub(crate) name: String,
    /// Taken when this holds (the first route that matches wins).
    pub(crate) when: Option<Expr>,
    /// The target schema.
    pub(crate) target: Arc<Schema>,
    /// Rules checked before this route builds.
    pub(crate) rules: Vec<SourceRule>,
    /// The target record's fields.
    pub(crate) record: Vec<FieldSpec>,
}

/// A compiled mapping.
#[derive(Debug)]
pub struct Mapping {
    /// Its name.
    pub name: String,
    /// What it does.
    pub doc: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The source schema, if named.
    pub(crate) source: Option<Arc<Schema>>,
    /// Declared params.
    pub(crate) params: Vec<ParamSpec>,
    /// JSONPath selecting records from a JSON document.
    pub(crate) select: Option<Selector>,
    /// Values computed once per unit (`let:`), visible as variables.
    pub(crate) lets: Vec<(String, Expr)>,
    /// Reasons to skip a record.
    pub(crate) skips: Vec<Skip>,
    /// Rules on every unit.
    pub(crate) rules: Vec<SourceRule>,
    /// Outputs.
    pub(crate) routes: Vec<Route>,
    /// How CSV rows become units (`input: {csv: ...}`).
    pub(crate) csv: CsvInput,
    /// Warnings found at load (the mapping is usable; `check` shows them).
    pub warnings: Diagnostics,
    /// The `rules_from:` file, as the mapping names it (beside the mapping).
    pub(crate) rules_from: Option<PathBuf>,
    /// The budget of one unit (`limits:`).
    pub(crate) limits: RunLimits,
    /// Where `script:` keys are (their spans) and what each computes.
    pub(crate) scripts: Vec<(Span, String)>,
    /// The files of its layers (`extends:`), the base first and this
    /// mapping's file last; one file for a mapping that extends nothing.
    /// Each field spec's `span.file` is the layer it came from.
    pub(crate) layers: Vec<PathBuf>,
    pub(crate) data: Arc<Data>,
    pub(crate) templates: Templates,
}

/// How CSV input becomes units: rows grouped by a key (`group_by`), then
/// shaped into the record the mapping reads (`unit`).
#[derive(Clone, Debug)]
pub struct CsvInput {
    /// The field delimiter (default `,`).
    pub(crate) delimiter: u8,
    /// Rows with equal values of these expressions form one unit.
    pub(crate) group_by: Vec<Expr>,
    /// The input is sorted by the key: groups stream (memory stays flat),
    /// and a key that comes back after its group closed is an error.
    /// Unsorted (the default), rows are gathered first: in memory up to a
    /// bound, then in temporary files (crate::spill).
    pub(crate) sorted: bool,
    /// The unit built from a group: the first row's columns are variables,
    /// `rows` is every row of the group. Without it, a unit is a row.
    pub(crate) unit: Vec<FieldSpec>,
}

impl Default for CsvInput {
    fn default() -> CsvInput {
        CsvInput {
            delimiter: b',',
            group_by: Vec::new(),
            sorted: false,
            unit: Vec::new(),
        }
    }
}

/// What happened to one unit.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// Built and valid: the target record, the route that built it, and warnings.
    Accepted {
        /// The route's name.
        route: String,
        /// The target record.
        record: Value,
        /// Warnings from the target's rules.
        warnings: Vec<Violation>,
        /// The digits of copied numbers an f64 does not hold, by target
        /// path: the [`Renderer`](crate::Renderer) writes them.
        literals: crate::literal::Literals,
    },
    /// Refused, with every problem found.
    Rejected(Vec<Violation>),
    /// Set aside on purpose, with the reason.
    Skipped(String),
}

/// A mapping with its params resolved: ready to transform records.
pub struct Prepared<'m> {
    mapping: &'m Mapping,
    params: Value,
    secrets: Vec<String>,
    /// The secret params' values, hidden in every message.
    redactor: Redactor,
    /// The source or a target schema has secret fields: each record's
    /// values there are hidden in its messages too.
    secret_fields: bool,
    /// The source schema has secret fields: a rejected unit's source is
    /// read for their values (a target's are hidden where they are built).
    source_secret_fields: bool,
    /// By route: the target checks proved at prepare (crate::check_plan).
    pub(crate) plans: Vec<CheckPlan>,
    /// Every target check on every record: the plans are not used.
    check_all: bool,
    /// The mapping's source rules that never apply under these params
    /// (crate::rules::never_applying), then each route's.
    rules_skipped: Vec<bool>,
    route_rules_skipped: Vec<Vec<bool>>,
}

impl Mapping {
    /// Load and compile the mapping at `path`, finding schemas from there.
    pub fn from_path(path: &Path) -> Result<Mapping, crate::Error> {
        let registry = Registry::discover(path.parent().unwrap_or(Path::new(".")));
        Mapping::from_path_with(path, &registry)
    }

    /// Load and compile the mapping at `path` with [`LoadOptions`], finding
    /// schemas from there.
    pub fn from_path_options(path: &Path, options: &LoadOptions) -> Result<Mapping, crate::Error> {
        let registry = Registry::discover(path.parent().unwrap_or(Path::new(".")));
        Mapping::from_path_with_options(path, &registry, options)
    }

    /// Load and compile with an explicit schema registry.
    pub fn from_path_with(path: &Path, registry: &Registry) -> Result<Mapping, crate::Error> {
        Mapping::from_path_with_options(path, registry, &LoadOptions::default())
    }

    /// Load and compile with a registry and [`LoadOptions`] (the project
    /// root the files it pulls in must stay inside).
    pub fn from_path_with_options(
        path: &Path,
        registry: &Registry,
        options: &LoadOptions,
    ) -> Result<Mapping, crate::Error> {
        Ok(Mapping::load(path, registry, options)?)
    }

    /// [`Mapping::from_path_with_options`] with its findings as they are,
    /// for the project checks that collect them.
    pub(crate) fn load(
        path: &Path,
        registry: &Registry,
        options: &LoadOptions,
    ) -> Result<Mapping, Diagnostics> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics(vec![Diagnostic::error(
                Span::file(path),
                "unreadable",
                format!("cannot read the mapping: {e}"),
            )])
        })?;
        Mapping::compile(path, &text, registry, options)
    }

    /// Compile mapping text; `path` names it in diagnostics and anchors lookup files.
    pub fn from_str(path: &Path, text: &str, registry: &Registry) -> Result<Mapping, crate::Error> {
        Mapping::from_str_with_options(path, text, registry, &LoadOptions::default())
    }

    /// Compile mapping text with [`LoadOptions`].
    pub fn from_str_with_options(
        path: &Path,
        text: &str,
        registry: &Registry,
        options: &LoadOptions,
    ) -> Result<Mapping, crate::Error> {
        Ok(Mapping::compile(path, text, registry, options)?)
    }

    fn compile(
        path: &Path,
        text: &str,
        registry: &Registry,
        options: &LoadOptions,
    ) -> Result<Mapping, Diagnostics> {
        let root = yaml::parse(path, text).map_err(|d| Diagnostics(vec![d]))?;
        let mut diags = Diagnostics::default();
        let Some((root, layers)) = crate::layers::flatten(path, root, options, &mut diags) else {
            return Err(diags);
        };
        let mut m = load(path, &root, registry, options, &mut diags);
        if let Some(m) = &mut m {
            m.layers = layers;
        }
        if let Some(m) = &m {
            crate::resolve::check_mapping(path, text, &root, options, m, &mut diags);
        }
        match m {
            Some(mut m) if !diags.has_errors() => {
                m.warnings = diags;
                Ok(m)
            }
            _ => Err(diags),
        }
    }

    /// Resolve params once for a run: typed, required ones present, no unknown names.
    /// [`Error::Params`](crate::Error::Params) lists every problem.
    pub fn prepare(&self, params: &Params) -> Result<Prepared<'_>, crate::Error> {
        let values = params.resolve(&self.params).map_err(crate::Error::Params)?;
        let secrets = self
            .params
            .iter()
            .filter(|p| p.secret)
            .map(|p| p.name.clone())
            .collect::<Vec<_>>();
        let mut redactor = Redactor::default();
        for name in &secrets {
            redactor.add_value(&values[name.as_str()]);
        }
        let has_secret_fields =
            |s: &Schema| s.types.iter().any(|t| t.fields.iter().any(|f| f.secret));
        let source_secret_fields = self.source.as_deref().is_some_and(has_secret_fields);
        let secret_fields =
            source_secret_fields || self.routes.iter().any(|r| has_secret_fields(&r.target));
        let plans = self.check_plans(&values);
        let rules_skipped = crate::rules::never_applying(&self.rules, &values);
        let route_rules_skipped = self
            .routes
            .iter()
            .map(|r| crate::rules::never_applying(&r.rules, &values))
            .collect();
        Ok(Prepared {
            mapping: self,
            params: values,
            secrets,
            redactor: redactor.compiled(),
            secret_fields,
            source_secret_fields,
            plans,
            check_all: false,
            rules_skipped,
            route_rules_skipped,
        })
    }

    /// What each route's target check can leave out (crate::check_plan).
    /// Proved here, on the mapping as loaded and layered, under the
    /// mapping's own budget: a rule run on constants is bounded like a unit.
    pub(crate) fn check_plans(&self, params: &Value) -> Vec<CheckPlan> {
        let _budget = UnitBudget::start(self.limits);
        let mut shadowed: Vec<&str> = vec!["params", "root"];
        shadowed.extend(self.lets.iter().map(|(n, _)| n.as_str()));
        self.routes
            .iter()
            .map(|r| {
                let source = self.source.as_deref();
                CheckPlan::prove(&r.record, &r.target, source, &shadowed, params, &self.data)
            })
            .collect()
    }

    /// Transform one record (resolving params each call; use [`Mapping::prepare`] for batches).
    pub fn transform(&self, record: &Value, params: &Params) -> Result<Outcome, crate::Error> {
        Ok(self.prepare(params)?.transform(record))
    }

    /// The route called `name`.
    pub(crate) fn route(&self, name: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.name == name)
    }

    /// The limits templates render with.
    pub fn template_limits(&self) -> TemplateLimits {
        self.templates.limits()
    }

    /// Change the limits templates render with (a mapping's `limits:`).
    pub fn set_template_limits(&mut self, limits: TemplateLimits) {
        self.templates.set_limits(limits);
    }

    /// Hold each unit to at most `time_ms` milliseconds of wall-clock time
    /// (rule `time-limit` past it), whatever the mapping's `limits:` allow:
    /// a server running mapping text it was sent (`mapwright serve`) keeps
    /// a run it gave up on from going on for the mapping's own deadline.
    pub fn cap_unit_time(&mut self, time_ms: u64) {
        self.limits.time_ms = self.limits.time_ms.min(time_ms.max(1));
    }

    /// The files the mapping reads beside itself: lookup CSVs and its
    /// `rules_from:` file (a run must never write over them).
    pub fn files_read(&self) -> Vec<PathBuf> {
        self.data
            .lookups
            .iter()
            .filter_map(|l| l.path.clone())
            .chain(self.rules_from.clone())
            .chain(self.layers.iter().skip(1).cloned())
            .collect()
    }

    /// The names of params that are secret.
    pub fn secret_params(&self) -> Vec<&str> {
        self.params
            .iter()
            .filter(|p| p.secret)
            .map(|p| p.name.as_str())
            .collect()
    }
}

impl Prepared<'_> {
    /// The resolved params.
    pub fn params(&self) -> &Value {
        &self.params
    }

    /// The mapping.
    pub fn mapping(&self) -> &Mapping {
        self.mapping
    }

    /// What hides the secret params' values in text written for people.
    pub(crate) fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// A rejection as it is written: the secret params' values hidden, and
    /// the values at the source schema's secret fields of its input; with
    /// `rows`: what a malformed input
    /// reads as, as far as it reads (a ragged CSV row split on its
    /// delimiter), whose secret fields are hidden too. Text that did not
    /// parse is searched for secret field names (see
    /// [`crate::redact::secret_values_in_text`]).
    pub(crate) fn redact_rejection_with(
        &self,
        rejection: &mut crate::report::Rejection,
        rows: &[Value],
    ) {
        use crate::report::Source;
        let source = self
            .mapping
            .source
            .as_deref()
            .filter(|_| self.source_secret_fields);
        let Some(source) = source else {
            return self.redactor.redact_rejection(rejection);
        };
        let mut r = self.redactor.clone();
        rows.iter().for_each(|v| r.add_secret_fields(source, v));
        let mut texts: Vec<&[u8]> = rejection.raw.iter().map(|l| l.bytes.as_slice()).collect();
        match &rejection.source {
            Source::Values(values) => values.iter().for_each(|v| r.add_secret_fields(source, v)),
            Source::Verbatim(raw) => match serde_json::from_str::<Value>(raw.get()) {
                Ok(v) => r.add_secret_fields(source, &v),
                Err(_) => texts.push(raw.get().as_bytes()),
            },
            Source::Unreadable(bytes) => texts.push(bytes),
        }
        let names = crate::redact::secret_field_names(source);
        if !names.is_empty() {
            for text in texts {
                for value in crate::redact::secret_values_in_text(text, &names) {
                    r.add(&value);
                }
            }
        }
        r.redact_rejection(rejection);
    }

    /// The redactor for one record: the secret params, and the values at
    /// the secret fields of `record` (a source record) and `built` (what a
    /// route built, of `target`).
    pub(crate) fn redactor_for(
        &self,
        record: &Value,
        built: Option<(&Schema, &Value)>,
    ) -> Redactor {
        let mut r = self.redactor.clone();
        if self.secret_fields {
            if let Some(source) = &self.mapping.source {
                r.add_secret_fields(source, record);
            }
            if let Some((target, built)) = built {
                r.add_secret_fields(target, built);
            }
        }
        r
    }

    /// The unit's `let:` values, each computed once, in order (a later one
    /// may use an earlier one).
    pub(crate) fn lets(
        &self,
        fields: &Map,
        vars: &crate::expr::Vars,
    ) -> Result<Option<Map>, Violation> {
        if self.mapping.lets.is_empty() {
            return Ok(None);
        }
        let mut values = Map::new();
        for (name, expr) in &self.mapping.lets {
            let scope = Scope {
                record: Some(fields),
                vars: vars.clone(),
                outer: None,
                calls: Some(&*self.mapping.data),
                lets: Some(&values),
            };
            let v = expr.eval(&scope).map_err(|e| {
                violation(
                    e.rule().unwrap_or("let"),
                    "",
                    format!("let {name} = {}: {e}", expr.quoted()),
                )
            })?;
            values.insert(name.clone(), v);
        }
        Ok(Some(values))
    }

    /// Shape the rows of a CSV group into the unit the mapping reads
    /// (`input.csv.unit`): `Ok(None)` when the mapping has no shape (a row is
    /// the unit), errors when a field of the shape cannot be built.
    /// `rows` is the group's rows as one list (the `rows` the unit reads),
    /// borrowed: a group is not copied to be shaped.
    pub(crate) fn shape(&self, rows: &Value) -> Result<Option<Value>, Vec<Violation>> {
        let m = self.mapping;
        if m.csv.unit.is_empty() {
            return Ok(None);
        }
        let _budget = UnitBudget::start(m.limits);
        let first = rows
            .as_array()
            .and_then(|r| r.first())
            .unwrap_or(&Value::Null);
        let mut vars = crate::expr::Vars::default();
        vars.push("params", &self.params);
        vars.push("rows", rows);
        let env = Env {
            this: first,
            scope: Scope {
                record: first.as_object(),
                vars,
                outer: None,
                calls: Some(&*m.data),
                lets: None,
            },
            data: &m.data,
            templates: &m.templates,
            secrets: &self.secrets,
        };
        let mut errors = Vec::new();
        let unit = build_record(&m.csv.unit, &env, &CheckPath::json(""), &mut errors);
        if errors.is_empty() {
            Ok(Some(Value::Object(unit)))
        } else {
            Err(errors
                .into_iter()
                .map(|b| Violation {
                    rule: b.rule,
                    path: b.path,
                    message: b.message,
                    severity: Severity::Error,
                })
                .collect())
        }
    }

    /// Check every built record against its whole target schema, and
    /// run every source rule (`convert --check-all`). Off by default: the
    /// checks proved at prepare to pass (constants, copies within the
    /// source's limits, rules over constants; see docs/design.md), and the
    /// source rules whose `when` is false under the params, are left out.
    /// The outcomes are the same either way.
    pub fn check_all(&mut self, on: bool) -> &mut Self {
        self.check_all = on;
        self
    }

    /// The source rules to leave out: of the mapping (`None`) or of route
    /// `i`, and whether to run them anyway: under `check_all`, or while a
    /// trace is recorded (it shows every rule).
    fn skipped(&self, route: Option<usize>) -> (&[bool], bool) {
        let skip: &[bool] = match route {
            None => &self.rules_skipped,
            Some(i) => self.route_rules_skipped.get(i).map_or(&[], Vec::as_slice),
        };
        (skip, self.check_all || crate::trace::active())
    }

    /// Transform one unit. No message of the outcome holds a secret value
    /// (see the `redact` module).
    pub fn transform(&self, record: &Value) -> Outcome {
        self.transform_read(record, &crate::literal::SourceLiterals::default())
    }

    /// Transform one unit read from text, with the literals of its numbers
    /// that an f64 does not hold ([`crate::literal::SourceLiterals::find`]):
    /// fields that copy them keep their digits.
    pub(crate) fn transform_read(
        &self,
        record: &Value,
        literals: &crate::literal::SourceLiterals,
    ) -> Outcome {
        self.transform_read_hiding(record, literals).0
    }

    /// [`Self::transform`], and what hides the values a rejected unit's
    /// built record held at its target's secret fields: the caller hides
    /// them in the rejection's input too ([`Redactor::hide_in_input`]), as a
    /// mapping may build a secret field from a source field that is none
    /// (`VendorTokenGUID: = job.client`).
    pub(crate) fn transform_hiding(&self, record: &Value) -> (Outcome, Redactor) {
        self.transform_read_hiding(record, &crate::literal::SourceLiterals::default())
    }

    /// [`Self::transform_read`] and [`Self::transform_hiding`] in one.
    pub(crate) fn transform_read_hiding(
        &self,
        record: &Value,
        literals: &crate::literal::SourceLiterals,
    ) -> (Outcome, Redactor) {
        let reading = crate::literal::Reading::start(literals);
        let mut built_secrets = Redactor::default();
        let mut outcome = self.transform_unredacted(record, &mut built_secrets);
        if let Outcome::Accepted { literals, .. } = &mut outcome {
            *literals = reading.target();
        }
        drop(reading);
        let clean = match &outcome {
            Outcome::Accepted { warnings, .. } => warnings.is_empty(),
            _ => false,
        };
        if !clean && (self.secret_fields || !self.redactor.is_empty()) {
            let built = match &outcome {
                Outcome::Accepted { route, record, .. } => {
                    self.mapping.route(route).map(|r| (&*r.target, record))
                }
                _ => None,
            };
            self.redactor_for(record, built)
                .redact_outcome(&mut outcome);
        }
        (outcome, built_secrets)
    }

    /// The outcome, its secrets not yet hidden but those of a rejected
    /// unit's built record, which are gone after it: `built_secrets` gets them.
    fn transform_unredacted(&self, record: &Value, built_secrets: &mut Redactor) -> Outcome {
        let m = self.mapping;
        let Value::Object(fields) = record else {
            return Outcome::Rejected(vec![Violation {
                rule: "not-a-record".into(),
                path: String::new(),
                message: format!(
                    "expected a record (a JSON object), found {}",
                    match record {
                        Value::Null => "null",
                        Value::Array(_) => "a list",
                        Value::String(_) => "text",
                        Value::Number(_) => "a number",
                        _ => "true or false",
                    }
                ),
                severity: Severity::Error,
            }]);
        };
        let _budget = UnitBudget::start(m.limits);
        let mut vars = crate::expr::Vars::default();
        vars.push("params", &self.params);
        vars.push("root", record);
        let lets = match self.lets(fields, &vars) {
            Ok(l) => l,
            Err(v) => return Outcome::Rejected(vec![v]),
        };
        let env = Env {
            this: record,
            scope: Scope {
                record: Some(fields),
                vars,
                outer: None,
                calls: Some(&*m.data),
                lets: lets.as_ref(),
            },
            data: &m.data,
            templates: &m.templates,
            secrets: &self.secrets,
        };
        match first_skip(&m.skips, &env.scope) {
            Ok(Some(skip)) => {
                let reason = if skip.templated {
                    match render_template(&skip.reason, &env, None) {
                        Ok(r) => r,
                        Err(e) => match e.rule() {
                            Some(rule) => {
                                let message = format!("skip reason: {e}");
                                return Outcome::Rejected(vec![violation(rule, "", message)]);
                            }
                            None => format!("skipped (reason did not render: {e})"),
                        },
                    }
                } else {
                    skip.reason.clone()
                };
                return Outcome::Skipped(reason);
            }
            Ok(None) => {}
            Err(e) => {
                return Outcome::Rejected(vec![violation(
                    e.rule().unwrap_or("skip"),
                    "",
                    e.to_string(),
                )])
            }
        }
        let mut errors = Vec::new();
        if let Some(source) = &m.source {
            let _beside = BesideUnit::start();
            check_record_at(source, record, &CheckPath::json(""), &mut errors);
        }
        let (skip, run_skipped) = self.skipped(None);
        check_rules(&m.rules, skip, run_skipped, &env, &mut errors);
        // A unit that breaks the source's rules is not built: building it
        // would only add errors that restate the same fault.
        if errors.iter().any(|e| e.severity == Severity::Error) {
            return Outcome::Rejected(errors);
        }
        let (route, plan, at) = match self.route(&env) {
            Ok(Some((i, r))) => (r, self.plans.get(i), i),
            Ok(None) => {
                if errors.iter().any(|e| e.severity == Severity::Error) {
                    return Outcome::Rejected(errors);
                }
                let tried: Vec<String> = m
                    .routes
                    .iter()
                    .map(|r| {
                        format!(
                            "{} (when {})",
                            r.name,
                            r.when.as_ref().map(|w| w.source()).unwrap_or("always")
                        )
                    })
                    .collect();
                return Outcome::Skipped(format!("no route matches: {}", tried.join("; ")));
            }
            Err(e) => {
                errors.push(e);
                return Outcome::Rejected(errors);
            }
        };
        let (skip, run_skipped) = self.skipped(Some(at));
        check_rules(&route.rules, skip, run_skipped, &env, &mut errors);
        if errors.iter().any(|e| e.severity == Severity::Error) {
            return Outcome::Rejected(errors);
        }
        let mut build_errors: Vec<BuildError> = Vec::new();
        let built = Value::Object(build_record(
            &route.record,
            &env,
            &CheckPath::json(""),
            &mut build_errors,
        ));
        // The target's checks run on what was built even when a field failed,
        // so one run reports every problem; a failed field's own path (and
        // what lies under it) is left to its build error.
        let out_of_budget = crate::build::spent(&build_errors);
        let failed: Vec<String> = build_errors.iter().map(|b| b.path.clone()).collect();
        errors.extend(build_errors.into_iter().map(|b| Violation {
            rule: b.rule,
            path: b.path,
            message: b.message,
            severity: Severity::Error,
        }));
        let mut target_findings = Vec::new();
        // A record left half built by a spent budget is not checked: its
        // missing fields would each be reported as the target's findings.
        if !out_of_budget {
            // The plan's proofs are of records built whole: a field that
            // failed is missing, and every check runs on what is left.
            let _beside = BesideUnit::start();
            check_record_planned(
                &route.target,
                &built,
                &CheckPath::json(""),
                plan.filter(|_| failed.is_empty()),
                self.check_all,
                &mut target_findings,
            );
        }
        errors.extend(target_findings.into_iter().filter(|v| {
            !failed
                .iter()
                .any(|f| v.path == *f || v.path.starts_with(&format!("{f}/")))
        }));
        if errors.iter().any(|e| e.severity == Severity::Error) {
            // What was built is gone after this: its secret fields' values
            // are hidden here (the params' in `transform`), and handed on
            // to hide them in the rejection's input.
            if self.secret_fields {
                built_secrets.add_secret_fields(&route.target, &built);
                errors
                    .iter_mut()
                    .for_each(|e| built_secrets.redact_violation(e));
            }
            return Outcome::Rejected(errors);
        }
        Outcome::Accepted {
            route: route.name.clone(),
            record: built,
            warnings: errors,
            literals: Default::default(),
        }
    }

    /// The first route whose `when` holds, and its index.
    fn route(&self, env: &Env) -> Result<Option<(usize, &Route)>, Violation> {
        for (i, r) in self.mapping.routes.iter().enumerate() {
            match r
                .when
                .as_ref()
                .map(|w| w.test(&env.scope))
                .unwrap_or(Ok(true))
            {
                Ok(true) => return Ok(Some((i, r))),
                Ok(false) => {}
                Err(e) => {
                    return Err(violation(
                        e.rule().unwrap_or("route"),
                        "",
                        format!("route {}: {e}", r.name),
                    ))
                }
            }
        }
        Ok(None)
    }
}

fn violation(rule: &str, path: &str, message: String) -> Violation {
    Violation {
        rule: rule.to_string(),
        path: path.to_string(),
        message,
        severity: Severity::Error,
    }
}

// ---------------------------------------------------------------- loading

fn load(
    file: &Path,
    root: &Node,
    registry: &Registry,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Mapping> {
    let mut f = Fields::new(file, root, "a mapping file", &ff::MAPPING_FILE, diags)?;
    let name = f
        .take("mapping")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let doc = f
        .take("doc")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let source_node = f.take("source");
    let source = source_node.and_then(|n| schema(file, n, registry, diags));
    let target_node = f.take("target");
    let mut params = Vec::new();
    for (k, v) in f.take("params").and_then(Node::as_map).unwrap_or(&[]) {
        params.extend(ParamSpec::load(
            file,
            &k.scalar_text().unwrap_or_default(),
            v,
            diags,
        ));
    }
    let mut data = Data::default();
    for (k, v) in f.take("lookups").and_then(Node::as_map).unwrap_or(&[]) {
        data.lookups.extend(Lookup::load(
            file,
            &k.scalar_text().unwrap_or_default(),
            v,
            options,
            diags,
        ));
    }
    for (k, v) in f.take("tables").and_then(Node::as_map).unwrap_or(&[]) {
        if let Some(t) = Table::load(file, &k.scalar_text().unwrap_or_default(), v, diags) {
            t.check(yaml::file_of(file, k), k.line, diags);
            data.tables.push(t);
        }
    }
    // Tables the target schema declares are usable from the mapping too.
    let target = target_node.and_then(|n| schema(file, n, registry, diags));
    if let Some(t) = &target {
        for table in &t.tables {
            if data.table(&table.name).is_none() {
                data.tables.push(table.clone());
            }
        }
    }
    let data = Arc::new(data);
    let mut templates = Templates::new(TemplateLimits::default());
    // SemiStrict: printing an undefined variable is an error (a typo shows),
    // but `{% if note %}` on an absent field is simply false.
    templates.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    let sandbox = Sandbox::with_calls(
        Limits::default(),
        Some(data.clone() as Arc<dyn crate::expr::ExternalCalls + Send + Sync>),
    );
    let mut c = Compiler {
        file,
        diags,
        sandbox,
        data: &data,
        templates: &mut templates,
        externals: vec!["lookup", "has_lookup", "table"],
        scripts: Vec::new(),
    };
    let limits = f
        .take("limits")
        .map(|n| load_limits(file, n, c.diags))
        .unwrap_or_default();
    let select =
        f.take("select").and_then(
            |n| match Selector::new(&n.scalar_text().unwrap_or_default()) {
                Ok(s) => Some(s),
                Err(e) => {
                    c.diags.push(Diagnostic::error(
                        span(file, n),
                        "bad-path",
                        format!("select is not a JSONPath: {e}"),
                    ));
                    None
                }
            },
        );
    let mut lets = Vec::new();
    for (k, v) in f.take("let").and_then(Node::as_map).unwrap_or(&[]) {
        if let Some(e) = c.expr(v) {
            lets.push((k.scalar_text().unwrap_or_default(), e));
        }
    }
    let mut skips = Vec::new();
    if let Some(w) = f.take("where") {
        if let Some(e) = c.expr(w) {
            skips.push(Skip {
                reason: format!("where {} is false", e.quoted()),
                when: e,
                templated: false,
                negate: true,
            });
        }
    }
    for s in f.take("skip").and_then(Node::as_seq).unwrap_or(&[]) {
        let mut sf = Fields::new(file, s, "a skip", &ff::SKIP, c.diags)?;
        let (when, reason) = (sf.take("when"), sf.take("reason"));
        sf.finish("a skip", c.diags);
        let (Some(when), Some(reason)) = (when, reason) else {
            c.diags.push(Diagnostic::error(
                span(file, s),
                "missing-key",
                "a skip needs `when:` and `reason:`",
            ));
            continue;
        };
        if let (Some(when), Some(reason)) = (c.expr(when), c.template(reason, "reason")) {
            skips.push(Skip {
                when,
                reason,
                templated: true,
                negate: false,
            });
        }
    }
    let mut rules = Vec::new();
    let mut rules_from = None;
    if let Some(n) = f.take("rules_from") {
        rules_from = n.scalar_text().map(|name| {
            let from = yaml::file_of(file, n);
            from.parent().unwrap_or(Path::new(".")).join(name)
        });
        rules.extend(included_rules(&mut c, n, options));
    }
    if let Some(n) = f.take("rules") {
        let own = load_rules(&mut c, n);
        own_rules(c.diags, file, &mut rules, own, n);
    }
    let csv = f
        .take("input")
        .map(|n| load_input(&mut c, n))
        .unwrap_or_default();
    let mut routes = Vec::new();
    if let Some(record) = f.take("record") {
        match &target {
            Some(t) => {
                let mut fields = c.record(record);
                check_fields(c.diags, t, t.record_type(), &fields);
                check_required(c.diags, t, t.record_type(), record, span(file, record));
                let target = with_number_plan(c.diags, t, &mut fields);
                routes.push(Route {
                    name: name.clone(),
                    when: None,
                    target,
                    rules: Vec::new(),
                    record: fields,
                });
            }
            None if target_node.is_none() => c.diags.push(Diagnostic::error(
                span(file, record),
                "missing-key",
                "a mapping with `record:` needs `target:` (the target schema's name)",
            )),
            None => {}
        }
    }
    for r in f.take("routes").and_then(Node::as_seq).unwrap_or(&[]) {
        if let Some(route) = load_route(&mut c, r, registry, target.as_ref()) {
            routes.push(route);
        }
    }
    if routes.is_empty() && !c.diags.has_errors() {
        c.diags.push(Diagnostic::error(
            span(file, root),
            "missing-key",
            "a mapping needs `record:` (with `target:`) or `routes:`",
        ));
    }
    let scripts = std::mem::take(&mut c.scripts);
    let diags = c.diags;
    f.finish("a mapping file", diags);
    let _ = source_node;
    Some(Mapping {
        name,
        doc,
        path: file.to_path_buf(),
        source,
        params,
        select,
        skips,
        rules,
        routes,
        csv,
        limits,
        scripts,
        lets,
        warnings: Diagnostics::default(),
        rules_from,
        layers: vec![file.to_path_buf()],
        data,
        templates,
    })
}

/// `limits: {operations: N, time_ms: N}`: the budget of one unit.
fn load_limits(file: &Path, n: &Node, diags: &mut Diagnostics) -> RunLimits {
    let mut limits = RunLimits::default();
    let Some(mut f) = Fields::new(file, n, "limits", &ff::LIMITS, diags) else {
        return limits;
    };
    for (key, slot) in [
        ("operations", &mut limits.operations),
        ("time_ms", &mut limits.time_ms),
    ] {
        if let Some(v) = f.take(key) {
            match v.value {
                yaml::Value::Int(i) if i > 0 => *slot = i as u64,
                _ => diags.push(Diagnostic::error(
                    span(file, v),
                    "unknown-value",
                    format!("limits.{key} must be a whole number above 0"),
                )),
            }
        }
    }
    f.finish("limits", diags);
    limits
}

fn schema(
    file: &Path,
    n: &Node,
    registry: &Registry,
    diags: &mut Diagnostics,
) -> Option<Arc<Schema>> {
    let name = n.scalar_text().unwrap_or_default();
    match registry.load_schema(&name) {
        Ok(s) => Some(Arc::new(s)),
        Err(inner) => {
            for d in inner.iter() {
                let mut d = d.clone();
                if d.span.file.as_os_str().is_empty() {
                    d.span = span(file, n);
                }
                diags.push(d);
            }
            None
        }
    }
}

fn load_input(c: &mut Compiler, n: &Node) -> CsvInput {
    let mut out = CsvInput::default();
    let Some(mut f) = Fields::new(c.file, n, "input", &ff::INPUT, c.diags) else {
        return out;
    };
    if let Some(csv) = f.take("csv") {
        if let Some(mut cf) = Fields::new(c.file, csv, "input.csv", &ff::CSV_INPUT, c.diags) {
            if let Some(d) = cf.take("delimiter") {
                match d.scalar_text().as_deref().map(str::as_bytes) {
                    Some([b]) => out.delimiter = *b,
                    _ => c.diags.push(Diagnostic::error(
                        span(c.file, d),
                        "wrong-shape",
                        "delimiter must be one ASCII character",
                    )),
                }
            }
            out.group_by = cf
                .take("group_by")
                .and_then(Node::as_seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(|n| c.expr(n))
                .collect();
            out.sorted = matches!(
                cf.take("sorted").map(|n| &n.value),
                Some(yaml::Value::Bool(true))
            );
            if let Some(u) = cf.take("unit") {
                out.unit = c.record(u);
            } else if !out.group_by.is_empty() {
                c.diags.push(Diagnostic::error(
                    span(c.file, csv),
                    "missing-key",
                    "input.csv has `group_by` but no `unit`: say how the rows of a group become one record",
                ));
            }
            cf.finish("input.csv", c.diags);
        }
    }
    f.finish("input", c.diags);
    out
}

/// Rules shared between mappings (`rules_from: ../shared/x.yaml`), so that
/// one vendor's validation is written once, not copied into each mapping.
fn included_rules(c: &mut Compiler, n: &Node, options: &LoadOptions) -> Vec<SourceRule> {
    let name = n.scalar_text().unwrap_or_default();
    // Beside the layer that names it (`extends:`), else the mapping.
    let from = yaml::file_of(c.file, n);
    let inc = from.parent().unwrap_or(Path::new(".")).join(&name);
    let text = confine::read(from, &name, confine::RULES_FILE_LIMIT, options)
        .map_err(|e| (e.code().unwrap_or("rules-from"), e.to_string()))
        .and_then(|b| {
            String::from_utf8(b).map_err(|_| ("rules-from", "it is not UTF-8 text".to_string()))
        });
    let node =
        match text.and_then(|t| yaml::parse(&inc, &t).map_err(|d| ("rules-from", d.to_string()))) {
            Ok(node) => node,
            Err((code, e)) => {
                c.diags.push(Diagnostic::error(
                    span(c.file, n),
                    code,
                    format!("cannot load rules from '{name}': {e}"),
                ));
                return Vec::new();
            }
        };
    let mut ic = Compiler {
        file: &inc,
        diags: &mut *c.diags,
        sandbox: c.sandbox.clone(),
        data: c.data,
        templates: &mut *c.templates,
        externals: c.externals.clone(),
        scripts: Vec::new(),
    };
    let found = match node.get("rules") {
        Some(r) => {
            crate::layers::duplicate_rule_ids(&inc, r, ic.diags);
            load_rules(&mut ic, r)
        }
        None => {
            ic.diags.push(Diagnostic::error(
                span(&inc, &node),
                "missing-key",
                "a rules file needs `rules:`",
            ));
            Vec::new()
        }
    };
    c.scripts.extend(ic.scripts);
    found
}

/// The mapping's own rules after those of `rules_from:`: one with the id of
/// an included rule replaces it, and `{id: X, remove: true}` removes it (an
/// overlay changing its base's shared rules, docs/mappings.md).
fn own_rules(
    diags: &mut Diagnostics,
    file: &Path,
    rules: &mut Vec<SourceRule>,
    own: Vec<SourceRule>,
    n: &Node,
) {
    let known: Vec<String> = rules.iter().chain(&own).map(|x| x.id.clone()).collect();
    for r in n.as_seq().unwrap_or(&[]) {
        if !crate::layers::is_removal(r) {
            continue;
        }
        let id = r.get("id").and_then(Node::scalar_text).unwrap_or_default();
        match rules.iter().position(|x| x.id == id) {
            Some(i) => {
                rules.remove(i);
            }
            None => diags.push(
                Diagnostic::error(
                    span(file, r),
                    "overlay-missing",
                    format!("rule '{id}' removes nothing: the base has no rule '{id}'"),
                )
                .with_near(&id, known.iter().map(String::as_str)),
            ),
        }
    }
    // Only an included rule is replaced (two own rules of one id are an
    // error, `duplicate-rule-id`).
    let included = rules.len();
    for rule in own {
        match rules[..included].iter().position(|x| x.id == rule.id) {
            Some(i) => rules[i] = rule,
            None => rules.push(rule),
        }
    }
}

/// A rule's `for_each`: an expression, or a literal YAML list
/// (`for_each: [description, reference]`), which is compiled as the same
/// list written as an expression, so both forms run alike.
pub(crate) fn for_each_list(c: &mut Compiler, n: &Node) -> Option<Expr> {
    match n.as_seq() {
        None => c.for_each(n),
        Some(items) => {
            let list = Value::Array(items.iter().map(Node::to_json).collect());
            let literal = Node {
                value: crate::yaml::Value::Str(format!("= {list}")),
                ..n.clone()
            };
            c.expr(&literal)
        }
    }
}

fn load_rules(c: &mut Compiler, n: &Node) -> Vec<SourceRule> {
    let mut out = Vec::new();
    for r in n.as_seq().unwrap_or(&[]) {
        if crate::layers::is_removal(r) {
            // Applied by `own_rules`; a removal has nothing to compile.
            continue;
        }
        let Some(mut f) = Fields::new(c.file, r, "a rule", &ff::MAPPING_RULE, c.diags) else {
            continue;
        };
        let id = f.take("id").and_then(Node::scalar_text);
        let for_each = f.take("for_each").and_then(|n| for_each_list(c, n));
        let when = f.take("when").and_then(|n| c.expr(n));
        let assert = match (f.take("assert"), f.take("script")) {
            (Some(n), None) => c.expr(n),
            (None, Some(n)) => c.script(n, &format!("rule {}", id.as_deref().unwrap_or("?"))),
            (Some(_), Some(_)) => {
                c.diags.push(Diagnostic::error(
                    span(c.file, r),
                    "ambiguous-rule",
                    "a rule has `assert:` or `script:`, not both",
                ));
                None
            }
            (None, None) => None,
        };
        let field_node = f.take("field");
        let field = field_node.and_then(Node::scalar_text);
        let field_template = field_node
            .filter(|_| field.as_deref().is_some_and(|t| t.contains("{{")))
            .and_then(|n| c.template(n, "field"));
        let message = f.take("message").and_then(|m| c.template(m, "message"));
        let severity = crate::yaml::severity(c.file, f.take("severity"), c.diags);
        let doc = f
            .take("doc")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        f.finish("a rule", c.diags);
        match (id, assert) {
            (Some(id), Some(assert)) => out.push(SourceRule {
                id,
                for_each,
                when,
                assert,
                field,
                field_template,
                message,
                severity,
                doc,
                span: span(c.file, r),
            }),
            (None, _) => c.diags.push(Diagnostic::error(
                span(c.file, r),
                "missing-key",
                "a rule needs `id:`",
            )),
            (_, None) if r.get("assert").is_none() && r.get("script").is_none() => {
                c.diags.push(Diagnostic::error(
                    span(c.file, r),
                    "missing-key",
                    "a rule needs `assert:` (or `script:`)",
                ))
            }
            _ => {}
        }
    }
    out
}

fn load_route(
    c: &mut Compiler,
    r: &Node,
    registry: &Registry,
    default_target: Option<&Arc<Schema>>,
) -> Option<Route> {
    let mut f = Fields::new(c.file, r, "a route", &ff::ROUTE, c.diags)?;
    let name = f
        .take("name")
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| format!("route at line {}", r.line));
    let when = f.take("when").and_then(|n| c.expr(n));
    let target = match f.take("target") {
        Some(t) => schema(c.file, t, registry, c.diags),
        None => default_target.cloned(),
    };
    let rules = f
        .take("rules")
        .map(|n| {
            crate::layers::duplicate_rule_ids(c.file, n, c.diags);
            load_rules(c, n)
        })
        .unwrap_or_default();
    let record_node = f.take("record");
    f.take("doc");
    f.finish("a route", c.diags);
    let Some(record_node) = record_node else {
        c.diags.push(Diagnostic::error(
            span(c.file, r),
            "missing-key",
            format!("route '{name}' needs `record:`"),
        ));
        return None;
    };
    let mut record = c.record(record_node);
    let target = match target {
        Some(t) => t,
        None => {
            c.diags.push(Diagnostic::error(
                span(c.file, r),
                "missing-key",
                format!("route '{name}' needs `target:`"),
            ));
            return None;
        }
    };
    check_fields(c.diags, &target, target.record_type(), &record);
    check_required(
        c.diags,
        &target,
        target.record_type(),
        record_node,
        span(c.file, record_node),
    );
    let target = with_number_plan(c.diags, &target, &mut record);
    Some(Route {
        name,
        when,
        target,
        rules,
        record,
    })
}

/// The route's target with the plan of the numbers its number formats
/// write (a copy of the schema, so that routes never share a plan).
fn with_number_plan(
    diags: &mut Diagnostics,
    target: &Arc<Schema>,
    fields: &mut [FieldSpec],
) -> Arc<Schema> {
    let mut plan = NumberPlan::default();
    plan_numbers(diags, target, target.record_type(), fields, &mut plan);
    if plan.is_empty() {
        return target.clone();
    }
    let mut copy = (**target).clone();
    copy.numbers = plan;
    Arc::new(copy)
}

/// Decide, by the target field's type, what each number format writes: text
/// with its places (a text field), or a number the writer gives its places
/// (a number field, recorded in `plan`). Any other type is an error.
fn plan_numbers(
    diags: &mut Diagnostics,
    schema: &Schema,
    ty: &Type,
    fields: &mut [FieldSpec],
    plan: &mut NumberPlan,
) {
    for spec in fields {
        let Some(target) = ty.field(&spec.name) else {
            continue;
        };
        if let Some(f) = &mut spec.number_format {
            let problem = match target.kind {
                Kind::Text | Kind::Code => {
                    f.as_text = true;
                    None
                }
                Kind::Integer if f.places > 0 => Some(format!(
                    "'{}' is a whole number: its format takes no places (format: \"0\")",
                    spec.name
                )),
                Kind::Integer | Kind::Decimal | Kind::Money
                    if target.scale.is_some_and(|s| f.places > s) =>
                {
                    Some(format!(
                        "'{}' takes at most {} places, and format \"{}\" writes {}",
                        spec.name,
                        target.scale.unwrap_or(0),
                        f.pattern(),
                        f.places
                    ))
                }
                Kind::Integer | Kind::Decimal | Kind::Money => {
                    plan.field(&spec.name).places = Some(f.places);
                    None
                }
                other => Some(format!(
                    "'{}' is a {} field: a number format applies to number and text fields",
                    spec.name,
                    format!("{other:?}").to_lowercase()
                )),
            };
            if let Some(message) = problem {
                diags.push(Diagnostic::error(
                    spec.span.clone(),
                    "bad-number-format",
                    message,
                ));
            }
        }
        // A date pattern writes text: on a number, every record fails.
        if let (Some(p), true) = (&spec.format, target.kind.is_number()) {
            diags.push(Diagnostic::error(
                spec.span.clone(),
                "bad-date-format",
                format!(
                    "'{}' is a number field, and format {} writes a date: use a number format such as \"0.00\"",
                    spec.name,
                    p.as_str()
                ),
            ));
        }
        let inner = target.of.as_deref().and_then(|t| schema.type_named(t));
        let mut sub = NumberPlan::default();
        match (&mut spec.source, inner) {
            (Source::Object(fields), Some(t)) => plan_numbers(diags, schema, t, fields, &mut sub),
            (Source::List { records, .. }, Some(t)) => {
                let each = sub.item();
                for (_, fields) in records {
                    plan_numbers(diags, schema, t, fields, each);
                }
            }
            _ => {}
        }
        if sub.items.as_ref().is_some_and(|i| i.is_empty()) {
            sub.items = None;
        }
        if !sub.is_empty() {
            let mine = plan.field(&spec.name);
            mine.fields.extend(sub.fields);
            mine.items = sub.items;
        }
    }
}

/// Every required field of the record's type must be written in `record`
/// (the YAML, so a field whose spec failed to compile, already reported,
/// is not also reported as unmapped).
fn check_required(diags: &mut Diagnostics, schema: &Schema, ty: &Type, record: &Node, at: Span) {
    let written: Vec<String> = record
        .as_map()
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, _)| k.scalar_text())
        .collect();
    for f in ty.fields.iter().filter(|f| f.required) {
        if !written.contains(&f.name) {
            diags.push(unmapped(schema, ty, f, at.clone()));
        }
    }
}

fn unmapped(schema: &Schema, ty: &Type, f: &crate::schema::Field, at: Span) -> Diagnostic {
    Diagnostic::error(
        at,
        "unmapped-required",
        format!(
            "{} requires '{}' in {}, and this record does not map it",
            schema.name, f.name, ty.name
        ),
    )
}

/// Every mapped field must exist in the target type, and every required
/// field of a nested record must be mapped (the top record's are checked
/// against what is written, by [`check_required`]).
fn check_fields(diags: &mut Diagnostics, schema: &Schema, ty: &Type, fields: &[FieldSpec]) {
    for spec in fields {
        let Some(target) = ty.field(&spec.name) else {
            diags.push(
                Diagnostic::error(
                    spec.span.clone(),
                    "unknown-field",
                    format!(
                        "{} has no field '{}' in {}",
                        schema.name, spec.name, ty.name
                    ),
                )
                .with_near(&spec.name, ty.fields.iter().map(|f| f.name.as_str())),
            );
            continue;
        };
        let inner = target.of.as_deref().and_then(|t| schema.type_named(t));
        let nested = |t: &Type, sub: &[FieldSpec], diags: &mut Diagnostics| {
            check_fields(diags, schema, t, sub);
            for f in t.fields.iter().filter(|f| f.required) {
                if !sub.iter().any(|s| s.name == f.name) {
                    diags.push(unmapped(schema, t, f, spec.span.clone()));
                }
            }
        };
        match (&spec.source, inner) {
            (Source::Object(sub), Some(t)) if target.kind == Kind::Object => nested(t, sub, diags),
            (Source::List { records, .. }, Some(t)) => {
                for (_, sub) in records {
                    nested(t, sub, diags);
                }
            }
            _ => {}
        }
    }
}

impl Mapping {
    /// Every field spec of every route, with its target path, for `explain` and `doc`.
    pub(crate) fn field_specs(&self) -> Vec<(String, &FieldSpec)> {
        fn walk<'a>(prefix: &str, fields: &'a [FieldSpec], out: &mut Vec<(String, &'a FieldSpec)>) {
            for f in fields {
                let p = format!("{prefix}/{}", f.name);
                out.push((p.clone(), f));
                match &f.source {
                    Source::Object(sub) => walk(&p, sub, out),
                    Source::List { records, .. } => {
                        for (_, sub) in records {
                            walk(&format!("{p}/*"), sub, out);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for r in &self.routes {
            walk(
                if self.routes.len() > 1 { &r.name } else { "" },
                &r.record,
                &mut out,
            );
        }
        out
    }
}
