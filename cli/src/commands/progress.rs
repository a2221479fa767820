//! The progress line of `convert` on a terminal: records, rate, accepted,
//! rejected, skipped, and a bar when the inputs' total size is known.
//!
//! indicatif draws it (at most 20 times a second, fitted to the terminal's
//! width, cleared at the end), in place of our own `\r` line. It is shown
//! only when stderr is a terminal and `--quiet` is not given, so no test,
//! pipe or log ever sees it; it carries counts only, never a value read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mapwright::Report;

/// How often the counts are turned into text: formatting after every unit
/// would cost more than the unit on a fast mapping.
const EVERY: Duration = Duration::from_millis(250);

/// The progress line, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
    shown: Instant,
    started: Instant,
    /// Bytes read from the inputs so far (the bar's position).
    read: Arc<AtomicU64>,
}

impl Progress {
    /// A progress line when `wanted` (stderr is a terminal and not
    /// `--quiet`), with a bar when `total_bytes` is known and not 0.
    pub fn new(wanted: bool, total_bytes: Option<u64>, read: Arc<AtomicU64>) -> Progress {
        let bar = wanted.then(|| bar(total_bytes.filter(|t| *t > 0)));
        Progress {
            bar,
            shown: Instant::now(),
            started: Instant::now(),
            read,
        }
    }

    /// Update the counts from `report`, at most every [`EVERY`].
    pub fn update(&mut self, report: &Report) {
        let Some(bar) = &self.bar else { return };
        if self.shown.elapsed() < EVERY {
            return;
        }
        self.shown = Instant::now();
        bar.set_position(self.read.load(Ordering::Relaxed));
        bar.set_message(line(report, self.started.elapsed()));
    }

    /// Remove the line: the run is over and its summary comes next.
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Leave the line where it is (an error message follows it).
    pub fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}

fn bar(total_bytes: Option<u64>) -> ProgressBar {
    let (bar, template) = match total_bytes {
        Some(total) => (ProgressBar::new(total), "[{bar:24}] {percent:>3}% {msg}"),
        None => (ProgressBar::no_length(), "{msg}"),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("#."));
    }
    bar
}

/// The counts as the line shows them.
fn line(report: &Report, elapsed: Duration) -> String {
    let c = &report.counts;
    let rate = c.input_records as f64 / elapsed.as_secs_f64().max(1e-9);
    format!(
        "{} records, {rate:.0}/s, {} accepted, {} rejected, {} skipped",
        c.input_records, c.accepted, c.rejected, c.skipped
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_gives_the_counts_and_the_rate() {
        let mut report = Report::default();
        report.counts.input_records = 3000;
        report.counts.accepted = 2990;
        report.counts.rejected = 7;
        report.counts.skipped = 3;
        assert_eq!(
            line(&report, Duration::from_millis(1500)),
            "3000 records, 2000/s, 2990 accepted, 7 rejected, 3 skipped"
        );
    }

    #[test]
    fn nothing_is_drawn_when_not_wanted() {
        let mut p = Progress::new(false, Some(10), Arc::new(AtomicU64::new(0)));
        assert!(p.bar.is_none());
        p.shown -= EVERY;
        p.update(&Report::default());
        p.clear();
        assert!(p.bar.is_none());
    }
}
