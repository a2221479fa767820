//! `mapwright schema list | show NAME`

use std::path::Path;

use mapwright::Registry;

use super::{exit, io};

/// Subcommands of `schema`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Every schema that can be found from here.
    List,
    /// A schema's field table, rules and decision tables.
    Show {
        /// Schema name or file.
        name: String,
    },
    /// The payload a schema describes, as a JSON Schema (draft 2020-12).
    Export {
        /// Schema name or file.
        name: String,
    },
}

pub fn run(cmd: Command) -> u8 {
    let registry = Registry::discover(Path::new("."));
    match cmd {
        Command::List => {
            let text: String = registry
                .list()
                .into_iter()
                .map(|(name, origin)| format!("{name}\t{origin}\n"))
                .collect();
            io::printed(&text)
        }
        Command::Export { name } => match registry.load(&name) {
            Ok(schema) => {
                let text = serde_json::to_string_pretty(&schema.json_schema()).unwrap_or_default();
                io::printed(&(text + "\n"))
            }
            Err(d) => {
                say!("{d}");
                exit::USAGE
            }
        },
        Command::Show { name } => match registry.load(&name) {
            Ok(schema) => io::printed(&schema.doc_text()),
            Err(d) => {
                say!("{d}");
                exit::USAGE
            }
        },
    }
}
