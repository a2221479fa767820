//! `mapwright diff`: the library's `diff` with stdout for its sink, as
//! text for people or as NDJSON.

use std::io::Write;
use std::path::PathBuf;

use mapwright::{
    DiffOptions, DiffSink, DiffSummary, Error, Input, KeyOutOfStep, LoadOptions, Mapping, Params,
    RecordDiff, Verdict,
};

use super::exit;
use super::io;

/// How differences are printed.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub enum Format {
    /// One block per record and a summary table.
    #[default]
    Human,
    /// One JSON object per line: each differing record, then the summary.
    Json,
}

/// Arguments of `diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The mapping as it was.
    old: PathBuf,
    /// The mapping as it is now.
    new: PathBuf,
    /// Input files (JSON, NDJSON, CSV, XML); none or `-` reads stdin.
    inputs: Vec<String>,
    /// A param for both mappings, KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// A YAML or JSON file of params.
    #[arg(long = "params", value_name = "FILE")]
    params_file: Option<PathBuf>,
    /// An expression over the input record that names each record (default: its place).
    #[arg(long, value_name = "EXPR")]
    key: Option<String>,
    /// human (blocks and a summary table) or json (NDJSON, a summary last).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Input format: json, ndjson, xml, csv (default: from the name and content).
    #[arg(long)]
    input_format: Option<String>,
    /// The project lookup files and `rules_from:` must stay inside.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

fn usage(msg: impl std::fmt::Display) -> u8 {
    say!("error: {msg}");
    exit::USAGE
}

pub fn run(args: Args) -> u8 {
    let options = LoadOptions {
        root: args.root.clone(),
    };
    let mut mappings = Vec::new();
    for path in [&args.old, &args.new] {
        match Mapping::from_path_options(path, &options) {
            Ok(m) => mappings.push(m),
            Err(d) => {
                say!("{d}");
                return exit::USAGE;
            }
        }
    }
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
    let (old, new) = match mapwright::prepare_pair(&mappings[0], &mappings[1], &params) {
        Ok(pair) => pair,
        Err(Error::Params(problems)) => {
            for p in problems {
                say!("error: {p}");
            }
            return exit::USAGE;
        }
        Err(e) => return usage(e),
    };
    let input_format = match io::input_format(args.input_format.as_deref()) {
        Ok(f) => f,
        Err(e) => return usage(e),
    };
    let mut inputs = Vec::new();
    for name in io::inputs(&args.inputs) {
        match io::open(&name) {
            Ok(reader) => inputs.push(Input {
                name: io::shown(&name).to_string(),
                reader,
            }),
            Err(e) => {
                say!("error: cannot read {}: {e}", io::shown(&name));
                return exit::IO;
            }
        }
    }
    let options = DiffOptions {
        input_format,
        key: args.key.clone(),
    };
    let stdout = std::io::stdout();
    let mut printer = Printer {
        out: std::io::BufWriter::new(stdout.lock()),
        format: args.format,
    };
    let summary = match mapwright::diff(&old, &new, inputs, &options, &mut printer) {
        Ok(s) => s,
        Err(Error::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return exit::OK,
        Err(e @ Error::Key(_)) => return usage(e),
        Err(e) => {
            say!("error: {e}");
            return exit::IO;
        }
    };
    match printer.summary(&summary).and_then(|()| printer.out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            say!("error: writing to stdout: {e}");
            return exit::IO;
        }
    }
    if summary.changed > 0 {
        exit::REJECTED
    } else {
        exit::OK
    }
}

struct Printer<W> {
    out: W,
    format: Format,
}

impl<W: Write> Printer<W> {
    /// One NDJSON line: `value` with its `kind` added.
    fn json_line(
        &mut self,
        kind: &str,
        value: serde_json::Result<serde_json::Value>,
    ) -> std::io::Result<()> {
        let value = value.map_err(std::io::Error::other)?;
        // `kind` first, so a reader can tell a line's kind at a glance.
        let mut line = serde_json::Map::new();
        line.insert("kind".into(), kind.into());
        if let serde_json::Value::Object(fields) = value {
            line.extend(fields);
        }
        writeln!(self.out, "{}", serde_json::Value::Object(line))
    }

    fn summary(&mut self, s: &DiffSummary) -> std::io::Result<()> {
        if let Format::Json = self.format {
            return self.json_line("summary", serde_json::to_value(s));
        }
        let o = &mut self.out;
        writeln!(o, "summary")?;
        for (what, n) in [
            ("records compared", s.compared),
            ("identical", s.identical),
            ("changed", s.changed),
            ("accepted -> rejected", s.accepted_to_rejected),
            ("rejected -> accepted", s.rejected_to_accepted),
            ("other outcome changes", s.other_outcome_changes),
            ("keys out of step", s.keys_out_of_step),
        ] {
            writeln!(o, "  {what:<24}{n:>10}")?;
        }
        if !s.fields.is_empty() {
            writeln!(o, "  {:<40}{:>10}", "field", "records")?;
            for (path, n) in &s.fields {
                writeln!(o, "  {path:<40}{n:>10}")?;
            }
        }
        Ok(())
    }
}

/// A verdict in a few words: `accepted (route)`, `rejected by a, b`, `skipped: why`.
fn verdict(v: &Verdict) -> String {
    match v {
        Verdict::Accepted { route } => format!("accepted ({route})"),
        Verdict::Rejected { rules, .. } => format!("rejected by {}", rules.join(", ")),
        Verdict::Skipped { reason } => format!("skipped: {reason}"),
    }
}

impl<W: Write> DiffSink for Printer<W> {
    fn record(&mut self, d: &RecordDiff) -> std::io::Result<()> {
        if let Format::Json = self.format {
            return self.json_line("record", serde_json::to_value(d));
        }
        let o = &mut self.out;
        let place = match d.line {
            Some(line) => format!("{} #{} (line {line})", d.input, d.position),
            None => format!("{} #{}", d.input, d.position),
        };
        match &d.key {
            Some(key) => writeln!(o, "{key} ({place})")?,
            None => writeln!(o, "{place}")?,
        }
        if let Some(change) = &d.outcome {
            writeln!(o, "  {} -> {}", verdict(&change.old), verdict(&change.new))?;
            for (side, v) in [("old", &change.old), ("new", &change.new)] {
                if let Verdict::Rejected { messages, .. } = v {
                    for m in messages {
                        writeln!(o, "    {side}: {m}")?;
                    }
                }
            }
        }
        for c in &d.changes {
            let shown = |v: &Option<mapwright::Value>| match v {
                Some(v) => v.to_string(),
                None => "(absent)".to_string(),
            };
            writeln!(
                o,
                "  {} {}: {} -> {}",
                c.kind(),
                c.path,
                shown(&c.old),
                shown(&c.new)
            )?;
        }
        Ok(())
    }

    fn key_out_of_step(&mut self, note: &KeyOutOfStep) -> std::io::Result<()> {
        if let Format::Json = self.format {
            return self.json_line("key_out_of_step", serde_json::to_value(note));
        }
        writeln!(
            self.out,
            "{} #{}: key {} out of step (first seen at #{})",
            note.input, note.position, note.key, note.first_at
        )
    }
}
