//! The run itself under faults (issue 11): what is on disk afterwards,
//! byte for byte, the exit code, and what the rejects hold. Every test runs
//! the real binary in a scratch folder of its own.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Std, Stdio};

mod common;

use common::{lines, mapwright, names, run};

use serde_json::{json, Value};

/// A scratch project: schema `demo.row` (`id` text of at most 5
/// characters, required; `n` text) and mapping `m.yaml` (`id: = id`,
/// `n: = name`).
fn project(name: &str) -> PathBuf {
    common::demo_project("faults", name)
}

/// The binary as a plain process, for redirecting its streams to files.
fn plain(dir: &Path) -> Std {
    let mut c = Std::new(binary());
    c.current_dir(dir);
    c
}

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("mapwright")
}

fn convert(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(mapwright(dir)
        .args(["convert", "-m", "m.yaml", "--output-format", "ndjson"])
        .args(args))
}

/// The files of an old run, to compare byte for byte after a fault.
fn old_set(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let set = [
        ("out.ndjson", "{\"id\":\"OLD\"}\n"),
        ("rej.ndjson", "{\"old\":\"rejects\"}\n"),
        ("report.json", "{\"old\":\"report\"}\n"),
    ];
    set.iter()
        .map(|(n, text)| {
            std::fs::write(dir.join(n), text).unwrap();
            (dir.join(n), text.as_bytes().to_vec())
        })
        .collect()
}

fn assert_unchanged(set: &[(PathBuf, Vec<u8>)]) {
    for (path, bytes) in set {
        assert_eq!(
            &std::fs::read(path).unwrap(),
            bytes,
            "{} changed",
            path.display()
        );
    }
}

const GOOD_AND_BAD: &str = "{\"id\":\"A1\",\"name\":\"x\"}\n{\"id\":\"TOOLONG\",\"name\":\"y\"}\n{\"id\":\"A3\",\"name\":\"z\"}\n";

#[test]
fn one_path_in_two_roles_or_an_output_that_is_an_input_exits_2_and_touches_nothing() {
    let dir = project("roles");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    std::fs::hard_link(dir.join("in.ndjson"), dir.join("linked.ndjson")).unwrap();
    let old = old_set(&dir);
    let input = std::fs::read(dir.join("in.ndjson")).unwrap();
    for (args, flags) in [
        (
            vec!["-o", "out.ndjson", "--rejects", "out.ndjson"],
            "-o/--output and --rejects",
        ),
        (
            vec!["-o", "out.ndjson", "--report", "./out.ndjson"],
            "-o/--output and --report",
        ),
        (
            vec![
                "-o",
                "out.ndjson",
                "--rejects",
                "rej.ndjson",
                "--report",
                "rej.ndjson",
            ],
            "--rejects and --report",
        ),
        (vec!["-o", "in.ndjson"], "-o/--output and an input"),
        (
            vec!["-o", "out.ndjson", "--rejects", "linked.ndjson"],
            "--rejects and an input",
        ),
        (vec!["-o", "m.yaml"], "-o/--output and -m/--mapping"),
    ] {
        let (code, out, err) = convert(&dir, &[&["in.ndjson"], &args[..]].concat());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("{flags} are the same file")),
            "{args:?}: {err}"
        );
        assert_eq!(out, "");
        assert_unchanged(&old);
        assert_eq!(std::fs::read(dir.join("in.ndjson")).unwrap(), input);
    }
    // Nothing but the files put there: no temporary or lock file.
    assert_eq!(
        names(&dir),
        [
            "in.ndjson",
            "linked.ndjson",
            "m.yaml",
            "out.ndjson",
            "rej.ndjson",
            "report.json",
            "schemas"
        ]
    );
}

