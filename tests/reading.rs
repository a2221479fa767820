//! Issue 11, review of reading: a broken element of a streamed JSON
//! document costs only itself, a filter whose first line breaks falls back
//! to NDJSON lines, mapwright reads its own `--batch-size` output back.
//! Every test runs the real binary in a scratch folder and asserts the
//! output, the rejects (text, lines), the counts and the exit code.

mod common;

use common::{mapwright, run};

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// A scratch project: schema `demo.row` (`id` text of at most 5
/// characters, required; `n` text), mapping `m.yaml` (`id: = id`,
/// `n: = name`) and `s.yaml`, the same with `select: $.orders[*]`.
fn project(name: &str) -> PathBuf {
    common::demo_project_with_select("reading", name)
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `convert -m MAPPING --output-format ndjson --rejects rej.ndjson [FILE]`,
/// with `stdin` when no file is named: exit code, stdout, stderr, rejects.
fn convert(
    dir: &Path,
    mapping: &str,
    file: Option<&str>,
    stdin: &[u8],
) -> (i32, String, String, Vec<Value>) {
    let _ = std::fs::remove_file(dir.join("rej.ndjson"));
    let mut c = mapwright(dir);
    c.args(["convert", "-m", mapping, "--output-format", "ndjson"])
        .args(["--rejects", "rej.ndjson"]);
    match file {
        Some(f) => c.arg(f),
        None => c.write_stdin(stdin.to_vec()),
    };
    let (code, out, err) = run(&mut c);
    (code, out, err, lines(&dir.join("rej.ndjson")))
}

fn row(i: usize) -> String {
    format!("{{\"id\": \"R{i}\", \"name\": \"n{i}\"}}")
}

fn out_row(i: usize) -> String {
    format!("{{\"id\":\"R{i}\",\"n\":\"n{i}\"}}\n")
}

/// A pretty array of 3,000 records with `NaN` in one element, and one
/// whose brackets do not match: each is one reject holding its own text
/// and every line it spans, and every other record is accepted, by name
/// or on stdin, under a `select:` path or at the top.
#[test]
fn a_broken_element_of_a_streamed_array_is_one_reject_and_the_rest_is_read() {
    let dir = project("broken-element");
    let mut items: Vec<String> = (0..3000).map(row).collect();
    items[1500] = "{\"id\": \"R1500\",\n    \"name\": NaN}".into();
    items[2500] = "{\"id\": \"R2500\", \"name\": [1, 2}}".into();
    let body = items.join(",\n    ");
    let array = format!("[\n    {body}\n]\n");
    let doc = format!("{{\"meta\": [1, {{\"x\": \"]\"}}],\n  \"orders\": [\n    {body}\n  ]\n}}\n");
    std::fs::write(dir.join("arr.json"), &array).unwrap();
    std::fs::write(dir.join("doc.json"), &doc).unwrap();
    let expected: String = (0..3000)
        .filter(|i| *i != 1500 && *i != 2500)
        .map(out_row)
        .collect();
    let runs = [
        ("m.yaml", Some("arr.json"), 2),
        ("m.yaml", None, 2),
        ("s.yaml", Some("doc.json"), 3),
        ("s.yaml", None, 3),
    ];
    for (mapping, file, first_line) in runs {
        let stdin = if mapping == "m.yaml" { &array } else { &doc };
        let (code, out, err, rej) = convert(&dir, mapping, file, stdin.as_bytes());
        let what = format!("{mapping} {file:?}");
        assert_eq!(code, 1, "{what}: {err}");
        assert!(out == expected, "{what}: the accepted records differ");
        assert!(
            err.contains("3000 input records, 3000 units: 2998 accepted, 2 rejected"),
            "{what}: {err}"
        );
        assert_eq!(rej.len(), 2, "{what}: {rej:?}");
        let nan_line = first_line + 1500;
        assert_eq!(rej[0]["source"], json!([items[1500]]), "{what}");
        assert_eq!(rej[0]["raw"], json!([items[1500]]), "{what}");
        assert_eq!(rej[0]["lines"], json!([nan_line, nan_line + 1]), "{what}");
        assert_eq!(rej[0]["input"], json!([nan_line + 1]), "{what}");
        assert_eq!(rej[0]["errors"][0]["rule"], "malformed", "{what}");
        assert_eq!(rej[1]["source"], json!([items[2500]]), "{what}");
        assert_eq!(rej[1]["lines"], json!([nan_line + 1001]), "{what}");
    }
}

/// A rejected record of a streamed document holds its own text (digits
/// as written), not the whole document, with its lines.
#[test]
fn a_rejected_streamed_record_holds_its_own_text() {
    let dir = project("own-text");
    let doc = "[\n  {\"id\": \"OK1\", \"name\": \"a\"},\n  {\"id\": \"TOOLONG\",\n   \"name\": 18446744073709551616}\n]\n";
    let (code, out, err, rej) = convert(&dir, "m.yaml", None, doc.as_bytes());
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "{\"id\":\"OK1\",\"n\":\"a\"}\n");
    assert_eq!(rej.len(), 1);
    let text = "{\"id\": \"TOOLONG\",\n   \"name\": 18446744073709551616}";
    assert_eq!(rej[0]["raw"], json!([text]));
    assert_eq!(rej[0]["lines"], json!([3, 4]));
    assert_eq!(rej[0]["errors"][0]["rule"], "max-length");
    // On one line of the rejects file, the digits as written.
    let written = std::fs::read_to_string(dir.join("rej.ndjson")).unwrap();
    let source = "\"source\":[{\"id\": \"TOOLONG\",    \"name\": 18446744073709551616}]";
    assert!(written.contains(source), "{written}");
}

