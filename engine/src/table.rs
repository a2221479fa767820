//! Decision tables: named inputs with their domains, named outputs, rows.
//!
//! Pruvan's Status/Client Status matrix is the model: three inputs
//! (integration mode, action, desired status) decide whether a combination
//! is advised and what the client status should say. A table is data a
//! partner can read and change, and `check` proves it complete (no input
//! combination without a row) and consistent (no two rows that contradict).

use std::path::Path;

use crate::value::{Map, Value};

use crate::diag::{Diagnostic, Diagnostics};
use crate::expr::{values_equal, EvalError};
use crate::file_format as ff;
use crate::yaml::{span, Fields, Node};

/// Which row wins when several match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hit {
    /// The first matching row, in file order.
    First,
    /// At most one row may match; two matching rows are an error.
    Unique,
}

/// One input cell of a row.
#[derive(Clone, Debug)]
enum Cell {
    Any,
    OneOf(Vec<Value>),
}

impl Cell {
    fn matches(&self, v: &Value) -> bool {
        match self {
            Cell::Any => true,
            Cell::OneOf(vals) => vals.iter().any(|c| values_equal(c, v)),
        }
    }
}

/// One row: input cells and the outputs it gives.
#[derive(Clone, Debug)]
pub struct Row {
    /// The row's line in its file (for messages).
    pub line: u32,
    cells: Vec<Cell>,
    /// The outputs, by name.
    pub outputs: Map,
}

impl Row {
    /// Each input cell as written: `*` for any value, else its values
    /// joined by " or ".
    pub(crate) fn cell_texts(&self) -> Vec<String> {
        self.cells
            .iter()
            .map(|c| match c {
                Cell::Any => "*".to_string(),
                Cell::OneOf(vals) => vals
                    .iter()
                    .map(|v| crate::expr::to_text(v).into_owned())
                    .collect::<Vec<_>>()
                    .join(" or "),
            })
            .collect()
    }
}

/// A compiled decision table.
#[derive(Clone, Debug)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// The hit policy.
    pub hit: Hit,
    /// Each input with every value it can take.
    pub inputs: Vec<(String, Vec<Value>)>,
    /// Output names.
    pub outputs: Vec<String>,
    /// The rows, in file order.
    pub rows: Vec<Row>,
    /// The file the table is written in (its layer's, or the schema's),
    /// where its rows' lines are.
    pub file: std::path::PathBuf,
}

fn blank_as_empty(v: &Value) -> &Value {
    static EMPTY: Value = Value::String(String::new());
    if v.is_null() {
        &EMPTY
    } else {
        v
    }
}

