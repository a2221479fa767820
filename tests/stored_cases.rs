//! Every test case stored beside the schemas and mappings (`schemas/*/tests`,
//! `mappings/*/tests`), run through the library exactly as `mapwright test`
//! runs them, so `cargo test` covers them.

mod common;
use common::root;

use mapwright::{LoadOptions, Project, Severity};

fn run_all(dir: &str) -> (usize, Vec<String>) {
    let project = Project::find(&[root().join(dir)]).unwrap();
    let mut passed = 0;
    let mut failures = Vec::new();
    for (_, outcome) in project.test(&LoadOptions::default()).unwrap() {
        match outcome {
            Ok(results) => {
                for r in results {
                    match r.failure {
                        None => passed += 1,
                        Some(diff) => {
                            failures.push(format!("{}: {}\n{diff}", r.file.display(), r.name))
                        }
                    }
                }
            }
            Err(d) => failures.push(d.to_string()),
        }
    }
    (passed, failures)
}

#[test]
fn schema_cases_pass() {
    let (passed, failures) = run_all("schemas");
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The seeds give well over a hundred cases; an empty run would prove nothing.
    assert!(passed > 150, "only {passed} schema cases ran");
}

#[test]
fn every_schema_and_mapping_loads_clean() {
    let project = Project::find(&[root().join("schemas"), root().join("mappings")]).unwrap();
    let run = project.check(&LoadOptions::default()).unwrap();
    let errors: Vec<String> = run
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(run.checked > 30, "only {} files checked", run.checked);
}

#[test]
fn mapping_cases_pass() {
    let (passed, failures) = run_all("mappings");
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 18, "only {passed} mapping cases ran");
}
