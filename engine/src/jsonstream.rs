//! Stream the records of JSON documents without holding a document: a
//! scanner that checks the structure (brackets, strings, colons, commas)
//! and cuts out each record's text, which serde_json then parses on its
//! own. Cutting first is what lets a broken record cost only itself: the
//! scanner finds where the next one starts, and the broken one is kept as
//! written, with every line it spans. Scalars are taken as runs of bytes
//! and judged by serde_json (`NaN`, `1e400` break one record, not the scan).

use std::io::{self, BufRead};

use crate::value::Value;

use crate::literal::SourceLiterals;
use crate::read::ReadError;
use crate::report::RawLines;

/// Containers nested deeper than this are a fault (serde_json's limit too),
/// so a hostile input cannot grow the scanner's stack without end.
const MAX_DEPTH: usize = 128;

/// One piece of a streamed document, handed on as it is read.
pub enum Piece {
    /// A record: its value, the literals of its numbers, its text.
    Record(Value, SourceLiterals, RawLines),
    /// Text that is no record: a broken element, or the rest of a document
    /// after a fault the scanner cannot get past.
    Broken(RawLines, ReadError),
}

/// How a streamed read ended, when it did not end well.
pub enum Unstreamed {
    /// Reading failed.
    Io(io::Error),
    /// Nothing but white space.
    Empty,
    /// On trial, the first document broke before any piece of it was
    /// handed on: these are all the bytes read, for the caller to read
    /// again another way (as NDJSON lines), followed by the rest.
    Untried(Vec<u8>),
}

