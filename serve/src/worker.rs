//! Running one request's work under a wall-clock limit: the work runs on a
//! worker thread, and the request is answered "timed out" when the limit
//! passes first. The server stays up; the abandoned work is told to stop
//! (its input stops at the next line) and the engine's own budgets bound
//! each unit it is still in.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How a request's work ended.
#[derive(Debug)]
pub enum Answer<T> {
    /// Finished within the limit.
    Done(T),
    /// The limit passed first; the work was told to stop.
    TimedOut,
    /// As many runs as allowed were still going: this one did not start.
    Busy,
    /// The work ended without an answer (a bug: it panicked).
    Failed,
}

/// The worker threads of the server: at most `max` runs at once, counting
/// abandoned ones still going (so runaway requests cannot pile up).
#[derive(Debug)]
pub struct Workers {
    running: Arc<AtomicUsize>,
    max: usize,
}

/// A flag the work reads to learn that its request was answered without it.
pub type Cancel = Arc<AtomicBool>;

/// Gives its slot back when the worker thread ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Workers {
    /// Workers allowing `max` runs at once.
    pub fn new(max: usize) -> Workers {
        Workers {
            running: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// Run `work` on a worker thread and wait at most `limit` for it.
    pub fn run<T, F>(&self, limit: Duration, work: F) -> Answer<T>
    where
        T: Send + 'static,
        F: FnOnce(Cancel) -> T + Send + 'static,
    {
        let taken = self
            .running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            });
        if taken.is_err() {
            return Answer::Busy;
        }
        let slot = Slot(self.running.clone());
        let cancel: Cancel = Arc::new(AtomicBool::new(false));
        let (send, receive) = mpsc::channel();
        let flag = cancel.clone();
        // The CLI loads a mapping on its main thread (8 MiB of stack); a
        // spawned thread gets 2 MiB, which a mapping of some 40 nested flow
        // maps overflowed before the YAML reader's own depth limit tripped,
        // killing the server. A run gets the room the CLI has, and more.
        let spawned = std::thread::Builder::new()
            .name("playground-run".into())
            .stack_size(RUN_STACK)
            .spawn(move || {
                let _slot = slot;
                // The receiver may be gone (timed out): nothing to do then.
                let _ = send.send(work(flag));
            });
        if spawned.is_err() {
            return Answer::Busy;
        }
        match receive.recv_timeout(limit) {
            Ok(value) => Answer::Done(value),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                cancel.store(true, Ordering::SeqCst);
                Answer::TimedOut
            }
            // The work ended without an answer: it panicked.
            Err(mpsc::RecvTimeoutError::Disconnected) => Answer::Failed,
        }
    }
}

/// An input handed to a run a line at a time, that fails its next read once
/// its request is cancelled: an abandoned run stops within a unit or so of
/// the time-out instead of reading on through the whole input.
/// The stack of a run's thread.
const RUN_STACK: usize = 16 << 20;

/// The most of one line a read hands on at once: a long line (a minified
/// JSON document) is handed on in pieces, so finding each piece's end does
/// not scan the rest of the input again (that was quadratic).
const PIECE: usize = 64 << 10;

pub struct Lines {
    bytes: Vec<u8>,
    at: usize,
    /// The end of the piece being read (a line's, or [`PIECE`] on): found
    /// once per piece however little each read takes of it.
    end: usize,
    cancel: Cancel,
}

impl Lines {
    /// `bytes`, read until `cancel` is set.
    pub fn new(bytes: Vec<u8>, cancel: Cancel) -> Lines {
        Lines {
            bytes,
            at: 0,
            end: 0,
            cancel,
        }
    }
}

impl Read for Lines {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Lines {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.cancel.load(Ordering::SeqCst) {
            return Err(io::Error::other(
                "the request timed out; the run was abandoned",
            ));
        }
        if self.at >= self.end {
            let rest = &self.bytes[self.at..];
            let window = &rest[..rest.len().min(PIECE)];
            let line = window
                .iter()
                .position(|b| *b == b'\n')
                .map_or(window.len(), |i| i + 1);
            self.end = self.at + line;
        }
        Ok(&self.bytes[self.at..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.bytes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_one_at_a_time_and_stop_when_cancelled() {
        let cancel: Cancel = Arc::new(AtomicBool::new(false));
        let mut lines = Lines::new(b"a\nbc\nd".to_vec(), cancel.clone());
        assert_eq!(lines.fill_buf().unwrap(), b"a\n");
        lines.consume(2);
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        assert_eq!(first, "bc\n");
        cancel.store(true, Ordering::SeqCst);
        let err = lines.fill_buf().unwrap_err();
        assert!(err.to_string().contains("timed out"), "{err}");
    }

    #[test]
    fn work_past_the_limit_is_timed_out_and_told_to_stop() {
        let workers = Workers::new(2);
        let (told, seen) = mpsc::channel();
        let answer = workers.run(Duration::from_millis(1), move |cancel| {
            // Waits until the time-out sets the flag: finishes only then.
            while !cancel.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            let _ = told.send(());
        });
        assert!(matches!(answer, Answer::TimedOut), "{answer:?}");
        seen.recv().expect("the abandoned work saw the flag");
    }

    #[test]
    fn work_that_ends_without_an_answer_is_failed_not_timed_out() {
        let workers = Workers::new(1);
        let answer: Answer<()> = workers.run(Duration::from_secs(60), |_| {
            // Stands for a bug deep in a run.
            std::panic::resume_unwind(Box::new("a bug"))
        });
        assert!(matches!(answer, Answer::Failed), "{answer:?}");
    }

    #[test]
    fn no_more_runs_than_allowed_start() {
        let workers = Workers::new(1);
        let (release, wait) = mpsc::channel::<()>();
        let first = workers.run(Duration::from_millis(1), move |_| {
            let _ = wait.recv();
        });
        assert!(matches!(first, Answer::TimedOut));
        // The first still holds the only slot.
        assert!(matches!(
            workers.run(Duration::from_secs(60), |_| 1),
            Answer::Busy
        ));
        drop(release);
        // Its slot comes back when it ends.
        let mut answer = Answer::Busy;
        while matches!(answer, Answer::Busy) {
            std::thread::yield_now();
            answer = workers.run(Duration::from_secs(60), |_| 2);
        }
        assert!(matches!(answer, Answer::Done(2)), "{answer:?}");
    }
}
