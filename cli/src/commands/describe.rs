//! `mapwright doc` and `mapwright explain`: a mapping described for people.

use std::path::PathBuf;

use mapwright::{DocFormat, Error, LoadOptions, Mapping, Params};

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
    /// Markdown, or one self-contained HTML page to read and print.
    #[arg(long, value_enum, default_value_t = SignOffFormat::Md)]
    format: SignOffFormat,
    /// A param, KEY=VALUE (repeatable): the document shows the value used.
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// A YAML or JSON file of params (`--param` wins).
    #[arg(long = "params", value_name = "FILE")]
    params_file: Option<PathBuf>,
}

/// The `--format` of `doc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SignOffFormat {
    /// Markdown.
    Md,
    /// One HTML file: inline style, no script, nothing fetched.
    Html,
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
    /// A source record (a JSON file), or an input of records (NDJSON, CSV,
    /// JSON or XML, read as convert reads it) with --line: trace how each
    /// field is built for it and every rule's result.
    record: Option<String>,
    /// The record a rejects file's `input` names: the line (1-based) of an
    /// NDJSON record or of a CSV row (its grouped unit), the index of a
    /// record in JSON or XML documents.
    #[arg(long, visible_alias = "record", value_name = "N", requires = "record")]
    line: Option<usize>,
    /// A param, KEY=VALUE (repeatable), for the record.
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// A YAML or JSON file of params, for the record (`--param` wins).
    #[arg(long = "params", value_name = "FILE")]
    params_file: Option<PathBuf>,
    /// How a record's trace is written: for people, or as JSON for tools.
    #[arg(long, value_enum, default_value_t = TraceFormat::Human)]
    format: TraceFormat,
}

/// The `--format` of `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Text for people.
    Human,
    /// The trace as JSON.
    Json,
}

fn load(path: &std::path::Path, root: &Option<PathBuf>) -> Result<Mapping, u8> {
    let options = LoadOptions { root: root.clone() };
    Mapping::from_path_options(path, &options).map_err(|d| {
        say!("{d}");
        exit::USAGE
    })
}

pub fn doc(args: DocArgs) -> u8 {
    let m = match load(&args.mapping, &args.root) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let format = match args.format {
        SignOffFormat::Md => DocFormat::Markdown,
        SignOffFormat::Html => DocFormat::Html,
    };
    let document = Params::from_command_line(args.params_file.as_deref(), &args.params)
        .and_then(|params| m.sign_off(&params, format));
    match document {
        Ok(text) => io::printed(&text),
        Err(e) => {
            say!("error: {e}");
            exit::USAGE
        }
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
    match &args.record {
        None => match m.explain(args.field.as_deref(), None) {
            Ok(e) => io::printed(&e.text),
            Err(e) => {
                say!("error: {e}");
                exit::USAGE
            }
        },
        Some(name) => trace(&m, name, &args),
    }
}

/// `explain` given a record: its trace.
fn trace(m: &Mapping, name: &str, args: &ExplainArgs) -> u8 {
    let params = match Params::from_command_line(args.params_file.as_deref(), &args.params) {
        Ok(p) => p,
        Err(e) => {
            say!("error: {e}");
            return exit::USAGE;
        }
    };
    let prepared = match m.prepare(&params) {
        Ok(p) => p,
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
    let record = match read_record(&prepared, name, args.line) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut trace = prepared.trace(&record);
    if let Some(field) = &args.field {
        trace.keep_fields(field);
    }
    let text = match args.format {
        TraceFormat::Human => trace.human(),
        TraceFormat::Json => match serde_json::to_string_pretty(&trace) {
            Ok(t) => t + "\n",
            Err(e) => {
                say!("error: {e}");
                return exit::IO;
            }
        },
    };
    match io::printed(&text) {
        exit::OK if trace.rejected() => exit::REJECTED,
        code => code,
    }
}

/// The record of `name`: the whole file, or the unit `line` names.
fn read_record(
    prepared: &mapwright::Prepared,
    name: &str,
    line: Option<usize>,
) -> Result<mapwright::Value, u8> {
    let bytes = io::open(name).and_then(|mut r| {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut r, &mut b).map(|_| b)
    });
    let bytes = bytes.map_err(|e| {
        say!("error: cannot read {}: {e}", io::shown(name));
        exit::IO
    })?;
    prepared
        .unit_to_trace(name, &bytes, None, line)
        .map_err(|e| {
            say!("error: {}: {}", io::shown(name), e.worded("--line"));
            match e {
                mapwright::LineError::PastTheEnd { .. }
                | mapwright::LineError::NoSuchRecord { .. }
                | mapwright::LineError::NoRowOnLine { .. }
                | mapwright::LineError::Zero
                | mapwright::LineError::NotNdjson { .. } => exit::USAGE,
                _ => exit::IO,
            }
        })
}
