//! The sign-off page in a real browser: headless Chromium (Debian's
//! `chromium` package) parses the page, prints it to PDF and takes a
//! screenshot. It needs Chromium and poppler's pdftotext, which a plain
//! `cargo test` does not install, so it is ignored there;
//! `tests/browser/run.sh` installs both and runs it, and `.ci/run` runs that.
//! With `MAPWRIGHT_SCREENSHOT=PATH` the screenshot is also copied to PATH:
//! `docs/signoff-example.png` is made that way.

mod common;

use std::path::Path;
use std::process::Command;

use common::{mapwright, run};

const CUSTOMER: &str = "mappings/oneserve-spectrum/customers/example/order.yaml";

/// The fields of the customer's effective mapping: 11 header fields, the
/// `poDetails` list, its 9 fields of a non-stock line and the 2 of a
/// message line.
const FIELDS: usize = 23;

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_string())
}

/// Chromium, headless, with its profile in `dir` (nothing in $HOME).
fn browse(dir: &Path, args: &[&str]) -> std::process::Output {
    let profile = format!("--user-data-dir={}", dir.join("profile").display());
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(profile)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}; tests/browser/run.sh installs it",
                chromium()
            )
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
#[ignore = "needs chromium and pdftotext: run tests/browser/run.sh"]
fn the_sign_off_page_parses_prints_and_shows_in_chromium() {
    let dir = common::folder("signoff-browser", "page");
    let (code, html, err) = run(mapwright(&common::root()).args([
        "doc",
        "-m",
        CUSTOMER,
        "--param",
        "company_code=KM2",
        "--format",
        "html",
    ]));
    assert_eq!(code, 0, "{err}");
    let page = dir.join("signoff.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.display());

    // The page as Chromium parsed it: every field row is still inside the
    // field table (a misnested tag would make the parser move rows out of
    // it), and the overlay's fields are marked with their layer.
    let dom = String::from_utf8(browse(&dir, &["--dump-dom", &url]).stdout).unwrap();
    assert!(
        dom.contains("<title>oneserve-order-to-spectrum-customer-x</title>"),
        "{dom}"
    );
    let table = dom
        .split("<table class=\"fields\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("no field table in {dom}"));
    assert_eq!(table.matches(" data-field=\"").count(), FIELDS, "{table}");
    assert_eq!(dom.matches(" data-field=\"").count(), FIELDS);
    // Vendor_Code too: the base's spec, but the overlay's lookup.
    for (field, layer) in [
        ("/Batch_Code", "order.yaml"),
        ("/Comment", "order.yaml"),
        ("/Vendor_Code", "../../order.yaml"),
    ] {
        let row =
            format!("class=\"depth-0 overlay\" data-field=\"{field}\" data-layer=\"{layer}\"");
        assert!(table.contains(&row), "{field}: {table}");
    }
    assert!(table
        .contains("class=\"depth-0\" data-field=\"/Job_Number\" data-layer=\"../../order.yaml\""));

    // Printed, as a customer would: the words on the pages.
    let pdf = dir.join("signoff.pdf");
    browse(
        &dir,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
            &url,
        ],
    );
    let text = Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        text.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&text.stderr)
    );
    let text = String::from_utf8_lossy(&text.stdout);
    for words in [
        "oneserve-order-to-spectrum-customer-x",
        "Batch Code. If left blank, assign",
        "CUSTX",
        "CX-ACME",
        "team-assigned",
        "Signed off",
        "the implementation partner",
    ] {
        assert!(text.contains(words), "{words:?} not printed:\n{text}");
    }
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 2, "{pages} page(s):\n{text}");

    // The screenshot the docs keep.
    let png = dir.join("signoff.png");
    browse(
        &dir,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1400,2000",
            "--hide-scrollbars",
            &url,
        ],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("MAPWRIGHT_SCREENSHOT") {
        std::fs::write(keep, bytes).unwrap();
    }
}
