//! The JSON Schemas of mapwright's own file formats (docs/json-schema/):
//! what `mapwright schema export --file-format` writes, shipped for editors.

mod common;
use common::root;

use assert_cmd::Command;

const FORMATS: [&str; 4] = ["mapping", "schema", "test", "rules"];

fn export(format: &str) -> (i32, String, String) {
    let out = Command::cargo_bin("mapwright")
        .unwrap()
        .current_dir(root())
        .args(["schema", "export", "--file-format", format])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_shipped_json_schemas_are_what_the_command_writes_now() {
    for format in FORMATS {
        let (code, out, err) = export(format);
        assert_eq!(code, 0, "{format}: {err}");
        let shipped = root().join(format!("docs/json-schema/{format}.schema.json"));
        let text = std::fs::read_to_string(&shipped)
            .unwrap_or_else(|e| panic!("{}: {e}", shipped.display()));
        assert!(
            out == text,
            "{} is out of date: run `mapwright schema export --file-format {format} > {}`",
            shipped.display(),
            shipped.display()
        );
    }
}

#[test]
fn a_file_format_schema_describes_its_keys() {
    let (code, out, err) = export("mapping");
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["$ref"], "#/$defs/mapping_file");
    let file = &s["$defs"]["mapping_file"];
    assert_eq!(file["additionalProperties"], false);
    assert_eq!(
        file["properties"]["where"]["description"],
        "Records for which it is false are skipped."
    );
    // The forms of a field spec: expression, JSONPath, constant text, other
    // constants, and the map form with exactly one source key.
    let forms = s["$defs"]["field_spec"]["oneOf"].as_array().unwrap();
    assert_eq!(forms.len(), 5);
    assert_eq!(forms[0]["pattern"], "^=");
    let map_form = &s["$defs"]["field_spec_map"]["properties"];
    assert_eq!(map_form["round"]["maximum"], 28);
    assert_eq!(
        map_form["as"]["enum"],
        serde_json::json!(["number", "integer", "bool", "text"])
    );
}

#[test]
fn a_test_file_schema_tells_mapping_tests_from_schema_tests_by_mapping() {
    let (code, out, err) = export("test");
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["if"]["required"], serde_json::json!(["mapping"]));
    assert_eq!(s["then"]["$ref"], "#/$defs/mapping_test_file");
    assert_eq!(s["else"]["$ref"], "#/$defs/schema_test_file");
    assert!(s["$defs"]["mapping_case"]["properties"]["output_includes"].is_object());
    assert!(s["$defs"]["mapping_case"]["properties"]["output_include"].is_null());
}

#[test]
fn export_wants_a_schema_name_or_a_file_format_but_not_both() {
    let run = |args: &[&str]| {
        Command::cargo_bin("mapwright")
            .unwrap()
            .current_dir(root())
            .args(args)
            .output()
            .unwrap()
    };
    let none = run(&["schema", "export"]);
    assert_eq!(none.status.code(), Some(2));
    let both = run(&[
        "schema",
        "export",
        "spectrum.purchase_order_batch",
        "--file-format",
        "mapping",
    ]);
    assert_eq!(both.status.code(), Some(2));
    let unknown = run(&["schema", "export", "--file-format", "mappings"]);
    assert_eq!(unknown.status.code(), Some(2));
}
