//! Doc: schemas (and later mappings) as text a person reads beside the
//! vendor's documentation.

use std::fmt::Write;

use crate::schema::{Check, Field, Schema};

pub(crate) fn describe_field(f: &Field) -> String {
    let mut parts = vec![f.kind.name().to_string()];
    if f.required {
        parts.push("required".into());
    }
    if let Some(m) = f.max_length {
        parts.push(format!("max {m}"));
    }
    if let Some(m) = f.min {
        parts.push(format!(">= {m}"));
    }
    if let Some(m) = f.max {
        parts.push(format!("<= {m}"));
    }
    if let Some(d) = f.digits {
        parts.push(format!("{d} digits"));
    }
    if let Some(s) = f.scale {
        parts.push(format!("{s} places"));
    }
    if let Some(p) = &f.format {
        parts.push(p.as_str().to_string());
    }
    if let Some(of) = &f.of {
        parts.push(format!("of {of}"));
    }
    if let Some(m) = f.min_items {
        parts.push(format!("at least {m} items"));
    }
    if let Some(m) = f.max_items {
        parts.push(format!("at most {m} items"));
    }
    if !f.codes.is_empty() {
        parts.push(
            f.codes
                .iter()
                .map(|(c, m)| format!("{c}={m}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    if f.reserved {
        parts.push("reserved (ignored)".into());
    }
    if f.secret {
        parts.push("secret".into());
    }
    parts.join(", ")
}

/// The schema as a field table, then its rules and tables.
pub fn schema_text(schema: &Schema) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}, {})",
        schema.name, schema.system, schema.format
    );
    if !schema.doc.is_empty() {
        let _ = writeln!(out, "{}", schema.doc.trim());
    }
    if let Some(env) = &schema.envelope {
        let _ = writeln!(
            out,
            "envelope: {{\"{}\": [records]}}{}",
            env.key,
            env.max_records
                .map(|m| format!(", at most {m} per payload"))
                .unwrap_or_default()
        );
    }
    for ty in &schema.types {
        let _ = writeln!(
            out,
            "\ntype {}{}",
            ty.name,
            if ty.name == schema.record {
                " (record)"
            } else {
                ""
            }
        );
        let width = ty.fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
        for f in &ty.fields {
            let doc = f.doc.split('\n').next().unwrap_or("");
            let _ = writeln!(
                out,
                "  {:width$}  {}{}",
                f.name,
                describe_field(f),
                if doc.is_empty() {
                    String::new()
                } else {
                    format!(" -- {doc}")
                }
            );
        }
        for r in &ty.rules {
            let what = match &r.check {
                Check::Require(v) => format!("require {}", v.join(", ")),
                Check::RequireAny(v) => format!("require one of {}", v.join(", ")),
                Check::Forbid(v) => format!("forbid {}", v.join(", ")),
                Check::Assert(e) => format!("assert {}", e.source()),
                Check::Nothing => String::new(),
            };
            let when = r
                .when
                .as_ref()
                .map(|w| format!("when {}: ", w.source()))
                .unwrap_or_default();
            let only = r
                .check_only
                .as_ref()
                .map(|o| format!(" check only {}", o.join(", ")))
                .unwrap_or_default();
            let _ = writeln!(out, "  rule {} ({}): {when}{what}{only}", r.id, r.severity);
        }
    }
    for t in &schema.tables {
        let _ = writeln!(
            out,
            "\ntable {} ({} rows, inputs {}, outputs {})",
            t.name,
            t.rows.len(),
            t.inputs
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            t.outputs.join(", ")
        );
    }
    out
}

/// The target field a mapping path (`/poDetails/*/Item_ID`) lands on.
pub(crate) fn target_field<'s>(schema: &'s Schema, path: &str) -> Option<&'s crate::schema::Field> {
    let mut ty = schema.record_type();
    let mut field = None;
    for seg in path.split('/').filter(|s| !s.is_empty() && *s != "*") {
        if field.is_some() {
            let f: &crate::schema::Field = field?;
            ty = schema.type_named(f.of.as_deref()?)?;
        }
        field = Some(ty.field(seg)?);
    }
    field
}

