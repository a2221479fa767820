//! `mapwright convert`: the library's `convert` with files for sinks.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use mapwright::{ConvertJob, Error, Input, LoadOptions, Mapping, OutputFormat, Params, Report};

use super::exit;
use super::io;
use super::progress::Progress;

/// Arguments of `convert`.
#[derive(clap::Args)]
pub struct Args {
    /// The mapping file.
    #[arg(short, long)]
    mapping: PathBuf,
    /// Input files (JSON, NDJSON, CSV, XML); none or `-` reads stdin.
    inputs: Vec<String>,
    /// The project lookup files and `rules_from:` must stay inside (default:
    /// the nearest folder above the mapping holding mappings/ or schemas/).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Output file (default stdout).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Rejects file: one NDJSON line per rejected unit, with its input and every error.
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// JSON report (counts and every rejection) to FILE, or `-` for stdout.
    #[arg(long, value_name = "FILE|-")]
    report: Option<PathBuf>,
    /// A param, KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// A YAML or JSON file of params.
    #[arg(long = "params", value_name = "FILE")]
    params_file: Option<PathBuf>,
    /// Input format: json, ndjson, xml, csv (default: from the name and content).
    #[arg(long)]
    input_format: Option<String>,
    /// Output format: json (the target's envelope), ndjson (one record per line), xml.
    #[arg(long)]
    output_format: Option<String>,
    /// No summary or progress on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Records per envelope: JSON envelopes of at most N records, one per
    /// line (or per file with --output-dir); XML with 1: one document per record.
    #[arg(long, value_name = "N")]
    batch_size: Option<usize>,
    /// Write one file per batch into this folder (each written whole, then renamed into place).
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    output_dir: Option<PathBuf>,
    /// CSV field delimiter (one character; default `,` or the mapping's `input.csv.delimiter`).
    #[arg(long, value_name = "C")]
    delimiter: Option<char>,
    /// Check every built record against the whole target schema and run
    /// every source rule, leaving out none of the checks proved at load to
    /// pass or not to apply (the outcomes are the same).
    #[arg(long)]
    check_all: bool,
    /// Worker threads for NDJSON and CSV input (default, or 0: one per core; output keeps input order).
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    threads: usize,
    /// Memory the rows of an unsorted CSV may take while grouped (default 64MB;
    /// past it they spill to temp files): a number of bytes, or with KB, MB, GB (1024-based).
    #[arg(long, value_name = "SIZE")]
    group_memory: Option<String>,
}

/// A size as `--group-memory` takes it: `65536`, `64KB`, `64MB`, `1GB`
/// (also `K`, `M`, `G`, `KiB`, `MiB`, `GiB`; all 1024-based).
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(scale)
}

/// The smallest `--group-memory`: below it nearly every group would spill.
const MIN_GROUP_MEMORY: u64 = 1 << 10;

fn usage(msg: impl std::fmt::Display) -> u8 {
    say!("error: {msg}");
    exit::USAGE
}

