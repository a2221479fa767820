//! Embeds the shipped schemas (`../schemas/<system>/<payload>.yaml`) in the
//! library, so a `mapwright` binary copied anywhere, or installed with
//! `cargo install`, still knows them. A project's own `schemas/` folder adds
//! to them and overrides them by name (see docs/schemas.md).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut found = Vec::new();
    if let Ok(systems) = std::fs::read_dir(&root) {
        for system in systems.flatten().filter(|e| e.path().is_dir()) {
            println!("cargo:rerun-if-changed={}", system.path().display());
            let Ok(files) = std::fs::read_dir(system.path()) else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    let system = system.file_name().to_string_lossy().into_owned();
                    let payload = path.file_stem().unwrap().to_string_lossy().into_owned();
                    found.push((
                        format!("{system}.{payload}"),
                        format!("{system}/{payload}.yaml"),
                        path,
                    ));
                }
            }
        }
    }
    found.sort();
    let mut out = String::from("/// The shipped schemas: (name, path under schemas/, text).\n");
    out.push_str("pub(crate) static EMBEDDED: &[(&str, &str, &str)] = &[\n");
    for (name, rel, path) in &found {
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        writeln!(
            out,
            "    ({name:?}, {rel:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_schemas.rs");
    std::fs::write(dest, out).unwrap();
}
