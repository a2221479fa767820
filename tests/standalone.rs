//! The `mapwright` binary away from its checkout: a copy of it in an empty
//! folder still knows the shipped schemas (they are built in) and converts
//! the shipped example exactly as it does in the checkout.

mod common;
use common::copy_tree;
use common::root;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary copied into `dir`, run from `dir`.
fn copied_binary(dir: &Path) -> PathBuf {
    let bin = dir.join("mapwright");
    std::fs::copy(assert_cmd::cargo::cargo_bin("mapwright"), &bin).unwrap();
    bin
}

fn run(bin: &Path, cwd: &Path, args: &[&str]) -> (i32, String, String) {
    // A binary just copied can be "busy" (ETXTBSY) while a child forked by
    // another test thread still holds the copy's write handle: try again.
    let mut tries = 0;
    let out = loop {
        match Command::new(bin)
            .current_dir(cwd)
            .env_remove("MAPWRIGHT_SCHEMAS")
            .args(args)
            .output()
        {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other.unwrap(),
        }
    };
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_copied_binary_lists_every_shipped_schema_as_built_in() {
    let dir = scratch("list");
    let bin = copied_binary(&dir);
    let (code, out, err) = run(&bin, &dir, &["schema", "list"]);
    assert_eq!(code, 0, "{err}");
    let shipped: Vec<String> = std::fs::read_dir(root().join("schemas"))
        .unwrap()
        .flatten()
        .filter(|s| s.path().is_dir())
        .flat_map(|s| {
            let system = s.file_name().to_string_lossy().into_owned();
            std::fs::read_dir(s.path())
                .unwrap()
                .flatten()
                .filter(|f| f.path().extension().is_some_and(|e| e == "yaml"))
                .map(move |f| {
                    format!(
                        "{system}.{}",
                        f.path().file_stem().unwrap().to_string_lossy()
                    )
                })
        })
        .collect();
    assert!(shipped.len() >= 15, "{shipped:?}");
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(listed.len(), shipped.len(), "{out}");
    for name in &shipped {
        assert!(
            listed.iter().any(|l| *l
                == format!(
                    "{name}\tbuilt in (schemas/{}.yaml)",
                    name.replacen('.', "/", 1)
                )),
            "{name} is not listed as built in:\n{out}"
        );
    }
}

#[test]
fn a_copied_binary_converts_the_shipped_example_as_the_checkout_does() {
    let dir = scratch("convert");
    let bin = copied_binary(&dir);
    copy_tree(
        &root().join("mappings/oneserve-spectrum"),
        &dir.join("mappings/oneserve-spectrum"),
    );
    copy_tree(
        &root().join("mappings/shared"),
        &dir.join("mappings/shared"),
    );
    let args = [
        "convert",
        "-m",
        "mappings/oneserve-spectrum/order.yaml",
        "mappings/oneserve-spectrum/examples/orders.ndjson",
        "--param",
        "company_code=KM2",
        "--output-format",
        "ndjson",
    ];
    let (code, away, err) = run(&bin, &dir, &args);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("200 input records, 200 units: 187 accepted, 13 rejected, 0 skipped"),
        "{err}"
    );
    let (_, home, _) = run(&assert_cmd::cargo::cargo_bin("mapwright"), &root(), &args);
    assert_eq!(away.lines().count(), 187);
    assert_eq!(away, home);
}

#[test]
fn a_project_schema_overrides_the_built_in_one_of_the_same_name() {
    let dir = scratch("override");
    let bin = copied_binary(&dir);
    std::fs::create_dir_all(dir.join("schemas/spectrum")).unwrap();
    let own = "schema: spectrum.purchase_order_batch\nsystem: Spectrum\nformat: json\nrecord: po\ntypes:\n  po:\n    fields:\n      Company_Code: {type: text, max: 3, required: true}\n";
    std::fs::write(dir.join("schemas/spectrum/purchase_order_batch.yaml"), own).unwrap();
    let (code, out, err) = run(&bin, &dir, &["schema", "list"]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("spectrum.purchase_order_batch\t"))
        .unwrap();
    assert!(
        line.ends_with("schemas/spectrum/purchase_order_batch.yaml") && !line.contains("built in"),
        "{line}"
    );
    let result = out
        .lines()
        .find(|l| l.starts_with("spectrum.purchase_order_batch_result\t"))
        .unwrap();
    assert!(result.contains("built in"), "{result}");
}

/// A folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    common::fresh("standalone", name)
}

/// `bench/run.sh 2000` (the must-show) is quick: its memory runs
/// scale with COUNT and are skipped below 10,000 requests, instead of
/// always going on to 10,000 and 1,000,000.
#[test]
fn the_benchmark_memory_runs_scale_with_the_count() {
    for (count, want) in [
        ("2000", "memory runs: none\n"),
        ("100000", "memory runs: 10000 1000000\n"),
        ("50000", "memory runs: 5000 500000\n"),
    ] {
        let out = Command::new("bash")
            .arg(root().join("bench/run.sh"))
            .arg(count)
            .env("MEMORY_SIZES", "1")
            .env_remove("MEMORY")
            .output()
            .expect("bash runs");
        assert_eq!(out.status.code(), Some(0), "{count}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{count}");
    }
}
