//! Helpers every end-to-end test file shares: where the repository is, and
//! folders of a test's own under the system's temp folder (tests write
//! nowhere else).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ sits in the repository")
        .to_path_buf()
}

/// An empty folder for `suite`'s test `name` (emptied if a run before left it).
pub fn fresh(suite: &str, name: &str) -> PathBuf {
    let dir = folder(suite, name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The folder for `suite`'s `name`, created if missing and kept as it is
/// (several files of one test go there one by one).
pub fn folder(suite: &str, name: &str) -> PathBuf {
    let dir = this_run().join(format!("{suite}-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The folder of this test process's scratch folders:
/// `$TMPDIR/mapwright-tests/PID`. The first call of a run removes the ones
/// processes that have ended left (test folders are kept while a run lasts,
/// so a failure can be looked at, but they do not pile up run after run).
fn this_run() -> PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let all = std::env::temp_dir().join("mapwright-tests");
    SWEPT.call_once(|| remove_ended_runs(&all));
    all.join(std::process::id().to_string())
}

/// Remove the folders of runs whose process is gone (Linux, where /proc
/// tells; elsewhere nothing is removed).
fn remove_ended_runs(all: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    for entry in std::fs::read_dir(all).into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().parse::<u32>();
        if pid.is_ok_and(|pid| !Path::new("/proc").join(pid.to_string()).exists()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Copy the tree at `from` to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A scratch project for `suite`'s test `name`: schema `demo.row` (`id`
/// text of at most 5 characters, required; `n` text), mapping `m.yaml`
/// (`id: = id`, `n: = name`).
pub fn demo_project(suite: &str, name: &str) -> PathBuf {
    let dir = fresh(suite, name);
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    std::fs::write(
        dir.join("schemas/demo/row.yaml"),
        "schema: demo.row\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text, required: true, max_length: 5}\n      n: {type: text}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("m.yaml"),
        format!("mapping: rows\ntarget: demo.row\n{DEMO_RECORD}"),
    )
    .unwrap();
    dir
}

/// [`demo_project`] with `s.yaml` too: its mapping with `select: $.orders[*]`.
pub fn demo_project_with_select(suite: &str, name: &str) -> PathBuf {
    let dir = demo_project(suite, name);
    let s = format!("mapping: rows\ntarget: demo.row\nselect: $.orders[*]\n{DEMO_RECORD}");
    std::fs::write(dir.join("s.yaml"), s).unwrap();
    dir
}

/// The record of [`demo_project`]'s mapping.
pub const DEMO_RECORD: &str = "record:\n  id: = id\n  n: = name\n";

/// The `mapwright` binary, run in `dir`.
pub fn mapwright(dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("mapwright").unwrap();
    c.current_dir(dir);
    c
}

/// Exit code, stdout, stderr.
pub fn run(c: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every name in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

/// The JSON values of an NDJSON file, one per line.
pub fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
