//! Embedding: NDJSON text in, each unit's result out, in input order, as
//! `mapwright convert --output-format ndjson` settles it. For programs that
//! hold records in memory and write no files (the Python package): an
//! accepted unit comes back as its NDJSON output line (numbers keep their
//! digits and places), a rejected one as its rejection with the secrets
//! hidden exactly as in a rejects file, a skipped one with its reason.
//! The same run as the command line's, so the results cannot drift from it.

use std::io;

use crate::value::Value;

use crate::check::{check_record_at, Path as CheckPath};
use crate::convert::{convert, Input, Options, Sink};
use crate::diag::Severity;
use crate::mapping::{Mapping, Prepared};
use crate::render::{render_record, OutputFormat, Renderer};
use crate::report::{Rejection, Report};
use crate::schema::Schema;

/// What happened to one unit of an NDJSON text, as a run settles it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Settled {
    /// Built and valid.
    Accepted {
        /// The route that built it.
        route: String,
        /// Its NDJSON output line, with its line end: the line
        /// `mapwright convert --output-format ndjson` writes.
        line: Vec<u8>,
    },
    /// Refused: what a rejects file holds (secrets hidden).
    Rejected(Rejection),
    /// Set aside on purpose: the reason.
    Skipped(String),
}

impl Prepared<'_> {
    /// Run this mapping over NDJSON `text` (named `name` in rejections) on
    /// `threads` worker threads (0: one per core; 1: this thread only) and
    /// give every unit's result in input order, with the run's report.
    /// Blank lines are no units; a line that is not JSON is a rejection
    /// (rule `malformed`), as on the command line.
    pub fn settle_ndjson(
        &self,
        name: &str,
        text: &[u8],
        threads: usize,
    ) -> Result<(Vec<Settled>, Report), crate::Error> {
        let input = Input {
            name: name.to_string(),
            reader: Box::new(text),
        };
        let options = Options {
            input_format: Some(crate::InputFormat::Ndjson),
            // Skips are read from the report as they come; rejections are
            // kept by the sink, not twice.
            keep_details: true,
            rejections_elsewhere: true,
            threads,
            render: Some(OutputFormat::Ndjson),
            ..Options::default()
        };
        let mut sink = Collect::default();
        let mut report = convert(self, vec![input], &options, &mut sink)?;
        report.skips.clear();
        report.warnings.clear();
        Ok((sink.settled, report))
    }
}

impl Mapping {
    /// The names of its routes, in the order they are tried.
    pub fn route_names(&self) -> Vec<&str> {
        self.routes.iter().map(|r| r.name.as_str()).collect()
    }

    /// The target schema of route `route`, or the error naming a near route.
    fn target_of(&self, route: &str) -> Result<&Schema, crate::Error> {
        self.route(route)
            .map(|r| &*r.target)
            .ok_or_else(|| crate::Error::UnknownRoute {
                route: route.to_string(),
                near: crate::diag::suggest(route, self.route_names()).map(str::to_string),
            })
    }
}

impl Prepared<'_> {
    /// One target record of the route `route` in `format`, as `mapwright
    /// convert --batch-size 1` writes it: an NDJSON line, a JSON envelope
    /// holding the record on one line, or one XML document. The record is
    /// checked against the route's target schema first, as `convert` checks
    /// what it built: one that does not fit (a field the target does not
    /// have, which XML would leave out without a word; a wrong type; a
    /// missing required field) is [`Error::Unfit`](crate::Error::Unfit),
    /// every error named, secrets hidden. Warnings do not stop it.
    pub fn render_one(
        &self,
        route: &str,
        record: &Value,
        format: OutputFormat,
    ) -> Result<Vec<u8>, crate::Error> {
        let target = self.mapping().target_of(route)?;
        if format == OutputFormat::Xml && target.format != crate::schema::Format::Xml {
            return Err(crate::Error::NotXmlTarget(target.name.clone()));
        }
        self.check_fits(route, target, record)?;
        let mut out = Renderer::new(Vec::new(), format).with_batch_size(Some(1));
        out.record(target, record).map_err(crate::Error::Write)?;
        out.finish(Some(target)).map_err(crate::Error::Write)
    }

    /// The target's checks of `record`: its errors, with the secret params'
    /// values and the values at the target's secret fields hidden.
    fn check_fits(&self, route: &str, target: &Schema, record: &Value) -> Result<(), crate::Error> {
        let mut found = Vec::new();
        check_record_at(target, record, &CheckPath::root(target), &mut found);
        found.retain(|v| v.severity == Severity::Error);
        if found.is_empty() {
            return Ok(());
        }
        let mut hide = self.redactor().clone();
        hide.add_secret_fields(target, record);
        found.iter_mut().for_each(|v| hide.redact_violation(v));
        Err(crate::Error::Unfit {
            route: route.to_string(),
            violations: found,
        })
    }
}

