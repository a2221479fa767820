//! `mapwright doc` and `mapwright explain`: a mapping described for people.

use std::path::PathBuf;

use mapwright::{Mapping, Outcome, Params};

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
}

fn load(path: &std::path::Path, root: &Option<PathBuf>) -> Result<Mapping, u8> {
    let options = mapwright::confine::LoadOptions { root: root.clone() };
    Mapping::from_path_options(path, &options).map_err(|d| {
        say!("{d}");
        exit::USAGE
    })
}

pub fn doc(args: DocArgs) -> u8 {
    match load(&args.mapping, &args.root) {
        Ok(m) => io::printed(&mapwright::doc::mapping_text(&m)),
        Err(code) => code,
    }
}

pub fn explain(args: ExplainArgs) -> u8 {
    let m = match load(&args.mapping, &args.root) {
        Ok(m) => m,
        Err(code) => return code,
    };
    if let Some(field) = &args.field {
        if let Err(near) = mapwright::doc::explain_fields(&m, field) {
            let hint = near
                .map(|n| format!(" (did you mean '{n}'?)"))
                .unwrap_or_default();
            say!("error: --field: no target field of this mapping is at '{field}'{hint}");
            return exit::USAGE;
        }
    }
    let mut rejected = false;
    // Secrets hidden in the explanation: the params', and the values at the
    // secret fields of the record and of what it built.
    let mut redactor = mapwright::redact::Redactor::default();
    let built = match &args.record {
        None => None,
        Some(name) => {
            let mut params = Params::default();
            for p in &args.params {
                if let Err(e) = params.set_pair(p) {
                    say!("error: {e}");
                    return exit::USAGE;
                }
            }
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
            let record = match mapwright::read::parse_json(&bytes) {
                Ok(r) => r,
                Err(e) => {
                    say!("error: {}: {e}", io::shown(name));
                    return exit::IO;
                }
            };
            let prepared = match m.prepare(&params) {
                Ok(p) => p,
                Err(problems) => {
                    for p in problems {
                        say!("error: {p}");
                    }
                    return exit::USAGE;
                }
            };
            redactor = prepared.redactor().clone();
            match prepared.transform(&record) {
                Outcome::Accepted {
                    route,
                    record: built,
                    ..
                } => {
                    let target = m.route(&route).map(|r| &*r.target);
                    redactor = prepared.redactor_for(&record, target.map(|t| (t, &built)));
                    Some(built)
                }
                Outcome::Rejected(errors) => {
                    rejected = true;
                    for e in errors {
                        let line = format!("rejected: {} at {}: {}\n", e.rule, e.path, e.message);
                        if io::printed(&line) != exit::OK {
                            return exit::IO;
                        }
                    }
                    None
                }
                Outcome::Skipped(reason) => {
                    if io::printed(&format!("skipped: {reason}\n")) != exit::OK {
                        return exit::IO;
                    }
                    None
                }
            }
        }
    };
    let text = mapwright::doc::explain_text(&m, args.field.as_deref(), built.as_ref());
    let printed = io::printed(&redactor.redact(&text));
    if printed != exit::OK {
        printed
    } else if rejected {
        exit::REJECTED
    } else {
        exit::OK
    }
}
