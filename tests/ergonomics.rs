//! The "Less repetition" example of docs/mappings.md runs as shown: each
//! block marked `# file: PATH` is written into a scratch project, which
//! `mapwright check` finds clean and whose cases `mapwright test` passes.
//! A typo in the names the new forms bind (`item`, a per-item `let:`, a
//! templated `field:`) is still an error.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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

/// The fenced blocks of the doc's "Less repetition" section, by the path
/// their first line names.
fn example_files() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(common::root().join("docs/mappings.md")).unwrap();
    let start = doc
        .find("## Less repetition")
        .expect("the section is in the doc");
    let end = start + doc[start..].find("\n## Params").expect("Params follows it");
    let mut files = Vec::new();
    for block in doc[start..end].split("```yaml\n").skip(1) {
        let body = block.split("```").next().unwrap();
        let (first, rest) = body.split_once('\n').unwrap();
        let path = first
            .strip_prefix("# file: ")
            .expect("each block names its file");
        files.push((path.to_string(), rest.to_string()));
    }
    files
}

/// A scratch project holding the example, with `edit` applied to the mapping.
fn project(name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let dir = common::fresh("ergonomics", name);
    for (path, text) in example_files() {
        let file = dir.join(&path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let text = if path == "mappings/demo.yaml" {
            edit(&text)
        } else {
            text
        };
        std::fs::write(file, text).unwrap();
    }
    dir
}

#[test]
fn the_docs_example_is_clean_and_its_cases_pass() {
    let files = example_files();
    assert_eq!(files.len(), 4, "two schemas, the mapping and its tests");
    let dir = project("as-shown", str::to_string);
    let (code, out, err) = run(&dir, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("checked 4 file(s): 0 error(s), 0 warning(s)"),
        "{out}{err}"
    );
    let (code, out, err) = run(&dir, &["test"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("6 passed, 0 failed"),
        "{out}{err}"
    );
}

/// Each misspelt name is reported by `check` with its code and a
/// did-you-mean.
#[test]
fn a_typo_in_item_a_per_item_let_or_a_templated_field_is_an_error() {
    for (name, from, to, near) in [
        (
            "item",
            "blank(fields[item])",
            "blank(fields[itme])",
            "did you mean 'item'?",
        ),
        (
            "let",
            "label: = label",
            "label: = lable",
            "did you mean 'label'?",
        ),
        (
            "field",
            "\"fields/{{ item }}\"",
            "\"fields/{{ iten }}\"",
            "did you mean 'item'?",
        ),
        (
            "field-path",
            "\"fields/{{ item }}\"",
            "\"feilds/{{ item }}\"",
            "did you mean 'fields'?",
        ),
    ] {
        let dir = project(&format!("typo-{name}"), |t| {
            assert!(t.contains(from), "{from}");
            t.replacen(from, to, 1)
        });
        let (code, out, err) = run(&dir, &["check"]);
        let all = format!("{out}{err}");
        assert_eq!(code, 2, "{name}: {all}");
        assert!(all.contains("error[unknown-source-field]"), "{name}: {all}");
        assert!(all.contains(near), "{name}: {all}");
        assert!(all.contains("mappings/demo.yaml:"), "{name}: {all}");
    }
}

/// A map param written badly stops the run before any record is read
/// (exit 2), naming the pair.
#[test]
fn a_badly_written_map_param_stops_the_run() {
    let dir = project("bad-map", str::to_string);
    std::fs::write(dir.join("in.ndjson"), "{\"ref\": \"C1\"}\n").unwrap();
    let (code, out, err) = run(
        &dir,
        &[
            "convert",
            "-m",
            "mappings/demo.yaml",
            "in.ndjson",
            "--param",
            "status_by_priority=P1=rush,P2",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("param 'status_by_priority' = \"P1=rush,P2\" is not KEY=VALUE pairs separated by commas (P1=rush,P2=rework): 'P2' is not KEY=VALUE"),
        "{err}"
    );
}