/// Gathers the results in the order the run hands them on. A skip reaches
/// no sink method but the progress call after it, which sees the skipped
/// count grow.
#[derive(Default)]
struct Collect {
    settled: Vec<Settled>,
    skips_seen: usize,
}

impl Sink for Collect {
    fn accepted(&mut self, schema: &Schema, route: &str, record: &Value) -> io::Result<()> {
        let line = render_record(OutputFormat::Ndjson, schema, record);
        self.accepted_rendered(schema, route, &line)
    }

    fn accepted_rendered(&mut self, _: &Schema, route: &str, rendered: &[u8]) -> io::Result<()> {
        self.settled.push(Settled::Accepted {
            route: route.to_string(),
            line: rendered.to_vec(),
        });
        Ok(())
    }

    fn rejected(&mut self, rejection: &Rejection) -> io::Result<()> {
        self.settled.push(Settled::Rejected(rejection.clone()));
        Ok(())
    }

    fn progress(&mut self, report: &Report) {
        if report.counts.skipped > self.skips_seen {
            self.skips_seen = report.counts.skipped;
            let reason = report.skips.last().map(|s| s.reason.clone());
            self.settled
                .push(Settled::Skipped(reason.unwrap_or_default()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mapping, Params};

    fn o2o() -> Mapping {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../mappings/o2o/primary-to-secondary.yaml"
        );
        Mapping::from_path(path.as_ref()).expect("the o2o mapping loads")
    }

    fn example_params() -> Params {
        let mut p = Params::default();
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../mappings/o2o/examples/primary-params.yaml"
        );
        p.load_file(file.as_ref()).expect("the example params load");
        p
    }

    fn kinds(settled: &[Settled]) -> String {
        settled
            .iter()
            .map(|s| match s {
                Settled::Accepted { .. } => 'A',
                Settled::Rejected(_) => 'R',
                Settled::Skipped(_) => 'S',
            })
            .collect()
    }

    #[test]
    fn the_o2o_example_settles_in_input_order_on_one_thread_and_on_three() {
        let mapping = o2o();
        let prepared = mapping.prepare(&example_params()).expect("params fit");
        let text = include_bytes!("../../mappings/o2o/examples/primary-events.ndjson");
        let expected = include_str!("../../mappings/o2o/examples/primary-events.expected.ndjson");
        for threads in [1, 3] {
            let (settled, report) = prepared.settle_ndjson("events", text, threads).unwrap();
            // The README's table: lines 2, 4, 7 and 11 are skipped, 5 rejected.
            assert_eq!(kinds(&settled), "ASASRASAAASA");
            assert_eq!(report.counts.input_records, 12);
            assert_eq!(
                (
                    report.counts.accepted,
                    report.counts.rejected,
                    report.counts.skipped
                ),
                (7, 1, 4)
            );
            let lines: String = settled
                .iter()
                .filter_map(|s| match s {
                    Settled::Accepted { line, .. } => Some(String::from_utf8_lossy(line)),
                    _ => None,
                })
                .collect();
            assert_eq!(lines, expected);
            let Some(Settled::Rejected(r)) = settled.get(4) else {
                panic!("line 5 is rejected: {settled:?}")
            };
            assert_eq!(r.input[0].line, Some(5));
            assert_eq!(r.errors[0].rule, "sor-code-aligned");
        }
    }

    #[test]
    fn a_line_that_is_not_json_is_a_malformed_rejection_between_the_others() {
        let mapping = o2o();
        let prepared = mapping.prepare(&example_params()).expect("params fit");
        let first = include_str!("../../mappings/o2o/examples/primary-events.ndjson")
            .lines()
            .next()
            .unwrap();
        let text = format!("{first}\n{{not json\n\n{first}\n");
        let (settled, report) = prepared.settle_ndjson("x", text.as_bytes(), 1).unwrap();
        assert_eq!(kinds(&settled), "ARA");
        let Settled::Rejected(r) = &settled[1] else {
            unreachable!()
        };
        assert_eq!(r.errors[0].rule, "malformed");
        assert_eq!(r.input[0].line, Some(2));
        assert_eq!(report.counts.input_records, 3);
    }

    #[test]
    fn render_one_writes_what_the_run_wrote_and_names_a_near_route() {
        let mapping = o2o();
        let prepared = mapping.prepare(&example_params()).expect("params fit");
        let text = include_bytes!("../../mappings/o2o/examples/primary-events.ndjson");
        let (settled, _) = prepared.settle_ndjson("events", text, 1).unwrap();
        let Some(Settled::Accepted { route, line }) = settled.first() else {
            panic!("the first event is accepted: {settled:?}")
        };
        let record: Value = serde_json::from_slice(line).unwrap();
        let ndjson = prepared
            .render_one(route, &record, OutputFormat::Ndjson)
            .unwrap();
        assert_eq!(&ndjson, line);
        let json = prepared
            .render_one(route, &record, OutputFormat::Json)
            .unwrap();
        let inner = String::from_utf8_lossy(line).trim_end().to_string();
        assert_eq!(String::from_utf8(json).unwrap(), format!("[{inner}]\n"));
        let err = prepared
            .render_one("create-jobs", &record, OutputFormat::Ndjson)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "this mapping has no route 'create-jobs' (did you mean 'create-job'?)"
        );
        let xml = prepared.render_one(route, &record, OutputFormat::Xml);
        assert!(matches!(xml, Err(crate::Error::NotXmlTarget(_))), "{xml:?}");
    }

