//! Test cases stored beside schemas and mappings, run by `mapwright test`
//! and by `cargo test`. A case says what goes in and exactly which errors
//! (rule and path) must come out; a failure prints the difference.

use std::path::{Path, PathBuf};

use crate::value::Value;

use crate::check::{check_payload, check_record_at, Path as CheckPath, Violation};
use crate::confine::LoadOptions;
use crate::diag::{Diagnostic, Diagnostics, Severity, Span};
use crate::file_format as ff;
use crate::mapping::{Mapping, Outcome};
use crate::params::Params;
use crate::registry::Registry;
use crate::schema::Format;
use crate::yaml::{self, span, Fields, Node};

mod inherit;

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The file the case is in.
    pub file: PathBuf,
    /// The case's name.
    pub name: String,
    /// Where an inherited case is written (the base test file that `extends:`
    /// brought in, and the case's line there); `None` for a case of `file`.
    pub inherited_from: Option<Span>,
    /// `None` when it passed; else what differed.
    pub failure: Option<String>,
}

/// An expected finding: rule, path and, optionally, the exact message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Rule id.
    pub rule: String,
    /// Path (JSON pointer or XML path).
    pub path: Option<String>,
    /// Exact message, when the case pins it.
    pub message: Option<String>,
}

/// Read an `errors:`/`warnings:` list.
pub fn expected_list(node: Option<&Node>) -> Option<Vec<Expected>> {
    let items = node?.as_seq()?;
    Some(
        items
            .iter()
            .map(|i| Expected {
                rule: i
                    .get("rule")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
                path: i.get("path").and_then(Node::scalar_text),
                message: i.get("message").and_then(Node::scalar_text),
            })
            .collect(),
    )
}

/// Compare found violations of one severity with the expected list; `None` if they agree.
pub fn compare(expected: &[Expected], found: &[&Violation]) -> Option<String> {
    let mut missing: Vec<&Expected> = Vec::new();
    let mut unmatched: Vec<&Violation> = found.to_vec();
    for e in expected {
        let pos = unmatched.iter().position(|v| {
            v.rule == e.rule
                && e.path.as_ref().is_none_or(|p| *p == v.path)
                && e.message.as_ref().is_none_or(|m| *m == v.message)
        });
        match pos {
            Some(i) => {
                unmatched.remove(i);
            }
            None => missing.push(e),
        }
    }
    if missing.is_empty() && unmatched.is_empty() {
        return None;
    }
    let mut out = String::new();
    for m in missing {
        out.push_str(&format!(
            "  - expected {} at {}{}\n",
            m.rule,
            m.path.as_deref().unwrap_or("(any path)"),
            m.message
                .as_ref()
                .map(|s| format!(" saying {s:?}"))
                .unwrap_or_default()
        ));
    }
    for v in unmatched {
        out.push_str(&format!(
            "  + got {} at {}: {}\n",
            v.rule, v.path, v.message
        ));
    }
    Some(out)
}

/// Apply `set` (pointer -> value) and `remove` (pointers) to a payload.
pub fn patch(payload: &mut Value, case: &Node) -> Result<(), String> {
    if let Some(entries) = case.get("set").and_then(Node::as_map) {
        for (k, v) in entries {
            let ptr = k.scalar_text().unwrap_or_default();
            set_pointer(payload, &ptr, v.to_json())?;
        }
    }
    if let Some(items) = case.get("remove").and_then(Node::as_seq) {
        for p in items {
            let ptr = p.scalar_text().unwrap_or_default();
            let (parent, last) = ptr
                .rsplit_once('/')
                .ok_or_else(|| format!("'{ptr}' is not a JSON pointer"))?;
            match payload.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.shift_remove(&unescape(last))
                        .ok_or_else(|| format!("remove: nothing at '{ptr}'"))?;
                }
                Some(Value::Array(a)) => {
                    let i: usize = last
                        .parse()
                        .map_err(|_| format!("remove: '{last}' is not an index"))?;
                    if i >= a.len() {
                        return Err(format!("remove: nothing at '{ptr}'"));
                    }
                    a.remove(i);
                }
                _ => return Err(format!("remove: nothing at '{parent}'")),
            }
        }
    }
    Ok(())
}

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