#[test]
fn rejects_on_stdout_beside_the_output_are_refused() {
    let dir = project("rejects-dash");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    let (code, out, err) = convert(&dir, &["in.ndjson", "--rejects", "-"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.contains("--rejects - and the output would both go to stdout"),
        "{err}"
    );
    // With the output in a file, the rejects may have stdout to themselves.
    let (code, out, err) = convert(&dir, &["in.ndjson", "--rejects", "-", "-o", "out.ndjson"]);
    assert_eq!(code, 1, "{err}");
    let rej: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(rej["input"], json!([2]));
    assert_eq!(lines(&dir.join("out.ndjson")).len(), 2);
}

#[test]
fn a_report_that_cannot_be_written_is_found_before_any_input_is_read() {
    let dir = project("report-up-front");
    let old = old_set(&dir);
    // The input does not exist: the report's error comes first, so the
    // report was opened before any input.
    let (code, _, err) = convert(
        &dir,
        &[
            "missing.ndjson",
            "-o",
            "out.ndjson",
            "--rejects",
            "rej.ndjson",
            "--report",
            "no/such/dir/report.json",
        ],
    );
    assert_eq!(code, 3);
    assert!(
        err.contains("cannot write no/such/dir/report.json"),
        "{err}"
    );
    assert!(!err.contains("missing.ndjson"), "{err}");
    assert_unchanged(&old);
    assert_eq!(
        names(&dir),
        [
            "m.yaml",
            "out.ndjson",
            "rej.ndjson",
            "report.json",
            "schemas"
        ]
    );
}

/// A full disk while the output is written (/dev/full), or while the
/// rejects are: the run fails with exit 3 and the old set stays whole (the
/// accepted records never land without the rejected ones).
#[test]
fn a_full_disk_leaves_the_old_set_whole() {
    let dir = project("full");
    let many: String = (0..5000)
        .map(|i| {
            if i % 10 == 0 {
                format!("{{\"id\":\"LONG-{i}\",\"name\":\"x\"}}\n")
            } else {
                format!("{{\"id\":\"A{}\",\"name\":\"x\"}}\n", i % 1000)
            }
        })
        .collect();
    std::fs::write(dir.join("in.ndjson"), many).unwrap();
    let old = old_set(&dir);
    let (code, _, err) = convert(
        &dir,
        &[
            "in.ndjson",
            "-o",
            "/dev/full",
            "--rejects",
            "rej.ndjson",
            "--report",
            "report.json",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert_unchanged(&old);
    let (code, _, err) = convert(
        &dir,
        &[
            "in.ndjson",
            "-o",
            "out.ndjson",
            "--rejects",
            "/dev/full",
            "--report",
            "report.json",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert_unchanged(&old);
    // Stdout on a full disk: the same.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = plain(&dir)
        .args([
            "convert",
            "-m",
            "m.yaml",
            "--output-format",
            "ndjson",
            "in.ndjson",
        ])
        .args(["--rejects", "rej.ndjson", "--report", "report.json"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_unchanged(&old);
    assert_eq!(
        names(&dir),
        [
            "in.ndjson",
            "m.yaml",
            "out.ndjson",
            "rej.ndjson",
            "report.json",
            "schemas"
        ]
    );
    // And a run that succeeds replaces the whole set.
    let (code, _, err) = convert(
        &dir,
        &[
            "in.ndjson",
            "-o",
            "out.ndjson",
            "--rejects",
            "rej.ndjson",
            "--report",
            "report.json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(lines(&dir.join("out.ndjson")).len(), 4500);
    assert_eq!(lines(&dir.join("rej.ndjson")).len(), 500);
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["counts"]["rejected"], 500);
    // The rejections reach the report through its spool, all of them, in order.
    let rejections = report["rejections"].as_array().unwrap();
    assert_eq!(rejections.len(), 500);
    assert_eq!(rejections[0]["input"], json!([1]));
    assert_eq!(rejections[499]["input"], json!([4991]));
    assert_eq!(
        rejections[499]["source"],
        json!([{"id": "LONG-4990", "name": "x"}])
    );
}

#[test]
fn an_output_of_mode_0600_stays_0600() {
    let dir = project("mode");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    for name in ["out.ndjson", "rej.ndjson"] {
        std::fs::write(dir.join(name), "old\n").unwrap();
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, _, err) = convert(
        &dir,
        &["in.ndjson", "-o", "out.ndjson", "--rejects", "rej.ndjson"],
    );
    assert_eq!(code, 1, "{err}");
    for name in ["out.ndjson", "rej.ndjson"] {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    assert_eq!(lines(&dir.join("out.ndjson")).len(), 2);
}

/// Symlinks planted at the names the old temporary files had
/// (`.NAME.PID.tmp`, for the next few thousand process ids) and at the lock
/// name point at a file outside: the run writes through none of them.
#[test]
fn planted_symlinks_do_not_redirect_a_write() {
    let dir = project("symlink");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    let out_dir = dir.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let me = std::process::id();
    for pid in me..me + 3000 {
        std::os::unix::fs::symlink(&victim, out_dir.join(format!(".out.ndjson.{pid}.tmp")))
            .unwrap();
    }
    let (code, _, err) = convert(&dir, &["in.ndjson", "-o", "out/out.ndjson"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let out = out_dir.join("out.ndjson");
    assert!(std::fs::symlink_metadata(&out).unwrap().is_file());
    assert_eq!(lines(&out).len(), 2);
    // Every planted link is still a link to the victim.
    let links = std::fs::read_dir(&out_dir)
        .unwrap()
        .flatten()
        .filter(|e| std::fs::read_link(e.path()).is_ok_and(|t| t == victim))
        .count();
    assert_eq!(links, 3000);
    // A link at the lock file's name is not followed: the run is refused.
    std::os::unix::fs::symlink(&victim, dir.join(".locked.ndjson.mapwright.lock")).unwrap();
    let (code, _, err) = convert(&dir, &["in.ndjson", "-o", "locked.ndjson"]);
    assert_eq!(code, 3, "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(!dir.join("locked.ndjson").exists());
}

/// A second run on the same outputs while the first holds them is refused
/// and writes nothing; the lock is held here, from the test, so the
/// outcome does not depend on timing.
#[test]
fn a_second_run_on_the_same_outputs_is_refused() {
    let dir = project("lock");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    let old = old_set(&dir);
    let rejects = dir.join("rej.ndjson");
    // The lock a run takes on an output: `.NAME.mapwright.lock` beside it.
    let held = std::fs::File::create(dir.join(".rej.ndjson.mapwright.lock")).unwrap();
    held.lock().unwrap();
    let (code, _, err) = convert(
        &dir,
        &[
            "in.ndjson",
            "-o",
            "other.ndjson",
            "--rejects",
            "rej.ndjson",
            "--report",
            "report.json",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("another mapwright run is writing"), "{err}");
    assert_unchanged(&old);
    assert!(!dir.join("other.ndjson").exists());
    drop(held);
    let (code, _, err) = convert(
        &dir,
        &["in.ndjson", "-o", "other.ndjson", "--rejects", "rej.ndjson"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(lines(&rejects)[0]["input"], json!([2]));
    // The lock files are gone with the run.
    assert!(
        names(&dir).iter().all(|n| !n.ends_with(".lock")),
        "{:?}",
        names(&dir)
    );
}

/// A SIGKILL (no handler runs) leaves nothing under a final name: the old
/// set stays, and what remains is recognisable `.NAME.mapwright-XXXXXX.tmp`
/// files (and the lock files) beside it.
#[test]
fn a_sigkill_leaves_the_old_set_and_recognisable_temporary_files() {
    let dir = project("sigkill");
    let old = old_set(&dir);
    let mut child = Std::new(binary())
        .current_dir(&dir)
        .args(["convert", "-m", "m.yaml", "--output-format", "ndjson"])
        .args([
            "-o",
            "out.ndjson",
            "--rejects",
            "rej.ndjson",
            "--report",
            "report.json",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(GOOD_AND_BAD.as_bytes()).unwrap();
    // The outputs are opened before input is read: wait (a bounded number
    // of polls) until the three temporary files exist.
    let temps = || {
        names(&dir)
            .into_iter()
            .filter(|n| n.contains(".mapwright-") && n.ends_with(".tmp"))
            .collect::<Vec<_>>()
    };
    for _ in 0..1000 {
        if temps().len() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(temps().len(), 3, "{:?}", names(&dir));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert_unchanged(&old);
    for t in temps() {
        let (stem, random) = t.rsplit_once(".mapwright-").unwrap();
        assert!(
            [".out.ndjson", ".rej.ndjson", ".report.json"].contains(&stem),
            "{t}"
        );
        assert_eq!(random.len(), "XXXXXX.tmp".len(), "{t}");
    }
}

#[test]
fn output_dir_writes_a_manifest_last_and_a_failed_run_keeps_the_old_one() {
    let dir = project("folder");
    let input: String = (1..=5)
        .map(|i| format!("{{\"id\":\"A{i}\",\"name\":\"x\"}}\n"))
        .collect();
    std::fs::write(dir.join("in.ndjson"), input).unwrap();
    let (code, _, err) = convert(
        &dir,
        &["in.ndjson", "--output-dir", "batches", "--batch-size", "2"],
    );
    assert_eq!(code, 0, "{err}");
    let batches = dir.join("batches");
    assert_eq!(
        names(&batches),
        [
            "rows-00001.ndjson",
            "rows-00002.ndjson",
            "rows-00003.ndjson",
            "rows.manifest.json"
        ]
    );
    let manifest = std::fs::read(batches.join("rows.manifest.json")).unwrap();
    let m: Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(
        m,
        json!({"files": ["rows-00001.ndjson", "rows-00002.ndjson", "rows-00003.ndjson"], "records": 5})
    );
    let first = std::fs::read(batches.join("rows-00001.ndjson")).unwrap();
    // The rejects cannot be written: no batch file and no manifest change.
    let (code, _, err) = convert(
        &dir,
        &[
            "in.ndjson",
            "--output-dir",
            "batches",
            "--batch-size",
            "1",
            "--rejects",
            "/dev/full",
        ],
    );
    assert_eq!(
        code, 0,
        "no record was rejected, so /dev/full took nothing: {err}"
    );
    let bad = "{\"id\":\"TOOLONG\"}\n".repeat(4000);
    std::fs::write(dir.join("bad.ndjson"), bad).unwrap();
    let m_before = std::fs::read(batches.join("rows.manifest.json")).unwrap();
    let names_before = names(&batches);
    let b1 = std::fs::read(batches.join("rows-00001.ndjson")).unwrap();
    let (code, _, err) = convert(
        &dir,
        &[
            "in.ndjson",
            "bad.ndjson",
            "--output-dir",
            "batches",
            "--batch-size",
            "3",
            "--rejects",
            "/dev/full",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert_eq!(names(&batches), names_before);
    assert_eq!(
        std::fs::read(batches.join("rows.manifest.json")).unwrap(),
        m_before
    );
    assert_eq!(
        std::fs::read(batches.join("rows-00001.ndjson")).unwrap(),
        b1
    );
    assert_ne!(first, Vec::<u8>::new());
}

/// A pipe that delivers its first 1,000 bytes and then pauses: the run
/// waits for the first line and reads NDJSON (it failed with exit 3).
#[test]
fn a_slow_pipe_is_read_as_ndjson() {
    let dir = project("slow");
    let input: String = (0..200)
        .map(|i| {
            format!(
                "{{\"id\":\"S{}\",\"name\":\"{}\"}}\n",
                i % 100,
                "x".repeat(20)
            )
        })
        .collect();
    std::fs::write(dir.join("in.txt"), &input).unwrap();
    let mut writer = Std::new("sh")
        .current_dir(&dir)
        .args(["-c", "head -c 1000 in.txt; sleep 1; tail -c +1001 in.txt"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = writer.stdout.take().unwrap();
    let out = Std::new(binary())
        .current_dir(&dir)
        .args(["convert", "-m", "m.yaml", "--output-format", "ndjson"])
        .stdin(pipe)
        .output()
        .unwrap();
    writer.wait().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 200);
    assert!(err.contains("200 input records"), "{err}");
}

#[test]
fn a_first_record_over_64_kib_and_a_bad_first_line_are_read_as_ndjson() {
    let dir = project("first-line");
    let long = format!(
        "{{\"id\":\"L1\",\"name\":\"{}\"}}\n{{\"id\":\"L2\",\"name\":\"b\"}}\n",
        "x".repeat(100_000)
    );
    let (code, out, err) = run(mapwright(&dir)
        .args(["convert", "-m", "m.yaml", "--output-format", "ndjson"])
        .write_stdin(long));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2);
    assert!(out.lines().next().unwrap().len() > 100_000);
    // 1e400 is out of range: that line alone is rejected, with its text.
    let bad = "{\"id\":\"B1\",\"name\":1e400}\n{\"id\":\"B2\",\"name\":\"b\"}\n";
    let (code, out, err) = run(mapwright(&dir)
        .args([
            "convert",
            "-m",
            "m.yaml",
            "--output-format",
            "ndjson",
            "--rejects",
            "rej.ndjson",
        ])
        .write_stdin(bad));
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "{\"id\":\"B2\",\"n\":\"b\"}\n");
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0]["input"], json!([1]));
    assert_eq!(rej[0]["source"], json!(["{\"id\":\"B1\",\"name\":1e400}"]));
    assert_eq!(rej[0]["errors"][0]["rule"], "malformed");
}

/// `--batch-size` JSON output (an envelope per line) reads back, from a
/// `.json` file and from stdin.
#[test]
fn batch_size_json_output_reads_back() {
    let dir = project("read-back");
    let input: String = (1..=5)
        .map(|i| format!("{{\"id\":\"A{i}\",\"name\":\"x\"}}\n"))
        .collect();
    std::fs::write(dir.join("in.ndjson"), &input).unwrap();
    std::fs::write(
        dir.join("back.yaml"),
        "mapping: back\ntarget: demo.row\nrecord:\n  id: = id\n  n: = n\n",
    )
    .unwrap();
    let (code, _, err) = run(mapwright(&dir).args([
        "convert",
        "-m",
        "m.yaml",
        "in.ndjson",
        "--output-format",
        "json",
        "--batch-size",
        "2",
        "-o",
        "batches.json",
    ]));
    assert_eq!(code, 0, "{err}");
    let batches = std::fs::read_to_string(dir.join("batches.json")).unwrap();
    assert_eq!(batches.lines().count(), 3);
    let expected: String = (1..=5)
        .map(|i| format!("{{\"id\":\"A{i}\",\"n\":\"x\"}}\n"))
        .collect();
    let (code, out, err) = run(mapwright(&dir).args([
        "convert",
        "-m",
        "back.yaml",
        "batches.json",
        "--output-format",
        "ndjson",
    ]));
    assert_eq!((code, out.as_str()), (0, expected.as_str()), "{err}");
    let (code, out, err) = run(mapwright(&dir)
        .args(["convert", "-m", "back.yaml", "--output-format", "ndjson"])
        .write_stdin(batches));
    assert_eq!((code, out.as_str()), (0, expected.as_str()), "{err}");
}

/// CSV rejects keep every physical line of the row, as text or base64, and
/// line numbers are right on CRLF input.
#[test]
fn csv_rejects_keep_their_rows_and_every_line_number() {
    let dir = project("csv");
    let csv = b"id,name\r\nA1,x\r\nTOOLONG,y\r\nA2,caf\xe9\r\nA3,z,extra\r\nA4,\"two\r\nlines\"\r\nA5,\"open\r\nA6,w\r\n";
    std::fs::write(dir.join("in.csv"), csv).unwrap();
    let (code, out, err) = convert(&dir, &["in.csv", "--rejects", "rej.ndjson"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "{\"id\":\"A1\",\"n\":\"x\"}\n{\"id\":\"A4\",\"n\":\"two\\r\\nlines\"}\n"
    );
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej.len(), 4);
    // A rule: the row as a record, plus its text and line.
    assert_eq!(rej[0]["input"], json!([3]));
    assert_eq!(rej[0]["lines"], json!([3]));
    assert_eq!(rej[0]["source"], json!([{"id": "TOOLONG", "name": "y"}]));
    assert_eq!(rej[0]["raw"], json!(["TOOLONG,y"]));
    // A Latin-1 byte: the row's bytes in base64, said so.
    assert_eq!(rej[1]["lines"], json!([4]));
    assert_eq!(rej[1]["raw"], json!(["QTIsY2Fm6Q=="]));
    assert_eq!(rej[1]["source_encoding"], "base64");
    assert_eq!(
        rej[1]["errors"][0]["message"],
        "not a valid CSV row: column 2 is not UTF-8 text"
    );
    // A ragged row: its text, not a Debug dump.
    assert_eq!(rej[2]["source"], json!(["A3,z,extra"]));
    assert_eq!(
        rej[2]["errors"][0]["message"],
        "not a valid CSV row: 3 fields where the header row has 2"
    );
    // A quote never closed swallows the next row: both lines are named, and
    // the end of the file makes it a rejected row.
    assert_eq!(rej[3]["input"], json!([8]));
    assert_eq!(rej[3]["lines"], json!([8, 9]));
    assert_eq!(rej[3]["raw"], json!(["A5,\"open\r\nA6,w"]));
    assert!(
        err.contains("6 input records, 6 units: 2 accepted, 4 rejected"),
        "{err}"
    );
}

/// An NDJSON reject holds the line as written: big numbers keep their
/// digits, and bytes that are not UTF-8 are base64 (not U+FFFD).
#[test]
fn ndjson_rejects_hold_the_line_as_written() {
    let dir = project("verbatim");
    let input = b"{\"id\":\"TOOLONG\", \"name\": 18446744073709551616, \"d\": 0.10000000000000000001}\r\n{\"id\":\"A\xff\"}\n{\"id\":\"A1\"}\n";
    std::fs::write(dir.join("in.ndjson"), input).unwrap();
    for threads in ["1", "2"] {
        let (code, _, err) = convert(
            &dir,
            &["in.ndjson", "--rejects", "rej.ndjson", "--threads", threads],
        );
        assert_eq!(code, 1, "{err}");
        let text = std::fs::read_to_string(dir.join("rej.ndjson")).unwrap();
        assert!(
            text.contains("\"source\":[{\"id\":\"TOOLONG\", \"name\": 18446744073709551616, \"d\": 0.10000000000000000001}]"),
            "{text}"
        );
        assert!(!text.contains("e+19"), "{text}");
        let rej = lines(&dir.join("rej.ndjson"));
        assert_eq!(rej[1]["input"], json!([2]));
        assert_eq!(rej[1]["source"], json!(["eyJpZCI6IkH/In0="]));
        assert_eq!(rej[1]["source_encoding"], "base64");
        assert!(!text.contains('\u{fffd}'));
    }
}

/// Runs `mapwright ARGS`, reads `keep` bytes of its stdout (0: none) and
/// closes the pipe, as `| head -c` does. Returns the exit code and stderr.
fn closed_stdout(dir: &Path, args: &[&str], keep: usize) -> (i32, String) {
    let mut child = Std::new(binary())
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0; keep];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code().unwrap_or(-1), err)
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_and_commits_rejects_and_report() {
    let dir = project("epipe");
    let mut input = String::from("{\"id\":\"TOOLONG\"}\n");
    for i in 0..30_000 {
        input.push_str(&format!(
            "{{\"id\":\"A{}\",\"name\":\"{}\"}}\n",
            i % 1000,
            "x".repeat(40)
        ));
    }
    std::fs::write(dir.join("in.ndjson"), input).unwrap();
    let (code, err) = closed_stdout(
        &dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "in.ndjson",
            "--output-format",
            "ndjson",
            "--rejects",
            "rej.ndjson",
            "--report",
            "report.json",
        ],
        10,
    );
    assert_eq!(code, 1, "one record was rejected: {err}");
    assert!(!err.contains("error"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0]["input"], json!([1]));
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["counts"]["rejected"], 1);
    let accepted = report["counts"]["accepted"].as_u64().unwrap();
    assert!((1..30_000).contains(&accepted), "{accepted}");
    // Nothing rejected: exit 0.
    let good: String = (0..30_000)
        .map(|i| {
            format!(
                "{{\"id\":\"A{}\",\"name\":\"{}\"}}\n",
                i % 1000,
                "x".repeat(40)
            )
        })
        .collect();
    std::fs::write(dir.join("good.ndjson"), good).unwrap();
    let (code, err) = closed_stdout(
        &dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "good.ndjson",
            "--output-format",
            "ndjson",
        ],
        10,
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn validate_and_schema_export_survive_a_closed_stdout() {
    let dir = project("epipe-validate");
    let payloads: String = (0..3000)
        .map(|i| format!("{{\"id\":\"A{}\",\"n\":\"x\"}}\n", i % 1000))
        .collect();
    std::fs::write(dir.join("payloads.ndjson"), payloads).unwrap();
    let (code, err) = closed_stdout(
        &dir,
        &[
            "validate",
            "-s",
            "demo.row",
            "--format",
            "json",
            "payloads.ndjson",
        ],
        1,
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, err) = closed_stdout(&dir, &["schema", "export", "demo.row"], 0);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for args in [
        &["doc", "-m", "m.yaml"][..],
        &["explain", "-m", "m.yaml"],
        &["schema", "show", "demo.row"],
    ] {
        let (code, err) = closed_stdout(&dir, args, 0);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A full stderr never aborts a run: the output is complete and the exit
/// code is the run's.
#[test]
fn a_full_stderr_does_not_abort_the_run() {
    let dir = project("stderr");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let out = plain(&dir)
        .args([
            "convert",
            "-m",
            "m.yaml",
            "in.ndjson",
            "--output-format",
            "ndjson",
            "--rejects",
            "rej.ndjson",
        ])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    assert_eq!(lines(&dir.join("rej.ndjson")).len(), 1);
    // An error message to a full stderr: still the error's exit code.
    let out = plain(&dir)
        .args(["convert", "-m", "m.yaml", "missing.ndjson"])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    std::fs::write(dir.join("payload.ndjson"), "{\"id\":\"A1\",\"n\":\"x\"}\n").unwrap();
    let out = plain(&dir)
        .args(["validate", "-s", "demo.row", "payload.ndjson"])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// An XML document's reject keeps the document as read and every line of
/// it (CRLF line ends counted once).
#[test]
fn an_xml_reject_keeps_the_document_and_its_lines() {
    let dir = project("xml");
    std::fs::write(
        dir.join("in.xml"),
        "<r>\r\n<id>TOOLONG</id>\r\n<name>x</name>\r\n</r>\r\n",
    )
    .unwrap();
    let (code, _, err) = convert(
        &dir,
        &["in.xml", "-o", "out.ndjson", "--rejects", "rej.ndjson"],
    );
    assert_eq!(code, 1, "{err}");
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej[0]["lines"], json!([1, 2, 3, 4]));
    assert_eq!(
        rej[0]["raw"],
        json!(["<r>\r\n<id>TOOLONG</id>\r\n<name>x</name>\r\n</r>"])
    );
    assert_eq!(rej[0]["source"], json!([{"id": "TOOLONG", "name": "x"}]));
    assert_eq!(std::fs::read(dir.join("out.ndjson")).unwrap(), b"");
}
