//! Read: input files into records.
//!
//! NDJSON is read a line at a time, so memory does not grow with the input,
//! and a malformed line fails that record only (with its line number), not
//! the batch. A JSON document is one payload: its records are the array
//! under a JSONPath, the elements of a top-level array, or the document
//! itself. XML is read into the same value tree, built from quick-xml's
//! events (its serde path drops repeated elements); DTDs and custom entities
//! are refused, so entity bombs and XXE fail safely.

use std::fmt;
use std::io::BufRead;

use crate::value::{Map, Value};

mod json;

/// Input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputFormat {
    /// One JSON document.
    Json,
    /// One JSON value per line.
    Ndjson,
    /// One XML document.
    Xml,
    /// Comma-separated values with a header row.
    Csv,
}

impl InputFormat {
    /// Parse a format name (`json`, `ndjson`, `jsonl`, `xml`, `csv`).
    pub fn parse(s: &str) -> Option<InputFormat> {
        Some(match s {
            "json" => InputFormat::Json,
            "ndjson" | "jsonl" => InputFormat::Ndjson,
            "xml" => InputFormat::Xml,
            "csv" => InputFormat::Csv,
            _ => return None,
        })
    }

    /// The format a file name gives: `.ndjson`/`.jsonl`, `.json`, `.csv`, `.xml`.
    pub fn from_name(name: &str) -> Option<InputFormat> {
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.')?.1;
        match ext {
            "ndjson" | "jsonl" => Some(InputFormat::Ndjson),
            "json" => Some(InputFormat::Json),
            "csv" => Some(InputFormat::Csv),
            "xml" => Some(InputFormat::Xml),
            _ => None,
        }
    }

    /// The format the first non-blank line gives, read whole (see
    /// `sniff`, which also looks past it when the line alone cannot
    /// tell). `at_end` says nothing but white space follows the line.
    ///
    /// - `<` is XML.
    /// - A line that is the start of a JSON value cut short by its line
    ///   end (`{`, `[`, `{"a": [1,`) starts a JSON document spanning lines
    ///   (a pretty-printed one); if that does not parse, it is one rejected
    ///   record.
    /// - A line that is a whole JSON array is a JSON document: one array
    ///   per line is what `--batch-size` writes.
    /// - A line that is any other whole JSON value is an NDJSON record when
    ///   more follows, and a one-line JSON document when it is all there
    ///   is (so `select:` applies to it).
    /// - Any other line (`{"a":[1,2}`, `{"a": NaN}`, `{"a": 1e400}`, `x`)
    ///   is broken: it is one rejected NDJSON record, and the lines after
    ///   it are read as NDJSON.
    pub fn detect(line: &[u8], at_end: bool) -> InputFormat {
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        if line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            return InputFormat::Xml;
        }
        first_line(line).format(at_end)
    }
}

/// What the first non-blank line of an input is, as JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FirstLine {
    /// One whole JSON value (an array or not).
    Whole { array: bool },
    /// The start of a JSON value that the end of the line cuts short.
    Unfinished,
    /// Anything else: not JSON, or JSON with a fault on this line.
    Broken,
}

impl FirstLine {
    fn format(self, at_end: bool) -> InputFormat {
        match self {
            FirstLine::Unfinished | FirstLine::Whole { array: true } => InputFormat::Json,
            FirstLine::Whole { array: false } if at_end => InputFormat::Json,
            FirstLine::Whole { array: false } | FirstLine::Broken => InputFormat::Ndjson,
        }
    }
}

fn first_line(line: &[u8]) -> FirstLine {
    match serde_json::from_slice::<Value>(line) {
        Ok(v) => FirstLine::Whole {
            array: v.is_array(),
        },
        Err(e) if e.is_eof() => FirstLine::Unfinished,
        Err(_) => FirstLine::Broken,
    }
}

/// Decide the format of an input that neither an option nor its name
/// gives, reading only what that needs: up to the end of the first
/// non-blank line (a slow pipe is waited for, a long line read whole), or
/// less when the first byte is `<`. When that line is a whole JSON value
/// other than an array, the first byte after it is waited for too (more
/// lines make NDJSON, none a one-line document: [`InputFormat::detect`]).
/// Returns the format (`None` for an empty input) and the bytes read,
/// which the caller reads again first.
pub fn sniff(input: &mut dyn BufRead) -> std::io::Result<(Option<InputFormat>, Vec<u8>)> {
    let mut head = Vec::new();
    let Some(line) = first_non_blank_line(input, &mut head)? else {
        return Ok((None, head));
    };
    let text = &head[line.clone()];
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        return Ok((Some(InputFormat::Xml), head));
    }
    let kind = first_line(text);
    let at_end = match kind {
        FirstLine::Whole { array: false } => only_blanks_follow(input, &mut head)?,
        _ => false,
    };
    Ok((Some(kind.format(at_end)), head))
}

