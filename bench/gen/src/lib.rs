//! Deterministic generated Oneserve activity order requests, the workload of
//! mapwright's benchmark (`bench/run.sh`) and of the tests that need more
//! records than the shipped examples.
//!
//! Each request has the shape of `schemas/oneserve/activity_order_request.yaml`
//! (and of `mappings/oneserve-spectrum/examples/orders.ndjson`): a job with
//! its site and contact, and one to five activities on one Sub-Contract
//! team. About 6% break one of Oneserve's create-order rules on purpose
//! (`mappings/shared/oneserve-create-order-rules.yaml`), so a mapping has
//! rejections to report: no team, a team that is not Sub-Contract,
//! activities on two teams, an existing order whose status does not allow
//! edits, or a unit cost other than 1.00.
//!
//! Every request is drawn from its own random stream, seeded by the run's
//! seed and its number, so the same count and seed always give the same
//! bytes, and the CSV form can be written shuffled without holding the file.

use std::io::{self, Write};

use serde_json::{json, Value};

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 7;

const TEAMS: [(&str, &str); 5] = [
    ("Acme Plumbing", "Sub-Contract"),
    ("Brightspark Electrical", "Sub-Contract"),
    ("Northern Roofing Ltd", "Sub-Contract"),
    ("Greenway Grounds", "Sub-Contract"),
    ("In-House Repairs", "Internal"),
];
const SORS: [(&str, &str, &str); 7] = [
    ("PLB001", "Replace kitchen mixer tap", "EA"),
    ("PLB014", "Clear blocked waste pipe up to 3m", "EA"),
    ("ELE102", "Replace single socket outlet", "EA"),
    (
        "ELE230",
        "Periodic electrical inspection and test of dwelling",
        "EA",
    ),
    (
        "ROF007",
        "Replace up to 10 slipped or missing roof tiles",
        "M2",
    ),
    (
        "GRD003",
        "Cut back overgrown hedge, remove arisings from site",
        "M",
    ),
    (
        "GEN999",
        "Subcontract works as per attached quotation",
        "EA",
    ),
];
const CITIES: [(&str, &str, &str); 3] = [
    ("Round Rock", "TX", "78664"),
    ("Leeds", "WY", "LS1 4AP"),
    ("Austin", "TX", "78701"),
];
const PRIORITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];
const NOTES: [&str; 4] = [
    "",
    "",
    "Access via side gate",
    "Tenant works nights; call before 10:00",
];
const QUANTITIES: [f64; 7] = [25.0, 60.0, 75.0, 120.0, 249.5, 1500.0, 4200.0];

/// The columns of the CSV of activity lines, in order: the request's
/// columns repeated on each row, then the activity's.
pub const CSV_COLUMNS: [&str; 38] = [
    "order_request_id",
    "requested_at",
    "requested_by_user",
    "requested_by_user_type",
    "job_ref",
    "job_version",
    "job_status",
    "job_priority",
    "job_client",
    "job_description",
    "job_target_date",
    "site_ref",
    "site_address1",
    "site_address2",
    "site_city",
    "site_state",
    "site_postcode",
    "contact_ref",
    "contact_name",
    "contact_phone",
    "activity_id",
    "sor_code",
    "description",
    "unit_cost",
    "quantity",
    "completed_quantity",
    "uom",
    "team_id",
    "team_name",
    "team_type",
    "status_id",
    "status_name",
    "status_default",
    "status_allow_edit",
    "order_reference",
    "order_status",
    "order_quantity",
    "note",
];

/// SplitMix64: small, fast and good enough to pick from short lists; the
/// point is determinism, not statistics.
struct Rng(u64);

