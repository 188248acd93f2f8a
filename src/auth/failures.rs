//! Counting failures (not attempts) with back-off: a key that fails `limit` times within
//! `window` is blocked for `window`, and each further block while it keeps failing lasts
//! twice as long as the one before (up to [`MAX_BACKOFF`] windows). A success resets it.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The longest block, in windows.
const MAX_BACKOFF: u32 = 16;

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    window_start: Instant,
    blocked_until: Option<Instant>,
    /// Blocks in a row, for the back-off.
    strikes: u32,
}

pub struct FailureCounter<K> {
    limit: u32,
    window: Duration,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K: Hash + Eq + Clone> FailureCounter<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long `key` is still blocked, if it is.
    pub fn blocked_for(&self, key: &K) -> Option<Duration> {
        let now = Instant::now();
        let until = self.lock().get(key)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    /// Records a failure of `key`.
    pub fn failed(&self, key: &K) {
        let now = Instant::now();
        let mut entries = self.lock();
        let entry = entries.entry(key.clone()).or_insert(Entry {
            failures: 0,
            window_start: now,
            blocked_until: None,
            strikes: 0,
        });
        if now.duration_since(entry.window_start) > self.window {
            entry.failures = 0;
            entry.window_start = now;
        }
        entry.failures += 1;
        if entry.failures >= self.limit {
            entry.strikes = (entry.strikes + 1).min(MAX_BACKOFF.ilog2() + 1);
            let windows = (1u32 << (entry.strikes - 1)).min(MAX_BACKOFF);
            entry.blocked_until = Some(now + self.window * windows);
            entry.failures = 0;
            entry.window_start = now;
        }
    }

    /// Forgets `key`'s failures (after a success).
    pub fn reset(&self, key: &K) {
        self.lock().remove(key);
    }

    /// Forgets keys that are neither blocked nor failed recently, so memory stays bounded.
    pub fn shrink(&self) {
        let now = Instant::now();
        let idle = self.window * MAX_BACKOFF;
        self.lock().retain(|_, e| {
            e.blocked_until.is_some_and(|u| u > now) || now.duration_since(e.window_start) < idle
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_backs_off_while_failures_go_on() {
        let counter = FailureCounter::new(2, Duration::from_secs(60));
        counter.failed(&1);
        assert!(
            counter.blocked_for(&1).is_none(),
            "one failure is not a block"
        );
        counter.failed(&1);
        let first = counter.blocked_for(&1).expect("blocked after the limit");
        assert!(first <= Duration::from_secs(60));
        counter.failed(&1);
        counter.failed(&1);
        let second = counter.blocked_for(&1).expect("still blocked");
        assert!(
            second > Duration::from_secs(100),
            "the second block is longer"
        );
        assert!(
            counter.blocked_for(&2).is_none(),
            "other keys are untouched"
        );
        counter.reset(&1);
        assert!(counter.blocked_for(&1).is_none(), "a success resets");
    }
}
