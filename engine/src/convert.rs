//! Convert: the whole run, from inputs to sink. Reads each input in its
//! format, turns records into units, transforms each with a prepared
//! mapping and hands the result to a [`Sink`] (the CLI's files, or an
//! embedding program's own). Nothing is dropped: every record read is
//! counted as accepted, rejected or skipped.

use std::io::{self, BufRead};

use crate::value::Value;

use crate::check::Violation;
use crate::diag::Severity;
use crate::literal::SourceLiterals;
use crate::mapping::{Outcome, Prepared};
use crate::read::{parse_xml, without_line_end, InputFormat, NdjsonReader, ReadError};
use crate::report::{InputRef, RawLines, Rejection, Report, Skip, Source};
use crate::schema::{Format, Schema};
use crate::select::records_of;

mod csv_units;

/// One input: a name (for messages and rejects) and its bytes.
pub struct Input<'a> {
    /// File name, or `-` for stdin.
    pub name: String,
    /// The bytes.
    pub reader: Box<dyn BufRead + Send + 'a>,
}

/// Where results go.
pub trait Sink {
    /// An accepted target record of `schema`, built by `route`.
    fn accepted(&mut self, schema: &Schema, route: &str, record: &Value) -> io::Result<()>;
    /// An accepted record already rendered in the output format by a worker
    /// thread, when [`Options::render`] is set (the record itself is then
    /// dropped on the worker). A sink that sets `render` implements this.
    fn accepted_rendered(
        &mut self,
        _schema: &Schema,
        _route: &str,
        _rendered: &[u8],
    ) -> io::Result<()> {
        Err(io::Error::other(
            "Options::render is set, but the sink does not implement accepted_rendered",
        ))
    }
    /// A rejected unit.
    fn rejected(&mut self, rejection: &Rejection) -> io::Result<()>;
    /// Called after each unit, for progress display.
    fn progress(&mut self, _report: &Report) {}
}

/// Options of a run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Input format; guessed per input from its name and first bytes when `None`.
    pub input_format: Option<InputFormat>,
    /// Keep every rejection and skip in the report (memory grows with them).
    pub keep_details: bool,
    /// With `keep_details`, leave the rejections out of the report: the
    /// sink keeps them (a [`crate::report::Spool`]), so memory stays flat.
    pub rejections_elsewhere: bool,
    /// Worker threads for NDJSON and CSV input (0: one per core). Output order is
    /// the input order whatever the number.
    pub threads: usize,
    /// The CSV field delimiter, over the mapping's `input.csv.delimiter`.
    pub csv_delimiter: Option<u8>,
    /// Render accepted records in this format on the worker threads, and
    /// hand the bytes to [`Sink::accepted_rendered`].
    pub render: Option<crate::render::OutputFormat>,
    /// The bound on what the rows of an unsorted CSV take in memory while
    /// they are grouped (`None`: 64 MiB); past it they spill to temporary files.
    pub group_memory: Option<u64>,
}

/// A run that could not finish: an input could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub(crate) enum ConvertError {
    /// Reading an input failed.
    Read(String, io::Error),
    /// Writing a result failed.
    Write(io::Error),
    /// Grouping the rows of a CSV input (named) could not finish.
    Group(String, crate::spill::SpillError),
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConvertError::Read(name, e) => write!(f, "{name}: {e}"),
            ConvertError::Write(e) => write!(f, "writing {e}"),
            ConvertError::Group(name, e) => write!(f, "{name}: {e}"),
        }
    }
}