fn set_pointer(payload: &mut Value, ptr: &str, value: Value) -> Result<(), String> {
    let (parent, last) = ptr
        .rsplit_once('/')
        .ok_or_else(|| format!("'{ptr}' is not a JSON pointer"))?;
    match payload.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(unescape(last), value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("set: '{last}' is not an index"))?;
            let len = a.len();
            match a.get_mut(i) {
                Some(slot) => *slot = value,
                None if i == len => a.push(value),
                None => return Err(format!("set: index {i} is past the end of '{parent}'")),
            }
            Ok(())
        }
        _ => Err(format!("set: nothing at '{parent}'")),
    }
}

/// Load a payload for a case: `file:` (beside the case file), `payload:` or `xml:`.
/// XML payloads come back as the record tree plus a marker that they are XML.
fn case_payload(dir: &Path, case: &Node) -> Result<(Value, bool), String> {
    if let Some(f) = case.get("file").and_then(Node::scalar_text) {
        let path = dir.join(&f);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return parse_payload(&text);
    }
    if let Some(x) = case.get("xml").and_then(Node::scalar_text) {
        return parse_payload(&x);
    }
    match case.get("payload") {
        Some(p) => Ok((p.to_json(), false)),
        None => Err("the case has no file, payload or xml".into()),
    }
}

fn parse_payload(text: &str) -> Result<(Value, bool), String> {
    if text.trim_start().starts_with('<') {
        let (root, tree) = crate::read::parse_xml(text).map_err(|e| e.to_string())?;
        Ok((crate::json!({"root": root, "tree": tree}), true))
    } else {
        crate::read::parse_json(text.as_bytes())
            .map(|v| (v, false))
            .map_err(|e| e.to_string())
    }
}

/// Run the schema test file at `path`, already parsed as `root`.
fn run_schema_tests(
    path: &Path,
    root: &Node,
    registry: &Registry,
) -> Result<Vec<CaseResult>, Diagnostics> {
    if root.get("schema").is_none() {
        return Err(Diagnostics(vec![Diagnostic::error(
            span(path, root),
            "missing-key",
            "a test file needs `schema:`",
        )]));
    }
    let schema = load_schema(path, root, registry)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok(each_case(path, root, |case| run_case(&schema, dir, case)))
}

/// The schema a schema test file names, its diagnostics placed at `schema:`.
fn load_schema(
    path: &Path,
    root: &Node,
    registry: &Registry,
) -> Result<crate::Schema, Diagnostics> {
    let node = root.get("schema").unwrap_or(root);
    let name = node.scalar_text().unwrap_or_default();
    registry.load_schema(&name).map_err(|d| {
        Diagnostics(
            d.0.into_iter()
                .map(|mut d| {
                    if d.span.file.as_os_str().is_empty() {
                        d.span = span(path, node);
                    }
                    d
                })
                .collect(),
        )
    })
}

/// What `mapwright check` reports for a test file: [`check_test_file`],
/// and for schema cases the schema they name.
pub fn check_tests(path: &Path, registry: &Registry) -> Diagnostics {
    match load_test_file(path) {
        Err(d) => d,
        Ok(root) if root.get("schema").is_some() => {
            load_schema(path, &root, registry).err().unwrap_or_default()
        }
        Ok(root) => {
            // The mapping's own problems are reported where it is checked.
            let dir = path.parent().unwrap_or(Path::new("."));
            let mapping_file = dir.join(
                root.get("mapping")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default(),
            );
            let mut diags = Diagnostics::default();
            let suite = inherit::suite(path, &root, &mut diags);
            if let (Some(suite), Ok(m)) = (
                suite,
                Mapping::load(&mapping_file, registry, &LoadOptions::default()),
            ) {
                diags.extend(undeclared_params(path, &suite, &m));
            }
            diags
        }
    }
}

