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
            FileKind::Schema => Schema::from_path(path).err(),
            FileKind::Mapping => match mapwright::Mapping::from_path(path) {
                Ok(m) => Some(m.warnings),
                Err(d) => Some(d),
            },
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
