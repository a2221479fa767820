//! Project files: finding the schemas, mappings and test files under the
//! paths given to `mapwright check` and `mapwright test`, by what each file
//! says it is (its first key), not by where it sits.

use std::path::{Path, PathBuf};

use crate::confine::LoadOptions;
use crate::diag::{Diagnostic, Diagnostics, Severity, Span};
use crate::file_format as ff;
use crate::registry::Registry;
use crate::testing::CaseResult;

/// What a YAML file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileKind {
    /// A schema (`schema:` with `types:`).
    Schema,
    /// A mapping (`mapping:`).
    Mapping,
    /// Test cases (`cases:`).
    Tests,
    /// Rules shared by mappings (`rules:` alone, read with `rules_from:`).
    Rules,
    /// A file named on the command line that is none of these.
    Unknown,
    /// A YAML file found in a folder that is none of these: it is not
    /// checked, and `check` says so (a mapping without its `mapping:` key
    /// is not silently passed over).
    Unrecognised,
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
        match kind_of(path) {
            Some(kind) => out.push((path.to_path_buf(), kind)),
            // Inputs and params files live in `examples/` (and lookups in
            // `lookups/`): YAML there is data, not a file mapwright checks.
            None if !in_data_folder(path) => out.push((path.to_path_buf(), FileKind::Unrecognised)),
            None => {}
        }
    }
}

/// Whether `path` lies in an `examples/` or `lookups/` folder.
fn in_data_folder(path: &Path) -> bool {
    path.components()
        .any(|c| matches!(c.as_os_str().to_str(), Some("examples" | "lookups")))
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
    } else if has("rules") {
        Some(FileKind::Rules)
    } else {
        None
    }
}

/// The folders `check` and `test` look in when given no path.
pub const DEFAULT_FOLDERS: [&str; 2] = ["schemas", "mappings"];

/// The project files under the paths given (or the default folders), and
/// where they were looked for. A named path that is not there, or a search
/// that finds nothing, is an error saying where it looked: a run that checks
/// nothing must not look like a clean one.
#[derive(Clone, Debug)]
pub struct Found {
    /// The files, by kind, sorted.
    pub files: Vec<(PathBuf, FileKind)>,
    /// The paths searched.
    pub looked_in: Vec<PathBuf>,
}

/// Find the files under `paths`; with none, under the [`DEFAULT_FOLDERS`]
/// of the project around the current folder (see [`project_root`]).
pub fn find(paths: &[PathBuf]) -> Result<Found, Diagnostics> {
    let looked_in: Vec<PathBuf> = if paths.is_empty() {
        let here = std::env::current_dir().unwrap_or_default();
        let Some(root) = project_root(&here) else {
            return Err(nothing_found(format!(
                "nothing to check: no path given, and no schemas/ or mappings/ folder in {} or any folder above it",
                here.display()
            )));
        };
        DEFAULT_FOLDERS
            .iter()
            .map(|f| shorter(&root.join(f), &here))
            .filter(|p| p.exists())
            .collect()
    } else {
        paths.to_vec()
    };
    let missing: Vec<Diagnostic> = looked_in
        .iter()
        .filter(|p| !p.exists())
        .map(|p| {
            Diagnostic::error(
                Span::file(p),
                "no-such-path",
                "no such file or folder".to_string(),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(Diagnostics(missing));
    }
    Ok(Found {
        files: discover(&looked_in),
        looked_in,
    })
}

/// A shared rules file on its own: valid YAML with only `rules:`, and every
/// expression in the language. Its names are resolved where it is used,
/// against the source of each mapping of the project that reads it with
/// `rules_from:`; with no such mapping they cannot be, and a warning says so.
fn check_rules_file(path: &Path, options: &LoadOptions) -> Diagnostics {
    let mut diags = check_rules_syntax(path);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return diags;
    }
    let Ok(me) = path.canonicalize() else {
        return diags;
    };
    let users = rules_users(&me, options);
    if users.is_empty() {
        diags.push(Diagnostic::warning(
            Span { line: 1, column: 1, ..Span::file(path) },
            "rules-unchecked",
            "no mapping of this project reads this rules file with `rules_from:`, so the names its rules read cannot be checked",
        ));
    }
    for user in users {
        let registry = Registry::discover(user.parent().unwrap_or(Path::new(".")));
        let found = match crate::Mapping::load(&user, &registry, options) {
            Ok(m) => m.warnings,
            Err(d) => d,
        };
        // Only what is wrong here: the mapping's own findings are its own.
        let here = found
            .0
            .into_iter()
            .filter(|d| d.span.file.canonicalize().is_ok_and(|f| f == me))
            .map(|mut d| {
                // Named as the user named it, not through the mapping's folder.
                d.span.file = path.to_path_buf();
                d
            });
        diags.extend(Diagnostics(here.collect()));
    }
    diags
}

/// The mappings under the project of the rules file `me` (canonical) whose
/// `rules_from:` names it.
fn rules_users(me: &Path, options: &LoadOptions) -> Vec<PathBuf> {
    let Ok(project) = crate::confine::project_of(me, options) else {
        return Vec::new();
    };
    discover(&[project.join("mappings")])
        .into_iter()
        .filter(|(_, k)| *k == FileKind::Mapping)
        .map(|(p, _)| p)
        .filter(|p| {
            let Ok(text) = std::fs::read_to_string(p) else {
                return false;
            };
            let Ok(root) = crate::yaml::parse(p, &text) else {
                return false;
            };
            let Some(named) = root
                .get("rules_from")
                .and_then(crate::yaml::Node::scalar_text)
            else {
                return false;
            };
            p.parent()
                .map(|d| d.join(&named))
                .and_then(|m| m.canonicalize().ok())
                .is_some_and(|m| m == me)
        })
        .collect()
}

/// The rules file's own shape, and every expression in the language.
fn check_rules_syntax(path: &Path) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                Span::file(path),
                "unreadable",
                format!("cannot read it: {e}"),
            ));
            return diags;
        }
    };
    let root = match crate::yaml::parse(path, &text) {
        Ok(r) => r,
        Err(d) => return Diagnostics(vec![d]),
    };
    let Some(mut f) =
        crate::yaml::Fields::new(path, &root, "a rules file", &ff::RULES_FILE, &mut diags)
    else {
        return diags;
    };
    let rules = f.take("rules");
    f.finish("a rules file", &mut diags);
    for rule in rules.and_then(crate::yaml::Node::as_seq).unwrap_or(&[]) {
        for key in ["for_each", "when", "assert"] {
            let Some(n) = rule.get(key) else { continue };
            let src = n.scalar_text().unwrap_or_default();
            let src = src.strip_prefix('=').unwrap_or(&src).trim().to_string();
            if let Err(e) = crate::expr::Expr::compile(&src, &["lookup", "has_lookup", "table"]) {
                diags.push(e.diagnostic(crate::yaml::span(path, n)));
            }
        }
    }
    diags
}

