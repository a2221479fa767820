//! Numbers keep their digits: a JSON number that f64, i64 or u64 cannot
//! hold as written (`18446744073709551616`, `0.1000000000000000055511151231257827`)
//! keeps its literal beside the value, so a field that copies it writes the
//! digits that were read.
//!
//! serde_json's `arbitrary_precision` would keep them too, but it breaks
//! rhai and minijinja (numbers arrive as a private map), so records stay
//! plain [`Value`](crate::value::Value)s holding the nearest f64, and the literals
//! travel beside them:
//!
//! 1. The reader runs [`SourceLiterals::find`] over each record's text. A
//!    quick scan ([`may_hold_lossy`]) passes over records with no number
//!    of more than 15 significant digits or a 3-digit exponent (the common
//!    case: one pass over the bytes, nothing allocated); only then is the
//!    text tokenised and each such number compared with the f64 it became.
//!    A lossy number is recorded by the address of its node in the record:
//!    the record is borrowed, unchanged, for the whole transform.
//! 2. [`Reading::start`] makes the table visible to the engine on this
//!    thread for one transform (a guard clears it). Nothing is set when the
//!    table is empty.
//! 3. A field whose value is an unchanged copy of a source node (a path, a
//!    plain `= path` expression, an item of `for_each`) finds the literals
//!    under that node by address and notes them at its target path.
//!    A computed value is a new node and keeps none.
//! 4. The outcome carries them ([`Literals`], a tree of target paths), the
//!    renderer writes them, and the target check judges them.
//!
//! Addresses are only compared, never followed, so a stale table can do no
//! more than miss.

use std::cell::{Cell, RefCell};

use crate::value::{Number, Value};

/// Significant digits every f64 holds exactly through decimal text and back.
const SAFE_DIGITS: usize = 15;

