//! The native half of the `mapwright` Python package: a compiled mapping
//! and its outcomes, over the engine's front door. Records cross the
//! boundary as JSON text (Python's own `json` module writes and reads it),
//! and every unit is settled by the engine's NDJSON run, so an outcome is
//! what `mapwright convert --output-format ndjson` gives for the same
//! line: the payload is its output line parsed, the errors its rejects
//! line's (secrets hidden by the engine, as in a rejects file).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use pyo3::exceptions::{PyException, PyRecursionError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMapping, PyMappingMethods};

use mapwright::{Audience, Diagnostic, LoadOptions, OutputFormat, Params, Registry, Settled, Span};

pyo3::create_exception!(
    mapwright,
    MapwrightError,
    PyException,
    "Something mapwright could not do; the message says what."
);
pyo3::create_exception!(
    mapwright,
    MappingError,
    MapwrightError,
    "A mapping, schema or lookup file is wrong or cannot be read. \
     `.diagnostics` lists each finding as a dict with file, line, column, \
     severity, code, message and help."
);
pyo3::create_exception!(
    mapwright,
    ParamsError,
    MapwrightError,
    "The params do not fit the mapping's `params:`, or the params file \
     cannot be read or is not YAML. `.problems` lists one message per \
     problem; `.diagnostics` lists each as a dict with file, line, column, \
     severity, code, message and help (a params file's finding at its place \
     in that file; a value that does not fit at the mapping's file, line 0, \
     code \"params\"). A secret param's value is never in them."
);

pyo3::create_exception!(
    mapwright,
    PayloadError,
    MapwrightError,
    "A payload given to render does not fit its route's target schema (a \
     field the target does not have, a wrong type, a missing required \
     field). `.errors` lists each as a dict with rule, path and message, \
     as an Outcome's errors; secret values are hidden."
);

type Prepared<'m> = mapwright::Prepared<'m>;

self_cell::self_cell!(
    /// A mapping and its params resolved once ([`mapwright::Prepared`]
    /// borrows the mapping it prepares): a record costs no param check.
    struct Loaded {
        owner: mapwright::Mapping,
        #[covariant]
        dependent: Prepared,
    }
);

/// A compiled mapping with its params: thread-safe, shared by every thread
/// that transforms with it (no lock: the engine holds no mutable state).
#[pyclass(frozen, module = "mapwright")]
struct Mapping {
    loaded: Loaded,
}

/// What happened to one record: `status` is "accepted" (with `route`,
/// `payload` and `ndjson`), "rejected" (with `errors`) or "skipped" (with
/// `reason`); the other attributes are None.
#[pyclass(frozen, module = "mapwright")]
struct Outcome {
    /// "accepted", "rejected" or "skipped".
    #[pyo3(get)]
    status: &'static str,
    /// The route that built the payload (accepted only).
    #[pyo3(get)]
    route: Option<String>,
    /// The target record: the CLI's NDJSON output line, parsed (accepted only).
    #[pyo3(get)]
    payload: Option<Py<PyAny>>,
    /// The CLI's NDJSON output line, as bytes with its line end (accepted only).
    #[pyo3(get)]
    ndjson: Option<Py<PyBytes>>,
    /// Every error, each a dict with rule, path and message (rejected only).
    #[pyo3(get)]
    errors: Option<Py<PyList>>,
    /// The record as the CLI's rejects line holds it, in a list: its
    /// secret values hidden; a line that is not JSON is its text (rejected only).
    #[pyo3(get)]
    source: Option<Py<PyAny>>,
    /// Why the record was set aside (skipped only).
    #[pyo3(get)]
    reason: Option<String>,
    mapping: Py<Mapping>,
}

