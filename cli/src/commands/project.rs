//! `mapwright check` and `mapwright test`: over every schema, mapping and
//! test file under the given paths. The finding and checking is the
//! library's (mapwright::project); this prints it.

use std::path::PathBuf;

use mapwright::project::{self, Found};
use mapwright::{Diagnostics, Severity};

use super::exit;

/// The files under `paths`, or the printed reason there are none (exit 2).
fn found(paths: &[PathBuf]) -> Result<Found, u8> {
    project::find(paths).map_err(refused)
}

fn refused(d: Diagnostics) -> u8 {
    eprintln!("{d}");
    exit::USAGE
}

pub fn check(paths: Vec<PathBuf>) -> u8 {
    let run = match found(&paths).and_then(|f| project::check(&f).map_err(refused)) {
        Ok(run) => run,
        Err(code) => return code,
    };
    for d in run.diagnostics.iter() {
        println!("{d}");
    }
    let errors = run.count(Severity::Error);
    eprintln!(
        "checked {} file(s): {errors} error(s), {} warning(s)",
        run.checked,
        run.count(Severity::Warning)
    );
    if errors > 0 {
        exit::USAGE
    } else {
        exit::OK
    }
}

pub fn test(paths: Vec<PathBuf>) -> u8 {
    let files = match found(&paths).and_then(|f| project::test(&f).map_err(refused)) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for (_, outcome) in files {
        match outcome {
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
