//! Numbers keep their digits (issue 11): a number an f64 cannot hold as
//! written, copied by a field, comes out with exactly its input digits in
//! NDJSON, JSON and XML; a computed one is written as computed; the target
//! check judges the digits as read; a reject holds the text as read. Every
//! test runs the real binary in a scratch folder of its own.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// 2^64: one past u64, read by serde_json as the f64 1.8446744073709552e19.
const BIG: &str = "18446744073709551616";
/// 20 significant digits: an f64 keeps 17 of them.
const DEC20: &str = "1234567890.1234567891";
/// 40 significant digits: more than a decimal's 28 too.
const DEC40: &str = "0.1234567890123456789012345678901234567891";

/// A scratch project: schemas `demo.out` (JSON) and `demo.xml` (XML, one
/// field an attribute, a list of lines), and mappings `m.yaml` and
/// `x.yaml` that copy numbers by an expression, a JSONPath and inside
/// `for_each`, and compute one.
fn project(name: &str) -> PathBuf {
    let dir = common::fresh("numbers", name);
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    let fields = "      Big: {type: integer}\n      Dec20: {type: decimal, digits: 20}\n      Dec40: {type: decimal}\n      Sum: {type: decimal}\n      Diff20: {type: decimal}\n      Diff40: {type: decimal}\n      Text: {type: text}\n";
    let line = "  line:\n    fields:\n      Amount: {type: decimal}\n";
    std::fs::write(
        dir.join("schemas/demo/out.yaml"),
        format!("schema: demo.out\nrecord: r\ntypes:\n  r:\n    fields:\n{fields}      Lines: {{type: list, of: line}}\n{line}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("schemas/demo/xml.yaml"),
        format!("schema: demo.xml\nformat: xml\nroot: Out\nrecord: r\ntypes:\n  r:\n    fields:\n      Price: {{type: money, xml: attribute}}\n{fields}      Lines: {{type: list, of: line, xml: {{wrapper: Lines, item: Line}}}}\n{line}"),
    )
    .unwrap();
    let record = "  Big: = big\n  Dec20: $.dec20\n  Dec40: = dec40\n  Sum: = big + 1\n  Diff20: = dec20 - 1234567890.123456\n  Diff40: = dec40 - 0.1234567890123\n  Lines:\n    for_each: lines\n    record:\n      Amount: = Amount\n";
    std::fs::write(
        dir.join("m.yaml"),
        format!("mapping: nums\ntarget: demo.out\nrecord:\n{record}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("x.yaml"),
        format!("mapping: numsx\ntarget: demo.xml\nrecord:\n  Price: = big\n{record}"),
    )
    .unwrap();
    dir
}

/// One record holding the three numbers, at the top and in a list.
fn record() -> String {
    format!(
        r#"{{"big": {BIG}, "dec20": {DEC20}, "dec40": {DEC40}, "lines": [{{"Amount": {DEC40}}}, {{"Amount": 2.5}}]}}"#
    )
}

/// The NDJSON line `m.yaml` writes for [`record`]: copies with their
/// digits; computed values as computed, held as f64s: the sum (2^64 + 1
/// is no f64), the difference computed on the 20 digits in decimal
/// (0.0000007891; from the f64 it would be 7e-7), the difference of the
/// 40 digits, too many for a decimal, computed from the nearest f64
/// (0.12345678901234568 - 0.1234567890123).
fn expected() -> String {
    format!(
        r#"{{"Big":{BIG},"Dec20":{DEC20},"Dec40":{DEC40},"Sum":1.8446744073709552e+19,"Diff20":7.891e-7,"Diff40":4.57e-14,"Lines":[{{"Amount":{DEC40}}},{{"Amount":2.5}}]}}"#
    )
}

fn mapwright(dir: &Path, args: &[&str]) -> (i32, String, String) {
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

#[test]
fn ndjson_copies_keep_their_digits_on_one_thread_and_on_several() {
    let dir = project("ndjson");
    std::fs::write(
        dir.join("in.ndjson"),
        format!("{}\n{}\n", record(), record()),
    )
    .unwrap();
    for threads in ["1", "2"] {
        let (code, out, err) = mapwright(
            &dir,
            &[
                "convert",
                "-m",
                "m.yaml",
                "in.ndjson",
                "--output-format",
                "ndjson",
                "--threads",
                threads,
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out,
            format!("{}\n{}\n", expected(), expected()),
            "threads {threads}"
        );
    }
}

#[test]
fn json_document_copies_keep_their_digits() {
    let dir = project("json");
    std::fs::write(
        dir.join("in.json"),
        format!("[\n{},\n{}\n]\n", record(), record()),
    )
    .unwrap();
    let (code, out, err) = mapwright(
        &dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "in.json",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("[\n{},\n{}\n]\n", expected(), expected()));
}

#[test]
fn xml_copies_keep_their_digits_without_an_exponent() {
    let dir = project("xml");
    let record = record().replace(DEC40, "1.2345678901234567890123e25");
    std::fs::write(dir.join("in.ndjson"), format!("{record}\n")).unwrap();
    let (code, out, err) = mapwright(
        &dir,
        &[
            "convert",
            "-m",
            "x.yaml",
            "in.ndjson",
            "--output-format",
            "xml",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The literal with an exponent is written as its digits; the money
    // attribute gets its two places; the computed sum is the f64's text.
    let plain = "12345678901234567890123000";
    // 1.2345678901234567890123e25 - 0.1234567890123, computed in decimal
    // from the 23 digits as read, and held, like any computed number, as
    // the nearest f64 (written as the XML writer writes any: its text).
    let diff40 = "1.2345678901234568e+25";
    assert_eq!(
        out,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Batch>\n<Out Price=\"{BIG}.00\"><Big>{BIG}</Big><Dec20>{DEC20}</Dec20><Dec40>{plain}</Dec40><Sum>1.8446744073709552e+19</Sum><Diff20>7.891e-7</Diff20><Diff40>{diff40}</Diff40><Lines><Line><Amount>{plain}</Amount></Line><Line><Amount>2.5</Amount></Line></Lines></Out>\n</Batch>\n"
        )
    );
}

#[test]
fn csv_fields_are_text_and_keep_their_digits_as_text_or_as_numbers() {
    let dir = project("csv");
    std::fs::write(
        dir.join("c.yaml"),
        "mapping: numsc\ntarget: demo.out\nrecord:\n  Big: {expr: = big, as: number}\n  Dec20: = dec20\n  Dec40: {expr: = dec40, as: number}\n  Sum: {expr: = dec20, as: number, round: 2}\n  Text: = big\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("in.csv"),
        format!("big,dec20,dec40\n{BIG},{DEC20},{DEC40}\n"),
    )
    .unwrap();
    let (code, out, err) = mapwright(
        &dir,
        &[
            "convert",
            "-m",
            "c.yaml",
            "in.csv",
            "--output-format",
            "ndjson",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // A CSV field is text: a copy is that text, digits and all, in quotes;
    // converted to a number (`as: number`), it is that number with the
    // same digits; rounded as well, it is the rounded number.
    assert_eq!(
        out,
        format!("{{\"Big\":{BIG},\"Dec20\":\"{DEC20}\",\"Dec40\":{DEC40},\"Sum\":1234567890.12,\"Text\":\"{BIG}\"}}\n")
    );
}

#[test]
fn the_target_check_judges_the_digits_as_read() {
    let dir = project("check");
    // 21 digits where 20 are allowed, and a fraction in an integer field:
    // the nearest f64s (1234567890.1234567, a whole 1.2345678901234567e19)
    // would pass both.
    let line = record()
        .replace(DEC20, "1234567890.12345678912")
        .replace(BIG, "12345678901234567890.5");
    std::fs::write(dir.join("in.ndjson"), format!("{line}\n")).unwrap();
    let (code, out, err) = mapwright(
        &dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "in.ndjson",
            "--output-format",
            "ndjson",
            "--rejects",
            "rejects.ndjson",
        ],
    );
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    let rejects = std::fs::read_to_string(dir.join("rejects.ndjson")).unwrap();
    let reject: serde_json::Value = serde_json::from_str(rejects.trim_end()).unwrap();
    let errors: Vec<(&str, &str, &str)> = reject["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["rule"].as_str().unwrap(),
                e["path"].as_str().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "invalid-integer",
                "/Big",
                "'12345678901234567890.5' is not a whole number"
            ),
            (
                "too-many-digits",
                "/Dec20",
                "'1234567890.12345678912' has 21 digits; demo allows at most 20"
            ),
        ]
    );
    // The reject holds the line as read, digits and all.
    assert!(
        rejects.starts_with(&format!(
            "{{\"file\":\"in.ndjson\",\"input\":[1],\"source\":[{line}],"
        )),
        "{rejects}"
    );
}

#[test]
fn a_rejected_json_document_record_holds_its_text_as_read() {
    let dir = project("reject-json");
    let bad = record().replace(BIG, "12345678901234567890.5");
    std::fs::write(dir.join("in.json"), format!("[{},\n  {bad}]", record())).unwrap();
    let (code, out, err) = mapwright(
        &dir,
        &[
            "convert",
            "-m",
            "m.yaml",
            "in.json",
            "--output-format",
            "ndjson",
            "--rejects",
            "rejects.ndjson",
        ],
    );
    assert_eq!((code, out), (1, format!("{}\n", expected())), "{err}");
    let rejects = std::fs::read_to_string(dir.join("rejects.ndjson")).unwrap();
    assert!(
        rejects.starts_with(&format!(
            "{{\"file\":\"in.json\",\"input\":[2],\"lines\":[2],\"source\":[{bad}],"
        )),
        "{rejects}"
    );
}

#[test]
fn a_modifier_or_a_lookup_key_computes_a_new_number_and_a_whole_list_copied_keeps_digits() {
    let dir = project("modifiers");
    std::fs::write(
        dir.join("r.yaml"),
        "mapping: numsr\ntarget: demo.out\nlookups:\n  names: {map: {\"1\": one}}\nrecord:\n  Dec20: {expr: = dec20, round: 2}\n  Text: {lookup: names, key: = dec40, default: none}\n  Sum: = dec40\n  Lines: = lines\n",
    )
    .unwrap();
    std::fs::write(dir.join("in.ndjson"), format!("{}\n", record())).unwrap();
    let (code, out, err) = mapwright(
        &dir,
        &[
            "convert",
            "-m",
            "r.yaml",
            "in.ndjson",
            "--output-format",
            "ndjson",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // Rounded: the rounded number. Looked up: what the lookup gives. A
    // plain copy beside them keeps its digits, and so does a number inside
    // a whole list copied.
    assert_eq!(
        out,
        format!("{{\"Dec20\":1234567890.12,\"Text\":\"none\",\"Sum\":{DEC40},\"Lines\":[{{\"Amount\":{DEC40}}},{{\"Amount\":2.5}}]}}\n")
    );
}
