//! `mapwright convert`: the library's `convert` with files for sinks.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use mapwright::convert::{convert, ConvertError, Input, Options, Sink};
use mapwright::render::{OutputFormat, Renderer};
use mapwright::report::{Rejection, Report, Spool};
use mapwright::schema::{Format, Schema};
use mapwright::{Mapping, Params};
use serde_json::Value;

use mapwright::commit::{self, CommitError, Locks, Ready, Staged};

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
    #[arg(long)]
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
    /// Worker threads for NDJSON input (default: one per core; output keeps input order).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// Where accepted records go: one stream, or a folder of batch files.
enum Destination {
    Stream(Renderer<Staged>),
    Folder {
        dir: PathBuf,
        stem: String,
        ext: &'static str,
        format: OutputFormat,
        batch: usize,
        current: Option<Renderer<Staged>>,
        /// Complete batch files, waiting to be renamed at the end of the run.
        done: Vec<(String, Ready)>,
    },
}

impl Destination {
    fn write(&mut self, schema: &Schema, rendered: &[u8]) -> std::io::Result<()> {
        match self {
            Destination::Stream(r) => r.rendered(schema, rendered),
            Destination::Folder {
                dir,
                stem,
                ext,
                format,
                batch,
                current,
                done,
            } => {
                if current.is_none() {
                    let name = format!("{stem}-{:05}.{ext}", done.len() + 1);
                    let staged = Staged::create(&dir.join(&name))
                        .map_err(|e| std::io::Error::other(e.to_string()))?;
                    *current = Some(Renderer::new(staged, *format).with_batch_size(Some(*batch)));
                }
                let r = current.as_mut().expect("opened above");
                r.rendered(schema, rendered)?;
                if r.written() >= *batch {
                    if let Some(r) = current.take() {
                        let name = format!("{stem}-{:05}.{ext}", done.len() + 1);
                        done.push((name, r.finish(Some(schema))?.prepare()?));
                    }
                }
                Ok(())
            }
        }
    }

    /// Commit everything: `first` (rejects, report) before the output.
    fn commit(
        self,
        schema: Option<&Schema>,
        mut first: Vec<Staged>,
        records: usize,
    ) -> std::io::Result<()> {
        match self {
            Destination::Stream(r) => {
                first.push(r.finish(schema)?);
                commit::commit_all(first)
            }
            Destination::Folder {
                dir,
                stem,
                ext,
                current,
                mut done,
                ..
            } => {
                if let Some(r) = current {
                    let name = format!("{stem}-{:05}.{ext}", done.len() + 1);
                    done.push((name, r.finish(schema)?.prepare()?));
                }
                commit::commit_folder(first, done, &dir, &stem, records)
            }
        }
    }
}

struct Files {
    out: Option<Destination>,
    format: OutputFormat,
    rejects: Option<Staged>,
    /// The rejections for the report, on disk (`--report`).
    spool: Option<Spool>,
    last_schema: Option<Schema>,
    progress: Progress,
}

impl Sink for Files {
    fn accepted(&mut self, schema: &Schema, _route: &str, record: &Value) -> std::io::Result<()> {
        if self.last_schema.is_none() {
            self.last_schema = Some(schema.clone());
        }
        let bytes = mapwright::render::render_record(self.format, schema, record);
        match &mut self.out {
            Some(d) => d.write(schema, &bytes),
            None => Ok(()),
        }
    }

    fn accepted_rendered(
        &mut self,
        schema: &Schema,
        _route: &str,
        rendered: &[u8],
    ) -> std::io::Result<()> {
        if self.last_schema.is_none() {
            self.last_schema = Some(schema.clone());
        }
        match &mut self.out {
            Some(d) => d.write(schema, rendered),
            None => Ok(()),
        }
    }

    fn rejected(&mut self, rejection: &Rejection) -> std::io::Result<()> {
        if let Some(out) = &mut self.rejects {
            serde_json::to_writer(&mut *out, rejection)?;
            out.write_all(b"\n")?;
        }
        if let Some(spool) = &mut self.spool {
            spool.push(rejection)?;
        }
        Ok(())
    }

    fn progress(&mut self, report: &Report) {
        self.progress.update(report);
    }
}

fn usage(msg: impl std::fmt::Display) -> u8 {
    say!("error: {msg}");
    exit::USAGE
}

