//! Pick: the unit of an input that `explain` traces, read as `convert`
//! reads it. A record is named by the number a rejection's `input` gives
//! for it: the line of an NDJSON line or of a CSV row (any row of a
//! grouped unit), the 1-based index of a record in JSON or XML documents.
//! So the trace a rejection leads to is of the very unit that was refused,
//! shaped from its CSV rows by the mapping's `input.csv.unit` as a run
//! shapes it.

use std::io::BufRead;

use crate::value::Value;

use crate::convert::ConvertError;
use crate::group::{csv_items, Grouping, Item};
use crate::mapping::Prepared;
use crate::read::InputFormat;
use crate::select::records_of;
use crate::trace::{ndjson_line, record_to_trace, LineError};

impl Prepared<'_> {
    /// The unit of input `name` (its `bytes`, in `format`, else the format
    /// its name or first line says, as `convert` finds it) that `record`
    /// names: see the module's notes for the numbering. Without `record`,
    /// a JSON or NDJSON input is one record, whole; a CSV or XML input
    /// gives its first unit.
    pub fn unit_to_trace(
        &self,
        name: &str,
        bytes: &[u8],
        format: Option<InputFormat>,
        record: Option<usize>,
    ) -> Result<Value, LineError> {
        if record == Some(0) {
            return Err(LineError::Zero);
        }
        let reader: Box<dyn BufRead + Send + '_> = Box::new(bytes);
        let opened = crate::read::open_input(name, format, reader).map_err(unreadable)?;
        let Some((format, _)) = opened else {
            return Err(LineError::Unreadable {
                message: "the input is empty".into(),
            });
        };
        match (format, record) {
            (InputFormat::Csv, _) => self.csv_unit(name, bytes, record),
            (InputFormat::Xml, _) => self.xml_record(bytes, record.unwrap_or(1)),
            (_, None) => record_to_trace(name, bytes, None),
            (InputFormat::Ndjson, Some(line)) => object(ndjson_line(bytes, line)?, Some(line)),
            (InputFormat::Json, Some(index)) => self.json_record(bytes, index),
        }
    }

    /// The `index`th record of JSON documents, after the mapping's `select:`.
    fn json_record(&self, bytes: &[u8], index: usize) -> Result<Value, LineError> {
        let docs = crate::read::parse_json_documents(bytes).map_err(unreadable)?;
        let select = self.mapping().select.as_ref();
        let records: Vec<Value> = docs
            .into_iter()
            .flat_map(|d| records_of(d, select))
            .collect();
        let count = records.len();
        match records.into_iter().nth(index - 1) {
            Some(record) => object(record, Some(index)),
            None => Err(LineError::NoSuchRecord {
                record: index,
                records: count,
            }),
        }
    }

    /// The `index`th XML document, read as the mapping's XML source reads it.
    fn xml_record(&self, bytes: &[u8], index: usize) -> Result<Value, LineError> {
        let docs = crate::read::xml_documents(bytes);
        let count = docs.len();
        let Some((first, doc)) = docs.into_iter().nth(index - 1) else {
            return Err(LineError::NoSuchRecord {
                record: index,
                records: count,
            });
        };
        crate::read::xml_text(doc, first)
            .and_then(|text| crate::convert::xml_record_of(self.mapping(), &text))
            .map_err(unreadable)
    }

    /// The CSV unit holding a row on `line` (the first unit without one),
    /// grouped and shaped as a run does it.
    fn csv_unit(&self, name: &str, bytes: &[u8], line: Option<usize>) -> Result<Value, LineError> {
        let mut found: Option<Result<Value, LineError>> = None;
        let read = csv_items(
            &self.mapping().csv,
            Grouping::default(),
            self.params(),
            name,
            Box::new(bytes),
            |item| {
                found = self.unit_of_item(item, line);
                match found {
                    // Found: the read stops here (a closed output stops a run too).
                    Some(_) => Err(ConvertError::Write(std::io::ErrorKind::BrokenPipe.into())),
                    None => Ok(()),
                }
            },
        );
        match (found, read) {
            (Some(unit), _) => unit,
            (None, Err(e)) => Err(LineError::Unreadable {
                message: e.to_string(),
            }),
            (None, Ok(())) => Err(match line {
                Some(line) if line > line_count(bytes) => LineError::PastTheEnd {
                    line,
                    lines: line_count(bytes),
                },
                Some(line) => LineError::NoRowOnLine { line },
                None => LineError::Unreadable {
                    message: "the CSV input has no rows".into(),
                },
            }),
        }
    }

    /// The unit `item` forms, when it holds a row on `line` (or any, without
    /// one); `None` when it is another unit.
    fn unit_of_item(&self, item: Item, line: Option<usize>) -> Option<Result<Value, LineError>> {
        match item {
            Item::Group(_, rows) => {
                let (rows, raw) = rows.values();
                let first_line = raw.first().map_or(0, |r| r.first);
                let holds = |l: usize| raw.iter().any(|r| (r.first..=r.last).contains(&l));
                if !line.is_none_or(holds) {
                    return None;
                }
                let at = line.unwrap_or(first_line);
                Some(self.shaped(Value::Array(rows), at))
            }
            Item::Bad(refs, _, raw, message, rule, _) => {
                let holds = |l: usize| {
                    raw.iter().any(|r| (r.first..=r.last).contains(&l))
                        || refs.iter().any(|r| r.line == Some(l))
                };
                let at = line.or_else(|| refs.first().and_then(|r| r.line))?;
                line.is_none_or(holds).then_some(Err(LineError::NoUnit {
                    line: at,
                    rule: rule.to_string(),
                    message,
                }))
            }
        }
    }

    /// The unit the mapping's `input.csv.unit` shapes from a group's rows
    /// (its first row when the mapping has no shape).
    fn shaped(&self, rows: Value, line: usize) -> Result<Value, LineError> {
        match self.shape(&rows) {
            Ok(Some(unit)) => Ok(unit),
            Ok(None) => Ok(match rows {
                Value::Array(rows) => rows.into_iter().next().unwrap_or(Value::Null),
                other => other,
            }),
            Err(errors) => {
                let first = errors.into_iter().next();
                Err(LineError::NoUnit {
                    line,
                    rule: first.as_ref().map_or(String::new(), |e| e.rule.clone()),
                    message: first.map_or(String::new(), |e| e.message),
                })
            }
        }
    }
}

