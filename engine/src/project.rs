//! Project files: finding the schemas, mappings and test files under the
//! paths given to `mapwright check` and `mapwright test`, by what each file
//! says it is (its first key), not by where it sits.

use std::path::{Path, PathBuf};

/// What a YAML file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// A schema (`schema:` with `types:`).
    Schema,
    /// A mapping (`mapping:`).
    Mapping,
    /// Test cases (`cases:`).
    Tests,
    /// A file named on the command line that is none of these.
    Unknown,
}

/// Every schema, mapping and test file under `paths` (files or folders), sorted.
pub fn discover(paths: &[PathBuf]) -> Vec<(PathBuf, FileKind)> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push((p.clone(), kind_of(p).unwrap_or(FileKind::Unknown)));
        } else {
            walk(p, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn walk(path: &Path, out: &mut Vec<(PathBuf, FileKind)>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') || name == "target" {
                continue;
            }
            walk(&e.path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        if let Some(kind) = kind_of(path) {
            out.push((path.to_path_buf(), kind));
        }
    }
}

/// What the YAML file at `path` is, from its top-level keys.
pub fn kind_of(path: &Path) -> Option<FileKind> {
    let text = std::fs::read_to_string(path).ok()?;
    let has = |key: &str| {
        text.lines()
            .any(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
    };
    if has("cases") {
        Some(FileKind::Tests)
    } else if has("mapping") {
        Some(FileKind::Mapping)
    } else if has("schema") {
        Some(FileKind::Schema)
    } else {
        None
    }
}
