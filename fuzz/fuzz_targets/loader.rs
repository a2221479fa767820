//! The mapping and schema loaders: any text is a mapping or a schema with
//! diagnostics, never a panic. The mapping sits in the shipped Spectrum
//! folder, so its schema names, lookups and `rules_from:` resolve.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mapwright::{Mapping, Registry, Schema};

fn folder() -> &'static Path {
    static FOLDER: OnceLock<std::path::PathBuf> = OnceLock::new();
    FOLDER
        .get_or_init(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings/oneserve-spectrum"))
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::discover(folder()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Mapping::from_str(&folder().join("fuzzed.yaml"), text, registry());
    let _ = Schema::from_str(&folder().join("fuzzed-schema.yaml"), text);
});
