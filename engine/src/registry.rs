//! Registry: where schemas are found by name.
//!
//! `spectrum.purchase_order_batch` is `<system>/<payload>.yaml` in the first
//! place that has it, in this order (docs/schemas.md, "Finding schemas"):
//! 1. the folders given explicitly ([`Registry::discover_with`], or for the
//!    whole process [`Registry::search_first`]: the CLI's `--schemas DIR`), in order;
//! 2. the `schemas/` folder of the project: the nearest folder at or above
//!    the mapping (or the current directory) that has one;
//! 3. the folders in `$MAPWRIGHT_SCHEMAS` (separated like `PATH`);
//! 4. the schemas built into mapwright (the shipped `schemas/` tree).
//!
//! So a project's own schema overrides a shipped one of the same name, and
//! a binary copied anywhere still knows the shipped ones. A name that is a
//! path to a `.yaml` file is loaded as it is.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::schema::Schema;

include!(concat!(env!("OUT_DIR"), "/embedded_schemas.rs"));

/// Folders that hold schemas, searched in order, then the built-in ones.
#[derive(Clone, Debug)]
pub struct Registry {
    dirs: Vec<PathBuf>,
    built_in: bool,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry {
            dirs: Vec::new(),
            built_in: true,
        }
    }
}

/// Where a schema comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A file on disk.
    File(PathBuf),
    /// Built into mapwright: its path under the shipped `schemas/` folder.
    BuiltIn(&'static str),
}

impl Origin {
    /// The schema's text.
    pub fn text(&self) -> std::io::Result<Cow<'static, str>> {
        match self {
            Origin::File(p) => std::fs::read_to_string(p).map(Cow::Owned),
            Origin::BuiltIn(rel) => Ok(Cow::Borrowed(built_in_text(rel))),
        }
    }

    /// The path diagnostics name: the file, or `schemas/<system>/<payload>.yaml`
    /// (built in) for a built-in schema.
    pub fn path(&self) -> PathBuf {
        match self {
            Origin::File(p) => p.clone(),
            Origin::BuiltIn(rel) => PathBuf::from(format!("schemas/{rel} (built in)")),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::BuiltIn(rel) => write!(f, "built in (schemas/{rel})"),
        }
    }
}

fn built_in_text(rel: &str) -> &'static str {
    EMBEDDED
        .iter()
        .find(|(_, r, _)| *r == rel)
        .map(|(_, _, text)| *text)
        .unwrap_or("")
}

/// The folders [`Registry::search_first`] set, searched first by every
/// registry [`Registry::discover`] builds.
static SEARCH_FIRST: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();

impl Registry {
    /// The folders given to [`Registry::search_first`] (`--schemas DIR`),
    /// then the project's `schemas/` folder (the nearest at or above
    /// `start`), then `$MAPWRIGHT_SCHEMAS`, then the built-in schemas.
    pub fn discover(start: &Path) -> Registry {
        Registry::discover_with(SEARCH_FIRST.get().map_or(&[], Vec::as_slice), start)
    }

    /// Search `dirs` first, before the project's `schemas/` folder, in every
    /// registry this process discovers from now on: a mapping's `source:`
    /// and `target:`, a schema's `extends:`, `validate` and `schema`. This is
    /// the CLI's `--schemas DIR`: one setting for every schema a run loads,
    /// however deep. It can be set once; a later call changes nothing and
    /// returns false. Relative folders are taken from the current directory.
    pub fn search_first(dirs: Vec<PathBuf>) -> bool {
        let dirs = dirs
            .into_iter()
            .map(|d| {
                std::fs::canonicalize(&d)
                    .or_else(|_| std::path::absolute(&d))
                    .unwrap_or(d)
            })
            .collect();
        SEARCH_FIRST.set(dirs).is_ok()
    }

    /// As [`Registry::discover`], with `explicit` folders searched first.
    pub fn discover_with(explicit: &[PathBuf], start: &Path) -> Registry {
        let mut dirs: Vec<PathBuf> = explicit.to_vec();
        // `Path::new("m.yaml").parent()` is "", which names no folder.
        let start = if start.as_os_str().is_empty() {
            Path::new(".")
        } else {
            start
        };
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        if let Some(project) = start
            .ancestors()
            .map(|d| d.join("schemas"))
            .find(|d| d.is_dir())
        {
            dirs.push(project);
        }
        if let Ok(env) = std::env::var("MAPWRIGHT_SCHEMAS") {
            dirs.extend(std::env::split_paths(&env).filter(|d| !d.as_os_str().is_empty()));
        }
        dirs.dedup();
        Registry {
            dirs,
            built_in: true,
        }
    }

    /// A registry over exactly these folders, without the built-in schemas.
    pub fn with_dirs(dirs: Vec<PathBuf>) -> Registry {
        Registry {
            dirs,
            built_in: false,
        }
    }