/// Params a test file gives (for every case, or in one case, its own or
/// inherited) that its mapping does not declare: each is a typo that fails
/// every case it reaches.
fn undeclared_params(path: &Path, suite: &inherit::Suite, mapping: &Mapping) -> Diagnostics {
    let declared: Vec<&str> = mapping.params.iter().map(|p| p.name.as_str()).collect();
    let mut diags = Diagnostics::default();
    let in_cases = suite
        .cases
        .iter()
        .filter_map(|c| c.get("params").and_then(Node::as_map));
    for params in std::iter::once(suite.params.as_slice()).chain(in_cases) {
        for (k, _) in params {
            let name = k.scalar_text().unwrap_or_default();
            if declared.contains(&name.as_str()) {
                continue;
            }
            diags.push(
                Diagnostic::error(
                    span(path, k),
                    "unknown-param",
                    format!(
                        "the mapping declares no param '{name}'; it takes: {}",
                        declared.join(", ")
                    ),
                )
                .with_near(&name, declared.iter().copied()),
            );
        }
    }
    diags
}

/// Run `run` on every case of a test file; a case is named by its `name:`
/// or its line.
pub fn each_case(
    path: &Path,
    root: &Node,
    mut run: impl FnMut(&Node) -> Option<String>,
) -> Vec<CaseResult> {
    root.get("cases")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .map(|case| case_result(path, case, run(case)))
        .collect()
}

/// The result of `case`, run by the test file at `path` (where it is
/// written, or a file that inherits it).
fn case_result(path: &Path, case: &Node, failure: Option<String>) -> CaseResult {
    let written_in = yaml::file_of(path, case);
    CaseResult {
        file: path.to_path_buf(),
        name: inherit::case_name(case).unwrap_or_else(|| format!("case at line {}", case.line)),
        inherited_from: (written_in != path).then(|| span(path, case)),
        failure,
    }
}

fn run_case(schema: &crate::Schema, dir: &Path, case: &Node) -> Option<String> {
    let (mut payload, is_xml) = match case_payload(dir, case) {
        Ok(p) => p,
        Err(e) => return Some(format!("  {e}\n")),
    };
    let found = if is_xml {
        let root = payload["root"].as_str().unwrap_or_default().to_string();
        let mut record = schema.record_from_xml(payload["tree"].take());
        if let Err(e) = patch(&mut record, case) {
            return Some(format!("  {e}\n"));
        }
        let mut out = Vec::new();
        if schema.root.as_deref().is_some_and(|r| r != root) {
            return Some(format!(
                "  the payload's root is <{root}>, not <{}>\n",
                schema.root.as_deref().unwrap_or("")
            ));
        }
        check_record_at(schema, &record, &CheckPath::root(schema), &mut out);
        out
    } else {
        if let Err(e) = patch(&mut payload, case) {
            return Some(format!("  {e}\n"));
        }
        if schema.format == Format::Xml {
            return Some("  an XML schema needs an XML payload\n".into());
        }
        check_payload(schema, &payload)
    };
    let errors: Vec<&Violation> = found
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .collect();
    let warnings: Vec<&Violation> = found
        .iter()
        .filter(|v| v.severity == Severity::Warning)
        .collect();
    let mut diff = String::new();
    match expected_list(case.get("errors")) {
        Some(exp) => diff.extend(compare(&exp, &errors)),
        None => diff.push_str("  the case has no `errors:` list (use [] for a clean payload)\n"),
    }
    if let Some(exp) = expected_list(case.get("warnings")) {
        diff.extend(compare(&exp, &warnings));
    }
    (!diff.is_empty()).then_some(diff)
}

/// Run a test file of either kind (schema cases or mapping cases). A file
/// that [`check_test_file`] finds wrong runs no case: like a mapping that
/// does not load, it is a problem of the file (exit 2), not a failed case.
/// The mapping under test is loaded with `options`.
pub fn run_tests_with_options(
    path: &Path,
    registry: &Registry,
    options: &LoadOptions,
) -> Result<Vec<CaseResult>, Diagnostics> {
    let root = load_test_file(path)?;
    if root.get("mapping").is_some() {
        run_mapping_tests(path, &root, registry, options)
    } else {
        run_schema_tests(path, &root, registry)
    }
}

// ---------------------------------------------------------------- checking test files

/// Read, parse and check the test file at `path`.
pub fn load_test_file(path: &Path) -> Result<Node, Diagnostics> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostics(vec![Diagnostic::error(
            Span::file(path),
            "unreadable",
            e.to_string(),
        )])
    })?;
    let root = yaml::parse(path, &text).map_err(|d| Diagnostics(vec![d]))?;
    let diags = check_test_file(path, &root);
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(root)
}

