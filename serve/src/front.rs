//! The front door: the playground's port on 127.0.0.1, in front of
//! tiny_http, which listens on a Unix socket of its own (Linux's abstract
//! namespace: no file; crate::back_door).
//!
//! tiny_http 0.12 sets no read timeout on the connections it accepts, and
//! a timeout set on its listener is inherited, but also times out its
//! `accept` (which ends its accept loop: the server would die when idle).
//! So a client that sent half a request and stalled held a thread forever.
//! Here each connection is accepted with a read timeout and carries one
//! request. Its head is read under the timeout and judged here: a head
//! tiny_http would refuse with an empty answer of its own, or read
//! otherwise than the checks do, is refused with the API's JSON; a body
//! over `max_body` is refused by its `Content-Length` before a byte of it
//! is read, and the connection closed at once. Only then is tiny_http
//! reached, and the head and exactly `Content-Length` bytes of body passed
//! on; a client silent past the timeout mid-request is answered 408 and
//! both sides are closed, which ends tiny_http's and the handler's reads
//! too. Once the request is passed on nothing more is read from the
//! client, so a long run is never timed out by this (the request's own
//! time limit covers it). The answer comes back with `Connection: close`,
//! so the client knows not to send another. At most `max_connections` are
//! served at once; past it a connection is answered 503 on the accepting
//! thread and closed, so threads are bounded too.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{SocketAddr, UnixStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The largest request head taken (request line and headers).
const MAX_HEAD: u64 = 64 << 10;

/// What the front door holds each connection to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long the client may go silent mid-request.
    pub read_timeout: Duration,
    /// The largest body taken, judged by the head's `Content-Length`.
    pub max_body: usize,
    /// Connections served at once; past it one is answered 503 and closed.
    pub max_connections: usize,
}

