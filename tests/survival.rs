//! Issue 11, the faults left after the first round: how a filter decides
//! its input's format, what a killed run leaves behind, secrets that are
//! transformed before they reach a message, host files in excerpts, a CSV
//! quote never closed, and a commit that fails half way. Every test runs the
//! real binary in a scratch folder of its own and asserts what is on disk,
//! the exit code and the bytes written.

mod common;

use common::{lines, mapwright, names, run};

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// A scratch project: schema `demo.row` (`id` text of at most 5
/// characters, required; `n` text), mapping `m.yaml` (`id: = id`,
/// `n: = name`) and `s.yaml`, the same with `select: $.orders[*]`.
fn project(name: &str) -> PathBuf {
    common::demo_project_with_select("survival", name)
}

/// `convert -m MAPPING --output-format ndjson --rejects rej.ndjson` over
/// `stdin`: exit code, stdout, stderr and the rejects.
fn filter(dir: &Path, mapping: &str, stdin: &str) -> (i32, String, String, Vec<Value>) {
    let _ = std::fs::remove_file(dir.join("rej.ndjson"));
    let (code, out, err) = run(mapwright(dir)
        .args(["convert", "-m", mapping, "--output-format", "ndjson"])
        .args(["--rejects", "rej.ndjson"])
        .write_stdin(stdin));
    (code, out, err, lines(&dir.join("rej.ndjson")))
}

// 1. Filter mode: how the format of stdin is decided.

/// A first line that opens an object or an array and breaks on that line
/// is one rejected NDJSON record, with its text and line number; the good
/// lines after it are accepted.
#[test]
fn a_broken_first_line_is_one_reject_and_the_lines_after_it_are_read() {
    let dir = project("broken-first");
    for broken in ["{\"a\":[1,2}", "[1,2}", "{\"id\": NaN}"] {
        let input = format!(
            "{broken}\n{{\"id\":\"G1\",\"name\":\"x\"}}\n\n{{\"id\":\"G2\",\"name\":\"y\"}}\n"
        );
        let (code, out, err, rej) = filter(&dir, "m.yaml", &input);
        assert_eq!(code, 1, "{broken}: {err}");
        assert_eq!(
            out, "{\"id\":\"G1\",\"n\":\"x\"}\n{\"id\":\"G2\",\"n\":\"y\"}\n",
            "{broken}"
        );
        assert_eq!(rej.len(), 1, "{broken}: {rej:?}");
        assert_eq!(rej[0]["input"], json!([1]), "{broken}");
        assert_eq!(rej[0]["source"], json!([broken]), "{broken}");
        assert_eq!(rej[0]["errors"][0]["rule"], "malformed", "{broken}");
        assert!(
            err.contains("3 input records, 3 units: 2 accepted, 1 rejected"),
            "{broken}: {err}"
        );
    }
}

/// A pretty-printed document (its first line `{` or `[` alone is no JSON
/// value) is one document: `select:` picks its records.
#[test]
fn a_pretty_document_on_stdin_is_one_document() {
    let dir = project("pretty");
    let doc = "{\n  \"orders\": [\n    {\"id\": \"P1\", \"name\": \"a\"},\n    {\"id\": \"P2\", \"name\": \"b\"}\n  ]\n}\n";
    let (code, out, err, rej) = filter(&dir, "s.yaml", doc);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"id\":\"P1\",\"n\":\"a\"}\n{\"id\":\"P2\",\"n\":\"b\"}\n"
    );
    assert!(rej.is_empty());
    let array = "[\n  {\"id\": \"P1\", \"name\": \"a\"},\n  {\"id\": \"P2\", \"name\": \"b\"}\n]\n";
    let (code, out2, err, _) = filter(&dir, "m.yaml", array);
    assert_eq!((code, out2), (0, out), "{err}");
}

/// A one-line document is a document, with or without a newline after it:
/// `select:` applies, where NDJSON would take the whole line as a record.
#[test]
fn a_one_line_document_is_a_document() {
    let dir = project("one-line");
    let doc = "{\"orders\":[{\"id\":\"S1\",\"name\":\"a\"},{\"id\":\"S2\",\"name\":\"b\"}]}";
    let expected = "{\"id\":\"S1\",\"n\":\"a\"}\n{\"id\":\"S2\",\"n\":\"b\"}\n";
    for input in [
        doc.to_string(),
        format!("{doc}\n"),
        format!("\n{doc}\r\n\n  \n"),
    ] {
        let (code, out, err, rej) = filter(&dir, "s.yaml", &input);
        assert_eq!((code, out.as_str()), (0, expected), "{input:?}: {err}");
        assert!(rej.is_empty(), "{input:?}");
    }
}

