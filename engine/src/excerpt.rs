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
use crate::redact::Redactor;

/// Render every diagnostic with its excerpt, reading each file once. A file
/// that cannot be read (or a finding with no line) is shown without one, and
/// so is every file that may not be the user's YAML (see [`may_quote`]).
pub fn render_all(diags: &Diagnostics, color: bool) -> String {
    let mut sources: HashMap<PathBuf, (Option<String>, Redactor)> = HashMap::new();
    let mut out = String::new();
    for d in in_place_order(diags) {
        let (source, hide) = sources.entry(d.span.file.clone()).or_insert_with(|| {
            let text = may_quote(&d.span.file, diags)
                .then(|| std::fs::read_to_string(&d.span.file).ok())
                .flatten();
            let hide = text.as_deref().map(secret_defaults).unwrap_or_default();
            (text, hide)
        });
        let shown = render(d, source.as_deref(), color);
        out.push_str(&hide.redact(&shown));
        out.push_str("\n\n");
    }
    out
}

/// What hides the defaults of the secret params a YAML file declares, read
/// from its text (a file with a finding may not load): the value after
/// `default:` on a line that also says `secret: true` (a flow mapping), or
/// among the keys beside a `secret: true` line (a block mapping), with the
/// lines below it when the value is a block.
fn secret_defaults(source: &str) -> Redactor {
    let lines: Vec<&str> = source.lines().collect();
    let mut hide = Redactor::default();
    for (i, line) in lines.iter().enumerate() {
        if !declares_secret(line) {
            continue;
        }
        if line.contains('{') {
            if let Some(v) = value_after_default(line, true) {
                hide.add(&v);
            }
            continue;
        }
        let indent = indent_of(line);
        let within = |l: &&&str| l.trim().is_empty() || indent_of(l) >= indent;
        let first = i - lines[..i].iter().rev().take_while(&within).count();
        let last = i + 1 + lines[i + 1..].iter().take_while(&within).count();
        for (j, l) in lines.iter().enumerate().take(last).skip(first) {
            if indent_of(l) != indent {
                continue;
            }
            match value_after_default(l, false) {
                Some(v) if !matches!(v.as_str(), "" | "|" | ">" | "|-" | ">-") => hide.add(&v),
                Some(_) => block_below(&lines[j + 1..last], indent, &mut hide),
                None => {}
            }
        }
    }
    hide
}

/// The lines of a block value below its key (deeper than `indent`).
fn block_below(lines: &[&str], indent: usize, hide: &mut Redactor) {
    for l in lines
        .iter()
        .take_while(|l| l.trim().is_empty() || indent_of(l) > indent)
    {
        let item = l.trim().trim_start_matches("- ").trim();
        hide.add(item.trim_matches(|c| c == '"' || c == '\''));
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Whether the line holds `secret: true` (or `yes`, `on`).
fn declares_secret(line: &str) -> bool {
    line.match_indices("secret:").any(|(at, key)| {
        let value = line[at + key.len()..].trim_start().to_ascii_lowercase();
        ["true", "yes", "on"].iter().any(|t| value.starts_with(t))
    })
}

/// The value after a `default:` key of `line`, quotes taken off; in a flow
/// mapping (`flow`), up to the next `,` or `}` outside quotes. `Some("")`
/// when the value is on the lines below.
fn value_after_default(line: &str, flow: bool) -> Option<String> {
    let (at, key) = line.match_indices("default:").find(|(at, _)| {
        line[..*at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '{' || c == ',')
    })?;
    let rest = line[at + key.len()..].trim_start();
    let value = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
        _ if flow => rest.split([',', '}']).next().unwrap_or(""),
        _ => rest.split(" #").next().unwrap_or(""),
    };
    Some(value.trim().to_string())
}

/// The findings file by file (in the order the files first come), and
/// those of one file by line and column: a reader goes down the file once.
pub(crate) fn in_place_order(diags: &Diagnostics) -> Vec<&Diagnostic> {
    let mut files: Vec<&std::path::Path> = Vec::new();
    for d in diags.iter() {
        if !files.contains(&d.span.file.as_path()) {
            files.push(&d.span.file);
        }
    }
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    // Stable: findings at one place keep the order they were found in.
    sorted.sort_by_key(|d| {
        let file = files.iter().position(|f| *f == d.span.file.as_path());
        (file, d.span.line, d.span.column)
    });
    sorted
}

/// Whether a line of `file` may be shown. Diagnostics name the files a
/// mapping pulls in too (`rules_from:`, a lookup's `file:`), which may be
/// any file of the project, or of the host under `--root /`: only a file
/// named `.yaml` or `.yml` (a mapping, schema, rules or test file) is
/// quoted, and not one that is no YAML from its first line on (a `yaml`
/// error on line 1: another format under a YAML name).
fn may_quote(file: &std::path::Path, diags: &Diagnostics) -> bool {
    let yaml_name = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    let no_yaml_at_all = diags
        .iter()
        .any(|d| d.span.file == file && d.code == "yaml" && d.span.line <= 1);
    yaml_name && !no_yaml_at_all
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
        Severity::Note => Level::NOTE,
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
    let m = d.message.as_str();
    for (open, close) in [(" (did you mean ", "?)"), ("; did you mean ", "?")] {
        if let Some(i) = m.find(open) {
            let hint = &m[i + open.len() - "did you mean ".len()..];
            // Only a hint that ends the message moves.
            if let Some(end) = hint.strip_suffix(close) {
                return (&m[..i], Some(&hint[..end.len() + 1]));
            }
        }
    }
    (m, None)
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
        Some('=' | '$') => expression_len(rest),
        Some(_) => plain_len(rest),
    };
    Some((text, start..start + len.max(1).min(rest.len().max(1))))
}