/// `file` as the mapping's own folder sees it (`../../order.yaml`).
pub(crate) fn layer_name(m: &crate::Mapping, file: &std::path::Path) -> String {
    // One side absolute (a schema found through the registry) and the
    // other relative (the mapping as named): both from the working folder.
    let absolute = |p: &std::path::Path| match p.is_absolute() {
        true => p.to_path_buf(),
        false => std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_default(),
    };
    let (dir, file) = match m.path.is_absolute() == file.is_absolute() {
        true => (
            m.path
                .parent()
                .unwrap_or(std::path::Path::new(""))
                .to_path_buf(),
            file.to_path_buf(),
        ),
        false => (
            crate::layers::normal(&absolute(
                m.path.parent().unwrap_or(std::path::Path::new("")),
            )),
            crate::layers::normal(&absolute(file)),
        ),
    };
    let (a, b): (Vec<_>, Vec<_>) = (dir.components().collect(), file.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = std::path::PathBuf::new();
    for _ in common..a.len() {
        rel.push("..");
    }
    for c in &b[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

/// The target fields `filter` names (a path such as `/poDetails/*/Item_Price`,
/// or a prefix of one); `Err` holds the nearest field path when none matches.
pub(crate) fn explain_fields(
    m: &crate::Mapping,
    filter: &str,
) -> Result<Vec<String>, Option<String>> {
    let paths: Vec<String> = m.field_specs().into_iter().map(|(p, _)| p).collect();
    let wanted = filter.trim_end_matches('/');
    let found: Vec<String> = paths
        .iter()
        .filter(|p| p.starts_with(wanted))
        .cloned()
        .collect();
    if found.is_empty() {
        return Err(
            crate::diag::suggest(wanted, paths.iter().map(String::as_str)).map(str::to_string),
        );
    }
    Ok(found)
}

/// Where the fields matching `filter` (a path, `*` for any list index; a
/// prefix matches the fields below it) come from.
pub fn explain_text(
    m: &crate::Mapping,
    filter: Option<&str>,
    built: Option<&crate::value::Value>,
) -> String {
    let mut out = String::new();
    for (path, spec) in m.field_specs() {
        if filter.is_some_and(|f| !path.starts_with(f.trim_end_matches('/'))) {
            continue;
        }
        let _ = writeln!(
            out,
            "{path}\n  from: {}\n  at:   {}:{}:{}",
            spec.text,
            spec.span.file.display(),
            spec.span.line,
            spec.span.column
        );
        if let Some(route) = m.routes.first() {
            if let Some(f) = target_field(&route.target, &path) {
                let _ = writeln!(out, "  target: {}", describe_field(f));
            }
        }
        let secret = m
            .routes
            .first()
            .and_then(|r| target_field(&r.target, &path))
            .is_some_and(|f| f.secret);
        if let Some(record) = built {
            let values = values_at(record, &path);
            if secret && !values.is_empty() {
                let _ = writeln!(out, "  value: (secret, not shown)");
                continue;
            }
            if !values.is_empty() {
                let shown: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                let _ = writeln!(out, "  value: {}", shown.join(", "));
            }
        }
    }
    if out.is_empty() {
        out.push_str("no field of this mapping matches\n");
    }
    out
}

fn values_at<'v>(v: &'v crate::value::Value, path: &str) -> Vec<&'v crate::value::Value> {
    let mut current = vec![v];
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        current = current
            .into_iter()
            .flat_map(|c| match (seg, c) {
                ("*", crate::value::Value::Array(items)) => items.iter().collect::<Vec<_>>(),
                (key, crate::value::Value::Object(m)) => m.get(key).into_iter().collect(),
                _ => Vec::new(),
            })
            .collect();
    }
    current
}