pub fn run(args: Args) -> u8 {
    let options = mapwright::confine::LoadOptions {
        root: args.root.clone(),
    };
    let mapping = match Mapping::from_path_options(&args.mapping, &options) {
        Ok(m) => m,
        Err(d) => {
            say!("{d}");
            return exit::USAGE;
        }
    };
    let mut params = Params::default();
    if let Some(f) = &args.params_file {
        if let Err(e) = params.load_file(f) {
            return usage(e);
        }
    }
    for p in &args.params {
        if let Err(e) = params.set_pair(p) {
            return usage(e);
        }
    }
    let prepared = match mapping.prepare(&params) {
        Ok(p) => p,
        Err(problems) => {
            for p in problems {
                say!("error: {}: {p}", args.mapping.display());
            }
            return exit::USAGE;
        }
    };
    let input_format = match io::input_format(args.input_format.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            say!("error: {e}");
            return exit::USAGE;
        }
    };
    let output_format = match args.output_format.as_deref() {
        Some(f) => match OutputFormat::parse(f) {
            Some(f) => f,
            None => {
                return usage(
                    "--output-format takes json, ndjson or xml (the value given is not one)",
                )
            }
        },
        None => default_output(&mapping),
    };
    let targets_agree = mapping
        .routes
        .windows(2)
        .all(|w| w[0].target.name == w[1].target.name);
    if output_format != OutputFormat::Ndjson && !targets_agree {
        return usage(
            "this mapping's routes build records for different targets; use --output-format ndjson",
        );
    }
    if output_format == OutputFormat::Xml
        && mapping
            .routes
            .iter()
            .any(|r| r.target.format != Format::Xml)
    {
        return usage(format!(
            "the target {} is JSON; --output-format xml needs an XML target",
            mapping.routes[0].target.name
        ));
    }
    let to_stdout = |p: &Option<PathBuf>| p.as_deref().is_none_or(|p| p == Path::new("-"));
    let output_on_stdout = args.output_dir.is_none() && to_stdout(&args.output);
    for (flag, path) in [("--report", &args.report), ("--rejects", &args.rejects)] {
        if path.as_deref() == Some(Path::new("-")) && output_on_stdout {
            return usage(format!(
                "{flag} - and the output would both go to stdout; give -o FILE (or {flag} FILE)"
            ));
        }
    }
    if args.batch_size == Some(0) {
        return usage("--batch-size must be at least 1");
    }
    let csv_delimiter = match args.delimiter {
        None => None,
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => {
            return usage(format!(
                "--delimiter must be one ASCII character, not '{c}'"
            ))
        }
    };
    let names = io::inputs(&args.inputs);
    if let Err(e) = check_roles(&args, &names, &mapping.files_read()) {
        return usage(e);
    }
    // Open outputs only now (a wrong mapping or param writes nothing), and
    // all of them before any input is read.
    io::clean_up_on_interrupt();
    let opened = open_outputs(&args, &mapping, output_format);
    let (_locks, destination, rejects, report_file) = match opened {
        Ok(o) => o,
        Err(e) => {
            say!("error: {e}");
            return exit::IO;
        }
    };
    let mut inputs = Vec::new();
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
    let spool = match args.report.as_deref().map(spool_for).transpose() {
        Ok(s) => s,
        Err(e) => {
            say!("error: {e}");
            return exit::IO;
        }
    };
    let mut files = Files {
        out: Some(destination),
        format: output_format,
        rejects,
        spool,
        last_schema: None,
        progress: Progress::new(
            !args.quiet && std::io::stderr().is_terminal(),
            total_bytes,
            read,
        ),
    };
    let options = Options {
        input_format,
        keep_details: args.report.is_some(),
        rejections_elsewhere: true,
        threads: args.threads,
        render: Some(output_format),
        csv_delimiter,
    };
    let report = match convert(&prepared, inputs, &options, &mut files) {
        Ok(r) => r,
        Err(e) => {
            files.progress.abandon();
            say!("error: {e}");
            return match e {
                ConvertError::Write(_) | ConvertError::Read(..) | ConvertError::Malformed(..) => {
                    exit::IO
                }
            };
        }
    };
    files.progress.clear();
    let schema = files
        .last_schema
        .clone()
        .or_else(|| mapping.routes.first().map(|r| (*r.target).clone()));
    if let Err(e) = commit_run(&mut files, report_file, &report, schema.as_ref()) {
        say!("error: writing {e}");
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

/// The spool of the report's rejections, in the report's folder (it fills
/// the disk the report will).
fn spool_for(report: &Path) -> Result<Spool, CommitError> {
    let dir = match report.parent() {
        _ if report == Path::new("-") => std::env::temp_dir(),
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Spool::new_in(&dir).map_err(|e| CommitError::Io(report.to_path_buf(), e))
}

/// Refuse one path in two roles, or an output that is an input (exit 2,
/// before anything is opened).
fn check_roles(args: &Args, inputs: &[String], read: &[PathBuf]) -> Result<(), CommitError> {
    let stdout = Path::new("-");
    let mut outputs: Vec<(&str, &Path)> = Vec::new();
    match (&args.output_dir, &args.output) {
        (Some(dir), _) => outputs.push(("--output-dir", dir)),
        (None, Some(o)) => outputs.push(("-o/--output", o)),
        (None, None) => outputs.push(("-o/--output", stdout)),
    }
    if let Some(r) = &args.rejects {
        outputs.push(("--rejects", r));
    }
    if let Some(r) = &args.report {
        outputs.push(("--report", r));
    }
    let mut ins: Vec<(&str, &Path)> = inputs
        .iter()
        .map(|n| {
            if n == "-" {
                // Stdin redirected from a file (`-o f < f`) is that file.
                ("stdin", Path::new("/dev/stdin"))
            } else {
                ("an input", Path::new(n))
            }
        })
        .collect();
    ins.push(("-m/--mapping", &args.mapping));
    // The lookups and rules file the mapping reads are inputs too.
    ins.extend(
        read.iter()
            .map(|p| ("a file the mapping reads", p.as_path())),
    );
    if let Some(p) = &args.params_file {
        ins.push(("--params", p));
    }
    commit::check_roles(&outputs, &ins)
}

type Opened = (Locks, Destination, Option<Staged>, Option<Staged>);

/// Lock and open every file the run writes: the output (or the folder),
/// the rejects and the report.
fn open_outputs(
    args: &Args,
    mapping: &Mapping,
    output_format: OutputFormat,
) -> Result<Opened, CommitError> {
    let stdout = PathBuf::from("-");
    let out_path = args.output.clone().unwrap_or_else(|| stdout.clone());
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).map_err(|e| CommitError::Io(dir.clone(), e))?;
    }
    let mut targets: Vec<&Path> = vec![args.output_dir.as_deref().unwrap_or(&out_path)];
    targets.extend(args.rejects.as_deref());
    targets.extend(args.report.as_deref());
    let locks = Locks::take(&targets)?;
    let destination = match &args.output_dir {
        Some(dir) => {
            locks.remove_stale_batches(dir, &mapping.name);
            // A batch file cannot be opened before its records exist; a
            // folder that cannot take files is found now all the same.
            drop(Staged::create(
                &dir.join(commit::manifest_name(&mapping.name)),
            )?);
            folder(dir, mapping, output_format, args.batch_size)
        }
        None => Destination::Stream(
            Renderer::new(Staged::create(&out_path)?, output_format)
                .with_batch_size(args.batch_size),
        ),
    };
    let rejects = args.rejects.as_deref().map(Staged::create).transpose()?;
    let report = args.report.as_deref().map(Staged::create).transpose()?;
    Ok((locks, destination, rejects, report))
}

