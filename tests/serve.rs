//! `mapwright serve`, through the binary on a free loopback port: the JSON
//! API gives what `convert` and `explain` give for the shipped examples,
//! shows diagnostics with their line, keeps secrets out, refuses an
//! oversized body and times out a runaway mapping while it goes on
//! answering.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{demo_project, root};
use serde_json::{json, Value};

/// A `mapwright serve` of ours, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    /// `mapwright serve --port 0 ARGS` in `dir`, once it has printed its URL.
    fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
            .current_dir(dir)
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mapwright serve starts");
        let mut first = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("serve prints its URL");
        let address = first
            .trim()
            .strip_prefix("http://")
            .and_then(|a| a.strip_suffix('/'))
            .unwrap_or_else(|| panic!("a URL on 127.0.0.1, not {first:?}"))
            .to_string();
        assert!(address.starts_with("127.0.0.1:"), "{address}");
        Server { child, address }
    }

    /// One HTTP/1.0 exchange (so the answer is never chunked): the status and the body.
    fn exchange(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let headers = format!(
            "Host: {}\r\nContent-Type: application/json\r\n",
            self.address
        );
        self.exchange_with(method, path, &headers, body)
    }

    /// [`Server::exchange`] with these header lines (each ending in CRLF).
    fn exchange_with(
        &self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.address).expect("the server answers");
        let head = format!(
            "{method} {path} HTTP/1.0\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        // A refused body may be cut off by the server's answer: ignore that.
        let _ = stream.write_all(body);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP answer");
        let status_line = String::from_utf8_lossy(&answer[..split]).into_owned();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status in {status_line}"));
        (status, answer[split + 4..].to_vec())
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.exchange("GET", path, b"");
        (status, serde_json::from_slice(&body).expect("JSON"))
    }

    fn post(&self, path: &str, request: &Value) -> (u16, Value) {
        let (status, body) = self.exchange("POST", path, request.to_string().as_bytes());
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&body)));
        (status, value)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shipped integrations, as the API lists them.
fn integrations(server: &Server) -> Vec<Value> {
    let (status, listed) = server.get("/api/integrations");
    assert_eq!(status, 200);
    listed["integrations"].as_array().unwrap().clone()
}

/// The run request of a listed integration.
fn request_of(integration: &Value) -> Value {
    json!({
        "integration": integration["id"],
        "mapping": integration["mapping"],
        "input": integration["input"],
        "input_name": integration["input_name"],
        "params": integration["params"],
        "output_format": integration["output_format"],
    })
}

/// `mapwright convert` of a listed integration in the repository: its stdout.
fn convert_of(integration: &Value) -> Vec<u8> {
    let mapping = integration["mapping_path"].as_str().unwrap();
    let folder = Path::new(mapping).parent().unwrap();
    let input = folder
        .join("examples")
        .join(integration["input_name"].as_str().unwrap());
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("mapwright"));
    cmd.current_dir(root())
        .args(["convert", "-q", "-m", mapping])
        .arg(&input);
    for (name, value) in integration["params"].as_object().unwrap() {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_string);
        cmd.arg("--param").arg(format!("{name}={text}"));
    }
    if let Some(format) = integration["output_format"].as_str() {
        cmd.args(["--output-format", format]);
    }
    let out = cmd.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{mapping}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn run_gives_converts_payload_byte_for_byte_for_every_shipped_example() {
    let server = Server::start(&root(), &[]);
    let listed = integrations(&server);
    assert!(listed.len() >= 6, "{listed:?}");
    for integration in &listed {
        let id = integration["id"].as_str().unwrap();
        let (status, answer) = server.post("/api/run", &request_of(integration));
        assert_eq!(status, 200, "{id}: {answer}");
        assert_eq!(answer["errors"], json!([]), "{id}");
        let expected = convert_of(integration);
        assert!(!expected.is_empty(), "{id}: convert wrote nothing");
        assert_eq!(
            answer["output"].as_str().unwrap().as_bytes(),
            expected.as_slice(),
            "{id}: the playground's payload differs from convert's"
        );
        let counts = &answer["counts"];
        assert_eq!(
            counts["units"],
            counts["accepted"].as_u64().unwrap()
                + counts["rejected"].as_u64().unwrap()
                + counts["skipped"].as_u64().unwrap(),
            "{id}"
        );
        assert_eq!(
            answer["rejections"].as_array().unwrap().len() as u64,
            counts["rejected"].as_u64().unwrap(),
            "{id}"
        );
    }
}