/// The payload a schema describes, as a JSON Schema (draft 2020-12), for
/// tools that speak it: each type a `$defs` entry, each field a property
/// with its type, length, range, codes and required-ness. Cross-field rules
/// have no JSON Schema form; they are listed in each type's description.
pub fn json_schema(schema: &Schema) -> crate::value::Value {
    use crate::json;
    use crate::value::{Map, Value};
    let mut defs = Map::new();
    for ty in &schema.types {
        let mut props = Map::new();
        let mut required = Vec::new();
        for f in &ty.fields {
            let mut p = Map::new();
            let kind = |t: &str| Value::String(t.to_string());
            match f.kind {
                crate::schema::Kind::Integer => {
                    p.insert("type".into(), json!(["integer", "string"]));
                }
                crate::schema::Kind::Decimal | crate::schema::Kind::Money => {
                    p.insert("type".into(), json!(["number", "string"]));
                }
                crate::schema::Kind::Bool => {
                    p.insert("type".into(), json!(["boolean", "string"]));
                }
                crate::schema::Kind::List => {
                    p.insert("type".into(), kind("array"));
                    if let Some(of) = &f.of {
                        p.insert("items".into(), json!({"$ref": format!("#/$defs/{of}")}));
                    }
                    if let Some(n) = f.max_items {
                        p.insert("maxItems".into(), json!(n));
                    }
                    if let Some(n) = f.min_items {
                        p.insert("minItems".into(), json!(n));
                    }
                }
                crate::schema::Kind::Object => {
                    if let Some(of) = &f.of {
                        p.insert("$ref".into(), json!(format!("#/$defs/{of}")));
                    }
                }
                crate::schema::Kind::Code => {
                    let mut codes: Vec<Value> = f.codes.iter().map(|(c, _)| json!(c)).collect();
                    if !f.required {
                        codes.push(json!(""));
                    }
                    p.insert("enum".into(), Value::Array(codes));
                }
                _ => {
                    p.insert("type".into(), kind("string"));
                }
            }
            if let Some(n) = f.max_length {
                if !matches!(
                    f.kind,
                    crate::schema::Kind::List | crate::schema::Kind::Object
                ) {
                    p.insert("maxLength".into(), json!(n));
                }
            }
            if let Some(n) = f.min {
                p.insert("minimum".into(), json!(n));
            }
            if let Some(n) = f.max {
                p.insert("maximum".into(), json!(n));
            }
            let mut description = f.doc.trim().to_string();
            if let Some(fmt) = &f.format {
                description = format!("{description} (format {})", fmt.as_str())
                    .trim()
                    .to_string();
            }
            if f.secret {
                p.insert("writeOnly".into(), json!(true));
            }
            if !description.is_empty() {
                p.insert("description".into(), json!(description));
            }
            if f.required {
                required.push(json!(f.name));
            }
            props.insert(f.name.clone(), Value::Object(p));
        }
        let rules: Vec<String> = ty
            .rules
            .iter()
            .map(|r| format!("{}: {}", r.id, r.doc.trim()))
            .collect();
        let mut def = json!({"type": "object", "properties": props, "required": required});
        if ty.additional == crate::schema::Additional::Error {
            def["additionalProperties"] = json!(false);
        }
        let text = [
            ty.doc.trim().to_string(),
            if rules.is_empty() {
                String::new()
            } else {
                format!("Rules: {}", rules.join("; "))
            },
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
        if !text.is_empty() {
            def["description"] = json!(text);
        }
        defs.insert(ty.name.clone(), def);
    }
    let record = json!({"$ref": format!("#/$defs/{}", schema.record)});
    let body = match &schema.envelope {
        Some(env) => {
            json!({"type": "object", "properties": {env.key.clone(): {"type": "array", "items": record}}, "required": [env.key]})
        }
        None => record,
    };
    let mut out = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": schema.name,
        "description": schema.doc.trim(),
        "$defs": defs,
    });
    if let (Value::Object(o), Value::Object(b)) = (&mut out, body) {
        o.extend(b);
    }
    out
}

