//! Confinement: the files a mapping pulls in (lookup `file:`, `rules_from:`)
//! are read only from inside the mapping's project, only when they are
//! regular files, and only up to a size cap. A mapping from a partner is
//! data, not a licence to read `/etc/passwd`, block on a FIFO or exhaust
//! memory on `/dev/zero`. Messages name the path and the rule broken, never
//! a byte of what the file holds.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest lookup CSV read (64 MiB).
pub const LOOKUP_FILE_LIMIT: u64 = 64 * 1024 * 1024;
/// The largest `rules_from:` file read (1 MiB).
pub const RULES_FILE_LIMIT: u64 = 1024 * 1024;

/// How mappings are loaded.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The project the files a mapping pulls in must stay inside (`--root`).
    /// Without it: the nearest folder at or above the mapping's that holds
    /// `mappings/` or `schemas/`, else the mapping's own folder.
    pub root: Option<PathBuf>,
}

impl LoadOptions {
    /// Options with `root` as the project.
    pub fn with_root(root: impl Into<PathBuf>) -> LoadOptions {
        LoadOptions {
            root: Some(root.into()),
        }
    }
}

/// Why a file a mapping names was not read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfineError {
    /// It is not there, or cannot be opened (the OS's reason).
    Unreadable(std::io::Error),
    /// Once symlinks are resolved, it lies outside the project.
    Outside {
        /// The project it must stay inside.
        root: PathBuf,
    },
    /// It is a folder, FIFO, device or socket.
    NotRegular,
    /// It is larger than the cap.
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
}

impl ConfineError {
    /// The stable diagnostic code (docs/diagnostics.md), or `None` where the
    /// caller's own code for an unreadable file applies.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            ConfineError::Unreadable(_) => None,
            ConfineError::Outside { .. } => Some("outside-project"),
            ConfineError::NotRegular => Some("not-a-regular-file"),
            ConfineError::TooLarge { .. } => Some("file-too-large"),
        }
    }
}

impl fmt::Display for ConfineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfineError::Unreadable(e) => write!(f, "{e}"),
            ConfineError::Outside { root } => write!(
                f,
                "it is outside the project {} (symlinks resolved); keep it inside, or give a wider project with --root",
                root.display()
            ),
            ConfineError::NotRegular => {
                write!(f, "it is not a regular file (a folder, FIFO, device, or a stream under /proc, /sys or /dev)")
            }
            ConfineError::TooLarge { limit } => {
                write!(f, "it is larger than the limit of {} MiB", limit >> 20)
            }
        }
    }
}

/// The project of the mapping at `mapping`, canonical: `--root`, else the
/// nearest folder at or above the mapping's holding `mappings/` or
/// `schemas/`, else the mapping's folder.
pub fn project_of(mapping: &Path, options: &LoadOptions) -> std::io::Result<PathBuf> {
    if let Some(root) = &options.root {
        return root.canonicalize();
    }
    let folder = folder_of(mapping).canonicalize()?;
    Ok(crate::project::project_root(&folder).unwrap_or(folder))
}

fn folder_of(file: &Path) -> &Path {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Read `name` (relative to the mapping's folder, or absolute) when it is a
/// regular file inside the mapping's project of at most `limit` bytes.
pub fn read(
    mapping: &Path,
    name: &str,
    limit: u64,
    options: &LoadOptions,
) -> Result<Vec<u8>, ConfineError> {
    let root = project_of(mapping, options).map_err(ConfineError::Unreadable)?;
    let real = folder_of(mapping)
        .join(name)
        .canonicalize()
        .map_err(ConfineError::Unreadable)?;
    if !real.starts_with(&root) {
        return Err(ConfineError::Outside { root });
    }
    // The kernel's streams and devices are no files of a project, whatever
    // the root: not even opened (an open can have effects).
    if PSEUDO_FOLDERS.iter().any(|p| real.starts_with(p)) {
        return Err(ConfineError::NotRegular);
    }
    let file = open_without_blocking(&real).map_err(ConfineError::Unreadable)?;
    let meta = file.metadata().map_err(ConfineError::Unreadable)?;
    if !meta.is_file() {
        return Err(ConfineError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ConfineError::TooLarge { limit });
    }
    // The size can change (or lie, as /proc files say 0): read at most one
    // byte past the cap to know it was passed.
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ConfineError::Unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(ConfineError::TooLarge { limit });
    }
    // A file that says it is empty but gives bytes is a stream made up as
    // it is read (a /proc file elsewhere), not a file.
    if meta.len() == 0 && !bytes.is_empty() {
        return Err(ConfineError::NotRegular);
    }
    Ok(bytes)
}

/// Where the kernel's streams and devices live: nothing under them is read.
const PSEUDO_FOLDERS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// Open for reading without waiting for a writer: opening a FIFO blocks
/// until one comes, and the check that it is not a regular file comes after
/// the open (on the open file, so a swap between check and read is no use).
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}