/// The length of a plain word: up to a space, YAML flow punctuation, or
/// the `:` that ends a key (`recrod:` is the 6 characters `recrod`; the
/// colon of `12:30` or `http://x` is part of the word).
fn plain_len(rest: &str) -> usize {
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends_key = c == ':' && chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if c.is_whitespace() || ",{}[]".contains(c) || ends_key {
            return i;
        }
    }
    rest.len()
}

/// The length of an expression or path written as a plain YAML scalar: up
/// to the `,` or closing bracket that ends it in a flow mapping, or the end
/// of the line, leaving out trailing spaces.
fn expression_len(rest: &str) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') if depth > 0 => depth -= 1,
            (None, ',' | ']' | '}') if depth == 0 => {
                end = i;
                break;
            }
            (None, '#') if rest[..i].ends_with(' ') => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    rest[..end].trim_end().len()
}

impl Diagnostics {
    /// Every finding with the offending line, a caret under its span and
    /// its help line, in the style of rustc (`color`: for a terminal).
    pub fn rendered(&self, color: bool) -> String {
        render_all(self, color)
    }

    /// [`Diagnostics::rendered`] for output that goes to a terminal when
    /// `terminal`: coloured only then, and never when the `NO_COLOR`
    /// variable holds a value (<https://no-color.org>).
    pub fn rendered_for(&self, terminal: bool) -> String {
        render_all(self, color_wanted(terminal, std::env::var_os("NO_COLOR")))
    }
}

/// Colour on a terminal, unless `NO_COLOR` is set to anything but the empty string.
fn color_wanted(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_with_any_value_turns_colour_off() {
        assert!(color_wanted(true, None));
        assert!(
            color_wanted(true, Some("".into())),
            "an empty NO_COLOR is unset"
        );
        assert!(!color_wanted(true, Some("1".into())));
        assert!(
            !color_wanted(true, Some("false".into())),
            "any value, even 'false'"
        );
        assert!(!color_wanted(false, None), "never off a terminal");
    }

    #[test]
    fn the_caret_is_under_the_key_not_its_colon() {
        let src = "name: x
recrod:
  a: 1
b: {expr: x, trunc: 5}
at: 12:30
";
        assert_eq!(line_and_span(src, 2, 1), Some(("recrod:", 0..6)));
        assert_eq!(
            line_and_span(src, 4, 14),
            Some(("b: {expr: x, trunc: 5}", 13..18))
        );
        assert_eq!(
            line_and_span(src, 5, 5),
            Some(("at: 12:30", 4..9)),
            "a colon inside a word stays"
        );
    }

    #[test]
    fn findings_of_a_file_are_shown_by_line_then_column() {
        let at = |file: &str, line, column| {
            Diagnostic::error(
                Span {
                    file: file.into(),
                    line,
                    column,
                },
                "x",
                format!("{file}:{line}:{column}"),
            )
        };
        let diags = Diagnostics(vec![
            at("b.yaml", 7, 1),
            at("a.yaml", 3, 1),
            at("b.yaml", 5, 9),
            at("b.yaml", 5, 2),
        ]);
        let order: Vec<&str> = in_place_order(&diags)
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            order,
            ["b.yaml:5:2", "b.yaml:5:9", "b.yaml:7:1", "a.yaml:3:1"]
        );
    }

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
    fn secret_defaults_are_read_from_flow_and_block_params() {
        let yaml = "params:\n  a: {type: text, secret: true, default: \"FLOW-SECRET-1\", bogus: 1}\n  b:\n    type: text\n    default: 'BLOCK-SECRET-2' # why\n    secret: yes\n  c:\n    secret: true\n    default:\n      - LIST-SECRET-3\n  d: {type: text, default: PLAIN-VALUE-4}\n";
        let hide = secret_defaults(yaml);
        assert_eq!(
            hide.redact("FLOW-SECRET-1 BLOCK-SECRET-2 LIST-SECRET-3 PLAIN-VALUE-4"),
            "(secret) (secret) (secret) PLAIN-VALUE-4"
        );
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
    fn an_expression_is_underlined_to_its_end() {
        let (_, r) = line_and_span("  Id: = round(a, 2)  # why", 1, 7).unwrap();
        assert_eq!(r, 6..19);
        let (_, r) = line_and_span("  Id: {expr: = f(a, b), round: 2}", 1, 14).unwrap();
        assert_eq!(r, 13..22);
    }

    #[test]
    fn a_quoted_token_is_underlined_whole() {
        let (_, range) = line_and_span("  key: \"= a + b\", x", 1, 8).unwrap();
        assert_eq!(range, 7..16);
    }
}