/// Filter mode: a first line that opens a value and breaks, followed by
/// whole NDJSON lines, is one reject; every line after it is a record.
#[test]
fn a_cut_first_line_followed_by_ndjson_lines_costs_only_that_line() {
    let dir = project("cut-first");
    let mut input = String::from("{\"id\":\n");
    for i in 0..500 {
        input.push_str(&row(i).replace(' ', ""));
        input.push('\n');
    }
    let expected: String = (0..500).map(out_row).collect();
    let (code, out, err, rej) = convert(&dir, "m.yaml", None, input.as_bytes());
    assert_eq!(code, 1, "{err}");
    assert!(out == expected, "the accepted records differ: {err}");
    assert!(
        err.contains("501 input records, 501 units: 500 accepted, 1 rejected"),
        "{err}"
    );
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!(rej[0]["input"], json!([1]));
    assert_eq!(rej[0]["source"], json!(["{\"id\":"]));
    assert_eq!(rej[0]["errors"][0]["rule"], "malformed");
}

/// A structure broken between elements cannot be resynchronised: the
/// rest of the document is one reject with its text and lines, counted.
#[test]
fn the_rest_of_a_document_past_a_fault_is_one_reject() {
    let dir = project("rest");
    let doc = "[\n  {\"id\": \"A1\", \"name\": \"a\"}\n  {\"id\": \"A2\", \"name\": \"b\"},\n  {\"id\": \"A3\", \"name\": \"c\"}\n]\n";
    std::fs::write(dir.join("d.json"), doc).unwrap();
    let (code, out, err, rej) = convert(&dir, "m.yaml", Some("d.json"), b"");
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "{\"id\":\"A1\",\"n\":\"a\"}\n");
    assert!(
        err.contains("2 input records, 2 units: 1 accepted, 1 rejected"),
        "{err}"
    );
    let rest = "{\"id\": \"A2\", \"name\": \"b\"},\n  {\"id\": \"A3\", \"name\": \"c\"}\n]";
    assert_eq!(rej[0]["raw"], json!([rest]));
    assert_eq!(rej[0]["lines"], json!([3, 4, 5]));
    assert_eq!(
        rej[0]["errors"][0]["message"],
        "line 3, column 3: not valid JSON: expected `,` or `]` after an element"
    );
}

/// Documents one a line (`--batch-size` writes an envelope a line) read
/// on stdin as they are read from a file named `.json`: `select:` picks
/// the records of each.
#[test]
fn envelopes_one_a_line_on_stdin_read_as_the_named_file_does() {
    let dir = project("envelopes");
    let envelope = |from: usize| {
        let items: Vec<String> = (from..from + 3).map(|i| row(i).replace(' ', "")).collect();
        format!("{{\"orders\":[{}]}}\n", items.join(","))
    };
    let text = format!("{}{}{}", envelope(0), envelope(3), envelope(6));
    std::fs::write(dir.join("b.json"), &text).unwrap();
    let expected: String = (0..9).map(out_row).collect();
    for file in [Some("b.json"), None] {
        let (code, out, err, rej) = convert(&dir, "s.yaml", file, text.as_bytes());
        assert_eq!(
            (code, out.as_str()),
            (0, expected.as_str()),
            "{file:?}: {err}"
        );
        assert!(rej.is_empty(), "{file:?}: {rej:?}");
        assert!(
            err.contains("9 input records, 9 units: 9 accepted"),
            "{err}"
        );
    }
    // Lines that are records, not envelopes, stay NDJSON records.
    let records: String = (0..2).map(|i| format!("{}\n", row(i))).collect();
    let (code, out, err, _) = convert(&dir, "m.yaml", None, records.as_bytes());
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "{\"id\":\"R0\",\"n\":\"n0\"}\n{\"id\":\"R1\",\"n\":\"n1\"}\n"
        ),
        "{err}"
    );
}

