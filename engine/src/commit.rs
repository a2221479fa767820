//! Commit: every file a run writes (output, rejects, report, batch files)
//! is written whole or not at all, and the set lands together.
//!
//! Each file is opened before any input is read, as an exclusively created
//! temporary file with a random name (`.NAME.mapwright-XXXXXX.tmp`) in the
//! folder of the file it replaces, with that file's mode. When the run ends,
//! [`commit_all`] flushes and syncs every one of them and only then renames
//! them into place, rejects and report before the output: a write that fails
//! (a full disk) leaves every old file as it was, and the accepted records
//! never land without the rejected ones. A SIGKILL leaves nothing under a
//! final name, only `.mapwright-` temporary files (removed on SIGINT and
//! SIGTERM by [`remove_pending`]).
//!
//! Runs on the same outputs exclude each other: [`Locks`] takes an advisory
//! lock on `.NAME.mapwright.lock` beside each output (removed at the end of
//! the run), and a second run is refused, not interleaved. [`check_roles`] refuses one path in two roles
//! (or an output that is an input) before anything is opened.

use std::fmt;
use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tempfile::TempPath;

/// Why the files of a run cannot be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum CommitError {
    /// Two roles on one path, or an output that is an input: `(flag, flag, path)`.
    SamePath(String, String, PathBuf),
    /// Another run holds the lock on this output.
    Busy(PathBuf),
    /// A file could not be created, locked or written.
    Io(PathBuf, io::Error),
}