impl Rng {
    fn for_request(seed: u64, n: usize) -> Rng {
        let mut r = Rng(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn team(i: usize) -> Value {
    json!({"id": i + 1, "name": TEAMS[i].0, "type": TEAMS[i].1})
}

fn status(raised: bool) -> Value {
    if raised {
        json!({"id": 5, "name": "Order Raised", "default": false, "allow_edit": false})
    } else {
        json!({"id": 4, "name": "Order Requested", "default": true, "allow_edit": false})
    }
}

fn activity(rng: &mut Rng, id: usize, team_index: usize) -> Value {
    let (sor, description, uom) = rng.pick(&SORS);
    json!({
        "id": id,
        "sor_code": sor,
        "description": description,
        "unit_cost": 1.0,
        "quantity": quantity(*rng.pick(&QUANTITIES)),
        "completed_quantity": 0,
        "uom": uom,
        "team": team(team_index),
        "status": status(false),
        "order": null,
        "note": rng.pick(&NOTES),
    })
}

/// Whole quantities are written as integers (`60`), others as decimals
/// (`249.5`), as Oneserve's export writes them.
fn quantity(q: f64) -> Value {
    if q.fract() == 0.0 {
        json!(q as i64)
    } else {
        json!(q)
    }
}

/// Request number `n` of the run seeded with `seed`.
pub fn request(seed: u64, n: usize) -> Value {
    let rng = &mut Rng::for_request(seed, n);
    let team_index = rng.below(4);
    let (city, state, postcode) = rng.pick(&CITIES);
    let day = 1 + n % 28;
    let count = 1 + rng.below(5);
    let mut activities: Vec<Value> = (0..count)
        .map(|i| activity(rng, 5000 + n * 10 + i, team_index))
        .collect();
    let priority = rng.pick(&PRIORITIES);
    break_a_rule(rng, n, team_index, &mut activities);
    json!({
        "order_request_id": format!("ORQ-{n:06}"),
        "requested_at": format!("2026-11-{day:02}T{:02}:{:02}:00Z", 8 + n % 9, n % 60),
        "requested_by": {"user": format!("user{:03}", n % 200), "user_type": "Contract Manager"},
        "job": {
            "ref": format!("J{:06}", 100_000 + n),
            "version": 1 + n % 3,
            "status": "In Progress",
            "priority": priority,
            "client": "Northside Housing",
            "description": format!("Repairs reported by tenant, ref {n}"),
            "target_date": format!("2026-12-{day:02}T17:00:00Z"),
            "site": {
                "ref": format!("S-{:05}", n % 5000),
                "address1": format!("{} East Main", 1 + n % 400),
                "address2": "",
                "city": city,
                "state": state,
                "postcode": postcode,
            },
            "contact": {
                "ref": format!("C-{:05}", n % 9000),
                "name": format!("Tenant {n}"),
                "phone": format!("555-111-{:04}", n % 10_000),
            },
        },
        "activities": activities,
    })
}

/// About one request in 17 breaks one create-order rule, in equal shares.
fn break_a_rule(rng: &mut Rng, n: usize, team_index: usize, activities: &mut [Value]) {
    let fault = rng.unit();
    let last = activities.len() - 1;
    if fault < 0.012 {
        activities[0]["team"] = Value::Null;
    } else if fault < 0.024 {
        activities[0]["team"] = team(4);
    } else if fault < 0.036 && last > 0 {
        activities[last]["team"] = team((team_index + 1) % 4);
    } else if fault < 0.048 {
        let first = &mut activities[0];
        first["status"] = status(true);
        let quantity = first["quantity"].clone();
        first["order"] =
            json!({"reference": format!("PO{n:05}"), "status": "Open", "quantity": quantity});
    } else if fault < 0.060 {
        activities[0]["unit_cost"] = json!(12.5);
    }
}

/// `count` requests, one JSON line each.
pub fn write_ndjson(out: &mut impl Write, count: usize, seed: u64) -> io::Result<()> {
    for n in 0..count {
        serde_json::to_writer(&mut *out, &request(seed, n))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The same requests as a CSV of activity lines (a header, then one row
/// per activity). `shuffle` scatters the rows of each request across the
/// file (deterministically): the unsorted input that grouping must handle.
pub fn write_csv(out: &mut impl Write, count: usize, seed: u64, shuffle: bool) -> io::Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    // Shuffled, row r of request n is written in pass start(n) + r of
    // BUCKETS passes over the requests: a request's rows land far apart
    // (without holding the file) but keep their order, so the grouped
    // units equal the NDJSON requests.
    const MAX_ROWS: usize = 5;
    const BUCKETS: usize = 8;
    let passes = if shuffle { BUCKETS } else { 1 };
    for pass in 0..passes {
        for n in 0..count {
            let req = request(seed, n);
            for (r, row) in csv_rows(&req).into_iter().enumerate() {
                let start = (n * 7 + n / 5) % (BUCKETS - MAX_ROWS + 1);
                if shuffle && start + r != pass {
                    continue;
                }
                write_row(out, &row)?;
            }
        }
    }
    Ok(())
}

/// A request's activity lines, as the CSV's columns.
pub fn csv_rows(req: &Value) -> Vec<Vec<String>> {
    let job = &req["job"];
    let (site, contact) = (&job["site"], &job["contact"]);
    let empty = json!({});
    let acts = req["activities"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    acts.iter()
        .map(|a| {
            let team = if a["team"].is_null() {
                &empty
            } else {
                &a["team"]
            };
            let order = if a["order"].is_null() {
                &empty
            } else {
                &a["order"]
            };
            let status = &a["status"];
            [
                &req["order_request_id"],
                &req["requested_at"],
                &req["requested_by"]["user"],
                &req["requested_by"]["user_type"],
                &job["ref"],
                &job["version"],
                &job["status"],
                &job["priority"],
                &job["client"],
                &job["description"],
                &job["target_date"],
                &site["ref"],
                &site["address1"],
                &site["address2"],
                &site["city"],
                &site["state"],
                &site["postcode"],
                &contact["ref"],
                &contact["name"],
                &contact["phone"],
                &a["id"],
                &a["sor_code"],
                &a["description"],
                &a["unit_cost"],
                &a["quantity"],
                &a["completed_quantity"],
                &a["uom"],
                &team["id"],
                &team["name"],
                &team["type"],
                &status["id"],
                &status["name"],
                &status["default"],
                &status["allow_edit"],
                &order["reference"],
                &order["status"],
                &order["quantity"],
                &a["note"],
            ]
            .iter()
            .map(|v| cell(v))
            .collect()
        })
        .collect()
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write_row(out: &mut impl Write, row: &[String]) -> io::Result<()> {
    for (i, c) in row.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if c.contains([',', '"', '\n', '\r']) {
            write!(out, "\"{}\"", c.replace('"', "\"\""))?;
        } else {
            out.write_all(c.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        write_ndjson(&mut a, 50, 7).unwrap();
        write_ndjson(&mut b, 50, 7).unwrap();
        write_ndjson(&mut c, 50, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn about_six_percent_break_a_rule() {
        let broken = (0..10_000)
            .filter(|&n| {
                let r = request(DEFAULT_SEED, n);
                r["activities"].as_array().unwrap().iter().any(|a| {
                    a["team"].is_null()
                        || a["team"]["type"] != "Sub-Contract"
                        || a["unit_cost"] != 1.0
                        || !a["order"].is_null()
                        || a["team"] != r["activities"][0]["team"]
                })
            })
            .count();
        assert!((450..750).contains(&broken), "{broken} of 10000");
    }

    #[test]
    fn shuffled_csv_holds_the_same_rows_in_another_order() {
        let (mut sorted, mut shuffled) = (Vec::new(), Vec::new());
        write_csv(&mut sorted, 40, 7, false).unwrap();
        write_csv(&mut shuffled, 40, 7, true).unwrap();
        let lines = |b: &[u8]| -> Vec<String> {
            String::from_utf8(b.to_vec())
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        };
        let (a, b) = (lines(&sorted), lines(&shuffled));
        assert_ne!(a, b);
        let (mut a2, mut b2) = (a.clone(), b.clone());
        a2.sort();
        b2.sort();
        assert_eq!(a2, b2);
        assert_eq!(a[0], CSV_COLUMNS.join(","));
        assert!(a[1..]
            .iter()
            .any(|l| l.contains("\"Cut back overgrown hedge, remove arisings from site\"")));
    }
}
