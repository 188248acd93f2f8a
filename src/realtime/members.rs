//! Who is in each thread right now, cached for delivery.
//!
//! The tailer reads the log in order and drops a thread's entry when it meets an event
//! that changes the thread's members, before it delivers anything after that event; the
//! next delivery loads the members again from the database. A load that started before a
//! drop does not store its (possibly stale) result: a generation counter tells.

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
            self.threads
                .lock()
                .expect("members lock")
                .insert(thread, set.clone());
        }
        Ok(set)
    }

    /// Forgets a thread's members (they changed).
    pub fn invalidate(&self, thread: Uuid) {
        let mut threads = self.threads.lock().expect("members lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        threads.remove(&thread);
    }
}
