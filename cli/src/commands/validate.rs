//! `mapwright validate -s SCHEMA [INPUT ...]`

use std::path::Path;

use mapwright::{Registry, Severity, Validation};

use super::{exit, io};

/// Arguments of `validate`.
#[derive(clap::Args)]
pub struct Args {
    /// The schema: a name (spectrum.purchase_order_batch) or a file.
    #[arg(short, long)]
    schema: String,
    /// Payload files (JSON, NDJSON or XML); none or `-` reads stdin.
    inputs: Vec<String>,
    /// What stdout shows: `human` (each finding on a line; the default) or
    /// `json` (the report as JSON).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write the JSON report to FILE (`-`: stdout, in place of the
    /// findings), as `convert --report` does.
    #[arg(long, value_name = "FILE|-")]
    report: Option<String>,
    /// Input format, when the file name and content do not tell.
    #[arg(long)]
    input_format: Option<String>,
}

/// What `validate` prints on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per finding.
    Human,
    /// The JSON report.
    Json,
}

pub fn run(args: Args) -> u8 {
    let registry = Registry::discover(Path::new("."));
    let schema = match registry.load(&args.schema) {
        Ok(s) => s,
        Err(d) => {
            say!("{d}");
            return exit::USAGE;
        }
    };
    let format = match io::input_format(args.input_format.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            say!("error: {e}");
            return exit::USAGE;
        }
    };
    if let Some(r @ ("human" | "json")) = args.report.as_deref() {
        say!("error: --report takes a FILE or -; for what stdout shows, use --format {r}");
        return exit::USAGE;
    }
    let report_file = match args.report.as_deref() {
        None | Some("-") => None,
        Some(path) => match Validation::report_file(Path::new(path)) {
            Ok(file) => Some(file),
            Err(e) => {
                say!("error: --report: {e}");
                return exit::IO;
            }
        },
    };
    let json = args.format == Format::Json || args.report.as_deref() == Some("-");
    let mut run = Validation::new(&schema);
    for name in io::inputs(&args.inputs) {
        let shown = io::shown(&name).to_string();
        let input = io::open(&name);
        let outcome = run.input(&name, &shown, input, format, |r| {
            if !json {
                print_human(r.lines(&shown));
            }
        });
        if let Err(e) = outcome {
            say!("error: {e}");
        }
    }
    let text = serde_json::to_string_pretty(&run.report()).unwrap_or_default() + "\n";
    if let Some(file) = report_file {
        if let Err(e) = file.write(&text) {
            say!("error: writing the report: {e}");
            return exit::IO;
        }
    }
    let (payloads, invalid, unreadable) = (run.payloads(), run.invalid(), run.unreadable());
    if json {
        if let Err(e) = io::print(&text) {
            say!("error: writing the report: {e}");
            return exit::IO;
        }
    } else {
        say!(
            "{} payload(s) checked against {}: {} valid, {} invalid ({} errors, {} warnings){}",
            payloads,
            schema.name,
            payloads - invalid,
            invalid,
            run.count(Severity::Error),
            run.count(Severity::Warning),
            if unreadable == 0 {
                String::new()
            } else {
                format!("; {unreadable} input(s) unreadable")
            }
        );
    }
    if unreadable > 0 {
        exit::IO
    } else if invalid > 0 {
        exit::REJECTED
    } else {
        exit::OK
    }
}

/// Print each line; a closed stdout ends the listing quietly (the summary
/// and exit code still tell the outcome).
fn print_human(lines: impl Iterator<Item = String>) {
    for line in lines {
        if !matches!(io::print(&line), Ok(true)) {
            return;
        }
    }
}
