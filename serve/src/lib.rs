//! The mapwright playground (`mapwright serve`): a local HTTP server on
//! 127.0.0.1 with a JSON API over the engine (docs/playground.md) and the
//! page under `web/`. It uses only the engine's public API: a WebAssembly
//! build of the same calls could later answer the page in its place.
//!
//! A thread per request; every run and explain goes to a worker thread
//! under a wall-clock limit ([`Config::time_limit`]), on top of the
//! engine's own per-unit budgets; a request body past
//! [`Config::max_body`] is refused with 413, and a client silent for
//! [`Config::read_timeout`] mid-request gets 408, and past
//! [`Config::max_connections`] a connection gets 503 (the port is a small
//! front door before tiny_http: `front`). Request bodies are never
//! logged: a log line names the method, the path, the status and the time.

#![deny(missing_docs)]

mod api;
mod front;
mod integrations;
mod page;
mod worker;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tiny_http::{Header, Method, Request, Response};

pub use integrations::{Integration, ManifestError, MANIFEST};

/// What `mapwright serve` was asked for.
#[derive(Clone, Debug)]
pub struct Config {
    /// The port on 127.0.0.1 (0: a free one).
    pub port: u16,
    /// The project whose `mappings/*/examples/playground.yaml` are listed.
    pub project: PathBuf,
    /// A mapping to open first (`-m`).
    pub mapping: Option<PathBuf>,
    /// Its input (`--input`).
    pub input: Option<PathBuf>,
    /// Write the page's edits of the `-m` mapping back to its file (`--write`).
    pub write: bool,
    /// The wall-clock limit of one run or explain.
    pub time_limit: Duration,
    /// The largest request body taken, in bytes.
    pub max_body: usize,
    /// Runs at once, counting timed-out ones still stopping.
    pub max_runs: usize,
    /// How long a client may go silent in the middle of sending a request
    /// before it is answered 408 and its connection closed.
    pub read_timeout: Duration,
    /// Connections served at once; past it one is answered 503 (`busy`)
    /// and closed.
    pub max_connections: usize,
}