#[pymethods]
impl Mapping {
    /// Load the mapping at `path`, with its schemas found from there (the
    /// nearest `schemas/` folder, then `schema_dirs`' folders first if
    /// given, then the built-in schemas) and its lookups beside it. `params`
    /// (a dict or any other mapping) win over `params_file` (YAML or JSON).
    /// `root` is the project the files it pulls in must stay inside (the
    /// CLI's --root; by default the nearest folder at or above it holding
    /// `mappings/` or `schemas/`). Raises MappingError or ParamsError.
    #[staticmethod]
    #[pyo3(signature = (path, params=None, *, params_file=None, schema_dirs=None, root=None))]
    fn from_path(
        py: Python<'_>,
        path: PathBuf,
        params: Option<&Bound<'_, PyMapping>>,
        params_file: Option<PathBuf>,
        schema_dirs: Option<Vec<PathBuf>>,
        root: Option<PathBuf>,
    ) -> PyResult<Mapping> {
        let files = Files {
            path: &path,
            params,
            params_file,
            schema_dirs,
            root,
        };
        load(py, files, |path, registry, options| {
            mapwright::Mapping::from_path_with_options(path, registry, options)
        })
    }

    /// Compile mapping `text`. `path` names it in diagnostics and is where
    /// its lookup files and `schemas/` folder are found from; `schema_dirs`
    /// are searched first; `root` as for from_path. Raises MappingError or
    /// ParamsError.
    #[staticmethod]
    // The default is spelled out: PyO3 shows a default it cannot write as `...`.
    #[pyo3(
        signature = (text, path="mapping.yaml".into(), params=None, *, params_file=None, schema_dirs=None, root=None),
        text_signature = "(text, path='mapping.yaml', params=None, *, params_file=None, schema_dirs=None, root=None)"
    )]
    fn from_str(
        py: Python<'_>,
        text: &str,
        path: PathBuf,
        params: Option<&Bound<'_, PyMapping>>,
        params_file: Option<PathBuf>,
        schema_dirs: Option<Vec<PathBuf>>,
        root: Option<PathBuf>,
    ) -> PyResult<Mapping> {
        let files = Files {
            path: &path,
            params,
            params_file,
            schema_dirs,
            root,
        };
        load(py, files, |path, registry, options| {
            mapwright::Mapping::from_str_with_options(path, text, registry, options)
        })
    }

    /// The mapping's name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner().name
    }

    /// The names of its routes, in the order they are tried.
    #[getter]
    fn routes(&self) -> Vec<&str> {
        self.inner().route_names()
    }

    /// Transform one record (a dict, or any mapping; a mapping inside it
    /// is written as a dict): an Outcome. A value Python's json module
    /// cannot write (a datetime, NaN) raises TypeError or ValueError.
    fn transform(slf: &Bound<'_, Mapping>, record: &Bound<'_, PyAny>) -> PyResult<Outcome> {
        let mut line = to_json(record)?;
        line.push(b'\n');
        let mut outcomes = settle(slf, &line, 1)?;
        outcomes
            .pop()
            .ok_or_else(|| MapwrightError::new_err("the engine settled no unit for the record"))
    }

    /// Transform every record of an iterable of dicts (or any mappings): a
    /// list of Outcomes, in order. The engine works with the GIL released,
    /// on `threads` worker threads (0: one per core). A record that is no JSON (a date,
    /// NaN) raises before any is transformed, naming its place in the batch;
    /// what the iterable itself raises propagates as it is. A dict is
    /// refused (TypeError): iterating it would give its keys, not records.
    #[pyo3(signature = (records, threads=1))]
    fn transform_many(
        slf: &Bound<'_, Mapping>,
        records: &Bound<'_, PyAny>,
        threads: usize,
    ) -> PyResult<Vec<Outcome>> {
        if records.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(
                "records must be an iterable of records, not a dict (for one record, use transform)",
            ));
        }
        let mut text = Vec::new();
        for (index, record) in records.try_iter()?.enumerate() {
            // The iterable's own exception (an OSError of a file it reads,
            // a KeyboardInterrupt) is the caller's: it propagates unchanged.
            let record = record?;
            text.extend(to_json(&record).map_err(|e| at_record(slf.py(), e, index))?);
            text.push(b'\n');
        }
        settle(slf, &text, threads)
    }

    /// Transform NDJSON bytes or a bytearray (one record a line; blank
    /// lines are no records): a list of Outcomes, one per record, in order.
    /// A bytearray is copied first (the engine works without the GIL, when
    /// Python code could change it); anything else raises TypeError. A line that
    /// is not JSON is rejected with rule "malformed", as by the CLI. The
    /// engine works with the GIL released, on `threads` worker threads.
    #[pyo3(signature = (data, threads=1))]
    fn transform_ndjson(
        slf: &Bound<'_, Mapping>,
        data: &Bound<'_, PyAny>,
        threads: usize,
    ) -> PyResult<Vec<Outcome>> {
        settle(slf, &ndjson_bytes(data)?, threads)
    }

    /// A payload (a dict, or any mapping) of the route `route` (optional
    /// when the mapping has one route) as text in `format` ("ndjson", or
    /// its other name "jsonl", "json" or "xml"), as `mapwright convert
    /// --batch-size 1` writes it. The payload is checked against the
    /// route's target schema first, as convert checks what it builds: one
    /// that does not fit raises PayloadError, whose `.errors` name each
    /// field and rule (XML would leave an unknown field out). A payload
    /// that is no mapping raises TypeError; an unknown format or route, or
    /// no route named when the mapping has several, raises ValueError.
    #[pyo3(signature = (payload, format="ndjson", route=None))]
    fn render(
        &self,
        py: Python<'_>,
        payload: &Bound<'_, PyAny>,
        format: &str,
        route: Option<&str>,
    ) -> PyResult<String> {
        if payload.cast::<PyMapping>().is_err() {
            return Err(PyTypeError::new_err(format!(
                "the payload must be a dict (or any mapping), not {}",
                payload.get_type().name()?
            )));
        }
        let value: mapwright::Value = serde_json::from_slice(&to_json(payload)?)
            .map_err(|e| PyValueError::new_err(format!("the payload is not JSON: {e}")))?;
        let route = match route {
            Some(r) => r.to_string(),
            None => self.only_route()?,
        };
        let format = output_format(format)?;
        let known = self.inner().route_names().contains(&route.as_str());
        let bytes = self
            .loaded
            .borrow_dependent()
            .render_one(&route, &value, format)
            .map_err(|e| match known {
                true => to_py_error(py, e),
                // A route the mapping does not have is a wrong argument, as
                // a wrong format is: ValueError, with the engine's did-you-mean.
                false => PyValueError::new_err(for_python(&e.to_string())),
            })?;
        String::from_utf8(bytes).map_err(|e| MapwrightError::new_err(e.to_string()))
    }

    fn __repr__(&self) -> String {
        format!(
            "Mapping(name={:?}, path={:?}, routes={:?})",
            self.inner().name,
            self.inner().path.display().to_string(),
            self.inner().route_names()
        )
    }
}