/// A pretty document that breaks after its first line is one document
/// that does not parse: one reject, at the line of the fault, and no line
/// of it is read as a record of its own.
#[test]
fn a_broken_pretty_document_is_one_reject() {
    let dir = project("broken-pretty");
    let doc = "{\n  \"id\": \"B1\",\n  \"name\": [1,2}\n}\n";
    let (code, out, err, rej) = filter(&dir, "m.yaml", doc);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!(rej[0]["errors"][0]["rule"], "malformed");
    // The whole text as read (without its final line end, as a line's),
    // though stdin cannot be read twice, and every line it spans.
    assert_eq!(rej[0]["source"], json!([doc.trim_end()]));
    assert_eq!(rej[0]["lines"], json!([1, 2, 3, 4]));
    assert_eq!(rej[0]["input"], json!([3]));
    assert_eq!(
        rej[0]["errors"][0]["message"],
        "line 3, column 15: not valid JSON: expected `,` or `]`"
    );
    assert!(
        err.contains("1 input records, 1 units: 0 accepted, 1 rejected"),
        "{err}"
    );
}

// 2. What a SIGKILL leaves is removed by the next run on the same outputs.

const GOOD_AND_BAD: &str = "{\"id\":\"A1\",\"name\":\"x\"}\n{\"id\":\"TOOLONG\",\"name\":\"y\"}\n";

fn temps(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.contains(".mapwright-") && n.ends_with(".tmp"))
        .collect()
}

/// Start a run writing out.ndjson, rej.ndjson and report.json from a pipe
/// that stays open, wait (a bounded number of polls) until its three
/// temporary files exist, and SIGKILL it: what it leaves.
fn killed_run(dir: &Path) -> Vec<String> {
    use std::io::Write;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(dir)
        .args(["convert", "-m", "m.yaml", "--output-format", "ndjson"])
        .args(["-o", "out.ndjson", "--rejects", "rej.ndjson"])
        .args(["--report", "report.json"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(GOOD_AND_BAD.as_bytes()).unwrap();
    for _ in 0..1000 {
        if temps(dir).len() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    temps(dir)
}

/// Names like ours that are not ours: another output's, the wrong number
/// of random letters, no leading dot, a suffix after `.tmp`, a symlink.
fn plant_look_alikes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let planted: Vec<(String, Vec<u8>)> = [
        ".other.ndjson.mapwright-Ab3dE9.tmp",
        ".out.ndjson.mapwright-Ab3d.tmp",
        "out.ndjson.mapwright-Ab3dE9.tmp",
        ".out.ndjson.mapwright-Ab3dE9.tmp.keep",
        ".out.ndjson.mapwright-Ab3-E9.tmp",
    ]
    .iter()
    .map(|n| (n.to_string(), format!("not yours: {n}\n").into_bytes()))
    .collect();
    for (n, bytes) in &planted {
        std::fs::write(dir.join(n), bytes).unwrap();
    }
    std::fs::write(dir.join("target.txt"), "kept\n").unwrap();
    std::os::unix::fs::symlink("target.txt", dir.join(".out.ndjson.mapwright-Sym123.tmp")).unwrap();
    planted
}

#[test]
fn a_run_removes_the_temporary_files_a_killed_run_left_and_nothing_else() {
    let dir = project("stale");
    let left = killed_run(&dir);
    assert_eq!(left.len(), 3, "{:?}", names(&dir));
    let planted = plant_look_alikes(&dir);
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    let (code, _, err) = run(mapwright(&dir).args([
        "convert",
        "-m",
        "m.yaml",
        "--output-format",
        "ndjson",
        "in.ndjson",
        "-o",
        "out.ndjson",
        "--rejects",
        "rej.ndjson",
        "--report",
        "report.json",
    ]));
    assert_eq!(code, 1, "{err}");
    for t in &left {
        assert!(
            !dir.join(t).exists(),
            "{t} is still there: {:?}",
            names(&dir)
        );
    }
    for (n, bytes) in &planted {
        assert_eq!(&std::fs::read(dir.join(n)).unwrap(), bytes, "{n}");
    }
    let link = dir.join(".out.ndjson.mapwright-Sym123.tmp");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(dir.join("target.txt")).unwrap(),
        "kept\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("out.ndjson")).unwrap(),
        "{\"id\":\"A1\",\"n\":\"x\"}\n"
    );
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0]["input"], json!([2]));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["counts"]["records_written"], 1);
    // Nothing of this run is left beside the outputs but the look-alikes.
    let mut expected: Vec<String> = planted.iter().map(|(n, _)| n.clone()).collect();
    expected.push(".out.ndjson.mapwright-Sym123.tmp".into());
    expected.sort();
    let left_now: Vec<String> = names(&dir)
        .into_iter()
        .filter(|n| n.contains(".mapwright-"))
        .collect();
    assert_eq!(left_now, expected);
}

