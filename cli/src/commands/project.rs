//! `mapwright check` and `mapwright test`: over every schema, mapping and
//! test file under the given paths.

use std::path::{Path, PathBuf};

use mapwright::project::{discover, FileKind};
use mapwright::{Registry, Schema};

use super::exit;

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if !paths.is_empty() {
        return paths;
    }
    ["schemas", "mappings"]
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

pub fn check(paths: Vec<PathBuf>) -> u8 {
    let files = discover(&default_paths(paths));
    let mut errors = 0;
    let mut warnings = 0;
    for (path, kind) in &files {
        let diags = match kind {
            FileKind::Schema => Schema::from_path(path).map(|s| note_schema_scripts(&s)).err(),
            FileKind::Mapping => mapwright::Mapping::from_path(path)
                .map(|m| note_scripts(&m.scripts))
                .err(),
            FileKind::Tests => None,
            FileKind::Unknown => Some(mapwright::Diagnostics(vec![mapwright::Diagnostic::error(
                mapwright::diag::Span::file(path),
                "unknown-file",
                "not a schema, mapping or test file: it has no top-level `schema:`, `mapping:` or `cases:`",
            )])),
        };
        for d in diags.iter().flat_map(|d| d.iter()) {
            println!("{d}");
            if d.severity == mapwright::Severity::Error {
                errors += 1;
            } else {
                warnings += 1;
            }
        }
    }
    let checked = files
        .iter()
        .filter(|(_, k)| !matches!(k, FileKind::Tests))
        .count();
    eprintln!("checked {checked} file(s): {errors} error(s), {warnings} warning(s)");
    if errors > 0 {
        exit::USAGE
    } else {
        exit::OK
    }
}

/// One note line per `script:`: scripts are rhai, outside the language
/// (docs/expressions.md, "Scripts"), so `check` says where they are.
fn note_scripts(scripts: &[(mapwright::diag::Span, String)]) {
    for (span, what) in scripts {
        println!("{span}: note[script]: {what} is a rhai script, not an expression");
    }
}

fn note_schema_scripts(schema: &Schema) {
    let scripts: Vec<_> = schema
        .types
        .iter()
        .flat_map(|t| &t.rules)
        .filter(|r| matches!(&r.check, mapwright::schema::Check::Assert(e) if e.is_script()))
        .map(|r| (r.span.clone(), format!("rule {}", r.id)))
        .collect();
    note_scripts(&scripts);
}

pub fn test(paths: Vec<PathBuf>) -> u8 {
    let files = discover(&default_paths(paths));
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for (path, _) in files.iter().filter(|(_, k)| *k == FileKind::Tests) {
        let registry = Registry::discover(path.parent().unwrap_or(Path::new(".")));
        match mapwright::testing::run_tests(path, &registry) {
            Ok(results) => {
                for r in results {
                    match r.failure {
                        None => passed += 1,
                        Some(diff) => {
                            failed += 1;
                            println!("FAIL {}: {}\n{diff}", r.file.display(), r.name);
                        }
                    }
                }
            }
            Err(d) => {
                broken += 1;
                println!("{d}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if broken > 0 {
        exit::USAGE
    } else if failed > 0 {
        exit::REJECTED
    } else {
        exit::OK
    }
}
