//! Test inheritance: a mapping test file that says `extends: PATH` (another
//! mapping test file, relative to this one) runs its base's cases too,
//! against its own `mapping:` (docs/mappings.md, "Test cases"). An overlay
//! mapping for one customer so runs the base's whole suite, and replaces
//! only the cases its changes make different.
//!
//! How a test file merges into its base:
//! - `params:` by name: the base's are for every case, this file's over them;
//! - `cases:` by `name:`: a case named as a base case replaces it in place,
//!   `{name: X, remove: true}` drops it, any other case is added after the
//!   base's;
//! - the base's `mapping:` and `doc:` are not used.
//!
//! The base's nodes keep the file they were written in ([`Node::file`]), so
//! an inherited case reads its `file:` beside its own test file, and every
//! finding names the layer and line it comes from. Case names are unique
//! within each file (checked there), so the merged list is unique too: a
//! base name met again in the top file replaces, never repeats.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::confine::{self, LoadOptions};
use crate::diag::{Diagnostic, Diagnostics};
use crate::layers::{normal, same_file, MAX_LAYERS};
use crate::yaml::{self, span, Node, Value};

/// The most bytes a base test file may have (as a rules file).
const BASE_FILE_LIMIT: u64 = confine::RULES_FILE_LIMIT * 4;

/// A mapping test file's effective suite, its bases merged in.
#[derive(Debug, Default)]
pub(crate) struct Suite {
    /// The params for every case, each entry the node pair as written: the
    /// bases' first, this file's over them.
    pub params: Vec<(Node, Node)>,
    /// The cases to run, in order; an inherited one is tagged with its file.
    pub cases: Vec<Node>,
}

/// Whether `case` is the form `{name: X, remove: true}` (drop a base case)
/// rather than a case (whose `remove:` lists pointers to take out of the input).
pub(crate) fn is_removal(case: &Node) -> bool {
    matches!(case.get("remove").map(|n| &n.value), Some(Value::Bool(_)))
}

/// The case's `name:`, when it has one.
pub(crate) fn case_name(case: &Node) -> Option<String> {
    case.get("name").and_then(Node::scalar_text)
}

/// The effective suite of the mapping test file at `path`, parsed as
/// `root`: its `extends:` chain merged in. `None` when a base cannot be
/// read, is wrong, or the chain is a cycle (the findings are in `diags`).
pub(crate) fn suite(path: &Path, root: &Node, diags: &mut Diagnostics) -> Option<Suite> {
    let mut chain = vec![normal(path)];
    layer(path, root, &mut chain, diags)
}

fn layer(
    path: &Path,
    root: &Node,
    chain: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) -> Option<Suite> {
    let Some(ext) = root.get("extends") else {
        return Some(own(root));
    };
    let (base_path, base) = read_base(path, ext, chain, diags)?;
    let found = super::check_own(&base_path, &base);
    let broken = found.has_errors();
    diags.extend(found);
    if broken {
        return None;
    }
    chain.push(base_path.clone());
    let inherited = layer(&base_path, &base, chain, diags)?;
    Some(merge(path, &base_path, inherited, root, diags))
}

/// A file's own params and cases, with no base.
fn own(root: &Node) -> Suite {
    Suite {
        params: root
            .get("params")
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .to_vec(),
        cases: cases_of(root)
            .iter()
            .filter(|c| !is_removal(c))
            .cloned()
            .collect(),
    }
}

fn cases_of(root: &Node) -> &[Node] {
    root.get("cases").and_then(Node::as_seq).unwrap_or(&[])
}

