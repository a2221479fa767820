//! `mapwright doc`: the sign-off document (issue 13, item 4), in Markdown
//! and as one self-contained HTML page. The page in a real browser is
//! tests/signoff_browser.rs.

mod common;

use common::{mapwright, run};

const CUSTOMER: &str = "mappings/oneserve-spectrum/customers/example/order.yaml";

fn doc(args: &[&str]) -> (i32, String, String) {
    run(mapwright(&common::root()).arg("doc").args(args))
}

/// The row of `field` in the Markdown field table.
fn row<'d>(doc: &'d str, field: &str) -> &'d str {
    doc.lines()
        .find(|l| l.starts_with(&format!("| `{field}` |")))
        .unwrap_or_else(|| panic!("no row for {field}:\n{doc}"))
}

#[test]
fn each_field_has_the_vendors_words_its_value_in_plain_words_and_its_layer() {
    let (code, md, err) = doc(&["-m", CUSTOMER, "--param", "company_code=KM2"]);
    assert_eq!(code, 0, "{err}");
    // The overlay's three fields name the overlay; the rest the base.
    for (field, layer) in [
        ("/Batch_Code", "order.yaml:10"),
        ("/Comment", "order.yaml:11"),
        ("/Job_Number", "../../order.yaml:30"),
        ("/poDetails/*/Item_Price", "../../order.yaml:49"),
    ] {
        assert!(
            row(&md, field).ends_with(&format!("| {layer} |")),
            "{}",
            row(&md, field)
        );
    }
    // Spectrum's own description of Batch_Code (schemas/spectrum), from the
    // seed's header table: "Batch Code. If left blank, assign Operator code".
    assert!(
        row(&md, "/Batch_Code").contains(
            "| Batch Code. If left blank, assign Operator code (from Authorization\\_ID). | always \"CUSTX\" |"
        ),
        "{}",
        row(&md, "/Batch_Code")
    );
    // The lookup the overlay swapped in, by its key column, with the rule
    // and message a miss gives.
    assert!(
        row(&md, "/Vendor_Code").contains(
            "looked up in `vendors` (see its Lookup, declared in order.yaml) by the source field `activities[0].team.name`; if it cannot be built, rejected as `vendor-mapped`: team '{{ activities\\[0\\].team.name }}' has no Spectrum vendor code"
        ),
        "{}",
        row(&md, "/Vendor_Code")
    );
    // Modifiers in words; a list entry's condition on its fields.
    assert!(row(&md, "/PO_Order_Date")
        .contains("copied from the source field `requested_at`; written as the date `MM/DD/CCYY`"));
    assert!(
        row(&md, "/poDetails/*/Message")
            .contains("cut to 250 characters | in the entry written when `!blank(note)` |"),
        "{}",
        row(&md, "/poDetails/*/Message")
    );
    assert!(
        md.contains("Layers, base first: ../../order.yaml -> order.yaml."),
        "{md}"
    );
}

#[test]
fn params_show_the_values_used_and_rules_their_messages() {
    let (code, md, err) = doc(&["-m", CUSTOMER, "--param", "company_code=KM2"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("| `company_code` | text, required | \"KM2\" | none |"),
        "{md}"
    );
    assert!(
        md.contains("| `batch_code` | text | empty text | empty text |"),
        "{md}"
    );
    // Without the param, the document says it was not given.
    let (_, bare, _) = doc(&["-m", CUSTOMER]);
    assert!(
        bare.contains("| `company_code` | text, required | not given | none |"),
        "{bare}"
    );
    // The source rules with their messages and the vendor's words (Oneserve's
    // "Activity Purchase Order Integration": "If you have not populated a team
    // against one or more activities the order will not generate.").
    assert!(md.contains("- `team-assigned` (error, each item of `activities`): `team != ()`. Message: \"activity {{ id }} has no team; assign a Sub-Contract team before ordering\". Why: If you have not populated a team against one or more activities the order will not generate."), "{md}");
    // The target's cross-field rules, with where they are written.
    assert!(
        md.contains("### Rules of spectrum.purchase_order_batch on every record"),
        "{md}"
    );
    assert!(md.contains("- `job-or-warehouse` (error, each `purchase_order`): requires one of `Job_Number`, `Warehouse_Code`."), "{md}");
}

#[test]
fn lookups_are_listed_with_their_rows() {
    let (code, md, err) = doc(&["-m", CUSTOMER, "--param", "company_code=KM2"]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("## Lookup `vendors`\n\nDeclared at `order.yaml:8`. From `lookups/vendors.csv`, by `team_name`; 4 rows; a key it does not hold rejects the record.\n\n| `team_name` | `vendor_code` |\n|---|---|\n| Acme Plumbing | CX-ACME |\n"), "{md}");
    assert!(
        md.contains(
            "a key it does not hold gives `{\"Phase_Code\":\"000900\",\"Cost_Type\":\"S\"}`."
        ),
        "{md}"
    );
}

/// A lookup of more than 25 rows shows 10 and says how many it has.
#[test]
fn a_large_lookup_shows_a_sample_and_its_count() {
    let dir = common::demo_project("signoff", "large");
    let mut csv = String::from("k,v\n");
    for i in 0..40 {
        csv.push_str(&format!("key{i:02},value{i:02}\n"));
    }
    std::fs::write(dir.join("codes.csv"), csv).unwrap();
    std::fs::write(
        dir.join("m.yaml"),
        "mapping: rows\ntarget: demo.row\nlookups:\n  codes: {file: codes.csv, key: k, value: v}\nrecord:\n  id: {lookup: codes, key: = id}\n  n: = name\n",
    )
    .unwrap();
    let (code, md, err) = run(mapwright(&dir).args(["doc", "-m", "m.yaml"]));
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("From `codes.csv`, by `k`; 40 rows;"), "{md}");
    assert!(
        md.contains("| key09 | value09 |\n\n10 of its 40 rows are shown."),
        "{md}"
    );
    assert!(!md.contains("key10"), "{md}");
}

