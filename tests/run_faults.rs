//! The run under faults an adversarial review found (issue 11): a second
//! role on a batch file or the manifest, locks through a symlink, secrets
//! in the raw text of malformed records, secret defaults in excerpts, host
//! streams as lookups, outputs aliasing stderr. Each test runs the real
//! binary in a scratch folder of its own.

use std::path::{Path, PathBuf};

mod common;

use common::{mapwright, names, run};

/// A scratch project: schema `demo.row` (`id` text of at most 5
/// characters, required; `n` text) and mapping `m.yaml` (`id: = id`,
/// `n: = name`).
fn project(name: &str) -> PathBuf {
    common::demo_project("run-faults", name)
}

fn convert(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(mapwright(dir)
        .args(["convert", "-m", "m.yaml", "--output-format", "ndjson"])
        .args(args))
}

const GOOD_AND_BAD: &str = "{\"id\":\"A1\",\"name\":\"x\"}\n{\"id\":\"TOOLONG\",\"name\":\"y\"}\n{\"id\":\"A3\",\"name\":\"z\"}\n";

/// Rejects, report or an input on a batch file's name or the manifest of
/// the output folder: exit 2, before anything is opened, every file as it was.
#[test]
fn a_second_role_on_a_batch_file_or_the_manifest_exits_2() {
    let dir = project("folder-roles");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    std::fs::create_dir_all(dir.join("od")).unwrap();
    let batch = "{\"id\":\"OLD\"}\n";
    std::fs::write(dir.join("od/rows-00001.ndjson"), batch).unwrap();
    std::fs::write(dir.join("od/rows.manifest.json"), "{\"old\":1}\n").unwrap();
    let before = names(&dir.join("od"));
    for (args, flags) in [
        (
            vec!["in.ndjson", "--rejects", "od/rows-00001.ndjson"],
            "--rejects and a batch file of --output-dir",
        ),
        (
            vec!["in.ndjson", "--rejects", "./od/rows-00007.ndjson"],
            "--rejects and a batch file of --output-dir",
        ),
        (
            vec!["in.ndjson", "--report", "od/rows.manifest.json"],
            "--report and the manifest of --output-dir",
        ),
        (
            vec!["od/rows-00001.ndjson"],
            "an input and a batch file of --output-dir",
        ),
    ] {
        let (code, out, err) = convert(
            &dir,
            &[&args[..], &["--output-dir", "od", "--batch-size", "1"]].concat(),
        );
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("{flags} are the same file")),
            "{args:?}: {err}"
        );
        assert_eq!(out, "");
        assert_eq!(names(&dir.join("od")), before, "{args:?}");
        assert_eq!(
            std::fs::read_to_string(dir.join("od/rows-00001.ndjson")).unwrap(),
            batch
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("od/rows.manifest.json")).unwrap(),
            "{\"old\":1}\n"
        );
    }
    // A rejects file in the folder under another name is fine.
    let (code, _, err) = convert(
        &dir,
        &[
            "in.ndjson",
            "--output-dir",
            "od",
            "--rejects",
            "od/rejects.ndjson",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let rejects = std::fs::read_to_string(dir.join("od/rejects.ndjson")).unwrap();
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
}

/// A run through a symlink locks the file the link names: a run on that
/// file is refused while it lasts, and its temporary file is not taken
/// for a stale one (link.ndjson -> real.ndjson).
#[test]
fn a_run_through_a_symlink_and_a_run_on_its_file_exclude_each_other() {
    let dir = project("lock-symlink");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    std::fs::write(dir.join("real.ndjson"), "OLD\n").unwrap();
    std::os::unix::fs::symlink("real.ndjson", dir.join("link.ndjson")).unwrap();
    // A live run on real.ndjson: its lock held, its temporary file there.
    let held = std::fs::File::create(dir.join(".real.ndjson.mapwright.lock")).unwrap();
    held.lock().unwrap();
    let live = dir.join(".real.ndjson.mapwright-Ab12Cd.tmp");
    std::fs::write(&live, "live run\n").unwrap();
    let (code, _, err) = convert(&dir, &["in.ndjson", "-o", "link.ndjson"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("another mapwright run is writing link.ndjson"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&live).unwrap(), "live run\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("real.ndjson")).unwrap(),
        "OLD\n"
    );
    // The run ended (lock released): its temporary file is stale, and a
    // run through the link removes it and writes the file the link names.
    drop(held);
    let (code, _, err) = convert(&dir, &["in.ndjson", "-o", "link.ndjson"]);
    assert_eq!(code, 1, "{err}");
    assert!(!live.exists());
    assert!(std::fs::symlink_metadata(dir.join("link.ndjson"))
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(dir.join("real.ndjson")).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    assert!(
        names(&dir).iter().all(|n| !n.contains(".mapwright")),
        "{:?}",
        names(&dir)
    );
}

/// Secret source fields in records that do not parse: the value at `pw`
/// (`secret: true` in the source schema) is in no byte of the rejects, the
/// report or stderr, for a malformed NDJSON line, a ragged CSV row, an
/// unclosed quote and a broken XML document.
#[test]
fn secret_fields_of_malformed_records_are_hidden_in_their_raw_text() {
    let dir = project("secret-raw");
    std::fs::write(
        dir.join("schemas/demo/src.yaml"),
        "schema: demo.src\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text}\n      name: {type: text}\n      pw: {type: text, secret: true}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("s.yaml"),
        "mapping: sec\nsource: demo.src\ntarget: demo.row\nrecord:\n  id: = id\n  n: = name\n",
    )
    .unwrap();
    let secrets = [
        "NdSecret-PW-1234567",
        "CsvRagged-PW-7654321",
        "CsvQuote-PW-1111111",
        "CsvNext-PW-3333333",
        "XmlSecret-PW-2222222",
        "XmlAttr-PW-4444444",
    ];
    std::fs::write(
        dir.join("in.ndjson"),
        "{\"id\":\"a1\",\"pw\":\"NdSecret-PW-1234567\", \"x\":NaN}\n{\"id\":\"a2\",\"name\":\"ok\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("in.csv"),
        "id,name,pw\nb1,x,CsvRagged-PW-7654321,extra\nb2,\"x,CsvQuote-PW-1111111\nb3,y,CsvNext-PW-3333333\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("in.xml"),
        "<r pw=\"XmlAttr-PW-4444444\">\n<id>c1</id>\n<pw>XmlSecret-PW-2222222</pw>\n<name>x</r>\n",
    )
    .unwrap();
    for input in ["in.ndjson", "in.csv", "in.xml"] {
        let out = mapwright(&dir)
            .args([
                "convert",
                "-m",
                "s.yaml",
                input,
                "--output-format",
                "ndjson",
            ])
            .args(["-o", "out.ndjson", "--rejects", "rej.ndjson"])
            .args(["--report", "report.json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{input}: {stderr}");
        let rejects = std::fs::read_to_string(dir.join("rej.ndjson")).unwrap();
        let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
        assert!(rejects.contains("(secret)"), "{input}: {rejects}");
        for (what, text) in [
            ("rejects", &rejects),
            ("report", &report),
            ("stderr", &stderr),
        ] {
            for secret in secrets {
                // The whole value, and a piece of it.
                assert!(
                    !text.contains(secret),
                    "{input} {what} holds {secret}:\n{text}"
                );
                assert!(
                    !text.contains(&secret[secret.len() - 10..]),
                    "{input} {what}:\n{text}"
                );
            }
        }
    }
}

/// A secret param's default is in no excerpt `check` prints (the line that
/// declares it is quoted), nor in `doc` or `explain` when an expression
/// quotes it.
#[test]
fn a_secret_params_default_is_in_no_excerpt_doc_or_explanation() {
    let dir = project("secret-default");
    let secret = "DEFAULTSECRET-0000-1111";
    std::fs::write(
        dir.join("bad.yaml"),
        format!("mapping: bad\ntarget: demo.row\nparams:\n  tok: {{type: text, secret: true, default: \"{secret}\", bogus: 1}}\nrecord:\n  id: = id\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("block.yaml"),
        format!("mapping: block\ntarget: demo.row\nparams:\n  tok:\n    type: text\n    default: {secret}\n    secret: true\n    bogus: 1\nrecord:\n  id: = id\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("good.yaml"),
        format!("mapping: good\ntarget: demo.row\nparams:\n  tok: {{type: text, secret: true, default: \"{secret}\"}}\nrecord:\n  id: = id\n  n: = name + \"{secret}\"\n"),
    )
    .unwrap();
    std::fs::write(dir.join("rec.json"), "{\"id\":\"A1\",\"name\":\"x\"}\n").unwrap();
    for file in ["bad.yaml", "block.yaml"] {
        let (code, out, err) = run(mapwright(&dir).args(["check", file]));
        assert_eq!(code, 2, "{file}: {out}{err}");
        let all = format!("{out}{err}");
        assert!(all.contains("error["), "{file}: {all}");
        if file == "bad.yaml" {
            assert!(
                all.contains("(secret)"),
                "{file}: the line is quoted: {all}"
            );
        }
        assert!(!all.contains("SECRET-0000"), "{file}: {all}");
    }
    for args in [
        vec!["doc", "-m", "good.yaml"],
        vec!["explain", "-m", "good.yaml"],
        vec!["explain", "-m", "good.yaml", "rec.json"],
    ] {
        let (code, out, err) = run(mapwright(&dir).args(&args));
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("(secret)"), "{args:?}: {out}");
        assert!(
            !format!("{out}{err}").contains("SECRET-0000"),
            "{args:?}: {out}{err}"
        );
    }
}

/// /proc, /sys and /dev hold no lookup file, even under `--root /`: the
/// mapping is refused with `not-a-regular-file` and nothing of the stream
/// (here the environment) is printed.
#[test]
fn a_kernel_stream_is_no_lookup_file_even_under_root_slash() {
    let dir = project("proc-lookup");
    for (name, file) in [
        ("environ", "/proc/self/environ"),
        ("status", "/proc/self/status"),
        ("sys", "/sys/kernel/mm"),
        ("zero", "/dev/zero"),
    ] {
        let mapping = format!("{name}.yaml");
        std::fs::write(
            dir.join(&mapping),
            format!("mapping: lk\ntarget: demo.row\nlookups:\n  t: {{file: \"{file}\", key: a, value: b}}\nrecord:\n  id: = id\n"),
        )
        .unwrap();
        let (code, out, err) = run(mapwright(&dir)
            .env("MAPWRIGHT_HOST_CANARY", "HostCanary-Value-99")
            .args(["check", "--root", "/", &mapping]));
        let all = format!("{out}{err}");
        assert_eq!(code, 2, "{file}: {all}");
        assert!(all.contains("not-a-regular-file"), "{file}: {all}");
        assert!(!all.contains("HostCanary"), "{file}: {all}");
        assert!(!all.contains("columns:"), "{file}: {all}");
    }
}

/// An output that is where stderr goes (a file here) would overwrite the
/// summary: refused with exit 2 unless -q, and the file keeps the message.
#[test]
fn an_output_on_stderr_is_refused_unless_quiet() {
    let dir = project("stderr-alias");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    for flag in ["-o", "--rejects", "--report"] {
        let log = dir.join("err.log");
        let out = if flag == "-o" { "-" } else { "out.ndjson" };
        let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
            .current_dir(&dir)
            .args([
                "convert",
                "-m",
                "m.yaml",
                "--output-format",
                "ndjson",
                "in.ndjson",
            ])
            .args([flag, "/dev/stderr"])
            .args(if flag == "-o" {
                vec![]
            } else {
                vec!["-o", out]
            })
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .status()
            .unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(status.code(), Some(2), "{flag}: {text}");
        assert!(
            text.contains("and stderr (where the summary goes) are the same file"),
            "{flag}: {text}"
        );
        assert!(text.contains("or give -q"), "{flag}: {text}");
        assert!(
            !dir.join("out.ndjson").exists(),
            "{flag}: nothing was written"
        );
    }
    // With -q nothing else goes to stderr: the rejects may.
    let log = dir.join("err.log");
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(&dir)
        .args([
            "convert",
            "-q",
            "-m",
            "m.yaml",
            "--output-format",
            "ndjson",
            "in.ndjson",
        ])
        .args(["-o", "out.ndjson", "--rejects", "/dev/stderr"])
        .stderr(std::fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("TOOLONG"), "{text}");
}

/// A secret spread out by separators (`split("").join(".")`,
/// `split("-").join("+")`) is hidden, and so is its length.
#[test]
fn a_secret_spread_out_by_separators_and_its_length_are_hidden() {
    let dir = project("secret-spread");
    std::fs::write(
        dir.join("schemas/demo/src.yaml"),
        "schema: demo.src\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text}\n      pw: {type: text, secret: true}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("s.yaml"),
        "mapping: spread\nsource: demo.src\ntarget: demo.row\nparams:\n  tok: {type: text, secret: true}\nroutes:\n  - when: = id == \"a\"\n    target: demo.row\n    record:\n      id: = params.tok.split(\"-\").join(\"+\")\n  - when: = id == \"b\"\n    target: demo.row\n    record:\n      id: = pw.split(\"\").join(\".\")\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("in.ndjson"),
        "{\"id\":\"a\"}\n{\"id\":\"b\",\"pw\":\"Spread-Secret-77\"}\n",
    )
    .unwrap();
    let out = mapwright(&dir)
        .args([
            "convert",
            "-m",
            "s.yaml",
            "in.ndjson",
            "--output-format",
            "ndjson",
        ])
        .args(["--param", "tok=7E57-ABCD-EF01-2345-6789-FEDC"])
        .args([
            "-o",
            "out.ndjson",
            "--rejects",
            "rej.ndjson",
            "--report",
            "report.json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rejects = std::fs::read_to_string(dir.join("rej.ndjson")).unwrap_or_default();
    assert_eq!(out.status.code(), Some(1), "{stderr}{rejects}");
    let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
    assert_eq!(rejects.lines().count(), 2, "{rejects}");
    assert_eq!(
        rejects.matches("is (secret) characters").count(),
        2,
        "{rejects}"
    );
    for text in [&rejects, &report, &stderr] {
        for piece in [
            "ABCD",
            "EF01",
            "2345",
            "6789",
            "S.p.r",
            "e.t.-.7",
            "Secret-77",
        ] {
            assert!(!text.contains(piece), "{piece}: {text}");
        }
        assert!(
            !text.contains(" characters; ") || !text.contains(" is 29 "),
            "{text}"
        );
        assert!(!text.contains(" is 31 "), "{text}");
    }
}

/// A replaced output keeps its permissions but not its setuid, setgid or
/// sticky bits.
#[test]
fn a_replaced_output_drops_setuid_setgid_and_sticky_bits() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project("mode-bits");
    std::fs::write(dir.join("in.ndjson"), GOOD_AND_BAD).unwrap();
    let out = dir.join("out.ndjson");
    std::fs::write(&out, "OLD\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o4640)).unwrap();
    let before = std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777;
    assert_eq!(before, 0o4640, "the setuid bit was set: {before:o}");
    let (code, _, err) = convert(&dir, &["in.ndjson", "-o", "out.ndjson"]);
    assert_eq!(code, 1, "{err}");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "{mode:o}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}
