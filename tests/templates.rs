//! Template defects from the review: a rule message rendered once per
//! failing item reads only what it names (not the whole unit each time), a
//! template whose expression chain would overflow minijinja's stack is
//! refused at load, and a reject quotes a long expression only in part.
//! Every test runs the real binary in a scratch folder of its own.

mod common;
use common::root as repo;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

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

/// A project with schema `demo.row` (`id`, `code`: text) and `mappings/m.yaml`
/// whose `code` field is `template`.
fn template_project(name: &str, template: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    std::fs::create_dir_all(dir.join("mappings")).unwrap();
    std::fs::write(
        dir.join("schemas/demo/row.yaml"),
        "schema: demo.row\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text}\n      code: {type: text}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("mappings/m.yaml"),
        format!("mapping: m\ntarget: demo.row\nrecord:\n  id: = id\n  code:\n    template: '{template}'\n"),
    )
    .unwrap();
    dir
}

/// minijinja's parser recurses over an operator chain: 30,000 `~` terms or
/// 30,000 `|upper` filters overflowed the stack (exit 134) in `check` and
/// `convert`. Such a template is refused at load with `bad-template`
/// naming the limit it is over.
#[test]
fn a_template_too_long_or_too_deep_for_the_parser_is_a_bad_template() {
    let long_chain = format!("{{{{ id{} }}}}", " ~ id".repeat(30_000));
    let long_filters = format!("{{{{ id{} }}}}", "|upper".repeat(30_000));
    let deep = format!("{{{{ id{} }}}}", "|upper".repeat(300));
    let cases = [
        (
            "chain",
            &long_chain,
            "it is 150008 bytes, over the template limit of 8192 bytes",
        ),
        (
            "filters",
            &long_filters,
            "it is 180008 bytes, over the template limit of 8192 bytes",
        ),
        (
            "deep",
            &deep,
            "one tag chains 300 operators and filters, over the limit of 256",
        ),
    ];
    for (name, template, why) in cases {
        let dir = template_project(name, template);
        let (code, out, err) = run(
            &dir,
            &["check", "--message-format", "short", "mappings/m.yaml"],
        );
        assert_eq!(code, 2, "{name}: {out}{err}");
        // Findings come in line order: the no-source-schema warning (line 1)
        // comes before the error.
        let first = out
            .lines()
            .find(|l| l.contains(": error["))
            .unwrap_or_default();
        assert_eq!(
            first,
            format!(
                "mappings/m.yaml:6:15: error[bad-template]: the template does not compile: {why}"
            ),
            "{name}"
        );
        std::fs::write(dir.join("in.ndjson"), "{\"id\": \"a\"}\n").unwrap();
        let (code, _, err) = run(&dir, &["convert", "-m", "mappings/m.yaml", "in.ndjson"]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains("error[bad-template]"), "{name}: {err}");
    }
    // Within the limits a chain renders as before.
    let fits = format!("{{{{ id{} }}}}", "|upper".repeat(200));
    let dir = template_project("fits", &fits);
    std::fs::write(dir.join("in.ndjson"), "{\"id\": \"a\"}\n").unwrap();
    let (code, out, err) = run(
        &dir,
        &[
            "convert",
            "-m",
            "mappings/m.yaml",
            "--output-format",
            "ndjson",
            "in.ndjson",
        ],
    );
    assert_eq!((code, out.trim()), (0, r#"{"id":"a","code":"A"}"#), "{err}");
}

/// A reject quoted a failing expression whole: a 100,000-item literal made
/// a 300 KB reject line. The quote stops at 120 characters and "…".
#[test]
fn a_reject_quotes_at_most_120_characters_of_the_expression() {
    let dir = template_project("long-source", "{{ id }}");
    let literal = vec!["1"; 100_000].join(", ");
    std::fs::write(
        dir.join("mappings/m.yaml"),
        format!(
            "mapping: m\ntarget: demo.row\nrecord:\n  id: = id\n  code: = [{literal}].len() / 0\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("in.ndjson"), "{\"id\": \"a\"}\n").unwrap();
    let (code, _, err) = run(
        &dir,
        &[
            "convert",
            "-m",
            "mappings/m.yaml",
            "in.ndjson",
            "--rejects",
            "rej.ndjson",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let rejects = lines(&dir.join("rej.ndjson"));
    let message = rejects[0]["errors"][0]["message"].as_str().unwrap();
    let quoted = format!("[{}", &literal[..119]);
    assert_eq!(message, format!("code = {quoted}…: division by zero"));
    assert_eq!(quoted.chars().count(), 120);
}

/// A folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    common::fresh("tmpl", name)
}