/// One of the connections open, counted down when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A slot, unless `max` are taken.
    fn take(open: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        // Only the accepting thread takes slots, so load then add is safe.
        if open.load(Ordering::SeqCst) >= max {
            return None;
        }
        open.fetch_add(1, Ordering::SeqCst);
        Some(Slot(open.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accept connections on `front` until it fails, each relayed to tiny_http
/// at `back` on its own thread, at most `limits.max_connections` at once
/// (each costs up to 4 threads here and in tiny_http while its request is
/// answered; one until its head is read).
pub fn serve(front: TcpListener, back: SocketAddr, limits: Limits) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in front.incoming() {
        let client = match stream {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than
                // spin on the same error.
                crate::log(&format!("cannot accept a connection: {e}"));
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Some(slot) = Slot::take(&open, limits.max_connections) else {
            refuse_busy(&client, limits.max_connections);
            continue;
        };
        let back = back.clone();
        let spawned = std::thread::Builder::new()
            .name("playground-connection".into())
            .spawn(move || {
                relay(&client, &back, limits);
                // Freed before the close: a client that sees its
                // connection closed may open the next one at once.
                drop(slot);
                close(&client);
            });
        if let Err(e) = spawned {
            crate::log(&format!("cannot start a connection thread: {e}"));
        }
    }
}

/// Close both ways, once the answer is all written (the answer's copy
/// shares this socket). A body not read makes the close a reset, so a
/// refused body stops coming at once.
fn close(client: &TcpStream) {
    let _ = client.shutdown(Shutdown::Both);
}

/// Why a request was not passed on whole.
#[derive(Debug, PartialEq)]
enum Stop {
    /// The client went silent past the read timeout mid-request.
    Stalled,
    /// The client closed before the request was whole, or sent nothing at
    /// all within the timeout (an idle connection, a browser's preconnect:
    /// closed without an answer, as no request was begun).
    Gone,
    /// The request cannot be taken: the status and why.
    Refused(u16, String),
}

/// One connection: its head read and judged here, then (and only then)
/// tiny_http reached, the request passed on and its answer passed back.
fn relay(client: &TcpStream, back: &SocketAddr, limits: Limits) {
    let _ = client.set_read_timeout(Some(limits.read_timeout));
    let _ = client.set_write_timeout(Some(limits.read_timeout));
    let mut reader = BufReader::new(client);
    let judged = read_head(&mut reader).and_then(|head| {
        well_formed(&head)?;
        let length = body_length(&head, limits.max_body)?;
        Ok((head, length))
    });
    let (head, length) = match judged {
        Ok(request) => request,
        Err(stop) => return refuse(client, stop, limits),
    };
    let Ok(server) = UnixStream::connect_addr(back) else {
        return;
    };
    let (Ok(from_server), Ok(to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    let answered = Arc::new(AtomicBool::new(false));
    let started = answered.clone();
    let answer = std::thread::Builder::new()
        .name("playground-answer".into())
        .spawn(move || answer_back(from_server, to_client, &started));
    if let Err(stop) = pass_on(reader, &server, &head, length) {
        // tiny_http answered before the body was whole: no second answer.
        // Else it has not had the whole request, so it has not answered.
        if !answered.load(Ordering::SeqCst) {
            refuse(client, stop, limits);
        }
        // Closing tiny_http's side ends its read and the handler's at once.
        let _ = server.shutdown(Shutdown::Both);
        close(client);
    }
    if let Ok(thread) = answer {
        let _ = thread.join();
    }
}

/// Answer 503 on the accepting thread, without a thread of its own: the
/// socket is made non-blocking first, so a client that reads nothing can
/// never hold the accepting loop (an answer that does not fit is dropped).
fn refuse_busy(client: &TcpStream, max: usize) {
    let _ = client.set_nonblocking(true);
    let message = format!(
        "{max} connections are open, the most served at once (serve --max-connections); try again"
    );
    let _ = write_refusal(client, 503, &message);
    close(client);
}

/// Answer a request the front door stops itself (a client gone gets none).
fn refuse(client: &TcpStream, stop: Stop, limits: Limits) {
    let (status, message) = match stop {
        Stop::Gone => return,
        Stop::Stalled => (
            408,
            format!(
                "the request stopped coming: nothing more for {} s (serve --read-timeout)",
                limits.read_timeout.as_secs_f64()
            ),
        ),
        Stop::Refused(status, message) => (status, message),
    };
    let _ = write_refusal(client, status, &message);
}

/// Copy tiny_http's answer to the client with `Connection: close` added to
/// its head (interim `100 Continue` heads pass as they are), until
/// tiny_http closes its side.
fn answer_back(from_server: UnixStream, mut to_client: TcpStream, started: &AtomicBool) {
    let mut from = BufReader::new(from_server);
    let _ = (|| -> io::Result<()> {
        loop {
            let mut status = Vec::new();
            if from.read_until(b'\n', &mut status)? == 0 {
                return Ok(());
            }
            started.store(true, Ordering::SeqCst);
            to_client.write_all(&status)?;
            if !status.starts_with(b"HTTP/1.1 1") && !status.starts_with(b"HTTP/1.0 1") {
                to_client.write_all(b"Connection: close\r\n")?;
                io::copy(&mut from, &mut to_client)?;
                return Ok(());
            }
            // An interim answer: its head, then the real one follows.
            loop {
                let mut line = Vec::new();
                if from.read_until(b'\n', &mut line)? == 0 {
                    return Ok(());
                }
                to_client.write_all(&line)?;
                if line == b"\r\n" || line == b"\n" {
                    break;
                }
            }
        }
    })();
    let _ = to_client.flush();
}

/// Pass the request `head` on to `server` with `Connection: close`, then
/// its body of `length` bytes as it comes from the client.
fn pass_on(
    mut client: BufReader<&TcpStream>,
    mut server: &UnixStream,
    head: &[Vec<u8>],
    length: u64,
) -> Result<(), Stop> {
    let mut passed = Vec::with_capacity(head.iter().map(Vec::len).sum::<usize>() + 32);
    for line in head {
        if !is_header(line, "connection") && !is_header(line, "keep-alive") {
            passed.extend_from_slice(line);
        }
    }
    passed.extend_from_slice(b"Connection: close\r\n\r\n");
    // tiny_http may have answered and closed (a page that reads no body):
    // what it does not take is dropped.
    if server.write_all(&passed).is_err() {
        return Ok(());
    }
    let mut left = length;
    let mut buffer = [0u8; 16 << 10];
    while left > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = client.read(&mut buffer[..want]).map_err(stop_of)?;
        if n == 0 {
            return Err(Stop::Gone);
        }
        if server.write_all(&buffer[..n]).is_err() {
            return Ok(());
        }
        left -= n as u64;
    }
    Ok(())
}

/// The request line and header lines (each with its line end), without
/// the empty line that ends them.
fn read_head(client: &mut BufReader<&TcpStream>) -> Result<Vec<Vec<u8>>, Stop> {
    let mut lines = Vec::new();
    let mut size = 0u64;
    loop {
        let mut line = Vec::new();
        let n = client
            .by_ref()
            .take(MAX_HEAD - size)
            .read_until(b'\n', &mut line)
            .map_err(|e| match stop_of(e) {
                Stop::Stalled if size == 0 && line.is_empty() => Stop::Gone,
                other => other,
            })?;
        size += n as u64;
        match (n, line.last()) {
            (0, _) if size >= MAX_HEAD => {
                return Err(Stop::Refused(431, "the request head is over 64 KiB".into()))
            }
            (0, _) => return Err(Stop::Gone),
            (_, Some(b'\n')) => {}
            // Cut short: by the size bound, or the client closed mid-line.
            _ if size >= MAX_HEAD => {
                return Err(Stop::Refused(431, "the request head is over 64 KiB".into()))
            }
            _ => return Err(Stop::Gone),
        }
        if !line.ends_with(b"\r\n") {
            // tiny_http would answer it with an empty 400 of its own.
            return Err(bad_head(
                lines.len() + 1,
                "ends in a bare LF; lines of a request head end in CRLF",
            ));
        }
        if line == b"\r\n" {
            // Blank lines before the request line are allowed (RFC 9112).
            if lines.is_empty() {
                continue;
            }
            return Ok(lines);
        }
        lines.push(line);
    }
}

/// Whether the head is one tiny_http takes as it is: a request line
/// `METHOD TARGET HTTP/1.x` and `Name: value` headers, ASCII only. What it
/// would refuse (with an empty 400 or a 505, not the API's JSON) or read
/// otherwise than these checks (a space before the colon) is refused here.
fn well_formed(head: &[Vec<u8>]) -> Result<(), Stop> {
    let (request, headers) = head.split_first().ok_or(Stop::Gone)?;
    if !is_request_line(without_crlf(request)) {
        return Err(bad_head(
            1,
            "is not a request line: METHOD TARGET HTTP/1.1, one space apart",
        ));
    }
    for (i, line) in headers.iter().enumerate() {
        if !is_header_line(without_crlf(line)) {
            return Err(bad_head(
                i + 2,
                "is not a header: a name, a colon right after it, then a value of printable ASCII",
            ));
        }
    }
    let expect = headers.iter().find(|l| is_header(l, "expect"));
    if expect.is_some_and(|l| !header_value(l).eq_ignore_ascii_case(b"100-continue")) {
        return Err(Stop::Refused(
            417,
            "the only Expect taken is 100-continue".into(),
        ));
    }
    Ok(())
}

fn bad_head(line: usize, why: &str) -> Stop {
    Stop::Refused(400, format!("line {line} of the request head {why}"))
}

fn without_crlf(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r\n").unwrap_or(line)
}

/// `METHOD SP TARGET SP HTTP/1.0|HTTP/1.1` (RFC 9112, section 3).
fn is_request_line(line: &[u8]) -> bool {
    let parts: Vec<&[u8]> = line.split(|b| *b == b' ').collect();
    let [method, target, version] = parts.as_slice() else {
        return false;
    };
    is_token(method)
        && !target.is_empty()
        && target.iter().all(u8::is_ascii_graphic)
        && matches!(*version, b"HTTP/1.0" | b"HTTP/1.1")
}

/// `name:value`, the name a token right before the colon (no space: RFC
/// 9112, section 5.1), the value printable ASCII, spaces and tabs (no
/// line folded onto the one before: it starts with a space).
fn is_header_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return false;
    };
    is_token(&line[..colon])
        && line[colon + 1..]
            .iter()
            .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\t')
}

/// One or more of RFC 9110's `tchar`.
fn is_token(text: &[u8]) -> bool {
    !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
}

/// The body's length from the head: `Content-Length`, else none; over
/// `max_body` it is refused here, before a byte of it is read.
fn body_length(head: &[Vec<u8>], max_body: usize) -> Result<u64, Stop> {
    if head.iter().any(|l| is_header(l, "transfer-encoding")) {
        return Err(Stop::Refused(
            411,
            "the playground takes a request body with a Content-Length, not chunked".into(),
        ));
    }
    let lengths: Vec<&[u8]> = head
        .iter()
        .filter(|l| is_header(l, "content-length"))
        .map(|l| header_value(l))
        .collect();
    let length = match lengths.as_slice() {
        [] => 0,
        [one] => std::str::from_utf8(one)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
            .ok_or_else(|| Stop::Refused(400, "the Content-Length is not a number".into()))?,
        _ => {
            return Err(Stop::Refused(
                400,
                "the request has more than one Content-Length".into(),
            ))
        }
    };
    if length > max_body as u64 {
        return Err(Stop::Refused(
            413,
            format!("the request body is over {max_body} bytes (serve --max-body)"),
        ));
    }
    Ok(length)
}

/// Whether `line` is the header `name` (compared without case).
fn is_header(line: &[u8], name: &str) -> bool {
    line.len() > name.len()
        && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && line[name.len()] == b':'
}

fn header_value(line: &[u8]) -> &[u8] {
    let colon = line.iter().position(|b| *b == b':').unwrap_or(line.len());
    line[(colon + 1).min(line.len())..].trim_ascii()
}

/// A read that failed: the timeout passing (`WouldBlock` on Unix,
/// `TimedOut` elsewhere), or the connection broken.
fn stop_of(e: io::Error) -> Stop {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Stop::Stalled,
        _ => Stop::Gone,
    }
}

/// An answer written by the front itself, as the API's errors are.
fn write_refusal(mut client: &TcpStream, status: u16, message: &str) -> io::Result<()> {
    let code = match status {
        408 => "read-timeout",
        411 => "length-required",
        413 => "too-large",
        417 => "expectation-failed",
        431 => "head-too-large",
        503 => "busy",
        _ => "bad-request",
    };
    let reason = match status {
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Bad Request",
    };
    let mut body = serde_json::to_vec(&serde_json::json!({
        "error": {"code": code, "message": message}
    }))
    .unwrap_or_default();
    body.push(b'\n');
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes())?;
    client.write_all(&body)?;
    client.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(lines: &[&str]) -> Vec<Vec<u8>> {
        lines
            .iter()
            .map(|l| format!("{l}\r\n").into_bytes())
            .collect()
    }

    #[test]
    fn the_body_length_is_the_one_content_length() {
        let get = head(&["GET / HTTP/1.1", "Host: x"]);
        assert_eq!(body_length(&get, 100), Ok(0));
        let post = head(&["POST /api/run HTTP/1.1", "content-LENGTH:  12 "]);
        assert_eq!(body_length(&post, 100), Ok(12));
        let two = head(&["POST / HTTP/1.1", "Content-Length: 1", "Content-Length: 2"]);
        assert!(matches!(body_length(&two, 100), Err(Stop::Refused(400, _))));
        let chunked = head(&["POST / HTTP/1.1", "Transfer-Encoding: chunked"]);
        assert!(matches!(
            body_length(&chunked, 100),
            Err(Stop::Refused(411, _))
        ));
    }

    #[test]
    fn a_body_over_max_body_is_refused_by_its_content_length() {
        let at = head(&["POST / HTTP/1.1", "Content-Length: 100"]);
        assert_eq!(body_length(&at, 100), Ok(100));
        let huge = head(&["POST / HTTP/1.1", "Content-Length: 1000000000000"]);
        assert_eq!(
            body_length(&huge, 100),
            Err(Stop::Refused(
                413,
                "the request body is over 100 bytes (serve --max-body)".into()
            ))
        );
    }

    #[test]
    fn a_head_tiny_http_would_refuse_or_misread_is_refused_400() {
        let ok = head(&[
            "POST /api/run?x=1 HTTP/1.1",
            "Host: a:1",
            "X-Empty:",
            "A:\tb c",
        ]);
        assert_eq!(well_formed(&ok), Ok(()));
        let refused = |lines: &[&str]| match well_formed(&head(lines)) {
            Err(Stop::Refused(status, message)) => (status, message),
            other => panic!("{lines:?}: {other:?}"),
        };
        let not_a_header =
            "is not a header: a name, a colon right after it, then a value of printable ASCII";
        for (lines, line) in [
            (&["GET / HTTP/1.1", "Content-Length : 15"][..], 2),
            (&["GET / HTTP/1.1", "Host: a", " folded"][..], 3),
            (&["GET / HTTP/1.1", "Host"][..], 2),
            (&["GET / HTTP/1.1", ": nameless"][..], 2),
            (&["GET / HTTP/1.1", "Host: caf\u{e9}"][..], 2),
            (&["GET / HTTP/1.1", "Host: a\rb"][..], 2),
        ] {
            assert_eq!(
                refused(lines),
                (
                    400,
                    format!("line {line} of the request head {not_a_header}")
                ),
                "{lines:?}"
            );
        }
        for line in [
            "GET /",
            "GET  / HTTP/1.1",
            "GET / HTTP/2.0",
            "G(T / HTTP/1.1",
            "GET /a b HTTP/1.1",
        ] {
            let (status, message) = refused(&[line]);
            assert_eq!(status, 400, "{line}");
            assert!(
                message.starts_with("line 1 of the request head is not a request line"),
                "{line}: {message}"
            );
        }
        assert_eq!(
            refused(&["POST / HTTP/1.1", "Expect: something-else"]),
            (417, "the only Expect taken is 100-continue".into())
        );
        let continues = head(&["POST / HTTP/1.1", "Expect: 100-Continue"]);
        assert_eq!(well_formed(&continues), Ok(()));
    }

    #[test]
    fn a_header_is_named_before_its_colon_only() {
        assert!(is_header(b"Connection: keep-alive\r\n", "connection"));
        assert!(!is_header(b"Connection-Extra: 1\r\n", "connection"));
        assert!(!is_header(b"Connection\r\n", "connection"));
    }
}