/// Check a parsed test file as strictly as a mapping file: unknown keys
/// (with a did-you-mean), a case that asserts nothing, a case without
/// input, a payload or mapping file that is not there; and for a file that
/// `extends:` another, its bases and how it merges into them.
pub fn check_test_file(path: &Path, root: &Node) -> Diagnostics {
    let mut diags = check_own(path, root);
    if !diags.has_errors() && root.get("mapping").is_some() && root.get("extends").is_some() {
        if let Some(suite) = inherit::suite(path, root, &mut diags) {
            if suite.cases.is_empty() {
                diags.push(Diagnostic::error(
                    span(path, root.get("cases").unwrap_or(root)),
                    "case-asserts-nothing",
                    "with its base's cases removed, this test file has no case: it tests nothing",
                ));
            }
        }
    }
    diags
}

/// [`check_test_file`] for the file alone, its bases not read.
fn check_own(path: &Path, root: &Node) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let is_mapping = root.get("mapping").is_some();
    let (file_section, what) = if is_mapping {
        (&ff::MAPPING_TEST_FILE, "a mapping test file")
    } else {
        (&ff::SCHEMA_TEST_FILE, "a schema test file")
    };
    let Some(mut f) = Fields::new(path, root, what, file_section, &mut diags) else {
        return diags;
    };
    for key in file_section.names() {
        f.take(key);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(m) = root.get("mapping") {
        must_exist(path, dir, m, &mut diags);
    } else if root.get("schema").is_none() {
        diags.push(Diagnostic::error(
            span(path, root),
            "missing-key",
            "a test file needs `schema:` (schema cases) or `mapping:` (mapping cases)",
        ));
    }
    let extends = is_mapping && root.get("extends").is_some();
    match root.get("cases").map(|c| (c, c.as_seq())) {
        // With a base, an empty list runs the base's cases as they are.
        Some((_, Some(cases))) if !cases.is_empty() || extends => {
            for case in cases {
                if is_mapping && inherit::is_removal(case) {
                    check_removal(path, case, extends, &mut diags);
                } else {
                    check_case(path, dir, case, is_mapping, &mut diags);
                }
            }
            unique_names(path, cases, &mut diags);
        }
        Some((c, Some(_))) => diags.push(Diagnostic::error(
            span(path, c),
            "case-asserts-nothing",
            "`cases:` is empty: a test file with no case tests nothing",
        )),
        Some((c, None)) => diags.push(Diagnostic::error(
            span(path, c),
            "wrong-shape",
            format!("`cases:` must be a list of cases, found {}", c.kind()),
        )),
        None => diags.push(Diagnostic::error(
            span(path, root),
            "missing-key",
            "a test file needs `cases:`",
        )),
    }
    f.finish(what, &mut diags);
    diags
}

/// `{name: X, remove: true}`: it drops the base's case `X`, so it needs a
/// base, a name, and nothing a case would have.
fn check_removal(path: &Path, case: &Node, extends: bool, diags: &mut Diagnostics) {
    let what = "a case removal (`{name: X, remove: true}`)";
    let Some(mut f) = Fields::new(path, case, what, &ff::MAPPING_CASE_REMOVAL, diags) else {
        return;
    };
    let (name, remove) = (f.take("name"), f.take("remove"));
    f.take("doc");
    f.finish(what, diags);
    if let Some(r) = remove.filter(|r| matches!(r.value, yaml::Value::Bool(false))) {
        diags.push(Diagnostic::error(
            span(path, r),
            "wrong-shape",
            "`remove: false` removes nothing: leave the case out, or give it as a case",
        ));
    }
    if name.is_none() {
        diags.push(Diagnostic::error(
            span(path, case),
            "missing-key",
            format!("{what} needs `name:`, the name of the base case it drops"),
        ));
    } else if !extends {
        diags.push(Diagnostic::error(
            span(path, case),
            "unknown-case",
            "`remove: true` drops a case of the base test file, and this file has no `extends:`",
        ));
    }
}

/// Case names are unique within a file: a name is how an overlay's test
/// file replaces or drops a base case, and how a failure is found.
fn unique_names(path: &Path, cases: &[Node], diags: &mut Diagnostics) {
    let mut seen: Vec<(String, u32)> = Vec::new();
    for case in cases {
        let Some(node) = case.get("name") else {
            continue;
        };
        let name = node.scalar_text().unwrap_or_default();
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, line)) => diags.push(
                Diagnostic::error(
                    span(path, node),
                    "duplicate-case",
                    format!("a case named '{name}' is already at line {line}"),
                )
                .with_help("give each case its own name"),
            ),
            None => seen.push((name, node.line)),
        }
    }
}