/// Read into `head` up to the end of the first non-blank line (or of the
/// input), or only to the first byte of that line when it is `<`. Returns
/// where that line is in `head`, `None` for an input of white space.
fn first_non_blank_line(
    input: &mut dyn BufRead,
    head: &mut Vec<u8>,
) -> std::io::Result<Option<std::ops::Range<usize>>> {
    let mut line_start = 0;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            let blank = head[line_start..].iter().all(u8::is_ascii_whitespace);
            return Ok((!blank).then_some(line_start..head.len()));
        }
        let (take, line_ends) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        head.extend_from_slice(&buf[..take]);
        input.consume(take);
        let line = &head[line_start..];
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        match line.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => return Ok(Some(line_start..head.len())),
            Some(_) if line_ends => return Ok(Some(line_start..head.len())),
            None if line_ends => line_start = head.len(),
            _ => {}
        }
    }
}

/// Read white space into `head` up to the next other byte (left unread)
/// or the end of the input: true when the input ends first.
fn only_blanks_follow(input: &mut dyn BufRead, head: &mut Vec<u8>) -> std::io::Result<bool> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(true);
        }
        let blanks = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let more = blanks < buf.len();
        head.extend_from_slice(&buf[..blanks]);
        input.consume(blanks);
        if more {
            return Ok(false);
        }
    }
}

/// An input opened for reading: its format, and its bytes from the start.
pub type Opened<'a> = (InputFormat, Box<dyn BufRead + Send + 'a>);

/// The format of `input` (the option, else the file name, else the first
/// line: [`sniff`]) and its bytes, or `None` when it holds nothing but
/// white space (an ETL step may get an empty stream).
pub fn open_input<'a>(
    name: &str,
    option: Option<InputFormat>,
    mut input: Box<dyn BufRead + Send + 'a>,
) -> std::io::Result<Option<Opened<'a>>> {
    let given = option.or_else(|| InputFormat::from_name(name));
    if let Some(format) = given {
        let head = input.fill_buf()?;
        if head.is_empty() {
            return Ok(None);
        }
        if !head.iter().all(u8::is_ascii_whitespace) {
            return Ok(Some((format, input)));
        }
    }
    let (sniffed, head) = sniff(&mut input)?;
    let Some(sniffed) = sniffed else {
        return Ok(None);
    };
    let again: Box<dyn BufRead + Send + 'a> =
        Box::new(std::io::Read::chain(std::io::Cursor::new(head), input));
    Ok(Some((given.unwrap_or(sniffed), again)))
}

/// An input that could not be read as a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl ReadError {
    fn json(e: &serde_json::Error, line_offset: usize) -> ReadError {
        ReadError {
            line: Some(e.line() + line_offset),
            column: Some(e.column()),
            message: format!("not valid JSON: {}", strip_position(&e.to_string())),
        }
    }
}

fn strip_position(msg: &str) -> &str {
    msg.split(" at line ").next().unwrap_or(msg)
}

/// Parse one JSON document, with a clear error for empty text.
pub fn parse_json(text: &[u8]) -> Result<Value, ReadError> {
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError {
            line: None,
            column: None,
            message: "the input is empty".into(),
        });
    }
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    serde_json::from_slice(text).map_err(|e| ReadError::json(&e, 0))
}

/// Parse one JSON document, or several one after another (mapwright's own
/// `--batch-size` output: an envelope per line).
pub fn parse_json_documents(text: &[u8]) -> Result<Vec<Value>, ReadError> {
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError {
            line: None,
            column: None,
            message: "the input is empty".into(),
        });
    }
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    serde_json::Deserializer::from_slice(text)
        .into_iter::<Value>()
        .map(|d| d.map_err(|e| ReadError::json(&e, 0)))
        .collect()
}