/// Run `prepared` over `inputs`. A sink that fails with
/// [`io::ErrorKind::BrokenPipe`] ends the run early without an error: the
/// report counts what was handled up to then.
pub fn convert(
    prepared: &Prepared,
    inputs: Vec<Input>,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Report, ConvertError> {
    let mut run = Run {
        prepared,
        options,
        sink,
        report: Report {
            mapping: prepared.mapping().name.clone(),
            ..Report::default()
        },
        rendered: Vec::new(),
    };
    for input in inputs {
        match run.input(input) {
            Ok(()) => {}
            // The reader of the output has gone (`| head -1`): the run ends
            // here, quietly, and the caller still commits rejects and report
            // for what was read.
            Err(ConvertError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(e),
        }
    }
    Ok(run.report)
}

/// NDJSON lines cut by the reader thread: one buffer, and each line's
/// number and place in it.
#[derive(Default)]
struct RawBatch {
    text: Vec<u8>,
    lines: Vec<(usize, std::ops::Range<usize>)>,
}

/// A worker's results for one batch of NDJSON lines, with the accepted
/// records rendered one after another into `rendered`. Both go back to the
/// workers once written and are filled again, instead of a new buffer per
/// record grown by doubling and freed on the other thread.
#[derive(Default)]
struct DoneBatch {
    done: Vec<Done>,
    rendered: Vec<u8>,
}

/// A worker's result for one NDJSON line.
enum Done {
    /// The line, its source when rejected, the outcome, where its rendered
    /// record lies in the batch's buffer.
    Unit(
        usize,
        Option<Source>,
        Outcome,
        Option<std::ops::Range<usize>>,
    ),
    /// The line and its bytes (without the line end).
    Unreadable(usize, Vec<u8>, ReadError),
}

struct Run<'a, 'm> {
    prepared: &'a Prepared<'m>,
    options: &'a Options,
    sink: &'a mut dyn Sink,
    report: Report,
    /// Where one thread renders its accepted records (as the workers do in
    /// theirs), kept from record to record so it stops growing.
    rendered: Vec<u8>,
}

impl Run<'_, '_> {
    fn input(&mut self, input: Input) -> Result<(), ConvertError> {
        let name = input.name.clone();
        let opened = crate::read::open_input(&name, self.options.input_format, input.reader)
            .map_err(|e| ConvertError::Read(name.clone(), e))?;
        // An empty input is no records (an ETL step may get an empty stream).
        let Some((format, mut reader)) = opened else {
            return Ok(());
        };
        let sniffed =
            self.options.input_format.is_none() && InputFormat::from_name(&name).is_none();
        let format = match format {
            InputFormat::Ndjson if sniffed && self.envelope_first(&mut reader) => InputFormat::Json,
            format => format,
        };
        match format {
            InputFormat::Ndjson if self.threads() > 1 => self.ndjson_parallel(&name, reader)?,
            InputFormat::Ndjson => self.ndjson(&name, reader)?,
            InputFormat::Json if self.streamable_path().is_some() => {
                // Only a format that neither an option nor the name gave is
                // on trial: a "document" that breaks before its first record
                // is read again as NDJSON lines.
                self.json_stream(&name, reader, sniffed)?
            }
            InputFormat::Xml => self.xml_input(&name, reader)?,
            InputFormat::Json => {
                let mut bytes = Vec::new();
                reader
                    .read_to_end(&mut bytes)
                    .map_err(|e| ConvertError::Read(name.clone(), e))?;
                let parsed = crate::read::parse_json_documents(&bytes).map(|docs| {
                    let select = self.prepared.mapping().select.as_ref();
                    docs.into_iter()
                        .flat_map(|d| records_of(d, select))
                        .collect::<Vec<_>>()
                });
                // A document that does not parse is one rejected record, its
                // bytes kept; the run goes on with the next input.
                let records = match parsed {
                    Ok(records) => records,
                    Err(e) => {
                        let at = InputRef {
                            file: name.clone(),
                            line: e.line,
                            index: None,
                        };
                        return self.unreadable(at, bytes, e);
                    }
                };
                for (i, record) in records.into_iter().enumerate() {
                    self.unit(
                        vec![InputRef {
                            file: name.clone(),
                            line: None,
                            index: Some(i + 1),
                        }],
                        vec![record],
                        Vec::new(),
                    )?;
                }
            }
            InputFormat::Csv => self.csv_input(&name, reader)?,
        }
        Ok(())
    }

    /// NDJSON on this thread, a line at a time. A rejected line keeps its
    /// text verbatim; accepted lines allocate nothing beyond their value.
    fn ndjson(
        &mut self,
        name: &str,
        reader: Box<dyn BufRead + Send + '_>,
    ) -> Result<(), ConvertError> {
        let mut lines = NdjsonReader::new(reader);
        while let Some(line) = lines.next_raw() {
            let (number, bytes) = line.map_err(|e| ConvertError::Read(name.to_string(), e))?;
            let at = InputRef {
                file: name.to_string(),
                line: Some(number),
                index: None,
            };
            match crate::read::parse_line(number, bytes).into_record(bytes) {
                Ok((v, literals)) => {
                    self.report.counts.input_records += 1;
                    self.report.counts.units += 1;
                    let (mut outcome, built) = self.prepared.transform_read_hiding(&v, &literals);
                    let source = matches!(outcome, Outcome::Rejected(_))
                        .then(|| hidden(&built, Source::verbatim(bytes, v.clone()), &mut []));
                    let mut out = std::mem::take(&mut self.rendered);
                    out.clear();
                    let render = self.options.render;
                    let rendered =
                        rendered_on_worker(self.prepared, render, &mut outcome, &mut out);
                    let rendered = rendered.map(|r| &out[r]);
                    self.settle_rendered(vec![at], v, source, Vec::new(), outcome, rendered)?;
                    self.rendered = out;
                }
                Err(e) => self.unreadable(at, without_line_end(bytes).to_vec(), e)?,
            }
        }
        Ok(())
    }

    /// The records of JSON documents, one at a time (crate::jsonstream): a
    /// broken element is one rejection with its text and lines, and the
    /// read goes on after it. On `trial`, a first document broken before
    /// any record is read again as NDJSON lines.
    fn json_stream(
        &mut self,
        name: &str,
        mut reader: Box<dyn BufRead + Send + '_>,
        trial: bool,
    ) -> Result<(), ConvertError> {
        use crate::jsonstream::{stream_json_records, Piece, Unstreamed};
        let path = self.streamable_path().unwrap_or_default();
        let mut index = 0;
        let mut failed = None;
        let read = stream_json_records(&mut reader, &path, trial, &mut |piece| {
            index += 1;
            let at = |line| InputRef {
                file: name.to_string(),
                line,
                index: Some(index),
            };
            let done = match piece {
                Piece::Record(record, literals, raw) => {
                    self.unit_read(vec![at(None)], record, &literals, raw)
                }
                // Where it broke; `lines` lists every line it spans.
                Piece::Broken(raw, e) => {
                    self.unreadable_lines(at(e.line.or(Some(raw.first))), raw, e)
                }
            };
            done.map_err(|e| failed = Some(e)).is_ok()
        });
        if let Some(e) = failed {
            return Err(e);
        }
        match read {
            Ok(()) | Err(Unstreamed::Empty) => Ok(()),
            Err(Unstreamed::Io(e)) => Err(ConvertError::Read(name.to_string(), e)),
            Err(Unstreamed::Untried(kept)) => {
                let again: Box<dyn BufRead + Send + '_> =
                    Box::new(io::Read::chain(io::Cursor::new(kept), reader));
                match self.threads() {
                    1 => self.ndjson(name, again),
                    _ => self.ndjson_parallel(name, again),
                }
            }
        }
    }

    /// Whether the first line of a sniffed NDJSON input is an envelope the
    /// mapping's `select:` path goes into (an object holding its first
    /// key): then the lines are documents, one after another, as
    /// `--batch-size` writes them, and read as a named `.json` file is.
    /// The first line is all in the reader's buffer: sniffing read it
    /// (crate::read::sniff), and it is read again first.
    fn envelope_first(&self, reader: &mut Box<dyn BufRead + Send + '_>) -> bool {
        let Some(key) = self.streamable_path().and_then(|p| p.into_iter().next()) else {
            return false;
        };
        let Ok(head) = reader.fill_buf() else {
            return false;
        };
        let first = head
            .split(|b| *b == b'\n')
            .find(|l| !l.trim_ascii().is_empty())
            .unwrap_or_default();
        let first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
        serde_json::from_slice::<Value>(first).is_ok_and(|v| v.get(&key).is_some())
    }

    /// The keys to stream a JSON document's records from: the mapping's
    /// `select:` when it is a plain path to an array, or the top level.
    fn streamable_path(&self) -> Option<Vec<String>> {
        match &self.prepared.mapping().select {
            Some(s) => s.streamable(),
            None => Some(Vec::new()),
        }
    }

    fn threads(&self) -> usize {
        match self.options.threads {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            n => n,
        }
    }

    /// NDJSON over worker threads: a reader thread cuts the input into
    /// batches of lines, workers parse and transform them, and this thread
    /// puts the results back in input order and hands them to the sink.
    /// Channels are bounded, so memory stays flat however long the input.
    fn ndjson_parallel(
        &mut self,
        name: &str,
        reader: Box<dyn BufRead + Send + '_>,
    ) -> Result<(), ConvertError> {
        use std::collections::BTreeMap;
        use std::sync::mpsc::sync_channel;
        use std::sync::Mutex;
        // Lines per batch. With 64 the threads hand over a quarter as often
        // as with 16; on 2 cores the benchmark ran about 7% faster.
        const BATCH: usize = 64;
        let workers = self.threads();
        let prepared = self.prepared;
        let render = self.options.render;
        let (job_tx, job_rx) = sync_channel::<(usize, RawBatch)>(workers * 2);
        let (done_tx, done_rx) = sync_channel::<(usize, DoneBatch)>(workers * 2);
        let job_rx = Mutex::new(job_rx);
        // At most this many batches between the reader and the writer, in
        // any stage: the reader takes a token per batch and the writer gives
        // it back once the batch is written. Without it a worker slowed by
        // the machine lets the others run ahead, and the batches waiting to
        // be put back in order make peak memory vary from run to run.
        let in_flight = workers + 2;
        let (token_tx, token_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = token_tx.send(());
        }
        // Line buffers go back to the reader to be filled again: the reader
        // allocates little, so buffers freed on the workers would pile up
        // on its heap until it next allocated.
        let (pool_tx, pool_rx) = sync_channel::<RawBatch>(in_flight + workers);
        // Output buffers go back to the workers in the same way.
        let (out_pool_tx, out_pool_rx) = sync_channel::<DoneBatch>(in_flight + workers);
        let out_pool_rx = Mutex::new(out_pool_rx);
        std::thread::scope(|scope| -> Result<(), ConvertError> {
            // Owned here, so that dropping it below releases a reader waiting for a token.
            let token_tx = token_tx;
            // The reader only cuts lines; parsing happens on the workers, so
            // each record is allocated and freed on the same thread.
            let read = scope.spawn(move || -> std::io::Result<()> {
                let mut lines = NdjsonReader::new(reader);
                let mut batch = pool_rx.try_recv().unwrap_or_default();
                let mut seq = 0;
                while let Some(line) = lines.next_raw() {
                    let (number, bytes) = line?;
                    let start = batch.text.len();
                    batch.text.extend_from_slice(bytes);
                    batch.lines.push((number, start..batch.text.len()));
                    if batch.lines.len() == BATCH {
                        let next = pool_rx.try_recv().unwrap_or_default();
                        if token_rx.recv().is_err()
                            || job_tx
                                .send((seq, std::mem::replace(&mut batch, next)))
                                .is_err()
                        {
                            return Ok(());
                        }
                        seq += 1;
                    }
                }
                if !batch.lines.is_empty() && token_rx.recv().is_ok() {
                    let _ = job_tx.send((seq, batch));
                }
                Ok(())
            });
            for _ in 0..workers {
                let done_tx = done_tx.clone();
                let pool_tx = pool_tx.clone();
                let job_rx = &job_rx;
                let out_pool_rx = &out_pool_rx;
                scope.spawn(move || loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, batch))) = job else { return };
                    let mut out = out_pool_rx
                        .lock()
                        .ok()
                        .and_then(|rx| rx.try_recv().ok())
                        .unwrap_or_default();
                    let DoneBatch { done, rendered } = &mut out;
                    let results = batch
                        .lines
                        .iter()
                        .map(|(number, range)| {
                            let text = &batch.text[range.clone()];
                            let line = crate::read::parse_line(*number, text).into_record(text);
                            (*number, line, range)
                        })
                        .map(|(number, line, range)| match line {
                            Ok((v, literals)) => {
                                let (mut outcome, built) =
                                    prepared.transform_read_hiding(&v, &literals);
                                let rendered =
                                    rendered_on_worker(prepared, render, &mut outcome, rendered);
                                // The input goes on only where a rejection carries it,
                                // as written.
                                let source = matches!(outcome, Outcome::Rejected(_)).then(|| {
                                    let text = &batch.text[range.clone()];
                                    hidden(&built, Source::verbatim(text, v), &mut [])
                                });
                                Done::Unit(number, source, outcome, rendered)
                            }
                            Err(e) => Done::Unreadable(
                                number,
                                without_line_end(&batch.text[range.clone()]).to_vec(),
                                e,
                            ),
                        });
                    done.extend(results);
                    let mut batch = batch;
                    batch.text.clear();
                    batch.lines.clear();
                    let _ = pool_tx.try_send(batch);
                    if done_tx.send((seq, out)).is_err() {
                        return;
                    }
                });
            }
            drop(pool_tx);
            drop(done_tx);
            let mut next = 0;
            let mut waiting = BTreeMap::new();
            let mut failed = None;
            for (seq, done) in done_rx.iter() {
                waiting.insert(seq, done);
                while let Some(batch) = waiting.remove(&next) {
                    next += 1;
                    let _ = token_tx.send(());
                    let DoneBatch {
                        mut done,
                        rendered: mut bytes,
                    } = batch;
                    for d in done.drain(..) {
                        if failed.is_some() {
                            break;
                        }
                        let r = match d {
                            Done::Unit(line, source, outcome, rendered) => {
                                let at = InputRef {
                                    file: name.to_string(),
                                    line: Some(line),
                                    index: None,
                                };
                                self.report.counts.input_records += 1;
                                self.report.counts.units += 1;
                                self.settle_rendered(
                                    vec![at],
                                    Value::Null,
                                    source,
                                    Vec::new(),
                                    outcome,
                                    rendered.map(|r| &bytes[r]),
                                )
                            }
                            Done::Unreadable(line, raw, e) => self.unreadable(
                                InputRef {
                                    file: name.to_string(),
                                    line: Some(line),
                                    index: None,
                                },
                                raw,
                                e,
                            ),
                        };
                        if let Err(e) = r {
                            failed = Some(e);
                        }
                    }
                    done.clear();
                    bytes.clear();
                    let _ = out_pool_tx.try_send(DoneBatch {
                        done,
                        rendered: bytes,
                    });
                }
                if failed.is_some() {
                    // Dropping the receiver stops the workers and the reader.
                    break;
                }
            }
            drop(done_rx);
            drop(token_tx);
            if let Some(e) = failed {
                return Err(e);
            }
            match read.join() {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(ConvertError::Read(name.to_string(), e)),
                Err(_) => Err(ConvertError::Read(
                    name.to_string(),
                    std::io::Error::other("the reader thread failed"),
                )),
            }
        })
    }

    /// An XML input: each document one record (several when each has its
    /// own declaration, as `--batch-size` writes them), its text and lines
    /// kept; a document that cannot be read is one reject with them, at the
    /// line of the fault.
    fn xml_input(
        &mut self,
        name: &str,
        mut reader: Box<dyn BufRead + Send + '_>,
    ) -> Result<(), ConvertError> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| ConvertError::Read(name.to_string(), e))?;
        for (i, (first, doc)) in crate::read::xml_documents(&bytes).into_iter().enumerate() {
            let raw = document_lines(doc.to_vec(), first);
            let at = |line| InputRef {
                file: name.to_string(),
                line,
                index: Some(i + 1),
            };
            let record = crate::read::xml_text(doc, first).and_then(|text| {
                self.xml_record(&text).map_err(|mut e| {
                    e.line = e.line.map(|l| l + first - 1);
                    e
                })
            });
            match record {
                Ok(record) => self.unit(vec![at(None)], vec![record], vec![raw])?,
                Err(e) => self.unreadable_lines(at(e.line.or(Some(first))), raw, e)?,
            }
        }
        Ok(())
    }

    fn xml_record(&self, text: &str) -> Result<Value, ReadError> {
        xml_record_of(self.prepared.mapping(), text)
    }

    /// Text that could not be read as a record, with the lines it spans.
    fn unreadable_lines(
        &mut self,
        at: InputRef,
        raw: RawLines,
        e: ReadError,
    ) -> Result<(), ConvertError> {
        let source = Source::Unreadable(raw.bytes.clone());
        self.reject_rows(vec![at], source, vec![raw], vec![malformed(&e)])
    }

    fn unreadable(&mut self, at: InputRef, raw: Vec<u8>, e: ReadError) -> Result<(), ConvertError> {
        self.report.counts.input_records += 1;
        self.report.counts.units += 1;
        let errors = vec![Violation {
            rule: "malformed".into(),
            path: String::new(),
            message: e.to_string(),
            severity: Severity::Error,
        }];
        self.reject(Rejection {
            input: vec![at],
            source: Source::Unreadable(raw),
            raw: Vec::new(),
            errors,
        })
    }

    /// Reject rows that did not become a unit (a bad CSV row, a split group, a unit that could not be shaped).
    fn reject_rows(
        &mut self,
        input: Vec<InputRef>,
        source: Source,
        raw: Vec<RawLines>,
        errors: Vec<Violation>,
    ) -> Result<(), ConvertError> {
        self.reject_read_as(input, source, raw, errors, &[])
    }

    /// [`Self::reject_rows`], with what malformed rows read as (whose
    /// secret fields are hidden).
    fn reject_read_as(
        &mut self,
        input: Vec<InputRef>,
        source: Source,
        raw: Vec<RawLines>,
        errors: Vec<Violation>,
        read_as: &[Value],
    ) -> Result<(), ConvertError> {
        self.report.counts.input_records += input.len();
        self.report.counts.units += 1;
        let rejection = Rejection {
            input,
            source,
            raw,
            errors,
        };
        self.reject_hiding(rejection, read_as)
    }

    fn reject(&mut self, rejection: Rejection) -> Result<(), ConvertError> {
        self.reject_hiding(rejection, &[])
    }

    fn reject_hiding(
        &mut self,
        mut rejection: Rejection,
        read_as: &[Value],
    ) -> Result<(), ConvertError> {
        // The one place every rejection passes before it is written.
        self.prepared.redact_rejection_with(&mut rejection, read_as);
        self.report.counts.rejected += 1;
        let mut rules: Vec<&str> = rejection
            .errors
            .iter()
            .filter(|e| e.severity == Severity::Error)
            .map(|e| e.rule.as_str())
            .collect();
        rules.sort_unstable();
        rules.dedup();
        for rule in rules {
            *self
                .report
                .rejected_by_rule
                .entry(rule.to_string())
                .or_default() += 1;
        }
        self.sink
            .rejected(&rejection)
            .map_err(ConvertError::Write)?;
        if self.options.keep_details && !self.options.rejections_elsewhere {
            self.report.rejections.push(rejection);
        }
        self.sink.progress(&self.report);
        Ok(())
    }

    /// Transform one unit: `records` is one record, or the rows of a group
    /// (already combined into `records[0]` by the grouper, with the rows after it).
    pub(crate) fn unit(
        &mut self,
        input: Vec<InputRef>,
        records: Vec<Value>,
        raw: Vec<RawLines>,
    ) -> Result<(), ConvertError> {
        let counts = &mut self.report.counts;
        counts.input_records += input.len();
        counts.units += 1;
        let (unit, source) = match records.len() {
            1 => (records.into_iter().next().unwrap_or(Value::Null), None),
            _ => {
                let mut it = records.into_iter();
                let unit = it.next().unwrap_or(Value::Null);
                (unit, Some(Source::Values(it.collect::<Vec<_>>())))
            }
        };
        let (outcome, built) = self.prepared.transform_hiding(&unit);
        let mut raw = raw;
        let source = matches!(outcome, Outcome::Rejected(_)).then(|| {
            let source = source.unwrap_or_else(|| Source::Values(vec![unit.clone()]));
            hidden(&built, source, &mut raw)
        });
        self.settle_rendered(input, unit, source, raw, outcome, None)
    }

    /// One record read from JSON text, with the literals of its numbers
    /// (crate::literal); a rejected one shows its text as written.
    fn unit_read(
        &mut self,
        input: Vec<InputRef>,
        record: Value,
        literals: &SourceLiterals,
        raw: RawLines,
    ) -> Result<(), ConvertError> {
        let counts = &mut self.report.counts;
        counts.input_records += input.len();
        counts.units += 1;
        let (outcome, built) = self.prepared.transform_read_hiding(&record, literals);
        let mut raw = vec![raw];
        let source = match &outcome {
            Outcome::Rejected(_) => {
                let source = Source::verbatim(&one_line(&raw[0].bytes), record.clone());
                Some(hidden(&built, source, &mut raw))
            }
            _ => None,
        };
        self.settle_rendered(input, record, source, raw, outcome, None)
    }

    /// Count and hand on the outcome of one unit. `source` is what a
    /// rejection carries (the rows of a group, a line verbatim); without
    /// it, the unit itself.
    fn settle_rendered(
        &mut self,
        input: Vec<InputRef>,
        unit: Value,
        source: Option<Source>,
        raw: Vec<RawLines>,
        outcome: Outcome,
        rendered: Option<&[u8]>,
    ) -> Result<(), ConvertError> {
        match outcome {
            Outcome::Accepted {
                route,
                record,
                warnings,
                literals,
            } => {
                self.report.counts.accepted += 1;
                self.report.counts.records_written += 1;
                *self.report.routes.entry(route.clone()).or_default() += 1;
                let schema = &self
                    .prepared
                    .mapping()
                    .routes
                    .iter()
                    .find(|r| r.name == route)
                    .map(|r| r.target.clone());
                // A record whose copied numbers keep their digits is
                // rendered here when the sink takes rendered records: a
                // `Value` cannot carry the digits.
                let here = match (rendered, self.options.render) {
                    (None, Some(format)) if !literals.is_empty() => schema.as_ref().map(|s| {
                        crate::render::render_with_literals(format, s, &record, &literals)
                    }),
                    _ => None,
                };
                if let Some(schema) = schema {
                    match here.as_deref().or(rendered) {
                        Some(bytes) => self.sink.accepted_rendered(schema, &route, bytes),
                        None => self.sink.accepted(schema, &route, &record),
                    }
                    .map_err(ConvertError::Write)?;
                }
                if self.options.keep_details {
                    self.report.warnings.extend(warnings.into_iter().map(|w| {
                        crate::report::Warning {
                            input: input.clone(),
                            warning: w,
                        }
                    }));
                }
                self.sink.progress(&self.report);
                Ok(())
            }
            Outcome::Rejected(errors) => {
                let source = source.unwrap_or_else(|| Source::Values(vec![unit]));
                self.reject(Rejection {
                    input,
                    source,
                    raw,
                    errors,
                })
            }
            Outcome::Skipped(reason) => {
                self.report.counts.skipped += 1;
                if self.options.keep_details {
                    self.report.skips.push(Skip { input, reason });
                }
                self.sink.progress(&self.report);
                Ok(())
            }
        }
    }
}

