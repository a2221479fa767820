//! The JSON API (docs/playground.md): `run` converts an input through
//! mapping text as `mapwright convert` does (the same [`ConvertJob`], into a
//! private temp folder), `explain` traces one record. Both load the text as
//! if it sat at the path of the integration named, so its schemas, lookups
//! and `rules_from:` resolve as they do for that file.

use std::path::{Path, PathBuf};

use mapwright::{
    ConvertJob, Diagnostic, Error, Input, InputFormat, LoadOptions, Mapping, OutputFormat, Params,
    Prepared, Registry, Severity,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::worker::{Cancel, Lines};

/// The body of `POST /api/run` and `POST /api/explain`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The id of the integration whose path the text loads at (`None`: a
    /// mapping at the top of the project's `mappings/`).
    #[serde(default)]
    pub integration: Option<String>,
    /// The mapping's YAML text.
    pub mapping: String,
    /// The input records' text.
    #[serde(default)]
    pub input: String,
    /// The input's file name: its extension says its format when `format`
    /// is not given (`orders.ndjson`, `lines.csv`).
    #[serde(default)]
    pub input_name: Option<String>,
    /// The params, name: value.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// The input format: json, ndjson, xml, csv (default: from the name and content).
    #[serde(default)]
    pub format: Option<String>,
    /// The output format: json, ndjson, xml (default: the mapping's).
    #[serde(default)]
    pub output_format: Option<String>,
    /// `explain` only: the record to trace, the number a rejection's
    /// `input` names: the 1-based line of an NDJSON record or of a CSV row
    /// (the unit its group forms), the index of a record in JSON or XML
    /// documents; none: a JSON input is one record, a CSV or XML input
    /// gives its first.
    #[serde(default)]
    pub record: Option<usize>,
}

/// What a request's work is held to besides the engine's own budgets.
pub struct Limits {
    /// Set when the request was answered "timed out": the input stops.
    pub cancel: Cancel,
    /// No unit may take longer than this, in milliseconds, whatever the
    /// mapping's `limits: {time_ms}` says: the request's own limit.
    pub unit_time_ms: u64,
}

/// Where mapping text is loaded: the integration's mapping file, or a
/// file at the top of `mappings/` that need not exist.
pub fn mapping_path(
    project: &Path,
    known: &[(String, PathBuf)],
    id: Option<&str>,
) -> Result<PathBuf, String> {
    match id {
        None => Ok(project.join("mappings").join("playground.yaml")),
        Some(id) => known
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| format!("no integration '{id}' (GET /api/integrations lists them)")),
    }
}

/// A run's answer: its JSON body.
pub fn run(project: &Path, path: &Path, request: RunRequest, limits: Limits) -> Value {
    let loaded = match load(project, path, &request, limits.unit_time_ms) {
        Ok(l) => l,
        Err(answer) => return answer,
    };
    let (mapping, diagnostics) = loaded;
    let params = params_of(&request);
    let hide = Hider::new(&mapping, &request.params);
    let mut answer = match mapping.prepare(&params) {
        Ok(prepared) => match convert(&mapping, &prepared, &request, path, limits.cancel) {
            Ok(mut done) => {
                done["diagnostics"] = diagnostics;
                done
            }
            Err(messages) => failed(diagnostics, messages.iter().map(|m| hide.text(m)).collect()),
        },
        Err(e) => failed(diagnostics, problems(e, &hide)),
    };
    // The page leaves these out of the link it shares (the mapping as
    // edited, not as its file was when the server started).
    answer["secret_params"] = mapping.secret_params().into();
    answer
}

/// An explain's answer: the trace of one record, as data and as text.
pub fn explain(project: &Path, path: &Path, request: RunRequest, limits: Limits) -> Value {
    let (mapping, diagnostics) = match load(project, path, &request, limits.unit_time_ms) {
        Ok(l) => l,
        Err(answer) => return answer,
    };
    let hide = Hider::new(&mapping, &request.params);
    let prepared = match mapping.prepare(&params_of(&request)) {
        Ok(p) => p,
        Err(e) => return failed(diagnostics, problems(e, &hide)),
    };
    let name = input_name(&request);
    let format = match input_format(&request) {
        Ok(f) => f,
        Err(messages) => return failed(diagnostics, messages),
    };
    let bytes = request.input.as_bytes();
    let record = match prepared.unit_to_trace(&name, bytes, format, request.record) {
        Ok(r) => r,
        Err(e) => {
            let message = format!("{name}: {}", e.worded("record"));
            return failed(diagnostics, vec![hide.text(&message)]);
        }
    };
    let trace = prepared.trace(&record);
    json!({
        "diagnostics": diagnostics,
        "errors": [],
        "rejected": trace.rejected(),
        "text": trace.human(),
        "trace": trace,
    })
}