impl Mapping {
    fn inner(&self) -> &mapwright::Mapping {
        self.loaded.borrow_owner()
    }

    fn only_route(&self) -> PyResult<String> {
        match self.inner().route_names().as_slice() {
            [one] => Ok(one.to_string()),
            many => Err(PyValueError::new_err(format!(
                "this mapping has {} routes ({}): name the route",
                many.len(),
                many.join(", ")
            ))),
        }
    }
}

#[pymethods]
impl Outcome {
    /// The payload as text in `format` ("ndjson" or "jsonl", "json" or "xml"), as
    /// Mapping.render writes it. Raises ValueError unless accepted.
    #[pyo3(signature = (format="ndjson"))]
    fn render(&self, py: Python<'_>, format: &str) -> PyResult<String> {
        let (Some(payload), Some(route)) = (&self.payload, &self.route) else {
            return Err(PyValueError::new_err(format!(
                "only an accepted outcome has a payload to render; this one is {}",
                self.status
            )));
        };
        self.mapping
            .get()
            .render(py, payload.bind(py), format, Some(route))
    }

    /// No payload and no source value is shown: either may hold a secret.
    fn __repr__(&self, py: Python<'_>) -> String {
        match self.status {
            "accepted" => format!(
                "Outcome(status=\"accepted\", route={:?})",
                self.route.as_deref().unwrap_or("")
            ),
            "rejected" => {
                let rules: Vec<String> = self
                    .errors
                    .as_ref()
                    .map(|e| {
                        e.bind(py)
                            .iter()
                            .filter_map(|d| d.get_item("rule").ok()?.extract().ok())
                            .collect()
                    })
                    .unwrap_or_default();
                format!("Outcome(status=\"rejected\", rules={rules:?})")
            }
            _ => format!(
                "Outcome(status=\"skipped\", reason={:?})",
                self.reason.as_deref().unwrap_or("")
            ),
        }
    }
}

