//! Progress lines on stderr for the slow parts (registering users, opening streams), and
//! one-line notes; both silent when progress is turned off (tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

const EVERY: Duration = Duration::from_secs(2);

/// Prints a note on stderr when `enabled`.
pub fn note(enabled: bool, text: impl AsRef<str>) {
    if enabled {
        eprintln!("loadgen: {}", text.as_ref());
    }
}

/// A counter of finished items with a printer that reports it every two seconds.
pub struct Progress {
    label: String,
    total: usize,
    enabled: bool,
    done: Arc<AtomicUsize>,
    started: Instant,
    printer: Option<JoinHandle<()>>,
}

impl Progress {
    pub fn start(label: impl Into<String>, total: usize, enabled: bool) -> Self {
        let label = label.into();
        let done = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let printer = enabled.then(|| {
            let (label, done) = (label.clone(), done.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
                loop {
                    tick.tick().await;
                    print_line(&label, done.load(Relaxed), total, started.elapsed());
                }
            })
        });
        Self {
            label,
            total,
            enabled,
            done,
            started,
            printer,
        }
    }

    /// The counter to bump as items finish.
    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.done.clone()
    }

    /// Stops the printer, prints the final count and returns the time taken.
    pub fn finish(mut self) -> Duration {
        let took = self.started.elapsed();
        if let Some(p) = self.printer.take() {
            p.abort();
        }
        if self.enabled {
            print_line(&self.label, self.done.load(Relaxed), self.total, took);
        }
        took
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(p) = self.printer.take() {
            p.abort();
        }
    }
}

fn print_line(label: &str, done: usize, total: usize, took: Duration) {
    let secs = took.as_secs_f64().max(1e-9);
    eprintln!(
        "loadgen: {label}: {done}/{total} in {:.1} s ({:.0}/s)",
        secs,
        done as f64 / secs
    );
}
