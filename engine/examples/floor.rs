//! The benchmark's floor: read NDJSON records into `serde_json::Value` and
//! write them back out, with no mapping. mapwright's throughput is reported
//! as a fraction of this (see bench/run.sh).
//!
//!     cargo run --release -p mapwright --example floor < in.ndjson > out.ndjson

use std::io::{BufRead, BufWriter, Write};

// The same allocator as the mapwright binary, so the ratio compares like with like.
#[path = "../../cli/src/alloc.rs"]
mod alloc;
#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut line = Vec::new();
    let mut input = std::io::BufReader::with_capacity(1 << 16, stdin);
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&line).map_err(std::io::Error::other)?;
        serde_json::to_writer(&mut out, &v)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