impl Table {
    /// Load a table from its YAML node.
    pub fn load(file: &Path, name: &str, node: &Node, diags: &mut Diagnostics) -> Option<Table> {
        let what = format!("table '{name}'");
        let mut f = Fields::new(file, node, &what, &ff::TABLE, diags)?;
        // A table's `doc:` is for people reading the mapping; nothing shows it.
        f.take("doc");
        let hit = match f.take("hit").and_then(Node::as_str) {
            None | Some("first") => Hit::First,
            Some("unique") => Hit::Unique,
            Some(other) => {
                diags.push(Diagnostic::error(
                    span(file, f.take("hit").unwrap_or(node)),
                    "unknown-value",
                    format!("hit policy '{other}' is not one of: first, unique"),
                ));
                Hit::First
            }
        };
        let mut inputs = Vec::new();
        match f.take("inputs").map(|n| (n, n.as_map())) {
            Some((_, Some(entries))) => {
                for (k, v) in entries {
                    let domain = v.as_seq().map(|s| s.iter().map(Node::to_json).collect()).unwrap_or_default();
                    inputs.push((k.scalar_text().unwrap_or_default(), domain));
                }
            }
            other => diags.push(Diagnostic::error(
                span(file, other.map(|o| o.0).unwrap_or(node)),
                "missing-key",
                format!("{what} needs `inputs`: a mapping of each input to the list of values it can take"),
            )),
        }
        let outputs: Vec<String> = f
            .take("outputs")
            .and_then(Node::as_seq)
            .map(|s| s.iter().filter_map(Node::scalar_text).collect())
            .unwrap_or_default();
        let mut rows = Vec::new();
        for row in f.take("rows").and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(r) = load_row(file, row, &inputs, &outputs, diags) {
                rows.push(r);
            }
        }
        f.finish(&what, diags);
        Some(Table {
            name: name.to_string(),
            hit,
            inputs,
            outputs,
            rows,
            file: crate::yaml::file_of(file, node).to_path_buf(),
        })
    }

    /// The rows that match `input` (missing inputs read as "" = not set).
    fn matching<'a>(&'a self, input: &'a Map) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |row| {
            row.cells.iter().zip(&self.inputs).all(|(cell, (name, _))| {
                cell.matches(blank_as_empty(input.get(name).unwrap_or(&Value::Null)))
            })
        })
    }

    /// The row that decides `input`, by the hit policy; `None` when no row matches.
    pub fn decide<'a>(&'a self, input: &'a Map) -> Result<Option<&'a Row>, EvalError> {
        let mut hits = self.matching(input);
        let first = hits.next();
        if self.hit == Hit::Unique {
            if let (Some(a), Some(b)) = (first, hits.next()) {
                return Err(EvalError::call(format!(
                    "table '{}': rows at lines {} and {} both match",
                    self.name, a.line, b.line
                )));
            }
        }
        Ok(first)
    }

    /// The outputs for `input` as a map, or `()` when no row matches.
    pub fn call(&self, input: &Value) -> Result<Value, EvalError> {
        let Value::Object(m) = input else {
            return Err(EvalError::call(format!(
                "table('{}', ...) takes a map of its inputs",
                self.name
            )));
        };
        let row = self.decide(m)?;
        if crate::trace::active() {
            crate::trace::table_row(self, m, row.map(|r| r.line));
        }
        Ok(row
            .map(|r| Value::Object(r.outputs.clone()))
            .unwrap_or(Value::Null))
    }

    /// Gaps (a combination of input values no row covers) and overlaps (two
    /// rows that match one combination with different outputs). Under `first`,
    /// an overlap is how tables are written, so only a row that can never win
    /// is reported.
    pub fn check(&self, file: &Path, table_line: u32, diags: &mut Diagnostics) {
        let at = |line: u32| crate::diag::Span {
            file: file.to_path_buf(),
            line,
            column: 1,
        };
        let mut combos: Vec<Vec<Value>> = vec![Vec::new()];
        for (_, domain) in &self.inputs {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    domain
                        .iter()
                        .map(move |v| [c.clone(), vec![v.clone()]].concat())
                })
                .collect();
            if combos.len() > 100_000 {
                return;
            }
        }
        let mut wins = vec![false; self.rows.len()];
        let mut reported = Vec::new();
        for combo in &combos {
            let input: Map = self
                .inputs
                .iter()
                .map(|(n, _)| n.clone())
                .zip(combo.iter().cloned())
                .collect();
            let hits: Vec<(usize, &Row)> = self
                .rows
                .iter()
                .enumerate()
                .filter(|(_, row)| row.cells.iter().zip(combo).all(|(c, v)| c.matches(v)))
                .collect();
            let shown = describe(&input);
            match hits.as_slice() {
                [] => diags.push(Diagnostic::error(
                    at(table_line),
                    "table-gap",
                    format!("table '{}': no row covers {shown}", self.name),
                )),
                [(i, first), rest @ ..] => {
                    wins[*i] = true;
                    if self.hit == Hit::Unique {
                        for (_, other) in rest {
                            if other.outputs != first.outputs
                                && !reported.contains(&(first.line, other.line))
                            {
                                reported.push((first.line, other.line));
                                diags.push(Diagnostic::error(
                                    at(other.line),
                                    "table-overlap",
                                    format!(
                                        "table '{}': rows at lines {} and {} both match {shown} with different outputs",
                                        self.name, first.line, other.line
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
        if self.hit == Hit::First {
            for (row, won) in self.rows.iter().zip(wins) {
                if !won {
                    diags.push(Diagnostic::warning(
                        at(row.line),
                        "table-unreachable-row",
                        format!("table '{}': the row at line {} never wins; rows above it cover all it matches", self.name, row.line),
                    ));
                }
            }
        }
    }
}

fn describe(input: &Map) -> String {
    input
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) if s.is_empty() => format!("{k}=(not set)"),
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn load_row(
    file: &Path,
    row: &Node,
    inputs: &[(String, Vec<Value>)],
    outputs: &[String],
    diags: &mut Diagnostics,
) -> Option<Row> {
    let Some(entries) = row.as_map() else {
        diags.push(Diagnostic::error(
            span(file, row),
            "wrong-shape",
            "a table row must be a mapping of input and output names to values",
        ));
        return None;
    };
    let mut cells = Vec::new();
    for (name, domain) in inputs {
        let cell = match row.get(name) {
            None => Cell::Any,
            Some(n) if n.as_str() == Some("*") => Cell::Any,
            Some(n) => {
                let vals: Vec<Value> = match n.as_seq() {
                    Some(items) => items.iter().map(Node::to_json).collect(),
                    None => vec![n.to_json()],
                };
                let vals: Vec<Value> = vals
                    .into_iter()
                    .map(|v| blank_as_empty(&v).clone())
                    .collect();
                for v in &vals {
                    if !domain.is_empty() && !domain.iter().any(|d| values_equal(d, v)) {
                        diags.push(Diagnostic::error(
                            span(file, n),
                            "table-value-not-in-domain",
                            format!(
                                "{v} is not a value of input '{name}' (its domain is {})",
                                Value::Array(domain.clone())
                            ),
                        ));
                    }
                }
                Cell::OneOf(vals)
            }
        };
        cells.push(cell);
    }
    let mut outs = Map::new();
    for (k, v) in entries {
        let key = k.scalar_text().unwrap_or_default();
        if inputs.iter().any(|(n, _)| *n == key) {
            continue;
        }
        if !outputs.contains(&key) {
            diags.push(Diagnostic::error(
                span(file, k),
                "unknown-key",
                format!("'{key}' is neither an input nor an output of this table"),
            ));
            continue;
        }
        outs.insert(key, v.to_json());
    }
    Some(Row {
        line: row.line,
        cells,
        outputs: outs,
    })
}