/// The base test file `extends:` names, parsed and tagged with its path.
fn read_base(
    path: &Path,
    ext: &Node,
    chain: &[PathBuf],
    diags: &mut Diagnostics,
) -> Option<(PathBuf, Node)> {
    let file = yaml::file_of(path, ext);
    let Some(rel) = ext.as_str() else {
        diags.push(Diagnostic::error(
            span(path, ext),
            "wrong-shape",
            format!(
                "extends must be the path of a base test file, found {}",
                ext.kind()
            ),
        ));
        return None;
    };
    let base_path = normal(&file.parent().unwrap_or(Path::new(".")).join(rel));
    if let Some(at) = chain.iter().position(|p| same_file(p, &base_path)) {
        let names: Vec<String> = chain[at..]
            .iter()
            .chain([&base_path])
            .map(|p| p.display().to_string())
            .collect();
        diags.push(
            Diagnostic::error(
                span(path, ext),
                "extends-cycle",
                format!(
                    "extends: '{rel}' leads back to itself: {}",
                    names.join(" -> ")
                ),
            )
            .with_help("a test file must not extend itself or a test file that extends it"),
        );
        return None;
    }
    if chain.len() >= MAX_LAYERS {
        diags.push(Diagnostic::error(
            span(path, ext),
            "extends-depth",
            format!(
                "extends: '{rel}' would make a chain of more than {MAX_LAYERS} test files (the limit)"
            ),
        ));
        return None;
    }
    let cannot = |code: &'static str, why: String| {
        Diagnostic::error(
            span(path, ext),
            code,
            format!("cannot read the base test file '{rel}': {why}"),
        )
    };
    let text = confine::read(file, rel, BASE_FILE_LIMIT, &LoadOptions::default())
        .map_err(|e| cannot(e.code().unwrap_or("extends-file"), e.to_string()))
        .and_then(|b| {
            String::from_utf8(b).map_err(|_| cannot("extends-file", "it is not UTF-8 text".into()))
        });
    let mut base = match text.map(|t| yaml::parse(&base_path, &t)) {
        Ok(Ok(n)) => n,
        Ok(Err(d)) | Err(d) => {
            diags.push(d);
            return None;
        }
    };
    // A mapping file has `mapping:` too; a test file has `cases:`.
    if base.get("mapping").is_none() || base.get("cases").is_none() {
        diags.push(cannot(
            "extends-file",
            "it is no mapping test file (one has `mapping:` and `cases:`)".into(),
        ));
        return None;
    }
    yaml::tag(&mut base, &Arc::from(base_path.as_path()));
    Some((base_path, base))
}

/// The file at `path` (root `top`) over its base's effective suite.
fn merge(
    path: &Path,
    base_path: &Path,
    mut suite: Suite,
    top: &Node,
    diags: &mut Diagnostics,
) -> Suite {
    for (k, v) in top.get("params").and_then(Node::as_map).unwrap_or(&[]) {
        let name = k.scalar_text();
        match suite
            .params
            .iter()
            .position(|(b, _)| b.scalar_text() == name)
        {
            Some(i) => suite.params[i] = (k.clone(), v.clone()),
            None => suite.params.push((k.clone(), v.clone())),
        }
    }
    for case in cases_of(top) {
        let name = case_name(case);
        let at = name.as_ref().and_then(|n| {
            suite
                .cases
                .iter()
                .position(|c| case_name(c).as_ref() == Some(n))
        });
        match (at, is_removal(case)) {
            (Some(i), true) => {
                suite.cases.remove(i);
            }
            (None, true) => diags.push(unknown_case(path, base_path, case, &suite)),
            (Some(i), false) => suite.cases[i] = case.clone(),
            (None, false) => suite.cases.push(case.clone()),
        }
    }
    suite
}

/// `{name: X, remove: true}` where the base has no case `X`.
fn unknown_case(path: &Path, base_path: &Path, case: &Node, suite: &Suite) -> Diagnostic {
    let name = case_name(case).unwrap_or_default();
    let at = case.get("name").unwrap_or(case);
    let known: Vec<String> = suite.cases.iter().filter_map(case_name).collect();
    Diagnostic::error(
        span(path, at),
        "unknown-case",
        format!(
            "remove: the base test file {} (with its own bases) has no case '{name}'",
            base_path.display()
        ),
    )
    .with_near(&name, known.iter().map(String::as_str))
}
