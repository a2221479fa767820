//! Registry: where schemas are found by name.
//!
//! `spectrum.purchase_order_batch` is `schemas/spectrum/purchase_order_batch.yaml`
//! in the first `schemas/` folder found: beside the mapping or the current
//! directory, or above them, or in `$MAPWRIGHT_SCHEMAS`. A name that is a
//! path to a file is loaded as it is.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::schema::Schema;

/// Folders that hold schemas, searched in order.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    dirs: Vec<PathBuf>,
}

impl Registry {
    /// The `schemas/` folders at or above `start`, then `$MAPWRIGHT_SCHEMAS`.
    pub fn discover(start: &Path) -> Registry {
        let mut dirs = Vec::new();
        if let Ok(env) = std::env::var("MAPWRIGHT_SCHEMAS") {
            dirs.extend(std::env::split_paths(&env));
        }
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        // Then beside the program itself: a build in a checkout finds the
        // shipped schemas from any directory.
        let exe = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf));
        for dir in start
            .ancestors()
            .chain(exe.iter().flat_map(|e| e.ancestors()))
        {
            let candidate = dir.join("schemas");
            if candidate.is_dir() && !dirs.contains(&candidate) {
                dirs.push(candidate);
            }
        }
        Registry { dirs }
    }

    /// A registry over exactly these folders.
    pub fn with_dirs(dirs: Vec<PathBuf>) -> Registry {
        Registry { dirs }
    }

    /// The file for `name` (a schema name or a path).
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let as_path = Path::new(name);
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            return as_path.is_file().then(|| as_path.to_path_buf());
        }
        let (system, payload) = name.split_once('.')?;
        self.dirs
            .iter()
            .map(|d| d.join(system).join(format!("{payload}.yaml")))
            .find(|p| p.is_file())
    }

    /// Load the schema called `name`.
    pub fn load(&self, name: &str) -> Result<Schema, Diagnostics> {
        match self.find(name) {
            Some(p) => Schema::from_path(&p),
            None => {
                let known: Vec<String> = self.list().into_iter().map(|(n, _)| n).collect();
                Err(Diagnostics(vec![Diagnostic::error(
                    Span::default(),
                    "unknown-schema",
                    format!(
                        "no schema '{name}' (searched {}); known schemas: {}",
                        self.dirs
                            .iter()
                            .map(|d| d.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                )]))
            }
        }
    }

    /// Every schema name and file, sorted by name.
    pub fn list(&self) -> Vec<(String, PathBuf)> {
        let mut out: Vec<(String, PathBuf)> = Vec::new();
        for dir in &self.dirs {
            let Ok(systems) = std::fs::read_dir(dir) else {
                continue;
            };
            for sys in systems.flatten().filter(|e| e.path().is_dir()) {
                let Ok(files) = std::fs::read_dir(sys.path()) else {
                    continue;
                };
                for f in files.flatten() {
                    let p = f.path();
                    if p.extension().is_some_and(|e| e == "yaml") {
                        let name = format!(
                            "{}.{}",
                            sys.file_name().to_string_lossy(),
                            p.file_stem().unwrap_or_default().to_string_lossy()
                        );
                        if !out.iter().any(|(n, _)| *n == name) {
                            out.push((name, p));
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }
}