/// In an `--output-dir` folder, the temporary files of this mapping's
/// batch files and manifest go; another file's stay.
#[test]
fn an_output_dir_run_removes_its_stale_batch_files_only() {
    let dir = project("stale-dir");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    std::fs::create_dir_all(dir.join("batches")).unwrap();
    let stale = [
        ".rows-00001.ndjson.mapwright-Q1w2E3.tmp",
        ".rows-00002.ndjson.mapwright-zzZZ99.tmp",
        ".rows.manifest.json.mapwright-Q1w2E3.tmp",
    ];
    let others = [
        ".notes.txt.mapwright-Q1w2E3.tmp",
        ".rows-0000x.ndjson.mapwright-Q1w2E3.tmp",
        ".other-00001.ndjson.mapwright-Q1w2E3.tmp",
    ];
    for n in stale.iter().chain(&others) {
        std::fs::write(dir.join("batches").join(n), n).unwrap();
    }
    let (code, _, err) = run(mapwright(&dir).args([
        "convert",
        "-m",
        "m.yaml",
        "--output-format",
        "ndjson",
        "in.ndjson",
        "--output-dir",
        "batches",
    ]));
    assert_eq!(code, 1, "{err}");
    let mut expected: Vec<String> = others.iter().map(|n| n.to_string()).collect();
    expected.sort();
    assert_eq!(temps(&dir.join("batches")), expected);
    for n in others {
        assert_eq!(
            std::fs::read_to_string(dir.join("batches").join(n)).unwrap(),
            n
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("batches/rows-00001.ndjson")).unwrap(),
        "{\"id\":\"A1\",\"n\":\"x\"}\n"
    );
}

// 3. A secret cut or recased on its way into a message is hidden too.

const TOKEN: &str = "7e57c0de-4b1d-4a2f-9c3e-5d6f7a8b9c0d";

/// Every run of 8 characters of `TOKEN`, of its upper and lower case and
/// reversed, and of its letters and digits alone, lower-cased.
fn token_runs() -> Vec<String> {
    let reversed: String = TOKEN.chars().rev().collect();
    let joined: String = TOKEN.chars().filter(|c| *c != '-').collect();
    let mut runs = Vec::new();
    for form in [TOKEN.to_string(), reversed, joined] {
        let chars: Vec<char> = form.to_lowercase().chars().collect();
        runs.extend(chars.windows(8).map(|w| w.iter().collect::<String>()));
    }
    runs
}

fn assert_no_token(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    for run in token_runs() {
        assert!(!text.contains(&run), "{what} holds {run:?}:\n{text}");
    }
}

