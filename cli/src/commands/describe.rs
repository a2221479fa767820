//! `mapwright doc` and `mapwright explain`: a mapping described for people.

use std::path::PathBuf;

use mapwright::{Error, LoadOptions, Mapping, Params};

use super::{exit, io};

/// Arguments of `doc`.
#[derive(clap::Args)]
pub struct DocArgs {
    /// The mapping file.
    #[arg(short, long)]
    mapping: PathBuf,
    /// The project lookup files and `rules_from:` must stay inside (default:
    /// the nearest folder above the mapping holding mappings/ or schemas/).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

/// Arguments of `explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The mapping file.
    #[arg(short, long)]
    mapping: PathBuf,
    /// The project lookup files and `rules_from:` must stay inside (default:
    /// the nearest folder above the mapping holding mappings/ or schemas/).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Only this target field (a path: /poDetails/*/Item_Price), or the fields below it.
    #[arg(long)]
    field: Option<String>,
    /// A source record (JSON file): also show the value each field gets for it.
    record: Option<String>,
    /// A param, KEY=VALUE (repeatable), for the record.
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// A YAML or JSON file of params, for the record (`--param` wins).
    #[arg(long = "params", value_name = "FILE")]
    params_file: Option<PathBuf>,
}

fn load(path: &std::path::Path, root: &Option<PathBuf>) -> Result<Mapping, u8> {
    let options = LoadOptions { root: root.clone() };
    Mapping::from_path_options(path, &options).map_err(|d| {
        say!("{d}");
        exit::USAGE
    })
}

pub fn doc(args: DocArgs) -> u8 {
    match load(&args.mapping, &args.root) {
        Ok(m) => io::printed(&m.doc_text()),
        Err(code) => code,
    }
}

pub fn explain(args: ExplainArgs) -> u8 {
    let m = match load(&args.mapping, &args.root) {
        Ok(m) => m,
        Err(code) => return code,
    };
    if let Some(field) = &args.field {
        if let Err(e) = m.explain_fields(field) {
            say!("error: --field: {e}");
            return exit::USAGE;
        }
    }
    let params = match Params::from_command_line(args.params_file.as_deref(), &args.params) {
        Ok(p) => p,
        Err(e) => {
            say!("error: {e}");
            return exit::USAGE;
        }
    };
    let record = match &args.record {
        None => None,
        Some(name) => {
            let bytes = match io::open(name).and_then(|mut r| {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut r, &mut b).map(|_| b)
            }) {
                Ok(b) => b,
                Err(e) => {
                    say!("error: cannot read {}: {e}", io::shown(name));
                    return exit::IO;
                }
            };
            match mapwright::parse_json(io::shown(name), &bytes) {
                Ok(r) => Some(r),
                Err(e) => {
                    say!("error: {e}");
                    return exit::IO;
                }
            }
        }
    };
    let explained = match m.explain(args.field.as_deref(), record.as_ref().map(|r| (r, &params))) {
        Ok(e) => e,
        Err(Error::Params(problems)) => {
            for p in problems {
                say!("error: {p}");
            }
            return exit::USAGE;
        }
        Err(e) => {
            say!("error: {e}");
            return exit::USAGE;
        }
    };
    if io::printed(&explained.outcome) != exit::OK {
        return exit::IO;
    }
    let printed = io::printed(&explained.text);
    if printed != exit::OK {
        printed
    } else if explained.rejected {
        exit::REJECTED
    } else {
        exit::OK
    }
}
