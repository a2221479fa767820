//! Confinement, secrets and mutated input (issue 11, items 3, 4 and 7):
//! a mapping cannot make mapwright read or print host files, no secret
//! value is written anywhere but the payload, and every record of a mangled
//! input is counted once. Every test runs the real binary in a scratch
//! folder of its own.

mod common;
use common::root as repo;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::Value;

/// Exit code and everything written to stdout and stderr.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

fn run(dir: &Path, args: &[&str]) -> Ran {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(dir)
        .env("MAPWRIGHT_GUARD_CANARY", "canary-3f9a1c")
        .args(args)
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// ---------------------------------------------------------------- confinement

/// A project `dir` with `schemas/demo/row.yaml` and `mappings/m.yaml`, whose
/// lookup `codes` reads `file` (as written in the YAML).
fn lookup_project(name: &str, file: &str) -> PathBuf {
    lookup_project_at(scratch(name), file)
}

fn lookup_project_at(dir: PathBuf, file: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    std::fs::create_dir_all(dir.join("mappings")).unwrap();
    std::fs::write(
        dir.join("schemas/demo/row.yaml"),
        "schema: demo.row\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text}\n      code: {type: text}\n",
    )
    .unwrap();
    write_mapping(
        &dir,
        &format!("lookups:\n  codes: {{file: '{file}', key: id, value: code}}\n"),
    );
    dir
}

fn write_mapping(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("mappings/m.yaml"),
        format!(
            "mapping: m\ntarget: demo.row\n{extra}record:\n  id: = id\n  code: = lookup(\"codes\", id)\n"
        ),
    )
    .unwrap();
}

/// Lines of a host file long enough to be recognisable.
fn host_lines(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.len() >= 8)
        .map(str::to_string)
        .collect()
}

/// `check` and `convert` both refuse the mapping with `code` (exit 2), and
/// neither prints a line of `host` or the environment's canary.
fn refused_with(dir: &Path, extra_args: &[&str], code: &str, host: &str) {
    let mut check = vec!["check", "--message-format", "short", "mappings/m.yaml"];
    check.extend(extra_args);
    let mut convert = vec!["convert", "-m", "mappings/m.yaml", "-"];
    convert.extend(extra_args);
    for args in [check, convert] {
        let r = run(dir, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.all());
        assert!(
            r.all().contains(&format!("error[{code}]")),
            "{args:?}: {}",
            r.all()
        );
        for line in host_lines(host) {
            assert!(
                !r.all().contains(&line),
                "{args:?} printed a line of {host}"
            );
        }
        assert!(
            !r.all().contains("canary-3f9a1c"),
            "{args:?} printed the environment"
        );
    }
}

#[test]
fn a_lookup_up_and_out_of_the_project_is_refused_unread() {
    let probe = scratch("depth");
    let depth = probe.canonicalize().unwrap().components().count();
    let up = "../".repeat(depth + 1);
    let dir = lookup_project("dotdot", &format!("{up}etc/passwd"));
    refused_with(&dir, &[], "outside-project", "/etc/passwd");
}

#[test]
fn an_absolute_lookup_path_is_refused() {
    let dir = lookup_project("absolute", "/etc/passwd");
    refused_with(&dir, &[], "outside-project", "/etc/passwd");
}

#[test]
fn a_symlink_out_of_the_project_is_refused() {
    let dir = lookup_project("symlink", "codes.csv");
    symlink("/etc/passwd", dir.join("mappings/codes.csv")).unwrap();
    refused_with(&dir, &[], "outside-project", "/etc/passwd");
}