fn check_case(path: &Path, dir: &Path, case: &Node, is_mapping: bool, diags: &mut Diagnostics) {
    let (section, inputs, asserts) = if is_mapping {
        (
            &ff::MAPPING_CASE,
            ff::MAPPING_CASE_INPUTS,
            ff::MAPPING_CASE_ASSERTS,
        )
    } else {
        (
            &ff::SCHEMA_CASE,
            ff::SCHEMA_CASE_INPUTS,
            ff::SCHEMA_CASE_ASSERTS,
        )
    };
    let Some(mut f) = Fields::new(path, case, "a test case", section, diags) else {
        return;
    };
    for key in section.names() {
        f.take(key);
    }
    f.finish("a test case", diags);
    let name = case
        .get("name")
        .and_then(Node::scalar_text)
        .map(|n| format!("case '{n}'"))
        .unwrap_or_else(|| "the case".to_string());
    if !inputs.iter().any(|k| case.get(k).is_some()) {
        diags.push(Diagnostic::error(
            span(path, case),
            "missing-key",
            format!("{name} has no input: give one of {}", inputs.join(", ")),
        ));
    }
    if !asserts.iter().any(|k| case.get(k).is_some()) {
        diags.push(Diagnostic::error(
            span(path, case),
            "case-asserts-nothing",
            format!(
                "{name} asserts nothing, so it would pass whatever comes out: give {}",
                if is_mapping {
                    "output, output_file, output_includes, rejected, skipped, route or warnings"
                } else {
                    "errors (`errors: []` for a clean payload)"
                }
            ),
        ));
    }
    for key in ["file", "output_file"] {
        if let Some(n) = case.get(key) {
            must_exist(path, dir, n, diags);
        }
    }
    check_shapes(path, case, diags);
}

/// The lists and maps of a case have their shape, and each expected finding
/// its keys (a finding without `rule:` would match nothing).
fn check_shapes(path: &Path, case: &Node, diags: &mut Diagnostics) {
    for (key, list) in [
        ("errors", true),
        ("warnings", true),
        ("rejected", true),
        ("remove", true),
        ("set", false),
        ("params", false),
    ] {
        let Some(n) = case.get(key) else { continue };
        let ok = if list {
            n.as_seq().is_some()
        } else {
            n.as_map().is_some()
        };
        if !ok {
            diags.push(Diagnostic::error(
                span(path, n),
                "wrong-shape",
                format!(
                    "`{key}:` must be {}, found {}",
                    if list { "a list" } else { "a mapping" },
                    n.kind()
                ),
            ));
        }
    }
    for key in ["errors", "warnings", "rejected"] {
        for item in case.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
            let what = format!("an expected finding of `{key}:`");
            let Some(mut f) = Fields::new(path, item, &what, &ff::EXPECTED, diags) else {
                continue;
            };
            for k in ff::EXPECTED.names() {
                f.take(k);
            }
            f.finish(&what, diags);
            if item.get("rule").is_none() {
                diags.push(Diagnostic::error(
                    span(path, item),
                    "missing-key",
                    format!("{what} needs `rule:`"),
                ));
            }
        }
    }
}

/// A file a test file names (`mapping:`, `file:`, `output_file:`) must be there.
fn must_exist(path: &Path, dir: &Path, n: &Node, diags: &mut Diagnostics) {
    let name = n.scalar_text().unwrap_or_default();
    if !dir.join(&name).is_file() {
        diags.push(Diagnostic::error(
            span(path, n),
            "missing-file",
            format!("no file '{name}' beside {}", path.display()),
        ));
    }
}

// ---------------------------------------------------------------- mapping cases

