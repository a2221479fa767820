//! `mapwright serve`: the playground (the `mapwright-serve` crate) on
//! 127.0.0.1, its URL printed on stdout.

use std::path::PathBuf;
use std::time::Duration;

use super::exit;

/// Arguments of `serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The port on 127.0.0.1 (default, or 0: a free one).
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    port: u16,
    /// A mapping to open first in the page.
    #[arg(short, long)]
    mapping: Option<PathBuf>,
    /// Its input records (JSON, NDJSON, CSV, XML).
    #[arg(long, value_name = "FILE", requires = "mapping")]
    input: Option<PathBuf>,
    /// Open the page in a browser ($BROWSER, else xdg-open).
    #[arg(long)]
    open: bool,
    /// Write the page's edits of the mapping back to its file (whole, then
    /// renamed into place).
    #[arg(long, requires = "mapping")]
    write: bool,
    /// The wall-clock limit of one run or explain, in seconds (the engine's
    /// own budgets per unit apply too).
    #[arg(long, value_name = "SECS", default_value_t = mapwright_serve::DEFAULT_TIME_LIMIT_SECS)]
    time_limit: u64,
    /// The largest request body taken, in bytes (default 4 MiB); larger is refused (413).
    #[arg(long, value_name = "BYTES", default_value_t = mapwright_serve::DEFAULT_MAX_BODY, hide_default_value = true)]
    max_body: usize,
    /// How long a client may go silent in the middle of sending a request,
    /// in seconds, before it is answered 408 and its connection closed.
    #[arg(long, value_name = "SECS", default_value_t = mapwright_serve::DEFAULT_READ_TIMEOUT_SECS)]
    read_timeout: u64,
    /// The most connections served at once; past it a connection is
    /// answered 503 (busy) and closed.
    #[arg(long, value_name = "N", default_value_t = mapwright_serve::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
}

pub fn run(args: Args) -> u8 {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let start = args
        .mapping
        .as_deref()
        .and_then(|m| m.parent())
        .map(|p| here.join(p))
        .unwrap_or(here.clone());
    let mut config = mapwright_serve::Config::new(mapwright_serve::project_around(&start));
    config.port = args.port;
    config.mapping = args.mapping.map(|m| here.join(m));
    config.input = args.input.map(|i| here.join(i));
    config.write = args.write;
    config.time_limit = Duration::from_secs(args.time_limit.max(1));
    config.max_body = args.max_body;
    config.read_timeout = Duration::from_secs(args.read_timeout.max(1));
    config.max_connections = args.max_connections.max(1);
    let playground = match mapwright_serve::Playground::bind(config) {
        Ok(p) => p,
        Err(e) => {
            say!("error: {e}");
            return exit::USAGE;
        }
    };
    {
        use std::io::Write as _;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{}", playground.url());
        let _ = out.flush();
    }
    say!(
        "the playground is at {} (127.0.0.1 only); Ctrl-C stops it",
        playground.url()
    );
    if args.open {
        open_browser(playground.url());
    }
    playground.run();
    exit::OK
}

/// Start the browser on `url` and leave it running: `$BROWSER` (a command,
/// given the URL), else `xdg-open`. One that cannot start is said, and the
/// server goes on (the URL is printed).
fn open_browser(url: &str) {
    let browser = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "xdg-open".to_string());
    let started = std::process::Command::new(&browser)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = started {
        say!("warning: --open: cannot start {browser}: {e}; open the URL yourself");
    }
}
