//! The names a JSONPath reads, in the forms the checker can follow.
//!
//! `$.a.b`, `$['a']["b"]`, an index or wildcard (`[0]`, `[-1]`, `[*]`, `.*`,
//! a slice `[1:3]`) and a descendant name (`$..team`) are read. What comes
//! after a filter (`[?...]`), a union (`['a','b']`, `[0,1]`), a descendant
//! wildcard (`..*`, `..[0]`) or a descendant name is not checked: which
//! type it stands on is not known statically (docs/diagnostics.md).

/// One segment of a JSONPath.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A member name and its byte offset in the path.
    Name(String, usize),
    /// An index, slice or wildcard: any item (or member value).
    Item,
    /// `..name`: a member of this node or any node below it, with its offset.
    Descend(String, usize),
    /// A form the checker does not follow; nothing after it is checked.
    Stop,
}

/// The segments of `p`, None when it is not a JSONPath from `$`.
pub(crate) fn segments(p: &str) -> Option<Vec<Seg>> {
    let rest = p.strip_prefix('$')?;
    let b = rest.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let at = i + 1; // offset in `p` (after the `$`)
        let seg = if rest[i..].starts_with("..") {
            let (name, len) = name_at(&rest[i + 2..]);
            i += 2 + len;
            match name {
                Some(n) => Seg::Descend(n.to_string(), at + 2),
                None => Seg::Stop,
            }
        } else if b[i] == b'.' {
            if rest[i + 1..].starts_with('*') {
                i += 2;
                Seg::Item
            } else {
                let (name, len) = name_at(&rest[i + 1..]);
                i += 1 + len;
                match name {
                    Some(n) => Seg::Name(n.to_string(), at + 1),
                    None => Seg::Stop,
                }
            }
        } else if b[i] == b'[' {
            let Some(close) = bracket_end(&rest[i..]) else {
                return Some(stop(out));
            };
            let inner = &rest[i + 1..i + close];
            let seg = bracket(
                inner.trim(),
                at + 1 + (inner.len() - inner.trim_start().len()),
            );
            i += close + 1;
            seg
        } else {
            Seg::Stop
        };
        if seg == Seg::Stop {
            return Some(stop(out));
        }
        let descend = matches!(seg, Seg::Descend(..));
        out.push(seg);
        // Below a descendant name the type is not one known type.
        if descend {
            return Some(stop(out));
        }
    }
    Some(out)
}

fn stop(mut out: Vec<Seg>) -> Vec<Seg> {
    out.push(Seg::Stop);
    out
}

/// A member name (letters, digits, `_`) at the start of `s`, and its length.
fn name_at(s: &str) -> (Option<&str>, usize) {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    ((end > 0).then(|| &s[..end]), end)
}

/// The byte index of the `]` closing the `[` at the start of `s`, past quoted text.
fn bracket_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, ']') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

/// What the inside of `[...]` selects; `at` is the offset of `inner` in the path.
fn bracket(inner: &str, at: usize) -> Seg {
    if inner == "*" {
        return Seg::Item;
    }
    let quoted = ['\'', '"']
        .into_iter()
        .find(|q| inner.len() >= 2 && inner.starts_with(*q) && inner.ends_with(*q));
    if let Some(q) = quoted {
        let name = &inner[1..inner.len() - 1];
        // A union (`'a','b'`) or an escape: not followed.
        if name.contains(q) || name.contains('\\') {
            return Seg::Stop;
        }
        return Seg::Name(name.to_string(), at + 1);
    }
    let index_or_slice = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ':' || c == ' ');
    if index_or_slice {
        Seg::Item
    } else {
        Seg::Stop
    }
}

#[cfg(test)]
mod tests {
    use super::Seg::*;
    use super::*;

    fn name(n: &str, at: usize) -> Seg {
        Name(n.to_string(), at)
    }

    #[test]
    fn dotted_bracketed_and_indexed_names_are_read_with_their_offsets() {
        assert_eq!(
            segments("$.activities[0].team"),
            Some(vec![name("activities", 2), Item, name("team", 16)])
        );
        assert_eq!(
            segments("$['activities'][*][\"team\"]"),
            Some(vec![name("activities", 3), Item, name("team", 20)])
        );
        assert_eq!(
            segments("$.a[-1].b[1:3].*"),
            Some(vec![name("a", 2), Item, name("b", 8), Item, Item])
        );
        assert_eq!(segments("$"), Some(vec![]));
        assert_eq!(segments("job.ref"), None);
    }

    #[test]
    fn a_descendant_name_is_read_and_nothing_after_it() {
        assert_eq!(
            segments("$..team.name"),
            Some(vec![Descend("team".into(), 3), Stop])
        );
        assert_eq!(
            segments("$.job..ref"),
            Some(vec![name("job", 2), Descend("ref".into(), 7), Stop])
        );
    }

    /// Every string of up to four of these characters reads without a
    /// panic, and nothing is read after a `Stop`.
    #[test]
    fn any_short_path_reads_without_a_panic() {
        let alphabet = [
            '$', '.', '[', ']', '\'', '"', '*', '?', '0', 'a', 'é', ',', '\\',
        ];
        let mut paths = vec![String::from("$")];
        for _ in 0..4 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            paths.extend(longer);
            paths.dedup();
        }
        for p in &paths {
            if let Some(segs) = segments(p) {
                let stop = segs.iter().position(|s| *s == Stop);
                assert!(stop.is_none_or(|i| i == segs.len() - 1), "{p}: {segs:?}");
                for s in &segs {
                    if let Name(n, at) | Descend(n, at) = s {
                        assert!(
                            p.get(*at..)
                                .is_some_and(|rest| rest.starts_with(n.as_str())),
                            "{p}: {s:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn filters_unions_and_descendant_wildcards_stop_the_check() {
        assert_eq!(segments("$.a[?@.x == 1].b"), Some(vec![name("a", 2), Stop]));
        assert_eq!(segments("$['a','b']"), Some(vec![Stop]));
        assert_eq!(segments("$.a[0,1]"), Some(vec![name("a", 2), Stop]));
        assert_eq!(segments("$..*"), Some(vec![Stop]));
        assert_eq!(segments("$.a['x]"), Some(vec![name("a", 2), Stop]));
        assert_eq!(segments("$.a[']']"), Some(vec![name("a", 2), name("]", 5)]));
    }
}
