//! The expression compiler and evaluator, and the rhai script sandbox,
//! through the front door: the fuzzed text is the one field of a small
//! mapping, as `{expr: ...}` and as `{script: ...}`, and what loads
//! transforms the design example request (the unit budget bounds the
//! work). The mapping is small so that an input costs its expression, not
//! the loading of a whole integration.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mapwright::{Mapping, Params, Registry};
use serde_json::Value;

/// A folder holding the one-field target schema `fuzz.out`.
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("mapwright-fuzz-expr-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("schemas/fuzz")).expect("scratch folder");
        std::fs::write(
            dir.join("schemas/fuzz/out.yaml"),
            "schema: fuzz.out\nrecord: r\ntypes:\n  r:\n    fields:\n      Comment: {type: text}\n",
        )
        .expect("schema");
        dir
    })
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::discover(folder()))
}

fn record() -> &'static Value {
    static RECORD: OnceLock<Value> = OnceLock::new();
    RECORD.get_or_init(|| {
        let example = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../mappings/oneserve-spectrum/tests/design-example.json");
        let bytes = std::fs::read(example).expect("example");
        mapwright::parse_json("design-example.json", &bytes).expect("the example parses")
    })
}

/// The mapping with `Comment:` as `{form: source}`, and what it does to the record.
fn run(form: &str, source: &str) {
    // A JSON string is a YAML double-quoted scalar: any text fits.
    let quoted = serde_json::to_string(source).unwrap_or_default();
    let text = format!("mapping: fuzzed\ntarget: fuzz.out\nrecord:\n  Comment: {{{form}: {quoted}}}\n");
    let path = folder().join("fuzzed-expr.yaml");
    if let Ok(mapping) = Mapping::from_str(&path, &text, registry()) {
        let _ = mapping.transform(record(), &Params::default());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    run("expr", source);
    run("script", source);
});
