//! What the reader targets share: the shipped Spectrum mapping (it reads
//! JSON, NDJSON, XML and grouped CSV), run over the fuzzed bytes through the
//! library's convert job (output and rejects to /dev/null), checking
//! conservation on every input.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mapwright::{ConvertJob, Error, Input, InputFormat, Mapping, OutputFormat, Params};

fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings/oneserve-spectrum/order.yaml");
        Mapping::from_path(&path).expect("the shipped Spectrum mapping loads")
    })
}

/// Convert `data` as `format`: never a panic, and every unit counted once.
pub fn convert_bytes(data: &[u8], format: InputFormat) {
    let params = Params::from_pairs(&[("company_code", "KM2")]);
    let prepared = mapping().prepare(&params).expect("params");
    let job = ConvertJob {
        output: Some(PathBuf::from("/dev/null")),
        rejects: Some(PathBuf::from("/dev/null")),
        output_format: Some(OutputFormat::Ndjson),
        input_format: Some(format),
        threads: 1,
        ..ConvertJob::default()
    };
    let mut outputs = job
        .open(mapping(), OutputFormat::Ndjson)
        .expect("/dev/null opens");
    let input = Input {
        name: "fuzz".into(),
        reader: Box::new(data),
    };
    match outputs.convert(&prepared, vec![input], None) {
        Ok(report) => {
            let c = &report.counts;
            assert_eq!(c.units, c.accepted + c.rejected + c.skipped, "{c:?}");
            let by_route: usize = report.routes.values().sum();
            assert_eq!(by_route, c.accepted, "{c:?}");
        }
        // A JSON or XML document that does not parse, or a CSV header row
        // that cannot be read, is refused whole (exit 3, with the reason).
        Err(Error::Malformed(..) | Error::Read(..)) => {}
        // /dev/null never fails.
        Err(e) => panic!("{e}"),
    }
}
