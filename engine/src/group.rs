//! Group: CSV rows into units. Without `group_by` every row is a unit. With
//! it, rows whose key (the `group_by` values) match form one unit, so a CSV
//! of activity lines becomes one order per job and team.
//!
//! Unsorted input (the default) is gathered before any group is handed on:
//! in memory up to a bound, past it in temporary files (crate::spill), and
//! the groups come out in the order of each key's first row either way.
//! Input sorted by the key can be declared `sorted: true`: each group is
//! handed on as soon as the key changes and memory stays flat; a key that
//! comes back after its group ended is never split silently into a second
//! order: those rows are rejected with rule `group-split`, naming the lines.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{BufRead, Read};
use std::rc::Rc;
use std::sync::Arc;

use crate::value::{Map, Value};

use crate::convert::ConvertError;
use crate::expr::{to_text, Scope};
use crate::mapping::CsvInput;
use crate::report::{InputRef, RawLines, Source};
use crate::spill::{Fields, Row};

/// What the grouper hands on.
#[non_exhaustive]
pub enum Item {
    /// The rows of one unit, with where each came from.
    Group(Vec<InputRef>, Rows),
    /// Rows that cannot form a unit: where, the rows (or raw text), the
    /// text as read, why, and the rows as far as they read (each line of a
    /// malformed row split on the delimiter, under the header's names:
    /// what its secret fields hold is hidden in the reject).
    Bad(
        Vec<InputRef>,
        Source,
        Vec<RawLines>,
        String,
        &'static str,
        Vec<Value>,
    ),
}

/// The rows of a unit as read, held compact: they become values under the
/// header's names where the unit is transformed (a worker thread).
pub struct Rows {
    headers: Arc<[String]>,
    rows: Vec<Row>,
}

impl Rows {
    /// Each row as a value, and each row's text as read.
    pub(crate) fn values(self) -> (Vec<Value>, Vec<RawLines>) {
        let values = self
            .rows
            .iter()
            .map(|r| row_value(&self.headers, &r.fields))
            .collect();
        (values, self.rows.into_iter().map(|r| r.raw).collect())
    }
}