#[test]
fn a_secret_param_recased_or_cut_is_in_no_byte_written() {
    let dir = project("secret");
    std::fs::write(
        dir.join("schemas/demo/tok.yaml"),
        "schema: demo.tok\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text, required: true}\n      a: {type: text, max_length: 5}\n      b: {type: text, max_length: 5}\n      c: {type: text, max_length: 5}\n      d: {type: text, max_length: 5}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("t.yaml"),
        "mapping: tok\ntarget: demo.tok\nparams:\n  token: {type: text, secret: true}\nrecord:\n  id: = id\n  a: = params.token.to_upper()\n  b: = params.token.sub_string(0, 20)\n  c: = params.token.split(\"-\").join(\"\")\n  d: = (\"  \" + params.token.to_lower() + \" \").trim()\n",
    )
    .unwrap();
    std::fs::write(dir.join("in.ndjson"), "{\"id\":\"A1\"}\n{\"id\":\"A2\"}\n").unwrap();
    let param = format!("token={TOKEN}");
    let out = mapwright(&dir)
        .args([
            "convert",
            "-m",
            "t.yaml",
            "in.ndjson",
            "--output-format",
            "ndjson",
        ])
        .args([
            "--param",
            &param,
            "--rejects",
            "rej.ndjson",
            "--report",
            "report.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rejects = std::fs::read(dir.join("rej.ndjson")).unwrap();
    let report = std::fs::read(dir.join("report.json")).unwrap();
    // Both records are rejected, for all four fields, and the messages
    // show neither the value nor its length (a secret's length is part of it).
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej.len(), 2);
    let messages: Vec<String> = rej[0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    for m in &messages {
        assert!(m.contains("'(secret)' is (secret) characters"), "{m}");
    }
    assert_eq!(out.stdout, b"");
    for (what, bytes) in [
        ("stdout", &out.stdout),
        ("stderr", &out.stderr),
        ("the rejects", &rejects),
        ("the report", &report),
    ] {
        assert_no_token(what, bytes);
    }
    let explain = mapwright(&dir)
        .args(["explain", "-m", "t.yaml", "--param", &param, "in.ndjson"])
        .output()
        .unwrap();
    assert!(!explain.stdout.is_empty() || !explain.stderr.is_empty());
    assert_no_token("explain's stdout", &explain.stdout);
    assert_no_token("explain's stderr", &explain.stderr);
}

// 4. No line of a file that is not the user's YAML in any message.

/// Exit code and everything `check` wrote, with the short format too.
fn check_all(dir: &Path, args: &[&str]) -> (i32, String) {
    let (code, out, err) = run(mapwright(dir).arg("check").args(args));
    let (_, short_out, short_err) = run(mapwright(dir)
        .arg("check")
        .args(args)
        .args(["--message-format", "short"]));
    (code, format!("{out}{err}{short_out}{short_err}"))
}

fn assert_no_line_of(host: &str, written: &str) {
    for line in host.lines().map(str::trim).filter(|l| l.len() > 3) {
        assert!(!written.contains(line), "{line:?} was written:\n{written}");
    }
}

#[test]
fn check_quotes_no_line_of_a_host_file_or_a_file_that_is_no_yaml() {
    let dir = project("host-files");
    let host = dir.join("host");
    std::fs::create_dir_all(&host).unwrap();
    // `key: value` lines parse as YAML; `a: b: c` on line 1 does not.
    let conf = "db_password: hunter2-very-secret\nadmin_user: operator-7\n";
    std::fs::write(host.join("app.conf"), conf).unwrap();
    let not_yaml = "PASSWORD: hunter2: again\nsecond line of the file\n";
    std::fs::write(host.join("fake.yaml"), not_yaml).unwrap();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let cases: [(&str, &str, &[&str]); 4] = [
        ("rules_from: /etc/passwd\n", &passwd, &["--root", "/"]),
        ("rules_from: host/app.conf\n", conf, &[]),
        ("rules_from: host/fake.yaml\n", not_yaml, &[]),
        (
            "lookups:\n  codes: {file: /etc/passwd, key: id, value: code}\n",
            &passwd,
            &["--root", "/"],
        ),
    ];
    for (i, (pulls, text, root)) in cases.into_iter().enumerate() {
        let mapping =
            format!("mapping: rows\ntarget: demo.row\n{pulls}record:\n  id: = id\n  n: = name\n");
        let name = format!("pulls-{i}.yaml");
        std::fs::write(dir.join(&name), mapping).unwrap();
        let mut args = vec![name.as_str()];
        args.extend(root);
        let (code, written) = check_all(&dir, &args);
        assert_eq!(code, 2, "{pulls}: {written}");
        assert_no_line_of(text, &written);
        // The place is still named, and the mapping's own lines are quoted.
        assert!(written.contains(":1:"), "{pulls}: {written}");
        assert!(written.contains("1 | mapping: rows"), "{pulls}: {written}");
    }
}

// 5. A CSV quote left open: one reject with every line it swallowed.

/// A quote left open in the middle of a file swallows the rows after it up
/// to the next quote, which the csv crate reads as more of the field: the
/// row would be accepted with three rows in one value. It is one reject
/// holding every physical line verbatim (CRLF inside kept) and all their
/// numbers, and the message says where the quote opened and closed. With
/// no later quote, the rest of the file is the one rejected row.
#[test]
fn a_csv_quote_left_open_is_one_reject_with_every_line_it_swallowed() {
    let dir = project("csv-quote");
    let csv = b"id,name\nA1,x\nA2,\"open\r\nA3,y\nA4,\"z\"\nA5,w\n";
    std::fs::write(dir.join("in.csv"), csv).unwrap();
    let args = [
        "convert",
        "-m",
        "m.yaml",
        "--output-format",
        "ndjson",
        "in.csv",
    ];
    let (code, out, err) = run(mapwright(&dir).args(args).args(["--rejects", "rej.ndjson"]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "{\"id\":\"A1\",\"n\":\"x\"}\n{\"id\":\"A5\",\"n\":\"w\"}\n"
    );
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!(rej[0]["input"], json!([3]));
    assert_eq!(rej[0]["lines"], json!([3, 4, 5]));
    assert_eq!(rej[0]["raw"], json!(["A2,\"open\r\nA3,y\nA4,\"z\""]));
    assert_eq!(rej[0]["errors"][0]["rule"], "malformed");
    assert_eq!(
        rej[0]["errors"][0]["message"],
        "not a valid CSV row: the quote opened on line 3 closes on line 5 with text after it, so lines 3-5 are one row (a quote inside a quoted field is written twice)"
    );
    assert!(
        err.contains("3 input records, 3 units: 2 accepted, 1 rejected"),
        "{err}"
    );

    let csv = b"id,name\nA1,x\nA2,\"open\r\nA3,y\nA4,z\n";
    std::fs::write(dir.join("in.csv"), csv).unwrap();
    let (code, out, err) = run(mapwright(&dir).args(args).args(["--rejects", "rej.ndjson"]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "{\"id\":\"A1\",\"n\":\"x\"}\n");
    let rej = lines(&dir.join("rej.ndjson"));
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!(rej[0]["lines"], json!([3, 4, 5]));
    assert_eq!(rej[0]["raw"], json!(["A2,\"open\r\nA3,y\nA4,z"]));
    assert_eq!(
        rej[0]["errors"][0]["message"],
        "not a valid CSV row: the quote opened on line 3 is never closed, so lines 3-5 are one row"
    );
    // A quoted field that spans lines and closes cleanly is one good row.
    let csv = b"id,name\nA1,\"two\nlines\"\nA2,y\n";
    std::fs::write(dir.join("in.csv"), csv).unwrap();
    let (code, out, err) = run(mapwright(&dir).args(args));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "{\"id\":\"A1\",\"n\":\"two\\nlines\"}\n{\"id\":\"A2\",\"n\":\"y\"}\n"
    );
}

// 6. A rename that fails half way puts back the files renamed before it.

#[test]
fn a_rename_that_fails_half_way_puts_the_old_set_back() {
    use std::io::{Read, Write};
    let dir = project("rollback");
    let old = [
        ("out.ndjson", "{\"id\":\"OLD\"}\n"),
        ("rej.ndjson", "{\"old\":\"rejects\"}\n"),
        ("report.json", "{\"old\":\"report\"}\n"),
    ];
    for (n, text) in old {
        std::fs::write(dir.join(n), text).unwrap();
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(&dir)
        .args(["convert", "-m", "m.yaml", "--output-format", "ndjson"])
        .args(["-o", "out.ndjson", "--rejects", "rej.ndjson"])
        .args(["--report", "report.json"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..1000 {
        if temps(&dir).len() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(temps(&dir).len(), 3, "{:?}", names(&dir));
    // The report's place becomes a folder that is not empty: rejects are
    // renamed first and land, the report's rename then fails.
    std::fs::remove_file(dir.join("report.json")).unwrap();
    std::fs::create_dir(dir.join("report.json")).unwrap();
    std::fs::write(dir.join("report.json/keep.txt"), "kept\n").unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(GOOD_AND_BAD.as_bytes()).unwrap();
    drop(stdin);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    for (n, text) in &old[..2] {
        assert_eq!(std::fs::read_to_string(dir.join(n)).unwrap(), *text, "{n}");
    }
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(err.contains("report.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("report.json/keep.txt")).unwrap(),
        "kept\n"
    );
    // No temporary file or backup is left.
    assert_eq!(temps(&dir), Vec::<String>::new());
}

/// Without a fault, the backups a commit keeps are gone afterwards, and a
/// file that was not there before is new.
#[test]
fn a_commit_leaves_no_backups() {
    let dir = project("no-backups");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    std::fs::write(dir.join("out.ndjson"), "old\n").unwrap();
    let (code, _, err) = run(mapwright(&dir).args([
        "convert",
        "-m",
        "m.yaml",
        "--output-format",
        "ndjson",
        "in.ndjson",
        "-o",
        "out.ndjson",
        "--rejects",
        "rej.ndjson",
    ]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("out.ndjson")).unwrap(),
        "{\"id\":\"A1\",\"n\":\"x\"}\n"
    );
    assert_eq!(lines(&dir.join("rej.ndjson")).len(), 1);
    assert_eq!(temps(&dir), Vec::<String>::new());
}