/// Run a mapping test file: each case gives an input record (or `file:`),
/// optional `params`, and what must come out: `output` (the exact target
/// record), `rejected` (the rules, and optionally paths, of the errors) or
/// `skipped` (a part of the reason).
pub fn run_mapping_tests(
    path: &Path,
    root: &Node,
    registry: &Registry,
    options: &LoadOptions,
) -> Result<Vec<CaseResult>, Diagnostics> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mapping_file = dir.join(
        root.get("mapping")
            .and_then(Node::scalar_text)
            .unwrap_or_default(),
    );
    let mapping = Mapping::load(&mapping_file, registry, options)?;
    let mut diags = Diagnostics::default();
    let suite = inherit::suite(path, root, &mut diags);
    let Some(suite) = suite.filter(|_| !diags.has_errors()) else {
        return Err(diags);
    };
    let undeclared = undeclared_params(path, &suite, &mapping);
    if undeclared.has_errors() {
        return Err(undeclared);
    }
    let mut base = Params::default();
    for (k, v) in &suite.params {
        base.set(&k.scalar_text().unwrap_or_default(), v.to_json());
    }
    Ok(suite
        .cases
        .iter()
        .map(|case| {
            // An inherited case's files are beside the test file it is written in.
            let dir = yaml::file_of(path, case).parent().unwrap_or(Path::new("."));
            case_result(path, case, run_mapping_case(&mapping, &base, dir, case))
        })
        .collect())
}

/// A case's diff, with the secret params' values hidden, and those of the
/// secret fields of the input and of the expected and actual output.
fn run_mapping_case(mapping: &Mapping, base: &Params, dir: &Path, case: &Node) -> Option<String> {
    let mut params = base.clone();
    for (k, v) in case.get("params").and_then(Node::as_map).unwrap_or(&[]) {
        params.set(&k.scalar_text().unwrap_or_default(), v.to_json());
    }
    let diff = mapping_case_diff(mapping, &params, dir, case)?;
    let mut redactor = match mapping.prepare(&params) {
        Ok(p) => p.redactor().clone(),
        Err(_) => crate::redact::Redactor::default(),
    };
    for key in ["input", "output", "output_includes"] {
        let Some(value) = case.get(key).map(Node::to_json) else {
            continue;
        };
        if let Some(s) = &mapping.source {
            redactor.add_secret_fields(s, &value);
        }
        for r in &mapping.routes {
            redactor.add_secret_fields(&r.target, &value);
        }
    }
    Some(redactor.redact(&diff).into_owned())
}

