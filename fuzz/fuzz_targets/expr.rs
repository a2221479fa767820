//! The expression compiler and evaluator, and the rhai script sandbox,
//! through the front door: the fuzzed text becomes the `Comment:` field of
//! the shipped Spectrum mapping, as `{expr: ...}` and as `{script: ...}`,
//! and what loads transforms the design example request (the unit budget
//! bounds the work).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mapwright::{Mapping, Params, Registry};
use serde_json::Value;

const FIELD: &str = "  Comment: = \"Oneserve order request \" + order_request_id\n";

fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER
        .get_or_init(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings/oneserve-spectrum"))
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::discover(folder()))
}

fn mapping_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let text = std::fs::read_to_string(folder().join("order.yaml")).expect("order.yaml");
        assert!(text.contains(FIELD), "order.yaml's Comment field moved");
        text
    })
}

fn record() -> &'static Value {
    static RECORD: OnceLock<Value> = OnceLock::new();
    RECORD.get_or_init(|| {
        let bytes = std::fs::read(folder().join("tests/design-example.json")).expect("example");
        mapwright::parse_json("design-example.json", &bytes).expect("the example parses")
    })
}

/// The mapping with `Comment:` as `{form: source}`, and what it does to the record.
fn run(form: &str, source: &str) {
    // A JSON string is a YAML double-quoted scalar: any text fits.
    let quoted = serde_json::to_string(source).unwrap_or_default();
    let field = format!("  Comment: {{{form}: {quoted}}}\n");
    let text = mapping_text().replacen(FIELD, &field, 1);
    let path = folder().join("fuzzed-expr.yaml");
    if let Ok(mapping) = Mapping::from_str(&path, &text, registry()) {
        let _ = mapping.transform(record(), &Params::from_pairs(&[("company_code", "KM2")]));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    run("expr", source);
    run("script", source);
});
