//! What the streams record while they run: per stream, which message seqs arrived (a
//! growable bitset), duplicates, heartbeats and disconnects; for all of them, latency
//! histograms split into shards so no single lock is taken per delivery.

use std::sync::{Mutex, MutexGuard, PoisonError};

use hdrhistogram::Histogram;

/// A set of message sequence numbers.
#[derive(Debug, Default, Clone)]
pub struct SeqBits {
    words: Vec<u64>,
    len: u64,
}

impl SeqBits {
    /// Adds `seq`; `false` if it was already there.
    pub fn insert(&mut self, seq: u64) -> bool {
        let word = (seq / 64) as usize;
        if word >= self.words.len() {
            let want = (word + 1).max(self.words.len() * 2).max(16);
            self.words.resize(want, 0);
        }
        let bit = 1u64 << (seq % 64);
        let fresh = self.words[word] & bit == 0;
        self.words[word] |= bit;
        self.len += u64::from(fresh);
        fresh
    }

    pub fn contains(&self, seq: u64) -> bool {
        self.words
            .get((seq / 64) as usize)
            .is_some_and(|w| w & (1u64 << (seq % 64)) != 0)
    }

    /// How many distinct seqs are in the set.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One stream's counters; its task locks it once per read.
#[derive(Debug, Default)]
pub struct StreamRecord {
    pub received: SeqBits,
    /// Marker deliveries, first arrivals and repeats (warm-ups excluded).
    pub deliveries: u64,
    pub duplicates: u64,
    /// Deliveries of the stream's own user's messages (not in the latency histogram).
    pub echoes: u64,
    /// Events without our marker, or of another kind (`delivered`, `presence`, ...).
    pub other_events: u64,
    pub warmed_up: bool,
    pub retry_hints: u64,
    pub last_delivery_ns: u64,
    /// Heartbeats seen inside the measuring window.
    pub heartbeats: u64,
    pub last_heartbeat_ns: u64,
    /// Longest time inside the window without a heartbeat, so far.
    pub max_heartbeat_gap_ns: u64,
    pub opened: bool,
    /// Socket reads with data (events per read show how much the client batches).
    pub reads: u64,
    pub disconnects: u64,
    pub disconnects_in_window: u64,
    pub reconnects: u64,
    pub last_error: Option<String>,
}

/// Locks a mutex, ignoring poisoning: a panicked stream task leaves plain counters behind.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A new latency histogram in microseconds (1 µs to 1 h). Two significant figures (1%)
/// keep it small enough to stay in cache while every delivery records into it.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("static histogram bounds are valid")
}

/// Latency histograms, one per shard; writer `i` uses shard `i % shards`.
pub struct Latencies {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Latencies {
    pub fn new(shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(histogram()))
                .collect(),
        }
    }

    pub fn shard(&self, writer: usize) -> MutexGuard<'_, Histogram<u64>> {
        lock(&self.shards[writer % self.shards.len()])
    }

    /// All shards merged, leaving them empty (ramp steps measure one step at a time).
    pub fn take(&self) -> Histogram<u64> {
        let mut all = histogram();
        for shard in &self.shards {
            let mut h = lock(shard);
            // Same bounds everywhere, so adding cannot fail.
            let _ = all.add(&*h);
            h.reset();
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_bits_count_distinct_members() {
        let mut bits = SeqBits::default();
        assert!(bits.insert(1));
        assert!(bits.insert(100_000));
        assert!(!bits.insert(1));
        assert!(bits.contains(100_000) && !bits.contains(2) && !bits.contains(10_000_000));
        assert_eq!(bits.len(), 2);
    }

    #[test]
    fn taking_latencies_merges_and_empties_the_shards() {
        let lat = Latencies::new(4);
        lat.shard(0).record(10).unwrap();
        lat.shard(5).record(20).unwrap();
        let all = lat.take();
        assert_eq!(all.len(), 2);
        assert_eq!(lat.take().len(), 0);
    }
}