/// The mapping and its warnings, or the answer saying why it did not load.
fn load(
    project: &Path,
    path: &Path,
    request: &RunRequest,
    unit_time_ms: u64,
) -> Result<(Mapping, Value), Value> {
    let registry = Registry::discover(path.parent().unwrap_or(project));
    let options = LoadOptions::default();
    match Mapping::from_str_with_options(path, &request.mapping, &registry, &options) {
        Ok(mut m) => {
            m.cap_unit_time(unit_time_ms);
            let warnings = diagnostics_json(project, path, m.warnings.iter());
            Ok((m, warnings))
        }
        Err(Error::Diagnostics(d)) => {
            Err(failed(diagnostics_json(project, path, d.iter()), vec![]))
        }
        Err(other) => Err(failed(json!([]), vec![other.to_string()])),
    }
}

/// Diagnostics as the page shows them: where (in the mapping text, or in
/// another file of the project), the code and the message.
fn diagnostics_json<'d>(
    project: &Path,
    mapping: &Path,
    all: impl Iterator<Item = &'d Diagnostic>,
) -> Value {
    all.map(|d| {
        json!({
            "file": crate::integrations::shown(project, &d.span.file),
            "in_mapping": d.span.file == mapping,
            "line": d.span.line,
            "column": d.span.column,
            "severity": match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                _ => "note",
            },
            "code": d.code,
            "message": for_the_api(&d.message),
            "help": d.help.as_deref().map(for_the_api),
        })
    })
    .collect()
}

fn params_of(request: &RunRequest) -> Params {
    let mut params = Params::default();
    for (name, value) in &request.params {
        params.set(name, value.clone().into());
    }
    params
}

fn input_name(request: &RunRequest) -> String {
    request
        .input_name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "input".to_string())
}

/// The messages of an error that stopped a run before it began.
fn problems(e: Error, hide: &Hider) -> Vec<String> {
    match e {
        Error::Params(list) => list.iter().map(|p| hide.text(&for_the_api(p))).collect(),
        other => vec![hide.text(&for_the_api(&other.to_string()))],
    }
}

/// What the engine says for the command line, said for an API caller: a
/// flag means nothing to a page or a script posting JSON, the request's
/// field does (`record` is worded by the engine itself, LineError::worded).
fn for_the_api(message: &str) -> String {
    mapwright::worded_for(message, mapwright::Audience::Api)
}

/// The answer of a run that produced nothing.
fn failed(diagnostics: Value, errors: Vec<String>) -> Value {
    json!({
        "diagnostics": diagnostics,
        "errors": errors,
        "output": "",
        "outputs": [],
        "rejections": [],
        "skipped": [],
        "warnings": [],
        "counts": Value::Null,
    })
}

/// Hides the values of the mapping's secret params in a message that did
/// not come through the engine's own redaction (a param problem, an
/// error): a value given is never echoed.
struct Hider {
    secrets: Vec<String>,
}

impl Hider {
    fn new(mapping: &Mapping, given: &Map<String, Value>) -> Hider {
        let secrets = mapping
            .secret_params()
            .iter()
            .filter_map(|name| given.get(*name))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .filter(|s| !s.is_empty())
            .collect();
        Hider { secrets }
    }

    /// `message` with each secret replaced by `(secret)`, as the engine
    /// writes it. A secret of fewer than 4 characters is replaced only
    /// where it stands alone: replacing every `a` of a sentence would
    /// garble it and show which letter the secret is.
    fn text(&self, message: &str) -> String {
        self.secrets
            .iter()
            .fold(message.to_string(), |m, s| match s.chars().count() < 4 {
                true => whole_tokens_replaced(&m, s),
                false => m.replace(s.as_str(), "(secret)"),
            })
    }
}

/// `text` with `word` replaced where neither side touches a letter or digit.
fn whole_tokens_replaced(text: &str, word: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + word.len()..].chars().next();
        let alone =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..i]);
        out.push_str(if alone { "(secret)" } else { word });
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

