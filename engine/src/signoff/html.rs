//! The sign-off document as one self-contained HTML page: its style is
//! inline, it has no script and fetches nothing, so it can be mailed,
//! archived and printed as it is. Rows carry `data-field` and `data-layer`
//! so a test (or a reviewer's tool) can find them in the page.

use std::fmt::Write;

use super::{rows_note, FieldRow, LookupDoc, RuleRow, Spec, TableDoc};

const STYLE: &str = "
:root { --ink: #1b1f23; --muted: #57606a; --rule: #d0d7de; --band: #f6f8fa; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif;
       color: var(--ink); margin: 2rem auto; max-width: 72rem; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p, li { max-width: 60rem; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .8rem 0 1.2rem; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
code { font: .92em/1.3 ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
       background: var(--band); padding: 0 .2em; border-radius: 3px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid var(--rule); padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.field { white-space: nowrap; font-weight: 600; }
td.layer, td.at { color: var(--muted); font-size: .9em; white-space: nowrap; }
.depth-1 td.field { padding-left: 1.4rem; }
.depth-2 td.field { padding-left: 2.4rem; }
.depth-3 td.field { padding-left: 3.4rem; }
.note { color: var(--muted); }
tr.overlay td:first-child { border-left: 4px solid var(--accent); }
tr.overlay td.layer { color: var(--accent); font-weight: 600; }
.rule { margin: .3rem 0 .6rem; }
.rule .id { font-weight: 600; }
.sign td { height: 2.6rem; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85em; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  h2 { break-after: avoid; }
  section { break-inside: auto; }
}
";

pub(super) fn write(spec: &Spec) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"generator\" content=\"mapwright {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        text(&spec.title)
    );
    head(spec, &mut out);
    params(spec, &mut out);
    before_build(spec, &mut out);
    for route in &spec.routes {
        let _ = writeln!(
            out,
            "<section class=\"route\">\n<h2>{}</h2>",
            inline(&route.heading)
        );
        if !route.target.about.is_empty() {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", inline(&route.target.about));
        }
        rules(&route.rules, "Rules of this route", &mut out);
        fields(&route.fields, &mut out);
        rules(
            &route.target_rules,
            &format!("Rules of {} on every record", route.target.name),
            &mut out,
        );
        out.push_str("</section>\n");
    }
    for l in &spec.lookups {
        lookup(l, &mut out);
    }
    for t in &spec.tables {
        table(t, &mut out);
    }
    sign_off(&mut out);
    let _ = writeln!(
        out,
        "<footer>Written by mapwright {} from <code>{}</code>.</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        text(&spec.file)
    );
    out
}

fn head(spec: &Spec, out: &mut String) {
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", text(&spec.title));
    if !spec.about.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", inline(&spec.about));
    }
    out.push_str("<dl class=\"meta\">\n");
    let source = spec.source.as_ref();
    let _ = writeln!(
        out,
        "<dt>Source</dt><dd>{}</dd>",
        source
            .map(|s| text(&s.name))
            .unwrap_or_else(|| "any JSON record".into())
    );
    let targets: Vec<String> = spec.routes.iter().map(|r| text(&r.target.name)).collect();
    let _ = writeln!(out, "<dt>Target</dt><dd>{}</dd>", targets.join(", "));
    let _ = writeln!(
        out,
        "<dt>Mapping</dt><dd><code>{}</code></dd>",
        text(&spec.file)
    );
    if !spec.layers.is_empty() {
        let layers: Vec<String> = spec
            .layers
            .iter()
            .map(|l| format!("<code>{}</code>", text(l)))
            .collect();
        let _ = writeln!(
            out,
            "<dt>Layers</dt><dd class=\"layers\">{} <span class=\"note\">(base first; each field names its layer, and a field a later layer gives is marked at its left)</span></dd>",
            layers.join(" → ")
        );
    }
    out.push_str("</dl>\n");
    if let Some(r) = &spec.routing {
        let _ = writeln!(out, "<p>{}</p>", text(r));
    }
    out.push_str("</header>\n");
}