#[test]
fn proc_self_environ_is_refused_and_never_printed() {
    let dir = lookup_project("environ", "/proc/self/environ");
    refused_with(&dir, &[], "outside-project", "/proc/self/environ");
    // With the whole disk as the project it is still refused: nothing
    // under /proc is a file of a project (a /proc file says it holds 0
    // bytes and gives the environment).
    let r = run(
        &dir,
        &[
            "check",
            "--message-format",
            "short",
            "--root",
            "/",
            "mappings/m.yaml",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.all().contains("error[not-a-regular-file]"), "{}", r.all());
    assert!(!r.all().contains("canary-3f9a1c"), "{}", r.all());
}

#[test]
fn dev_zero_is_refused_as_outside_then_as_not_a_regular_file() {
    let dir = lookup_project("devzero", "/dev/zero");
    refused_with(&dir, &[], "outside-project", "/dev/null");
    refused_with(&dir, &["--root", "/"], "not-a-regular-file", "/dev/null");
}

#[test]
fn a_fifo_in_the_project_is_refused_without_waiting_for_a_writer() {
    let dir = lookup_project("fifo", "codes.csv");
    let fifo = dir.join("mappings/codes.csv");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    refused_with(&dir, &[], "not-a-regular-file", "/dev/null");
}

#[test]
fn a_lookup_over_64_mib_and_rules_over_1_mib_are_refused() {
    let dir = lookup_project("large", "codes.csv");
    let big = std::fs::File::create(dir.join("mappings/codes.csv")).unwrap();
    big.set_len(64 * 1024 * 1024 + 1).unwrap(); // sparse: no disk used
    refused_with(&dir, &[], "file-too-large", "/dev/null");

    write_mapping(
        &dir,
        "rules_from: rules.yaml\nlookups:\n  codes: {map: {a: b}}\n",
    );
    let rules = std::fs::File::create(dir.join("mappings/rules.yaml")).unwrap();
    rules.set_len(1024 * 1024 + 1).unwrap();
    refused_with(&dir, &[], "file-too-large", "/dev/null");
}

#[test]
fn rules_from_out_of_the_project_is_refused_unread() {
    let dir = lookup_project("rules-out", "codes.csv");
    std::fs::write(dir.join("mappings/codes.csv"), "id,code\na,b\n").unwrap();
    write_mapping(
        &dir,
        "rules_from: /etc/passwd\nlookups:\n  codes: {file: codes.csv, key: id, value: code}\n",
    );
    refused_with(&dir, &[], "outside-project", "/etc/passwd");
}

#[test]
fn root_widens_the_project_to_a_shared_folder_above_it() {
    let top = scratch("root");
    std::fs::create_dir_all(top.join("shared")).unwrap();
    std::fs::write(top.join("shared/codes.csv"), "id,code\nA1,Z9\n").unwrap();
    // partner/ holds mappings/ and schemas/: it is the project, and
    // shared/ beside it is outside until --root names the folder above.
    let sibling = lookup_project_at(top.join("partner"), "../../shared/codes.csv");

    let r = run(
        &sibling,
        &["check", "--message-format", "short", "mappings/m.yaml"],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.all().contains("error[outside-project]"), "{}", r.all());

    let root = top.to_str().unwrap();
    let r = run(&sibling, &["check", "--root", root, "mappings/m.yaml"]);
    assert_eq!(r.code, 0, "{}", r.all());
    std::fs::write(sibling.join("in.ndjson"), "{\"id\":\"A1\"}\n").unwrap();
    let r = run(
        &sibling,
        &[
            "convert",
            "--root",
            root,
            "-m",
            "mappings/m.yaml",
            "--output-format",
            "ndjson",
            "in.ndjson",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.stdout, "{\"id\":\"A1\",\"code\":\"Z9\"}\n");
}

#[test]
fn a_missing_lookup_column_is_named_without_listing_the_header() {
    let dir = lookup_project("column", "codes.csv");
    std::fs::write(
        dir.join("mappings/codes.csv"),
        "ident,private-header-text\na,b\n",
    )
    .unwrap();
    let r = run(
        &dir,
        &["check", "--message-format", "short", "mappings/m.yaml"],
    );
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stdout
            .contains("error[lookup-column]: codes.csv has no column 'id'; it has 2 column(s)"),
        "{}",
        r.all()
    );
    assert!(!r.all().contains("private-header-text"), "{}", r.all());
}

// ---------------------------------------------------------------- secrets

/// A copy of the shipped Synergetic mapping (with the shared rules and its
/// tests) in a project of its own, where the vendor token also reaches
/// BusinessUnitCode (at most 30 characters, so a GUID fails it and the
/// check quotes the value), and the test file's token is `token`.
fn synergetic(name: &str, token: &str) -> PathBuf {
    let dir = scratch(name);
    let to = dir.join("mappings");
    for sub in [
        "oneserve-synergetic/lookups",
        "oneserve-synergetic/tests",
        "shared",
    ] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
    }
    let from = repo().join("mappings");
    for f in [
        "oneserve-synergetic/lookups/creditors.csv",
        "oneserve-synergetic/tests/design-example.json",
        "shared/oneserve-create-order-rules.yaml",
    ] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    let mapping = std::fs::read_to_string(from.join("oneserve-synergetic/order.yaml")).unwrap();
    let leaky = mapping.replace(
        "  BusinessUnitCode:\n    expr: params.business_unit\n    omit_blank: true\n",
        "  BusinessUnitCode: = params.vendor_token\n",
    );
    assert_ne!(
        mapping, leaky,
        "the shipped mapping changed: update the test"
    );
    std::fs::write(to.join("oneserve-synergetic/order.yaml"), leaky).unwrap();
    let tests = std::fs::read_to_string(from.join("oneserve-synergetic/tests/order.yaml")).unwrap();
    std::fs::write(
        to.join("oneserve-synergetic/tests/order.yaml"),
        tests.replace("3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7", token),
    )
    .unwrap();
    dir
}

