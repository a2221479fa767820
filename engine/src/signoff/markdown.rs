//! The sign-off document as Markdown (GitHub's tables).

use std::fmt::Write;

use super::{rows_note, FieldRow, LookupDoc, RuleRow, Spec, TableDoc};

pub(super) fn write(spec: &Spec) -> String {
    let mut out = String::new();
    head(spec, &mut out);
    params(spec, &mut out);
    before_build(spec, &mut out);
    for route in &spec.routes {
        let _ = writeln!(out, "## {}\n", route.heading);
        if !route.target.about.is_empty() {
            let _ = writeln!(out, "{}\n", one_line(&route.target.about));
        }
        rules(&route.rules, "Rules of this route", &mut out);
        fields(&route.fields, &mut out);
        rules(
            &route.target_rules,
            &format!("Rules of {} on every record", route.target.name),
            &mut out,
        );
    }
    for l in &spec.lookups {
        lookup(l, &mut out);
    }
    for t in &spec.tables {
        table(t, &mut out);
    }
    sign_off(&mut out);
    out
}

fn head(spec: &Spec, out: &mut String) {
    let _ = writeln!(out, "# {}\n", spec.title);
    if !spec.about.is_empty() {
        let _ = writeln!(out, "{}\n", one_line(&spec.about));
    }
    let source = spec
        .source
        .as_ref()
        .map(|s| s.name.as_str())
        .unwrap_or("any JSON record");
    let targets: Vec<&str> = spec.routes.iter().map(|r| r.target.name.as_str()).collect();
    let _ = writeln!(
        out,
        "Source: {source}. Target: {}. Mapping: `{}`.\n",
        targets.join(", "),
        spec.file
    );
    if !spec.layers.is_empty() {
        let _ = writeln!(
            out,
            "Layers, base first: {}. Each field says which layer gives it.\n",
            spec.layers.join(" -> ")
        );
    }
}

fn params(spec: &Spec, out: &mut String) {
    if spec.params.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Params\n");
    let _ = writeln!(out, "| param | type | value used | default | what it is |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for p in &spec.params {
        let kind = match p.required {
            true => format!("{}, required", p.kind),
            false => p.kind.clone(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {kind} | {} | {} | {} |",
            p.name,
            cell(&p.used),
            cell(p.default.as_deref().unwrap_or("none")),
            cell(&p.about)
        );
    }
    out.push('\n');
}

fn before_build(spec: &Spec, out: &mut String) {
    if spec.skips.is_empty() && spec.rules.is_empty() && spec.lets.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Before anything is built\n");
    for s in &spec.skips {
        let _ = writeln!(out, "- {}", one_line(s));
    }
    if !spec.skips.is_empty() {
        out.push('\n');
    }
    if !spec.lets.is_empty() {
        let _ = writeln!(out, "Values worked out once per record:\n");
        for (name, expr) in &spec.lets {
            let _ = writeln!(out, "- `{name}` = `{}`", one_line(expr));
        }
        out.push('\n');
    }
    rules(&spec.rules, "Rules every record must pass", out);
}

fn rules(rules: &[RuleRow], heading: &str, out: &mut String) {
    if rules.is_empty() {
        return;
    }
    let _ = writeln!(out, "### {heading}\n");
    for r in rules {
        let when = r
            .when
            .as_ref()
            .map(|w| format!(", when `{}`", one_line(w)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "- `{}` ({}, {}{when}): {}",
            r.id,
            r.severity,
            r.applies,
            one_line(&r.check)
        );
        if let Some(m) = &r.message {
            let _ = write!(out, ". Message: \"{}\"", one_line(m));
        }
        if !r.about.is_empty() {
            let _ = write!(out, ". Why: {}", one_line(&r.about));
        }
        let _ = writeln!(out, " ({})", r.at);
    }
    out.push('\n');
}

fn fields(rows: &[FieldRow], out: &mut String) {
    let _ = writeln!(
        out,
        "| target field | vendor's description | value | conditions | target requires | layer |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for f in rows {
        let mut value = f.value.clone();
        if !f.note.is_empty() {
            value = format!("{value}. {}", f.note);
        }
        if let Some(fail) = &f.on_failure {
            value = format!("{value}; if it cannot be built, {fail}");
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            f.path,
            cell(&f.vendor),
            cell(&value),
            cell(&f.conditions.join("; ")),
            cell(&f.requires),
            f.at
        );
    }
    out.push('\n');
}

fn lookup(l: &LookupDoc, out: &mut String) {
    let _ = writeln!(
        out,
        "## Lookup `{}`\n\nDeclared at {}. From {}, by `{}`; {} rows{}.\n",
        l.name,
        l.at,
        l.file,
        l.key,
        l.total,
        l.default
            .as_ref()
            .map(|d| format!("; a key it does not hold gives {d}"))
            .unwrap_or_else(|| "; a key it does not hold rejects the record".to_string())
    );
    let mut header = vec![l.key.clone()];
    header.extend(l.columns.iter().cloned());
    grid(&header, l.rows.iter().map(|r| r.as_slice()), out);
    if let Some(note) = rows_note(l.rows.len(), l.total) {
        let _ = writeln!(out, "{note}.\n");
    }
}

fn table(t: &TableDoc, out: &mut String) {
    let _ = writeln!(
        out,
        "## Decision table `{}`\n\nWritten in {}, row by line; it gives {}; `*` matches any value.\n",
        t.name, t.file, t.hit
    );
    let mut header = vec!["line".to_string()];
    header.extend(t.columns.iter().cloned());
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|(line, cells)| {
            let mut r = vec![line.to_string()];
            r.extend(cells.iter().cloned());
            r
        })
        .collect();
    grid(&header, rows.iter().map(|r| r.as_slice()), out);
    if let Some(note) = rows_note(t.rows.len(), t.total) {
        let _ = writeln!(out, "{note}.\n");
    }
}

fn grid<'r>(header: &[String], rows: impl Iterator<Item = &'r [String]>, out: &mut String) {
    let _ = writeln!(
        out,
        "| {} |",
        header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for r in rows {
        let _ = writeln!(
            out,
            "| {} |",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        );
    }
    out.push('\n');
}

fn sign_off(out: &mut String) {
    let _ = writeln!(out, "## Signed off\n");
    let _ = writeln!(out, "| for | name | signature | date |\n|---|---|---|---|");
    let _ = writeln!(
        out,
        "| the customer | | | |\n| the implementation partner | | | |"
    );
}

/// A table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