    /// The folders searched, in order (the built-in schemas come after them).
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Where `name` (a schema name or a path to a `.yaml` file) is found.
    pub fn find(&self, name: &str) -> Option<Origin> {
        let as_path = Path::new(name);
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            return as_path
                .is_file()
                .then(|| Origin::File(as_path.to_path_buf()));
        }
        let (system, payload) = name.split_once('.')?;
        let rel = format!("{system}/{payload}.yaml");
        if let Some(p) = self.dirs.iter().map(|d| d.join(&rel)).find(|p| p.is_file()) {
            return Some(Origin::File(p));
        }
        self.built_in
            .then(|| EMBEDDED.iter().find(|(n, _, _)| *n == name))
            .flatten()
            .map(|(_, rel, _)| Origin::BuiltIn(rel))
    }

    /// Load the schema called `name`: [`Error::Diagnostics`](crate::Error::Diagnostics)
    /// when it is unknown (with the nearest known name) or wrong.
    pub fn load(&self, name: &str) -> Result<Schema, crate::Error> {
        Ok(self.load_schema(name)?)
    }

    /// [`Registry::load`] with its findings as they are.
    pub(crate) fn load_schema(&self, name: &str) -> Result<Schema, Diagnostics> {
        let Some(origin) = self.find(name) else {
            return Err(Diagnostics(vec![self.unknown(name, Span::default())]));
        };
        match &origin {
            Origin::File(p) => Schema::load(p),
            Origin::BuiltIn(_) => {
                Schema::compile(&origin.path(), &origin.text().unwrap_or_default())
            }
        }
    }

    /// The diagnostic for a schema name that is not found: where it looked,
    /// the nearest known name, and every known name.
    pub(crate) fn unknown(&self, name: &str, span: Span) -> Diagnostic {
        let known: Vec<String> = self.list().into_iter().map(|(n, _)| n).collect();
        let mut searched: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        if self.built_in {
            searched.push("the built-in schemas".to_string());
        }
        Diagnostic::error(
            span,
            "unknown-schema",
            format!(
                "no schema '{name}' (searched {}); known schemas: {}",
                if searched.is_empty() {
                    "nowhere".to_string()
                } else {
                    searched.join(", ")
                },
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        )
        .with_near(name, known.iter().map(String::as_str))
    }

    /// Every schema name and where it comes from, sorted by name; a name
    /// found in several places is listed once, from the place that wins.
    pub fn list(&self) -> Vec<(String, Origin)> {
        let mut out: Vec<(String, Origin)> = Vec::new();
        for dir in &self.dirs {
            for (name, path) in schemas_in(dir) {
                if !out.iter().any(|(n, _)| *n == name) {
                    out.push((name, Origin::File(path)));
                }
            }
        }
        if self.built_in {
            for (name, rel, _) in EMBEDDED {
                if !out.iter().any(|(n, _)| n == name) {
                    out.push((name.to_string(), Origin::BuiltIn(rel)));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// `<system>/<payload>.yaml` files under `dir`, as (name, path).
fn schemas_in(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(systems) = std::fs::read_dir(dir) else {
        return out;
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
                out.push((name, p));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_schemas_are_built_in() {
        let r = Registry::with_dirs(Vec::new());
        assert!(r.list().is_empty());
        let r = Registry {
            dirs: Vec::new(),
            built_in: true,
        };
        let names: Vec<String> = r.list().into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"spectrum.purchase_order_batch".to_string()));
        assert!(names.contains(&"pruvan.work_orders_create".to_string()));
        // The built-in create schema extends the built-in work-order schema.
        let s = r.load("pruvan.work_orders_create").unwrap();
        assert_eq!(s.name, "pruvan.work_orders_create");
    }

    #[test]
    fn a_project_schema_overrides_a_built_in_one() {
        let dir = std::env::temp_dir().join(format!("mapwright-registry-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("spectrum")).unwrap();
        let own = dir.join("spectrum/purchase_order_batch.yaml");
        std::fs::write(&own, "schema: spectrum.purchase_order_batch\n").unwrap();
        let r = Registry {
            dirs: vec![dir.clone()],
            built_in: true,
        };
        assert_eq!(
            r.find("spectrum.purchase_order_batch"),
            Some(Origin::File(own))
        );
        assert!(matches!(
            r.find("spectrum.purchase_order_batch_result"),
            Some(Origin::BuiltIn("spectrum/purchase_order_batch_result.yaml"))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unknown_name_says_where_it_looked_and_what_is_near() {
        let r = Registry::default();
        let d = r.unknown("spectrum.purchase_order_bach", Span::default());
        let text = d.to_string();
        assert!(text.contains("the built-in schemas"), "{text}");
        assert!(
            text.contains("did you mean 'spectrum.purchase_order_batch'"),
            "{text}"
        );
    }
}