#[test]
fn every_example_input_shipped_is_in_the_playground_menu() {
    let server = Server::start(&root(), &[]);
    let listed: Vec<String> = integrations(&server)
        .iter()
        .map(|i| {
            let mapping = i["mapping_path"].as_str().unwrap();
            let folder = Path::new(mapping).parent().unwrap();
            format!(
                "{}/examples/{}",
                folder.display(),
                i["input_name"].as_str().unwrap()
            )
        })
        .collect();
    // Outputs, params and notes kept beside the inputs are no inputs.
    let not_inputs = |name: &str| {
        name == "README.md"
            || name == "playground.yaml"
            || name.contains("params")
            || name.contains(".expected.")
            // The rendered XML of special-characters.json.
            || name == "special-characters.xml"
    };
    for folder in std::fs::read_dir(root().join("mappings"))
        .unwrap()
        .flatten()
    {
        let examples = folder.path().join("examples");
        for file in std::fs::read_dir(&examples).into_iter().flatten().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if not_inputs(&name) {
                continue;
            }
            let shown = format!(
                "mappings/{}/examples/{name}",
                folder.file_name().to_string_lossy()
            );
            assert!(listed.contains(&shown), "{shown} is not in {listed:?}");
        }
    }
}

#[test]
fn the_synergetic_vendor_token_is_listed_as_secret_and_never_echoed_in_a_problem() {
    let server = Server::start(&root(), &[]);
    let synergetic = integrations(&server)
        .into_iter()
        .find(|i| i["mapping_path"] == "mappings/oneserve-synergetic/order.yaml")
        .expect("listed");
    assert_eq!(synergetic["secret_params"], json!(["vendor_token"]));
    let mut request = request_of(&synergetic);
    // Not a GUID: the param is refused, and the message must not show it.
    request["params"]["vendor_token"] = json!("hunter2-not-a-guid");
    let (status, answer) = server.post("/api/run", &request);
    assert_eq!(status, 200);
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{answer}");
    assert!(
        errors[0].as_str().unwrap().contains("vendor_token"),
        "{answer}"
    );
    assert!(!answer.to_string().contains("hunter2"), "{answer}");
}

#[test]
fn a_typo_in_the_mapping_text_is_a_diagnostic_with_its_line_and_column() {
    let server = Server::start(&root(), &[]);
    let spectrum = integrations(&server)
        .into_iter()
        .find(|i| i["id"] == "mappings/oneserve-spectrum/order.yaml#orders.ndjson")
        .expect("listed");
    let mut request = request_of(&spectrum);
    let text = spectrum["mapping"].as_str().unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("lookups:"))
        .unwrap()
        + 1;
    request["mapping"] = json!(text.replacen("\nlookups:", "\nlookup:", 1));
    let (status, answer) = server.post("/api/run", &request);
    assert_eq!(status, 200);
    // The key is reported, and the lookups it declared are then unknown.
    let diagnostics = answer["diagnostics"].as_array().unwrap();
    let first = diagnostics
        .iter()
        .find(|d| d["code"] == "unknown-key")
        .unwrap_or_else(|| panic!("no unknown-key in {answer}"));
    assert_eq!(first["help"], "did you mean 'lookups'?", "{answer}");
    assert_eq!(first["line"], line as u64, "{answer}");
    assert_eq!(first["column"], 1, "{answer}");
    assert_eq!(first["in_mapping"], true, "{answer}");
    assert_eq!(first["file"], "mappings/oneserve-spectrum/order.yaml");
    assert_eq!(answer["outputs"], json!([]));
}