/// Run the mapping over NDJSON text with the GIL released, then turn each
/// settled unit into an Outcome.
fn settle(slf: &Bound<'_, Mapping>, text: &[u8], threads: usize) -> PyResult<Vec<Outcome>> {
    let py = slf.py();
    let mapping = slf.get();
    let settled = py
        .detach(|| {
            let prepared = mapping.loaded.borrow_dependent();
            prepared.settle_ndjson("records", text, threads)
        })
        .map_err(|e| to_py_error(py, e))?
        .0;
    settled.into_iter().map(|s| outcome(slf, s)).collect()
}

fn outcome(slf: &Bound<'_, Mapping>, settled: Settled) -> PyResult<Outcome> {
    let py = slf.py();
    let empty = Outcome {
        status: "skipped",
        route: None,
        payload: None,
        ndjson: None,
        errors: None,
        source: None,
        reason: None,
        mapping: slf.clone().unbind(),
    };
    Ok(match settled {
        Settled::Accepted { route, line } => {
            let bytes = PyBytes::new(py, &line);
            Outcome {
                status: "accepted",
                route: Some(route),
                payload: Some(json_loads(py)?.call1((&bytes,))?.unbind()),
                ndjson: Some(bytes.unbind()),
                ..empty
            }
        }
        Settled::Rejected(rejection) => Outcome {
            status: "rejected",
            errors: Some(error_dicts(py, &rejection.errors)?.unbind()),
            source: Some(rejected_source(py, &rejection)?),
            ..empty
        },
        Settled::Skipped(reason) => Outcome {
            reason: Some(reason),
            ..empty
        },
        _ => {
            return Err(MapwrightError::new_err(
                "an outcome this package does not know",
            ))
        }
    })
}

/// The errors among `violations`, each a dict of rule, path and message.
fn error_dicts<'py>(
    py: Python<'py>,
    violations: &[mapwright::Violation],
) -> PyResult<Bound<'py, PyList>> {
    let errors = PyList::empty(py);
    for v in violations
        .iter()
        .filter(|v| v.severity == mapwright::Severity::Error)
    {
        let d = PyDict::new(py);
        d.set_item("rule", &v.rule)?;
        d.set_item("path", &v.path)?;
        d.set_item("message", &v.message)?;
        errors.append(d)?;
    }
    Ok(errors)
}

/// The `source` of the rejects line the CLI writes for `rejection`.
fn rejected_source(py: Python<'_>, rejection: &mapwright::Rejection) -> PyResult<Py<PyAny>> {
    let line = serde_json::to_vec(rejection).map_err(|e| MapwrightError::new_err(e.to_string()))?;
    let parsed = json_loads(py)?.call1((PyBytes::new(py, &line),))?;
    Ok(parsed.get_item("source")?.unbind())
}

/// The registry the CLI would build for a mapping at `path`, with `dirs`
/// searched first (as `--schemas DIR`).
/// What `from_path` and `from_str` are given besides the mapping itself.
struct Files<'a, 'py> {
    path: &'a Path,
    params: Option<&'a Bound<'py, PyMapping>>,
    params_file: Option<PathBuf>,
    schema_dirs: Option<Vec<PathBuf>>,
    root: Option<PathBuf>,
}

/// A mapping read by `read` (from its file or its text), prepared with its
/// params, with the GIL released while the engine works.
fn load(
    py: Python<'_>,
    files: Files<'_, '_>,
    read: impl FnOnce(&Path, &Registry, &LoadOptions) -> Result<mapwright::Mapping, mapwright::Error>
        + Send,
) -> PyResult<Mapping> {
    let path = files.path;
    let registry = registry(path, files.schema_dirs);
    let params = gather_params(py, path, files.params, files.params_file.as_deref())?;
    let options = LoadOptions { root: files.root };
    py.detach(|| {
        let mapping = read(path, &registry, &options)?;
        Loaded::try_new(mapping, |m| m.prepare(&params))
    })
    .map(|loaded| Mapping { loaded })
    .map_err(|e| load_error(py, path, e))
}

fn registry(path: &Path, dirs: Option<Vec<PathBuf>>) -> Registry {
    let start = path.parent().unwrap_or(Path::new("."));
    Registry::discover_with(&dirs.unwrap_or_default(), start)
}

