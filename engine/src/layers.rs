//! Layered mappings: `extends: PATH` makes a file an overlay on a base
//! mapping (docs/mappings.md, "Layered mappings"). The layers are merged as
//! YAML trees before anything compiles, so every check a mapping gets, an
//! overlay gets too; each node keeps the file it was written in
//! ([`Node::file`]), so a finding names its own layer and line, and each
//! compiled field spec's span names the layer it came from.
//!
//! How an overlay merges into its base, key by key:
//! - `record:` by target field name: a spec replaces the base's whole, `null`
//!   removes it, a new name is added; `a.b` reaches field `b` of the nested
//!   record (or `for_each` records) of field `a`.
//! - `params:` by name, key by key (`batch_code: {default: X}` changes only
//!   the default); `null` removes a param.
//! - `lookups:` by name: one with `file:` replaces the base's; one without
//!   adds its `map:` rows (and `default:`) to the base's.
//! - `tables:` and `let:` by name, replaced whole; `null` removes.
//! - `rules:` by id: a rule replaces the base's rule of that id in place,
//!   `{id: X, remove: true}` removes it, a new id is added.
//! - any other key (`mapping`, `doc`, `input`, `source`, `target`,
//!   `rules_from`...) replaces the base's; what the overlay does not say is
//!   inherited.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::confine::{self, LoadOptions};
use crate::diag::{Diagnostic, Diagnostics};
use crate::yaml::{self, span, Node, Value};

/// The most bytes a base mapping file may have (as a rules file).
const BASE_FILE_LIMIT: u64 = confine::RULES_FILE_LIMIT * 4;

/// The most layers a chain may have: base -> customer -> environment is
/// three; a longer chain is a mistake, and each layer is a recursion.
pub(crate) const MAX_LAYERS: usize = 16;

