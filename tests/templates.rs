//! Template defects from the review: a rule message rendered once per
//! failing item reads only what it names (not the whole unit each time), a
//! template whose expression chain would overflow minijinja's stack is
//! refused at load, and a reject quotes a long expression only in part.
//! Every test runs the real binary in a scratch folder of its own.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh scratch folder.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mapwright-tmpl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The design example's order with its one activity copied `n` times, each
/// with its own id and an Internal team.
fn order_of_internal_activities(n: usize) -> Value {
    let example = repo().join("mappings/oneserve-spectrum/tests/design-example.json");
    let mut order: Value = serde_json::from_slice(&std::fs::read(example).unwrap()).unwrap();
    let activity = order["activities"][0].clone();
    let activities = (0..n)
        .map(|i| {
            let mut a = activity.clone();
            a["id"] = Value::from(10_000 + i);
            a["team"]["type"] = Value::from("Internal");
            a
        })
        .collect();
    order["activities"] = Value::Array(activities);
    order["order_request_id"] = Value::from("ORQ-BIG");
    order
}

/// 3,000 activities that all fail `team-subcontract` render 3,000 messages;
/// each once read the whole unit again (1,000 took 14 s, 3,000 did not end
/// in 60 s, holding up the records behind). Now the unit is refused with
/// exactly 3,000 such errors and the normal order after it is accepted.
#[test]
fn an_order_of_three_thousand_failing_activities_is_refused_and_the_next_goes_on() {
    let dir = scratch("many-activities");
    let example = repo().join("mappings/oneserve-spectrum/tests/design-example.json");
    let normal: Value = serde_json::from_slice(&std::fs::read(example).unwrap()).unwrap();
    let input = format!("{}\n{}\n", order_of_internal_activities(3000), normal);
    std::fs::write(dir.join("in.ndjson"), input).unwrap();
    let mapping = repo().join("mappings/oneserve-spectrum/order.yaml");
    let (code, _, err) = run(
        &dir,
        &[
            "convert",
            "-m",
            mapping.to_str().unwrap(),
            "--param",
            "company_code=KM2",
            "--output-format",
            "ndjson",
            "in.ndjson",
            "-o",
            "out.ndjson",
            "--rejects",
            "rej.ndjson",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let rejects = lines(&dir.join("rej.ndjson"));
    assert_eq!(rejects.len(), 1);
    let errors = rejects[0]["errors"].as_array().unwrap();
    let subcontract: Vec<&Value> = errors
        .iter()
        .filter(|e| e["rule"] == "team-subcontract")
        .collect();
    assert_eq!(subcontract.len(), 3000, "{}", rejects[0]);
    assert_eq!(
        subcontract[2999]["message"],
        "activity 12999: team 'Acme Plumbing' is Internal; orders go only to teams of type Sub-Contract"
    );
    let accepted = lines(&dir.join("out.ndjson"));
    assert_eq!(accepted.len(), 1, "{err}");
    assert!(
        err.contains("2 input records, 2 units: 1 accepted, 1 rejected, 0 skipped"),
        "{err}"
    );
}