fn mapping_case_diff(
    mapping: &Mapping,
    params: &Params,
    dir: &Path,
    case: &Node,
) -> Option<String> {
    let mut input = match (
        case.get("file").and_then(Node::scalar_text),
        case.get("input"),
    ) {
        (Some(f), _) => match std::fs::read(dir.join(&f))
            .map_err(|e| e.to_string())
            .and_then(|b| crate::read::parse_json(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => return Some(format!("  {f}: {e}\n")),
        },
        (None, Some(i)) => i.to_json(),
        (None, None) => return Some("  the case has no `input:` or `file:`\n".into()),
    };
    if let Err(e) = crate::testing::patch(&mut input, case) {
        return Some(format!("  {e}\n"));
    }
    let refused = case.get("params_error").and_then(Node::scalar_text);
    let outcome = match (mapping.transform(&input, params), refused) {
        (Err(problems), Some(want)) if problems.to_string().contains(&want) => return None,
        (Err(problems), Some(want)) => {
            return Some(format!(
                "  params: expected a refusal with '{want}', got: {problems}\n"
            ))
        }
        (Err(problems), None) => return Some(format!("  params: {problems}\n")),
        (Ok(_), Some(want)) => {
            return Some(format!(
                "  params: expected a refusal with '{want}', but they were taken\n"
            ))
        }
        (Ok(o), None) => o,
    };
    let expected_output = match (
        case.get("output"),
        case.get("output_file").and_then(Node::scalar_text),
    ) {
        (Some(o), _) => Some(o.to_json()),
        (None, Some(f)) => match std::fs::read(dir.join(&f))
            .map_err(|e| e.to_string())
            .and_then(|b| crate::read::parse_json(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => Some(v),
            Err(e) => return Some(format!("  {f}: {e}\n")),
        },
        _ => None,
    };
    let subset = case.get("output_includes").map(Node::to_json);
    let route = case.get("route").and_then(Node::scalar_text);
    match (
        outcome,
        crate::testing::expected_list(case.get("rejected")),
        case.get("skipped").and_then(Node::scalar_text),
    ) {
        (
            Outcome::Accepted {
                route: got,
                record,
                warnings,
                ..
            },
            None,
            None,
        ) => {
            let mut diff = String::new();
            if let Some(want) = route {
                if want != got {
                    diff.push_str(&format!("  route: expected {want}, got {got}\n"));
                }
            }
            // Secret fields (a vendor token) are compared, never printed.
            let target = mapping.route(&got).map(|r| r.target.clone());
            let shown = |mut v: Value| {
                if let Some(t) = &target {
                    t.redact(&mut v);
                }
                v
            };
            if let Some(exp) = expected_output {
                if exp != record {
                    let text = json_diff(&shown(exp), &shown(record.clone()));
                    diff.push_str(if text.is_empty() {
                        "  a secret field differs from the expected value (not shown)\n"
                    } else {
                        &text
                    });
                }
            }
            if let Some(sub) = subset {
                let text = subset_diff("", &sub, &record);
                if !text.is_empty() {
                    let redacted = subset_diff("", &shown(sub), &shown(record.clone()));
                    diff.push_str(if redacted.is_empty() {
                        "  a secret field differs from the expected value (not shown)\n"
                    } else {
                        &redacted
                    });
                }
            }
            if let Some(exp) = crate::testing::expected_list(case.get("warnings")) {
                let found: Vec<&Violation> = warnings.iter().collect();
                diff.extend(crate::testing::compare(&exp, &found));
            }
            (!diff.is_empty()).then_some(diff)
        }
        (Outcome::Rejected(errors), Some(exp), None) => {
            let found: Vec<&Violation> = errors
                .iter()
                .filter(|e| e.severity == Severity::Error)
                .collect();
            crate::testing::compare(&exp, &found)
        }
        (Outcome::Skipped(reason), None, Some(want)) => (!reason.contains(&want))
            .then(|| format!("  skipped, but the reason {reason:?} does not contain {want:?}\n")),
        (got, _, _) => Some(format!(
            "  expected {}, got {}\n",
            expectation(case),
            describe_outcome(mapping, &got)
        )),
    }
}

fn expectation(case: &Node) -> &'static str {
    if case.get("rejected").is_some() {
        "a rejection"
    } else if case.get("skipped").is_some() {
        "a skip"
    } else {
        "an accepted record"
    }
}

fn describe_outcome(mapping: &Mapping, o: &Outcome) -> String {
    match o {
        Outcome::Accepted { record, route, .. } => {
            let mut shown = record.clone();
            if let Some(r) = mapping.route(route) {
                r.target.redact(&mut shown);
            }
            format!("accepted: {shown}")
        }
        Outcome::Rejected(errors) => {
            format!(
                "rejected:\n{}",
                errors
                    .iter()
                    .map(|e| format!("    {} at {}: {}", e.rule, e.path, e.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }
        Outcome::Skipped(r) => format!("skipped: {r}"),
    }
}

fn json_diff(expected: &Value, got: &Value) -> String {
    if expected == got {
        return String::new();
    }
    let e = serde_json::to_string_pretty(expected).unwrap_or_default();
    let g = serde_json::to_string_pretty(got).unwrap_or_default();
    let mut out = String::from("  output differs (- expected, + got):\n");
    let (el, gl): (Vec<&str>, Vec<&str>) = (e.lines().collect(), g.lines().collect());
    for i in 0..el.len().max(gl.len()) {
        match (el.get(i), gl.get(i)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => {
                if let Some(a) = a {
                    out.push_str(&format!("  - {a}\n"));
                }
                if let Some(b) = b {
                    out.push_str(&format!("  + {b}\n"));
                }
            }
        }
    }
    out
}

/// Every key of `want` must be in `got` with an equal value (arrays compared whole).
fn subset_diff(path: &str, want: &Value, got: &Value) -> String {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w
            .iter()
            .map(|(k, v)| match g.get(k) {
                Some(gv) => subset_diff(&format!("{path}/{k}"), v, gv),
                None => format!("  {path}/{k}: expected {v}, missing\n"),
            })
            .collect(),
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .map(|(i, (a, b))| subset_diff(&format!("{path}/{i}"), a, b))
            .collect(),
        _ if crate::expr::values_equal(want, got) => String::new(),
        _ => format!("  {path}: expected {want}, got {got}\n"),
    }
}
