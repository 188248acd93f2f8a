//! Counting what arrived against what was sent: each stream expects the accepted messages
//! of its audience; the rest of a delivery report (duplicates, echoes, latency) comes from
//! the stream records and the latency histograms.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::record::lock;
use crate::report::Delivery;
use crate::send::Sent;
use crate::sse::{Hub, StreamSpec};

const POLL: Duration = Duration::from_millis(20);

/// Accepted seqs by audience.
fn by_audience(sent: &[Sent]) -> HashMap<u32, Vec<u64>> {
    let mut map: HashMap<u32, Vec<u64>> = HashMap::new();
    for s in sent {
        map.entry(s.audience).or_default().push(s.seq);
    }
    map
}

/// How many (message, stream) arrivals `sent` calls for.
pub fn expected(specs: &[StreamSpec], sent: &[Sent]) -> u64 {
    let map = by_audience(sent);
    specs
        .iter()
        .map(|s| map.get(&s.audience).map_or(0, Vec::len) as u64)
        .sum()
}

/// Total distinct arrivals recorded so far, over all streams.
fn arrived(hub: &Hub) -> u64 {
    hub.records.iter().map(|r| lock(r).received.len()).sum()
}

/// Waits until `expected` more distinct arrivals than `before` were recorded, or `max`.
pub async fn drain(hub: &Hub, before: u64, expected: u64, max: Duration) {
    let until = Instant::now() + max;
    while arrived(hub) < before + expected && Instant::now() < until {
        tokio::time::sleep(POLL).await;
    }
}

/// Distinct arrivals so far, to pass to [`drain`] as `before`.
pub fn arrived_so_far(hub: &Hub) -> u64 {
    arrived(hub)
}

/// Duplicates so far, over all streams.
pub fn duplicates(hub: &Hub) -> u64 {
    hub.records.iter().map(|r| lock(r).duplicates).sum()
}

/// Compares what the streams received with `sent`. With `whole_run`, arrivals of seqs not
/// in `sent` are counted as unexpected (only meaningful when `sent` is everything sent).
pub fn tally(hub: &Hub, specs: &[StreamSpec], sent: &[Sent], whole_run: bool) -> Delivery {
    let map = by_audience(sent);
    let mut d = Delivery::default();
    for (spec, rec) in specs.iter().zip(&hub.records) {
        let rec = lock(rec);
        let mine = map.get(&spec.audience).map_or(&[][..], Vec::as_slice);
        let got = mine
            .iter()
            .filter(|&&seq| rec.received.contains(seq))
            .count() as u64;
        d.expected += mine.len() as u64;
        d.delivered += got;
        d.lost += mine.len() as u64 - got;
        if whole_run {
            d.duplicates += rec.duplicates;
            d.echoes += rec.echoes;
            d.unexpected += rec.received.len() - got;
        }
    }
    d
}

/// The latest arrival time over all streams (ns on the run clock).
pub fn last_arrival_ns(hub: &Hub) -> u64 {
    hub.records
        .iter()
        .map(|r| lock(r).last_delivery_ns)
        .max()
        .unwrap_or(0)
}
