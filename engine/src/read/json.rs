//! A JSON reader for the common case: one record's text straight into a
//! [`Value`], without serde's visitor between the bytes and the tree.
//!
//! It only ever says yes or "not me". Whenever it gives a value, that value
//! is the one serde_json would have read: the same keys in the same order
//! (a repeated key keeps its first place and its last value), the same
//! strings, and numbers read exactly as serde_json reads them (integers that
//! fit u64 or i64 are read here; every other number is handed to serde_json's
//! own number parser). On anything else (a syntax error, bytes that are not
//! UTF-8, a lone surrogate, deep nesting) it gives up, and the caller reads
//! the text with serde_json, which decides and reports errors with their line
//! and column. The tests below check this against serde_json on generated
//! text, valid and broken.

use crate::value::{Map, Number, Value};

/// Deeper than this, serde_json reads the text (it stops at 128 levels).
const MAX_DEPTH: u32 = 100;

/// The value of `text` (one JSON value, with JSON whitespace around it) and
/// whether it holds a number that may not survive the f64 round trip
/// ([`crate::literal::is_candidate`]); `None` when serde_json should read it.
pub(crate) fn parse(bytes: &[u8]) -> Option<(Value, bool)> {
    // One check of the whole line is much cheaper than one per string.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut reader = Reader {
        text,
        bytes,
        at: 0,
        may_hold_lossy: false,
        sizes: [0; SIZED_DEPTHS],
    };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    (reader.at == bytes.len()).then_some((value, reader.may_hold_lossy))
}

struct Reader<'a> {
    text: &'a str,
    /// `text`'s bytes.
    bytes: &'a [u8],
    at: usize,
    may_hold_lossy: bool,
    /// By depth, the number of keys of the last object read there: a
    /// record's objects at one depth are mostly alike (each activity has
    /// the same keys), so the next one starts with room for as many.
    sizes: [u8; SIZED_DEPTHS],
}

/// The depths [`Reader::sizes`] covers; deeper objects start empty.
const SIZED_DEPTHS: usize = 8;

/// The most room an object starts with from [`Reader::sizes`].
const MOST_SIZED: usize = 32;

impl Reader<'_> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, consumed.
    fn next_token(&mut self) -> Option<u8> {
        let mut byte = *self.bytes.get(self.at)?;
        // Compact NDJSON has no whitespace between tokens: test once.
        if byte <= b' ' {
            self.skip_whitespace();
            byte = *self.bytes.get(self.at)?;
        }
        self.at += 1;
        Some(byte)
    }

    fn value(&mut self, depth: u32) -> Option<Value> {
        match self.next_token()? {
            b'"' => self.string().map(Value::String),
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b't' => self.word(b"rue", Value::Bool(true)),
            b'f' => self.word(b"alse", Value::Bool(false)),
            b'n' => self.word(b"ull", Value::Null),
            b'-' | b'0'..=b'9' => {
                self.at -= 1;
                self.number()
            }
            _ => None,
        }
    }

    fn word(&mut self, rest: &[u8], value: Value) -> Option<Value> {
        let end = self.at + rest.len();
        (self.bytes.get(self.at..end)? == rest).then(|| {
            self.at = end;
            value
        })
    }

    fn object(&mut self, depth: u32) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let hint = self.sizes.get(depth as usize).copied().unwrap_or(0);
        let mut map = Map::with_capacity(usize::from(hint));
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Some(Value::Object(map));
        }
        // A repeated key is rare: telling the first keys apart by a
        // fingerprint is cheaper than comparing each with all before it.
        let mut prints = [0u64; 32];
        let mut count = 0;
        loop {
            if self.next_token()? != b'"' {
                return None;
            }
            let key = self.string()?;
            if self.next_token()? != b':' {
                return None;
            }
            let value = self.value(depth)?;
            let print = fingerprint(&key);
            if count < prints.len() && !prints[..count].contains(&print) {
                prints[count] = print;
                count += 1;
                map.push_new(key, value);
            } else {
                map.insert(key, value);
            }
            match self.next_token()? {
                b',' => {}
                b'}' => {
                    if let Some(size) = self.sizes.get_mut(depth as usize) {
                        *size = map.len().min(MOST_SIZED) as u8;
                    }
                    return Some(Value::Object(map));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: u32) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            match self.next_token()? {
                b',' => {}
                b']' => return Some(Value::Array(items)),
                _ => return None,
            }
        }
    }

    /// A string's value; `at` is just past its opening quote.
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        let end = start + plain_run(&self.bytes[start..]);
        match *self.bytes.get(end)? {
            b'"' => {
                self.at = end + 1;
                // Cut at ASCII bytes: always on a character boundary.
                Some(self.text.get(start..end)?.to_owned())
            }
            b'\\' => self.escaped_string(start, end),
            _ => None, // a control character, which JSON forbids unescaped
        }
    }

    /// A string with escapes: `start` is its first byte, `at` its first `\`.
    fn escaped_string(&mut self, start: usize, mut at: usize) -> Option<String> {
        let bytes = self.bytes;
        let mut out = String::with_capacity(at - start + 16);
        out.push_str(self.text.get(start..at)?);
        loop {
            match *bytes.get(at)? {
                b'"' => {
                    self.at = at + 1;
                    return Some(out);
                }
                b'\\' => {
                    let (ch, len) = unescape(bytes.get(at + 1..)?)?;
                    out.push(ch);
                    at += 1 + len;
                }
                0..=0x1f => return None,
                _ => {
                    let run = plain_run(&bytes[at..]);
                    out.push_str(self.text.get(at..at + run)?);
                    at += run;
                }
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let text = self.bytes;
        let start = self.at;
        let negative = text[start] == b'-';
        let digits_start = start + usize::from(negative);
        let mut at = digits_start;
        match text.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => at = skip_digits(text, at),
            _ => return None,
        }
        let digits_end = at;
        if text.get(at) == Some(&b'.') {
            let fraction = at + 1;
            at = skip_digits(text, fraction);
            if at == fraction {
                return None;
            }
        }
        if let Some(b'e' | b'E') = text.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = text.get(at) {
                at += 1;
            }
            let exponent = at;
            at = skip_digits(text, exponent);
            if at == exponent {
                return None;
            }
        }
        self.at = at;
        let token = &text[start..at];
        if crate::literal::is_candidate(token) {
            self.may_hold_lossy = true;
        }
        if at == digits_end {
            if let Some(n) = integer(&text[digits_start..digits_end], negative) {
                return Some(Value::Number(n));
            }
        }
        // Fractions, exponents, -0 and integers past 64 bits: serde_json's
        // own reading, so the f64 is the one it would have made.
        let token = self.text.get(start..at)?;
        token.parse::<Number>().ok().map(Value::Number)
    }
}

