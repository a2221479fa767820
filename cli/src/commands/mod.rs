//! One module per subcommand.

/// A line on stderr. A closed or full stderr is ignored: a run never fails,
/// or panics, for its messages (the standard print macros panic on a full stderr).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod convert;
pub mod describe;
pub mod diff;
pub mod io;
pub mod progress;
pub mod project;
pub mod schema;
pub mod serve;
pub mod validate;

/// Exit codes (see docs/design.md "The command line").
pub mod exit {
    /// Everything accepted.
    pub const OK: u8 = 0;
    /// Some records rejected or tests failed.
    pub const REJECTED: u8 = 1;
    /// The mapping, schema, params or command line is wrong.
    pub const USAGE: u8 = 2;
    /// An input or output could not be read or written.
    pub const IO: u8 = 3;
}
