//! Keeps each online member's `thread.updated` current as messages come and go, so a
//! client never counts unread messages itself: after a new, edited or deleted message, or
//! a member's read, every member connected here gets the thread as they now see it
//! (`lastMessage`, `unreadCount`, `updatedAt`, `archived`).
//!
//! Asking the database for every member's view after every message would cost a query
//! per message and a count per member. Instead the tailer keeps, per active thread, the
//! part every member shares and each connected member's own part, loaded once with the
//! thread's messages cut at the last one it has delivered (`upto_seq`, so a message
//! committed meanwhile is not counted twice), and applies each `message.created` to it in
//! memory. An edit of the last message updates it; a delete, a member's read or a change
//! of members has the affected parts loaded again.
//!
//! Updates of one thread go out at most once per [`FLUSH_EVERY`] (longer in big groups,
//! up to [`FLUSH_MAX`]): a burst of messages gives one `thread.updated` with the final
//! count, not one per message. The first change after a quiet spell goes out at once.
//! These updates carry no `id:`: they summarize events the stream already delivered (or
//! will deliver) under their own positions, and a stream that resumes gets them again
//! for the threads its replay touched.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

mod json;

pub(super) use json::summary;
use json::{common_json, personal_json};

use super::{Inner, delivery::Delivery};
use crate::{
    chat::{ThreadView, threads, views::LastMessage},
    entities::thread_participants::ThreadRole,
    error::Result,
    eventlog::{Kind, LoggedEvent},
};

/// The shortest time between two updates of one thread.
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// The longest, for the biggest groups.
pub const FLUSH_MAX: Duration = Duration::from_secs(5);
/// Connected members per [`FLUSH_EVERY`] of spacing: a group with 1,000 members online
/// gets at most one update a second, one with 10,000 one every five.
const MEMBERS_PER_STEP: usize = 250;
/// Threads followed at most; when full, quiet ones are forgotten first.
const FOLLOWED_THREADS: usize = 10_000;
/// A thread with no change for this long is forgotten (loaded again when active).
const FORGET_AFTER: Duration = Duration::from_secs(120);

/// What one member sees differently from the others.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Personal {
    #[serde(rename = "unreadCount")]
    unread: i64,
    archived: bool,
    role: ThreadRole,
    name: String,
    peer_id: Option<Uuid>,
}

impl Personal {
    fn of(view: &ThreadView) -> Self {
        Self {
            unread: view.unread_count,
            archived: view.archived,
            role: view.role,
            name: view.name.clone(),
            peer_id: view.peer_id,
        }
    }
}

#[derive(Default)]
struct Summary {
    /// The shared part, as of `upto_seq` (a view whose personal fields are overwritten).
    shared: Option<ThreadView>,
    /// The seq of the last `message.created` applied.
    upto_seq: Option<i64>,
    people: HashMap<Uuid, Personal>,
    /// Members whose part must be loaded again.
    stale: HashSet<Uuid>,
    /// Everything must be loaded again (a message was deleted).
    reload: bool,
    /// The shared part changed: every connected member gets an update.
    changed: bool,
    last_flush: Option<Instant>,
    touched: Option<Instant>,
}

impl Summary {
    fn pending(&self) -> bool {
        self.changed || !self.stale.is_empty()
    }

    /// When the pending change should go out (`now` if it may go out at once).
    fn due(&self, now: Instant) -> Option<Instant> {
        if !self.pending() {
            return None;
        }
        let next = self.last_flush.map(|at| at + spacing(self.people.len()));
        Some(next.map_or(now, |at| at.max(now)))
    }
}

/// The fields of a `message.created` / `message.updated` payload that a summary needs.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageFields {
    id: Uuid,
    seq: Option<i64>,
    user_id: Uuid,
    #[serde(default)]
    content: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(default)]
    deleted_at: Option<serde_json::Value>,
}

impl MessageFields {
    fn last_message(self) -> LastMessage {
        let deleted = self.deleted_at.is_some_and(|v| !v.is_null());
        LastMessage {
            id: self.id,
            user_id: self.user_id,
            content: if deleted { String::new() } else { self.content },
            created_at: self.created_at,
            deleted,
        }
    }
}

#[derive(Default)]
pub(super) struct Summaries {
    threads: Mutex<HashMap<Uuid, Summary>>,
}

impl Summaries {
    /// Notes what a logged event changes; called by the tailer in log order.
    pub(super) fn note(&self, event: &LoggedEvent) {
        let (Some(kind), Some(thread)) = (event.kind, event.thread_id) else {
            return;
        };
        let mut threads = self.threads.lock().expect("summaries lock");
        match kind {
            Kind::MessageCreated => {
                let Ok(m) = serde_json::from_str::<MessageFields>(&event.payload) else {
                    return;
                };
                let Some(seq) = m.seq else { return };
                if threads.len() >= FOLLOWED_THREADS && !threads.contains_key(&thread) {
                    forget_quiet(&mut threads);
                }
                let s = threads.entry(thread).or_default();
                s.touched = Some(Instant::now());
                s.changed = true;
                if s.upto_seq.is_some_and(|upto| seq <= upto) {
                    return;
                }
                s.upto_seq = Some(seq);
                let author = m.user_id;
                let at = m.created_at;
                for (user, p) in &mut s.people {
                    // The author has read everything up to their own message.
                    p.unread = if *user == author { 0 } else { p.unread + 1 };
                    p.archived = false;
                }
                if let Some(shared) = &mut s.shared {
                    shared.last_message = Some(m.last_message());
                    shared.updated_at = at;
                }
            }
            Kind::MessageUpdated => {
                let Some(s) = threads.get_mut(&thread) else {
                    return;
                };
                let Ok(m) = serde_json::from_str::<MessageFields>(&event.payload) else {
                    return;
                };
                if let Some(shared) = &mut s.shared
                    && shared.last_message.as_ref().is_some_and(|l| l.id == m.id)
                {
                    shared.last_message = Some(m.last_message());
                    s.changed = true;
                    s.touched = Some(Instant::now());
                }
            }
            Kind::MessageDeleted => {
                if let Some(s) = threads.get_mut(&thread) {
                    s.reload = true;
                    s.changed = true;
                    s.touched = Some(Instant::now());
                }
            }
            // A member's own view was announced (a read, a rename, an archive): load
            // their part again, so the next update starts from it.
            Kind::ThreadUpdated => {
                if let (Some(user), Some(s)) = (event.user_id, threads.get_mut(&thread)) {
                    s.people.remove(&user);
                }
            }
            Kind::ThreadChanged | Kind::MembersChanged | Kind::ThreadRemoved => {
                threads.remove(&thread);
            }
            _ => {}
        }
    }