#[test]
fn explain_gives_the_trace_explain_gives_for_a_line() {
    let server = Server::start(&root(), &[]);
    let spectrum = integrations(&server)
        .into_iter()
        .find(|i| i["id"] == "mappings/oneserve-spectrum/order.yaml#orders.ndjson")
        .expect("listed");
    let mut request = request_of(&spectrum);
    request.as_object_mut().unwrap().remove("output_format");
    request["record"] = json!(3);
    let (status, answer) = server.post("/api/explain", &request);
    assert_eq!(status, 200, "{answer}");
    let out = Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(root())
        .args([
            "explain",
            "-m",
            "mappings/oneserve-spectrum/order.yaml",
            "mappings/oneserve-spectrum/examples/orders.ndjson",
            "--line",
            "3",
            "--param",
            "company_code=KM2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let expected: Value = serde_json::from_slice(&out.stdout).expect("explain's JSON");
    assert_eq!(expected["outcome"], "accepted");
    assert_eq!(answer["trace"], expected);
}

#[test]
fn a_request_another_site_could_send_is_refused() {
    let server = Server::start(&root(), &[]);
    let body = json!({"mapping": "m"}).to_string();
    let refused = |headers: String| {
        let (status, answer) = server.exchange_with("POST", "/api/run", &headers, body.as_bytes());
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        (
            status,
            answer["error"]["code"].as_str().unwrap().to_string(),
        )
    };
    let own = format!("Host: {}\r\n", server.address);
    // A name that resolves to 127.0.0.1 by DNS rebinding.
    assert_eq!(
        refused("Host: evil.example:80\r\nContent-Type: application/json\r\n".into()),
        (403, "wrong-host".to_string())
    );
    assert_eq!(
        refused(format!(
            "{own}Origin: http://evil.example\r\nContent-Type: application/json\r\n"
        )),
        (403, "wrong-origin".to_string())
    );
    // What a cross-site form or no-cors fetch can send.
    assert_eq!(
        refused(format!("{own}Content-Type: text/plain\r\n")),
        (415, "not-json".to_string())
    );
    // The page's own requests pass.
    let port = server.address.rsplit(':').next().unwrap();
    let page = format!("Host: localhost:{port}\r\nOrigin: http://localhost:{port}\r\nContent-Type: application/json; charset=utf-8\r\n");
    let (status, _) = server.exchange_with("POST", "/api/run", &page, body.as_bytes());
    assert_eq!(status, 200);
    // Second review of issue 15: a host name is case-insensitive.
    let shouted = format!("Host: LOCALHOST:{port}\r\nOrigin: HTTP://LocalHost:{port}\r\nContent-Type: application/json\r\n");
    let (status, _) = server.exchange_with("POST", "/api/run", &shouted, body.as_bytes());
    assert_eq!(status, 200);
    assert_eq!(
        refused(format!("Host: LOCALHOST:{port}\r\nOrigin: HTTP://EVIL.example\r\nContent-Type: application/json\r\n")),
        (403, "wrong-origin".to_string())
    );
    // Review of issue 15: a media type is case-insensitive.
    let shouted = format!("{own}Content-Type: Application/JSON; charset=UTF-8\r\n");
    let (status, _) = server.exchange_with("POST", "/api/run", &shouted, body.as_bytes());
    assert_eq!(status, 200);
    // Review of issue 15: a second Host or Origin was ignored (the first
    // one checked); given twice, a header is refused whatever it says.
    let json = "Content-Type: application/json\r\n";
    let own_origin = format!("Origin: http://{}\r\n", server.address);
    for twice in [
        format!("{own}Host: evil.example:80\r\n{json}"),
        format!("{own}{own}{json}"),
        format!("{own}{own_origin}Origin: http://evil.example\r\n{json}"),
        format!("{own}{own_origin}{own_origin}{json}"),
        format!("{own}{json}Content-Type: text/plain\r\n"),
    ] {
        assert_eq!(
            refused(twice.clone()),
            (400, "duplicate-header".to_string()),
            "{twice}"
        );
    }
}

#[test]
fn an_oversized_body_is_refused_with_413_and_the_next_request_is_answered() {
    let server = Server::start(&root(), &["--max-body", "1000"]);
    let big = json!({"mapping": "x".repeat(1000), "input": ""});
    let (status, answer) = server.post("/api/run", &big);
    assert_eq!(status, 413);
    assert_eq!(answer["error"]["code"], "too-large");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("over 1000 bytes"),
        "{answer}"
    );
    let (status, _) = server.get("/api/integrations");
    assert_eq!(status, 200);
}

#[test]
fn a_request_that_is_not_the_apis_json_is_a_400_naming_the_field() {
    let server = Server::start(&root(), &[]);
    let (status, answer) = server.post("/api/run", &json!({"mapping": "m", "inptu": ""}));
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "bad-request");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("inptu"),
        "{answer}"
    );
    let (status, answer) = server.post(
        "/api/run",
        &json!({"mapping": "m", "integration": "mappings/none.yaml"}),
    );
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "unknown-integration");
}

