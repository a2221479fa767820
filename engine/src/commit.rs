//! Commit: every file a run writes (output, rejects, report, batch files)
//! is written whole or not at all, and the set lands together.
//!
//! Each file is opened before any input is read, as an exclusively created
//! temporary file with a random name (`.NAME.mapwright-XXXXXX.tmp`) in the
//! folder of the file it replaces, with that file's mode. When the run ends,
//! [`commit_all`] flushes and syncs every one of them and only then renames
//! them into place, rejects and report before the output: a write that fails
//! (a full disk) leaves every old file as it was, and the accepted records
//! never land without the rejected ones. A rename that fails part way
//! puts back the files the renames before it replaced ([`Rollback`]). A
//! SIGKILL leaves nothing under a
//! final name, only `.mapwright-` temporary files (removed on SIGINT and
//! SIGTERM by [`remove_pending`]); the next run on the same output removes
//! those a SIGKILL left, once it holds the output's lock ([`Locks::take`],
//! [`Locks::remove_stale_batches`]).
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
pub(crate) enum CommitError {
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

/// A setup error met while writing, as an I/O error naming its file
/// ("od/c-00010.json: No space left on device"): a write error is shown
/// as "writing {e}".
pub fn io_error(e: CommitError) -> io::Error {
    match e {
        CommitError::Io(p, e) => io::Error::new(e.kind(), format!("{}: {e}", p.display())),
        other => io::Error::other(other.to_string()),
    }
}

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

/// Refuse a path in another role that names a file an output folder's run
/// writes: a batch file (`STEM-NNNNN.json`, `.ndjson`, `.xml`) or the
/// manifest, directly in `dir`. Whether a batch is written depends on the
/// records, so any name of the pattern is refused, before anything is read.
pub fn check_folder_names<'a>(
    dir: &Path,
    stem: &str,
    others: impl Iterator<Item = &'a RolePath<'a>>,
) -> Result<(), CommitError> {
    let Some(dir) = canonical(dir) else {
        return Ok(());
    };
    let manifest = manifest_name(stem);
    for (flag, path) in others {
        if *path == Path::new("-") {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let in_dir = canonical(folder_of(path)).is_some_and(|d| d == dir)
            || canonical(path).is_some_and(|p| p.parent() == Some(dir.as_path()));
        if !in_dir {
            continue;
        }
        let role = if name == manifest {
            "the manifest of --output-dir"
        } else if is_batch_name(name, stem) {
            "a batch file of --output-dir"
        } else {
            continue;
        };
        return Err(CommitError::SamePath(
            flag.to_string(),
            role.to_string(),
            path.to_path_buf(),
        ));
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

/// The path a run writes for `target`: the file a symlink names (as
/// [`Staged::create`] writes through it), else `target` as given.
fn resolved(target: &Path) -> PathBuf {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => target
            .canonicalize()
            .unwrap_or_else(|_| target.to_path_buf()),
        _ => target.to_path_buf(),
    }
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
        // Through a symlink, the file written (and its temporary files) is
        // the one the link names: its lock is taken, so a run through the
        // link and a run on the file itself exclude each other.
        let mut paths: Vec<(PathBuf, PathBuf, &Path)> = targets
            .iter()
            .filter(|t| **t != Path::new("-") && !is_device(t))
            .map(|t| {
                let written = resolved(t);
                (lock_path(&written), written, *t)
            })
            .collect();
        paths.sort();
        paths.dedup_by(|a, b| a.0 == b.0);
        let mut locks = Locks::default();
        for (path, written, target) in paths {
            // Errors name the file the user gave, not its lock file.
            let file = lock_one(&path).map_err(|e| match e {
                CommitError::Io(_, e) => CommitError::Io(target.to_path_buf(), e),
                CommitError::Busy(_) => CommitError::Busy(target.to_path_buf()),
                other => other,
            })?;
            pending(&path, true);
            // This run holds the lock of the file the temporary files
            // stand for: no live run is writing them.
            if !written.is_dir() {
                remove_stale(&file, folder_of(&written), &|n| is_temp_of(n, &written));
            }
            locks.held.push((path, file));
        }
        Ok(locks)
    }

    /// Remove what killed runs left in an output folder this run holds
    /// (see [`Locks::take`]): the temporary files of its batch files
    /// (`STEM-NNNNN.json`, `.ndjson`, `.xml`) and of its manifest.
    pub fn remove_stale_batches(&self, dir: &Path, stem: &str) {
        let lock = lock_path(&resolved(dir));
        let Some((_, file)) = self.held.iter().find(|(p, _)| *p == lock) else {
            return;
        };
        let manifest = manifest_name(stem);
        remove_stale(file, dir, &|n| {
            temp_target(n).is_some_and(|t| t == manifest || is_batch_name(t, stem))
        });
    }
}

/// The name a temporary file of ours stands for: `NAME` for
/// `.NAME.mapwright-XXXXXX.tmp`, six letters or digits as tempfile draws
/// them (see [`Staged::create`]).
fn temp_target(file_name: &str) -> Option<&str> {
    let rest = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (name, random) = rest.rsplit_once(".mapwright-")?;
    let random_ok = random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric());
    (random_ok && !name.is_empty()).then_some(name)
}

