//! A convert job: the output policy of a run into files. Which output
//! format a mapping gets by default and which it can take, the batch files
//! of an output folder (their names and default sizes), the check that no
//! path is used in two roles, and the commit that lands rejects, report and
//! output together. The command line builds a [`ConvertJob`] from its flags
//! and prints what comes back; an embedding program can do the same.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::value::Value;

use crate::commit::{self, CommitError, Locks, Ready, Staged};
use crate::convert::{convert, Input, Options, Sink};
use crate::error::Error;
use crate::mapping::{Mapping, Prepared};
use crate::read::InputFormat;
use crate::render::{render_record, OutputFormat, Renderer};
use crate::report::{Rejection, Report, Spool};
use crate::schema::{Format, Schema};

/// What a convert run reads and where it writes. A path of `-` is stdout.
#[derive(Clone, Debug, Default)]
pub struct ConvertJob {
    /// The mapping file (an input: no output may be written over it).
    pub mapping_file: PathBuf,
    /// A params file, if any (an input too).
    pub params_file: Option<PathBuf>,
    /// The output file (`None`: stdout).
    pub output: Option<PathBuf>,
    /// A folder of batch files in place of one output.
    pub output_dir: Option<PathBuf>,
    /// The rejects file: one NDJSON line per rejected unit.
    pub rejects: Option<PathBuf>,
    /// The JSON report (counts and every rejection).
    pub report: Option<PathBuf>,
    /// The output format (`None`: the mapping's, see [`ConvertJob::output_format`]).
    pub output_format: Option<OutputFormat>,
    /// Records per envelope or batch file (`None`: one envelope; in a
    /// folder, the target's `max_records`, 100, 10 000 or 1, by format).
    pub batch_size: Option<usize>,
    /// The input format (`None`: guessed per input from its name and content).
    pub input_format: Option<InputFormat>,
    /// The CSV field delimiter, over the mapping's `input.csv.delimiter`.
    pub csv_delimiter: Option<u8>,
    /// Worker threads for NDJSON and CSV input (0: one per core).
    pub threads: usize,
    /// The bound on what the rows of an unsorted CSV take in memory while
    /// they are grouped, in bytes (`None`: 64 MiB); past it they spill to
    /// temporary files.
    pub group_memory: Option<u64>,
}

impl ConvertJob {
    /// Remove every temporary output of this process (on an interrupt,
    /// before exiting): nothing half-written is left behind.
    pub fn remove_pending() {
        commit::remove_pending();
    }

    /// The output format: the one asked for, or the mapping's own (its
    /// target's format; NDJSON when routes build for different targets).
    pub fn output_format(&self, mapping: &Mapping) -> Result<OutputFormat, Error> {
        let format = self
            .output_format
            .unwrap_or_else(|| default_output(mapping));
        if format != OutputFormat::Ndjson && !targets_agree(mapping) {
            return Err(Error::MixedTargets);
        }
        if format == OutputFormat::Xml
            && mapping
                .routes
                .iter()
                .any(|r| r.target.format != Format::Xml)
        {
            return Err(Error::NotXmlTarget(mapping.routes[0].target.name.clone()));
        }
        Ok(format)
    }

    /// Whether the accepted records go to stdout.
    pub fn output_on_stdout(&self) -> bool {
        self.output_dir.is_none() && self.output.as_deref().is_none_or(|p| p == Path::new("-"))
    }

