//! Sign-off: the effective mapping (every layer merged) as a specification
//! a customer reads, prints and signs. Each target field has the vendor's
//! description, where its value comes from in plain words, its conditions,
//! what the target requires of it and the layer it comes from; then the
//! rules with their messages, the params with the values used, and the
//! lookups and decision tables with their rows.
//!
//! The document is gathered once as data ([`Spec`]) and then written as
//! Markdown (`markdown.rs`) or as one self-contained HTML page (`html.rs`),
//! so the two forms cannot say different things.

mod html;
mod markdown;
mod secrets;
mod words;

use crate::value::Value;

use crate::build::{FieldSpec, Source};
use crate::doc::{describe_field, layer_name, target_field};
use crate::mapping::{Mapping, Route};
use crate::params::Params;
use crate::rules::SourceRule;
use crate::schema::{Check, Schema};

/// How many rows of a lookup or table are shown in full; a larger one
/// shows [`SAMPLE`] rows and its count.
const ALL_ROWS_UP_TO: usize = 25;
/// The rows shown of a large lookup or table.
const SAMPLE: usize = 10;

/// The form of a sign-off document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocFormat {
    /// Markdown, for a repository or a wiki.
    Markdown,
    /// One self-contained HTML page (no script, no file or network fetch),
    /// laid out to print.
    Html,
}

/// The sign-off document of `m` with the param values `given`, in `format`.
pub(crate) fn document(
    m: &Mapping,
    given: &Params,
    format: DocFormat,
) -> Result<String, crate::Error> {
    let mut spec = Spec::of(m, given)?;
    // An expression, a message or a lookup row may quote a secret; hidden
    // in the text itself, before HTML escaping could split one.
    let hide = secrets::of(m, given);
    if !hide.is_empty() {
        spec.each_text(&mut |t| {
            if let std::borrow::Cow::Owned(shown) = hide.redact(t) {
                *t = shown;
            }
        });
    }
    Ok(match format {
        DocFormat::Markdown => markdown::write(&spec),
        DocFormat::Html => html::write(&spec),
    })
}

/// The document as data.
pub(crate) struct Spec {
    title: String,
    about: String,
    file: String,
    source: Option<Party>,
    layers: Vec<String>,
    /// How a route is chosen, for a mapping with several.
    routing: Option<String>,
    params: Vec<ParamRow>,
    skips: Vec<String>,
    lets: Vec<(String, String)>,
    rules: Vec<RuleRow>,
    routes: Vec<RouteDoc>,
    lookups: Vec<LookupDoc>,
    tables: Vec<TableDoc>,
}

/// A schema the mapping reads or writes.
struct Party {
    name: String,
    about: String,
}

struct ParamRow {
    name: String,
    kind: String,
    default: Option<String>,
    used: String,
    about: String,
}

struct RuleRow {
    id: String,
    applies: String,
    when: Option<String>,
    check: String,
    message: Option<String>,
    about: String,
    severity: String,
    at: String,
}

struct RouteDoc {
    heading: String,
    target: Party,
    rules: Vec<RuleRow>,
    fields: Vec<FieldRow>,
    target_rules: Vec<RuleRow>,
}

struct FieldRow {
    path: String,
    depth: usize,
    vendor: String,
    note: String,
    value: String,
    conditions: Vec<String>,
    requires: String,
    on_failure: Option<String>,
    layer: String,
    /// Given by a layer above the base (a customer's change).
    overlay: bool,
    at: String,
}

struct LookupDoc {
    name: String,
    file: String,
    at: String,
    key: String,
    /// The key column, then the columns each entry gives, as code.
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    total: usize,
    default: Option<String>,
}

struct TableDoc {
    name: String,
    file: String,
    hit: &'static str,
    /// `line`, the inputs, then the outputs.
    header: Vec<String>,
    /// Each row shown: its line, its cells, its outputs.
    rows: Vec<Vec<String>>,
    total: usize,
}