/// Equal for equal keys: the length and the first and last four bytes.
fn fingerprint(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let word = |part: &[u8]| {
        let mut buf = [0; 4];
        buf[..part.len()].copy_from_slice(part);
        u64::from(u32::from_le_bytes(buf))
    };
    let head = word(&bytes[..bytes.len().min(4)]);
    let tail = word(&bytes[bytes.len().saturating_sub(4)..]);
    (head | tail << 32) ^ (bytes.len() as u64).rotate_right(8)
}

fn skip_digits(text: &[u8], mut at: usize) -> usize {
    while text.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

/// An integer as serde_json holds it, when it fits: u64 for one without a
/// sign, i64 for a negative one. `None` for -0 (serde_json reads a float)
/// and for more digits than u64 surely holds.
fn integer(digits: &[u8], negative: bool) -> Option<Number> {
    if digits.len() > 19 {
        return None;
    }
    let magnitude = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    match (negative, magnitude) {
        (false, n) => Some(n.into()),
        (true, 0) => None,
        (true, n) if n <= 1 << 63 => Some((n as i64).wrapping_neg().into()),
        (true, _) => None,
    }
}

/// The character an escape stands for and the bytes it takes after its `\`.
fn unescape(after: &[u8]) -> Option<(char, usize)> {
    let simple = match after.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unicode_escape(&after[1..]),
        _ => return None,
    };
    Some((simple, 1))
}

/// `XXXX` or, for a leading surrogate, `XXXX\uXXXX`; a lone surrogate is
/// left to serde_json.
fn unicode_escape(hex: &[u8]) -> Option<(char, usize)> {
    let first = hex4(hex.get(..4)?)?;
    if !(0xD800..0xDC00).contains(&first) {
        return Some((char::from_u32(first)?, 5));
    }
    if hex.get(4..6)? != b"\\u" {
        return None;
    }
    let second = hex4(hex.get(6..10)?)?;
    if !(0xDC00..0xE000).contains(&second) {
        return None;
    }
    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
    Some((char::from_u32(code)?, 11))
}

fn hex4(hex: &[u8]) -> Option<u32> {
    hex.iter()
        .try_fold(0u32, |n, &b| Some(n * 16 + char::from(b).to_digit(16)?))
}