#[test]
fn the_html_page_is_self_contained_and_escapes_what_it_quotes() {
    let dir = common::demo_project("signoff", "escape");
    std::fs::write(
        dir.join("m.yaml"),
        "mapping: rows\ndoc: \"<script>alert('doc')</script> & more\"\ntarget: demo.row\nrecord:\n  id: {expr: id, doc: \"<img src=x onerror=alert(1)>\"}\n  n: = name + \"<b>\"\n",
    )
    .unwrap();
    let (code, html, err) = run(mapwright(&dir).args(["doc", "-m", "m.yaml", "--format", "html"]));
    assert_eq!(code, 0, "{err}");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&#39;doc&#39;)&lt;/script&gt; &amp; more"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(
        html.contains("<code>name + &quot;&lt;b&gt;&quot;</code>"),
        "{html}"
    );
    // Nothing to fetch and nothing to run: no script, link, image, frame,
    // import or url() of any kind.
    for bad in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(",
    ] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    // Quoted text is escaped, so every `<` opens a tag the page wrote.
    for tag in html
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default())
    {
        assert!(!tag.contains(" src=") && !tag.contains(" href="), "<{tag}>");
    }
    // Every field of the mapping is a row the page marks.
    assert_eq!(
        html.matches("<tr class=\"depth-0\" data-field=").count(),
        2,
        "{html}"
    );
}