fn is_temp_of(file_name: &str, target: &Path) -> bool {
    let name = target.file_name().map(|n| n.to_string_lossy());
    temp_target(file_name).is_some_and(|t| name.as_deref() == Some(t))
}

fn is_batch_name(name: &str, stem: &str) -> bool {
    let Some(rest) = name.strip_prefix(stem).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let Some((number, ext)) = rest.split_once('.') else {
        return false;
    };
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && matches!(ext, "json" | "ndjson" | "xml")
}

/// Remove the temporary files in `dir` that `ours` names, left by runs that
/// were killed (SIGKILL runs no handler): the caller holds the lock on
/// their target, so no live run is writing them. Only regular files owned
/// by whoever owns `lock` (this run made it, or a run of the same user) go;
/// a symlink or another user's file is not ours, whatever its name.
fn remove_stale(lock: &File, dir: &Path, ours: &dyn Fn(&str) -> bool) {
    let Ok(owner) = lock.metadata().map(|m| m.uid()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !ours(name) {
            continue;
        }
        let mine = std::fs::symlink_metadata(entry.path())
            .is_ok_and(|m| m.file_type().is_file() && m.uid() == owner);
        if mine {
            let _ = std::fs::remove_file(entry.path());
        }
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
        // The permissions of the file replaced, not its setuid, setgid or
        // sticky bits: an output is data, never a program run as its owner.
        let mode = existing.map(|m| m.permissions().mode() & 0o777);
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
/// everything was written, and a rename that fails puts back the files
/// the renames before it replaced (see [`Rollback`]).
pub fn commit_all(files: Vec<Staged>) -> io::Result<()> {
    let ready = files
        .into_iter()
        .map(Staged::prepare)
        .collect::<io::Result<Vec<Ready>>>()?;
    let mut rollback = Rollback::default();
    for r in ready {
        if let Err(e) = rollback.replace(r) {
            rollback.undo();
            return Err(e);
        }
    }
    rollback.finish();
    Ok(())
}

/// The renames of a commit so far, and how to undo each: a rename cannot
/// replace several files at once, so each file a rename replaces (or a
/// removal takes away) is kept first as a hidden backup, a hard link
/// named like a temporary file (`.NAME.mapwright-XXXXXX.tmp`, removed on
/// SIGINT and by the next run like one). If a later rename fails, the
/// backups go back in reverse order and files that were new are removed,
/// so the old set stands; when every rename succeeded, the backups go.
#[derive(Default)]
struct Rollback {
    /// Each target, with the backup of the file it held (`None`: it held none).
    done: Vec<(PathBuf, Option<Temp>)>,
}

impl Rollback {
    /// Rename `ready` into place, keeping what it replaces.
    fn replace(&mut self, ready: Ready) -> io::Result<()> {
        let Some((temp, target)) = ready.temp else {
            return Ok(());
        };
        let backup = backup_of(&target)?;
        temp.persist(&target)
            .map_err(|e| naming(&target.display().to_string(), e))?;
        self.done.push((target, backup));
        Ok(())
    }

    /// Remove `target` (if there), keeping it until the commit is done.
    fn remove(&mut self, target: &Path) -> io::Result<()> {
        let Some(backup) = backup_of(target)? else {
            return Ok(());
        };
        std::fs::remove_file(target)?;
        self.done.push((target.to_path_buf(), Some(backup)));
        Ok(())
    }

    /// Put back what was replaced or removed, last first. Best effort:
    /// the error that caused the undo is the one reported.
    fn undo(self) {
        for (target, backup) in self.done.into_iter().rev() {
            let _ = match backup {
                Some(b) => b.persist(&target),
                None => std::fs::remove_file(&target),
            };
            sync_folder(folder_of(&target));
        }
    }

    /// Every rename succeeded: make them durable and drop the backups.
    fn finish(self) {
        for (target, backup) in self.done {
            sync_folder(folder_of(&target));
            drop(backup);
        }
    }
}

/// A hidden copy of the file at `target` beside it, or `None` when there
/// is no file: a hard link (the file's name is never missing meanwhile),
/// else a copy where the file system has no hard links.
fn backup_of(target: &Path) -> io::Result<Option<Temp>> {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.mapwright-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp").rand_bytes(6);
    let dir = folder_of(target);
    let path = match builder.make_in(dir, |p| std::fs::hard_link(target, p)) {
        Ok(linked) => linked.into_parts().1,
        Err(_) => {
            let copy = builder.tempfile_in(dir)?.into_temp_path();
            std::fs::copy(target, &copy)?;
            copy
        }
    };
    pending(&path, true);
    Ok(Some(Temp(Some(path))))
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
    let mut text = serde_json::to_vec_pretty(&crate::json!({
        "files": batches.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "records": records,
    }))
    .map_err(io::Error::other)?;
    text.push(b'\n');
    let mut staged = Staged::create(&manifest).map_err(io_error)?;
    staged.write_all(&text)?;
    let manifest_ready = staged.prepare()?;
    // The old manifest goes before the first batch lands (a crash then
    // leaves no manifest), and comes back if a rename fails.
    let mut rollback = Rollback::default();
    let steps = first
        .into_iter()
        .map(Some)
        .chain([None])
        .chain(batches.into_iter().map(|(_, r)| Some(r)))
        .chain([Some(manifest_ready)]);
    for step in steps {
        let done = match step {
            Some(ready) => rollback.replace(ready),
            None => rollback.remove(&manifest),
        };
        if let Err(e) = done {
            rollback.undo();
            return Err(e);
        }
    }
    rollback.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_file_that_cannot_be_created_is_named_once_in_a_write_error() {
        let e = io_error(CommitError::Io(
            PathBuf::from("od/c-00010.json"),
            io::Error::from(io::ErrorKind::StorageFull),
        ));
        let shown = crate::error::Error::Write(e).to_string();
        assert!(shown.starts_with("writing od/c-00010.json: "), "{shown}");
        assert!(!shown.contains("cannot write"), "{shown}");
    }

    #[test]
    fn a_batch_name_or_the_manifest_in_the_folder_is_refused_beside_it() {
        let dir = std::env::temp_dir();
        let batch = dir.join("c-00001.json");
        let other = dir.join("c-rejects.json");
        let roles: Vec<RolePath> = vec![("--rejects", &batch)];
        match check_folder_names(&dir, "c", roles.iter()) {
            Err(CommitError::SamePath(a, b, p)) => {
                assert_eq!(
                    (a.as_str(), b.as_str()),
                    ("--rejects", "a batch file of --output-dir")
                );
                assert_eq!(p, batch);
            }
            other => panic!("{other:?}"),
        }
        let fine: Vec<RolePath> = vec![("--rejects", &other)];
        assert!(check_folder_names(&dir, "c", fine.iter()).is_ok());
    }
}