    /// Refuse one path in two roles, or an output that is an input (the
    /// `inputs` named, the mapping, the files it reads, the params file).
    /// Roles are named as the command line names them.
    pub fn check_roles(&self, mapping: &Mapping, inputs: &[String]) -> Result<(), Error> {
        let stdout = Path::new("-");
        let mut outputs: Vec<(&str, &Path)> = Vec::new();
        match (&self.output_dir, &self.output) {
            (Some(dir), _) => outputs.push(("--output-dir", dir)),
            (None, Some(o)) => outputs.push(("-o/--output", o)),
            (None, None) => outputs.push(("-o/--output", stdout)),
        }
        if let Some(r) = &self.rejects {
            outputs.push(("--rejects", r));
        }
        if let Some(r) = &self.report {
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
        ins.push(("-m/--mapping", &self.mapping_file));
        // The lookups and rules file the mapping reads are inputs too.
        let read = mapping.files_read();
        ins.extend(
            read.iter()
                .map(|p| ("a file the mapping reads", p.as_path())),
        );
        if let Some(p) = &self.params_file {
            ins.push(("--params", p));
        }
        if let Some(dir) = &self.output_dir {
            // A batch file or the manifest is written by name inside the
            // folder: no other role may sit on a name the run could write.
            let others = outputs[1..].iter().chain(ins.iter());
            commit::check_folder_names(dir, &mapping.name, others)?;
        }
        Ok(commit::check_roles(&outputs, &ins)?)
    }

    /// Refuse an output that is the file or pipe stderr goes to: the
    /// summary and messages written there would be lost under the output
    /// (or mixed into it). For a run that writes nothing to stderr (`-q`),
    /// this check is left out. A terminal is no file: it may take both.
    pub fn check_stderr(&self) -> Result<(), Error> {
        let mut outputs: Vec<(&str, &Path)> = Vec::new();
        outputs.extend(self.output.as_deref().map(|o| ("-o/--output", o)));
        outputs.extend(self.rejects.as_deref().map(|r| ("--rejects", r)));
        outputs.extend(self.report.as_deref().map(|r| ("--report", r)));
        let stderr = [("stderr (where the summary goes)", Path::new("/dev/stderr"))];
        let named: Vec<(&str, &Path)> = outputs
            .into_iter()
            .filter(|(_, p)| *p != Path::new("-"))
            .collect();
        for one in &named {
            commit::check_roles(std::slice::from_ref(one), &stderr)?;
        }
        Ok(())
    }

    /// Lock and open every file the run writes: the output (or the
    /// folder), the rejects and the report. Nothing is in place until
    /// [`Outputs::commit`].
    pub fn open(&self, mapping: &Mapping, format: OutputFormat) -> Result<Outputs, Error> {
        let stdout = PathBuf::from("-");
        let out_path = self.output.clone().unwrap_or_else(|| stdout.clone());
        if let Some(dir) = &self.output_dir {
            std::fs::create_dir_all(dir).map_err(|e| CommitError::Io(dir.clone(), e))?;
        }
        let mut targets: Vec<&Path> = vec![self.output_dir.as_deref().unwrap_or(&out_path)];
        targets.extend(self.rejects.as_deref());
        targets.extend(self.report.as_deref());
        let locks = Locks::take(&targets)?;
        let destination = match &self.output_dir {
            Some(dir) => {
                locks.remove_stale_batches(dir, &mapping.name);
                // A batch file cannot be opened before its records exist; a
                // folder that cannot take files is found now all the same.
                drop(Staged::create(
                    &dir.join(commit::manifest_name(&mapping.name)),
                )?);
                folder(dir, mapping, format, self.batch_size)
            }
            None => Destination::Stream(
                Renderer::new(Staged::create(&out_path)?, format).with_batch_size(self.batch_size),
            ),
        };
        let rejects = self.rejects.as_deref().map(Staged::create).transpose()?;
        let report_file = self.report.as_deref().map(Staged::create).transpose()?;
        let spool = self.report.as_deref().map(spool_for).transpose()?;
        Ok(Outputs {
            _locks: locks,
            files: Files {
                out: Some(destination),
                format,
                rejects,
                spool,
                last_schema: None,
            },
            report_file,
            fallback_schema: mapping.routes.first().map(|r| (*r.target).clone()),
            options: Options {
                input_format: self.input_format,
                keep_details: self.report.is_some(),
                rejections_elsewhere: true,
                threads: self.threads,
                render: Some(format),
                csv_delimiter: self.csv_delimiter,
                group_memory: self.group_memory,
            },
        })
    }
}

/// The files of a job, locked and open, waiting for the run and its commit.
pub struct Outputs {
    _locks: Locks,
    files: Files,
    report_file: Option<Staged>,
    /// The schema an empty run's envelope is written for.
    fallback_schema: Option<Schema>,
    options: Options,
}

impl Outputs {
    /// Run `prepared` over `inputs` into these files; `progress` is called
    /// after each unit with the counts so far.
    pub fn convert(
        &mut self,
        prepared: &Prepared,
        inputs: Vec<Input>,
        progress: Option<&mut dyn FnMut(&Report)>,
    ) -> Result<Report, Error> {
        let mut sink = Scoped {
            files: &mut self.files,
            progress,
        };
        Ok(convert(prepared, inputs, &self.options, &mut sink)?)
    }