#[test]
fn bad_params_are_a_usage_error_and_secrets_stay_out() {
    let (code, out, err) = doc(&["-m", CUSTOMER, "--param", "compny_code=KM2"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("unknown param 'compny_code' (did you mean 'company_code'?)"),
        "{err}"
    );
    let (code, _, err) = doc(&["-m", CUSTOMER, "--format", "pdf"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("invalid value for '--format <FORMAT>'")
            && err.contains("[possible values: md, html]"),
        "{err}"
    );
}

/// The target's limits in full: Synergetic's "Decimal(4,2)" is four
/// digits with two places.
#[test]
fn what_the_target_requires_includes_its_digits() {
    let (code, md, err) = doc(&["-m", "mappings/oneserve-synergetic/order.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        row(&md, "/VersionNumber")
            .ends_with("| always 2.5 |  | decimal, required, 4 digits, 2 places | order.yaml:35 |"),
        "{}",
        row(&md, "/VersionNumber")
    );
}

/// Pruvan's status matrix, a decision table in the target schema, with the
/// file its rows are written in and each row by line; no path in the
/// document is this machine's.
#[test]
fn a_decision_table_is_listed_row_by_line_with_its_file() {
    let (code, md, err) = doc(&[
        "-m",
        "mappings/oneserve-pruvan/create.yaml",
        "--param",
        "mode=external",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("## Decision table `status_matrix`\n\nWritten in `../../schemas/pruvan/work_orders.yaml`, row by line; it gives the one row that matches (two matching is an error);"), "{md}");
    // The seed's matrix: Create, No Particular Status (not set): "Status
    // Field "Unassigned", Client Status "Order Created"".
    assert!(md.contains("| 212 | \\* | create |  | allowed | Order Created |  | Status Field \"Unassigned\", Client Status \"Order Created\" |"), "{md}");
    assert!(
        md.contains("| `mode` | text, required | \"external\" | none |"),
        "{md}"
    );
    let root = common::root().display().to_string();
    assert!(!md.contains(&root), "{md}");
}

/// A secret never reaches the document, whatever HTML escapes in it and
/// however it reaches a secret field: a param's default or given value
/// quoted in an expression, a message or a rule's doc; a constant, a
/// default or a lookup's rows that a secret target field gets.
#[test]
fn secrets_stay_out_of_both_forms() {
    let dir = common::fresh("signoff", "secrets");
    std::fs::create_dir_all(dir.join("schemas/demo")).unwrap();
    std::fs::write(
        dir.join("schemas/demo/row.yaml"),
        "schema: demo.row\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text}\n      token: {type: text, secret: true}\n      key: {type: text, secret: true}\n      pin: {type: text, secret: true}\n",
    )
    .unwrap();
    std::fs::write(dir.join("keys.csv"), "team,key\nA,KEYROW-ALPHA-7781\n").unwrap();
    std::fs::write(
        dir.join("m.yaml"),
        concat!(
            "mapping: rows\ntarget: demo.row\n",
            "params:\n  pw: {type: text, secret: true, default: \"Tok3n&Sh0rt'<x>\"}\n",
            "lookups:\n  keys: {file: keys.csv, key: team, value: key}\n",
            "rules:\n  - id: not-default\n    assert: = params.pw != \"Tok3n&Sh0rt'<x>\"\n",
            "    message: \"the default pw is Tok3n&Sh0rt'<x>, change it\"\n",
            "    doc: \"never Tok3n&Sh0rt'<x>\"\n",
            "record:\n  id: = id\n  token: CONST-TOKEN-5512\n",
            "  key: {lookup: keys, key: = id}\n",
            "  pin: {expr: pin, default: DEFAULT-PIN-9034}\n",
        ),
    )
    .unwrap();
    for format in ["md", "html"] {
        let (code, out, err) = run(mapwright(&dir).args([
            "doc",
            "-m",
            "m.yaml",
            "--format",
            format,
            "--param",
            "pw=GIVEN&'<pw>",
        ]));
        assert_eq!(code, 0, "{err}");
        for secret in [
            "Tok3n",
            "Sh0rt",
            "CONST-TOKEN",
            "KEYROW-ALPHA",
            "DEFAULT-PIN",
            "GIVEN",
            "&amp;Sh0rt",
        ] {
            assert!(!out.contains(secret), "{format}: {secret} in\n{out}");
        }
        assert!(out.contains("(secret)"), "{out}");
    }
}

/// Markdown takes `<`, `*`, `_`, `[` and backticks as markup: the
/// mapping's words and a lookup's rows are escaped, code spans kept.
#[test]
fn markdown_escapes_what_it_quotes() {
    let dir = common::demo_project("signoff", "md-escape");
    std::fs::write(
        dir.join("codes.csv"),
        "k,v\n<script>alert(1)</script>,*star*_und_`tick`\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("m.yaml"),
        "mapping: rows\ndoc: \"<b>bold</b> & [link](x)\"\ntarget: demo.row\nlookups:\n  codes: {file: codes.csv, key: k, value: v}\nrecord:\n  id: {lookup: codes, key: = id, rule: coded, message: \"</td><script>\"}\n  n: = name\n",
    )
    .unwrap();
    let (code, md, err) = run(mapwright(&dir).args(["doc", "-m", "m.yaml"]));
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("\\<b\\>bold\\</b\\> \\& \\[link\\](x)"), "{md}");
    assert!(
        md.contains("| \\<script\\>alert(1)\\</script\\> | \\*star\\*\\_und\\_\\`tick\\` |"),
        "{md}"
    );
    assert!(
        md.contains("rejected as `coded`: \\</td\\>\\<script\\>"),
        "{md}"
    );
    assert!(!md.contains("<script>") && !md.contains("<b>"), "{md}");
}

/// With several routes the document says how one is chosen (docs/mappings.md
/// "Routes": the first whose `when` holds builds the unit; no match is a skip).
#[test]
fn routes_say_how_one_is_chosen() {
    let (code, md, err) = doc(&[
        "-m",
        "mappings/o2o/primary-to-secondary.yaml",
        "--params",
        "mappings/o2o/examples/primary-params.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("Routes are tried in the order below: the first whose condition holds builds the record, and a record no route takes is skipped, its reason naming the routes tried."), "{md}");
    assert!(md.contains("## Route create-job, when `"), "{md}");
}
