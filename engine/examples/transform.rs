//! Embedding mapwright in an ETL job: load a mapping once, prepare it with
//! the customer's params once, then transform records one at a time and
//! read the results as values.
//!
//! Run from the repository root:
//!     cargo run -p mapwright --example transform

use std::io::BufRead;

use mapwright::{Mapping, Outcome, Params};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mapping = Mapping::from_path("mappings/oneserve-spectrum/order.yaml".as_ref())?;
    let params = Params::from_pairs(&[("company_code", "KM2")]);
    let job = mapping.prepare(&params)?;

    let input = std::fs::File::open("mappings/oneserve-spectrum/examples/orders.ndjson")?;
    let (mut accepted, mut rejected) = (0, 0);
    for line in std::io::BufReader::new(input).lines().take(50) {
        let record: mapwright::Value = serde_json::from_str(&line?)?;
        match job.transform(&record) {
            Outcome::Accepted { record, .. } => {
                accepted += 1;
                if accepted == 1 {
                    println!("first purchase order: {record}");
                }
            }
            Outcome::Rejected(errors) => {
                rejected += 1;
                for e in errors {
                    println!(
                        "{} rejected: {} at {}: {}",
                        record["order_request_id"], e.rule, e.path, e.message
                    );
                }
            }
            Outcome::Skipped(reason) => println!("skipped: {reason}"),
            // Outcome is #[non_exhaustive]: a later version may add one.
            other => println!("{other:?}"),
        }
    }
    println!("{accepted} accepted, {rejected} rejected");
    Ok(())
}