/// One note per `script:`: scripts are rhai, outside the language
/// (docs/expressions.md, "Scripts"), so `check` says where they are.
fn script_notes(scripts: &[(Span, String)]) -> Diagnostics {
    Diagnostics(
        scripts
            .iter()
            .map(|(span, what)| {
                Diagnostic::note(
                    span.clone(),
                    "script",
                    format!("{what} is a rhai script, not an expression"),
                )
            })
            .collect(),
    )
}

fn schema_scripts(schema: &crate::Schema) -> Vec<(Span, String)> {
    schema
        .types
        .iter()
        .flat_map(|t| &t.rules)
        .filter(|r| matches!(&r.check, crate::schema::Check::Assert(e) if e.is_script()))
        .map(|r| (r.span.clone(), format!("rule {}", r.id)))
        .collect()
}

/// The project a folder belongs to: the nearest folder at or above it that
/// holds `mappings/` or `schemas/`.
pub fn project_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| DEFAULT_FOLDERS.iter().any(|f| d.join(f).is_dir()))
        .map(Path::to_path_buf)
}

/// `path` relative to `here` when it is inside it (`mappings`, not
/// `/home/me/project/mappings`), so messages stay short.
fn shorter(path: &Path, here: &Path) -> PathBuf {
    path.strip_prefix(here)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

impl Found {
    fn places(&self) -> String {
        self.looked_in
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn nothing_found(message: String) -> Diagnostics {
    Diagnostics(vec![Diagnostic::error(
        Span::default(),
        "nothing-found",
        message,
    )])
}

/// What `check` found over a set of files.
#[derive(Clone, Debug, Default)]
pub struct CheckRun {
    /// Files checked.
    pub checked: usize,
    /// Every finding of every file, file by file.
    pub diagnostics: Diagnostics,
}

impl CheckRun {
    /// Findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Load every schema, mapping and test file found, collecting what is
/// wrong, loading mappings with `options` (the project root).
pub fn check_with_options(found: &Found, options: &LoadOptions) -> Result<CheckRun, Diagnostics> {
    if found.files.is_empty() {
        return Err(nothing_found(format!(
            "no schema, mapping or test file (a .yaml file with a top-level `schema:`, `mapping:` or `cases:`) in {}",
            found.places()
        )));
    }
    let mut run = CheckRun::default();
    for (path, kind) in &found.files {
        run.checked += 1;
        let diags = match kind {
            FileKind::Schema => match crate::Schema::load(path) {
                Ok(s) => Some(script_notes(&schema_scripts(&s))),
                Err(d) => Some(d),
            },
            // A mapping that loads may still have warnings (names that
            // cannot be checked, reads that may be missing), and a note per
            // script.
            FileKind::Mapping => match crate::Mapping::load(
                path,
                &Registry::discover(path.parent().unwrap_or(Path::new("."))),
                options,
            ) {
                Ok(m) => {
                    let mut d = m.warnings.clone();
                    d.extend(script_notes(&m.scripts));
                    Some(d)
                }
                Err(d) => Some(d),
            },
            FileKind::Rules => Some(check_rules_file(path, options)),
            FileKind::Tests => Some(crate::testing::check_tests(
                path,
                &Registry::discover(path.parent().unwrap_or(Path::new("."))),
            )),
            FileKind::Unrecognised => Some(Diagnostics(vec![Diagnostic::warning(
                Span::file(path),
                "unchecked-file",
                "not checked: this YAML file has no top-level `schema:`, `mapping:`, `cases:` or `rules:`, so it is none of the files mapwright reads",
            )])),
            FileKind::Unknown => Some(Diagnostics(vec![Diagnostic::error(
                Span::file(path),
                "unknown-file",
                "not a schema, mapping or test file: it has no top-level `schema:`, `mapping:` or `cases:`",
            )])),
        };
        run.diagnostics.extend(diags.unwrap_or_default());
    }
    let unique = unique(run.diagnostics);
    run.diagnostics = Diagnostics(
        crate::excerpt::in_place_order(&unique)
            .into_iter()
            .cloned()
            .collect(),
    );
    Ok(run)
}

/// Each finding once: a schema's error is found when the schema is checked
/// and again by each mapping that names it, once by a relative path and once
/// by an absolute one.
fn unique(diags: Diagnostics) -> Diagnostics {
    let mut seen = std::collections::HashSet::new();
    Diagnostics(
        diags
            .0
            .into_iter()
            .filter(|d| {
                let file = d
                    .span
                    .file
                    .canonicalize()
                    .unwrap_or_else(|_| d.span.file.clone());
                seen.insert((file, d.span.line, d.span.column, d.code, d.message.clone()))
            })
            .collect(),
    )
}

/// One test file: its case results, or why it could not run.
pub type TestFileRun = (PathBuf, Result<Vec<CaseResult>, Diagnostics>);

/// Every test file found, each with its case results or why it could not
/// run, loading mappings with `options` (the project root).
pub fn test_with_options(
    found: &Found,
    options: &LoadOptions,
) -> Result<Vec<TestFileRun>, Diagnostics> {
    let mut files: Vec<PathBuf> = found
        .files
        .iter()
        .filter(|(_, k)| *k == FileKind::Tests)
        .map(|(p, _)| p.clone())
        .collect();
    // A mapping named on its own: the test files beside it that test it.
    for (mapping, _) in found.files.iter().filter(|(_, k)| *k == FileKind::Mapping) {
        for t in tests_of(mapping) {
            if !files.contains(&t) {
                files.push(t);
            }
        }
    }
    if files.is_empty() {
        return Err(nothing_found(format!(
            "no test file (a .yaml file with a top-level `cases:`) in {}",
            found.places()
        )));
    }
    Ok(files
        .into_iter()
        .map(|path| {
            let registry = Registry::discover(path.parent().unwrap_or(Path::new(".")));
            let run = crate::testing::run_tests_with_options(&path, &registry, options);
            (path, run)
        })
        .collect())
}

/// The test files in the folder of `mapping` (and below it) whose
/// `mapping:` is that file.
fn tests_of(mapping: &Path) -> Vec<PathBuf> {
    let Ok(target) = mapping.canonicalize() else {
        return Vec::new();
    };
    let folder = mapping.parent().unwrap_or(Path::new("."));
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    discover(&[folder.to_path_buf()])
        .into_iter()
        .filter(|(_, k)| *k == FileKind::Tests)
        .map(|(p, _)| p)
        .filter(|p| {
            let Ok(text) = std::fs::read_to_string(p) else {
                return false;
            };
            let Ok(root) = crate::yaml::parse(p, &text) else {
                return false;
            };
            let named = root
                .get("mapping")
                .and_then(crate::yaml::Node::scalar_text)
                .unwrap_or_default();
            p.parent()
                .map(|d| d.join(&named))
                .and_then(|m| m.canonicalize().ok())
                .is_some_and(|m| m == target)
        })
        .collect()
}

/// A project's schema, mapping, rules and test files, found under the
/// paths given (or the project around the current folder): what
/// `mapwright check` and `mapwright test` run over.
#[derive(Clone, Debug)]
pub struct Project {
    found: Found,
}

impl Project {
    /// Find the files under `paths`; with none, under the `schemas/` and
    /// `mappings/` of the nearest folder above the current one holding
    /// either. Finding nothing is an error saying where it looked.
    pub fn find(paths: &[PathBuf]) -> Result<Project, crate::Error> {
        Ok(find(paths).map(|found| Project { found })?)
    }

    /// Load every file found, collecting what is wrong (mappings loaded
    /// with `options`).
    pub fn check(&self, options: &LoadOptions) -> Result<CheckRun, crate::Error> {
        Ok(check_with_options(&self.found, options)?)
    }

    /// Run every test file found (and those beside a mapping named), each
    /// with its case results or why it could not run.
    pub fn test(&self, options: &LoadOptions) -> Result<Vec<TestFileRun>, crate::Error> {
        Ok(test_with_options(&self.found, options)?)
    }
}
