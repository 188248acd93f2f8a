//! What one read's events mean for a stream's record: heartbeats inside the measuring
//! window, warm-ups, first arrivals and duplicates by seq, echoes of the user's own
//! messages, and send-to-receive latency into the stream's histogram shard.

use std::sync::MutexGuard;
use std::sync::atomic::Ordering::Relaxed;

use hdrhistogram::Histogram;

use super::Hub;
use super::parser::Sink;
use crate::marker::{Marker, WARM_UP};
use crate::record::StreamRecord;

/// The sink for one read: every event in it shares one receive time.
pub(super) struct Recorder<'a> {
    hub: &'a Hub,
    idx: usize,
    rec: &'a mut StreamRecord,
    /// The latency shard, locked on the first delivery of the read.
    hist: Option<MutexGuard<'a, Histogram<u64>>>,
    now: u64,
    user: u32,
}

impl<'a> Recorder<'a> {
    pub(super) fn new(hub: &'a Hub, idx: usize, rec: &'a mut StreamRecord, user: u32) -> Self {
        Self {
            hub,
            idx,
            rec,
            hist: None,
            now: hub.clock.now_ns(),
            user,
        }
    }
}

impl Sink for Recorder<'_> {
    fn comment(&mut self) {
        let rec = &mut *self.rec;
        if let Some(start) = self.hub.window_since(self.now) {
            rec.heartbeats += 1;
            let gap = self.now.saturating_sub(rec.last_heartbeat_ns.max(start));
            rec.max_heartbeat_gap_ns = rec.max_heartbeat_gap_ns.max(gap);
        }
        rec.last_heartbeat_ns = self.now;
    }

    fn retry(&mut self) {
        self.rec.retry_hints += 1;
    }

    fn event(&mut self, wanted: bool, marker: Option<Marker>) {
        let rec = &mut *self.rec;
        let Some(m) = marker.filter(|_| wanted) else {
            rec.other_events += 1;
            return;
        };
        if m.seq == WARM_UP {
            if !rec.warmed_up {
                rec.warmed_up = true;
                self.hub.warmed.fetch_add(1, Relaxed);
            }
            return;
        }
        rec.deliveries += 1;
        if !rec.received.insert(m.seq) {
            rec.duplicates += 1;
            return;
        }
        rec.last_delivery_ns = self.now;
        if m.from == self.user {
            rec.echoes += 1;
            return;
        }
        let micros = (self.now.saturating_sub(m.sent_ns) / 1000).max(1);
        let (hub, idx) = (self.hub, self.idx);
        self.hist
            .get_or_insert_with(|| hub.latencies.shard(idx))
            .saturating_record(micros);
    }
}
