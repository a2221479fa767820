//! Every test case stored beside the schemas and mappings (`schemas/*/tests`,
//! `mappings/*/tests`), run through the library exactly as `mapwright test`
//! runs them, so `cargo test` covers them.

mod common;
use common::root;

use mapwright::project::{discover, FileKind};
use mapwright::Registry;

fn run_all(dir: &str) -> (usize, Vec<String>) {
    let files = discover(&[root().join(dir)]);
    let mut passed = 0;
    let mut failures = Vec::new();
    for (path, _) in files.iter().filter(|(_, k)| *k == FileKind::Tests) {
        let registry = Registry::discover(path.parent().unwrap());
        match mapwright::testing::run_tests(path, &registry) {
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
    for (path, kind) in discover(&[root().join("schemas"), root().join("mappings")]) {
        let result = match kind {
            FileKind::Schema => mapwright::Schema::from_path(&path).err(),
            FileKind::Mapping => mapwright::Mapping::from_path(&path).err(),
            _ => None,
        };
        assert!(result.is_none(), "{}", result.unwrap());
    }
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