/// `value`, when it is one record (an object); `at` is its number.
fn object(value: Value, at: Option<usize>) -> Result<Value, LineError> {
    match value {
        Value::Object(_) => Ok(value),
        other => Err(LineError::NotARecord {
            line: at,
            found: crate::trace::kind_of(&other),
        }),
    }
}

fn unreadable(e: impl std::fmt::Display) -> LineError {
    LineError::Unreadable {
        message: e.to_string(),
    }
}

/// The lines of `bytes`, a last one without its line end counted too.
fn line_count(bytes: &[u8]) -> usize {
    let ends = bytes.iter().filter(|b| **b == b'\n').count();
    ends + usize::from(bytes.last().is_some_and(|b| *b != b'\n'))
}

#[cfg(test)]
mod tests {
    use crate::json;
    use crate::{Mapping, Params, Registry};

    use super::*;

    /// A mapping from CSV rows grouped by `order` (the unit lists its rows'
    /// `sku`s) to the schema `demo.order`, in a fresh temp folder `name`.
    fn grouped(name: &str) -> Mapping {
        let dir =
            std::env::temp_dir().join(format!("mapwright-pick-{}-{name}", std::process::id()));
        let schemas = dir.join("schemas/demo");
        std::fs::create_dir_all(&schemas).unwrap();
        let schema =
            "schema: demo.order\nrecord: o\ntypes:\n  o:\n    fields:\n      order: {type: text}\n";
        std::fs::write(schemas.join("order.yaml"), schema).unwrap();
        let text = "mapping: g\ntarget: demo.order\ninput:\n  csv:\n    group_by: [= order]\n    unit:\n      order: = order\n      skus: = rows.map(|r| r.sku)\nrecord:\n  order: = order\n";
        let loaded = Mapping::from_str_with_options(
            &dir.join("mappings/g.yaml"),
            text,
            &Registry::discover(&dir),
            &crate::LoadOptions::default(),
        );
        let _ = std::fs::remove_dir_all(&dir);
        loaded.expect("the test mapping loads")
    }

    #[test]
    fn a_csv_line_names_the_grouped_unit_its_row_is_in() {
        let m = grouped("csv");
        let p = m.prepare(&Params::default()).unwrap();
        let csv = b"order,sku\nA,1\nB,2\nA,3\n";
        let unit = p.unit_to_trace("in.csv", csv, None, Some(4)).unwrap();
        assert_eq!(unit, json!({"order": "A", "skus": ["1", "3"]}));
        let unit = p.unit_to_trace("in.csv", csv, None, Some(3)).unwrap();
        assert_eq!(unit, json!({"order": "B", "skus": ["2"]}));
        let first = p.unit_to_trace("in.csv", csv, None, None).unwrap();
        assert_eq!(first["order"], "A");
        let header = p.unit_to_trace("in.csv", csv, None, Some(1)).unwrap_err();
        assert_eq!(header, LineError::NoRowOnLine { line: 1 });
        assert_eq!(
            header.worded("record"),
            "record 1: no row of the CSV input is on that line (line 1 is its header)"
        );
        // Second review of issue 15: past the end, the count of lines is said.
        let past = p.unit_to_trace("in.csv", csv, None, Some(5)).unwrap_err();
        assert_eq!(past.worded("record"), "record 5: the input has 4 lines");
        let blank = b"order,sku\nA,1\n\nB,2";
        let between = p.unit_to_trace("in.csv", blank, None, Some(3)).unwrap_err();
        assert_eq!(
            between.worded("--line"),
            "--line 3: no row of the CSV input is on that line"
        );
    }

    #[test]
    fn a_json_array_s_record_is_named_by_its_index() {
        let m = grouped("json");
        let p = m.prepare(&Params::default()).unwrap();
        let list = br#"[{"order": "A"}, {"order": "B"}]"#;
        let second = p.unit_to_trace("in.json", list, None, Some(2)).unwrap();
        assert_eq!(second, json!({"order": "B"}));
        let past = p.unit_to_trace("in.json", list, None, Some(3)).unwrap_err();
        assert_eq!(past.worded("record"), "record 3: the input has 2 records");
        // The format given wins over the name's.
        let given = Some(InputFormat::Json);
        let one = p.unit_to_trace("in.txt", br#"{"order": "C"}"#, given, Some(1));
        assert_eq!(one.unwrap(), json!({"order": "C"}));
    }
}
