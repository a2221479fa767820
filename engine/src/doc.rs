//! Doc: schemas (and later mappings) as text a person reads beside the
//! vendor's documentation.

use std::fmt::Write;

use crate::schema::{Check, Field, Schema};

fn describe_field(f: &Field) -> String {
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
    if let Some(s) = f.scale {
        parts.push(format!("{s} places"));
    }
    if let Some(p) = &f.format {
        parts.push(p.as_str().to_string());
    }
    if let Some(of) = &f.of {
        parts.push(format!("of {of}"));
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
        "{} ({}, {:?})",
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