/// A rejected unit's `source` and `raw` lines with the values its built
/// record held at secret fields hidden (the run's own secrets are hidden
/// where every rejection passes, `Run::reject_hiding`).
pub(crate) fn hidden(
    built: &crate::redact::Redactor,
    mut source: Source,
    raw: &mut [RawLines],
) -> Source {
    built.hide_in_input(&mut source, raw);
    source
}

/// JSON text on one line, for a reject's `source` (a rejects file holds a
/// reject a line): a line end in valid JSON is white space between
/// tokens, never inside a string, so a space stands for it. Digits stay as
/// written; `raw` keeps the lines as they were.
fn one_line(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !text.iter().any(|b| matches!(b, b'\n' | b'\r')) {
        return std::borrow::Cow::Borrowed(text);
    }
    let spaced = text.iter().map(|b| match b {
        b'\n' | b'\r' => b' ',
        b => *b,
    });
    std::borrow::Cow::Owned(spaced.collect())
}

/// One XML document's record, as `mapping`'s XML source reads it (the
/// tree as parsed for any other source).
pub(crate) fn xml_record_of(mapping: &crate::Mapping, text: &str) -> Result<Value, ReadError> {
    let (_, tree) = parse_xml(text)?;
    Ok(match &mapping.source {
        Some(s) if s.format == Format::Xml => s.record_from_xml(tree),
        _ => tree,
    })
}

