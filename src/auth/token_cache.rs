//! Bearer tokens this process authenticated recently, so a bot's calls and a reconnecting
//! stream do not each ask the database whose token it is.
//!
//! An entry is dropped as soon as its user's credentials or account change: at once by
//! the request that changed them on this instance ([`forget_user`]), and on every
//! instance when its log tailer reaches the `auth.revoked` or `user.changed` event written
//! with the change. A load that raced with any such drop is not kept (a generation
//! counter tells), and entries lapse after [`TTL`] whatever happens.
//!
//! Each entry keeps the log head of the snapshot it was read in: every revocation logged
//! below it is reflected in the entry, every later one reaches the tailer. A stream
//! opened with a cached token takes that head as the point from which revocations apply
//! to it, exactly as with a fresh check.
//!
//! Each instance has its own (`Realtime` owns it; requests reach it through the state).

use std::{
    collections::HashMap,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::{entities::users, eventlog::Position};

/// How long an entry is trusted at most.
pub const TTL: Duration = Duration::from_secs(60);
/// Entries kept at most; when full, the cache starts over.
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone)]
pub struct Entry {
    pub user: users::Model,
    pub token_id: Uuid,
    /// The log head of the snapshot the entry was read in.
    pub head: Position,
    loaded: Instant,
}

#[derive(Default)]
struct Entries {
    by_digest: HashMap<Vec<u8>, Entry>,
    /// Token id → digest, for streams checking their token again.
    by_token: HashMap<Uuid, Vec<u8>>,
}

/// One instance's cache of authenticated tokens.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<Entries>,
    generation: AtomicU64,
}

impl TokenCache {
    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The live entry for a token digest.
    pub fn get(&self, digest: &[u8]) -> Option<Entry> {
        let entries = self.entries();
        let entry = entries.by_digest.get(digest)?;
        (entry.loaded.elapsed() < TTL).then(|| entry.clone())
    }

    /// The generation to pass to [`TokenCache::put`]: read it before loading from the
    /// database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps what was loaded, unless an entry was dropped since `generation` was read
    /// (the load may predate that change).
    pub fn put(
        &self,
        digest: Vec<u8>,
        user: users::Model,
        token_id: Uuid,
        head: Position,
        generation: u64,
    ) {
        let mut entries = self.entries();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.by_digest.len() >= MAX_ENTRIES {
            *entries = Entries::default();
        }
        entries.by_token.insert(token_id, digest.clone());
        entries.by_digest.insert(
            digest,
            Entry {
                user,
                token_id,
                head,
                loaded: Instant::now(),
            },
        );
    }

    /// The head of a live entry for this token of `user`: the token was live in that
    /// snapshot and no change to the user has been seen since.
    pub fn live_head(&self, token_id: Uuid, user: Uuid) -> Option<Position> {
        let entries = self.entries();
        let digest = entries.by_token.get(&token_id)?;
        let entry = entries.by_digest.get(digest)?;
        (entry.user.id == user && entry.loaded.elapsed() < TTL).then_some(entry.head)
    }

    /// Drops every entry of `user` (their credentials or account changed).
    pub fn forget_user(&self, user: Uuid) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        let Entries {
            by_digest,
            by_token,
        } = &mut *entries;
        by_digest.retain(|_, entry| {
            let keep = entry.user.id != user;
            if !keep {
                by_token.remove(&entry.token_id);
            }
            keep
        });
    }
}
