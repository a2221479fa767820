//! `--schemas DIR`: a folder of schemas searched before the project's
//! `schemas/` and the built-in ones, overriding them by name, for every
//! command that loads schemas (docs/schemas.md, "Finding schemas").

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const THING: &str = "schema: acme.thing
record: thing
types:
  thing:
    fields:
      Id: {type: text, required: true}
";

const MAPPING: &str = "mapping: m
target: acme.thing
record:
  Id: = id
";

/// A folder `own/` holding `acme.thing` and its own `spectrum.purchase_order_batch`,
/// and a folder `work/` with a mapping onto `acme.thing`; no `schemas/` anywhere.
fn project(name: &str) -> PathBuf {
    let dir = common::fresh("schema-folders", name);
    std::fs::create_dir_all(dir.join("own/acme")).unwrap();
    std::fs::create_dir_all(dir.join("own/spectrum")).unwrap();
    std::fs::create_dir_all(dir.join("work")).unwrap();
    std::fs::write(dir.join("own/acme/thing.yaml"), THING).unwrap();
    std::fs::copy(
        common::root().join("schemas/spectrum/purchase_order_batch.yaml"),
        dir.join("own/spectrum/purchase_order_batch.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("work/m.yaml"), MAPPING).unwrap();
    dir
}

fn run(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(cwd)
        .env_remove("MAPWRIGHT_SCHEMAS")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn schema_list_says_where_each_schema_comes_from() {
    let dir = project("list");
    let own = std::fs::canonicalize(dir.join("own")).unwrap();
    let (code, out, err) = run(
        &dir.join("work"),
        &["--schemas", "../own", "schema", "list"],
    );
    assert_eq!(code, 0, "{err}");
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split('\t').next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{out}"))
            .to_string()
    };
    assert_eq!(
        line("acme.thing"),
        format!("acme.thing\t{}", own.join("acme/thing.yaml").display())
    );
    // The folder's own copy wins over the built-in one of the same name.
    assert_eq!(
        line("spectrum.purchase_order_batch"),
        format!(
            "spectrum.purchase_order_batch\t{}",
            own.join("spectrum/purchase_order_batch.yaml").display()
        )
    );
    assert_eq!(
        line("pruvan.work_orders"),
        "pruvan.work_orders\tbuilt in (schemas/pruvan/work_orders.yaml)"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_finds_a_target_schema_only_in_the_folder_given() {
    let dir = project("check");
    let work = dir.join("work");
    let (code, out, err) = run(&work, &["check", "--message-format", "short", "m.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.contains("m.yaml:2:9: error[unknown-schema]: no schema 'acme.thing' (searched the built-in schemas)"),
        "{out}"
    );
    // The flag is global: before or after the command.
    for args in [
        ["--schemas", "../own", "check", "m.yaml"],
        ["check", "m.yaml", "--schemas", "../own"],
    ] {
        let (code, _, err) = run(&work, &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(err.contains("0 error(s)"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_schemas_folder_that_is_not_there_is_a_usage_error() {
    let dir = project("missing");
    let (code, out, err) = run(&dir, &["--schemas", "nope", "schema", "list"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(err, "error: --schemas nope: no such folder\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