fn folder(
    dir: &Path,
    mapping: &Mapping,
    output_format: OutputFormat,
    batch_size: Option<usize>,
) -> Destination {
    let target = &mapping.routes[0].target;
    let (ext, default_batch) = match output_format {
        OutputFormat::Xml => ("xml", 1),
        OutputFormat::Json => (
            "json",
            target
                .envelope
                .as_ref()
                .and_then(|e| e.max_records)
                .unwrap_or(100),
        ),
        OutputFormat::Ndjson => ("ndjson", 10_000),
    };
    Destination::Folder {
        dir: dir.to_path_buf(),
        stem: mapping.name.clone(),
        ext,
        format: output_format,
        batch: batch_size.unwrap_or(default_batch),
        current: None,
        done: Vec::new(),
    }
}

/// Write the report, then commit rejects, report and output together
/// (rejects and report first).
fn commit_run(
    files: &mut Files,
    report_file: Option<Staged>,
    report: &Report,
    schema: Option<&Schema>,
) -> std::io::Result<()> {
    let mut first: Vec<Staged> = files.rejects.take().into_iter().collect();
    if let Some(mut f) = report_file {
        match files.spool.take() {
            Some(spool) => spool.write_report(report, &mut f)?,
            None => {
                serde_json::to_writer_pretty(&mut f, report)?;
                f.write_all(b"\n")?;
            }
        }
        first.push(f);
    }
    match files.out.take() {
        Some(d) => d.commit(schema, first, report.counts.records_written),
        None => commit::commit_all(first),
    }
}

fn default_output(mapping: &Mapping) -> OutputFormat {
    let first = mapping.routes.first().map(|r| r.target.format);
    let same = mapping
        .routes
        .windows(2)
        .all(|w| w[0].target.name == w[1].target.name);
    match (first, same) {
        (Some(Format::Xml), true) => OutputFormat::Xml,
        (Some(Format::Json), true) => OutputFormat::Json,
        _ => OutputFormat::Ndjson,
    }
}