/// A mapping whose every record spends far longer than the server's limit
/// of 1 s: each compares every item of a 3,000-item list with every
/// other, under budgets the mapping raised to a billion operations and an
/// hour.
const RUNAWAY: &str = "mapping: runaway\ntarget: demo.row\nlimits: {operations: 1000000000, time_ms: 3600000}\nrecord:\n  id: = id\n  n: = l.filter(|a| l.all(|b| a >= 0 && b >= 0)).len().to_string()\n";

#[test]
fn a_runaway_mapping_times_out_and_the_server_answers_the_next_request() {
    let dir = demo_project("serve", "runaway");
    let server = Server::start(&dir, &["--time-limit", "1"]);
    let list: Vec<u32> = (0..3000).collect();
    let record = json!({"id": "a", "l": list}).to_string();
    let input = vec![record; 20].join("\n");
    let runaway = json!({"mapping": RUNAWAY, "input": input, "input_name": "in.ndjson"});
    let (status, answer) = server.post("/api/run", &runaway);
    assert_eq!(status, 504, "{answer}");
    assert_eq!(answer["error"]["code"], "time-out");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "stopped after 1 s (the playground's time limit per request, serve --time-limit)"
        ),
        "{message}"
    );
    // The next request is answered, with its output.
    let quick = json!({
        "mapping": format!("mapping: rows\ntarget: demo.row\n{}", common::DEMO_RECORD),
        "input": "{\"id\": \"x1\", \"name\": \"one\"}\n",
        "input_name": "in.ndjson",
    });
    let (status, answer) = server.post("/api/run", &quick);
    assert_eq!(status, 200, "{answer}");
    // One document: the JSON array of the target's records (no envelope).
    assert_eq!(answer["outputs"], json!([[{"id": "x1", "n": "one"}]]));
    assert_eq!(answer["output"], "[\n{\"id\":\"x1\",\"n\":\"one\"}\n]\n");
}