/// A quote left open at the end of a CSV file is named as such, whether
/// or not the fields it swallowed happen to match the header's count.
#[test]
fn a_csv_quote_open_at_the_end_is_named_whatever_the_field_count() {
    let dir = project("csv-open");
    std::fs::write(
        dir.join("c.yaml"),
        "mapping: rows\ntarget: demo.row\nrecord:\n  id: = id\n  n: = name\n",
    )
    .unwrap();
    for (csv, first_good) in [
        ("id,name,x\nA1,x,1\nA2,\"open,2\nA3,3,3\n", "A1"),
        ("id,name\nA1,x\nA2,\"open\r\nA3,y\n", "A1"),
    ] {
        std::fs::write(dir.join("in.csv"), csv).unwrap();
        let (code, out, err, rej) = convert(&dir, "c.yaml", Some("in.csv"), b"");
        assert_eq!(code, 1, "{csv:?}: {err}");
        assert!(out.contains(first_good), "{csv:?}: {out}");
        assert_eq!(rej.len(), 1, "{csv:?}: {rej:?}");
        assert_eq!(rej[0]["lines"], json!([3, 4]), "{csv:?}");
        assert_eq!(
            rej[0]["errors"][0]["message"],
            "not a valid CSV row: the quote opened on line 3 is never closed, so lines 3-4 are one row",
            "{csv:?}"
        );
    }
}

/// XML: a document that is not UTF-8 is one reject with its lines, its
/// bytes in base64 and the line and column of the first bad byte; Latin-1
/// declared is decoded; a malformed document is one reject with its text,
/// its lines and the line of the fault; documents one after another, each
/// with its declaration (as `--batch-size` writes them), are one record each.
#[test]
fn xml_rejects_hold_their_lines_and_text_and_documents_are_read_one_by_one() {
    let dir = project("xml");
    let not_utf8 = b"<r><id>X1</id>\n<name>caf\xe9</name></r>\n";
    std::fs::write(dir.join("a.xml"), not_utf8).unwrap();
    let (code, out, err, rej) = convert(&dir, "m.yaml", Some("a.xml"), b"");
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!(rej[0]["input"], json!([2]));
    assert_eq!(rej[0]["lines"], json!([1, 2]));
    assert_eq!(rej[0]["source_encoding"], "base64");
    assert_eq!(
        rej[0]["raw"],
        json!(["PHI+PGlkPlgxPC9pZD4KPG5hbWU+Y2Fm6TwvbmFtZT48L3I+"])
    );
    let message = rej[0]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("line 2, column 10: not UTF-8 text (byte 0xE9)"),
        "{message}"
    );

    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r><id>X1</id><name>caf\xe9</name></r>\n";
    std::fs::write(dir.join("b.xml"), latin1).unwrap();
    let (code, out, err, rej) = convert(&dir, "m.yaml", Some("b.xml"), b"");
    assert_eq!(
        (code, out.as_str()),
        (0, "{\"id\":\"X1\",\"n\":\"café\"}\n"),
        "{err}"
    );
    assert!(rej.is_empty());

    let broken = "<r>\n<id>X1</id>\n<name>a</nam>\n</r>";
    std::fs::write(dir.join("c.xml"), format!("{broken}\n")).unwrap();
    let (code, _, err, rej) = convert(&dir, "m.yaml", Some("c.xml"), b"");
    assert_eq!(code, 1, "{err}");
    assert_eq!(rej[0]["input"], json!([3]));
    assert_eq!(rej[0]["lines"], json!([1, 2, 3, 4]));
    assert_eq!(rej[0]["raw"], json!([broken]));
    assert_eq!(rej[0]["errors"][0]["rule"], "malformed");

    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    let docs = format!(
        "{decl}<r><id>X1</id><name>a</name></r>\n{decl}<r><id>X2</id><name>b</nam></r>\n{decl}<r><id>X3</id><name>c</name></r>\n"
    );
    std::fs::write(dir.join("d.xml"), &docs).unwrap();
    let (code, out, err, rej) = convert(&dir, "m.yaml", Some("d.xml"), b"");
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "{\"id\":\"X1\",\"n\":\"a\"}\n{\"id\":\"X3\",\"n\":\"c\"}\n"
    );
    assert!(
        err.contains("3 input records, 3 units: 2 accepted, 1 rejected"),
        "{err}"
    );
    assert_eq!(rej.len(), 1, "{rej:?}");
    assert_eq!(rej[0]["lines"], json!([3, 4]));
    assert_eq!(rej[0]["input"], json!([4]));
    assert_eq!(
        rej[0]["raw"],
        json!([format!("{decl}<r><id>X2</id><name>b</nam></r>")])
    );
}