    /// Write the report, then commit rejects, report and output together
    /// (rejects and report first): nothing lands unless everything was written.
    pub fn commit(self, report: &Report) -> Result<(), Error> {
        self.commit_files(report).map_err(Error::Write)
    }

    fn commit_files(mut self, report: &Report) -> std::io::Result<()> {
        let files = &mut self.files;
        let schema = files.last_schema.clone().or(self.fallback_schema.take());
        let mut first: Vec<Staged> = files.rejects.take().into_iter().collect();
        if let Some(mut f) = self.report_file.take() {
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
            Some(d) => d.commit(schema.as_ref(), first, report.counts.records_written),
            None => commit::commit_all(first),
        }
    }
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
                    let name = batch_name(stem, done.len() + 1, ext);
                    let staged = Staged::create(&dir.join(&name)).map_err(commit::io_error)?;
                    *current = Some(Renderer::new(staged, *format).with_batch_size(Some(*batch)));
                }
                let r = current.as_mut().expect("opened above");
                r.rendered(schema, rendered)?;
                if r.written() >= *batch {
                    if let Some(r) = current.take() {
                        let name = batch_name(stem, done.len() + 1, ext);
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
                    let name = batch_name(&stem, done.len() + 1, ext);
                    done.push((name, r.finish(schema)?.prepare()?));
                }
                commit::commit_folder(first, done, &dir, &stem, records)
            }
        }
    }
}

/// The name of the `number`th batch file: `order-00001.json`.
fn batch_name(stem: &str, number: usize, ext: &str) -> String {
    format!("{stem}-{number:05}.{ext}")
}

/// The files a run writes, as the run's [`Sink`].
struct Files {
    out: Option<Destination>,
    format: OutputFormat,
    rejects: Option<Staged>,
    /// The rejections for the report, on disk (`--report`).
    spool: Option<Spool>,
    last_schema: Option<Schema>,
}

/// [`Files`] with the caller's progress callback for one run.
struct Scoped<'a, 'p> {
    files: &'a mut Files,
    progress: Option<&'p mut dyn FnMut(&Report)>,
}