/// Convert the request's input as `convert` does: output, report (with
/// every rejection and skip) into a temp folder, then read back.
fn convert(
    mapping: &Mapping,
    prepared: &Prepared,
    request: &RunRequest,
    path: &Path,
    cancel: Cancel,
) -> Result<Value, Vec<String>> {
    let folder = tempfile::tempdir().map_err(|e| vec![format!("no temp folder: {e}")])?;
    let out = folder.path().join("output");
    let report_file = folder.path().join("report.json");
    let job = job_of(request, path, &out, &report_file)?;
    let format = job
        .output_format(mapping)
        .map_err(|e| vec![output_problem(e)])?;
    let mut outputs = job.open(mapping, format).map_err(|e| vec![e.to_string()])?;
    let input = Input {
        name: input_name(request),
        reader: Box::new(Lines::new(request.input.clone().into_bytes(), cancel)),
    };
    let report = outputs
        .convert(prepared, vec![input], None)
        .map_err(|e| vec![e.to_string()])?;
    outputs.commit(&report).map_err(|e| vec![e.to_string()])?;
    let read = |p: &Path| std::fs::read(p).map_err(|e| vec![format!("cannot read back: {e}")]);
    let output = String::from_utf8_lossy(&read(&out)?).into_owned();
    let report: Value = serde_json::from_slice(&read(&report_file)?)
        .map_err(|e| vec![format!("cannot read back the report: {e}")])?;
    Ok(answer(output, format, report))
}

fn job_of(
    request: &RunRequest,
    path: &Path,
    out: &Path,
    report: &Path,
) -> Result<ConvertJob, Vec<String>> {
    let input_format = input_format(request)?;
    let output_format = match request.output_format.as_deref() {
        None | Some("") => None,
        Some(f) => Some(OutputFormat::parse(f).ok_or_else(|| {
            vec!["output_format takes json, ndjson or xml (the value given is not one)".to_string()]
        })?),
    };
    Ok(ConvertJob {
        mapping_file: path.to_path_buf(),
        output: Some(out.to_path_buf()),
        report: Some(report.to_path_buf()),
        input_format,
        output_format,
        // One worker: the playground's inputs are small, and the machine
        // is shared with the person's editor and browser.
        threads: 1,
        ..ConvertJob::default()
    })
}

/// The request's `format`, when it gives one.
fn input_format(request: &RunRequest) -> Result<Option<InputFormat>, Vec<String>> {
    match request.format.as_deref() {
        None | Some("") => Ok(None),
        Some(f) => InputFormat::parse(f).map(Some).ok_or_else(|| {
            vec!["format takes json, ndjson, xml or csv (the value given is not one)".to_string()]
        }),
    }
}

fn output_problem(e: Error) -> String {
    match e {
        Error::MixedTargets => {
            "this mapping's routes build records for different targets; use output_format ndjson"
                .to_string()
        }
        Error::NotXmlTarget(target) => {
            format!("the target {target} is JSON; output_format xml needs an XML target")
        }
        other => other.to_string(),
    }
}

/// The answer of a finished run: the output exactly as `convert` writes
/// it, and also as documents to show, with the report's parts.
fn answer(output: String, format: OutputFormat, report: Value) -> Value {
    let outputs: Vec<Value> = match format {
        OutputFormat::Ndjson => output
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        OutputFormat::Json => serde_json::Deserializer::from_str(&output)
            .into_iter::<Value>()
            .filter_map(Result::ok)
            .collect(),
        _ => vec![Value::String(output.clone())],
    };
    let part = |name: &str| report.get(name).cloned().unwrap_or(Value::Null);
    json!({
        "errors": [],
        "output_format": format_name(format),
        "output": output,
        "outputs": outputs,
        "rejections": part("rejections"),
        "skipped": part("skips"),
        "warnings": part("warnings"),
        "counts": part("counts"),
        "routes": part("routes"),
        "rejected_by_rule": part("rejected_by_rule"),
    })
}