fn params(spec: &Spec, out: &mut String) {
    if spec.params.is_empty() {
        return;
    }
    out.push_str("<section id=\"params\">\n<h2>Params</h2>\n<table>\n");
    out.push_str("<thead><tr><th>param</th><th>type</th><th>value used</th><th>default</th><th>what it is</th></tr></thead>\n<tbody>\n");
    for p in &spec.params {
        let _ = writeln!(
            out,
            "<tr data-param=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&p.name),
            text(&p.name),
            text(&p.kind),
            text(&p.used),
            text(p.default.as_deref().unwrap_or("none")),
            inline(&p.about)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn before_build(spec: &Spec, out: &mut String) {
    if spec.skips.is_empty() && spec.rules.is_empty() && spec.lets.is_empty() {
        return;
    }
    out.push_str("<section id=\"before\">\n<h2>Before anything is built</h2>\n");
    if !spec.skips.is_empty() {
        out.push_str("<ul>\n");
        for s in &spec.skips {
            let _ = writeln!(out, "<li>{}</li>", inline(s));
        }
        out.push_str("</ul>\n");
    }
    if !spec.lets.is_empty() {
        out.push_str("<p>Values worked out once per record:</p>\n<ul>\n");
        for (name, expr) in &spec.lets {
            let _ = writeln!(
                out,
                "<li><code>{}</code> = <code>{}</code></li>",
                text(name),
                text(expr)
            );
        }
        out.push_str("</ul>\n");
    }
    rules(&spec.rules, "Rules every record must pass", out);
    out.push_str("</section>\n");
}

fn rules(rules: &[RuleRow], heading: &str, out: &mut String) {
    if rules.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>{}</h3>", text(heading));
    for r in rules {
        let when = r
            .when
            .as_ref()
            .map(|w| format!(", when <code>{}</code>", text(w)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"rule\" data-rule=\"{}\"><span class=\"id\"><code>{}</code></span> ({}, {}{when}): {}",
            text(&r.id),
            text(&r.id),
            text(&r.severity),
            inline(&r.applies),
            inline(&r.check)
        );
        if let Some(m) = &r.message {
            let _ = write!(out, "<br>Message: “{}”", text(m));
        }
        if !r.about.is_empty() {
            let _ = write!(
                out,
                "<br><span class=\"note\">Why: {}</span>",
                inline(&r.about)
            );
        }
        let _ = writeln!(out, " <span class=\"at\">({})</span></div>", text(&r.at));
    }
}

fn fields(rows: &[FieldRow], out: &mut String) {
    out.push_str("<table class=\"fields\">\n<thead><tr><th>target field</th><th>vendor's description</th><th>value</th><th>conditions</th><th>target requires</th><th>layer</th></tr></thead>\n<tbody>\n");
    for f in rows {
        let mut value = inline(&f.value);
        if !f.note.is_empty() {
            let _ = write!(value, "<br><span class=\"note\">{}</span>", inline(&f.note));
        }
        if let Some(fail) = &f.on_failure {
            let _ = write!(value, "<br>If it cannot be built, {}", inline(fail));
        }
        let conditions: Vec<String> = f.conditions.iter().map(|c| inline(c)).collect();
        let _ = writeln!(
            out,
            "<tr class=\"depth-{}{}\" data-field=\"{}\" data-layer=\"{}\"><td class=\"field\"><code>{}</code></td><td>{}</td><td>{value}</td><td>{}</td><td>{}</td><td class=\"layer\">{}</td></tr>",
            f.depth.min(3),
            if f.overlay { " overlay" } else { "" },
            text(&f.path),
            text(&f.layer),
            text(&f.path),
            inline(&f.vendor),
            conditions.join("<br>"),
            text(&f.requires),
            text(&f.at)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn lookup(l: &LookupDoc, out: &mut String) {
    let missing = l
        .default
        .as_ref()
        .map(|d| format!("a key it does not hold gives {}", text(d)))
        .unwrap_or_else(|| "a key it does not hold rejects the record".to_string());
    let _ = writeln!(
        out,
        "<section class=\"lookup\" data-lookup=\"{}\">\n<h2>Lookup <code>{}</code></h2>\n<p>Declared at <code>{}</code>. From <code>{}</code>, by <code>{}</code>; {} rows; {missing}.</p>",
        text(&l.name),
        text(&l.name),
        text(&l.at),
        text(&l.file),
        text(&l.key),
        l.total
    );
    grid(&l.header, &l.rows, out);
    if let Some(note) = rows_note(l.rows.len(), l.total) {
        let _ = writeln!(out, "<p class=\"note\">{note}.</p>");
    }
    out.push_str("</section>\n");
}

fn table(t: &TableDoc, out: &mut String) {
    let _ = writeln!(
        out,
        "<section class=\"table\" data-table=\"{}\">\n<h2>Decision table <code>{}</code></h2>\n<p>Written in <code>{}</code>, row by line; it gives {}; <code>*</code> matches any value.</p>",
        text(&t.name),
        text(&t.name),
        text(&t.file),
        text(t.hit)
    );
    grid(&t.header, &t.rows, out);
    if let Some(note) = rows_note(t.rows.len(), t.total) {
        let _ = writeln!(out, "<p class=\"note\">{note}.</p>");
    }
    out.push_str("</section>\n");
}

fn grid(header: &[String], rows: &[Vec<String>], out: &mut String) {
    out.push_str("<table>\n<thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", inline(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", text(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn sign_off(out: &mut String) {
    out.push_str(
        "<section id=\"sign-off\">\n<h2>Signed off</h2>\n<table class=\"sign\">\n\
         <thead><tr><th>for</th><th>name</th><th>signature</th><th>date</th></tr></thead>\n<tbody>\n\
         <tr><td>the customer</td><td></td><td></td><td></td></tr>\n\
         <tr><td>the implementation partner</td><td></td><td></td><td></td></tr>\n\
         </tbody>\n</table>\n</section>\n",
    );
}

/// Text made safe for HTML.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text made safe, with each `code span` set as code, as in the Markdown.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        match i % 2 {
            1 => {
                let _ = write!(out, "<code>{}</code>", text(part));
            }
            _ => out.push_str(&text(part)),
        }
    }
    out
}