impl Sink for Scoped<'_, '_> {
    fn accepted(&mut self, schema: &Schema, _route: &str, record: &Value) -> std::io::Result<()> {
        let files = &mut *self.files;
        if files.last_schema.is_none() {
            files.last_schema = Some(schema.clone());
        }
        let bytes = render_record(files.format, schema, record);
        match &mut files.out {
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
        let files = &mut *self.files;
        if files.last_schema.is_none() {
            files.last_schema = Some(schema.clone());
        }
        match &mut files.out {
            Some(d) => d.write(schema, rendered),
            None => Ok(()),
        }
    }

    fn rejected(&mut self, rejection: &Rejection) -> std::io::Result<()> {
        let files = &mut *self.files;
        if let Some(out) = &mut files.rejects {
            serde_json::to_writer(&mut *out, rejection)?;
            out.write_all(b"\n")?;
        }
        if let Some(spool) = &mut files.spool {
            spool.push(rejection)?;
        }
        Ok(())
    }

    fn progress(&mut self, report: &Report) {
        if let Some(progress) = &mut self.progress {
            progress(report);
        }
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

/// A folder of batch files: named after the mapping, with the format's
/// extension, and by default as many records each as the target's
/// envelope allows (100 without a limit), 10 000 NDJSON lines, or one XML
/// document.
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

/// Whether every route builds records for the same target.
fn targets_agree(mapping: &Mapping) -> bool {
    mapping
        .routes
        .windows(2)
        .all(|w| w[0].target.name == w[1].target.name)
}

fn default_output(mapping: &Mapping) -> OutputFormat {
    let first = mapping.routes.first().map(|r| r.target.format);
    match (first, targets_agree(mapping)) {
        (Some(Format::Xml), true) => OutputFormat::Xml,
        (Some(Format::Json), true) => OutputFormat::Json,
        _ => OutputFormat::Ndjson,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(path: &str) -> Mapping {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../mappings")
            .join(path);
        Mapping::from_path(&path).expect("a shipped mapping loads")
    }

    fn asking(format: OutputFormat) -> ConvertJob {
        ConvertJob {
            output_format: Some(format),
            ..ConvertJob::default()
        }
    }

    #[test]
    fn batch_files_are_numbered_from_one_in_five_digits() {
        assert_eq!(batch_name("order", 1, "json"), "order-00001.json");
        assert_eq!(batch_name("order", 123456, "xml"), "order-123456.xml");
    }

    #[test]
    fn a_mapping_gets_its_targets_format_unless_its_routes_differ() {
        let spectrum = shipped("oneserve-spectrum/order.yaml");
        let synergetic = shipped("oneserve-synergetic/order.yaml");
        let o2o = shipped("o2o/primary-to-secondary.yaml");
        let job = ConvertJob::default();
        assert_eq!(job.output_format(&spectrum).unwrap(), OutputFormat::Json);
        assert_eq!(job.output_format(&synergetic).unwrap(), OutputFormat::Xml);
        assert_eq!(job.output_format(&o2o).unwrap(), OutputFormat::Ndjson);
    }

    #[test]
    fn formats_a_mapping_cannot_take_are_refused() {
        let spectrum = shipped("oneserve-spectrum/order.yaml");
        let o2o = shipped("o2o/primary-to-secondary.yaml");
        assert!(matches!(
            asking(OutputFormat::Json).output_format(&o2o),
            Err(Error::MixedTargets)
        ));
        match asking(OutputFormat::Xml).output_format(&spectrum) {
            Err(Error::NotXmlTarget(t)) => assert_eq!(t, "spectrum.purchase_order_batch"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn default_batch_sizes_follow_the_format_and_the_envelope() {
        let spectrum = shipped("oneserve-spectrum/order.yaml");
        let batch = |format, size| match folder(Path::new("out"), &spectrum, format, size) {
            Destination::Folder {
                batch, ext, stem, ..
            } => (batch, ext, stem),
            Destination::Stream(_) => panic!("a folder"),
        };
        let stem = spectrum.name.clone();
        assert_eq!(
            batch(OutputFormat::Ndjson, None),
            (10_000, "ndjson", stem.clone())
        );
        assert_eq!(batch(OutputFormat::Xml, None), (1, "xml", stem.clone()));
        assert_eq!(batch(OutputFormat::Ndjson, Some(7)), (7, "ndjson", stem));
        // Spectrum's envelope sets no max_records: 100 a file.
        assert_eq!(batch(OutputFormat::Json, None).0, 100);
    }

    #[test]
    fn an_output_over_the_mapping_file_is_refused_naming_both_roles() {
        let spectrum = shipped("oneserve-spectrum/order.yaml");
        let file =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings/oneserve-spectrum/order.yaml");
        let job = ConvertJob {
            mapping_file: file.clone(),
            output: Some(file.clone()),
            ..ConvertJob::default()
        };
        match job.check_roles(&spectrum, &[]) {
            Err(Error::SamePath(a, b, p)) => {
                assert_eq!((a.as_str(), b.as_str()), ("-o/--output", "-m/--mapping"));
                assert_eq!(p, file);
            }
            other => panic!("{other:?}"),
        }
    }
}