/// True when `text` (JSON) may hold a number that would not survive being
/// read into an f64, i64 or u64: one of more than 15 significant digits, or
/// with an exponent of three digits or more. Text inside strings is passed
/// over. False positives only cost the exact look that follows.
pub fn may_hold_lossy(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => i = string_end(text, i + 1),
            b'-' | b'0'..=b'9' => {
                let end = number_end(text, i);
                if is_candidate(&text[i..end]) {
                    return true;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    false
}

/// The index just past the string whose text starts at `i` (after its quote).
fn string_end(text: &[u8], mut i: usize) -> usize {
    // Most of a record's bytes are string text: jump to the next quote or
    // backslash (SIMD), not byte by byte.
    while let Some(at) = text
        .get(i..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        i += at;
        if text[i] == b'"' {
            return i + 1;
        }
        i += 2;
    }
    text.len()
}

fn number_end(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && matches!(text[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
        i += 1;
    }
    i
}

/// A number token that may not survive the f64 round trip.
pub(crate) fn is_candidate(token: &[u8]) -> bool {
    // `1e100` is the shortest token that can be one.
    if token.len() < 5 {
        return false;
    }
    let (mantissa, exponent) = match token.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(e) => (&token[..e], &token[e + 1..]),
        None => (token, &b""[..]),
    };
    if exponent.len() < 3 && mantissa.len() <= SAFE_DIGITS {
        return false;
    }
    let significant = mantissa
        .iter()
        .skip_while(|b| matches!(b, b'-' | b'0' | b'.'))
        .filter(|b| b.is_ascii_digit())
        .count();
    let exponent_digits = exponent.iter().filter(|b| b.is_ascii_digit()).count();
    significant > SAFE_DIGITS || exponent_digits >= 3
}

/// A number's value as sign, significant digits and exponent, for
/// comparing two texts of one number (`1.50e1` and `15`).
fn canonical(text: &str) -> Option<(bool, String, i64)> {
    let (negative, t) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let lead = digits.len() - digits.trim_start_matches('0').len();
    let digits = digits[lead..].trim_end_matches('0');
    if digits.is_empty() {
        return Some((false, String::new(), 0));
    }
    let trailing = (int.len() + frac.len() - lead - digits.len()) as i64;
    let exp = exp.checked_sub(frac.len() as i64)?.checked_add(trailing)?;
    Some((negative, digits.to_string(), exp))
}

/// True when `literal` is not what `n` (the number serde_json read from
/// it) writes: the digits would be lost.
pub fn is_lossy(literal: &str, n: &Number) -> bool {
    if n.is_i64() || n.is_u64() {
        return false;
    }
    let Some(f) = n.as_f64() else { return false };
    canonical(literal) != canonical(&format!("{f:e}"))
}

/// Where a step goes in a record: a key of an object or an item of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// An open object or list while tokenising.
enum Open {
    /// An object, and where the current key's text is (quotes included):
    /// decoded only for the path of a candidate.
    Object {
        key: Option<std::ops::Range<usize>>,
    },
    List {
        index: usize,
    },
}

/// The candidate numbers of one JSON value's text, with the path of each
/// (text before the value, such as `, ` between list items, is passed
/// over; so is anything after it).
fn candidate_numbers(text: &[u8]) -> Vec<(Vec<Step>, String)> {
    let mut found: Vec<(Vec<Step>, String)> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut started = false;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if started && open.is_empty() {
            break;
        }
        match b {
            b'{' => {
                open.push(Open::Object { key: None });
                started = true;
                i += 1;
            }
            b'[' => {
                open.push(Open::List { index: 0 });
                started = true;
                i += 1;
            }
            b'}' | b']' => {
                open.pop();
                i += 1;
            }
            b',' => {
                match open.last_mut() {
                    Some(Open::Object { key }) => *key = None,
                    Some(Open::List { index }) => *index += 1,
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(text, i + 1);
                match open.last_mut() {
                    Some(Open::Object { key: k @ None }) => {
                        *k = Some(i..end);
                    }
                    _ => {
                        started = true;
                    }
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = number_end(text, i);
                if is_candidate(&text[i..end]) {
                    let literal = String::from_utf8_lossy(&text[i..end]).into_owned();
                    found.push((path_of(text, &open), literal));
                }
                started = true;
                i = end;
            }
            b't' | b'f' | b'n' => {
                started = true;
                while i < text.len() && text[i].is_ascii_alphabetic() {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    found
}

fn path_of(text: &[u8], open: &[Open]) -> Vec<Step> {
    open.iter()
        .map(|o| match o {
            Open::Object { key } => Step::Key(key_text(text, key.clone().unwrap_or(0..0))),
            Open::List { index } => Step::Index(*index),
        })
        .collect()
}

/// The key whose quoted text is at `at`, unescaped.
fn key_text(text: &[u8], at: std::ops::Range<usize>) -> String {
    let raw = &text[at];
    match raw {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => {
            String::from_utf8_lossy(inner).into_owned()
        }
        _ => serde_json::from_slice::<String>(raw).unwrap_or_default(),
    }
}

/// The lossy numbers of one record as read: each node's address and literal.
#[derive(Clone, Debug, Default)]
pub struct SourceLiterals {
    by_address: Vec<(usize, Box<str>)>,
}

impl SourceLiterals {
    /// The numbers of `record` (parsed from `text`) that would lose digits.
    /// Costs one scan of `text` when there are none.
    pub fn find(text: &[u8], record: &Value) -> SourceLiterals {
        if !may_hold_lossy(text) {
            return SourceLiterals::default();
        }
        let mut by_address = Vec::new();
        for (path, literal) in candidate_numbers(text) {
            let node = path.iter().try_fold(record, |v, step| match step {
                Step::Key(k) => v.get(k.as_str()),
                Step::Index(i) => v.get(*i),
            });
            let Some(node @ Value::Number(n)) = node else {
                continue;
            };
            // A duplicate key's earlier value is not the one the record holds.
            if reads_as(&literal, n) && is_lossy(&literal, n) {
                by_address.push((address(node), literal.into_boxed_str()));
            }
        }
        // By address, for a binary search; of a key written twice (both
        // numbers may read as the same f64) the record holds the last.
        by_address.reverse();
        by_address.sort_by_key(|(at, _)| *at);
        by_address.dedup_by_key(|(at, _)| *at);
        SourceLiterals { by_address }
    }

    /// True when no number of the record lost digits.
    pub fn is_empty(&self) -> bool {
        self.by_address.is_empty()
    }
}

/// True when `literal` reads as `n`, give or take the last bits: serde_json's
/// float parser need not round the last digit as `str::parse` does.
fn reads_as(literal: &str, n: &Number) -> bool {
    let (Ok(a), Some(b)) = (literal.parse::<f64>(), n.as_f64()) else {
        return false;
    };
    a == b || (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

fn address(v: &Value) -> usize {
    v as *const Value as usize
}

thread_local! {
    /// True while a transform on this thread reads a record with literals.
    static ON: Cell<bool> = const { Cell::new(false) };
    static ACTIVE: RefCell<Active> = const {
        RefCell::new(Active { source: Vec::new(), target: Vec::new() })
    };
}

/// A literal noted below a copied value: its pointer (from the copied
/// value, then from the record's root), the literal and the f64 read for it.
pub(crate) type Noted = (String, Box<str>, f64);

struct Active {
    source: Vec<(usize, Box<str>)>,
    /// Target JSON pointer, literal and the f64 copied with it, in the
    /// order fields were built.
    target: Vec<Noted>,
}

/// The source literals of the record being transformed on this thread;
/// cleared when dropped.
pub(crate) struct Reading(());

impl Reading {
    /// Make `literals` visible to this thread's engine. With none, nothing
    /// is set (one thread-local read), unless a field converts text to a
    /// number with more digits than an f64 holds ([`note_text_number`]).
    pub(crate) fn start(literals: &SourceLiterals) -> Reading {
        if ON.get() || !literals.is_empty() {
            ACTIVE.with_borrow_mut(|a| {
                a.source = literals.by_address.clone();
                a.target.clear();
            });
            ON.set(!literals.is_empty());
        }
        Reading(())
    }

    /// The literals noted at target paths so far, as a tree.
    pub(crate) fn target(&self) -> Literals {
        let mut tree = Literals::default();
        if !active() {
            return tree;
        }
        ACTIVE.with_borrow(|a| {
            for (pointer, literal, f) in &a.target {
                tree.insert(pointer, literal.clone(), *f);
            }
        });
        tree
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        if !ON.get() {
            return;
        }
        ON.set(false);
        ACTIVE.with_borrow_mut(|a| {
            a.source.clear();
            a.target.clear();
        });
    }
}

/// True while the record being transformed has literals (one thread-local
/// read: the only cost to a record without them).
pub(crate) fn active() -> bool {
    ON.get()
}

/// The literal of `v` when it is a lossy number node of the record being read.
pub(crate) fn source_literal(v: &Value) -> Option<Box<str>> {
    if !v.is_number() || !active() {
        return None;
    }
    let at = address(v);
    ACTIVE.with_borrow(|a| literal_at(&a.source, at).map(Box::from))
}

/// The literal of the node at `at` in `source` (sorted by address).
fn literal_at(source: &[(usize, Box<str>)], at: usize) -> Option<&str> {
    let i = source.binary_search_by_key(&at, |(a, _)| *a).ok()?;
    Some(&source[i].1)
}

/// The literals under `v` (a node of the record being read, copied
/// unchanged), as (pointer below `v`, literal). Empty when none.
pub(crate) fn literals_under(v: &Value) -> Vec<Noted> {
    let mut out = Vec::new();
    if active() {
        ACTIVE.with_borrow(|a| collect(v, &a.source, &mut String::new(), &mut out));
    }
    out
}

fn collect(v: &Value, source: &[(usize, Box<str>)], at: &mut String, out: &mut Vec<Noted>) {
    match v {
        Value::Number(n) => {
            let addr = address(v);
            if let Some(l) = literal_at(source, addr) {
                out.push((at.clone(), l.into(), n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                collect(item, source, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                collect(item, source, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// How many target literals are noted: a mark to go back to (the key of a
/// lookup is a copy, but the field holds what the lookup found).
pub(crate) fn target_mark() -> usize {
    if !active() {
        return 0;
    }
    ACTIVE.with_borrow(|a| a.target.len())
}

/// Forget the target literals noted since `mark`.
pub(crate) fn target_back_to(mark: usize) {
    if active() {
        ACTIVE.with_borrow_mut(|a| a.target.truncate(mark));
    }
}

/// Note the literals of a copied value at the target pointer `at`.
pub(crate) fn note_target(at: &str, below: Vec<Noted>) {
    ACTIVE.with_borrow_mut(|a| {
        // A field built again at the same place (a later spec of the same
        // name) replaces what was noted there.
        a.target
            .retain(|(p, _, _)| !(p == at || p.starts_with(&format!("{at}/"))));
        a.target.extend(
            below
                .into_iter()
                .map(|(p, l, f)| (format!("{at}{p}"), l, f)),
        );
    });
}

/// True when `text` (a field's text, such as a CSV column) may be a
/// number with more digits than an f64 holds: the cheap test before
/// keeping it for [`note_text_number`].
pub(crate) fn may_lose_digits(text: &str) -> bool {
    is_candidate(text.as_bytes()) && canonical(text).is_some()
}

/// Note that the field at target pointer `at` converted `text` to the
/// number `n` (`as: number`): when `n` does not hold its digits, the text
/// is the literal written. From here on this record has literals.
pub(crate) fn note_text_number(at: &str, text: &str, n: &Number) {
    if !is_lossy(text, n) {
        return;
    }
    ON.set(true);
    let f = n.as_f64().unwrap_or(f64::NAN);
    note_target(at, vec![(String::new(), text.into(), f)]);
}

/// The literal of number `v` while a record with literals is transformed:
/// a node of the record read, or a value built at target pointer `at`
/// (made only when needed) that is still the number copied there.
#[inline]
pub(crate) fn number_literal(v: &Value, at: &dyn Fn() -> String) -> Option<Box<str>> {
    // Asked of every field checked: only a number goes further.
    match v.is_number() {
        true => number_literal_of(v, at),
        false => None,
    }
}

fn number_literal_of(v: &Value, at: &dyn Fn() -> String) -> Option<Box<str>> {
    if !active() {
        return None;
    }
    if let Some(l) = source_literal(v) {
        return Some(l);
    }
    let f = v.as_f64();
    ACTIVE.with_borrow(|a| {
        // Only a number copied with a literal can have one: the path is
        // made only for those.
        let mut same = a
            .target
            .iter()
            .rev()
            .filter(|(_, _, g)| Some(*g) == f)
            .peekable();
        same.peek()?;
        let at = at();
        same.find(|(p, _, _)| *p == at).map(|(_, l, _)| l.clone())
    })
}

/// The literals of one built record, as a tree of target paths: what the
/// renderer writes in place of the nearest f64.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Literals {
    /// The literal here, and the bits of the f64 that was copied with it.
    here: Option<(Box<str>, u64)>,
    below: Vec<(String, Literals)>,
}

impl Literals {
    /// True when the record has no literal.
    pub(crate) fn is_empty(&self) -> bool {
        self.here.is_none() && self.below.is_empty()
    }

    /// The tree under field or list index `step`.
    pub(crate) fn child(&self, step: &str) -> Option<&Literals> {
        self.below
            .iter()
            .find(|(s, _)| s == step)
            .map(|(_, tree)| tree)
    }

    /// The tree under list item `index`.
    pub(crate) fn item(&self, index: usize) -> Option<&Literals> {
        if self.below.is_empty() {
            return None;
        }
        self.child(&index.to_string())
    }

    /// The literal to write for `v` here: only for a number, and only when
    /// it is still the number copied with the literal (a value changed
    /// after the copy keeps its own text).
    pub(crate) fn literal_for(&self, v: &Value) -> Option<&str> {
        let (literal, bits) = self.here.as_ref()?;
        let f = v.as_number()?.as_f64()?;
        (f.to_bits() == *bits).then_some(literal)
    }

    /// The literal at JSON pointer `pointer` (`/poDetails/0/Item_Price`).
    #[cfg(test)]
    pub(crate) fn at(&self, pointer: &str) -> Option<&str> {
        let mut tree = self;
        for step in pointer.split('/').skip(1) {
            tree = tree.child(&step.replace("~1", "/").replace("~0", "~"))?;
        }
        tree.here.as_ref().map(|(l, _)| &**l)
    }

    fn insert(&mut self, pointer: &str, literal: Box<str>, f: f64) {
        let mut tree = self;
        for step in pointer.split('/').skip(1) {
            let step = step.replace("~1", "/").replace("~0", "~");
            let i = match tree.below.iter().position(|(s, _)| *s == step) {
                Some(i) => i,
                None => {
                    tree.below.push((step, Literals::default()));
                    tree.below.len() - 1
                }
            };
            tree = &mut tree.below[i].1;
        }
        tree.here = Some((literal, f.to_bits()));
    }
}

/// `literal` as plain digits, without an exponent (XML vendors and the
/// digit checks read no exponent): `1.5e3` is `1500`. A literal without an
/// exponent is itself, trailing zeros and all.
pub fn plain_digits(literal: &str) -> String {
    if !literal.contains(['e', 'E']) {
        return literal.to_string();
    }
    let Some((negative, digits, exp)) = canonical(literal) else {
        return literal.to_string();
    };
    if digits.is_empty() {
        return "0".to_string();
    }
    let sign = if negative { "-" } else { "" };
    let len = digits.len() as i64;
    if exp >= 0 {
        return format!("{sign}{digits}{}", "0".repeat(exp as usize));
    }
    let point = len + exp;
    if point > 0 {
        let (int, frac) = digits.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals_of(text: &str) -> Vec<String> {
        let v: Value = serde_json::from_str(text).unwrap();
        let found = SourceLiterals::find(text.as_bytes(), &v);
        // Kept by address: in the text's order here.
        let mut found: Vec<(usize, String)> = found
            .by_address
            .iter()
            .map(|(_, l)| (text.find(l.as_ref()).unwrap(), l.to_string()))
            .collect();
        found.sort();
        found.into_iter().map(|(_, l)| l).collect()
    }

    /// Two numbers of one key that read as one f64: the record holds the
    /// last, and so its literal is the one kept.
    #[test]
    fn a_key_written_twice_keeps_the_last_literal() {
        let text = r#"{"o":{"a":12345678901234567890123,"a":12345678901234567890124}}"#;
        assert_eq!(literals_of(text), ["12345678901234567890124"]);
    }

    #[test]
    fn ordinary_numbers_need_no_second_look() {
        assert!(!may_hold_lossy(
            br#"{"a": 1, "b": -2.5, "c": 123456789012345, "d": 1e10, "e": 0.000000000000001}"#
        ));
        // Long digit runs in strings are text, not numbers.
        assert!(!may_hold_lossy(
            br#"{"id": "12345678901234567890", "q": "\"1\""}"#
        ));
        assert!(may_hold_lossy(br#"{"a": 18446744073709551616}"#));
        assert!(may_hold_lossy(br#"{"a": 1e-400}"#));
    }

    #[test]
    fn only_numbers_that_lose_digits_keep_a_literal() {
        let text = r#"{"big": 18446744073709551616, "u64": 18446744073709551615,
            "i64": -9223372036854775808, "long": 0.1000000000000000055511151231257827,
            "pi": 3.141592653589793, "tiny": 1e-400, "s": "123456789012345678901234567890",
            "list": [1, {"x": 123456789012345678901234567890}], "zeros": 1.0000000000000000}"#;
        assert_eq!(
            literals_of(text),
            [
                "18446744073709551616",
                "0.1000000000000000055511151231257827",
                "1e-400",
                "123456789012345678901234567890"
            ]
        );
    }

    #[test]
    fn a_duplicate_key_keeps_the_last_value_only() {
        let text = r#"{"a": 123456789012345678901234567890, "a": 1}"#;
        assert!(literals_of(text).is_empty());
        let text = r#"{"a": 1, "a": 123456789012345678901234567890}"#;
        assert_eq!(literals_of(text), ["123456789012345678901234567890"]);
    }

    #[test]
    fn text_around_a_value_is_passed_over() {
        let found = candidate_numbers(b" , {\"k\\\"ey\": [0, 12345678901234567890.5]}]");
        assert_eq!(
            found,
            [(
                vec![Step::Key("k\"ey".into()), Step::Index(1)],
                "12345678901234567890.5".to_string()
            )]
        );
    }

    #[test]
    fn literals_are_written_as_plain_digits() {
        assert_eq!(plain_digits("1.5e3"), "1500");
        assert_eq!(
            plain_digits("-12345678901234567890.5e-25"),
            "-0.00000123456789012345678905"
        );
        assert_eq!(plain_digits("18446744073709551616"), "18446744073709551616");
        assert_eq!(plain_digits("0.1000"), "0.1000");
        assert_eq!(plain_digits("1.000e1"), "10");
    }

    #[test]
    fn a_tree_finds_literals_by_pointer() {
        let mut t = Literals::default();
        t.insert("/po/0/a~1b", "1".into(), 1.0);
        assert_eq!(t.at("/po/0/a~1b"), Some("1"));
        assert_eq!(t.item(0), None);
        assert!(t.child("po").and_then(|p| p.item(0)).is_some());
    }
}