/// The tree of the mapping at `file` with its `extends:` chain merged in,
/// and the layers' files (the base first, `file` last). `None` when a layer
/// cannot be read or the chain is a cycle (the finding is in `diags`).
pub(crate) fn flatten(
    file: &Path,
    root: Node,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<(Node, Vec<PathBuf>)> {
    let mut chain = vec![normal(file)];
    let root = flatten_layer(file, root, options, &mut chain, diags)?;
    Some((root, chain))
}

fn flatten_layer(
    file: &Path,
    mut root: Node,
    options: &LoadOptions,
    chain: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) -> Option<Node> {
    if let Some(rules) = root.get("rules") {
        duplicate_rule_ids(file, rules, diags);
    }
    let Some(ext) = root.get("extends").cloned() else {
        return Some(root);
    };
    let file = yaml::file_of(file, &root).to_path_buf();
    yaml::tag(&mut root, &Arc::from(file.as_path()));
    let Some(rel) = ext.as_str().map(str::to_string) else {
        diags.push(Diagnostic::error(
            span(&file, &ext),
            "wrong-shape",
            format!(
                "extends must be the path of a base mapping, found {}",
                ext.kind()
            ),
        ));
        return None;
    };
    let base_path = normal(&file.parent().unwrap_or(Path::new(".")).join(&rel));
    if let Some(at) = chain.iter().position(|p| same_file(p, &base_path)) {
        // The chain holds the base first; a person reads it from the top.
        let names: Vec<String> = chain[..=at]
            .iter()
            .rev()
            .chain([&base_path])
            .map(|p| p.display().to_string())
            .collect();
        diags.push(
            Diagnostic::error(
                span(&file, &ext),
                "extends-cycle",
                format!(
                    "extends: '{rel}' leads back to itself: {}",
                    names.join(" -> ")
                ),
            )
            .with_help("a layer must not extend itself or a layer that extends it"),
        );
        return None;
    }
    if chain.len() >= MAX_LAYERS {
        diags.push(Diagnostic::error(
            span(&file, &ext),
            "extends-depth",
            format!(
                "extends: '{rel}' would make a chain of more than {MAX_LAYERS} layers (the limit)"
            ),
        ));
        return None;
    }
    let mut base = read_base(&file, &ext, &rel, &base_path, options, diags)?;
    yaml::tag(&mut base, &Arc::from(base_path.as_path()));
    chain.insert(0, base_path.clone());
    let base = flatten_layer(&base_path, base, options, chain, diags)?;
    Some(overlay(base, root, diags))
}

fn read_base(
    file: &Path,
    ext: &Node,
    rel: &str,
    base_path: &Path,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Node> {
    let text = confine::read(file, rel, BASE_FILE_LIMIT, options)
        .map_err(|e| (e.code().unwrap_or("extends-file"), e.to_string()))
        .and_then(|b| {
            String::from_utf8(b).map_err(|_| ("extends-file", "it is not UTF-8 text".to_string()))
        });
    let text = match text {
        Ok(t) => t,
        Err((code, e)) => {
            diags.push(Diagnostic::error(
                span(file, ext),
                code,
                format!("cannot read the base mapping '{rel}': {e}"),
            ));
            return None;
        }
    };
    match yaml::parse(base_path, &text) {
        Ok(n) => Some(n),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// `a/b/../c` as `a/c`: the path a person reads in a finding.
pub(crate) fn normal(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

// ---------------------------------------------------------------- merging

fn overlay(mut base: Node, top: Node, diags: &mut Diagnostics) -> Node {
    let (Value::Map(b), Value::Map(o)) = (&mut base.value, top.value) else {
        // A layer that is not a mapping: the loader says so.
        return base;
    };
    b.retain(|(k, _)| k.as_str() != Some("extends"));
    for (k, v) in o {
        let name = k.scalar_text().unwrap_or_default();
        match name.as_str() {
            "extends" => {}
            "record" => merge_in(b, k, v, merge_record, diags),
            "rules" => merge_in(b, k, v, merge_rules, diags),
            "params" => {
                let base_params = b.iter().find(|(bk, _)| bk.as_str() == Some("params"));
                new_params_have_a_type(base_params.map(|(_, n)| n), &v, diags);
                merge_in(
                    b,
                    k,
                    v,
                    |base, top, d| merge_named(base, top, "param", by_keys, d),
                    diags,
                )
            }
            "lookups" => merge_in(
                b,
                k,
                v,
                |base, top, d| merge_named(base, top, "lookup", lookup, d),
                diags,
            ),
            "tables" => merge_in(
                b,
                k,
                v,
                |base, top, d| merge_named(base, top, "table", whole, d),
                diags,
            ),
            "let" => merge_in(
                b,
                k,
                v,
                |base, top, d| merge_named(base, top, "let: value", whole, d),
                diags,
            ),
            _ => set(b, k, v),
        }
    }
    base
}

/// Merge the overlay's `v` into the base's value of key `k` with `how`
/// (both mappings or both lists), else the overlay's replaces it. A base
/// without the key merges as an empty one, so that removing what it does
/// not have is `overlay-missing` there too.
fn merge_in(
    entries: &mut Vec<(Node, Node)>,
    k: Node,
    v: Node,
    how: impl FnOnce(&mut Node, Node, &mut Diagnostics),
    diags: &mut Diagnostics,
) {
    let name = k.scalar_text();
    match entries.iter_mut().find(|(bk, _)| bk.scalar_text() == name) {
        Some((_, old)) if same_kind(old, &v) => how(old, v, diags),
        None if matches!(v.value, Value::Map(_) | Value::Seq(_)) => {
            let empty = match v.value {
                Value::Map(_) => Value::Map(Vec::new()),
                _ => Value::Seq(Vec::new()),
            };
            let mut old = Node {
                value: empty,
                ..v.clone()
            };
            how(&mut old, v, diags);
            entries.push((k, old));
        }
        _ => set(entries, k, v),
    }
}

fn same_kind(a: &Node, b: &Node) -> bool {
    matches!(
        (&a.value, &b.value),
        (Value::Map(_), Value::Map(_)) | (Value::Seq(_), Value::Seq(_))
    )
}

/// Replace (in place) or add key `k`; `null` removes it.
fn set(entries: &mut Vec<(Node, Node)>, k: Node, v: Node) {
    let name = k.scalar_text();
    let at = entries.iter().position(|(bk, _)| bk.scalar_text() == name);
    match (at, matches!(v.value, Value::Null)) {
        (Some(i), true) => {
            entries.remove(i);
        }
        (Some(i), false) => entries[i] = (k, v),
        (None, true) => {}
        (None, false) => entries.push((k, v)),
    }
}

/// How one named entry (a param, a lookup...) of the overlay meets the base's.
type EntryMerge = fn(&mut Node, Node);

fn whole(old: &mut Node, new: Node) {
    *old = new;
}

/// Key by key: `batch_code: {default: CUSTX}` keeps the base's type and doc.
fn by_keys(old: &mut Node, new: Node) {
    let (Value::Map(b), Value::Map(o)) = (&mut old.value, &new.value) else {
        *old = new;
        return;
    };
    for (k, v) in o.clone() {
        set(b, k, v);
    }
}

/// A lookup with a `file:` is a new lookup; one without adds its `map:`
/// rows to the base's (the overlay's win) and may change its `default:`.
fn lookup(old: &mut Node, new: Node) {
    if new.get("file").is_some() {
        *old = new;
        return;
    }
    let base_rows = old.get("map").cloned();
    by_keys(old, new);
    let (Some(mut rows), Value::Map(b)) = (base_rows, &mut old.value) else {
        return;
    };
    if let Some((_, m)) = b.iter_mut().find(|(k, _)| k.as_str() == Some("map")) {
        by_keys(&mut rows, m.clone());
        *m = rows;
    }
}

fn merge_named(base: &mut Node, top: Node, what: &str, each: EntryMerge, diags: &mut Diagnostics) {
    let (Value::Map(b), Value::Map(o)) = (&mut base.value, top.value) else {
        return;
    };
    for (k, v) in o {
        let name = k.scalar_text();
        let at = b.iter().position(|(bk, _)| bk.scalar_text() == name);
        match (at, &v.value) {
            (None, Value::Null) => nothing_to_remove(&k, what, b, diags),
            (Some(i), Value::Null) => {
                b.remove(i);
            }
            (Some(i), _) if b[i].1.as_map().is_some() && v.as_map().is_some() => {
                each(&mut b[i].1, v);
                b[i].0 = k;
            }
            (Some(i), _) => b[i] = (k, v),
            (None, _) => b.push((k, v)),
        }
    }
}

/// A param the overlay adds (the base has none of that name) says its
/// `type:`: without one, `batch_cod: {default: X}` meant to change the
/// base's `batch_code` would add a second, text param in silence.
fn new_params_have_a_type(base: Option<&Node>, top: &Node, diags: &mut Diagnostics) {
    let Some(o) = top.as_map() else {
        return;
    };
    let b = base.and_then(Node::as_map).unwrap_or(&[]);
    let known: Vec<String> = b.iter().filter_map(|(k, _)| k.scalar_text()).collect();
    for (k, v) in o {
        let name = k.scalar_text().unwrap_or_default();
        if known.contains(&name) || v.as_map().is_none() || v.get("type").is_some() {
            continue;
        }
        diags.push(
            Diagnostic::error(
                span(Path::new(""), k),
                "missing-key",
                format!(
                    "param '{name}' is new in this layer (the base has no param '{name}') and has no `type:`: a new param says its type"
                ),
            )
            .with_near(&name, known.iter().map(String::as_str)),
        );
    }
}

fn nothing_to_remove(k: &Node, what: &str, entries: &[(Node, Node)], diags: &mut Diagnostics) {
    let name = k.scalar_text().unwrap_or_default();
    let known: Vec<String> = entries
        .iter()
        .filter_map(|(k, _)| k.scalar_text())
        .collect();
    diags.push(
        Diagnostic::error(
            span(Path::new(""), k),
            "overlay-missing",
            format!("'{name}' removes nothing: the base has no {what} '{name}'"),
        )
        .with_near(&name, known.iter().map(String::as_str)),
    );
}

// ---------------------------------------------------------------- records

/// `record:` by target field name, `a.b` for field `b` inside field `a`'s
/// nested record or `for_each` records.
fn merge_record(base: &mut Node, top: Node, diags: &mut Diagnostics) {
    let Value::Map(o) = top.value else { return };
    for (k, v) in o {
        let name = k.scalar_text().unwrap_or_default();
        let path: Vec<&str> = name.split('.').collect();
        set_field(base, &path, k.clone(), v, diags);
    }
}

fn set_field(record: &mut Node, path: &[&str], k: Node, v: Node, diags: &mut Diagnostics) {
    let Value::Map(entries) = &mut record.value else {
        return;
    };
    let at = entries
        .iter()
        .position(|(bk, _)| bk.as_str() == Some(path[0]));
    if let [field] = path {
        let key = Node {
            value: Value::Str(field.to_string()),
            ..k.clone()
        };
        match (at, &v.value) {
            (None, Value::Null) => nothing_to_remove(&k, "field", entries, diags),
            (Some(i), Value::Null) => {
                entries.remove(i);
            }
            (Some(i), _) => entries[i] = (key, v),
            (None, _) => entries.push((key, v)),
        }
        return;
    }
    let Some(i) = at else {
        return nothing_to_remove(&k, "field", entries, diags);
    };
    let mut inner = nested_records(&mut entries[i].1);
    // In `records:` (one list item per kind of line), the ones that have the field.
    if inner.len() > 1 {
        inner.retain(|r| r.get(path[1]).is_some());
    }
    if inner.is_empty() {
        diags.push(Diagnostic::error(
            span(Path::new(""), &k),
            "overlay-missing",
            format!(
                "'{}' names nothing: field '{}' of the base has no nested record with '{}'",
                k.scalar_text().unwrap_or_default(),
                path[0],
                path[1]
            ),
        ));
        return;
    }
    for r in inner {
        set_field(r, &path[1..], k.clone(), v.clone(), diags);
    }
}

/// The nested records of a field spec: its `record:`, or the `record:` of
/// each item of its `records:`.
fn nested_records(spec: &mut Node) -> Vec<&mut Node> {
    let Value::Map(entries) = &mut spec.value else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries.iter_mut() {
        if k.as_str() == Some("record") && v.as_map().is_some() {
            out.push(v);
            continue;
        }
        if let (Some("records"), Value::Seq(items)) = (k.as_str(), &mut v.value) {
            for item in items {
                if let Value::Map(e) = &mut item.value {
                    if let Some((_, r)) = e.iter_mut().find(|(k, _)| k.as_str() == Some("record")) {
                        out.push(r);
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------- rules

/// `rules:` by id. A removal or replacement of a rule the base's own list
/// does not have stays in the list: the loader applies it to the rules of
/// `rules_from:` (and reports it when it matches none).
fn merge_rules(base: &mut Node, top: Node, _diags: &mut Diagnostics) {
    let (Value::Seq(b), Value::Seq(o)) = (&mut base.value, top.value) else {
        return;
    };
    for rule in o {
        let id = rule.get("id").and_then(Node::scalar_text);
        let at = id.as_ref().and_then(|id| {
            b.iter()
                .position(|r| r.get("id").and_then(Node::scalar_text).as_ref() == Some(id))
        });
        match (at, is_removal(&rule)) {
            (Some(i), true) => {
                b.remove(i);
            }
            (Some(i), false) => b[i] = rule,
            (None, _) => b.push(rule),
        }
    }
}

/// Two rules of one list (a layer's `rules:`, a rules file, a route's)
/// with one id are an error at the second: an overlay's replacement or
/// removal by id would reach only the first of them.
pub(crate) fn duplicate_rule_ids(file: &Path, rules: &Node, diags: &mut Diagnostics) {
    let mut seen: Vec<(String, u32)> = Vec::new();
    for rule in rules.as_seq().unwrap_or(&[]) {
        let Some(id_node) = rule.get("id") else {
            continue;
        };
        let Some(id) = id_node.scalar_text() else {
            continue;
        };
        match seen.iter().find(|(s, _)| *s == id) {
            Some((_, first)) => diags.push(
                Diagnostic::error(
                    span(file, id_node),
                    "duplicate-rule-id",
                    format!("a second rule with id '{id}'"),
                )
                .with_help(format!(
                    "the first rule '{id}' is at line {first}; give each rule its own id (an overlay replaces or removes a rule by id)"
                )),
            ),
            None => seen.push((id, id_node.line)),
        }
    }
}

/// `{id: X, remove: true}`.
pub(crate) fn is_removal(rule: &Node) -> bool {
    matches!(
        rule.get("remove").map(|n| &n.value),
        Some(Value::Bool(true))
    )
}
