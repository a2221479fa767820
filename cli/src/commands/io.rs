//! Opening inputs (files or stdin), and printing that survives a closed
//! stdout. Outputs are written through the library's convert job.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};

/// An input: a file, or stdin for `-`.
pub fn open(name: &str) -> io::Result<Box<dyn BufRead + Send>> {
    if name == "-" {
        Ok(Box::new(BufReader::with_capacity(1 << 16, io::stdin())))
    } else {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            File::open(name)?,
        )))
    }
}

/// A reader that counts the bytes taken from it, for the progress bar.
pub struct Counted<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R> Counted<R> {
    /// Count into `count`.
    pub fn new(inner: R, count: std::sync::Arc<std::sync::atomic::AtomicU64>) -> Counted<R> {
        Counted { inner, count }
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.count
            .fetch_add(amt as u64, std::sync::atomic::Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// The `--input-format` option: `None` when not given (guess from content).
pub fn input_format(option: Option<&str>) -> Result<Option<mapwright::InputFormat>, String> {
    option
        .map(|f| {
            // The value is not echoed: a command-line error names the flag
            // only (a token pasted in the wrong place must not be printed).
            mapwright::InputFormat::parse(f).ok_or_else(|| {
                "--input-format takes json, ndjson, xml or csv (the value given is not one)"
                    .to_string()
            })
        })
        .transpose()
}

/// The inputs to read: the names given, or stdin.
pub fn inputs(names: &[String]) -> Vec<String> {
    if names.is_empty() {
        vec!["-".to_string()]
    } else {
        names.to_vec()
    }
}

/// The name shown for an input.
pub fn shown(name: &str) -> &str {
    if name == "-" {
        "<stdin>"
    } else {
        name
    }
}

/// On SIGINT/SIGTERM: remove every temporary output, then exit 130.
pub fn clean_up_on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        mapwright::ConvertJob::remove_pending();
        std::process::exit(130);
    });
}

/// Write `text` to stdout. A closed stdout (EPIPE: `| head -1`) is
/// `Ok(false)`: the reader has gone, and the command ends quietly.
pub fn print(text: &str) -> io::Result<bool> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// Print `text` as a command's result: a closed stdout (`| head -1`) is a
/// quiet success (exit 0), a full one exit 3.
pub fn printed(text: &str) -> u8 {
    match print(text) {
        Ok(_) => super::exit::OK,
        Err(e) => {
            say!("error: writing to stdout: {e}");
            super::exit::IO
        }
    }
}