/// The bytes the CSV reader takes from its input, kept from the start of
/// the record being read, so each record's text can be cut out as it was.
struct Tee<R> {
    inner: R,
    seen: Rc<RefCell<Vec<u8>>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.borrow_mut().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// Cuts each record's text out of what the reader took, and counts lines
/// (both `\n` and `\r\n` end a line; the csv crate's own count is off on CRLF).
struct Cutter {
    seen: Rc<RefCell<Vec<u8>>>,
    /// Byte offset of `seen[0]` in the input.
    base: u64,
    /// The line `seen[0]` is on.
    line: usize,
}

impl Cutter {
    /// The record that ends at byte `end`: its text without the line end
    /// (and without blank lines before it) and its first and last line.
    fn cut(&mut self, end: u64) -> RawLines {
        let mut seen = self.seen.borrow_mut();
        let len = ((end - self.base) as usize).min(seen.len());
        let taken: Vec<u8> = seen.drain(..len).collect();
        self.base = end;
        let body_start = taken
            .iter()
            .position(|b| *b != b'\n' && *b != b'\r')
            .unwrap_or(taken.len());
        let first = self.line + count_lines(&taken[..body_start]);
        let text = trim_line_end(&taken[body_start..]);
        let last = first + count_lines(text);
        self.line += count_lines(&taken);
        RawLines {
            first,
            last,
            bytes: text.to_vec(),
        }
    }
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

fn trim_line_end(mut text: &[u8]) -> &[u8] {
    while let Some(rest) = text
        .strip_suffix(b"\n")
        .or_else(|| text.strip_suffix(b"\r"))
    {
        text = rest;
    }
    text
}

/// What is wrong with the quotes of a row's text, with byte offsets into it.
#[derive(Debug, PartialEq, Eq)]
enum QuoteFault {
    /// The quote at `opened` is never closed before the end of the input.
    NeverClosed { opened: usize },
    /// The quote at `opened` is closed by the one at `closed`, on a later
    /// line, and text follows it: a quote left open swallowed the rows up
    /// to a later quote (the csv crate takes the text after it as more of
    /// the field).
    TextAfterClose { opened: usize, closed: usize },
}

/// The fault in `text`'s quotes, if any (a quote inside an unquoted field
/// is text; text after a quote that closes on the line it opened stays as
/// the csv crate reads it).
fn quote_fault(text: &[u8], quote: u8, delimiter: u8) -> Option<QuoteFault> {
    #[derive(PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut at = At::FieldStart;
    let mut opened = 0;
    for (i, &b) in text.iter().enumerate() {
        let ends_field = b == delimiter || b == b'\n' || b == b'\r';
        at = match at {
            At::FieldStart if b == quote => {
                opened = i;
                At::Quoted
            }
            At::FieldStart | At::Unquoted | At::QuoteInQuoted if ends_field => At::FieldStart,
            At::FieldStart | At::Unquoted => At::Unquoted,
            At::Quoted if b == quote => At::QuoteInQuoted,
            At::Quoted => At::Quoted,
            At::QuoteInQuoted if b == quote => At::Quoted,
            At::QuoteInQuoted if text[opened..i].contains(&b'\n') => {
                return Some(QuoteFault::TextAfterClose {
                    opened,
                    closed: i - 1,
                })
            }
            At::QuoteInQuoted => At::Unquoted,
        };
    }
    (at == At::Quoted).then_some(QuoteFault::NeverClosed { opened })
}

/// The message for a row whose quotes are wrong (`raw` is the row).
fn quote_message(fault: &QuoteFault, raw: &RawLines) -> String {
    let line_of = |at: usize| raw.first + count_lines(&raw.bytes[..at]);
    let (first, last) = (raw.first, raw.last);
    match *fault {
        QuoteFault::NeverClosed { opened } => format!(
            "not a valid CSV row: the quote opened on line {} is never closed, so lines {first}-{last} are one row",
            line_of(opened)
        ),
        QuoteFault::TextAfterClose { opened, closed } => format!(
            "not a valid CSV row: the quote opened on line {} closes on line {} with text after it, so lines {first}-{last} are one row (a quote inside a quoted field is written twice)",
            line_of(opened),
            line_of(closed)
        ),
    }
}

/// A malformed row as far as it reads: each physical line split on the
/// delimiter with quotes taken as text (an unclosed quote swallows no
/// column), and the whole text read as one row by a forgiving reader,
/// each under the header's names. Bytes that are not UTF-8 are replaced.
fn lenient_rows(headers: &[String], bytes: &[u8], delimiter: u8) -> Vec<Value> {
    let row = |fields: Vec<String>| {
        let map: Map = headers
            .iter()
            .cloned()
            .zip(fields.into_iter().map(Value::String))
            .collect();
        Value::Object(map)
    };
    let unquote = |f: &[u8]| {
        let text = String::from_utf8_lossy(f);
        text.trim().trim_matches('"').to_string()
    };
    let mut rows: Vec<Value> = bytes
        .split(|&b| b == b'\n')
        .map(|line| row(line.split(|&b| b == delimiter).map(unquote).collect()))
        .collect();
    let mut forgiving = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    for record in forgiving.byte_records().flatten() {
        rows.push(row(record.iter().map(unquote).collect()));
    }
    rows
}

/// A row's fields under the header's names.
fn row_value(headers: &[String], fields: &Fields) -> Value {
    let row: Map = headers
        .iter()
        .cloned()
        .zip(fields.iter().map(|f| Value::String(f.to_string())))
        .collect();
    Value::Object(row)
}

/// How rows become units beyond the mapping's `input.csv`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grouping {
    /// The field delimiter, over the mapping's.
    pub(crate) delimiter: Option<u8>,
    /// The bound on what the rows of an unsorted input take in memory
    /// while they are grouped; past it they spill to temporary files.
    pub(crate) memory: u64,
}

impl Default for Grouping {
    fn default() -> Grouping {
        Grouping {
            delimiter: None,
            memory: crate::spill::DEFAULT_GROUP_MEMORY,
        }
    }
}

/// Read CSV rows from `reader` and hand on units: rows that cannot form
/// one as they are read, then (unsorted) the groups in order of each key's
/// first row; sorted, each group as its key changes.
pub(crate) fn csv_items(
    csv: &CsvInput,
    grouping: Grouping,
    params: &Value,
    name: &str,
    reader: Box<dyn BufRead + Send + '_>,
    each: impl FnMut(Item) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let delimiter = grouping.delimiter.unwrap_or(csv.delimiter);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(Tee {
            inner: reader,
            seen: seen.clone(),
        });
    let headers: Arc<[String]> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect::<Vec<_>>()
            .into(),
        Err(e) => {
            return Err(ConvertError::Read(
                name.to_string(),
                std::io::Error::other(format!("CSV header row: {e}")),
            ))
        }
    };
    let mut cutter = Cutter {
        seen,
        base: 0,
        line: 1,
    };
    cutter.cut(rdr.position().byte());
    let mut grouper = Grouper {
        csv,
        params,
        name,
        key_columns: key_columns(csv, &headers),
        headers: headers.clone(),
        current: None,
        closed: HashSet::new(),
        gatherer: crate::spill::Gatherer::new(grouping.memory),
        each,
    };
    let mut record = csv::ByteRecord::new();
    loop {
        let read = rdr.read_byte_record(&mut record);
        if matches!(read, Ok(false)) {
            break;
        }
        let raw = cutter.cut(rdr.position().byte());
        let line = raw.first;
        let problem = match read {
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(ConvertError::Read(
                    name.to_string(),
                    std::io::Error::other(e.to_string()),
                ))
            }
            // A quote left open explains a wrong field count too (it took
            // the delimiters after it): name the quote, not the count.
            Err(e) => quote_fault(&raw.bytes, b'"', delimiter)
                .map(|f| quote_message(&f, &raw))
                .or_else(|| Some(format!("not a valid CSV row: {}", csv_error(&e)))),
            Ok(_) => quote_fault(&raw.bytes, b'"', delimiter).map(|f| quote_message(&f, &raw)),
        };
        let fields = match problem {
            Some(p) => Err(p),
            None => Fields::of(&record)
                .map_err(|col| format!("not a valid CSV row: column {col} is not UTF-8 text")),
        };
        let fields = match fields {
            Ok(f) => f,
            Err(message) => {
                let source = Source::Unreadable(raw.bytes.clone());
                let rows = lenient_rows(&headers, &raw.bytes, delimiter);
                let at = vec![grouper.at(line)];
                (grouper.each)(Item::Bad(at, source, vec![raw], message, "malformed", rows))?;
                continue;
            }
        };
        grouper.add(Row { raw, fields })?;
    }
    grouper.finish()
}

