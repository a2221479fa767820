//! `mapwright schema list | show NAME`

use std::path::Path;

use mapwright::Registry;

use super::exit;

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
            for (name, origin) in registry.list() {
                println!("{name}\t{origin}");
            }
            exit::OK
        }
        Command::Export { name } => match registry.load(&name) {
            Ok(schema) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&mapwright::doc::json_schema(&schema))
                        .unwrap_or_default()
                );
                exit::OK
            }
            Err(d) => {
                eprintln!("{d}");
                exit::USAGE
            }
        },
        Command::Show { name } => match registry.load(&name) {
            Ok(schema) => {
                print!("{}", mapwright::doc::schema_text(&schema));
                exit::OK
            }
            Err(d) => {
                eprintln!("{d}");
                exit::USAGE
            }
        },
    }
}
