//! Every diagnostic fixture (`tests/fixtures/err_*`) through `mapwright
//! check`, rendered as a person sees it (excerpt, caret, help) and compared
//! with its insta snapshot; and the folder name is the code it must report.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn check(dir: &Path, format: &str) -> (i32, String) {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(dir)
        .arg("check")
        .arg(format!("--message-format={format}"))
        .args(&files)
        .output()
        .unwrap();
    let root = fixtures().canonicalize().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).replace(&root.display().to_string(), "[FIXTURES]");
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn every_fixture_reports_its_code_rendered_with_its_excerpt() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("err_"))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "{dirs:?}");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let code = name
            .trim_start_matches("err_")
            .trim_end_matches("-in-tests");
        let (exit, short) = check(&dir, "short");
        assert!(
            short.contains(&format!("[{code}]: ")),
            "{name}: no finding with code {code}:\n{short}"
        );
        let warning_only = short.lines().all(|l| l.contains(": warning["));
        assert_eq!(exit, if warning_only { 0 } else { 2 }, "{name}:\n{short}");
        let (_, human) = check(&dir, "human");
        insta::assert_snapshot!(name, human);
    }
}
