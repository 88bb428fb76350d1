//! Progress on stderr: shown only when stderr is a terminal and `--quiet`
//! was not given, so pipes, files and CI logs stay clean.

use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often a progress line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// A one-line progress display, redrawn in place.
pub struct Progress {
    enabled: bool,
    last: Cell<Option<Instant>>,
}

impl Progress {
    /// Progress on stderr when it is a terminal, unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            enabled: !quiet && std::io::stderr().is_terminal(),
            last: Cell::new(None),
        }
    }

    /// Redraws the line with `message()`, at most every 100 ms.
    pub fn tick(&self, message: impl FnOnce() -> String) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self.last.get().is_some_and(|t| now - t < REDRAW) {
            return;
        }
        self.last.set(Some(now));
        draw(&message());
    }

    /// Redraws the line with `message` now.
    pub fn show(&self, message: &str) {
        if self.enabled {
            self.last.set(Some(Instant::now()));
            draw(message);
        }
    }

    /// Runs `work`, showing `label… 1.2 s` with the elapsed time meanwhile
    /// (for library calls that report no progress of their own).
    pub fn working<T>(&self, label: &str, work: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return work();
        }
        let start = Instant::now();
        let (done, wait) = mpsc::channel::<()>();
        let out = std::thread::scope(|scope| {
            scope.spawn(move || {
                loop {
                    draw(&format!("{label}… {:.1} s", start.elapsed().as_secs_f64()));
                    match wait.recv_timeout(Duration::from_millis(200)) {
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
            });
            let out = work();
            drop(done);
            out
        });
        self.clear();
        out
    }

    /// Erases the progress line.
    pub fn clear(&self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

fn draw(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{message}");
    let _ = err.flush();
}