/// Read the records of every document in `input` (documents one after
/// another are read in turn: `--batch-size` writes an envelope per line):
/// the elements of the array at `path` (object keys from the root), the
/// elements of a top-level array for an empty path, or a top-level value
/// that is not an array. `each` gets each piece and returns false to stop.
/// With `trial`, a first document that breaks before any piece is
/// [`Unstreamed::Untried`] instead of a broken piece.
pub fn stream_json_records(
    input: &mut dyn BufRead,
    path: &[String],
    trial: bool,
    each: &mut dyn FnMut(Piece) -> bool,
) -> Result<(), Unstreamed> {
    let mut scan = Scan::new(input, trial);
    let mut any = false;
    let result = (|| -> Result<(), Stop> {
        while scan.skip_blanks()?.is_some() {
            any = true;
            scan.document(path, each)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) if !any => Err(Unstreamed::Empty),
        Ok(()) | Err(Stop::Stopped) => Ok(()),
        Err(Stop::Io(e)) => Err(Unstreamed::Io(e)),
        Err(Stop::Fault(fault)) => match scan.trial.take() {
            Some(kept) if second_line_is_a_value(&kept) => Err(Unstreamed::Untried(kept)),
            kept => scan
                .rest_is_broken(kept.unwrap_or_default(), fault, each)
                .map_err(Unstreamed::Io),
        },
    }
}

/// Why scanning stopped short.
enum Stop {
    Io(io::Error),
    /// `each` asked to stop.
    Stopped,
    /// A fault in the structure outside any record.
    Fault(ReadError),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

/// A fault inside a value: what is wrong, and how many containers were
/// open when it was found (to find the value's end by counting).
struct Fault {
    error: ReadError,
    open: usize,
}

struct Scan<'r> {
    input: &'r mut dyn BufRead,
    /// Line and column (1-based) of the next byte.
    line: usize,
    column: usize,
    /// The bytes of the piece being cut, while one is.
    piece: Option<Vec<u8>>,
    /// Every byte read, while the read is on trial.
    trial: Option<Vec<u8>>,
    /// The last piece handed on was broken (and ran to where it could).
    last_broken: bool,
}

impl<'r> Scan<'r> {
    fn new(input: &'r mut dyn BufRead, trial: bool) -> Scan<'r> {
        Scan {
            input,
            line: 1,
            column: 1,
            piece: None,
            trial: trial.then(Vec::new),
            last_broken: false,
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.input.fill_buf() {
                Ok(buf) => return Ok(buf.first().copied()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Take the next byte.
    fn bump(&mut self) -> io::Result<Option<u8>> {
        let Some(b) = self.peek()? else {
            return Ok(None);
        };
        self.input.consume(1);
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            self.column += 1;
        }
        if let Some(piece) = &mut self.piece {
            piece.push(b);
        }
        if let Some(kept) = &mut self.trial {
            kept.push(b);
        }
        Ok(Some(b))
    }

    /// Skip white space (and a byte order mark); the next byte, unread.
    fn skip_blanks(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.peek()? {
                Some(b) if b.is_ascii_whitespace() => {}
                Some(b'\xef') if self.line == 1 && self.column == 1 => {
                    let bom = self.input.fill_buf()?.starts_with(b"\xef\xbb\xbf");
                    if !bom {
                        return Ok(Some(b'\xef'));
                    }
                    self.bump()?;
                    self.bump()?;
                }
                other => return Ok(other),
            }
            self.bump()?;
        }
    }

    fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError {
            line: Some(self.line),
            column: Some(self.column),
            message: format!("not valid JSON: {}", message.into()),
        }
    }

    fn fault(&self, message: impl Into<String>) -> Stop {
        Stop::Fault(self.error(message))
    }

    /// One document: records under `path`, or the document itself.
    fn document(
        &mut self,
        path: &[String],
        each: &mut dyn FnMut(Piece) -> bool,
    ) -> Result<(), Stop> {
        match (path.split_first(), self.skip_blanks()?) {
            (None, Some(b'[')) => self.elements(each),
            // Nothing a value can start with: taken as it is, the scan
            // would not move on.
            (None, Some(b',' | b']' | b'}' | b':')) => Err(self.fault("expected a value")),
            (None, _) => self.piece(each).map(|_| ()),
            (Some((key, rest)), Some(b'{')) => self.members(key, rest, each),
            (Some(_), _) => self.skip_value(),
        }
    }

    /// Skip a value that holds no records.
    fn skip_value(&mut self) -> Result<(), Stop> {
        self.value().map_err(|f| Stop::Fault(f.error))
    }

    /// The members of an object on the way to the records: `key`'s value
    /// is walked into, the others skipped.
    fn members(
        &mut self,
        key: &str,
        rest: &[String],
        each: &mut dyn FnMut(Piece) -> bool,
    ) -> Result<(), Stop> {
        self.bump()?;
        if self.skip_blanks()? == Some(b'}') {
            self.bump()?;
            return Ok(());
        }
        loop {
            if self.skip_blanks()? != Some(b'"') {
                return Err(self.fault("expected a key in double quotes"));
            }
            let name = self.key()?;
            if self.skip_blanks()? != Some(b':') {
                return Err(self.fault("expected `:` after a key"));
            }
            self.bump()?;
            if name == key {
                self.document(rest, each)?;
            } else {
                self.skip_value()?;
            }
            let next = self.skip_blanks()?;
            if matches!(next, Some(b',' | b'}')) {
                self.bump()?;
            }
            match next {
                Some(b',') => {}
                Some(b'}') => return Ok(()),
                _ => return Err(self.fault("expected `,` or `}` after a value")),
            }
        }
    }

    /// A key, decoded (escapes and all).
    fn key(&mut self) -> Result<String, Stop> {
        let outer = self.piece.replace(Vec::new());
        let scanned = self.string();
        let text = std::mem::replace(&mut self.piece, outer).unwrap_or_default();
        if let Some(piece) = &mut self.piece {
            piece.extend_from_slice(&text);
        }
        scanned.map_err(|f| Stop::Fault(f.error))?;
        serde_json::from_slice(&text).map_err(|_| self.fault("a key that is not a valid string"))
    }

    /// The elements of an array, each one piece.
    fn elements(&mut self, each: &mut dyn FnMut(Piece) -> bool) -> Result<(), Stop> {
        self.bump()?;
        if self.skip_blanks()? == Some(b']') {
            self.bump()?;
            return Ok(());
        }
        loop {
            if self.piece(each)? {
                return Ok(());
            }
            let next = self.skip_blanks()?;
            if matches!(next, Some(b',' | b']')) {
                self.bump()?;
            }
            match next {
                Some(b',') => {}
                Some(b']') => return Ok(()),
                _ => return Err(self.fault("expected `,` or `]` after an element")),
            }
        }
    }

    /// Cut one value out as a piece and hand it on: a record when it
    /// parses, else broken. A value with a fault in its structure ends
    /// where its brackets, counted, close; true when that is past the end
    /// of the array it is in (its `]` is taken).
    fn piece(&mut self, each: &mut dyn FnMut(Piece) -> bool) -> Result<bool, Stop> {
        self.skip_blanks()?;
        let first = self.line;
        self.piece = Some(Vec::new());
        let scanned = self.value();
        let (closed_array, fault) = match scanned {
            Ok(()) => (false, None),
            // On trial, a broken first piece is the caller's to read again.
            Err(Fault { error, .. }) if self.trial.is_some() => return Err(Stop::Fault(error)),
            Err(Fault { error, open }) => (self.recover(open)?, Some(error)),
        };
        let mut bytes = self.piece.take().unwrap_or_default();
        if closed_array {
            bytes.pop();
        }
        let text = bytes.trim_ascii_end();
        let last = first + text.iter().filter(|b| **b == b'\n').count();
        bytes.truncate(text.len());
        let piece = match fault {
            None => parsed(first, last, bytes),
            Some(error) => Piece::Broken(RawLines { first, last, bytes }, error),
        };
        self.last_broken = matches!(piece, Piece::Broken(..));
        // The first piece handed on ends the trial: the input is a document.
        self.trial = None;
        if !each(piece) {
            return Err(Stop::Stopped);
        }
        Ok(closed_array)
    }

    /// After a fault inside a value with `open` containers open, read on
    /// to its end by counting brackets (strings skipped): the next `,` at
    /// its own level, or a closer that closes the array it is in (taken;
    /// true). The end of the input ends it too.
    fn recover(&mut self, mut open: usize) -> io::Result<bool> {
        let mut in_string = false;
        loop {
            let Some(b) = self.peek()? else {
                return Ok(false);
            };
            match (in_string, b) {
                (true, b'\\') => {
                    self.bump()?;
                }
                (true, b'"') | (false, b'"') => in_string = !in_string,
                (true, _) => {}
                (false, b'[' | b'{') => open += 1,
                (false, b']' | b'}') if open == 0 => {
                    self.bump()?;
                    return Ok(true);
                }
                (false, b']' | b'}') => open -= 1,
                (false, b',') if open == 0 => return Ok(false),
                (false, _) => {}
            }
            self.bump()?;
        }
    }

    /// Scan one value, checking its structure.
    fn value(&mut self) -> Result<(), Fault> {
        // The closers of the open containers, innermost last.
        let mut open: Vec<u8> = Vec::new();
        let io_fault = |s: &Scan, e: io::Error| Fault {
            error: ReadError {
                line: Some(s.line),
                column: Some(s.column),
                message: format!("reading failed: {e}"),
            },
            open: 0,
        };
        loop {
            // A value starts here.
            let b = self.skip_blanks().map_err(|e| io_fault(self, e))?;
            let fault = |s: &Scan, open: &Vec<u8>, m: &str| Fault {
                error: s.error(m),
                open: open.len(),
            };
            match b {
                None => return Err(fault(self, &open, "the input ends inside a value")),
                Some(b'{' | b'[') if open.len() >= MAX_DEPTH => {
                    let m = format!("nested deeper than {MAX_DEPTH} arrays and objects");
                    return Err(fault(self, &open, &m));
                }
                Some(c @ (b'{' | b'[')) => {
                    self.bump().map_err(|e| io_fault(self, e))?;
                    open.push(if c == b'{' { b'}' } else { b']' });
                    let next = self.skip_blanks().map_err(|e| io_fault(self, e))?;
                    if next == Some(open[open.len() - 1]) {
                        self.bump().map_err(|e| io_fault(self, e))?;
                        open.pop();
                    } else if c == b'{' {
                        self.member_key(&open)?;
                        continue;
                    } else {
                        continue;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b']' | b'}' | b',' | b':') => {
                    return Err(fault(self, &open, "expected a value"));
                }
                Some(_) => self.scalar().map_err(|e| io_fault(self, e))?,
            }
            // A value ended: close what it ends, or go on to the next one.
            loop {
                let Some(&closer) = open.last() else {
                    return Ok(());
                };
                let next = self.skip_blanks().map_err(|e| io_fault(self, e))?;
                match next {
                    Some(b',') => {
                        self.bump().map_err(|e| io_fault(self, e))?;
                        if closer == b'}' {
                            self.member_key(&open)?;
                        }
                        break;
                    }
                    Some(c) if c == closer => {
                        self.bump().map_err(|e| io_fault(self, e))?;
                        open.pop();
                    }
                    None => return Err(fault(self, &open, "the input ends inside a value")),
                    Some(_) => {
                        let m = format!("expected `,` or `{}`", closer as char);
                        return Err(fault(self, &open, &m));
                    }
                }
            }
        }
    }

    /// A member's key and colon, inside an object of `open`.
    fn member_key(&mut self, open: &[u8]) -> Result<(), Fault> {
        let fault = |s: &Scan, m: &str| Fault {
            error: s.error(m),
            open: open.len(),
        };
        let io = |s: &Scan, e: io::Error| fault(s, &format!("reading failed: {e}"));
        if self.skip_blanks().map_err(|e| io(self, e))? != Some(b'"') {
            return Err(fault(self, "expected a key in double quotes"));
        }
        self.string().map_err(|f| Fault {
            open: open.len(),
            ..f
        })?;
        if self.skip_blanks().map_err(|e| io(self, e))? != Some(b':') {
            return Err(fault(self, "expected `:` after a key"));
        }
        self.bump().map_err(|e| io(self, e))?;
        Ok(())
    }

    /// A string, from its opening quote to its closing one.
    fn string(&mut self) -> Result<(), Fault> {
        let io = |s: &Scan, e: io::Error| Fault {
            error: s.error(format!("reading failed: {e}")),
            open: 0,
        };
        self.bump().map_err(|e| io(self, e))?;
        loop {
            match self.bump().map_err(|e| io(self, e))? {
                None => {
                    return Err(Fault {
                        error: self.error("a string is never closed"),
                        open: 0,
                    })
                }
                Some(b'\\') => {
                    self.bump().map_err(|e| io(self, e))?;
                }
                Some(b'"') => return Ok(()),
                Some(_) => {}
            }
        }
    }

    /// A number, `true`, `false`, `null` or a bare word: bytes up to the next
    /// delimiter (serde_json judges them).
    fn scalar(&mut self) -> io::Result<()> {
        while let Some(b) = self.peek()? {
            if b.is_ascii_whitespace() || b"[]{},:\"".contains(&b) {
                break;
            }
            self.bump()?;
        }
        Ok(())
    }

    /// After a fault outside any record: the rest of the input is one
    /// broken piece, its text kept, so nothing is dropped uncounted.
    /// `read` is what was read of it already (on trial, the whole
    /// document so far).
    fn rest_is_broken(
        &mut self,
        read: Vec<u8>,
        error: ReadError,
        each: &mut dyn FnMut(Piece) -> bool,
    ) -> io::Result<()> {
        let mut first = if read.is_empty() { self.line } else { 1 };
        let mut bytes = read;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            let n = buf.len();
            bytes.extend_from_slice(buf);
            self.input.consume(n);
        }
        let blanks = bytes.len() - bytes.trim_ascii_start().len();
        first += bytes[..blanks].iter().filter(|b| **b == b'\n').count();
        bytes.drain(..blanks);
        let text = bytes.trim_ascii_end();
        let last = first + text.iter().filter(|b| **b == b'\n').count();
        bytes.truncate(text.len());
        // A broken piece that ran to the end has told of the fault already.
        if !(bytes.is_empty() && self.last_broken) {
            each(Piece::Broken(RawLines { first, last, bytes }, error));
        }
        Ok(())
    }
}

/// Whether the line after the first non-blank one of `read` is whole and
/// a JSON value on its own: then a first line that opened a value and broke
/// was a broken NDJSON line, not the start of a pretty document.
fn second_line_is_a_value(read: &[u8]) -> bool {
    let mut lines = read
        .split_inclusive(|b| *b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty());
    lines.next();
    lines
        .next()
        .is_some_and(|line| line.ends_with(b"\n") && serde_json::from_slice::<Value>(line).is_ok())
}

/// A piece whose structure holds: a record, or broken where serde_json
/// says so (its line counted from the piece's first).
fn parsed(first: usize, last: usize, bytes: Vec<u8>) -> Piece {
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) => {
            let literals = SourceLiterals::find(&bytes, &v);
            Piece::Record(v, literals, RawLines { first, last, bytes })
        }
        Err(e) => {
            let error = ReadError {
                line: Some(e.line() + first - 1),
                column: Some(e.column()),
                message: format!(
                    "not valid JSON: {}",
                    e.to_string().split(" at line ").next().unwrap_or("")
                ),
            };
            Piece::Broken(RawLines { first, last, bytes }, error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each piece as (record text or "!" broken text, first, last line).
    fn pieces(text: &str, path: &[&str]) -> Vec<(String, usize, usize)> {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        let mut input = text.as_bytes();
        let r = stream_json_records(&mut input, &path, false, &mut |p| {
            let (mark, raw) = match p {
                Piece::Record(_, _, raw) => ("", raw),
                Piece::Broken(raw, _) => ("!", raw),
            };
            let shown = format!("{mark}{}", String::from_utf8_lossy(&raw.bytes));
            out.push((shown, raw.first, raw.last));
            true
        });
        assert!(matches!(r, Ok(()) | Err(Unstreamed::Empty)));
        out
    }

    #[test]
    fn a_bad_element_is_one_piece_and_the_next_ones_are_read() {
        let doc = "[\n {\"a\": 1},\n {\"a\": NaN,\n  \"b\": 2},\n {\"a\": 3}\n]\n";
        let got = pieces(doc, &[]);
        assert_eq!(
            got,
            vec![
                ("{\"a\": 1}".into(), 2, 2),
                ("!{\"a\": NaN,\n  \"b\": 2}".into(), 3, 4),
                ("{\"a\": 3}".into(), 5, 5),
            ]
        );
    }

    #[test]
    fn a_broken_structure_ends_where_its_brackets_close() {
        let doc = r#"{"x": {"orders": [{"a": [1, 2}}, {"a": 2}], "y": 1}}"#;
        let got = pieces(doc, &["x", "orders"]);
        assert_eq!(
            got,
            vec![
                ("!{\"a\": [1, 2}}".into(), 1, 1),
                ("{\"a\": 2}".into(), 1, 1)
            ]
        );
    }

    #[test]
    fn an_unclosed_string_makes_the_rest_one_piece() {
        let got = pieces("[{\"a\": 1}, {\"a\": \"open}, {\"a\": 2}]\n", &[]);
        assert_eq!(
            got,
            vec![
                ("{\"a\": 1}".into(), 1, 1),
                ("!{\"a\": \"open}, {\"a\": 2}]".into(), 1, 1)
            ]
        );
    }

    #[test]
    fn a_fault_between_elements_makes_the_rest_one_piece() {
        let got = pieces("[{\"a\": 1} {\"a\": 2}]", &[]);
        assert_eq!(
            got,
            vec![("{\"a\": 1}".into(), 1, 1), ("!{\"a\": 2}]".into(), 1, 1)]
        );
    }

    #[test]
    fn documents_one_after_another_and_values_under_other_keys() {
        let text = "{\"n\": [9], \"orders\": [{\"a\": 1}]}\n{\"orders\": [{\"a\": 2}]}\n";
        let got = pieces(text, &["orders"]);
        assert_eq!(
            got,
            vec![("{\"a\": 1}".into(), 1, 1), ("{\"a\": 2}".into(), 2, 2)]
        );
    }

    #[test]
    fn on_trial_a_first_document_broken_early_is_untried() {
        let text = b"{\"id\":\n{\"a\": 1}\n{\"a\": 2}\n";
        let mut input = &text[..];
        let r = stream_json_records(&mut input, &[], true, &mut |_| true);
        match r {
            Err(Unstreamed::Untried(kept)) => {
                assert_eq!(kept, b"{\"id\":\n{\"a\": 1}\n".to_vec());
                assert_eq!(input, b"{\"a\": 2}\n");
            }
            _ => panic!("not untried"),
        }
    }

    #[test]
    fn deep_nesting_is_a_fault_not_a_crash() {
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        let got = pieces(&deep, &[]);
        assert_eq!(got.len(), 1);
        assert!(got[0].0.starts_with('!'));
        assert_eq!(pieces("  \n", &[]).len(), 0);
    }
}
