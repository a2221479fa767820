//! `gen-orders COUNT [SEED] [--csv [--shuffle]]`: generated Oneserve order
//! requests on stdout, NDJSON by default, or the CSV of activity lines that
//! mappings/oneserve-spectrum/order.yaml reads. See the library for the shape.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let csv = args.iter().any(|a| a == "--csv");
    let shuffle = args.iter().any(|a| a == "--shuffle");
    let numbers: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(count), seed) = (
        numbers.first().and_then(|c| c.parse::<usize>().ok()),
        numbers.get(1).map(|s| s.parse::<u64>()),
    ) else {
        eprintln!("usage: gen-orders COUNT [SEED] [--csv [--shuffle]]");
        return ExitCode::from(2);
    };
    let seed = match seed {
        None => mapwright_gen::DEFAULT_SEED,
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            eprintln!("gen-orders: SEED must be a whole number");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = if csv {
        mapwright_gen::write_csv(&mut out, count, seed, shuffle)
    } else {
        mapwright_gen::write_ndjson(&mut out, count, seed)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`gen-orders 1000000 | head`) is not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-orders: {e}");
            ExitCode::from(3)
        }
    }
}
