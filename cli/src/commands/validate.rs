//! `mapwright validate -s SCHEMA [INPUT ...]`

use std::path::Path;

use mapwright::validate::{validate_stream, InputError, PayloadResult};
use mapwright::{Registry, Severity};

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
    // Locked as convert locks its files: a run that holds the lock on a
    // file removes the temporary files killed runs left beside it.
    let report_path = args.report.as_deref().filter(|p| *p != "-").map(Path::new);
    let _lock = match mapwright::commit::Locks::take(&report_path.into_iter().collect::<Vec<_>>()) {
        Ok(lock) => lock,
        Err(e) => {
            say!("error: --report: {e}");
            return exit::IO;
        }
    };
    let report_file = match args.report.as_deref() {
        None | Some("-") => None,
        Some(path) => match mapwright::commit::Staged::create(Path::new(path)) {
            Ok(staged) => Some(staged),
            Err(e) => {
                say!("error: --report: {e}");
                return exit::IO;
            }
        },
    };
    let json = args.format == Format::Json || args.report.as_deref() == Some("-");
    let mut results: Vec<(String, PayloadResult)> = Vec::new();
    let mut unreadable = Vec::new();
    for name in io::inputs(&args.inputs) {
        let shown = io::shown(&name).to_string();
        let outcome = io::open(&name).map_err(InputError::Io).and_then(|input| {
            validate_stream(&schema, &name, input, format, |r| {
                if !json {
                    print_human(&shown, &r);
                }
                results.push((shown.clone(), r));
            })
        });
        if let Err(e) = outcome {
            say!("error: {shown}: {e}");
            unreadable.push(serde_json::json!({"input": shown, "error": e.to_string()}));
        }
    }
    let invalid = results.iter().filter(|(_, r)| !r.is_valid()).count();
    let count = |sev| {
        results
            .iter()
            .flat_map(|(_, r)| &r.violations)
            .filter(|v| v.severity == sev)
            .count()
    };
    let report = serde_json::json!({
        "schema": schema.name,
        "payloads": results.len(),
        "valid": results.len() - invalid,
        "invalid": invalid,
        "errors": count(Severity::Error),
        "warnings": count(Severity::Warning),
        "unreadable": unreadable,
        "results": results.iter().map(|(input, r)| serde_json::json!({
            "input": input, "record": r.record, "line": r.line, "valid": r.is_valid(), "violations": r.violations,
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&report).unwrap_or_default() + "\n";
    if let Some(mut staged) = report_file {
        use std::io::Write as _;
        let written = staged
            .write_all(text.as_bytes())
            .and_then(|()| staged.prepare())
            .and_then(|ready| ready.commit());
        if let Err(e) = written {
            say!("error: writing the report: {e}");
            return exit::IO;
        }
    }
    if json {
        if let Err(e) = io::print(&text) {
            say!("error: writing the report: {e}");
            return exit::IO;
        }
    } else {
        say!(
            "{} payload(s) checked against {}: {} valid, {} invalid ({} errors, {} warnings){}",
            results.len(),
            schema.name,
            results.len() - invalid,
            invalid,
            count(Severity::Error),
            count(Severity::Warning),
            if unreadable.is_empty() {
                String::new()
            } else {
                format!("; {} input(s) unreadable", unreadable.len())
            }
        );
    }
    if !unreadable.is_empty() {
        exit::IO
    } else if invalid > 0 {
        exit::REJECTED
    } else {
        exit::OK
    }
}

fn print_human(input: &str, r: &PayloadResult) {
    let place = match r.line {
        Some(l) => format!("{input}:{l}"),
        None => input.to_string(),
    };
    for v in &r.violations {
        let path = if v.path.is_empty() {
            String::new()
        } else {
            format!("{}: ", v.path)
        };
        // A closed stdout ends the listing quietly; the summary and exit
        // code still tell the outcome.
        let line = format!("{place}: {}[{}]: {path}{}\n", v.severity, v.rule, v.message);
        if !matches!(io::print(&line), Ok(true)) {
            return;
        }
    }
}
