//! Opening inputs (files or stdin) and writing outputs whole or not at all.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

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
pub fn input_format(option: Option<&str>) -> Result<Option<mapwright::read::InputFormat>, String> {
    option
        .map(|f| {
            mapwright::read::InputFormat::parse(f).ok_or_else(|| {
                format!("unknown input format '{f}'; expected json, ndjson, xml or csv")
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

/// Temporary files being written, removed by the interrupt handler: Ctrl-C or
/// a termination signal leaves neither a half output nor its temporary file.
static PENDING: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// On SIGINT/SIGTERM: remove every temporary output, then exit 130.
pub fn clean_up_on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        if let Ok(files) = PENDING.lock() {
            for f in files.iter() {
                let _ = std::fs::remove_file(f);
            }
        }
        std::process::exit(130);
    });
}

fn pending(path: &Path, add: bool) {
    if let Ok(mut files) = PENDING.lock() {
        if add {
            files.push(path.to_path_buf());
        } else {
            files.retain(|f| f != path);
        }
    }
}

/// An output written beside its final place and renamed when complete, so a
/// failed or interrupted run leaves no half file. `-` is stdout.
pub struct Output {
    target: Option<PathBuf>,
    temp: Option<PathBuf>,
    writer: Box<dyn Write>,
}

impl Output {
    /// Open `name` (`-` or none for stdout).
    pub fn create(name: Option<&Path>) -> io::Result<Output> {
        match name {
            None => Ok(Output {
                target: None,
                temp: None,
                writer: Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout().lock())),
            }),
            Some(p) if p == Path::new("-") => Output::create(None),
            // A device or pipe (/dev/null, a FIFO) is written as it is: there
            // is no file to replace whole.
            Some(p) if p.exists() && !p.is_file() => Ok(Output {
                target: None,
                temp: None,
                writer: Box::new(io::BufWriter::with_capacity(
                    1 << 16,
                    std::fs::OpenOptions::new().write(true).open(p)?,
                )),
            }),
            Some(p) => {
                let file_name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let temp = p.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
                let f = File::create(&temp)?;
                pending(&temp, true);
                Ok(Output {
                    target: Some(p.to_path_buf()),
                    temp: Some(temp),
                    writer: Box::new(io::BufWriter::with_capacity(1 << 16, f)),
                })
            }
        }
    }

    /// Flush and move into place.
    pub fn commit(mut self) -> io::Result<()> {
        self.writer.flush()?;
        if let (Some(temp), Some(target)) = (self.temp.take(), &self.target) {
            std::fs::rename(&temp, target)?;
            pending(&temp, false);
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(&temp);
            pending(&temp, false);
        }
    }
}
