//! The `mapwright` command: argument parsing and printing over the
//! `mapwright` library. Nothing here decides anything about records.
//!
//! Exit codes: 0 all accepted/clean; 1 some rejected/failed; 2 the mapping,
//! schema, params or command line is wrong; 3 an input or output could not
//! be read or written.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

mod alloc;

// mimalloc instead of glibc's malloc: convert parses records on one thread
// and frees them on another, which glibc's arenas handle slowly. The
// benchmark's floor uses the same allocator (bench/run.sh), so the ratio
// compares like with like.
#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

/// Declarative mapping and transform engine for work-order and purchase-order integrations.
#[derive(Parser)]
#[command(name = "mapwright", version, about)]
struct Cli {
    /// A folder of schemas (`<system>/<payload>.yaml`) searched first,
    /// overriding by name, in order: these folders, the project's
    /// `schemas/`, the folders in MAPWRIGHT_SCHEMAS (separated as in PATH),
    /// the built-in schemas (docs/schemas.md, "Finding schemas"). May be
    /// given more than once.
    #[arg(long, global = true, value_name = "DIR")]
    schemas: Vec<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert input records through a mapping into target payloads.
    Convert(commands::convert::Args),
    /// Check payloads you already have against a schema.
    Validate(commands::validate::Args),
    /// Static check of mappings and schemas (file:line:col diagnostics).
    Check {
        /// Files or folders (default: the schemas/ and mappings/ of the
        /// project around the current folder).
        paths: Vec<PathBuf>,
        /// How findings are printed: human (excerpt and caret) or short (one line each).
        #[arg(long, value_enum, default_value_t)]
        message_format: commands::project::MessageFormat,
        /// The project lookup files and `rules_from:` must stay inside (default:
        /// the nearest folder above the mapping holding mappings/ or schemas/).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Run the test cases stored beside schemas and mappings.
    Test {
        /// Files or folders (default: the schemas/ and mappings/ of the
        /// project around the current folder).
        paths: Vec<PathBuf>,
        /// How findings in broken test files are printed: human or short.
        #[arg(long, value_enum, default_value_t)]
        message_format: commands::project::MessageFormat,
        /// The project lookup files and `rules_from:` must stay inside (default:
        /// the nearest folder above the mapping holding mappings/ or schemas/).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Two mappings over the same records: what changed, record by record.
    Diff(commands::diff::Args),
    /// Where each target field comes from (and, given a record, what it gets).
    Explain(commands::describe::ExplainArgs),
    /// The mapping as a field-by-field specification.
    Doc(commands::describe::DocArgs),
    /// List, show or export schemas.
    Schema {
        #[command(subcommand)]
        command: commands::schema::Command,
    },
    /// The playground: edit a mapping in the browser, see outputs, rejections and traces.
    Serve(commands::serve::Args),
}

/// A command-line error, naming the flag but never the value given: a value
/// may be a secret (`--param TOKEN` or a mistyped `--vendor-token=...`).
/// What clap suggests (a command or flag near the one typed) and the values
/// a flag allows are our own names, never the user's, so they are kept.
/// Help and version go out as clap writes them.
fn argument_error(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use std::io::Write as _;
    let what = match e.kind() {
        ErrorKind::UnknownArgument => "unexpected argument",
        ErrorKind::InvalidSubcommand => "unknown command",
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "invalid value for",
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => "wrong number of values for",
        ErrorKind::NoEquals => "a value needs '=' for",
        ErrorKind::InvalidUtf8 => "text that is not UTF-8 for",
        // Help, version, missing or conflicting arguments: clap's message
        // names flags only.
        _ => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let flag = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) if s.starts_with('-') => {
            format!("'{}'", s.split('=').next().unwrap_or_default())
        }
        _ if e.kind() == ErrorKind::InvalidSubcommand => "(see 'mapwright --help')".to_string(),
        _ => "(not shown: it may be a secret)".to_string(),
    };
    let _ = writeln!(
        std::io::stderr(),
        "error: {what} {flag}{}\n\nFor more information, try '--help'.",
        known_names(e)
    );
    ExitCode::from(2)
}

/// clap's did-you-mean (commands, flags) and a flag's possible values, as
/// lines to follow the error: names from our own definitions only.
fn known_names(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let names = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        _ => Vec::new(),
    };
    let quoted = |v: Vec<String>| {
        v.iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    for kind in [ContextKind::SuggestedSubcommand, ContextKind::SuggestedArg] {
        let near = names(kind);
        if !near.is_empty() {
            out.push_str(&format!("\n  help: did you mean {}?", quoted(near)));
        }
    }
    let allowed = names(ContextKind::ValidValue);
    if !allowed.is_empty() {
        out.push_str(&format!("\n  [possible values: {}]", allowed.join(", ")));
    }
    out
}

/// mimalloc's `purge_delay` and `allow_thp` options, by their place in
/// mimalloc 3's `mi_option_t` (mimalloc.h; the crate's constants number
/// mimalloc 2's, so they are written out here, and a test checks the
/// version).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Peak memory that does not depend on thread timing.
fn steady_allocator() {
    // Give freed pages back at once: with the default 10 ms delay, peak
    // memory depended on thread timing (38-47 MB for the same input).
    // No transparent huge pages: mimalloc asks for them by default, and
    // each page touched then made 2 MB resident, so peak memory still moved
    // by steps of 2 MB from run to run (27.7-34.5 MB at 10k requests,
    // 30.4-40.7 MB at 1M); without, 15.6-15.9 MB at both, at the same speed.
    // mimalloc reads `allow_thp` when it starts, before main, so the
    // process is also told directly (as mimalloc itself does when the
    // option is off at its start): later page faults get small pages.
    // SAFETY: sets plain integer options of the allocator, and a flag of
    // this process; no pointers.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    steady_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(&e),
    };
    if let Some(missing) = cli.schemas.iter().find(|d| !d.is_dir()) {
        // The path is the user's own folder name, not a secret value.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "error: --schemas {}: no such folder",
            missing.display()
        );
        return ExitCode::from(2);
    }
    mapwright::Registry::search_first(cli.schemas);
    let code = match cli.command {
        Command::Convert(args) => commands::convert::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Check {
            paths,
            message_format,
            root,
        } => commands::project::check(paths, message_format, root),
        Command::Test {
            paths,
            message_format,
            root,
        } => commands::project::test(paths, message_format, root),
        Command::Diff(args) => commands::diff::run(args),
        Command::Explain(args) => commands::describe::explain(args),
        Command::Doc(args) => commands::describe::doc(args),
        Command::Schema { command } => commands::schema::run(command),
        Command::Serve(args) => commands::serve::run(args),
    };
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    /// The option numbers above are mimalloc 3's.
    #[test]
    fn the_allocator_is_mimalloc_3() {
        // SAFETY: reads the library's version number.
        let version = unsafe { libmimalloc_sys::mi_version() };
        // MI_MALLOC_VERSION: 30302 is 3.3.2.
        assert!((30_000..40_000).contains(&version), "mimalloc {version}");
        super::steady_allocator();
        // SAFETY: reads plain integer options.
        let (purge, thp) = unsafe {
            (
                libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(super::MI_OPTION_ALLOW_THP),
            )
        };
        assert_eq!((purge, thp), (0, 0));
    }
}
