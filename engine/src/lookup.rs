//! Lookups: inline maps or CSV files beside the mapping, loaded once.
//! A missing key is an error naming the lookup and the key, unless the
//! spec gives a default.

use std::collections::HashMap;
use std::path::Path;

use crate::value::{Map, Value};

use crate::confine::{self, LoadOptions};
use crate::diag::{Diagnostic, Diagnostics};
use crate::expr::to_text;
use crate::file_format as ff;
use crate::yaml::{span, Fields, Node};

/// A loaded lookup.
#[derive(Clone, Debug)]
pub struct Lookup {
    /// Its name.
    pub name: String,
    entries: HashMap<String, Value>,
    /// The value for a key that is not there, if any.
    pub default: Option<Value>,
    /// Where it came from (for docs and messages).
    pub source: String,
    /// The CSV file read, resolved beside the layer that declares it.
    pub path: Option<std::path::PathBuf>,
    /// The CSV column looked up by (`key:`); `None` for inline rows.
    pub key: Option<String>,
    /// The one column each entry gives (`value: COLUMN`), if so.
    pub value_column: Option<String>,
    /// Where it is declared (in a layered mapping, the layer that gives
    /// its file or rows).
    pub span: crate::diag::Span,
}

impl Lookup {
    /// Every entry, sorted by key, so a document lists them the same way
    /// every time.
    pub(crate) fn sorted_entries(&self) -> Vec<(&str, &Value)> {
        let mut all: Vec<(&str, &Value)> =
            self.entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The columns each entry gives, for a lookup whose entries are maps
    /// (`value:` a list of columns, or none); `None` when each gives one
    /// value.
    pub fn columns(&self) -> Option<Vec<String>> {
        let sample = self.entries.values().next().or(self.default.as_ref())?;
        sample.as_object().map(|m| m.keys().cloned().collect())
    }

    pub(crate) fn load(
        file: &Path,
        name: &str,
        node: &Node,
        options: &LoadOptions,
        diags: &mut Diagnostics,
    ) -> Option<Lookup> {
        let what = format!("lookup '{name}'");
        let mut f = Fields::new(file, node, &what, &ff::LOOKUP, diags)?;
        let csv_file = f.take("file");
        let inline = f.take("map");
        let key = f.take("key").and_then(Node::scalar_text);
        let key_column = csv_file.and(key.clone());
        let value = f.take("value");
        let default_node = f.take("default");
        let default = default_node.map(Node::to_json);
        f.finish(&what, diags);
        let value_column = csv_file
            .and(value)
            .filter(|v| v.as_seq().is_none())
            .and_then(Node::scalar_text);
        let mut entries = HashMap::new();
        let mut source = "inline".to_string();
        let mut path = None;
        // A file and inline rows together: an overlay (`extends:`) adding
        // rows to its base's file; the inline rows win.
        if let Some(csv_node) = csv_file {
            // Beside the layer that declares it (`extends:`), else the mapping.
            let file = crate::yaml::file_of(file, csv_node);
            let rel = csv_node.scalar_text().unwrap_or_default();
            source = rel.clone();
            path = Some(file.parent().unwrap_or(Path::new(".")).join(&rel));
            let at = span(file, csv_node);
            let bytes = match confine::read(file, &rel, confine::LOOKUP_FILE_LIMIT, options) {
                Ok(b) => b,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        at,
                        e.code().unwrap_or("lookup-file"),
                        format!("cannot read lookup file '{rel}': {e}"),
                    ));
                    return None;
                }
            };
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            let headers: Vec<String> = reader
                .headers()
                .map(|h| h.iter().map(str::to_string).collect())
                .unwrap_or_default();
            let Some(key) = key else {
                diags.push(Diagnostic::error(
                    at,
                    "missing-key",
                    format!("{what} needs `key`: the column to look up by"),
                ));
                return None;
            };
            let Some(key_col) = headers.iter().position(|h| *h == key) else {
                diags.push(Diagnostic::error(
                    at,
                    "lookup-column",
                    missing_column(&rel, &key, &headers),
                ));
                return None;
            };
            let columns: Vec<String> = match value.map(|v| (v.as_seq(), v.scalar_text())) {
                Some((Some(cols), _)) => cols.iter().filter_map(Node::scalar_text).collect(),
                Some((None, Some(col))) => vec![col],
                _ => headers.iter().filter(|h| **h != key).cloned().collect(),
            };
            let single = matches!(value.map(|v| v.as_seq().is_none()), Some(true));
            let mut idx = Vec::new();
            for c in &columns {
                match headers.iter().position(|h| h == c) {
                    Some(i) => idx.push((c.clone(), i)),
                    None => diags.push(Diagnostic::error(
                        span(file, value.unwrap_or(csv_node)),
                        "lookup-column",
                        missing_column(&rel, c, &headers),
                    )),
                }
            }
            for (n, row) in reader.records().enumerate() {
                let row = match row {
                    Ok(r) => r,
                    Err(e) => {
                        diags.push(Diagnostic::error(
                            span(file, csv_node),
                            "lookup-file",
                            format!("{rel} row {}: {e}", n + 2),
                        ));
                        continue;
                    }
                };
                let k = row.get(key_col).unwrap_or_default().to_string();
                let v = if single {
                    Value::String(
                        idx.first()
                            .and_then(|(_, i)| row.get(*i))
                            .unwrap_or_default()
                            .to_string(),
                    )
                } else {
                    Value::Object(
                        idx.iter()
                            .map(|(c, i)| {
                                (
                                    c.clone(),
                                    Value::String(row.get(*i).unwrap_or_default().to_string()),
                                )
                            })
                            .collect::<Map>(),
                    )
                };
                entries.insert(k, v);
            }
        }
        if let Some(m) = inline.and_then(Node::as_map) {
            for (k, v) in m {
                entries.insert(k.scalar_text().unwrap_or_default(), v.to_json());
            }
        }
        if csv_file.is_none() && inline.is_none() {
            diags.push(Diagnostic::error(
                span(file, node),
                "missing-key",
                format!("{what} needs `file:` (a CSV beside the mapping) or `map:` (inline)"),
            ));
            return None;
        }
        let lookup = Lookup {
            name: name.to_string(),
            entries,
            default,
            source,
            path,
            key: key_column,
            value_column,
            span: span(file, csv_file.or(inline).unwrap_or(node)),
        };
        if let Some(d) = default_node {
            lookup.check_default(file, d, diags);
        }
        Some(lookup)
    }

    /// A map `default:` must give the columns the entries give, no other:
    /// `default: {Phase_Cod: ...}` would be a column no field can read.
    fn check_default(&self, file: &Path, node: &Node, diags: &mut Diagnostics) {
        let (Some(Value::Object(d)), Some(Value::Object(sample))) =
            (&self.default, self.entries.values().next())
        else {
            return;
        };
        for k in d.keys().filter(|k| !sample.contains_key(k)) {
            let d = Diagnostic::error(
                span(file, node),
                "lookup-column",
                format!(
                    "lookup '{}': the default gives '{k}', which is not one of its columns ({})",
                    self.name,
                    sample.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
            diags.push(
                match crate::diag::near_help(k, sample.keys().map(String::as_str)) {
                    Some(h) => d.with_help(h),
                    None => d,
                },
            );
        }
    }

    /// The value for `key`: the entry, else the default, else `None`.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .get(to_text(key).as_ref())
            .or(self.default.as_ref())
    }

    /// True when `key` has an entry of its own (not the default).
    pub fn contains(&self, key: &Value) -> bool {
        self.entries.contains_key(to_text(key).as_ref())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A column the lookup names is not in the file's header. The header is the
/// file's contents, so it is not listed: only a near name, which says no more
/// than the mapping already does.
fn missing_column(file: &str, column: &str, headers: &[String]) -> String {
    let near = crate::diag::did_you_mean(column, headers.iter().map(String::as_str));
    format!(
        "{file} has no column '{column}'{near}; it has {} column(s)",
        headers.len()
    )
}
