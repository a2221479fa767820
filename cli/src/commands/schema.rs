//! `mapwright schema list | show NAME | export NAME | export --file-format F`

use std::path::Path;

use mapwright::{FileFormat, Registry};

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
    /// The payload a schema describes, as a JSON Schema (draft 2020-12); or,
    /// with --file-format, the JSON Schema of mapwright's own file formats,
    /// for editors (docs/json-schema/).
    #[command(
        override_usage = "mapwright schema export <NAME>\n       mapwright schema export --file-format <FORMAT>"
    )]
    Export {
        /// Schema name or file.
        #[arg(
            required_unless_present = "file_format",
            conflicts_with = "file_format"
        )]
        name: Option<String>,
        /// Write the JSON Schema of a mapwright file format instead.
        #[arg(long, value_enum, value_name = "FORMAT")]
        file_format: Option<FileFormatArg>,
    },
}

/// The file formats `export --file-format` knows.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FileFormatArg {
    /// Mapping files (`mapping:`).
    Mapping,
    /// Schema files (`schema:` with `types:`).
    Schema,
    /// Test files (`cases:`).
    Test,
    /// Rules files read with `rules_from:`.
    Rules,
}

impl FileFormatArg {
    fn format(self) -> FileFormat {
        match self {
            FileFormatArg::Mapping => FileFormat::Mapping,
            FileFormatArg::Schema => FileFormat::Schema,
            FileFormatArg::Test => FileFormat::Test,
            FileFormatArg::Rules => FileFormat::Rules,
        }
    }
}

fn pretty(value: &mapwright::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
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
        Command::Export {
            file_format: Some(f),
            ..
        } => io::printed(&pretty(&f.format().json_schema())),
        Command::Export { name, .. } => match registry.load(&name.unwrap_or_default()) {
            Ok(schema) => io::printed(&pretty(&schema.json_schema())),
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