/// Rows into units as they are read: each at once (no `group_by`), as the
/// key changes (`sorted`), or gathered (unsorted).
struct Grouper<'a, F> {
    csv: &'a CsvInput,
    params: &'a Value,
    name: &'a str,
    headers: Arc<[String]>,
    /// The columns that are the key, when every `group_by` is a column.
    key_columns: Option<Vec<usize>>,
    /// Sorted: the group being read, and the keys whose group has ended.
    current: Option<(String, Vec<Row>)>,
    closed: HashSet<String>,
    gatherer: crate::spill::Gatherer,
    each: F,
}

impl<F: FnMut(Item) -> Result<(), ConvertError>> Grouper<'_, F> {
    fn at(&self, line: usize) -> InputRef {
        InputRef {
            file: self.name.to_string(),
            line: Some(line),
            index: None,
        }
    }

    fn unit(&mut self, rows: Vec<Row>) -> Result<(), ConvertError> {
        let refs = rows.iter().map(|r| self.at(r.raw.first)).collect();
        let rows = Rows {
            headers: self.headers.clone(),
            rows,
        };
        (self.each)(Item::Group(refs, rows))
    }

    /// Rows that form no unit, `rule` saying why.
    fn refuse(
        &mut self,
        row: Row,
        message: String,
        rule: &'static str,
    ) -> Result<(), ConvertError> {
        let value = row_value(&self.headers, &row.fields);
        let at = vec![self.at(row.raw.first)];
        (self.each)(Item::Bad(
            at,
            Source::Values(vec![value]),
            vec![row.raw],
            message,
            rule,
            Vec::new(),
        ))
    }

    fn add(&mut self, row: Row) -> Result<(), ConvertError> {
        if self.csv.group_by.is_empty() {
            return self.unit(vec![row]);
        }
        let key = match &self.key_columns {
            Some(columns) => Ok(column_key(&row.fields, columns)),
            None => group_key(
                self.csv,
                self.params,
                &row_value(&self.headers, &row.fields),
            ),
        };
        let key = match key {
            Ok(k) => k,
            Err(e) => return self.refuse(row, format!("group_by: {e}"), "group-key"),
        };
        if !self.csv.sorted {
            let name = self.name;
            return self
                .gatherer
                .add(key, row)
                .map_err(|e| ConvertError::Group(name.to_string(), e));
        }
        if self.closed.contains(&key) {
            let line = row.raw.first;
            let message = format!("this row's group ({}) ended before line {line}; the input is declared sorted by the key, so the row would start a second unit. Sort the input, or leave `sorted` off", key.replace('\u{1f}', ", "));
            return self.refuse(row, message, "group-split");
        }
        match &mut self.current {
            Some((k, rows)) if *k == key => rows.push(row),
            _ => {
                if let Some((k, rows)) = self.current.replace((key, vec![row])) {
                    self.closed.insert(k);
                    self.unit(rows)?;
                }
            }
        }
        Ok(())
    }

    /// Hand on what is still held: the last sorted group, or every gathered one.
    fn finish(mut self) -> Result<(), ConvertError> {
        if let Some((_, rows)) = self.current.take() {
            self.unit(rows)?;
        }
        let gatherer = std::mem::replace(&mut self.gatherer, crate::spill::Gatherer::new(0));
        let name = self.name;
        gatherer.finish(
            |group| self.unit(group.rows),
            |e| ConvertError::Group(name.to_string(), e),
        )
    }
}

