//! A set of open streams: opened with bounded concurrency (with progress), waited on until
//! the warm-up message reached them, summarized, and ended by aborting their tasks.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tokio::task::JoinHandle;

use crate::config::Options;
use crate::marker::Clock;
use crate::progress::Progress;
use crate::record::lock;
use crate::report::StreamStats;
use crate::sse::{self, Hub, StreamSpec};
use crate::target::Target;

const POLL: Duration = Duration::from_millis(20);

pub struct StreamSet {
    pub hub: Arc<Hub>,
    pub specs: Vec<StreamSpec>,
    handles: Vec<JoinHandle<()>>,
    open_secs: f64,
}

impl StreamSet {
    /// Opens every stream of `specs`; fails only if none could be opened.
    pub async fn open(
        target: &Target,
        specs: Vec<StreamSpec>,
        clock: Clock,
        o: &Options,
    ) -> Result<Self> {
        let n = specs.len();
        let hub = Arc::new(Hub::new(clock, n, o.open_concurrency));
        let ep = Arc::new(target.endpoint(o));
        let bar = Progress::start(
            format!("opening {} streams", target.kind.name()),
            n,
            o.progress,
        );
        let handles = specs
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, spec)| tokio::spawn(sse::run(hub.clone(), ep.clone(), i, spec)))
            .collect();
        let counter = bar.counter();
        loop {
            let opened = hub.opened.load(Relaxed);
            counter.store(opened, Relaxed);
            if opened + hub.failed.load(Relaxed) >= n {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        let open_secs = bar.finish().as_secs_f64();
        let mut set = Self {
            hub,
            specs,
            handles,
            open_secs,
        };
        if n > 0 && set.hub.opened.load(Relaxed) == 0 {
            let why = set.first_error().unwrap_or_default();
            set.stop().await;
            bail!("no stream could be opened: {why}");
        }
        Ok(set)
    }

    /// Waits until every open stream saw the warm-up message, or `timeout`; how many did.
    pub async fn wait_warm(&self, timeout: Duration) -> usize {
        let until = Instant::now() + timeout;
        loop {
            let warmed = self.hub.warmed.load(Relaxed);
            if warmed >= self.hub.opened.load(Relaxed) || Instant::now() >= until {
                return warmed;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn first_error(&self) -> Option<String> {
        self.hub
            .records
            .iter()
            .find_map(|r| lock(r).last_error.clone())
    }

    pub fn stats(&self) -> StreamStats {
        let mut s = StreamStats {
            streams: self.specs.len(),
            opened: self.hub.opened.load(Relaxed),
            open_failures: self.hub.failed.load(Relaxed),
            open_secs: self.open_secs,
            warmed_up: self.hub.warmed.load(Relaxed),
            first_error: self.first_error(),
            ..StreamStats::default()
        };
        let mut events = 0;
        for rec in &self.hub.records {
            let rec = lock(rec);
            s.disconnects += rec.disconnects;
            s.reconnects += rec.reconnects;
            s.other_events += rec.other_events;
            s.reads += rec.reads;
            events += rec.deliveries + rec.other_events + u64::from(rec.warmed_up);
        }
        s.events_per_read = (events > 0).then(|| events as f64 / s.reads.max(1) as f64);
        s
    }

    /// Ends every stream (their records stay in the hub).
    pub async fn stop(&mut self) {
        for h in &self.handles {
            h.abort();
        }
        for h in self.handles.drain(..) {
            let _ = h.await;
        }
    }
}

impl Drop for StreamSet {
    fn drop(&mut self) {
        for h in &self.handles {
            h.abort();
        }
    }
}
