//! Lookups: inline maps or CSV files beside the mapping, loaded once.
//! A missing key is an error naming the lookup and the key, unless the
//! spec gives a default.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Diagnostics};
use crate::expr::to_text;
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
}

impl Lookup {
    pub(crate) fn load(
        file: &Path,
        name: &str,
        node: &Node,
        diags: &mut Diagnostics,
    ) -> Option<Lookup> {
        let what = format!("lookup '{name}'");
        let mut f = Fields::new(file, node, &what, diags)?;
        let csv_file = f.take("file");
        let inline = f.take("map");
        let key = f.take("key").and_then(Node::scalar_text);
        let value = f.take("value");
        let default = f.take("default").map(Node::to_json);
        f.finish(&what, diags);
        let mut entries = HashMap::new();
        let source;
        if let Some(m) = inline.and_then(Node::as_map) {
            for (k, v) in m {
                entries.insert(k.scalar_text().unwrap_or_default(), v.to_json());
            }
            source = "inline".to_string();
        } else if let Some(csv_node) = csv_file {
            let rel = csv_node.scalar_text().unwrap_or_default();
            let path = file.parent().unwrap_or(Path::new(".")).join(&rel);
            source = rel.clone();
            let at = span(file, csv_node);
            let mut reader = match csv::Reader::from_path(&path) {
                Ok(r) => r,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        at,
                        "lookup-file",
                        format!("cannot read lookup file {}: {e}", path.display()),
                    ));
                    return None;
                }
            };
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
                    format!(
                        "{} has no column '{key}' (columns: {})",
                        rel,
                        headers.join(", ")
                    ),
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
                        format!(
                            "{} has no column '{c}' (columns: {})",
                            rel,
                            headers.join(", ")
                        ),
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
                            .collect::<Map<_, _>>(),
                    )
                };
                entries.insert(k, v);
            }
        } else {
            diags.push(Diagnostic::error(
                span(file, node),
                "missing-key",
                format!("{what} needs `file:` (a CSV beside the mapping) or `map:` (inline)"),
            ));
            return None;
        }
        Some(Lookup {
            name: name.to_string(),
            entries,
            default,
            source,
        })
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

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
