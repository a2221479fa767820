//! Diagnostics as a person reads them, in the style of rustc and VRL: the
//! message with its code, the file and place, the offending line with a
//! caret under the span, and a help line.
//!
//! ```text
//! error[unknown-field]: no field 'descripton' in oneserve.activity_order_request
//!   --> mappings/oneserve-spectrum/order.yaml:41:34
//!    |
//! 41 |           Item_Description: {expr: descripton, truncate: 35}
//!    |                                    ^^^^^^^^^^
//!    |
//!    = help: did you mean 'description'?
//! ```
//!
//! The diagnostics themselves stay data ([`crate::diag`]); this is the one
//! place that turns them into text with excerpts. Tools that want one line
//! per finding use `Display` instead (`--message-format short`).

use std::collections::HashMap;
use std::path::PathBuf;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diag::{Diagnostic, Diagnostics, Severity};

/// Render every diagnostic with its excerpt, reading each file once. A file
/// that cannot be read (or a finding with no line) is shown without one.
pub fn render_all(diags: &Diagnostics, color: bool) -> String {
    let mut sources: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut out = String::new();
    for d in diags.iter() {
        let source = sources
            .entry(d.span.file.clone())
            .or_insert_with(|| std::fs::read_to_string(&d.span.file).ok());
        out.push_str(&render(d, source.as_deref(), color));
        out.push_str("\n\n");
    }
    out
}

/// Render one diagnostic; `source` is the text of its file, if known.
pub fn render(d: &Diagnostic, source: Option<&str>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let (message, help) = split_help(d);
    let path = d.span.file.display().to_string();
    let excerpt = source.and_then(|s| line_and_span(s, d.span.line, d.span.column));
    let mut group = Group::with_title(level.primary_title(message).id(d.code));
    match &excerpt {
        Some((text, range)) => {
            group = group.element(
                Snippet::source(*text)
                    .line_start(d.span.line as usize)
                    .path(path.as_str())
                    .annotation(AnnotationKind::Primary.span(range.clone())),
            );
        }
        None if !path.is_empty() => {
            let place = d.span.to_string();
            return with_help(
                format!("{}[{}]: {message}\n  --> {place}", d.severity, d.code),
                help,
            );
        }
        None => {}
    }
    if let Some(help) = help {
        group = group.element(Level::HELP.message(help));
    }
    let report: [Group; 1] = [group];
    renderer.render(&report).to_string()
}

/// The message and the help line. Loaders write a did-you-mean into the
/// message itself (`... (did you mean 'description'?)`), which reads well on
/// one line; shown with an excerpt, it moves to the help line.
fn split_help(d: &Diagnostic) -> (&str, Option<&str>) {
    if let Some(h) = &d.help {
        return (&d.message, Some(h));
    }
    match d.message.find(" (did you mean ") {
        Some(i) => {
            let rest = &d.message[i + 2..];
            match rest.find("?)") {
                Some(end) => {
                    // Only a hint that ends the message moves.
                    let tail = &rest[end + 2..];
                    if tail.trim().is_empty() {
                        (&d.message[..i], Some(&rest[..end + 1]))
                    } else {
                        (&d.message, None)
                    }
                }
                None => (&d.message, None),
            }
        }
        None => (&d.message, None),
    }
}

fn with_help(mut text: String, help: Option<&str>) -> String {
    if let Some(h) = help {
        text.push_str("\n   = help: ");
        text.push_str(h);
    }
    text
}

/// The text of 1-based `line` and the byte range, within it, of the token
/// that starts at 1-based `column` (a quoted string, or a run of characters
/// up to a space or YAML punctuation).
fn line_and_span(source: &str, line: u32, column: u32) -> Option<(&str, std::ops::Range<usize>)> {
    if line == 0 {
        return None;
    }
    let text = source.lines().nth(line as usize - 1)?;
    let start = text
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let rest = &text[start..];
    let len = match rest.chars().next() {
        None => 0,
        Some(q @ ('"' | '\'')) => rest[1..].find(q).map(|e| e + 2).unwrap_or(rest.len()),
        Some(_) => rest
            .find(|c: char| c.is_whitespace() || ",{}[]".contains(c))
            .unwrap_or(rest.len()),
    };
    Some((text, start..start + len.max(1).min(rest.len().max(1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn diag(line: u32, column: u32) -> Diagnostic {
        Diagnostic::error(
            Span {
                file: "m.yaml".into(),
                line,
                column,
            },
            "unknown-field",
            "no field 'descripton'",
        )
        .with_help("did you mean 'description'?")
    }

    #[test]
    fn the_line_is_shown_with_a_caret_under_the_token_and_the_help() {
        let src = "record:\n  Item_Description: {expr: descripton, truncate: 35}\n";
        let text = render(&diag(2, 28), Some(src), false);
        let expected = "\
error[unknown-field]: no field 'descripton'
 --> m.yaml:2:28
  |
2 |   Item_Description: {expr: descripton, truncate: 35}
  |                            ^^^^^^^^^^
  |
  = help: did you mean 'description'?";
        assert_eq!(text.trim_end(), expected);
    }

    #[test]
    fn without_the_source_the_place_is_still_named() {
        let text = render(&diag(2, 28), None, false);
        assert_eq!(
            text,
            "error[unknown-field]: no field 'descripton'\n  --> m.yaml:2:28\n   = help: did you mean 'description'?"
        );
    }

    #[test]
    fn a_did_you_mean_in_the_message_moves_to_the_help_line() {
        let d = Diagnostic::error(
            Span {
                file: "m.yaml".into(),
                line: 1,
                column: 1,
            },
            "unknown-source-field",
            "'descripton' is not a field (did you mean 'description'?)",
        );
        let text = render(&d, Some("descripton: 1\n"), false);
        assert!(
            text.starts_with("error[unknown-source-field]: 'descripton' is not a field\n"),
            "{text}"
        );
        assert!(
            text.trim_end()
                .ends_with("= help: did you mean 'description'?"),
            "{text}"
        );
    }

    #[test]
    fn a_quoted_token_is_underlined_whole() {
        let (_, range) = line_and_span("  key: \"= a + b\", x", 1, 8).unwrap();
        assert_eq!(range, 7..16);
    }
}