/// One NDJSON line, read: its 1-based line number and its value (or why not).
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    /// The value.
    pub value: Result<Value, ReadError>,
    /// False when the line surely holds no number that an f64 cannot hold
    /// as written, so there are no literals to look for
    /// ([`crate::literal::SourceLiterals::find`]).
    pub may_hold_lossy: bool,
}

impl Line {
    /// The record and the numbers in it that keep their digits beside it
    /// (`bytes` is this line's text), or why the line is not a record.
    pub fn into_record(
        self,
        bytes: &[u8],
    ) -> Result<(Value, crate::literal::SourceLiterals), ReadError> {
        let value = self.value?;
        let literals = if self.may_hold_lossy {
            crate::literal::SourceLiterals::find(bytes, &value)
        } else {
            crate::literal::SourceLiterals::default()
        };
        Ok((value, literals))
    }
}

/// Reads NDJSON a line at a time, skipping blank lines.
pub struct NdjsonReader<R> {
    input: R,
    line: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> NdjsonReader<R> {
    /// Read from `input`.
    pub fn new(input: R) -> NdjsonReader<R> {
        NdjsonReader {
            input,
            line: 0,
            buf: Vec::with_capacity(4096),
        }
    }
}

impl<R: BufRead> NdjsonReader<R> {
    /// The next non-blank line, unparsed: its number and bytes (valid until
    /// the next call). For callers that parse elsewhere (worker threads).
    pub fn next_raw(&mut self) -> Option<std::io::Result<(usize, &[u8])>> {
        loop {
            self.buf.clear();
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
            self.line += 1;
            let skip = if self.line == 1 && self.buf.starts_with(b"\xef\xbb\xbf") {
                3
            } else {
                0
            };
            if !self.buf[skip..].iter().all(u8::is_ascii_whitespace) {
                return Some(Ok((self.line, &self.buf[skip..])));
            }
        }
    }
}

/// Parse one NDJSON line (`number` is its 1-based line number).
pub fn parse_line(number: usize, bytes: &[u8]) -> Line {
    if let Some((value, may_hold_lossy)) = json::parse(bytes) {
        return Line {
            number,
            value: Ok(value),
            may_hold_lossy,
        };
    }
    // One UTF-8 check of the whole line is cheaper than serde_json's check
    // of each string in it; text that is not UTF-8 takes the byte path,
    // which reports where.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    };
    let value = parsed.map_err(|e| {
        let mut err = ReadError::json(&e, number - 1);
        // A line cut short ends at its newline: serde_json then points past
        // it, at the start of the next line; the fault is on this one.
        if err.line.is_some_and(|l| l > number) {
            err.line = Some(number);
            err.column = Some(String::from_utf8_lossy(bytes).trim_end().chars().count() + 1);
        }
        err
    });
    Line {
        number,
        value,
        may_hold_lossy: true,
    }
}

/// A line without its line end (`\n` or `\r\n`).
pub fn without_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<R: BufRead> Iterator for NdjsonReader<R> {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_raw()?.map(|(n, bytes)| parse_line(n, bytes)))
    }
}

/// The XML documents of an input, each with the line it starts on: one,
/// or several each starting with its own `<?xml` declaration, as `convert
/// --output-format xml --batch-size N` writes them (text before the first
/// declaration, if any, is a document of its own).
pub fn xml_documents(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let starts: Vec<usize> = bytes
        .windows(5)
        .enumerate()
        .filter(|(_, w)| *w == b"<?xml")
        .map(|(i, _)| i)
        .collect();
    if starts.len() <= 1 {
        return vec![(1, bytes)];
    }
    let line_of = |at: usize| 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
    let mut out = Vec::new();
    if !bytes[..starts[0]].trim_ascii().is_empty() {
        out.push((1, &bytes[..starts[0]]));
    }
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(bytes.len());
        out.push((line_of(start), &bytes[start..end]));
    }
    out
}

/// The text of one XML document that starts on line `first`: UTF-8, or
/// Latin-1 where its declaration says `encoding="ISO-8859-1"` (each byte
/// is the character of that number). Other bytes that are not UTF-8 are an
/// error at the line and column of the first of them.
pub fn xml_text(bytes: &[u8], first: usize) -> Result<std::borrow::Cow<'_, str>, ReadError> {
    let bad = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(std::borrow::Cow::Borrowed(text)),
        Err(e) => e.valid_up_to(),
    };
    if declares_latin1(bytes) {
        return Ok(std::borrow::Cow::Owned(
            bytes.iter().map(|b| char::from(*b)).collect(),
        ));
    }
    let before = &bytes[..bad];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Err(ReadError {
        line: Some(first + before.iter().filter(|b| **b == b'\n').count()),
        column: Some(column),
        message: format!(
            "not UTF-8 text (byte 0x{:02X}); a Latin-1 document says so with <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
            bytes[bad]
        ),
    })
}