impl Spec {
    fn of(m: &Mapping, given: &Params) -> Result<Spec, crate::Error> {
        let at = |span: &crate::diag::Span| format!("{}:{}", layer_name(m, &span.file), span.line);
        let messages = |name: &Option<String>| name.as_ref().and_then(|n| m.templates.source(n));
        let rule_row = |r: &SourceRule| RuleRow {
            id: r.id.clone(),
            applies: match &r.for_each {
                Some(e) => format!("each item of `{}`", e.source()),
                None => "the record".to_string(),
            },
            when: r.when.as_ref().map(|w| w.source().to_string()),
            check: format!("`{}`", r.assert.source()),
            message: messages(&r.message),
            about: r.doc.clone(),
            severity: r.severity.to_string(),
            at: at(&r.span),
        };
        Ok(Spec {
            title: m.name.clone(),
            about: m.doc.trim().to_string(),
            file: layer_name(m, &m.path),
            source: m.source.as_deref().map(party),
            layers: match m.layers.len() {
                0 | 1 => Vec::new(),
                _ => m.layers.iter().map(|l| layer_name(m, l)).collect(),
            },
            routing: (m.routes.len() > 1).then(|| {
                "Routes are tried in the order below: the first whose condition holds builds the record, \
                 and a record no route takes is skipped, its reason naming the routes tried."
                    .to_string()
            }),
            params: param_rows(m, given)?,
            skips: m.skips.iter().map(|s| words::skip(m, s)).collect(),
            lets: m
                .lets
                .iter()
                .map(|(n, e)| (n.clone(), e.source().to_string()))
                .collect(),
            rules: m.rules.iter().map(rule_row).collect(),
            routes: m
                .routes
                .iter()
                .map(|r| RouteDoc {
                    heading: route_heading(m, r),
                    target: party(&r.target),
                    rules: r.rules.iter().map(rule_row).collect(),
                    fields: field_rows(m, r),
                    target_rules: target_rules(m, &r.target),
                })
                .collect(),
            lookups: lookups(m),
            tables: tables(m),
        })
    }
}

impl Spec {
    /// Every text of the document, for `f` to change.
    fn each_text(&mut self, f: &mut dyn FnMut(&mut String)) {
        let mut all: Vec<&mut String> = vec![&mut self.title, &mut self.about, &mut self.file];
        if let Some(s) = &mut self.source {
            all.extend([&mut s.name, &mut s.about]);
        }
        all.extend(self.layers.iter_mut().chain(self.routing.as_mut()));
        for p in &mut self.params {
            all.extend([&mut p.name, &mut p.kind, &mut p.used, &mut p.about]);
            all.extend(p.default.as_mut());
        }
        all.extend(self.skips.iter_mut());
        for (n, e) in &mut self.lets {
            all.extend([n, e]);
        }
        let mut rules: Vec<&mut RuleRow> = self.rules.iter_mut().collect();
        for route in &mut self.routes {
            all.extend([
                &mut route.heading,
                &mut route.target.name,
                &mut route.target.about,
            ]);
            rules.extend(route.rules.iter_mut().chain(route.target_rules.iter_mut()));
            for r in &mut route.fields {
                all.extend([&mut r.path, &mut r.vendor, &mut r.note, &mut r.value]);
                all.extend([&mut r.requires, &mut r.layer, &mut r.at]);
                all.extend(r.conditions.iter_mut());
                all.extend(r.on_failure.as_mut());
            }
        }
        for r in rules {
            all.extend([
                &mut r.id,
                &mut r.applies,
                &mut r.check,
                &mut r.about,
                &mut r.at,
            ]);
            all.extend(r.when.as_mut().into_iter().chain(r.message.as_mut()));
        }
        for l in &mut self.lookups {
            all.extend([&mut l.name, &mut l.file, &mut l.at, &mut l.key]);
            all.extend(l.header.iter_mut().chain(l.rows.iter_mut().flatten()));
            all.extend(l.default.as_mut());
        }
        for t in &mut self.tables {
            all.extend([&mut t.name, &mut t.file]);
            all.extend(t.header.iter_mut().chain(t.rows.iter_mut().flatten()));
        }
        for t in all {
            f(t);
        }
    }
}

