//! Who is in each thread right now, cached for delivery.
//!
//! The tailer reads the log in order and drops a thread's entry when it meets an event
//! that changes the thread's members, before it delivers anything after that event; the
//! next delivery loads the members again from the database. A load that started before a
//! drop does not store its (possibly stale) result: a generation counter tells. The cache
//! holds at most [`CACHED_THREADS`] threads: when it is full it starts over, so memory
//! follows the threads that are active, not every thread ever delivered to.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{chat::threads::active_member_ids, error::Result};

pub type MemberSet = Arc<HashSet<Uuid>>;

/// Threads whose members are cached at most.
pub const CACHED_THREADS: usize = 10_000;

#[derive(Default)]
pub struct Members {
    threads: Mutex<HashMap<Uuid, MemberSet>>,
    generation: AtomicU64,
}

impl Members {
    /// The thread's active members.
    pub async fn of(&self, conn: &impl ConnectionTrait, thread: Uuid) -> Result<MemberSet> {
        if let Some(set) = self.threads.lock().expect("members lock").get(&thread) {
            return Ok(set.clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let set: MemberSet = Arc::new(active_member_ids(conn, thread).await?.into_iter().collect());
        if self.generation.load(Ordering::Acquire) == generation {
            self.remember(thread, set.clone());
        }
        Ok(set)
    }

    fn remember(&self, thread: Uuid, set: MemberSet) {
        let mut threads = self.threads.lock().expect("members lock");
        if threads.len() >= CACHED_THREADS && !threads.contains_key(&thread) {
            threads.clear();
        }
        threads.insert(thread, set);
    }

    #[cfg(test)]
    fn cached(&self) -> usize {
        self.threads.lock().expect("members lock").len()
    }

    /// Forgets a thread's members (they changed).
    pub fn invalidate(&self, thread: Uuid) {
        let mut threads = self.threads.lock().expect("members lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        threads.remove(&thread);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let members = Members::default();
        for _ in 0..CACHED_THREADS * 2 + 7 {
            members.remember(Uuid::new_v4(), MemberSet::default());
            assert!(members.cached() <= CACHED_THREADS);
        }
        assert!(members.cached() > 0);
    }
}