/// The column of each `group_by`, when each is a plain column name (then
/// the key is the columns' text, as the expressions would give it, without
/// a value of the row); else none.
fn key_columns(csv: &CsvInput, headers: &[String]) -> Option<Vec<usize>> {
    csv.group_by
        .iter()
        .map(|e| {
            let path = e.as_path()?;
            let [name] = path.as_slice() else { return None };
            // `params` is the mapping's params, not a column.
            if name == "params" {
                return None;
            }
            // A name given twice is the last column of that name, as in a row's value.
            headers.iter().rposition(|h| h == name)
        })
        .collect()
}

fn column_key(fields: &Fields, columns: &[usize]) -> String {
    let mut key = String::new();
    for (i, &c) in columns.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        key.push_str(fields.get(c).unwrap_or_default());
    }
    key
}

/// A CSV error without the crate's own position (its line count is off on
/// CRLF input; the reject names the lines itself).
fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header row has {expected_len}"),
        _ => e.to_string(),
    }
}

fn group_key(csv: &CsvInput, params: &Value, row: &Value) -> Result<String, String> {
    let scope = Scope::of(row.as_object()).with("params", params);
    let mut key = String::new();
    for (i, e) in csv.group_by.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        let v = e
            .eval(&scope)
            .map_err(|err| format!("{}: {err}", e.quoted()))?;
        key.push_str(&to_text(&v));
    }
    Ok(key)
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn a_quote_that_swallows_rows_is_found_with_where_it_opened_and_closed() {
        let fault = |t: &str| quote_fault(t.as_bytes(), b'"', b',');
        assert_eq!(fault("A1,\"two\nlines\",x"), None);
        assert_eq!(fault("A1,\"a\"\"b\",\"c\"d"), None);
        assert_eq!(fault("A1,x\"y,z"), None);
        assert_eq!(
            fault("A1,\"open\nA2,x"),
            Some(QuoteFault::NeverClosed { opened: 3 })
        );
        assert_eq!(
            fault("A1,\"ok\nstill\",\"open\nA3,y"),
            Some(QuoteFault::NeverClosed { opened: 14 })
        );
        assert_eq!(
            fault("A1,\"open\nA2,x\nA3,\"z\""),
            Some(QuoteFault::TextAfterClose {
                opened: 3,
                closed: 17
            })
        );
        let raw = RawLines {
            first: 4,
            last: 6,
            bytes: b"A1,\"ok\nstill\",\"open\nA3,y".to_vec(),
        };
        let f = quote_fault(&raw.bytes, b'"', b',').unwrap();
        assert_eq!(
            quote_message(&f, &raw),
            "not a valid CSV row: the quote opened on line 5 is never closed, so lines 4-6 are one row"
        );
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;
    use crate::expr::Expr;

    /// Each unit as the `item` of its rows, and each refused row as its rule and line.
    fn units(keys: &[&str], sorted: bool, memory: u64, text: &str) -> Vec<String> {
        let csv = CsvInput {
            group_by: keys
                .iter()
                .map(|k| Expr::compile(k, &[]).unwrap())
                .collect(),
            sorted,
            ..CsvInput::default()
        };
        let grouping = Grouping {
            delimiter: None,
            memory,
        };
        let mut out = Vec::new();
        let reader = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        csv_items(&csv, grouping, &Value::Null, "in.csv", reader, |item| {
            out.push(match item {
                Item::Group(refs, rows) => {
                    let (values, raw) = rows.values();
                    assert_eq!(refs.len(), raw.len());
                    let items: Vec<&str> =
                        values.iter().map(|v| v["item"].as_str().unwrap()).collect();
                    items.join("+")
                }
                Item::Bad(refs, _, _, _, rule, _) => format!("{rule}@{}", refs[0].line.unwrap()),
            });
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn a_key_of_columns_and_a_computed_key_group_alike_spilled_or_not() {
        let text = "job,team,item\nA,1,a1\nB,1,b1\nA,2,a2\nA,1,a3\nC,1,c1\nB,1,b2\n";
        let by_job = ["a1+a2+a3", "b1+b2", "c1"];
        let by_job_and_team = ["a1+a3", "b1+b2", "a2", "c1"];
        for memory in [u64::MAX, 1024] {
            assert_eq!(units(&["job"], false, memory, text), by_job);
            assert_eq!(units(&["job.to_lower()"], false, memory, text), by_job);
            assert_eq!(
                units(&["job", "team"], false, memory, text),
                by_job_and_team
            );
            assert_eq!(units(&["job + team"], false, memory, text), by_job_and_team);
        }
        // No key: each row a unit.
        assert_eq!(units(&[], false, 1024, text).len(), 6);
        // A header named twice: the key is its last column, as the row's value holds.
        let twice = "job,job,item\nA,X,1\nB,X,2\nA,Y,3\n";
        assert_eq!(units(&["job"], false, 1024, twice), ["1+2", "3"]);
        assert_eq!(units(&["job.trim()"], false, 1024, twice), ["1+2", "3"]);
    }

    #[test]
    fn a_key_that_cannot_be_computed_refuses_its_row_and_a_sorted_key_that_returns_splits() {
        let text = "job,item\nA,a1\nB,b1\nA,a2\n";
        // Text less a number is a type error: each row is refused, where it is read.
        assert_eq!(
            units(&["job - 1"], false, u64::MAX, text),
            ["group-key@2", "group-key@3", "group-key@4"]
        );
        assert_eq!(
            units(&["job"], true, u64::MAX, text),
            ["a1", "group-split@4", "b1"]
        );
        // Unsorted, refused rows come as they are read, before the units.
        let bad = "job,item\nA,a1\nB,\"b1\nA,a2\n";
        assert_eq!(units(&["job"], false, 1024, bad), ["malformed@3", "a1"]);
    }
}