impl Config {
    /// The defaults: a free port, 10 s a request, 4 MiB bodies, 4 runs,
    /// 64 connections.
    pub fn new(project: PathBuf) -> Config {
        Config {
            port: 0,
            project,
            mapping: None,
            input: None,
            write: false,
            time_limit: Duration::from_secs(DEFAULT_TIME_LIMIT_SECS),
            max_body: DEFAULT_MAX_BODY,
            max_runs: 4,
            read_timeout: Duration::from_secs(DEFAULT_READ_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The default wall-clock limit of a request, in seconds.
pub const DEFAULT_TIME_LIMIT_SECS: u64 = 10;
/// The default time a client may go silent mid-request, in seconds.
pub const DEFAULT_READ_TIMEOUT_SECS: u64 = 30;
/// The default number of connections served at once (a page makes a few;
/// each costs up to 4 threads while its request is answered).
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// The default largest request body: 4 MiB (the largest shipped example
/// input is about 300 KB).
pub const DEFAULT_MAX_BODY: usize = 4 << 20;

/// Why the playground could not start.
#[derive(Debug)]
pub enum ServeError {
    /// The port could not be bound.
    Bind(u16, String),
    /// A playground manifest is wrong.
    Manifest(ManifestError),
    /// The `-m` mapping or its `--input` could not be read.
    Files(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Bind(port, e) => write!(f, "cannot listen on 127.0.0.1:{port}: {e}"),
            ServeError::Manifest(e) => write!(f, "{e}"),
            ServeError::Files(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// A bound playground, ready to serve.
pub struct Playground {
    /// The port on 127.0.0.1 (crate::front), relaying to `server`.
    front: std::net::TcpListener,
    /// tiny_http, on the Unix socket `socket`.
    server: tiny_http::Server,
    socket: std::os::unix::net::SocketAddr,
    url: String,
    state: Arc<State>,
}

/// What every request handler reads.
struct State {
    config: Config,
    /// The port bound, as the Host header names it.
    port: String,
    integrations: Vec<Integration>,
    /// Integration ids and the mapping files their text loads at.
    paths: Vec<(String, PathBuf)>,
    workers: worker::Workers,
}

impl Playground {
    /// Read the integrations and bind 127.0.0.1:`port`.
    pub fn bind(config: Config) -> Result<Playground, ServeError> {
        let mut integrations =
            integrations::shipped(&config.project).map_err(ServeError::Manifest)?;
        if let Some(m) = &config.mapping {
            let input = config.input.clone().unwrap_or_default();
            let mut own = integrations::from_files(
                &config.project,
                m,
                &input,
                Map::new(),
                Some(config.max_body),
            )
            .map_err(ServeError::Files)?;
            own.writable = config.write;
            integrations.insert(0, own);
        }
        let paths = integrations
            .iter()
            .map(|i| (i.id.clone(), i.mapping_file.clone()))
            .collect();
        let bind = |e: &dyn std::fmt::Display| ServeError::Bind(config.port, e.to_string());
        let front =
            std::net::TcpListener::bind(("127.0.0.1", config.port)).map_err(|e| bind(&e))?;
        let port = front.local_addr().map_or(config.port, |a| a.port());
        let (server, socket) = back_door(port).map_err(|e| bind(&*e))?;
        Ok(Playground {
            front,
            server,
            socket,
            url: format!("http://127.0.0.1:{port}/"),
            state: Arc::new(State {
                port: port.to_string(),
                workers: worker::Workers::new(config.max_runs),
                config,
                integrations,
                paths,
            }),
        })
    }

    /// The page's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answer requests until the process ends, a thread each.
    pub fn run(self) {
        let (front, socket) = (self.front, self.socket.clone());
        let limits = front::Limits {
            read_timeout: self.state.config.read_timeout,
            max_body: self.state.config.max_body,
            max_connections: self.state.config.max_connections,
        };
        let accepting = std::thread::Builder::new()
            .name("playground-front".into())
            .spawn(move || front::serve(front, socket, limits));
        if let Err(e) = accepting {
            log(&format!("cannot start the front door's thread: {e}"));
            return;
        }
        for request in self.server.incoming_requests() {
            let state = self.state.clone();
            let spawned = std::thread::Builder::new()
                .name("playground-request".into())
                .spawn(move || handle(&state, request));
            if let Err(e) = spawned {
                log(&format!("cannot start a request thread: {e}"));
            }
        }
    }
}

/// tiny_http on a Unix socket of Linux's abstract namespace, named for
/// this process and its port: it leaves no file behind however the
/// process ends (a server is stopped by a signal), and a browser cannot
/// reach it, only the front door (crate::front) does.
fn back_door(
    port: u16,
) -> Result<
    (tiny_http::Server, std::os::unix::net::SocketAddr),
    Box<dyn std::error::Error + Send + Sync>,
> {
    use std::os::linux::net::SocketAddrExt as _;
    let name = format!("mapwright-serve-{}-{port}", std::process::id());
    let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    let listener = std::os::unix::net::UnixListener::bind_addr(&address)?;
    Ok((tiny_http::Server::from_listener(listener, None)?, address))
}

/// A line on stderr; a closed stderr is ignored.
fn log(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Answer one request and log it (never its body).
fn handle(state: &State, mut request: Request) {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_string();
    let (status, content_type, body) = match refused(&state.port, &method, &request) {
        Some(answer) => answer,
        None => route(state, &method, &path, &mut request),
    };
    let response = Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"));
    if let Err(e) = request.respond(response) {
        log(&format!(
            "{method} {path}: the answer could not be sent: {e}"
        ));
    }
    log(&format!(
        "{method} {path} {status} {} ms",
        started.elapsed().as_millis()
    ));
}

/// The value of the request's header `name`, if it has one.
fn header_of<'r>(request: &'r Request, name: &'r str) -> Option<&'r str> {
    values_of(request, name).next()
}

/// Every value the request gives its header `name`.
fn values_of<'r>(request: &'r Request, name: &'r str) -> impl Iterator<Item = &'r str> {
    request
        .headers()
        .iter()
        .filter(move |h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The headers the checks below read: given twice, which one a check took
/// and which one something else took could differ, so twice is refused.
const CHECKED_ONCE: [&str; 3] = ["Host", "Origin", "Content-Type"];

/// A request another web site could have made the browser send: one for
/// another host name (DNS rebinding), from another origin, or a POST that
/// is not JSON (a cross-site form or `no-cors` fetch can send only plain
/// text or form data without asking first). It would otherwise run
/// mappings or, with `--write`, write the mapping file.
fn refused(port: &str, method: &Method, request: &Request) -> Option<Answer> {
    if let Some(twice) = CHECKED_ONCE
        .iter()
        .find(|name| values_of(request, name).nth(1).is_some())
    {
        return Some(error_answer(
            400,
            "duplicate-header",
            &format!("the request gives {twice} more than once; give it once"),
        ));
    }
    // Host names are case-insensitive (RFC 9110, 4.2.3): LOCALHOST is ours.
    let ours = |value: &str| {
        ["127.0.0.1", "localhost"]
            .iter()
            .any(|host| value.eq_ignore_ascii_case(&format!("{host}:{port}")))
    };
    if !header_of(request, "Host").is_some_and(ours) {
        return Some(error_answer(
            403,
            "wrong-host",
            "the playground answers only requests for 127.0.0.1 or localhost on its port",
        ));
    }
    let origin = header_of(request, "Origin");
    let from_us = |o: &str| {
        o.split_at_checked("http://".len())
            .is_some_and(|(scheme, host)| scheme.eq_ignore_ascii_case("http://") && ours(host))
    };
    if origin.is_some_and(|o| !from_us(o)) {
        return Some(error_answer(
            403,
            "wrong-origin",
            "the playground answers only its own page",
        ));
    }
    // Media types are case-insensitive (RFC 9110): Application/JSON is JSON.
    let json = header_of(request, "Content-Type").is_some_and(|t| {
        t.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case(JSON)
    });
    if *method == Method::Post && !json {
        return Some(error_answer(
            415,
            "not-json",
            "a POST must have Content-Type: application/json",
        ));
    }
    None
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a fixed ASCII header")
}

const JSON: &str = "application/json";

type Answer = (u16, &'static str, Vec<u8>);

fn route(state: &State, method: &Method, path: &str, request: &mut Request) -> Answer {
    // HEAD is answered as GET is, and tiny_http leaves the body out (its
    // Content-Length stays): a link checker's HEAD / finds the page.
    match (method, path) {
        (Method::Get | Method::Head, "/api/integrations") => {
            json_answer(200, &integrations_json(state))
        }
        (Method::Get | Method::Head, _) if page::file(path).is_some() => {
            let (content_type, text) = page::file(path).expect("matched");
            (200, content_type, text.as_bytes().to_vec())
        }
        (Method::Post, "/api/run") => work(state, request, Work::Run),
        (Method::Post, "/api/explain") => work(state, request, Work::Explain),
        (Method::Post, "/api/save") => save(state, request),
        (_, "/api/run" | "/api/explain" | "/api/integrations" | "/api/save") => {
            error_answer(405, "method-not-allowed", "this method is not allowed here")
        }
        _ => error_answer(404, "not-found", "no such page or API"),
    }
}

fn integrations_json(state: &State) -> Value {
    json!({ "integrations": state.integrations })
}

fn json_answer(status: u16, value: &Value) -> Answer {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    (status, JSON, body)
}

fn error_answer(status: u16, code: &str, message: &str) -> Answer {
    json_answer(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

#[derive(Clone, Copy)]
enum Work {
    Run,
    Explain,
}

/// A run or explain: body read within the size limit, parsed, then
/// worked on a worker thread under the time limit.
fn work(state: &State, request: &mut Request, what: Work) -> Answer {
    let limit = state.config.max_body;
    let body = match read_body(request, limit) {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let parsed: api::RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error_answer(
                400,
                "bad-request",
                &format!("the request is not the API's JSON: {}", unquoted(&e)),
            )
        }
    };
    let project = state.config.project.clone();
    let path = match api::mapping_path(&project, &state.paths, parsed.integration.as_deref()) {
        Ok(p) => p,
        Err(message) => return error_answer(400, "unknown-integration", &message),
    };
    let time_limit = state.config.time_limit;
    let unit_time_ms = u64::try_from(time_limit.as_millis()).unwrap_or(u64::MAX);
    let answer = state.workers.run(time_limit, move |cancel| {
        let limits = api::Limits {
            cancel,
            unit_time_ms,
        };
        match what {
            Work::Run => api::run(&project, &path, parsed, limits),
            Work::Explain => api::explain(&project, &path, parsed, limits),
        }
    });
    match answer {
        worker::Answer::Done(value) => json_answer(200, &value),
        worker::Answer::TimedOut => error_answer(
            504,
            "time-out",
            &format!(
                "stopped after {} (the playground's time limit per request, serve --time-limit); the server goes on",
                shown_duration(time_limit)
            ),
        ),
        worker::Answer::Failed => error_answer(
            500,
            "failed",
            "the run ended without an answer (a bug in mapwright: please report it with the mapping)",
        ),
        worker::Answer::Busy => error_answer(
            503,
            "busy",
            &format!(
                "{} runs are still going (timed-out ones stop at their next record); try again",
                state.config.max_runs
            ),
        ),
    }
}

fn shown_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The body of `POST /api/save`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveRequest {
    integration: String,
    mapping: String,
}

/// serde's message without the text it quotes (`invalid type: string
/// "token=SESAME", expected a map`): a value sent may be a secret, and the
/// field and the expected type say enough.
fn unquoted(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("text");
        let quoted = &rest[i + "string \"".len()..];
        // The closing quote: the first not escaped by a backslash.
        let mut end = quoted.len();
        let mut escaped = false;
        for (j, c) in quoted.char_indices() {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = j + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &quoted[end.min(quoted.len())..];
    }
    out.push_str(rest);
    out
}

/// Write the page's mapping text over the `-m` mapping's file, when the
/// server was started with `--write`: whole, then renamed into place.
fn save(state: &State, request: &mut Request) -> Answer {
    let body = match read_body(request, state.config.max_body) {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let parsed: SaveRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let message = format!("the request is not the API's JSON: {}", unquoted(&e));
            return error_answer(400, "bad-request", &message);
        }
    };
    let Some(target) = state
        .integrations
        .iter()
        .find(|i| i.id == parsed.integration && i.writable)
    else {
        return error_answer(
            403,
            "not-writable",
            "only the mapping given with serve -m MAPPING --write is written back",
        );
    };
    match write_atomically(&target.mapping_file, parsed.mapping.as_bytes()) {
        Ok(()) => json_answer(
            200,
            &json!({"saved": target.mapping_path, "bytes": parsed.mapping.len()}),
        ),
        Err(e) => error_answer(
            500,
            "not-saved",
            &format!("{} could not be written: {e}", target.mapping_path),
        ),
    }
}

/// `bytes` into a new file beside `path`, then renamed over it: a reader
/// (or a crash) never sees half a mapping.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    // A symlinked mapping: its file is written, and the link stays a link
    // (renaming over the link replaced it and left the file as it was).
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let path = real.as_path();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut staged = tempfile::NamedTempFile::new_in(dir)?;
    // The file keeps its mode (a temp file is created private).
    if let Ok(meta) = std::fs::metadata(path) {
        staged.as_file().set_permissions(meta.permissions())?;
    }
    staged.write_all(bytes)?;
    staged.as_file().sync_all()?;
    staged.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The body, refused with 413 past `limit` bytes (by its Content-Length,
/// or as it is read when it has none).
fn read_body(request: &mut Request, limit: usize) -> Result<Vec<u8>, Answer> {
    let too_big = || {
        error_answer(
            413,
            "too-large",
            &format!("the request body is over {limit} bytes (serve --max-body)"),
        )
    };
    if request.body_length().is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(limit as u64 + 1)
        .read_to_end(&mut body);
    match read {
        Err(e) => Err(error_answer(
            400,
            "bad-request",
            &format!("the body could not be read: {e}"),
        )),
        Ok(_) if body.len() > limit => Err(too_big()),
        Ok(_) => Ok(body),
    }
}

/// The project around `start`: the nearest folder holding `mappings/` or
/// `schemas/` (else `start`).
pub fn project_around(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|d| d.join("mappings").is_dir() || d.join("schemas").is_dir())
        .unwrap_or(start)
        .to_path_buf()
}