impl fmt::Display for CommitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommitError::SamePath(a, b, p) => write!(
                f,
                "{a} and {b} are the same file ({}); each file of a run needs its own path",
                p.display()
            ),
            CommitError::Busy(p) => write!(
                f,
                "another mapwright run is writing {} (it holds its lock); wait for it to finish or write elsewhere",
                p.display()
            ),
            CommitError::Io(p, e) => write!(f, "cannot write {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for CommitError {}

/// A path in a role: `("--rejects", path)`. `-` is stdout.
pub type RolePath<'a> = (&'a str, &'a Path);

/// Refuse two roles on one path, or an output that is also an input.
/// Paths are compared canonicalised (a file that does not exist yet by its
/// folder's canonical path), and files that exist by device and inode, so
/// a hard link or a symlink to an input is caught too.
pub fn check_roles(outputs: &[RolePath], inputs: &[RolePath]) -> Result<(), CommitError> {
    for (i, (flag, path)) in outputs.iter().enumerate() {
        let others = outputs[i + 1..].iter().chain(inputs.iter());
        for (other_flag, other) in others {
            if same_file(path, other) {
                return Err(CommitError::SamePath(
                    flag.to_string(),
                    other_flag.to_string(),
                    path.to_path_buf(),
                ));
            }
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    let stdout = Path::new("-");
    if a == stdout && b == stdout {
        return true;
    }
    // `-` is stdout: `--rejects /dev/stdout` beside output on stdout is the
    // same stream under another name.
    let alias = |p: &Path| -> PathBuf {
        if p == stdout {
            PathBuf::from("/dev/stdout")
        } else {
            p.to_path_buf()
        }
    };
    let (a, b) = (alias(a), alias(b));
    if let (Ok(ma), Ok(mb)) = (std::fs::metadata(&a), std::fs::metadata(&b)) {
        // Two terminals or /dev/null twice can both be written.
        if ma.file_type().is_char_device() && mb.file_type().is_char_device() {
            return false;
        }
        return ma.dev() == mb.dev() && ma.ino() == mb.ino();
    }
    match (canonical(&a), canonical(&b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The canonical path of a file that may not exist yet.
fn canonical(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let dir = folder_of(p).canonicalize().ok()?;
    Some(dir.join(p.file_name()?))
}

fn folder_of(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The lock file of an output: `.NAME.mapwright.lock` beside it (inside it
/// for a folder), removed when the run ends.
pub fn lock_path(target: &Path) -> PathBuf {
    if target.is_dir() {
        return target.join(".mapwright.lock");
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    folder_of(target).join(format!(".{name}.mapwright.lock"))
}

/// Advisory locks held on a run's outputs until dropped.
#[derive(Default)]
pub struct Locks {
    held: Vec<(PathBuf, File)>,
}

impl Locks {
    /// Lock every file target (stdout and devices need none), in a fixed
    /// order so two runs never wait on each other. A lock held elsewhere
    /// is [`CommitError::Busy`].
    pub fn take(targets: &[&Path]) -> Result<Locks, CommitError> {
        let mut paths: Vec<(PathBuf, &Path)> = targets
            .iter()
            .filter(|t| **t != Path::new("-") && !is_device(t))
            .map(|t| (lock_path(t), *t))
            .collect();
        paths.sort();
        paths.dedup_by(|a, b| a.0 == b.0);
        let mut locks = Locks::default();
        for (path, target) in paths {
            // Errors name the file the user gave, not its lock file.
            let file = lock_one(&path).map_err(|e| match e {
                CommitError::Io(_, e) => CommitError::Io(target.to_path_buf(), e),
                CommitError::Busy(_) => CommitError::Busy(target.to_path_buf()),
                other => other,
            })?;
            pending(&path, true);
            locks.held.push((path, file));
        }
        Ok(locks)
    }
}

/// Lock `path`. The lock file is removed at the end of a run, so a lock
/// taken on a file that was removed (or replaced) meanwhile is no lock:
/// it is taken again on the file now at the path.
fn lock_one(path: &Path) -> Result<File, CommitError> {
    let fail = |e| CommitError::Io(path.to_path_buf(), e);
    for _ in 0..8 {
        let file = open_lock_file(path).map_err(fail)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(CommitError::Busy(path.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(fail(e)),
        }
        let held = file.metadata().map_err(fail)?;
        match std::fs::symlink_metadata(path) {
            Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => return Ok(file),
            _ => continue,
        }
    }
    Err(CommitError::Busy(path.to_path_buf()))
}

impl Drop for Locks {
    fn drop(&mut self) {
        // Removed while still locked: a run that opened it meanwhile finds
        // the path gone or replaced and locks again (see `lock_one`).
        for (path, _) in &self.held {
            let _ = std::fs::remove_file(path);
            pending(path, false);
        }
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    // No truncation and no following a planted symlink: the lock file is
    // never written, only locked.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o644)
        .open(path)
}

fn is_device(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Temporary files not yet committed, for [`remove_pending`].
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending(path: &Path, add: bool) {
    if let Ok(mut files) = PENDING.lock() {
        if add {
            files.push(path.to_path_buf());
        } else {
            files.retain(|f| f != path);
        }
    }
}

/// Remove every temporary file not yet committed, and the lock files: for
/// a SIGINT or SIGTERM handler that exits without running destructors.
pub fn remove_pending() {
    if let Ok(files) = PENDING.lock() {
        for f in files.iter() {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// A temporary file's path, removed when dropped unless renamed into place.
struct Temp(Option<TempPath>);

impl Temp {
    fn persist(mut self, target: &Path) -> io::Result<()> {
        let Some(path) = self.0.take() else {
            return Ok(());
        };
        let shown = path.to_path_buf();
        match path.persist(target) {
            Ok(()) => {
                pending(&shown, false);
                Ok(())
            }
            Err(e) => {
                self.0 = Some(e.path);
                Err(e.error)
            }
        }
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            pending(&p, false);
            // TempPath's drop removes the file.
        }
    }
}

/// Set once stdout has been found closed (EPIPE): the reader has gone, as
/// with `| head -1`. Later writes to stdout are dropped without error.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// True once a write to stdout failed with a broken pipe.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Stdout that reports a broken pipe once (so the run can stop) and then
/// takes every write without error (so closing envelopes do not fail).
struct Stdout(io::Stdout);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if stdout_closed() {
            return Ok(buf.len());
        }
        self.0.write(buf).inspect_err(note_broken_pipe)
    }
    fn flush(&mut self) -> io::Result<()> {
        if stdout_closed() {
            return Ok(());
        }
        self.0.flush().inspect_err(note_broken_pipe)
    }
}

fn note_broken_pipe(e: &io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// A file being written: a temporary file beside its target, stdout, or a
/// device written as it is (there is no file to replace whole).
pub struct Staged {
    writer: BufWriter<Box<dyn Write + Send>>,
    file: Option<(File, Temp, PathBuf)>,
    /// What errors name: the target as given, or stdout.
    name: String,
}

/// `e` with the file it happened to: a failed write names its file.
fn naming(name: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{name}: {e}"))
}

const BUFFER: usize = 1 << 16;

impl Staged {
    /// Stdout (a broken pipe is noted, see [`stdout_closed`]).
    pub fn stdout() -> Staged {
        Staged {
            writer: BufWriter::with_capacity(BUFFER, Box::new(Stdout(io::stdout()))),
            file: None,
            name: "stdout".to_string(),
        }
    }

    /// Open a temporary file for `target` (`-` is stdout; a device or FIFO
    /// is opened as it is).
    pub fn create(target: &Path) -> Result<Staged, CommitError> {
        if target == Path::new("-") {
            return Ok(Staged::stdout());
        }
        let fail = |e| CommitError::Io(target.to_path_buf(), e);
        // A symlink is written through: the file it names is replaced, the
        // link stays (`-o /dev/stdout` must never replace /dev/stdout).
        let resolved;
        let target = match std::fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => match target.canonicalize() {
                Ok(real) => {
                    resolved = real;
                    resolved.as_path()
                }
                // A link to a pipe (/proc/self/fd/1 on a pipe) has no path:
                // open it as it is.
                Err(_) => {
                    let device = OpenOptions::new().write(true).open(target).map_err(fail)?;
                    return Ok(Staged {
                        writer: BufWriter::with_capacity(BUFFER, Box::new(device)),
                        file: None,
                        name: target.display().to_string(),
                    });
                }
            },
            _ => target,
        };
        let existing = std::fs::metadata(target).ok();
        if let Some(m) = &existing {
            if m.is_dir() {
                return Err(fail(io::Error::other("it is a folder")));
            }
            if !m.is_file() {
                let device = OpenOptions::new().write(true).open(target).map_err(fail)?;
                return Ok(Staged {
                    writer: BufWriter::with_capacity(BUFFER, Box::new(device)),
                    file: None,
                    name: target.display().to_string(),
                });
            }
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| fail(io::Error::other("not a file name")))?;
        let prefix = format!(".{name}.mapwright-");
        let mode = existing.map(|m| m.permissions().mode() & 0o7777);
        let temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .rand_bytes(6)
            // A new file gets 0666 less the umask, as File::create gives.
            .permissions(Permissions::from_mode(mode.unwrap_or(0o666)))
            .tempfile_in(folder_of(target))
            .map_err(fail)?;
        let (file, path) = temp.into_parts();
        pending(&path, true);
        let temp = Temp(Some(path));
        if let Some(mode) = mode {
            // The umask does not narrow the mode of a file being replaced.
            file.set_permissions(Permissions::from_mode(mode))
                .map_err(fail)?;
        }
        let writer = file.try_clone().map_err(fail)?;
        Ok(Staged {
            writer: BufWriter::with_capacity(BUFFER, Box::new(writer)),
            file: Some((file, temp, target.to_path_buf())),
            name: target.display().to_string(),
        })
    }

    /// Flush and sync: the file is complete on disk, not yet in place.
    pub fn prepare(mut self) -> io::Result<Ready> {
        let name = std::mem::take(&mut self.name);
        self.writer.flush().map_err(|e| naming(&name, e))?;
        match self.file.take() {
            Some((file, temp, target)) => {
                file.sync_all().map_err(|e| naming(&name, e))?;
                Ok(Ready {
                    temp: Some((temp, target)),
                })
            }
            None => Ok(Ready { temp: None }),
        }
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf).map_err(|e| naming(&self.name, e))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer
            .write_all(buf)
            .map_err(|e| naming(&self.name, e))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush().map_err(|e| naming(&self.name, e))
    }
}

/// A complete file waiting to be renamed into place.
pub struct Ready {
    temp: Option<(Temp, PathBuf)>,
}

impl Ready {
    /// Rename into place.
    pub fn commit(self) -> io::Result<()> {
        match self.temp {
            Some((temp, target)) => {
                temp.persist(&target)?;
                sync_folder(folder_of(&target));
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// The rename itself is made durable by syncing the folder; a folder that
/// cannot be opened (no permission to read it) is left to the kernel.
fn sync_folder(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Flush and sync every file, then rename them into place in the order
/// given (rejects and report first, output last): nothing lands unless
/// everything was written.
pub fn commit_all(files: Vec<Staged>) -> io::Result<()> {
    let ready = files
        .into_iter()
        .map(Staged::prepare)
        .collect::<io::Result<Vec<Ready>>>()?;
    ready.into_iter().try_for_each(Ready::commit)
}

/// The name of the manifest [`commit_folder`] writes last into an output folder.
pub fn manifest_name(stem: &str) -> String {
    format!("{stem}.manifest.json")
}

/// Commit a folder of batch files: `first` (rejects, report) is prepared
/// with the batches; the old manifest is removed before any batch is
/// renamed and the new one written after the last, so a folder whose
/// manifest is missing, or does not name a file, holds an incomplete set.
pub fn commit_folder(
    first: Vec<Staged>,
    batches: Vec<(String, Ready)>,
    dir: &Path,
    stem: &str,
    records: usize,
) -> io::Result<()> {
    let first = first
        .into_iter()
        .map(Staged::prepare)
        .collect::<io::Result<Vec<Ready>>>()?;
    let manifest = dir.join(manifest_name(stem));
    let mut text = serde_json::to_vec_pretty(&serde_json::json!({
        "files": batches.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "records": records,
    }))
    .map_err(io::Error::other)?;
    text.push(b'\n');
    let mut staged = Staged::create(&manifest).map_err(|e| match e {
        CommitError::Io(_, e) => e,
        other => io::Error::other(other.to_string()),
    })?;
    staged.write_all(&text)?;
    let manifest_ready = staged.prepare()?;
    first.into_iter().try_for_each(Ready::commit)?;
    match std::fs::remove_file(&manifest) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    batches.into_iter().try_for_each(|(_, r)| r.commit())?;
    manifest_ready.commit()
}