pub fn run(args: Args) -> u8 {
    let options = LoadOptions {
        root: args.root.clone(),
    };
    let mapping = match Mapping::from_path_options(&args.mapping, &options) {
        Ok(m) => m,
        Err(d) => {
            say!("{d}");
            return exit::USAGE;
        }
    };
    let params = match Params::from_command_line(args.params_file.as_deref(), &args.params) {
        Ok(p) => p,
        Err(e) => return usage(e),
    };
    let mut prepared = match mapping.prepare(&params) {
        Ok(p) => p,
        Err(Error::Params(problems)) => {
            for p in problems {
                say!("error: {}: {p}", args.mapping.display());
            }
            return exit::USAGE;
        }
        Err(e) => return usage(e),
    };
    prepared.check_all(args.check_all);
    let mut job = match job_of(&args) {
        Ok(job) => job,
        Err(code) => return code,
    };
    let output_format = match job.output_format(&mapping) {
        Ok(f) => f,
        Err(Error::MixedTargets) => return usage(
            "this mapping's routes build records for different targets; use --output-format ndjson",
        ),
        Err(Error::NotXmlTarget(target)) => {
            return usage(format!(
                "the target {target} is JSON; --output-format xml needs an XML target"
            ))
        }
        Err(other) => return usage(other),
    };
    for (flag, path) in [("--report", &args.report), ("--rejects", &args.rejects)] {
        if path.as_deref() == Some(Path::new("-")) && job.output_on_stdout() {
            return usage(format!(
                "{flag} - and the output would both go to stdout; give -o FILE (or {flag} FILE)"
            ));
        }
    }
    if args.batch_size == Some(0) {
        return usage("--batch-size must be at least 1");
    }
    job.csv_delimiter = match args.delimiter {
        None => None,
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => {
            return usage(format!(
                "--delimiter must be one ASCII character, not '{c}'"
            ))
        }
    };
    let names = io::inputs(&args.inputs);
    if let Err(e) = job.check_roles(&mapping, &names) {
        return usage(e);
    }
    if !args.quiet {
        if let Err(e) = job.check_stderr() {
            return usage(format!("{e}, or give -q"));
        }
    }
    // Open outputs only now (a wrong mapping or param writes nothing), and
    // all of them before any input is read.
    io::clean_up_on_interrupt();
    let mut outputs = match job.open(&mapping, output_format) {
        Ok(o) => o,
        Err(e) => {
            say!("error: {e}");
            return exit::IO;
        }
    };
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let total_bytes = names
        .iter()
        .map(|n| {
            if n == "-" {
                None
            } else {
                std::fs::metadata(n).ok().map(|m| m.len())
            }
        })
        .sum::<Option<u64>>();
    let mut inputs = Vec::new();
    for name in names {
        match io::open(&name) {
            Ok(reader) => inputs.push(Input {
                name: name.clone(),
                reader: Box::new(io::Counted::new(reader, read.clone())),
            }),
            Err(e) => {
                say!("error: cannot read {}: {e}", io::shown(&name));
                return exit::IO;
            }
        }
    }
    let mut progress = Progress::new(
        !args.quiet && std::io::stderr().is_terminal(),
        total_bytes,
        read,
    );
    let mut show = |report: &Report| progress.update(report);
    let report = match outputs.convert(&prepared, inputs, Some(&mut show)) {
        Ok(r) => r,
        Err(e) => {
            progress.abandon();
            // A run that cannot finish could not read an input or write
            // a result.
            say!("error: {e}");
            return exit::IO;
        }
    };
    progress.clear();
    if let Err(e) = outputs.commit(&report) {
        say!("error: {e}");
        return exit::IO;
    }
    if !args.quiet {
        say!("{}", report.summary());
    }
    if report.counts.rejected > 0 {
        exit::REJECTED
    } else {
        exit::OK
    }
}

/// The job the flags describe (the delimiter is checked later, in the
/// order the flags were always checked), or the exit code of a wrong flag.
fn job_of(args: &Args) -> Result<ConvertJob, u8> {
    let input_format = io::input_format(args.input_format.as_deref()).map_err(usage)?;
    let output_format = match args.output_format.as_deref() {
        None => None,
        Some(f) => Some(OutputFormat::parse(f).ok_or_else(|| {
            usage("--output-format takes json, ndjson or xml (the value given is not one)")
        })?),
    };
    Ok(ConvertJob {
        mapping_file: args.mapping.clone(),
        params_file: args.params_file.clone(),
        output: args.output.clone(),
        output_dir: args.output_dir.clone(),
        rejects: args.rejects.clone(),
        report: args.report.clone(),
        output_format,
        batch_size: args.batch_size,
        input_format,
        csv_delimiter: None,
        threads: args.threads,
        group_memory: group_memory(args.group_memory.as_deref())?,
    })
}

fn group_memory(flag: Option<&str>) -> Result<Option<u64>, u8> {
    let Some(text) = flag else { return Ok(None) };
    match parse_size(text) {
        Some(n) if n >= MIN_GROUP_MEMORY => Ok(Some(n)),
        Some(_) => Err(usage(format!(
            "--group-memory must be at least 1KB, not '{text}'"
        ))),
        None => Err(usage(format!(
            "--group-memory takes a size such as 64MB, 512KB or 1GB, not '{text}'"
        ))),
    }
}
