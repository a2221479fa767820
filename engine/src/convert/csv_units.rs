//! CSV input: the grouper (crate::group) reads rows into units, and each
//! unit is shaped and transformed on the worker threads as NDJSON lines
//! are. Units are independent once grouped; they are handed to the sink
//! in the order the grouper gives them whatever the number of threads.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

use crate::value::Value;

use super::{ConvertError, Run};
use crate::check::Violation;
use crate::diag::Severity;
use crate::group::{csv_items, Grouping, Item};
use crate::mapping::{Outcome, Prepared};
use crate::render::OutputFormat;
use crate::report::{InputRef, RawLines, Source};

/// Units handed to a worker at a time.
const BATCH: usize = 16;

/// What became of one unit the grouper handed on.
enum Done {
    /// Shaped and transformed: where its rows came from, what a rejection
    /// carries, the rows' text, the outcome and the rendered record.
    Unit(
        Vec<InputRef>,
        Option<Source>,
        Vec<RawLines>,
        Outcome,
        Option<Vec<u8>>,
    ),
    /// Rows that formed no unit (a bad row, a split group, a unit that
    /// could not be shaped), the errors, and what malformed rows read as.
    Refused(
        Vec<InputRef>,
        Source,
        Vec<RawLines>,
        Vec<Violation>,
        Vec<Value>,
    ),
}

/// Shape and transform one unit (on a worker thread, or this one).
fn work(prepared: &Prepared, render: Option<OutputFormat>, item: Item) -> Done {
    let (refs, rows, raw) = match item {
        Item::Group(refs, rows) => {
            let (rows, raw) = rows.values();
            (refs, rows, raw)
        }
        Item::Bad(refs, source, raw, message, rule, read_as) => {
            let errors = vec![Violation {
                rule: rule.into(),
                path: String::new(),
                message,
                severity: Severity::Error,
            }];
            return Done::Refused(refs, source, raw, errors, read_as);
        }
    };
    // A shaped unit goes first, the group's rows after it: a rejection
    // carries the rows; a unit of one row without a shape carries itself.
    let rows = Value::Array(rows);
    let shaped = prepared.shape(&rows);
    let rows = match rows {
        Value::Array(rows) => rows,
        _ => Vec::new(),
    };
    let (unit, rest) = match shaped {
        Ok(Some(unit)) => (unit, rows),
        Ok(None) => {
            let mut rows = rows.into_iter();
            (rows.next().unwrap_or(Value::Null), rows.collect())
        }
        Err(errors) => return Done::Refused(refs, Source::Values(rows), raw, errors, Vec::new()),
    };
    let (mut outcome, built) = prepared.transform_hiding(&unit);
    let mut raw = raw;
    let source = match outcome {
        Outcome::Rejected(_) if rest.is_empty() => Some(Source::Values(vec![unit])),
        Outcome::Rejected(_) => Some(Source::Values(rest)),
        _ => None,
    }
    .map(|source| super::hidden(&built, source, &mut raw));
    let mut bytes = Vec::new();
    let rendered =
        super::rendered_on_worker(prepared, render, &mut outcome, &mut bytes).map(|_| bytes);
    Done::Unit(refs, source, raw, outcome, rendered)
}

impl Run<'_, '_> {
    /// A CSV input, its units transformed on the worker threads (here, with one).
    pub(super) fn csv_input(
        &mut self,
        name: &str,
        reader: Box<dyn BufRead + Send + '_>,
    ) -> Result<(), ConvertError> {
        let grouping = Grouping {
            delimiter: self.options.csv_delimiter,
            memory: self
                .options
                .group_memory
                .unwrap_or(crate::spill::DEFAULT_GROUP_MEMORY),
        };
        let prepared = self.prepared;
        let render = self.options.render;
        let csv = &prepared.mapping().csv;
        if self.threads() == 1 {
            return csv_items(csv, grouping, prepared.params(), name, reader, |item| {
                self.settle_csv(work(prepared, render, item))
            });
        }
        self.csv_parallel(name, reader, grouping)
    }

    /// Count and hand on what became of one unit.
    fn settle_csv(&mut self, done: Done) -> Result<(), ConvertError> {
        match done {
            Done::Unit(input, source, raw, outcome, rendered) => {
                self.report.counts.input_records += input.len();
                self.report.counts.units += 1;
                self.settle_rendered(
                    input,
                    Value::Null,
                    source,
                    raw,
                    outcome,
                    rendered.as_deref(),
                )
            }
            Done::Refused(input, source, raw, errors, read_as) => {
                self.reject_read_as(input, source, raw, errors, &read_as)
            }
        }
    }

    /// The grouper on a reader thread, hands on units in batches to the
    /// workers, and this thread puts the results back in order. As with
    /// NDJSON, tokens bound the batches in flight, so memory stays flat.
    fn csv_parallel(
        &mut self,
        name: &str,
        reader: Box<dyn BufRead + Send + '_>,
        grouping: Grouping,
    ) -> Result<(), ConvertError> {
        let workers = self.threads();
        let prepared = self.prepared;
        let render = self.options.render;
        let (job_tx, job_rx) = sync_channel::<(usize, Vec<Item>)>(workers * 2);
        let (done_tx, done_rx) = sync_channel::<(usize, Vec<Done>)>(workers * 2);
        let job_rx = Mutex::new(job_rx);
        let in_flight = workers + 2;
        let (token_tx, token_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = token_tx.send(());
        }
        std::thread::scope(|scope| -> Result<(), ConvertError> {
            let token_tx = token_tx;
            let read = scope.spawn(move || -> Result<(), ConvertError> {
                let mut batch = Vec::with_capacity(BATCH);
                let mut seq = 0;
                // The run has stopped (the writer failed): stop reading.
                let stopped = || ConvertError::Write(std::io::ErrorKind::BrokenPipe.into());
                let csv = &prepared.mapping().csv;
                csv_items(csv, grouping, prepared.params(), name, reader, |item| {
                    batch.push(item);
                    if batch.len() < BATCH {
                        return Ok(());
                    }
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    token_rx.recv().map_err(|_| stopped())?;
                    job_tx.send((seq, full)).map_err(|_| stopped())?;
                    seq += 1;
                    Ok(())
                })?;
                if !batch.is_empty() && token_rx.recv().is_ok() {
                    let _ = job_tx.send((seq, batch));
                }
                Ok(())
            });
            for _ in 0..workers {
                let done_tx = done_tx.clone();
                let job_rx = &job_rx;
                scope.spawn(move || loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, items))) = job else { return };
                    let done = items
                        .into_iter()
                        .map(|item| work(prepared, render, item))
                        .collect();
                    if done_tx.send((seq, done)).is_err() {
                        return;
                    }
                });
            }
            drop(done_tx);
            let mut next = 0;
            let mut waiting = BTreeMap::new();
            let mut failed = None;
            'results: for (seq, done) in done_rx.iter() {
                waiting.insert(seq, done);
                while let Some(batch) = waiting.remove(&next) {
                    next += 1;
                    let _ = token_tx.send(());
                    for d in batch {
                        if let Err(e) = self.settle_csv(d) {
                            failed = Some(e);
                            // Dropping the receiver stops the workers and the reader.
                            break 'results;
                        }
                    }
                }
            }
            drop(done_rx);
            drop(token_tx);
            let read = read.join();
            if let Some(e) = failed {
                return Err(e);
            }
            match read {
                Ok(result) => result,
                Err(_) => Err(ConvertError::Read(
                    name.to_string(),
                    std::io::Error::other("the reader thread failed"),
                )),
            }
        })
    }
}