/// The design example with `token` copied into the source fields chosen.
fn example_with(dir: &Path, token: &str, into: &[&str]) -> Value {
    let text =
        std::fs::read_to_string(dir.join("mappings/oneserve-synergetic/tests/design-example.json"))
            .unwrap();
    let mut record: Value = serde_json::from_str(&text).unwrap();
    for place in into {
        let at = record.pointer_mut(place).unwrap();
        *at = Value::String(format!("{token}{}", "x".repeat(place.len() % 3)));
    }
    record
}

/// Every byte convert (stdout, stderr, rejects, report), explain and test
/// write for `record`, with `token` as the vendor token.
fn everything_written(dir: &Path, token: &str, record: &Value) -> String {
    let m = "mappings/oneserve-synergetic/order.yaml";
    std::fs::write(dir.join("in.json"), record.to_string()).unwrap();
    std::fs::write(dir.join("in.ndjson"), format!("{record}\n{record}\n")).unwrap();
    let param = format!("vendor_token={token}");
    let mut all = String::new();
    for input in ["in.json", "in.ndjson"] {
        let _ = std::fs::remove_file(dir.join("rejects.ndjson"));
        let _ = std::fs::remove_file(dir.join("report.json"));
        let r = run(
            dir,
            &[
                "convert",
                "-m",
                m,
                "--param",
                &param,
                "--rejects",
                "rejects.ndjson",
                "--report",
                "report.json",
                "-o",
                "out.xml",
                "--output-format",
                "xml",
                input,
            ],
        );
        assert_eq!(r.code, 1, "{}", r.all());
        all += &r.all();
        all += &std::fs::read_to_string(dir.join("rejects.ndjson")).unwrap();
        all += &std::fs::read_to_string(dir.join("report.json")).unwrap();
    }
    let r = run(dir, &["explain", "-m", m, "--param", &param, "in.json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    all += &r.all();
    let r = run(
        dir,
        &["test", "mappings/oneserve-synergetic/tests/order.yaml"],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    all += &r.all();
    all
}

#[test]
fn a_vendor_token_copied_into_a_failing_field_is_never_written() {
    let token = "7E57ABA9-8F37-4CC9-934C-6ABCCA9F44B7";
    let dir = synergetic("token", token);
    let record = example_with(
        &dir,
        token,
        &["/job/description", "/activities/0/team/name"],
    );
    let all = everything_written(&dir, token, &record);
    assert!(!all.contains(token), "the token was written:\n{all}");
    assert!(!all.contains("7E57"), "part of the token was written");
    // The findings are still there, with the value hidden.
    assert!(
        all.contains("max-length at /BusinessUnitCode: '(secret)' is (secret) characters; Synergetic allows at most 30"),
        "{all}"
    );
    assert!(
        all.contains("team '(secret)xx' has no whole-number Synergetic CreditorID"),
        "{all}"
    );
    // The payload is the one place it goes: a run that accepts has it there.
    let m = "mappings/oneserve-synergetic/order.yaml";
    let shipped = repo().join("mappings/oneserve-synergetic/order.yaml");
    std::fs::copy(shipped, dir.join(m)).unwrap();
    let param = format!("vendor_token={token}");
    let r = run(
        &dir,
        &[
            "convert",
            "-m",
            m,
            "--param",
            &param,
            "--output-format",
            "xml",
            "mappings/oneserve-synergetic/tests/design-example.json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains(&format!("VendorTokenGUID=\"{token}\""))
            || r.stdout.contains(&format!(">{token}<")),
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains(token));
}

#[test]
fn param_without_equals_names_the_flag_not_the_value() {
    let dir = synergetic("noequals", "7E57ABA9-8F37-4CC9-934C-6ABCCA9F44B7");
    let secret = "7E57ABA9-8F37-4CC9-934C-6ABCCA9F44B7";
    for args in [
        vec![
            "convert",
            "-m",
            "mappings/oneserve-synergetic/order.yaml",
            "--param",
            secret,
            "in.json",
        ],
        vec![
            "explain",
            "-m",
            "mappings/oneserve-synergetic/order.yaml",
            "--param",
            secret,
            "x.json",
        ],
        vec![
            "convert",
            "-m",
            "mappings/oneserve-synergetic/order.yaml",
            &format!("--vendor-token={secret}"),
        ],
        vec!["convert", "--batch-size", secret, "-m", "x"],
    ]
    .iter()
    .map(|a| a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&dir, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.all());
        assert!(
            !r.all().contains("7E57"),
            "{args:?} echoed the value: {}",
            r.all()
        );
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    }
    let r = run(
        &dir,
        &[
            "convert",
            "-m",
            "mappings/oneserve-synergetic/order.yaml",
            "--param",
            secret,
        ],
    );
    assert_eq!(
        r.stderr,
        "error: --param needs KEY=VALUE, and one has no '=' (its text is not shown: it may be a secret)\n"
    );
    let r = run(&dir, &["convert", &format!("--vendor-token={secret}")]);
    assert_eq!(
        r.stderr,
        "error: unexpected argument '--vendor-token'\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn a_secret_target_field_filled_from_the_input_is_hidden_in_every_message() {
    // Spectrum's Authorization_ID is a secret field; here it and
    // Company_Code (at most 3 characters) both get job.ref.
    let dir = scratch("spectrum");
    let to = dir.join("mappings");
    for sub in ["oneserve-spectrum/lookups", "shared"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
    }
    let from = repo().join("mappings");
    for f in [
        "oneserve-spectrum/lookups/vendors.csv",
        "oneserve-spectrum/lookups/phases.csv",
        "shared/oneserve-create-order-rules.yaml",
    ] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    let mapping = std::fs::read_to_string(from.join("oneserve-spectrum/order.yaml")).unwrap();
    let leaky = mapping.replace(
        "  Company_Code: = params.company_code\n",
        "  Company_Code: = job.ref\n  Authorization_ID: = job.ref\n",
    );
    assert_ne!(mapping, leaky);
    std::fs::write(to.join("oneserve-spectrum/order.yaml"), leaky).unwrap();
    let mut record: Value = serde_json::from_str(
        &std::fs::read_to_string(from.join("oneserve-spectrum/tests/design-example.json")).unwrap(),
    )
    .unwrap();
    record["job"]["ref"] = Value::String("AUTHSECRET1".into());
    std::fs::write(dir.join("in.ndjson"), format!("{record}\n")).unwrap();
    let m = "mappings/oneserve-spectrum/order.yaml";
    let r = run(
        &dir,
        &[
            "convert",
            "-m",
            m,
            "--param",
            "company_code=KM2",
            "--rejects",
            "rejects.ndjson",
            "--report",
            "report.json",
            "-o",
            "out.json",
            "in.ndjson",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    let rejects: Value = serde_json::from_str(
        std::fs::read_to_string(dir.join("rejects.ndjson"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let errors = rejects["errors"].to_string();
    assert!(
        errors.contains("'(secret)' is (secret) characters"),
        "{errors}"
    );
    assert!(!errors.contains("AUTHSECRET1"), "{errors}");
    let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let report: Value = serde_json::from_str(&report).unwrap();
    let messages: Vec<String> = report["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["errors"].to_string())
        .collect();
    assert_eq!(messages.len(), 1);
    assert!(!messages[0].contains("AUTHSECRET1"), "{}", messages[0]);
    assert!(!r.all().contains("AUTHSECRET1"), "{}", r.all());
    let r = run(
        &dir,
        &[
            "explain",
            "-m",
            m,
            "--param",
            "company_code=KM2",
            "in.ndjson",
        ],
    );
    assert!(!r.all().contains("AUTHSECRET1"), "{}", r.all());
}

#[test]
fn doc_hides_a_secret_params_default() {
    let dir = lookup_project("doc", "codes.csv");
    std::fs::write(dir.join("mappings/codes.csv"), "id,code\na,b\n").unwrap();
    write_mapping(
        &dir,
        "params:\n  key: {type: text, secret: true, default: DEFAULTSECRET}\nlookups:\n  codes: {file: codes.csv, key: id, value: code}\n",
    );
    let r = run(&dir, &["doc", "-m", "mappings/m.yaml"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("| `key` | text, secret | (secret) | (secret) |"),
        "{}",
        r.stdout
    );
    assert!(!r.all().contains("DEFAULTSECRET"));
    // The sign-off page, with the value given for the secret: neither the
    // default nor the given value is written.
    let r = run(
        &dir,
        &[
            "doc",
            "-m",
            "mappings/m.yaml",
            "--format",
            "html",
            "--param",
            "key=GIVENSECRET",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("<td>text, secret</td><td>(secret)</td><td>(secret)</td>"),
        "{}",
        r.stdout
    );
    assert!(
        !r.all().contains("DEFAULTSECRET") && !r.all().contains("GIVENSECRET"),
        "{}",
        r.all()
    );
}

fn hex(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(b"0123456789ABCDEF".to_vec()), len)
        .prop_map(|b| String::from_utf8(b).unwrap())
}

/// A GUID the params accept, from random hexadecimal digits.
fn guid() -> impl Strategy<Value = String> {
    (hex(8), hex(4), hex(4), hex(4), hex(12))
        .prop_map(|(a, b, c, d, e)| format!("{a}-{b}-{c}-{d}-{e}"))
}

const PLACES: [&str; 6] = [
    "/job/description",
    "/job/ref",
    "/activities/0/team/name",
    "/activities/0/description",
    "/requested_at",
    "/activities/0/note",
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 12,
        // Tests write only to temp folders: no regressions file in the repository.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Secrets are never written: a random vendor token, copied by the
    /// mapping into a field that fails, and by the record into any of its
    /// fields that reach messages, appears in no byte convert, explain or
    /// test write.
    #[test]
    fn secrets_are_never_written(token in guid(), into in proptest::sample::subsequence(PLACES.to_vec(), 0..=PLACES.len())) {
        let dir = synergetic("prop-secret", &token);
        let record = example_with(&dir, &token, &into);
        let all = everything_written(&dir, &token, &record);
        prop_assert!(!all.contains(&token), "the token was written:\n{}", all);
        prop_assert!(all.contains("'(secret)' is (secret) characters"));
    }
}

// ---------------------------------------------------------------- conservation

/// A mutation of an input file.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize, usize),
    Flip(usize, u8),
    Duplicate(usize),
    InvalidUtf8(usize),
    Crlf(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(l, at)| Mutation::Truncate(l, at)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        any::<usize>().prop_map(Mutation::Duplicate),
        any::<usize>().prop_map(Mutation::InvalidUtf8),
        any::<usize>().prop_map(Mutation::Crlf),
    ]
}

fn apply(lines: &mut Vec<Vec<u8>>, m: &Mutation, header: bool) {
    let first = usize::from(header);
    if lines.len() <= first {
        return;
    }
    let pick = |i: usize| first + i % (lines.len() - first);
    match *m {
        Mutation::Truncate(l, at) => {
            let l = pick(l);
            let keep = at % (lines[l].len() + 1);
            lines[l].truncate(keep);
        }
        Mutation::Flip(at, b) => {
            let all: usize = lines[first..].iter().map(Vec::len).sum();
            if all == 0 {
                return;
            }
            let mut at = at % all;
            for line in &mut lines[first..] {
                if at < line.len() {
                    line[at] ^= b | 1;
                    return;
                }
                at -= line.len();
            }
        }
        Mutation::Duplicate(l) => {
            let l = pick(l);
            let copy = lines[l].clone();
            lines.insert(l, copy);
        }
        Mutation::InvalidUtf8(l) => {
            let l = pick(l);
            let mid = lines[l].len() / 2;
            lines[l].splice(mid..mid, [0xff, 0xfe, 0xc3]);
        }
        Mutation::Crlf(l) => {
            let l = pick(l);
            lines[l].push(b'\r');
        }
    }
}

/// A scratch project whose mapping reads `id` and `name` into `demo.row`
/// (`id` required, at most 5 characters).
fn rows_project(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    std::fs::write(
        dir.join("schemas/demo/row.yaml"),
        "schema: demo.row\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text, required: true, max_length: 5}\n      n: {type: text}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("m.yaml"),
        "mapping: rows\ntarget: demo.row\nskip:\n  - when: = id == \"skip\"\n    reason: asked to\nrecord:\n  id: = id\n  n: = name\n",
    )
    .unwrap();
    dir
}

/// Convert `bytes` as `file`; the report's counts, and the lines of the
/// output and rejects files.
fn counted(dir: &Path, file: &str, bytes: &[u8]) -> (Value, usize, usize) {
    std::fs::write(dir.join(file), bytes).unwrap();
    for f in ["out.ndjson", "rejects.ndjson", "report.json"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let r = run(
        dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "--output-format",
            "ndjson",
            "-o",
            "out.ndjson",
            "--rejects",
            "rejects.ndjson",
            "--report",
            "report.json",
            file,
        ],
    );
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.all());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let count = |f: &str| {
        std::fs::read(dir.join(f))
            .map(|b| b.split(|c| *c == b'\n').filter(|l| !l.is_empty()).count())
            .unwrap_or(0)
    };
    (
        report["counts"].clone(),
        count("out.ndjson"),
        count("rejects.ndjson"),
    )
}

fn assert_conserved(
    counts: &Value,
    written: usize,
    rejected_lines: usize,
) -> Result<(), TestCaseError> {
    let n = |k: &str| counts[k].as_u64().unwrap() as usize;
    prop_assert_eq!(
        n("units"),
        n("accepted") + n("rejected") + n("skipped"),
        "{}",
        counts
    );
    prop_assert_eq!(n("input_records"), n("units"), "{}", counts);
    prop_assert_eq!(written, n("accepted"), "{}", counts);
    prop_assert_eq!(rejected_lines, n("rejected"), "{}", counts);
    Ok(())
}

fn ndjson_lines() -> Vec<Vec<u8>> {
    [
        r#"{"id":"A1","name":"one"}"#,
        r#"{"id":"TOOLONG","name":"two"}"#,
        r#"{"id":"skip","name":"three"}"#,
        r#"{"id":"B2","name":"caf\u00e9 é"}"#,
        r#"{"id":18446744073709551616}"#,
        r#"{"name":"no id"}"#,
    ]
    .iter()
    .map(|l| l.as_bytes().to_vec())
    .collect()
}

fn csv_lines() -> Vec<Vec<u8>> {
    [
        "id,name",
        "A1,one",
        "TOOLONG,two",
        "skip,three",
        "B2,\"quoted, comma\"",
        "C3,é",
        ",empty id",
    ]
    .iter()
    .map(|l| l.as_bytes().to_vec())
    .collect()
}

fn joined(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        // Tests write only to temp folders: no regressions file in the repository.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// NDJSON: every non-blank line is one record, counted once as accepted,
    /// rejected or skipped, whatever was done to the lines.
    #[test]
    fn ndjson_conserves_every_record(mutations in proptest::collection::vec(mutation(), 1..5)) {
        let dir = rows_project("prop-ndjson");
        let mut lines = ndjson_lines();
        for m in &mutations {
            apply(&mut lines, m, false);
        }
        let bytes = joined(&lines);
        let (counts, written, rejected) = counted(&dir, "in.ndjson", &bytes);
        assert_conserved(&counts, written, rejected)?;
        let records = bytes
            .split(|c| *c == b'\n')
            .filter(|l| !l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')))
            .count();
        prop_assert_eq!(counts["input_records"].as_u64().unwrap() as usize, records, "{}", counts);
    }

    /// CSV: every row is counted once as accepted, rejected or skipped.
    #[test]
    fn csv_conserves_every_row(mutations in proptest::collection::vec(mutation(), 1..5)) {
        let dir = rows_project("prop-csv");
        let mut lines = csv_lines();
        for m in &mutations {
            apply(&mut lines, m, true);
        }
        let (counts, written, rejected) = counted(&dir, "in.csv", &joined(&lines));
        assert_conserved(&counts, written, rejected)?;
    }
}

#[test]
fn validate_hides_a_secret_fields_value_copied_into_a_failing_field() {
    let dir = scratch("validate");
    let token = "7E57ABA9-8F37-4CC9-934C-6ABCCA9F44B7";
    let example = repo().join("mappings/oneserve-synergetic/examples/special-characters.xml");
    let xml = std::fs::read_to_string(example).unwrap();
    let leaky = xml
        .replace("3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7", token)
        .replace(
            "<VersionNumber>",
            &format!("<BusinessUnitCode>{token}</BusinessUnitCode><VersionNumber>"),
        );
    std::fs::write(dir.join("p.xml"), leaky).unwrap();
    for format in ["human", "json"] {
        let r = run(
            &dir,
            &[
                "validate",
                "-s",
                "synergetic.create_purchase_order",
                "--format",
                format,
                "p.xml",
            ],
        );
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.all().contains("max-length"), "{}", r.all());
        assert!(!r.all().contains("7E57"), "{}", r.all());
    }
}

/// Found by the `csv` fuzz target: a header row that is not UTF-8 is no
/// record to reject, so the input cannot be read (exit 3), and the message
/// names the file, the line and the field. Nothing panics.
#[test]
fn a_csv_header_that_is_not_utf8_is_an_unreadable_input() {
    let dir = rows_project("csv-header");
    std::fs::write(dir.join("in.csv"), b"id,na\xffme\nA1,one\n").unwrap();
    let r = run(
        &dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "--output-format",
            "ndjson",
            "in.csv",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.all());
    assert_eq!(
        r.stderr,
        "error: in.csv: CSV header row: CSV parse error: record 0 (line 1, field: 1, byte: 0): invalid utf-8: invalid UTF-8 in field 1 near byte index 2\n"
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn a_secret_source_field_is_hidden_in_the_messages_and_the_rejects_source() {
    let dir = demo_project(
        "source-secret",
        (
            "src",
            "id: {type: text}\n      key: {type: text, secret: true}",
        ),
        (
            "row",
            "id: {type: text}\n      n: {type: text, max_length: 5}",
        ),
        "id: = id\n  n: = key",
    );
    std::fs::write(
        dir.join("in.ndjson"),
        "{\"id\":\"A1\",\"key\":\"SRCSECRET99\"}\n",
    )
    .unwrap();
    let r = run(
        &dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "--rejects",
            "rejects.ndjson",
            "--report",
            "report.json",
            "-o",
            "out.ndjson",
            "--output-format",
            "ndjson",
            "in.ndjson",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    let rejects = std::fs::read_to_string(dir.join("rejects.ndjson")).unwrap();
    let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
    assert!(
        rejects.contains("'(secret)' is (secret) characters"),
        "{rejects}"
    );
    assert!(rejects.contains(r#""key":"(secret)""#), "{rejects}");
    for text in [&rejects, &report, &r.stdout, &r.stderr] {
        assert!(!text.contains("SRCSECRET99"), "{text}");
    }
}

#[test]
fn validate_hides_a_secret_field_of_an_enveloped_json_payload() {
    let dir = scratch("validate-json");
    let r = run(
        &repo(),
        &[
            "convert",
            "-m",
            "mappings/oneserve-spectrum/order.yaml",
            "--param",
            "company_code=KM2",
            "mappings/oneserve-spectrum/tests/design-example.json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let mut payload: Value = serde_json::from_str(&r.stdout).unwrap();
    let order = &mut payload["purchaseOrders"][0];
    order["Authorization_ID"] = Value::String("AUTHSEC".into());
    order["Company_Code"] = Value::String("AUTHSEC".into());
    std::fs::write(dir.join("p.json"), payload.to_string()).unwrap();
    for format in ["human", "json"] {
        let r = run(
            &dir,
            &[
                "validate",
                "-s",
                "spectrum.purchase_order_batch",
                "--format",
                format,
                "p.json",
            ],
        );
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.all().contains("max-length"), "{}", r.all());
        assert!(r.all().contains("(secret)"), "{}", r.all());
        assert!(!r.all().contains("AUTHSEC"), "{}", r.all());
    }
}

/// A folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    common::fresh("guard", name)
}

/// A project whose target's secret field `token` is built from the
/// source's `client`, a field that is no secret, with a `code` of at most
/// 3 characters that a long `code` breaks.
fn built_secret_project(name: &str) -> PathBuf {
    demo_project(
        name,
        ("src", "code: {type: text}\n      client: {type: text}"),
        (
            "out",
            "code: {type: text, max_length: 3}\n      token: {type: text, secret: true}",
        ),
        "code: = code\n  token: = client",
    )
}

/// A scratch project of two one-type schemas `demo.SRC` and `demo.OUT`
/// (their field lines given) and a mapping `m.yaml` between them (its
/// `record:` lines given).
fn demo_project(name: &str, src: (&str, &str), out: (&str, &str), record: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    for (schema, fields) in [src, out] {
        std::fs::write(
            dir.join(format!("schemas/demo/{schema}.yaml")),
            format!(
                "schema: demo.{schema}\nrecord: r\ntypes:\n  r:\n    fields:\n      {fields}\n"
            ),
        )
        .unwrap();
    }
    let mapping = format!(
        "mapping: m\nsource: demo.{}\ntarget: demo.{}\nrecord:\n  {record}\n",
        src.0, out.0
    );
    std::fs::write(dir.join("m.yaml"), mapping).unwrap();
    dir
}

#[test]
fn a_secret_target_fields_value_built_from_the_input_is_hidden_in_the_rejects_source() {
    // Review of issue 16: the token was hidden in the error but shown in
    // the rejection's source, by every reader of the input.
    let dir = built_secret_project("built-secret");
    let line = r#"{"code":"TOOLONG","client":"BUILTSECRET7"}"#;
    std::fs::write(dir.join("in.ndjson"), format!("{line}\n{line}\n")).unwrap();
    std::fs::write(dir.join("in.json"), format!("[{line}]\n")).unwrap();
    std::fs::write(dir.join("in.csv"), "code,client\nTOOLONG,BUILTSECRET7\n").unwrap();
    let cases: [(&str, &[&str]); 4] = [
        ("in.ndjson", &["--threads", "1"]),
        ("in.ndjson", &["--threads", "2"]),
        ("in.json", &[]),
        ("in.csv", &[]),
    ];
    for (input, extra) in cases {
        let mut args = vec!["convert", "-m", "m.yaml", "--rejects", "rejects.ndjson"];
        args.extend([
            "--report",
            "report.json",
            "-o",
            "out.ndjson",
            "--output-format",
            "ndjson",
        ]);
        args.extend(extra);
        args.push(input);
        let r = run(&dir, &args);
        assert_eq!(r.code, 1, "{input} {extra:?}: {}", r.all());
        let rejects = std::fs::read_to_string(dir.join("rejects.ndjson")).unwrap();
        let first: Value = serde_json::from_str(rejects.lines().next().unwrap()).unwrap();
        let source = serde_json::json!([{"code": "TOOLONG", "client": "(secret)"}]);
        assert_eq!(first["source"], source, "{input} {extra:?}: {rejects}");
        assert_eq!(first["errors"][0]["rule"], "max-length", "{rejects}");
        let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
        for text in [&rejects, &report, &r.stdout, &r.stderr] {
            assert!(!text.contains("BUILTSECRET7"), "{input} {extra:?}: {text}");
        }
    }
}