    const TOKEN: &str = "3FC2ABA9-8F37-4CC9-934C-6ABCCA9F44B7";

    fn synergetic_payload(mapping: &Mapping, params: &Params) -> (String, Value) {
        let prepared = mapping.prepare(params).expect("params fit");
        let document =
            include_bytes!("../../mappings/oneserve-synergetic/tests/design-example.json");
        let record: Value = serde_json::from_slice(document).unwrap();
        match prepared.transform(&record) {
            crate::Outcome::Accepted { route, record, .. } => (route, record),
            other => panic!("the design example is accepted, not {other:?}"),
        }
    }

    #[test]
    fn render_one_refuses_a_field_the_xml_target_would_leave_out() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../mappings/oneserve-synergetic/order.yaml"
        );
        let mapping = Mapping::from_path(path.as_ref()).unwrap();
        let params = Params::from_pairs(&[("vendor_token", TOKEN)]);
        let prepared = mapping.prepare(&params).unwrap();
        let (route, mut payload) = synergetic_payload(&mapping, &params);
        let fits = prepared.render_one(&route, &payload, OutputFormat::Xml);
        assert!(fits.is_ok(), "{fits:?}");
        payload["Colour"] = Value::from("red");
        // A wrong value at the secret field is named, its value hidden.
        payload["VendorTokenGUID"] = Value::from(format!("{TOKEN}-x"));
        let err = prepared
            .render_one(&route, &payload, OutputFormat::Xml)
            .unwrap_err();
        let crate::Error::Unfit {
            route: r,
            violations,
        } = &err
        else {
            panic!("an unfit payload is refused, not {err:?}")
        };
        assert_eq!(r, &route);
        let found: Vec<(&str, &str)> = violations
            .iter()
            .map(|v| (v.rule.as_str(), v.path.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("invalid-guid", "/InputXML/VendorTokenGUID"),
                ("unknown-field", "/InputXML/Colour")
            ]
        );
        assert_eq!(
            err.to_string(),
            "the payload does not fit the target of route 'oneserve-order-to-synergetic'; \
             /InputXML/VendorTokenGUID [invalid-guid]: (a secret value, not shown) is not a GUID \
             (8-4-4-4-12 hexadecimal digits); \
             /InputXML/Colour [unknown-field]: 'Colour' is not a field of Synergetic's input_xml"
        );
    }
}
