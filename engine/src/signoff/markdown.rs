//! The sign-off document as Markdown (GitHub's tables).

use std::fmt::Write;

use super::{rows_note, FieldRow, LookupDoc, RuleRow, Spec, TableDoc};

pub(super) fn write(spec: &Spec) -> String {
    let mut out = String::new();
    head(spec, &mut out);
    params(spec, &mut out);
    before_build(spec, &mut out);
    for route in &spec.routes {
        let _ = writeln!(out, "## {}\n", spans(&route.heading));
        if !route.target.about.is_empty() {
            let _ = writeln!(out, "{}\n", cell(&route.target.about));
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
        let _ = writeln!(out, "{}\n", paragraphs(&spec.about));
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
    if let Some(r) = &spec.routing {
        let _ = writeln!(out, "{r}\n");
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
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            p.name,
            cell(&p.kind),
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
        let _ = writeln!(out, "- {}", spans(s));
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
            spans(&r.applies),
            spans(&r.check)
        );
        if let Some(m) = &r.message {
            let _ = write!(out, ". Message: \"{}\"", cell(m));
        }
        if !r.about.is_empty() {
            let _ = write!(out, ". Why: {}", cell(&r.about));
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
        let mut value = spans(&f.value);
        if !f.note.is_empty() {
            value = format!("{value}. {}", cell(&f.note));
        }
        if let Some(fail) = &f.on_failure {
            value = format!("{value}; if it cannot be built, {}", spans(fail));
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            f.path,
            cell(&f.vendor),
            value,
            spans(&f.conditions.join("; ")),
            cell(&f.requires),
            f.at
        );
    }
    out.push('\n');
}

fn lookup(l: &LookupDoc, out: &mut String) {
    let _ = writeln!(
        out,
        "## Lookup `{}`\n\nDeclared at `{}`. From `{}`, by `{}`; {} rows{}.\n",
        l.name,
        l.at,
        l.file,
        l.key,
        l.total,
        l.default
            .as_ref()
            .map(|d| format!("; a key it does not hold gives `{d}`"))
            .unwrap_or_else(|| "; a key it does not hold rejects the record".to_string())
    );
    grid(&l.header, &l.rows, out);
    if let Some(note) = rows_note(l.rows.len(), l.total) {
        let _ = writeln!(out, "{note}.\n");
    }
}

fn table(t: &TableDoc, out: &mut String) {
    let _ = writeln!(
        out,
        "## Decision table `{}`\n\nWritten in `{}`, row by line; it gives {}; `*` matches any value.\n",
        t.name, t.file, t.hit
    );
    grid(&t.header, &t.rows, out);
    if let Some(note) = rows_note(t.rows.len(), t.total) {
        let _ = writeln!(out, "{note}.\n");
    }
}

fn grid(header: &[String], rows: &[Vec<String>], out: &mut String) {
    let _ = writeln!(
        out,
        "| {} |",
        header
            .iter()
            .map(|h| spans(h))
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

/// A table cell of the mapping's or the vendor's words: one line, every
/// character Markdown would take as markup escaped (a lookup key
/// `<script>` is text, not HTML).
fn cell(text: &str) -> String {
    escaped(&one_line(text))
}

/// A cell of our own words with `code spans`: the spans kept, the words
/// around them escaped; `|` escaped everywhere, as GitHub's tables need.
fn spans(text: &str) -> String {
    one_line(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            1 => format!("`{}`", part.replace('|', "\\|")),
            _ => escaped(part),
        })
        .collect()
}

/// Backslash before each ASCII punctuation mark Markdown reads as markup
/// (CommonMark lets any be escaped so).
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The mapping's `doc:`: its lines kept (an indented sketch stays a code
/// block), the others escaped.
fn paragraphs(text: &str) -> String {
    text.lines()
        .map(|l| match l.starts_with("    ") {
            true => l.to_string(),
            false => escaped(l),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
