//! Group: CSV rows into units. Without `group_by` every row is a unit. With
//! it, rows whose key (the `group_by` values) match form one unit, so a CSV
//! of activity lines becomes one order per job and team.
//!
//! Unsorted input (the default) is gathered in memory before any group is
//! handed on, so memory grows with the file. Input sorted by the key can be
//! declared `sorted: true`: each group is handed on as soon as the key
//! changes and memory stays flat; a key that comes back after its group
//! ended is never split silently into a second order: those rows are
//! rejected with rule `group-split`, naming the lines.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use serde_json::{Map, Value};

use crate::convert::ConvertError;
use crate::expr::{to_text, Scope};
use crate::mapping::CsvInput;
use crate::report::InputRef;

/// What the grouper hands on.
pub enum Item {
    /// The rows of one unit, with where each came from.
    Group(Vec<InputRef>, Vec<Value>),
    /// Rows that cannot form a unit: where, the rows (or raw text), and why.
    Bad(Vec<InputRef>, Vec<Value>, String, &'static str),
}

/// Read CSV rows from `reader` and hand on units, in order of each key's first row.
pub fn csv_items(
    csv: &CsvInput,
    delimiter: Option<u8>,
    params: &Value,
    name: &str,
    reader: Box<dyn BufRead + Send + '_>,
    mut each: impl FnMut(Item) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter.unwrap_or(csv.delimiter))
        .flexible(false)
        .from_reader(reader);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect(),
        Err(e) => {
            return Err(ConvertError::Read(
                name.to_string(),
                std::io::Error::other(format!("CSV header row: {e}")),
            ))
        }
    };
    let at = |line: u64| InputRef {
        file: name.to_string(),
        line: Some(line as usize),
        index: None,
    };
    let mut pending: Vec<(String, Vec<InputRef>, Vec<Value>)> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    let mut closed: HashSet<String> = HashSet::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = rdr.position().line() + 1;
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(ConvertError::Read(
                    name.to_string(),
                    std::io::Error::other(e.to_string()),
                ))
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(line);
                each(Item::Bad(
                    vec![at(line)],
                    vec![Value::String(format!("{:?}", record))],
                    format!("not a valid CSV row: {e}"),
                    "malformed",
                ))?;
                continue;
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(line);
        let row: Map<String, Value> = headers
            .iter()
            .cloned()
            .zip(record.iter().map(|v| Value::String(v.to_string())))
            .collect();
        let row = Value::Object(row);
        if csv.group_by.is_empty() {
            each(Item::Group(vec![at(line)], vec![row]))?;
            continue;
        }
        let key = match group_key(csv, params, &row) {
            Ok(k) => k,
            Err(e) => {
                each(Item::Bad(
                    vec![at(line)],
                    vec![row],
                    format!("group_by: {e}"),
                    "group-key",
                ))?;
                continue;
            }
        };
        if csv.sorted {
            if closed.contains(&key) {
                each(Item::Bad(
                    vec![at(line)],
                    vec![row],
                    format!("this row's group ({}) ended before line {line}; the input is declared sorted by the key, so the row would start a second unit. Sort the input, or leave `sorted` off", key.replace('\u{1f}', ", ")),
                    "group-split",
                ))?;
                continue;
            }
            if pending.last().is_some_and(|(k, _, _)| *k != key) {
                let (k, refs, rows) = pending.pop().unwrap_or_default();
                closed.insert(k);
                each(Item::Group(refs, rows))?;
            }
            match pending.last_mut() {
                Some((_, refs, rows)) => {
                    refs.push(at(line));
                    rows.push(row);
                }
                None => pending.push((key, vec![at(line)], vec![row])),
            }
        } else {
            match open.get(&key) {
                Some(&i) => {
                    pending[i].1.push(at(line));
                    pending[i].2.push(row);
                }
                None => {
                    open.insert(key.clone(), pending.len());
                    pending.push((key, vec![at(line)], vec![row]));
                }
            }
        }
    }
    for (_, refs, rows) in pending {
        each(Item::Group(refs, rows))?;
    }
    Ok(())
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
            .map_err(|err| format!("{}: {err}", e.source()))?;
        key.push_str(&to_text(&v));
    }
    Ok(key)
}
