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
    let dir = std::env::temp_dir().join(format!("mapwright-{suite}-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