/// Whether an XML declaration at the start of `bytes` names Latin-1.
fn declares_latin1(bytes: &[u8]) -> bool {
    let bytes = bytes.trim_ascii_start();
    let Some(end) = bytes.windows(2).position(|w| w == b"?>") else {
        return false;
    };
    let declaration = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    if !declaration.starts_with("<?xml") {
        return false;
    }
    let Some((_, after)) = declaration.split_once("encoding") else {
        return false;
    };
    let name = after
        .trim_start()
        .trim_start_matches('=')
        .trim_start()
        .trim_start_matches(['"', '\''])
        .split(['"', '\''])
        .next()
        .unwrap_or("");
    matches!(
        name,
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1"
    )
}

const MAX_XML_DEPTH: usize = 128;

/// Parse an XML document into a value tree: an element with attributes or
/// child elements becomes an object (attributes and children as keys, a
/// repeated child as an array), an element with only text becomes its text.
/// Returns the root element's name and value.
pub fn parse_xml(text: &str) -> Result<(String, Value), ReadError> {
    use quick_xml::events::Event;
    if text.trim().is_empty() {
        return Err(ReadError {
            line: None,
            column: None,
            message: "the input is empty".into(),
        });
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let at = |pos: u64, message: String| {
        let pos = (pos as usize).min(text.len());
        let mut cut = pos;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let before = &text[..cut];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count() + 1)
            .unwrap_or(1);
        ReadError {
            line: Some(line),
            column: Some(column),
            message,
        }
    };
    // Each open element: its name, its map, and the text seen so far.
    let mut stack: Vec<(String, Map, String)> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| at(reader.error_position(), format!("not valid XML: {e}")))?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(at(
                    reader.buffer_position(),
                    "not valid XML: more than one root element".into(),
                ));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(at(
                        reader.buffer_position(),
                        format!("XML nested deeper than {MAX_XML_DEPTH} elements"),
                    ));
                }
                let name = e.name().as_ref().to_string();
                let mut attrs = Map::new();
                for a in e.attributes() {
                    let a = a.map_err(|err| {
                        at(reader.buffer_position(), format!("not valid XML: {err}"))
                    })?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| {
                            at(reader.buffer_position(), format!("not valid XML: {err}"))
                        })?;
                    attrs.insert(a.key.as_ref().to_string(), Value::String(v.into_owned()));
                }
                stack.push((name, attrs, String::new()));
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root);
                }
            }
            Event::End(_) => close(&mut stack, &mut root),
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.to_string();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(at(
                                    reader.buffer_position(),
                                    format!("entity '&{name};' is not allowed (only the five XML entities and character references are)"),
                                ))
                            }
                        }
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.2.push_str(&resolved);
                }
            }
            Event::DocType(_) => {
                return Err(at(
                    reader.buffer_position(),
                    "a DOCTYPE is not allowed (DTDs are not processed)".into(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(at(
            text.len() as u64,
            format!(
                "not valid XML: element <{}> is never closed",
                stack[stack.len() - 1].0
            ),
        ));
    }
    root.ok_or_else(|| ReadError {
        line: None,
        column: None,
        message: "no XML element found".into(),
    })
}

fn close(stack: &mut Vec<(String, Map, String)>, root: &mut Option<(String, Value)>) {
    let Some((name, map, text)) = stack.pop() else {
        return;
    };
    let value = if map.is_empty() {
        Value::String(text.trim().to_string())
    } else {
        Value::Object(map)
    };
    match stack.last_mut() {
        Some((_, parent, _)) => match parent.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                parent.insert(name, value);
            }
        },
        None => *root = Some((name, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_keeps_repeated_elements() {
        let (root, v) = parse_xml(
            "<InputXML><OrderDetails><OrderDetail Description=\"Blazer\" Quantity=\"5\" /><OrderDetail Description=\"Trousers &amp; socks\" /></OrderDetails></InputXML>",
        )
        .unwrap();
        assert_eq!(root, "InputXML");
        assert_eq!(
            v["OrderDetails"]["OrderDetail"][1]["Description"],
            "Trousers & socks"
        );
    }

    #[test]
    fn xml_refuses_entities_and_doctype() {
        let e = parse_xml("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>").unwrap_err();
        assert!(e.message.contains("DOCTYPE"), "{e}");
        let e = parse_xml("<x>&custom;</x>").unwrap_err();
        assert!(e.message.contains("not allowed"), "{e}");
    }

    #[test]
    fn xml_errors_have_positions() {
        let e = parse_xml("<a>\n<b></a>").unwrap_err();
        assert_eq!(e.line, Some(2));
        let deep = format!("{}{}", "<a>".repeat(500), "</a>".repeat(500));
        assert!(parse_xml(&deep).unwrap_err().message.contains("deeper"));
    }

    #[test]
    fn ndjson_bad_line_is_its_own_error() {
        let input = b"{\"a\":1}\n\n{bad\n{\"a\":2}\n";
        let lines: Vec<Line> = NdjsonReader::new(&input[..]).map(Result::unwrap).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].number, 3);
        assert_eq!(lines[1].value.as_ref().unwrap_err().line, Some(3));
        assert_eq!(lines[2].value.as_ref().unwrap()["a"], 2);
    }

    #[test]
    fn detects_formats() {
        use InputFormat::{Json, Ndjson, Xml};
        let cases: [(&[u8], bool, InputFormat); 12] = [
            // A whole value with more after it is an NDJSON record; alone,
            // a one-line document.
            (b"{\"a\":1}\n", false, Ndjson),
            (b"{\"a\":1}\n", true, Json),
            (b"42\r\n", false, Ndjson),
            // A whole array is a document (one per line: --batch-size).
            (b"[{\"a\":1}]\n", false, Json),
            // The start of a value cut short by the line end: a pretty document.
            (b"{\n", false, Json),
            (b"[\r\n", false, Json),
            (b"{\"a\": \"{\", \"b\": [", false, Json),
            // Broken on this line: one rejected NDJSON record.
            (b"{\"a\":[1,2}\n", false, Ndjson),
            (b"[1,2}\n", true, Ndjson),
            (b"{\"a\": 1e400}\n", false, Ndjson),
            (b"{\"a\": NaN}\n", false, Ndjson),
            (b"  <x/>", false, Xml),
        ];
        for (line, at_end, format) in cases {
            let shown = String::from_utf8_lossy(line);
            assert_eq!(InputFormat::detect(line, at_end), format, "{shown:?}");
        }
        assert_eq!(InputFormat::from_name("x.JSONL"), Some(InputFormat::Ndjson));
        assert_eq!(InputFormat::from_name("x.csv"), Some(InputFormat::Csv));
        assert_eq!(InputFormat::from_name("-"), None);
    }

    #[test]
    fn a_whole_first_value_waits_for_what_follows_it() {
        let sniffed = |text: &[u8]| {
            let mut input = std::io::BufReader::with_capacity(4, text);
            let (format, head) = sniff(&mut input).unwrap();
            let mut rest = Vec::new();
            std::io::Read::read_to_end(&mut input, &mut rest).unwrap();
            (format, [head, rest].concat() == text)
        };
        let json = Some(InputFormat::Json);
        let ndjson = Some(InputFormat::Ndjson);
        assert_eq!(sniffed(b"{\"a\":1}"), (json, true));
        assert_eq!(sniffed(b"{\"a\":1}\n \n\n"), (json, true));
        assert_eq!(sniffed(b"{\"a\":1}\n\n  {\"a\":2}\n"), (ndjson, true));
        assert_eq!(sniffed(b"{\"a\":[1,2}\n{\"a\":2}\n"), (ndjson, true));
        assert_eq!(sniffed(b"{\n  \"a\": [1,2}\n}\n"), (json, true));
    }

    #[test]
    fn sniffing_reads_the_first_non_blank_line_whole() {
        let long = format!("\n\n{{\"a\": \"{}\"}}\n{{}}\n", "x".repeat(200_000));
        let mut input = std::io::BufReader::with_capacity(1024, long.as_bytes());
        let (format, head) = sniff(&mut input).unwrap();
        assert_eq!(format, Some(InputFormat::Ndjson));
        assert_eq!(head.len(), 2 + 200_010);
        let (format, head) = sniff(&mut &b"  \n\n"[..]).unwrap();
        assert_eq!((format, head.len()), (None, 4));
    }
}