fn party(s: &Schema) -> Party {
    Party {
        name: s.name.clone(),
        about: s.doc.trim().to_string(),
    }
}

fn route_heading(m: &Mapping, r: &Route) -> String {
    match (m.routes.len(), &r.when) {
        (1, _) => format!("Fields of {}", r.target.name),
        (_, Some(w)) => format!("Route {}, when `{}`: {}", r.name, w.source(), r.target.name),
        (_, None) => format!("Route {}: {}", r.name, r.target.name),
    }
}

/// Each declared param with the value a run with `given` would use; a
/// secret's value is never written, not even its default.
fn param_rows(m: &Mapping, given: &Params) -> Result<Vec<ParamRow>, crate::Error> {
    let used = given.values_used(&m.params).map_err(crate::Error::Params)?;
    Ok(m.params
        .iter()
        .zip(used)
        .map(|(p, v)| ParamRow {
            name: p.name.clone(),
            // As the document shows it: `text, required`, `text, secret`.
            kind: [
                Some(p.kind.as_str()),
                p.required.then_some("required"),
                p.secret.then_some("secret"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
            default: p.default.as_ref().map(|d| match p.secret {
                true => crate::redact::SHOWN.to_string(),
                false => words::value(d),
            }),
            used: match (v, p.secret) {
                (None, _) => "not given".to_string(),
                (Some(_), true) => crate::redact::SHOWN.to_string(),
                (Some(v), false) => words::value(&v),
            },
            about: p.doc.clone(),
        })
        .collect())
}

/// Every target field of a route, parents before children, each nested
/// list entry's fields under their list with the entry's condition.
fn field_rows(m: &Mapping, r: &Route) -> Vec<FieldRow> {
    let mut out = Vec::new();
    walk(m, &r.target, "", 0, &r.record, &[], &mut out);
    out
}

fn walk(
    m: &Mapping,
    target: &Schema,
    prefix: &str,
    depth: usize,
    specs: &[FieldSpec],
    conditions: &[String],
    out: &mut Vec<FieldRow>,
) {
    for spec in specs {
        let path = format!("{prefix}/{}", spec.name);
        let field = target_field(target, &path);
        let mut own = conditions.to_vec();
        if let Some(w) = &spec.when {
            own.push(format!("only when `{}`", w.source()));
        }
        out.push(FieldRow {
            path: path.clone(),
            depth,
            vendor: field.map(|f| f.doc.trim().to_string()).unwrap_or_default(),
            note: spec.doc.clone(),
            value: words::source(m, spec),
            conditions: own.clone(),
            requires: field
                .map(describe_field)
                .unwrap_or_else(|| "not in the target schema".to_string()),
            on_failure: words::on_failure(m, spec),
            layer: layer_name(m, &spec.span.file),
            overlay: m.layers.len() > 1
                && (m.layers.first() != Some(&spec.span.file)
                    || words::lookup_layer(m, spec)
                        .is_some_and(|f| m.layers.first().map(|b| b.as_path()) != Some(f))),
            at: format!("{}:{}", layer_name(m, &spec.span.file), spec.span.line),
        });
        match &spec.source {
            Source::Object(children) => walk(m, target, &path, depth + 1, children, &own, out),
            Source::List { records, .. } => {
                for (when, children) in records {
                    let mut entry = own.clone();
                    if let Some(w) = when {
                        entry.push(format!("in the entry written when `{}`", w.source()));
                    }
                    walk(
                        m,
                        target,
                        &format!("{path}/*"),
                        depth + 1,
                        children,
                        &entry,
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}

/// The target schema's own rules, type by type: the cross-field checks
/// every record must pass whatever the mapping does.
fn target_rules(m: &Mapping, s: &Schema) -> Vec<RuleRow> {
    let mut out = Vec::new();
    for ty in &s.types {
        for r in &ty.rules {
            let check = match &r.check {
                Check::Require(v) => format!("requires {}", names(v)),
                Check::RequireAny(v) => format!("requires one of {}", names(v)),
                Check::Forbid(v) => format!("forbids {}", names(v)),
                Check::Assert(e) => format!("`{}`", e.source()),
                Check::Nothing => match &r.check_only {
                    Some(only) => format!("checks only {}", names(only)),
                    None => "nothing".to_string(),
                },
            };
            out.push(RuleRow {
                id: r.id.clone(),
                applies: format!("each `{}`", ty.name),
                when: r.when.as_ref().map(|w| w.source().to_string()),
                check,
                message: r.message.as_ref().and_then(|n| s.messages.source(n)),
                about: r.doc.trim().to_string(),
                severity: r.severity.to_string(),
                at: format!("{}:{}", layer_name(m, &r.span.file), r.span.line),
            });
        }
    }
    out
}

/// Field names as code: `Job_Number`, `Warehouse_Code`.
fn names(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn lookups(m: &Mapping) -> Vec<LookupDoc> {
    m.data
        .lookups
        .iter()
        .map(|l| {
            let entries = l.sorted_entries();
            let columns = l
                .columns()
                .unwrap_or_else(|| vec![l.value_column.clone().unwrap_or_else(|| "value".into())]);
            let shown = shown_rows(entries.len());
            LookupDoc {
                name: l.name.clone(),
                at: format!("{}:{}", layer_name(m, &l.span.file), l.span.line),
                file: match &l.path {
                    Some(p) => layer_name(m, p),
                    None => l.source.clone(),
                },
                key: l.key.clone().unwrap_or_else(|| "key".to_string()),
                rows: entries[..shown]
                    .iter()
                    .map(|(k, v)| {
                        let mut row = vec![k.to_string()];
                        match v {
                            Value::Object(cols) => row.extend(
                                columns
                                    .iter()
                                    .map(|c| cols.get(c).map(words::cell).unwrap_or_default()),
                            ),
                            v => row.push(words::cell(v)),
                        }
                        row
                    })
                    .collect(),
                header: std::iter::once(l.key.as_deref().unwrap_or("key"))
                    .chain(columns.iter().map(String::as_str))
                    .map(|c| format!("`{c}`"))
                    .collect(),
                total: entries.len(),
                default: l.default.as_ref().map(words::value),
            }
        })
        .collect()
}

fn tables(m: &Mapping) -> Vec<TableDoc> {
    m.data
        .tables
        .iter()
        .map(|t| {
            let shown = shown_rows(t.rows.len());
            TableDoc {
                name: t.name.clone(),
                file: layer_name(m, &t.file),
                hit: match t.hit {
                    crate::table::Hit::First => "the first row that matches",
                    crate::table::Hit::Unique => {
                        "the one row that matches (two matching is an error)"
                    }
                },
                header: std::iter::once("line".to_string())
                    .chain(t.inputs.iter().map(|(n, _)| format!("`{n}`")))
                    .chain(t.outputs.iter().map(|o| format!("→ `{o}`")))
                    .collect(),
                rows: t.rows[..shown]
                    .iter()
                    .map(|row| {
                        let mut cells = vec![row.line.to_string()];
                        cells.extend(row.cell_texts());
                        cells.extend(
                            t.outputs
                                .iter()
                                .map(|o| row.outputs.get(o).map(words::cell).unwrap_or_default()),
                        );
                        cells
                    })
                    .collect(),
                total: t.rows.len(),
            }
        })
        .collect()
}

fn shown_rows(total: usize) -> usize {
    match total <= ALL_ROWS_UP_TO {
        true => total,
        false => SAMPLE,
    }
}

/// What a document says under a large lookup or table.
fn rows_note(shown: usize, total: usize) -> Option<String> {
    (shown < total).then(|| format!("{shown} of its {total} rows are shown"))
}