    /// Sends the updates that are due; returns when the next one will be.
    pub(super) async fn flush(&self, rt: &Inner) -> Option<Instant> {
        let now = Instant::now();
        let due: Vec<Uuid> = {
            let threads = self.threads.lock().expect("summaries lock");
            threads
                .iter()
                .filter(|(_, s)| s.due(now).is_some_and(|at| at <= now))
                .map(|(id, _)| *id)
                .collect()
        };
        for thread in due {
            if let Err(err) = self.flush_one(rt, thread).await {
                tracing::warn!(%err, %thread, "updating members' thread summaries failed");
                // Try again after the usual spacing, not in a tight loop.
                if let Some(s) = self
                    .threads
                    .lock()
                    .expect("summaries lock")
                    .get_mut(&thread)
                {
                    s.last_flush = Some(Instant::now());
                }
            }
        }
        let threads = self.threads.lock().expect("summaries lock");
        let now = Instant::now();
        threads.values().filter_map(|s| s.due(now)).min()
    }

    async fn flush_one(&self, rt: &Inner, thread: Uuid) -> Result<()> {
        let members = rt.members.of(&rt.db, thread).await?;
        let online: Vec<Uuid> = rt.registry.connected_among(&members);
        // What to load, decided under the lock; loaded outside it (only the tailer
        // changes summaries, and it is the one waiting here).
        let (load, upto) = {
            let mut threads = self.threads.lock().expect("summaries lock");
            let Some(s) = threads.get_mut(&thread) else {
                return Ok(());
            };
            if s.reload {
                s.people.clear();
                s.shared = None;
            }
            let load: Vec<Uuid> = online
                .iter()
                .copied()
                .filter(|u| !s.people.contains_key(u) || s.stale.contains(u))
                .collect();
            (load, s.upto_seq)
        };
        // Only the first view lists the participants: it is the one kept as the shared part.
        let loaded = if load.is_empty() {
            Vec::new()
        } else {
            threads::own_views(&rt.db, thread, &load, upto).await?
        };
        let mut out = Vec::new();
        let shared = {
            let mut threads = self.threads.lock().expect("summaries lock");
            let Some(s) = threads.get_mut(&thread) else {
                return Ok(());
            };
            for (user, view) in &loaded {
                s.people.insert(*user, Personal::of(view));
            }
            if (s.shared.is_none() || s.reload)
                && let Some((_, view)) = loaded.first()
            {
                s.shared = Some(view.clone());
            }
            let online: HashSet<Uuid> = online.into_iter().collect();
            s.people.retain(|user, _| online.contains(user));
            let loaded: HashSet<Uuid> = loaded.iter().map(|(user, _)| *user).collect();
            for (user, p) in &s.people {
                if s.changed || s.stale.contains(user) || loaded.contains(user) {
                    out.push((*user, p.clone()));
                }
            }
            s.changed = false;
            s.reload = false;
            s.stale.clear();
            s.last_flush = Some(Instant::now());
            s.shared.clone()
        };
        let Some(shared) = shared else {
            return Ok(());
        };
        // The shared part is encoded once and its bytes shared by every member's frame;
        // each member's own fields end it.
        let opening = Delivery::opening(Kind::ThreadUpdated, &common_json(&shared)?);
        for (user, p) in out {
            let item = Delivery::continued(
                &opening,
                Kind::ThreadUpdated,
                Some(thread),
                &personal_json(&p)?,
            )
            .shared();
            rt.handed(&item, rt.registry.deliver_to_user(user, &item));
        }
        Ok(())
    }

    #[cfg(test)]
    fn unread(&self, thread: Uuid, user: Uuid) -> Option<i64> {
        let threads = self.threads.lock().expect("summaries lock");
        threads.get(&thread)?.people.get(&user).map(|p| p.unread)
    }
}

/// The spacing of one thread's updates, by how many of its members are connected.
fn spacing(online: usize) -> Duration {
    let steps = (online / MEMBERS_PER_STEP).max(1) as u32;
    (FLUSH_EVERY * steps).min(FLUSH_MAX)
}

/// Forgets the threads with nothing pending that have been quiet longest.
fn forget_quiet(threads: &mut HashMap<Uuid, Summary>) {
    let now = Instant::now();
    threads.retain(|_, s| {
        s.pending()
            || s.touched
                .is_some_and(|at| now.duration_since(at) < FORGET_AFTER)
    });
    if threads.len() >= FOLLOWED_THREADS {
        threads.retain(|_, s| s.pending());
    }
}

#[cfg(test)]
mod tests;