/// The length of the run of `text` before its first `"`, `\` or control
/// character, eight bytes at a time.
fn plain_run(text: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = text.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A byte's high bit is set where it is zero (quote, backslash) or
        // below 0x20; borrows can only mark bytes after a true one, so the
        // lowest mark is the first stop.
        let stops = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word);
        let stops = stops & HIGH;
        if stops != 0 {
            return at + (stops.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + text[at..]
        .iter()
        .position(|&b| matches!(b, b'"' | b'\\' | 0..=0x1f))
        .unwrap_or(text.len() - at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    fn agrees(text: &str) {
        let ours = parse(text.as_bytes()).map(|(v, _)| v);
        match (&ours, serde(text)) {
            (Some(a), Some(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{text}"),
            (Some(a), None) => panic!("{text}: read {a:?}, serde_json refuses it"),
            (None, _) => {}
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            r#" {"a" : -12 , "b" : 1.5e3 , "c" : 0.1 } "#,
            r#"{"a":1,"b":2,"a":3}"#,
            r#"["\u00e9\ud83d\ude00\n\"\\\/\b\f\r\t", "héllo"]"#,
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "-0",
            "0.1000000000000000055511151231257827",
            "1e300",
        ] {
            assert!(parse(text.as_bytes()).is_some(), "{text}");
            agrees(text);
        }
    }

    #[test]
    fn keys_keep_their_first_place_and_last_value() {
        let (v, _) = parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(v["a"], Value::Number(3u64.into()));
        // Same length, same first and last four bytes: one fingerprint.
        let (v, _) = parse(br#"{"abcdXwxyz":1,"abcdYwxyz":2,"abcdXwxyz":3}"#).unwrap();
        let entries: Vec<_> = v.as_object().unwrap().iter().collect();
        assert_eq!(
            format!("{entries:?}"),
            r#"[("abcdXwxyz", Number(3)), ("abcdYwxyz", Number(2))]"#
        );
    }

    /// Past 32 keys an object goes on in its map: repeats before and after
    /// that point keep their first place and last value.
    #[test]
    fn big_objects_read_as_serde_json_reads_them() {
        for n in [31, 32, 33, 40, 100] {
            let mut keys: Vec<String> = (0..n).map(|i| format!("key{i}")).collect();
            keys.insert(5, "key0".into());
            keys.push("key3".into());
            keys.push(format!("key{}", n - 1));
            let text = format!(
                "{{{}}}",
                keys.iter()
                    .enumerate()
                    .map(|(i, k)| format!("\"{k}\":{i}"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let (v, _) = parse(text.as_bytes()).expect("plain JSON");
            assert_eq!(v.as_object().unwrap().len(), n, "{text}");
            agrees(&text);
        }
    }

    #[test]
    fn integers_keep_their_kind() {
        let (v, _) = parse(b"[18446744073709551615, -9223372036854775808, -0, 7]").unwrap();
        let items = v.as_array().unwrap();
        assert_eq!(items[0].as_u64(), Some(u64::MAX));
        assert_eq!(items[1].as_i64(), Some(i64::MIN));
        assert!(items[2].is_f64(), "serde_json reads -0 as a float");
        assert!(items[3].is_u64());
    }

    #[test]
    fn gives_up_on_what_is_not_plain_json() {
        for text in [
            "",
            "{",
            r#"{"a":1,}"#,
            "[1,]",
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "tru",
            "nul",
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\x""#,
            "\"a\tb\"",
            r#"{"a":1} x"#,
            "1e400",
        ] {
            assert!(parse(text.as_bytes()).is_none(), "{text:?}");
        }
        assert!(parse("[".repeat(101).as_bytes()).is_none(), "deep nesting");
        assert!(parse(format!("{}{}", "[".repeat(100), "]".repeat(100)).as_bytes()).is_some());
        assert!(parse(b"\"\xff\"").is_none(), "bytes that are not UTF-8");
    }

    #[test]
    fn flags_numbers_that_may_lose_digits() {
        assert!(!parse(br#"{"a":1.5,"b":"12345678901234567890"}"#).unwrap().1);
        assert!(parse(br#"{"a":12345678901234567890}"#).unwrap().1);
        assert!(parse(b"[1e100]").unwrap().1);
    }

    #[test]
    fn plain_run_stops_at_the_first_stop() {
        for (text, want) in [
            (&b"abcdefghij\"k"[..], 10),
            (b"abc\\defghijkl", 3),
            (b"abcdefgh\x01", 8),
            (b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", 10),
            (b"abc", 3),
            (b"", 0),
        ] {
            assert_eq!(plain_run(text), want, "{text:?}");
        }
    }

    /// Pieces of JSON text, glued at random: mostly valid documents, and
    /// broken ones where the glue falls wrong.
    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("null".to_string()),
            Just("true".to_string()),
            Just("\"k\"".to_string()),
            Just("\"k\":".to_string()),
            "-?(0|[1-9][0-9]{0,21})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
            "\"([a-zé😀 ]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4}|\\\\ud83d\\\\ude00)*\"",
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
    }

    fn document() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            ".*".prop_map(serde_json::Value::String),
        ];
        let value = leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                proptest::collection::vec(("[a-c]{1,2}", inner), 0..6).prop_map(|entries| {
                    serde_json::Value::Object(entries.into_iter().collect())
                }),
            ]
        });
        (value, any::<bool>()).prop_map(|(v, pretty)| {
            if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_serde_json_on_glued_pieces(text in pieces()) {
            agrees(&text);
        }

        #[test]
        fn reads_every_document_serde_json_writes(text in document()) {
            prop_assert!(parse(text.as_bytes()).is_some(), "{}", text);
            agrees(&text);
        }

        #[test]
        fn agrees_with_serde_json_on_cut_documents(text in document(), cut in any::<prop::sample::Index>()) {
            let at = cut.index(text.len() + 1);
            if let Some(cut) = text.get(..at) {
                agrees(cut);
            }
        }
    }
}
