//! What the reader targets share: the shipped Spectrum mapping (it reads
//! JSON, NDJSON, XML and grouped CSV), run over the fuzzed bytes through the
//! library's `convert`, checking conservation on every input.

use std::io;
use std::path::Path;
use std::sync::OnceLock;

use mapwright::convert::{convert, ConvertError, Input, Options, Sink};
use mapwright::read::InputFormat;
use mapwright::report::Rejection;
use mapwright::{Mapping, Params, Schema};
use serde_json::Value;

fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings/oneserve-spectrum/order.yaml");
        Mapping::from_path(&path).expect("the shipped Spectrum mapping loads")
    })
}

/// Counts what comes out, and keeps nothing.
struct Counting {
    accepted: usize,
    rejected: usize,
}

impl Sink for Counting {
    fn accepted(&mut self, _: &Schema, _: &str, _: &Value) -> io::Result<()> {
        self.accepted += 1;
        Ok(())
    }
    fn rejected(&mut self, _: &Rejection) -> io::Result<()> {
        self.rejected += 1;
        Ok(())
    }
}

/// Convert `data` as `format`: never a panic, and every unit counted once.
pub fn convert_bytes(data: &[u8], format: InputFormat) {
    let params = Params::from_pairs(&[("company_code", "KM2")]);
    let prepared = mapping().prepare(&params).expect("params");
    let options = Options {
        input_format: Some(format),
        threads: 1,
        ..Options::default()
    };
    let mut sink = Counting {
        accepted: 0,
        rejected: 0,
    };
    let input = Input {
        name: "fuzz".into(),
        reader: Box::new(data),
    };
    match convert(&prepared, vec![input], &options, &mut sink) {
        Ok(report) => {
            let c = &report.counts;
            assert_eq!(c.units, c.accepted + c.rejected + c.skipped, "{c:?}");
            assert_eq!(sink.rejected, c.rejected, "{c:?}");
            assert!(sink.accepted >= c.accepted, "{c:?}");
        }
        // A JSON or XML document that does not parse, or a CSV header row
        // that cannot be read, is refused whole (exit 3, with the reason).
        Err(ConvertError::Malformed(..) | ConvertError::Read(..)) => {}
        // The sink never fails.
        Err(e @ ConvertError::Write(_)) => panic!("{e}"),
    }
}
