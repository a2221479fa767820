//! A reader of regular JSON text straight into a [`Value`]: one pass over
//! the bytes, no serde visitor, no intermediate strings for keys or text
//! without escapes. It reads only what it can read exactly as serde_json
//! does, and hands back `None` for anything else: a syntax error, a
//! number past 18 digits or with a fraction or exponent that it does not
//! decode itself, a lone surrogate, nesting past serde_json's 128 levels.
//! The caller then asks serde_json, whose answer (the value, or the error
//! with its line and column) is the one that counts. So a record reads the
//! same either way, and only the time differs (the tests below, a proptest
//! among them, compare the two).

use super::{Map, Number, Value};

/// serde_json's default recursion limit.
const MAX_DEPTH: usize = 128;

/// The value of `text`, or `None` when serde_json must be asked.
pub(crate) fn parse(text: &str) -> Option<Value> {
    let mut r = Reader {
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let v = r.value()?;
    r.skip_space();
    (r.pos == r.bytes.len()).then_some(v)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Value::String),
            b't' => self.eat(b"true").map(|_| Value::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Value::Bool(false)),
            b'n' => self.eat(b"null").map(|_| Value::Null),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => None,
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn array(&mut self) -> Option<Value> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.pos += 1;
        } else {
            loop {
                items.push(self.value()?);
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    fn object(&mut self) -> Option<Value> {
        self.enter()?;
        self.pos += 1;
        let mut map = Map::new();
        if self.peek()? == b'}' {
            self.pos += 1;
        } else {
            loop {
                if self.peek()? != b'"' {
                    return None;
                }
                let key = self.string()?;
                if self.peek()? != b':' {
                    return None;
                }
                self.pos += 1;
                let value = self.value()?;
                map.insert(key, value);
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }

    /// A string at the opening quote; the text is valid UTF-8 already (the
    /// caller holds a `&str`), so only quotes, escapes and control
    /// characters need a look.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let start = self.pos;
        let plain = self.bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        self.pos = start + plain;
        let mut out = String::from(std::str::from_utf8(&self.bytes[start..self.pos]).ok()?);
        loop {
            match *self.bytes.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                b if b < 0x20 => return None,
                _ => {
                    let from = self.pos;
                    let run = self.bytes[from..]
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
                    self.pos = from + run;
                    out.push_str(std::str::from_utf8(&self.bytes[from..self.pos]).ok()?);
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Option<()> {
        let c = *self.bytes.get(self.pos)?;
        self.pos += 1;
        let plain = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode(out),
            _ => return None,
        };
        out.push(plain);
        Some(())
    }

    /// `\uXXXX`, a surrogate pair as two; a lone surrogate is serde_json's
    /// to judge.
    fn unicode(&mut self, out: &mut String) -> Option<()> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                self.eat(b"\\u")?;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return None,
            c => c,
        };
        out.push(char::from_u32(code)?);
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        digits
            .iter()
            .try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?))
    }

    /// A number: whole numbers of up to 18 digits are read here (exact in
    /// an i64 or u64, as serde_json holds them); any other number is read
    /// by serde_json's own `Number::from_str`, the routine its parser uses,
    /// so a float has the very bits serde_json gives it.
    fn number(&mut self) -> Option<Number> {
        let start = self.pos;
        let negative = self.bytes[start] == b'-';
        let digits_from = start + usize::from(negative);
        let mut end = digits_from;
        while self.bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let int_len = end - digits_from;
        if int_len == 0 || (int_len > 1 && self.bytes[digits_from] == b'0') {
            return None;
        }
        let whole = !matches!(self.bytes.get(end), Some(b'.' | b'e' | b'E'));
        if whole && int_len <= 18 {
            self.pos = end;
            let n = self.bytes[digits_from..end]
                .iter()
                .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
            // serde_json reads `-0` as the float -0.0.
            return match (negative, n) {
                (false, n) => Some(Number::from(n)),
                (true, 0) => None,
                (true, n) => Some(Number::from(-(n as i64))),
            };
        }
        end = self.float_end(end)?;
        self.pos = end;
        let text = std::str::from_utf8(&self.bytes[start..end]).ok()?;
        text.parse::<Number>().ok()
    }

    /// The end of a number's fraction and exponent, from `at`.
    fn float_end(&self, mut at: usize) -> Option<usize> {
        let digits = |mut i: usize| {
            let from = i;
            while self.bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            (i > from).then_some(i)
        };
        if self.bytes.get(at) == Some(&b'.') {
            at = digits(at + 1)?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(at) {
                at += 1;
            }
            at = digits(at)?;
        }
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// serde_json's reading of `text`, as our reader must give it.
    fn serde(text: &str) -> Option<String> {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .map(|v| serde_json::to_string(&v).unwrap())
    }

    fn ours(text: &str) -> Option<String> {
        parse(text).map(|v| serde_json::to_string(&v).unwrap())
    }

    /// What we read, serde_json reads the same; what we leave, serde_json
    /// is asked (the caller does that), so only agreement is checked here.
    fn agrees(text: &str) {
        if let Some(got) = ours(text) {
            assert_eq!(Some(got), serde(text), "{text:?}");
        }
    }

    #[test]
    fn reads_what_serde_json_reads_the_same_way() {
        let texts = [
            r#"{"order_request_id":"ORQ-000000","n":[0,-1,18446744073709551615,-9223372036854775808,1.0,4200.00,1e3,-0.5e-3,0.1,123456789012345678,1234567890123456789]}"#,
            r#"{"a":"x\u00e9\ud83d\ude00\n\t\"\\\/","b":{"c":[true,false,null,{}]},"a":2}"#,
            " \t\r\n [ 1 , { \"k\" : [ ] } ] \n",
            "\"\"",
            "-0",
            "-0.0",
            "1E+2",
        ];
        for text in texts {
            agrees(text);
        }
        assert!(parse(texts[0]).is_some() && parse(texts[1]).is_some());
        assert_eq!(
            ours(r#"{"a":1,"b":2,"a":3}"#).as_deref(),
            Some(r#"{"a":3,"b":2}"#)
        );
    }

    #[test]
    fn leaves_to_serde_json_what_it_must_judge() {
        for text in [
            "{\"a\":1,}",
            "[1,]",
            "01",
            "1.",
            "1e",
            "-",
            "1e400",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "\"tab\there\"",
            "\"\\x\"",
            "{\"a\" 1}",
            "{1:2}",
            "nul",
            "[1] x",
            "\u{feff}{}",
            "",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert_eq!(parse(&deep), None);
        let ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(parse(&ok).is_some());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn any_text_reads_as_serde_json_reads_it(text in r#"[\[\]{}",:0-9.eE+\- a-z\\u\t\n]{0,40}"#) {
            agrees(&text);
        }

        #[test]
        fn any_number_reads_as_serde_json_reads_it(
            int in "-?(0|[1-9][0-9]{0,25})",
            frac in proptest::option::of("[0-9]{1,20}"),
            exp in proptest::option::of("[eE][+-]?[0-9]{1,3}"),
        ) {
            let text = format!("{int}{}{}", frac.map(|f| format!(".{f}")).unwrap_or_default(), exp.unwrap_or_default());
            agrees(&text);
            agrees(&format!("[{text}]"));
        }
    }
}