#[test]
fn with_write_the_pages_mapping_is_written_back_to_the_m_file_only() {
    let dir = demo_project("serve", "write");
    std::fs::write(
        dir.join("in.ndjson"),
        "{\"id\": \"x1\", \"name\": \"one\"}\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::Permissions::from_mode(0o640);
    std::fs::set_permissions(dir.join("m.yaml"), mode).unwrap();
    let server = Server::start(&dir, &["-m", "m.yaml", "--input", "in.ndjson", "--write"]);
    let own = integrations(&server).remove(0);
    assert_eq!(own["id"], "m.yaml");
    assert_eq!(own["writable"], true);
    assert_eq!(own["input"], "{\"id\": \"x1\", \"name\": \"one\"}\n");
    let edited = "mapping: rows\ntarget: demo.row\nrecord:\n  id: = id\n  n: = \"edited\"\n";
    let (status, answer) = server.post(
        "/api/save",
        &json!({"integration": "m.yaml", "mapping": edited}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["saved"], "m.yaml");
    assert_eq!(std::fs::read_to_string(dir.join("m.yaml")).unwrap(), edited);
    let kept = std::fs::metadata(dir.join("m.yaml")).unwrap().permissions();
    assert_eq!(kept.mode() & 0o777, 0o640, "the file keeps its mode");
    // Nothing but the file and the untouched input is left in the folder.
    assert_eq!(common::names(&dir), ["in.ndjson", "m.yaml", "schemas"]);
}

#[test]
fn without_write_nothing_is_written_back() {
    let dir = demo_project("serve", "no-write");
    let before = std::fs::read_to_string(dir.join("m.yaml")).unwrap();
    let server = Server::start(&dir, &["-m", "m.yaml"]);
    assert_eq!(integrations(&server)[0]["writable"], false);
    let (status, answer) = server.post(
        "/api/save",
        &json!({"integration": "m.yaml", "mapping": "mapping: other\n"}),
    );
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "not-writable");
    assert_eq!(std::fs::read_to_string(dir.join("m.yaml")).unwrap(), before);
}

#[test]
fn open_starts_the_browser_named_in_browser_on_the_url() {
    let dir = demo_project("serve", "open");
    let opened = dir.join("opened.txt");
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(&dir)
        .env("BROWSER", &script)
        .args(["serve", "--open"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    // The browser script runs beside the server: wait for its file.
    let mut seen = String::new();
    for _ in 0..500 {
        seen = std::fs::read_to_string(&opened).unwrap_or_default();
        if !seen.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(seen, url.trim());
}

/// A mapping nested 100 flow maps deep is the YAML reader's depth error,
/// answered, and the server goes on (review of issue 15: from about 40 deep
/// it overflowed the run thread's stack and the process died).
#[test]
fn a_deeply_nested_mapping_is_a_diagnostic_and_the_server_goes_on() {
    let dir = demo_project("serve", "deep");
    let server = Server::start(&dir, &[]);
    let depth = 100;
    let mapping = format!(
        "mapping: rows\ntarget: demo.row\nrecord:\n  id: {}1{}\n",
        "{a: ".repeat(depth),
        "}".repeat(depth)
    );
    let deep =
        json!({"mapping": mapping, "input": "{\"id\": \"x1\"}\n", "input_name": "in.ndjson"});
    let (status, answer) = server.post("/api/run", &deep);
    assert_eq!(status, 200, "{answer}");
    let diagnostics = answer["diagnostics"].as_array().unwrap();
    assert!(diagnostics.iter().any(|d| d["code"] == "yaml"), "{answer}");
    // A long single-line input is read in pieces, in linear time: a
    // 2 MB JSON array converts like convert does.
    let records: Vec<Value> = (0..20_000)
        .map(|i| json!({"id": format!("{}", i % 10_000), "name": "n"}))
        .collect();
    let quick = json!({
        "mapping": format!("mapping: rows\ntarget: demo.row\n{}", common::DEMO_RECORD),
        "input": Value::Array(records).to_string(),
        "input_name": "in.json",
    });
    let (status, answer) = server.post("/api/run", &quick);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["counts"]["accepted"], 20_000,
        "{}",
        answer["diagnostics"]
    );
}

/// A value sent where the API wants another type is not echoed: it may be
/// a secret (review of issue 15: `params: "token=SESAMESTR"` came back in
/// serde's message).
#[test]
fn a_wrongly_typed_value_is_not_echoed_in_the_400() {
    let dir = demo_project("serve", "no-echo");
    let server = Server::start(&dir, &[]);
    let body = json!({
        "mapping": format!("mapping: rows\ntarget: demo.row\n{}", common::DEMO_RECORD),
        "params": "token=SESAMESTR",
        "input": "{}",
    });
    let (status, answer) = server.post("/api/run", &body);
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(!message.contains("SESAME"), "{message}");
    assert!(
        message.contains("invalid type: text, expected a map"),
        "{message}"
    );
}

/// A symlinked `-m` mapping: the file it points at is written and the link
/// stays a link (review of issue 15: the link was replaced by a file).
#[test]
fn with_write_a_symlinked_mapping_writes_its_file() {
    let dir = demo_project("serve", "write-link");
    std::fs::write(
        dir.join("in.ndjson"),
        "{\"id\": \"x1\", \"name\": \"one\"}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("m.yaml", dir.join("link.yaml")).unwrap();
    let server = Server::start(
        &dir,
        &["-m", "link.yaml", "--input", "in.ndjson", "--write"],
    );
    let edited = "mapping: rows\ntarget: demo.row\nrecord:\n  id: = id\n  n: = \"edited\"\n";
    let (status, answer) = server.post(
        "/api/save",
        &json!({"integration": "link.yaml", "mapping": edited}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(std::fs::read_to_string(dir.join("m.yaml")).unwrap(), edited);
    assert!(std::fs::symlink_metadata(dir.join("link.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
}

/// `mapwright explain ARGS --format json` in the repository: its trace.
fn explain_json(args: &[&str]) -> Value {
    let out = Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(root())
        .args(["explain", "-m", "mappings/oneserve-spectrum/order.yaml"])
        .args(args)
        .args(["--param", "company_code=KM2", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "explain's JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Review of issue 15: explain read only NDJSON lines. A CSV input's
/// rejection names the lines of its unit's rows: any of them traces that
/// unit, grouped and shaped as the run did, as `explain --line` does.
#[test]
fn explain_traces_the_csv_unit_a_rejection_names_by_any_of_its_lines() {
    let server = Server::start(&root(), &[]);
    let lines = integrations(&server)
        .into_iter()
        .find(|i| i["id"] == "mappings/oneserve-spectrum/order.yaml#order-lines.csv")
        .expect("listed");
    let mut request = request_of(&lines);
    let (status, run) = server.post("/api/run", &request);
    assert_eq!(status, 200, "{run}");
    let rejection = &run["rejections"][0];
    assert_eq!(
        rejection["input"],
        json!([6, 188, 347, 360, 416]),
        "{rejection}"
    );
    assert_eq!(rejection["errors"][0]["rule"], "team-assigned");
    request.as_object_mut().unwrap().remove("output_format");
    request["record"] = json!(188);
    let (status, answer) = server.post("/api/explain", &request);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rejected"], true, "{answer}");
    assert_eq!(answer["trace"]["violations"][0]["rule"], "team-assigned");
    let csv = "mappings/oneserve-spectrum/examples/order-lines.csv";
    assert_eq!(answer["trace"], explain_json(&[csv, "--line", "6"]));
    // The header is no row: the message names the API's field, not a flag.
    request["record"] = json!(1);
    let (_, answer) = server.post("/api/explain", &request);
    assert_eq!(
        answer["errors"],
        json!(["order-lines.csv: record 1: no row of the CSV input is on that line (line 1 is its header)"])
    );
    // Second review of issue 15: past the end, the input's lines are
    // counted (the header note only when line 1 is asked for).
    request["record"] = json!(621);
    let (_, answer) = server.post("/api/explain", &request);
    assert_eq!(
        answer["errors"],
        json!(["order-lines.csv: record 621: the input has 620 lines"])
    );
}

/// A JSON array's records are numbered as a run's rejections number them
/// (1-based); one JSON document is record 1.
#[test]
fn explain_traces_the_record_of_a_json_array_a_rejection_names() {
    let server = Server::start(&root(), &[]);
    let orders = integrations(&server)
        .into_iter()
        .find(|i| i["id"] == "mappings/oneserve-spectrum/order.yaml#orders.ndjson")
        .expect("listed");
    let ndjson = orders["input"].as_str().unwrap().to_string();
    let records: Vec<&str> = ndjson.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut request = request_of(&orders);
    request.as_object_mut().unwrap().remove("output_format");
    request["input"] = format!("[{}]", records.join(",\n")).into();
    request["input_name"] = "orders.json".into();
    let (status, run) = server.post("/api/run", &request);
    assert_eq!(status, 200, "{run}");
    let rejection = &run["rejections"][0];
    let index = rejection["input"][0].as_u64().expect("an index") as usize;
    request["record"] = json!(index);
    let (_, answer) = server.post("/api/explain", &request);
    assert_eq!(answer["rejected"], true, "{answer}");
    assert_eq!(
        answer["trace"]["violations"][0]["rule"],
        rejection["errors"][0]["rule"]
    );
    // The same record alone, as one JSON document.
    request["input"] = records[index - 1].into();
    request["record"] = json!(1);
    let (_, alone) = server.post("/api/explain", &request);
    assert_eq!(alone["trace"], answer["trace"]);
    request["record"] = json!(2);
    let (_, past) = server.post("/api/explain", &request);
    assert_eq!(
        past["errors"],
        json!(["orders.json: record 2: the input has 1 record"])
    );
}

/// Review of issue 15: a client that sent half a body and stalled held a
/// thread forever. With `--read-timeout 1` it is answered 408 once it has
/// been silent that long, and other requests are answered meanwhile.
#[test]
fn a_stalled_request_body_is_answered_408_and_the_server_goes_on() {
    let server = Server::start(&root(), &["--read-timeout", "1"]);
    let mut stalled = TcpStream::connect(&server.address).unwrap();
    let head = format!(
        "POST /api/run HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        server.address
    );
    stalled.write_all(head.as_bytes()).unwrap();
    stalled.write_all(b"{\"mapping\"").unwrap();
    // Answered while the other stalls.
    let (status, listed) = server.get("/api/integrations");
    assert_eq!(status, 200, "{listed}");
    // A guard against a hang of the test itself, far past the server's 1 s.
    stalled
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut answer = Vec::new();
    stalled
        .read_to_end(&mut answer)
        .expect("the server answers and closes");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "read-timeout", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--read-timeout"),
        "{body}"
    );
    // A connection that begins no request is closed without an answer.
    let mut idle = TcpStream::connect(&server.address).unwrap();
    idle.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut nothing = Vec::new();
    idle.read_to_end(&mut nothing)
        .expect("closed by the server");
    assert_eq!(String::from_utf8_lossy(&nothing), "");
}

/// Review of issue 15: `serve --input /dev/zero` read until memory ran out.
/// The `-m` and `--input` files are read up to `--max-body` bytes (the page
/// sends them in one request): past it, serve does not start, naming both.
#[test]
fn an_input_file_over_max_body_is_refused_at_start_naming_file_and_limit() {
    let out = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("mapwright"))
        .current_dir(root())
        .args(["serve", "--port", "0", "--max-body", "100000"])
        .args(["-m", "mappings/oneserve-spectrum/order.yaml"])
        .args(["--input", "/dev/zero"])
        // A guard against the old endless read, not a measure.
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: /dev/zero is over 100000 bytes, the most a request may carry (serve --max-body): the page could not send it\n"
    );
}

/// Review of issue 15: after its 413 the server went on reading the
/// refused body as long as the client sent it (14 GB in 20 s). A head
/// whose Content-Length is over `--max-body` is answered 413 and the
/// connection closed both ways at once: sending more fails well before
/// the bound of bytes this test allows itself.
#[test]
fn a_body_over_max_body_is_refused_by_its_head_and_not_read() {
    let server = Server::start(&root(), &["--max-body", "1000"]);
    let mut client = TcpStream::connect(&server.address).unwrap();
    // A guard against a hang of the test itself, not a measure.
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /api/run HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n",
        server.address
    );
    client.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    client
        .read_to_end(&mut answer)
        .expect("answered, then closed");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "too-large", "{body}");
    assert_eq!(
        body["error"]["message"],
        "the request body is over 1000 bytes (serve --max-body)"
    );
    // The connection is closed: a send fails long before 64 MiB are out
    // (the old server took all of them, and more).
    let chunk = vec![b'x'; 64 << 10];
    let sent_before_failing = (0..1024).position(|_| client.write_all(&chunk).is_err());
    assert!(
        sent_before_failing.is_some(),
        "the server took 64 MiB of a refused body"
    );
    let (status, _) = server.get("/api/integrations");
    assert_eq!(status, 200);
}

/// Review of issue 15: nothing bounded the connections, each costing
/// threads. With `--max-connections 3`, three connections that send half
/// a head hold the three; five more are each answered 503 `busy` and
/// closed; once the three close, a request is answered again.
#[test]
fn connections_past_max_connections_are_answered_503_busy() {
    let server = Server::start(&root(), &["--max-connections", "3"]);
    let half_head = format!("GET /api/integrations HTTP/1.1\r\nHost: {}", server.address);
    let open = |address: &str| {
        let mut stream = TcpStream::connect(address).unwrap();
        // A guard against a hang of the test itself, not a measure.
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        // The server may have answered and closed already: ignored.
        let _ = stream.write_all(half_head.as_bytes());
        stream
    };
    let held: Vec<TcpStream> = (0..3).map(|_| open(&server.address)).collect();
    for extra in 0..5 {
        let mut stream = open(&server.address);
        let answer = String::from_utf8_lossy(&read_until_closed(&mut stream)).into_owned();
        assert!(
            answer.starts_with("HTTP/1.1 503 "),
            "extra {extra}: {answer}"
        );
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "busy", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("3 connections are open"),
            "{body}"
        );
    }
    for mut stream in held {
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        // Closed by the server without an answer (no request was whole),
        // after it gave up the connection's place.
        assert_eq!(read_until_closed(&mut stream), b"");
    }
    let (status, _) = server.get("/api/integrations");
    assert_eq!(status, 200);
}

/// What the peer sent until it closed (a reset after its answer counts
/// as the close: it comes when the server closes with bytes unread).
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("reading the answer: {e} (after {got:?})"),
        }
    }
}

/// Review of issue 15: a head with bare LF line ends, or a space before a
/// header's colon, got tiny_http's empty 400. The front door judges the
/// head itself: such a head is answered 400 `bad-request` in JSON, naming
/// the line, and is never passed on.
#[test]
fn a_malformed_head_is_a_json_400_naming_its_line() {
    let server = Server::start(&root(), &[]);
    let host = format!("Host: {}", server.address);
    for (head, line) in [
        (format!("GET /api/integrations HTTP/1.1\n{host}\n\n"), 1),
        (format!("GET /api/integrations HTTP/1.1\r\n{host}\n\r\n"), 2),
        (
            format!("POST /api/run HTTP/1.1\r\n{host}\r\nContent-Type: application/json\r\nContent-Length : 15\r\n\r\n{{\"mapping\":\"\"}}"),
            4,
        ),
        (format!("GET /api/integrations HTTP/1.1 extra\r\n{host}\r\n\r\n"), 1),
    ] {
        let mut stream = TcpStream::connect(&server.address).unwrap();
        // A guard against a hang of the test itself, not a measure.
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let answer = String::from_utf8_lossy(&read_until_closed(&mut stream)).into_owned();
        assert!(answer.starts_with("HTTP/1.1 400 "), "{head:?}: {answer}");
        assert!(answer.contains("\r\nContent-Type: application/json\r\n"), "{answer}");
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap())
            .unwrap_or_else(|e| panic!("{head:?}: not JSON ({e}): {answer}"));
        assert_eq!(body["error"]["code"], "bad-request", "{head:?}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("line {line} of the request head ")),
            "{head:?}: {message}"
        );
    }
}

/// The status line and the headers of a request sent as it is (each line
/// ending in CRLF, the blank line included), and the body after them.
fn raw_exchange(server: &Server, request: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(&server.address).unwrap();
    // A guard against a hang of the test itself, not a measure.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let answer = read_until_closed(&mut stream);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    (
        String::from_utf8_lossy(&answer[..split]).into_owned(),
        answer[split + 4..].to_vec(),
    )
}

/// Second review of issue 15: `HEAD /` answered 404 while `GET /` was 200.
/// HEAD of the page's paths is answered as GET is, without the body.
#[test]
fn head_of_the_pages_paths_is_answered_as_get_without_a_body() {
    let server = Server::start(&root(), &[]);
    for path in ["/", "/app.js", "/api/integrations"] {
        let request = |method: &str| {
            format!(
                // HTTP/1.0, so that no answer is chunked.
                "{method} {path} HTTP/1.0\r\nHost: {}\r\n\r\n",
                server.address
            )
        };
        let (get_head, get_body) = raw_exchange(&server, &request("GET"));
        let (head_head, head_body) = raw_exchange(&server, &request("HEAD"));
        assert!(get_head.starts_with("HTTP/1.0 200 "), "{path}: {get_head}");
        assert!(
            head_head.starts_with("HTTP/1.0 200 "),
            "{path}: {head_head}"
        );
        assert!(!get_body.is_empty(), "{path}");
        assert_eq!(head_body, b"", "{path}");
        let length = format!("Content-Length: {}", get_body.len());
        assert!(
            head_head.lines().any(|l| l == length),
            "{path}: {head_head}"
        );
    }
    let (head_head, _) = raw_exchange(
        &server,
        &format!("HEAD /nowhere HTTP/1.1\r\nHost: {}\r\n\r\n", server.address),
    );
    assert!(head_head.starts_with("HTTP/1.1 404 "), "{head_head}");
}