fn format_name(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Json => "json",
        OutputFormat::Ndjson => "ndjson",
        _ => "xml",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// A project in a temp folder with the schema `demo.row` (`id`, `n`).
    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let schemas = dir.path().join("schemas/demo");
        std::fs::create_dir_all(&schemas).unwrap();
        std::fs::write(
            schemas.join("row.yaml"),
            "schema: demo.row\nrecord: r\ntypes:\n  r:\n    fields:\n      id: {type: text}\n      n: {type: text}\n",
        )
        .unwrap();
        dir
    }

    fn limits(unit_time_ms: u64) -> Limits {
        Limits {
            cancel: Arc::new(AtomicBool::new(false)),
            unit_time_ms,
        }
    }

    #[test]
    fn a_unit_is_held_to_the_requests_limit_whatever_the_mapping_allows() {
        let dir = project();
        let path = dir.path().join("mappings/playground.yaml");
        let list: Vec<u32> = (0..3000).collect();
        let request = RunRequest {
            // An hour and a billion operations: only the server's cap stops it.
            mapping: "mapping: slow\ntarget: demo.row\nlimits: {operations: 1000000000, time_ms: 3600000}\nrecord:\n  id: = id\n  n: = l.filter(|a| l.all(|b| a >= 0 && b >= 0)).len().to_string()\n".into(),
            input: json!({"id": "a", "l": list}).to_string(),
            input_name: Some("in.json".into()),
            ..RunRequest::default()
        };
        let answer = run(dir.path(), &path, request, limits(20));
        assert_eq!(answer["counts"]["rejected"], 1, "{answer}");
        let error = &answer["rejections"][0]["errors"][0];
        assert_eq!(error["rule"], "time-limit", "{answer}");
    }

    #[test]
    fn a_required_param_is_asked_for_in_the_requests_params_not_a_flag() {
        let dir = project();
        let path = dir.path().join("mappings/playground.yaml");
        let request = RunRequest {
            mapping: "mapping: p\ntarget: demo.row\nparams:\n  company: {type: text, required: true}\nrecord:\n  id: = id\n".into(),
            ..RunRequest::default()
        };
        let answer = run(dir.path(), &path, request, limits(1000));
        assert_eq!(
            answer["errors"],
            json!([
                "param 'company' is required (text); give it in \"params\": {\"company\": ...}"
            ])
        );
    }

    #[test]
    fn a_file_outside_the_project_is_not_told_to_use_a_flag() {
        let dir = project();
        std::fs::create_dir_all(dir.path().join("mappings")).unwrap();
        let path = dir.path().join("mappings/playground.yaml");
        let request = RunRequest {
            mapping: "mapping: o\ntarget: demo.row\nlookups:\n  l: {file: /etc/passwd, key: a, value: b}\nrecord:\n  id: = id\n".into(),
            ..RunRequest::default()
        };
        let answer = run(dir.path(), &path, request, limits(1000));
        let found = &answer["diagnostics"][0];
        assert_eq!(found["code"], "outside-project", "{answer}");
        let message = found["message"].as_str().unwrap();
        assert!(!message.contains("--root"), "{message}");
        assert!(
            message.ends_with("; keep it inside (the text is loaded as if it sat at its integration's mapping file)"),
            "{message}"
        );
    }

    #[test]
    fn a_secret_params_value_is_hidden_in_a_message() {
        let dir = project();
        let path = dir.path().join("mappings/playground.yaml");
        let request = RunRequest {
            mapping: "mapping: s\ntarget: demo.row\nparams:\n  token: {type: integer, secret: true}\nrecord:\n  id: = id\n".into(),
            params: serde_json::from_value(json!({"token": "sesame-open"})).unwrap(),
            ..RunRequest::default()
        };
        let answer = run(dir.path(), &path, request, limits(1000));
        let errors = answer["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{answer}");
        assert!(errors[0].as_str().unwrap().contains("token"), "{answer}");
        assert!(!answer.to_string().contains("sesame"), "{answer}");
        // The page learns the secret params of the text as sent.
        assert_eq!(answer["secret_params"], json!(["token"]));
    }

    /// Review of issue 15: a one-letter secret replaced everywhere garbled
    /// the message ("hex[secret]decim[secret]l") and so showed the letter;
    /// the word `a` standing alone is hidden, as any word a secret equals.
    #[test]
    fn a_short_secret_is_hidden_only_where_it_stands_alone() {
        let hide = Hider {
            secrets: vec!["a".into(), "SESAME-OPEN".into()],
        };
        assert_eq!(
            hide.text("param 'g' is not a GUID (hexadecimal); token a, SESAME-OPEN"),
            "param 'g' is not (secret) GUID (hexadecimal); token (secret), (secret)"
        );
    }
}