/// The params file's values, then the dict's (which win), as the CLI's
/// `--params FILE` and `--param K=V`. What goes wrong is a ParamsError with
/// its diagnostics: the params file's findings, or a problem of the dict at
/// the mapping's file.
fn gather_params(
    py: Python<'_>,
    mapping: &Path,
    params: Option<&Bound<'_, PyMapping>>,
    file: Option<&Path>,
) -> PyResult<Params> {
    let mut out = Params::default();
    if let Some(file) = file {
        out.load_file(file)
            .map_err(|e| params_error(py, mapping, e))?;
    }
    let problem =
        |message: String| params_error(py, mapping, mapwright::Error::Params(vec![message]));
    let items = match params {
        Some(p) => p.items()?,
        None => PyList::empty(py),
    };
    for item in items.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key: String = key
            .extract()
            .map_err(|_| problem("a param's name must be a str".to_string()))?;
        // The value is not shown: it may be a secret.
        let value = to_json(&value)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| problem(format!("param {key:?}: its value is not JSON")))?;
        out.set(&key, value);
    }
    Ok(out)
}

/// An error of loading the mapping at `path` and preparing its params.
fn load_error(py: Python<'_>, path: &Path, e: mapwright::Error) -> PyErr {
    match e {
        mapwright::Error::Params(_) => params_error(py, path, e),
        e => to_py_error(py, e),
    }
}

/// A ParamsError for `e`, with `.problems` (one message each) and
/// `.diagnostics`: a params file's findings as the engine gives them, or
/// each problem of the values at the mapping's file (`mapping`, no line),
/// code "params".
fn params_error(py: Python<'_>, mapping: &Path, e: mapwright::Error) -> PyErr {
    let findings: Vec<Diagnostic> = match (&e, e.diagnostics()) {
        (_, Some(d)) => d.iter().cloned().collect(),
        (mapwright::Error::Params(problems), None) => problems
            .iter()
            .map(|p| Diagnostic::error(Span::file(mapping), "params", p.clone()))
            .collect(),
        _ => return to_py_error(py, e),
    };
    let problems: Vec<String> = match &e {
        mapwright::Error::Params(problems) => problems.iter().map(|p| for_python(p)).collect(),
        _ => findings
            .iter()
            .map(|d| for_python(&d.to_string()))
            .collect(),
    };
    let err = ParamsError::new_err(for_python(&e.to_string()));
    let attached = PyList::new(py, &problems)
        .and_then(|list| err.value(py).setattr("problems", list))
        .and_then(|()| diagnostic_dicts(py, &findings))
        .and_then(|list| err.value(py).setattr("diagnostics", list));
    match attached {
        Ok(()) => err,
        Err(inner) => inner,
    }
}

/// Each finding as a dict of file, line, column, severity, code, message
/// and help.
fn diagnostic_dicts<'py>(py: Python<'py>, findings: &[Diagnostic]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for d in findings {
        let item = PyDict::new(py);
        item.set_item("file", d.span.file.display().to_string())?;
        item.set_item("line", d.span.line)?;
        item.set_item("column", d.span.column)?;
        item.set_item("severity", d.severity.to_string())?;
        item.set_item("code", d.code)?;
        item.set_item("message", for_python(&d.message))?;
        item.set_item("help", d.help.as_deref().map(for_python))?;
        list.append(item)?;
    }
    Ok(list)
}

/// The bytes of `data`: a bytes object as it is, a bytearray copied.
fn ndjson_bytes<'a>(data: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(bytes) = data.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(bytes.as_bytes()));
    }
    if let Ok(array) = data.cast::<PyByteArray>() {
        return Ok(Cow::Owned(array.to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "data must be bytes or bytearray, not {}",
        data.get_type().name()?
    )))
}

fn output_format(name: &str) -> PyResult<OutputFormat> {
    OutputFormat::parse(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown format {name:?}: one of \"ndjson\" (or \"jsonl\"), \"json\", \"xml\""
        ))
    })
}

/// `e` of writing a record as JSON, of the same kind (TypeError or
/// ValueError), saying which record of a batch it came from (counting from
/// 0), with the original as its cause. Any other exception (one a user's
/// mapping class raised, a KeyboardInterrupt) propagates unchanged.
fn at_record(py: Python<'_>, e: PyErr, index: usize) -> PyErr {
    let message = format!(
        "record {index} of the batch (counting from 0): {}",
        e.value(py)
    );
    let err = if e.is_instance_of::<PyTypeError>(py) {
        PyTypeError::new_err(message)
    } else if e.is_instance_of::<PyValueError>(py) {
        PyValueError::new_err(message)
    } else {
        return e;
    };
    err.set_cause(py, Some(e));
    err
}

