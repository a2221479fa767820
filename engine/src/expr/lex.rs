//! Tokens of the expression language, each with its byte span in the source.

use super::CompileError;

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Int(i64),
    /// A number with a fraction, kept as its text (it becomes a decimal).
    Dec(String),
    Str(String),
    Sym(&'static str),
}

/// A token and where it is: byte offset and length.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub at: usize,
    pub len: usize,
}

/// Longest first, so `?.` wins over `?` and `==` over `=`.
const SYMBOLS: [&str; 29] = [
    "#{", "?.", "??", "==", "!=", "<=", ">=", "&&", "||", "}", "{", ":", "<", ">", "!", "+", "-",
    "*", "/", "%", "(", ")", "[", "]", ",", ".", "|", "=", ";",
];

/// Split `src` into tokens. Iterative: no input can make it recurse.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, CompileError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Tok::Ident(src[start..i].to_string())
        } else if c.is_ascii_digit() {
            number(src, &mut i)?
        } else if c == b'"' {
            Tok::Str(string(src, &mut i)?)
        } else if let Some(sym) = SYMBOLS.iter().find(|s| src[i..].starts_with(**s)) {
            i += sym.len();
            Tok::Sym(sym)
        } else {
            let ch = src[i..].chars().next().unwrap_or(' ');
            return Err(CompileError::syntax(
                i,
                ch.len_utf8(),
                format!("'{ch}' is not part of the expression language"),
            ));
        };
        out.push(Token {
            tok,
            at: start,
            len: i - start,
        });
    }
    Ok(out)
}

fn number(src: &str, i: &mut usize) -> Result<Tok, CompileError> {
    let b = src.as_bytes();
    let start = *i;
    while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
        *i += 1;
    }
    let mut fraction = false;
    if *i + 1 < b.len() && b[*i] == b'.' && b[*i + 1].is_ascii_digit() {
        fraction = true;
        *i += 1;
        while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
            *i += 1;
        }
    }
    let text: String = src[start..*i].chars().filter(|&c| c != '_').collect();
    if fraction {
        return Ok(Tok::Dec(text));
    }
    text.parse().map(Tok::Int).map_err(|_| {
        CompileError::new(
            "expr-number",
            start,
            *i - start,
            format!(
                "{text} is too large for a whole number (at most {})",
                i64::MAX
            ),
        )
    })
}

fn string(src: &str, i: &mut usize) -> Result<String, CompileError> {
    let start = *i;
    *i += 1;
    let mut s = String::new();
    loop {
        let Some(ch) = src[*i..].chars().next() else {
            return Err(CompileError::syntax(
                start,
                *i - start,
                "this text has no closing '\"'",
            ));
        };
        *i += ch.len_utf8();
        match ch {
            '"' => return Ok(s),
            '\\' => {
                let e = src[*i..].chars().next().unwrap_or(' ');
                *i += e.len_utf8();
                s.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '\\' => '\\',
                    '"' => '"',
                    _ => {
                        return Err(CompileError::syntax(
                            *i - e.len_utf8() - 1,
                            1 + e.len_utf8(),
                            format!("'\\{e}' is not an escape: use \\n, \\t, \\r, \\\\ or \\\""),
                        ))
                    }
                });
            }
            _ => s.push(ch),
        }
    }
}