/// What `explain` shows: where each field comes from and, given a record,
/// what it gets.
#[derive(Clone, Debug, Default)]
pub struct Explanation {
    /// Why the record built nothing, a line each (`rejected: RULE at PATH:
    /// MESSAGE`, or `skipped: REASON`); empty when it was accepted.
    pub outcome: String,
    /// Field by field, with the params' secrets and the values at secret
    /// fields hidden.
    pub text: String,
    /// The record was rejected.
    pub rejected: bool,
}

impl crate::Mapping {
    /// The mapping as a field-by-field specification in Markdown, with
    /// each param's default (`mapwright doc`).
    pub fn doc_text(&self) -> String {
        crate::signoff::document(self, &crate::Params::default(), crate::DocFormat::Markdown)
            .unwrap_or_else(|e| e.to_string())
    }

    /// The sign-off document (`mapwright doc --format`): the effective
    /// mapping as a specification a customer reads and prints, with the
    /// param values `params` would give a run. Unknown or badly typed
    /// params are [`Error::Params`](crate::Error::Params); a required one
    /// not given is shown as not given.
    pub fn sign_off(
        &self,
        params: &crate::Params,
        format: crate::DocFormat,
    ) -> Result<String, crate::Error> {
        crate::signoff::document(self, params, format)
    }

    /// The target fields `filter` names (a path such as
    /// `/poDetails/*/Item_Price`, or a prefix of one); `Err` holds the
    /// nearest field path when none matches.
    /// [`Error::UnknownField`](crate::Error::UnknownField) (with the
    /// nearest field path) when none matches.
    pub fn explain_fields(&self, filter: &str) -> Result<Vec<String>, crate::Error> {
        explain_fields(self, filter).map_err(|near| crate::Error::UnknownField {
            field: filter.to_string(),
            near,
        })
    }

    /// Where the fields matching `filter` come from (`mapwright explain`)
    /// and, given a source record and its params, what each gets.
    pub fn explain(
        &self,
        filter: Option<&str>,
        record: Option<(&crate::value::Value, &crate::Params)>,
    ) -> Result<Explanation, crate::Error> {
        // Secrets hidden in the explanation: the params', and the values at
        // the secret fields of the record and of what it built.
        let mut redactor = crate::redact::Redactor::default();
        let mut shown = Explanation::default();
        let mut built = None;
        if let Some((record, params)) = record {
            let prepared = self.prepare(params)?;
            redactor = prepared.redactor().clone();
            match prepared.transform(record) {
                crate::Outcome::Accepted {
                    route,
                    record: accepted,
                    ..
                } => {
                    let target = self.route(&route).map(|r| &*r.target);
                    redactor = prepared.redactor_for(record, target.map(|t| (t, &accepted)));
                    built = Some(accepted);
                }
                crate::Outcome::Rejected(errors) => {
                    shown.rejected = true;
                    for e in errors {
                        let _ = writeln!(
                            shown.outcome,
                            "rejected: {} at {}: {}",
                            e.rule, e.path, e.message
                        );
                    }
                }
                crate::Outcome::Skipped(reason) => {
                    let _ = writeln!(shown.outcome, "skipped: {reason}");
                }
            }
        }
        // An expression may quote a secret param's default.
        redactor.add_secret_defaults(self);
        let text = explain_text(self, filter, built.as_ref());
        shown.text = redactor.redact(&text).into_owned();
        shown.outcome = redactor.redact(&shown.outcome).into_owned();
        Ok(shown)
    }
}

impl Schema {
    /// The schema's field table, rules and decision tables (`mapwright schema show`).
    pub fn doc_text(&self) -> String {
        schema_text(self)
    }

    /// The payload the schema describes, as a JSON Schema (draft 2020-12).
    pub fn json_schema(&self) -> crate::value::Value {
        json_schema(self)
    }
}