/// A Python value as compact JSON text, by Python's json module (NaN and
/// infinities refused: they are not JSON; any mapping written as a dict).
fn to_json(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let py = value.py();
    static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let dumps = DUMPS.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("json")?.getattr("dumps")?.unbind())
    })?;
    static DEFAULT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let default = DEFAULT.get_or_try_init(py, || -> PyResult<_> {
        Ok(wrap_pyfunction!(mapping_as_dict, py)?.into_any().unbind())
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("default", default.bind(py))?;
    kwargs.set_item("allow_nan", false)?;
    kwargs.set_item("ensure_ascii", false)?;
    kwargs.set_item("separators", (",", ":"))?;
    let text = dumps.bind(py).call((value,), Some(&kwargs)).map_err(|e| {
        if !e.is_instance_of::<PyRecursionError>(py) {
            return e;
        }
        // Python's own limit, not the caller's mistake of kind: the
        // documented ValueError of a record that cannot be written as JSON.
        let err = PyValueError::new_err(
            "the record is nested too deeply to be written as JSON (past Python's recursion limit)",
        );
        err.set_cause(py, Some(e));
        err
    })?;
    Ok(text.extract::<String>()?.into_bytes())
}

/// json.dumps's `default`: a mapping that is not a dict (a
/// MappingProxyType, a user's Mapping class) as a dict; anything else the
/// TypeError json.dumps raises itself.
#[pyfunction]
fn mapping_as_dict<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let Ok(mapping) = value.cast::<PyMapping>() else {
        return Err(PyTypeError::new_err(format!(
            "Object of type {} is not JSON serializable",
            value.get_type().name()?
        )));
    };
    let dict = PyDict::new(value.py());
    dict.update(mapping)?;
    Ok(dict)
}

fn json_loads(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    LOADS
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("json")?.getattr("loads")?.unbind())
        })
        .map(|f| f.bind(py))
}

/// The engine's error as a Python exception: a MappingError carrying each
/// diagnostic, a ParamsError carrying each problem (the engine never puts a
/// secret param's value in one), a PayloadError carrying each error of a
/// payload that does not fit, or a MapwrightError with the message.
fn to_py_error(py: Python<'_>, e: mapwright::Error) -> PyErr {
    let message = for_python(&e.to_string());
    let attach = |err: PyErr, name: &str, items: PyResult<Bound<'_, PyList>>| -> PyErr {
        match items.and_then(|list| err.value(py).setattr(name, list)) {
            Ok(()) => err,
            Err(inner) => inner,
        }
    };
    if let Some(diags) = e.diagnostics() {
        let findings: Vec<Diagnostic> = diags.iter().cloned().collect();
        let list = diagnostic_dicts(py, &findings);
        return attach(MappingError::new_err(message), "diagnostics", list);
    }
    if let mapwright::Error::Unfit { violations, .. } = &e {
        let list = error_dicts(py, violations);
        return attach(PayloadError::new_err(message), "errors", list);
    }
    if let mapwright::Error::Params(problems) = &e {
        let list = PyList::new(py, problems.iter().map(|p| for_python(p)));
        return attach(ParamsError::new_err(message), "problems", list);
    }
    MapwrightError::new_err(message)
}

/// A message the engine words for the command line, worded for Python:
/// `params={...}` for `--param`, `root=` for `--root`.
fn for_python(message: &str) -> String {
    mapwright::worded_for(message, Audience::Python)
}

/// mapwright's engine, compiled: load a mapping, transform records.
#[pymodule]
fn _mapwright(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Mapping>()?;
    m.add_class::<Outcome>()?;
    m.add("MapwrightError", m.py().get_type::<MapwrightError>())?;
    m.add("MappingError", m.py().get_type::<MappingError>())?;
    m.add("ParamsError", m.py().get_type::<ParamsError>())?;
    m.add("PayloadError", m.py().get_type::<PayloadError>())?;
    Ok(())
}