/// The finding of text that is no record.
fn malformed(e: &ReadError) -> Violation {
    Violation {
        rule: "malformed".into(),
        path: String::new(),
        message: e.to_string(),
        severity: Severity::Error,
    }
}

/// A whole document that starts on line `first` as the raw text of a
/// rejection: every line it spans, white space after it left out.
fn document_lines(mut bytes: Vec<u8>, first: usize) -> RawLines {
    let len = bytes.trim_ascii_end().len();
    bytes.truncate(len);
    let last = first + bytes.iter().filter(|b| **b == b'\n').count();
    RawLines { first, last, bytes }
}

/// An accepted record in the output format, appended to `out`, when the
/// sink takes rendered records: where it lies in `out`. The record itself
/// is freed here, on the worker thread that built it (NDJSON lines and CSV
/// units alike).
pub(super) fn rendered_on_worker(
    prepared: &Prepared,
    render: Option<crate::render::OutputFormat>,
    outcome: &mut Outcome,
    out: &mut Vec<u8>,
) -> Option<std::ops::Range<usize>> {
    let (
        Outcome::Accepted {
            route,
            record,
            literals,
            ..
        },
        Some(format),
    ) = (outcome, render)
    else {
        return None;
    };
    let start = out.len();
    let written = prepared.mapping().route(route).map(|r| {
        crate::render::render_into(out, format, &r.target, record, literals);
        start..out.len()
    });
    drop(std::mem::take(record));
    written
}
