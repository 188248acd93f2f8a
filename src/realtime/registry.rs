//! The per-user registry of this instance's open streams.
//!
//! Each stream owns a bounded queue. Handing it an event never waits: when the queue is
//! full the stream is dropped from the registry (its client fell too far behind; it
//! drains what it has, ends, and resumes from its last id) instead of growing memory.
//! Removing a stream's sender is also how streams are closed on purpose (credentials
//! revoked, shutdown): the stream finishes what is queued and ends.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use tokio::sync::mpsc;
use uuid::Uuid;

use time::OffsetDateTime;

use super::delivery::{HEARTBEAT, Item};
use crate::{
    auth::Credential,
    eventlog::{Position, Revocation},
};

/// What a stream is tied to: ending it ends the stream.
pub struct Tie {
    pub credential: Credential,
    /// When the credential lapses by itself (a session's idle expiry); the stream closes
    /// at the first heartbeat after it.
    pub expires_at: Option<OffsetDateTime>,
    /// Revocations logged at or after this position apply to the stream; earlier ones
    /// were already checked when it opened.
    pub revocable_from: Position,
}

struct Subscriber {
    id: u64,
    tie: Tie,
    tx: mpsc::Sender<Item>,
}

/// Why a registry change matters to the caller (presence tracks users coming and going).
#[derive(Debug, Default)]
pub struct Departures {
    /// Users who have no stream left on this instance.
    pub gone: Vec<Uuid>,
    /// Streams dropped because their queue was full.
    pub lagged: u64,
    /// Streams handed the event.
    pub handed: u64,
}

/// Each user's streams. Looked up once per recipient of every event: a fast hasher (user
/// ids are made by the server, not picked by whoever connects).
type Streams = HashMap<Uuid, Vec<Subscriber>, foldhash::fast::RandomState>;

#[derive(Default)]
pub struct Registry {
    users: Mutex<Streams>,
    next_id: AtomicU64,
    streams: AtomicU64,
}

impl Registry {
    /// Adds a stream unless the user already has `most` here; returns its id and whether
    /// it is the user's first on this instance.
    pub fn add(
        &self,
        user: Uuid,
        tie: Tie,
        tx: mpsc::Sender<Item>,
        most: usize,
    ) -> Option<(u64, bool)> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut users = self.users.lock().expect("registry lock");
        let list = users.entry(user).or_default();
        if list.len() >= most {
            return None;
        }
        list.push(Subscriber { id, tie, tx });
        self.streams.fetch_add(1, Ordering::Relaxed);
        Some((id, list.len() == 1))
    }

    /// The stream's credential was checked in a snapshot whose log head was `head`:
    /// from now on only revocations logged at or after it apply.
    pub fn checked(&self, user: Uuid, id: u64, head: Position) {
        let mut users = self.users.lock().expect("registry lock");
        if let Some(s) = users
            .get_mut(&user)
            .and_then(|list| list.iter_mut().find(|s| s.id == id))
        {
            s.tie.revocable_from = head;
        }
    }

    /// Removes one stream (it ended); returns whether the user has none left here.
    pub fn remove(&self, user: Uuid, id: u64) -> bool {
        let mut users = self.users.lock().expect("registry lock");
        let Some(list) = users.get_mut(&user) else {
            return false;
        };
        let before = list.len();
        list.retain(|s| s.id != id);
        self.streams
            .fetch_sub((before - list.len()) as u64, Ordering::Relaxed);
        if list.is_empty() {
            users.remove(&user);
            true
        } else {
            false
        }
    }

    /// Open streams on this instance.
    pub fn len(&self) -> u64 {
        self.streams.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_connected(&self, user: Uuid) -> bool {
        self.users
            .lock()
            .expect("registry lock")
            .contains_key(&user)
    }

    /// The users with a stream here among `candidates`.
    pub fn connected_among(&self, candidates: &HashSet<Uuid>) -> Vec<Uuid> {
        let users = self.users.lock().expect("registry lock");
        if users.len() < candidates.len() {
            users
                .keys()
                .filter(|u| candidates.contains(u))
                .copied()
                .collect()
        } else {
            candidates
                .iter()
                .filter(|u| users.contains_key(u))
                .copied()
                .collect()
        }
    }

    /// Hands `item` to every stream of the `members` (but `item.subject`).
    pub fn deliver_to_members(&self, members: &HashSet<Uuid>, item: &Item) -> Departures {
        let mut users = self.users.lock().expect("registry lock");
        let mut out = Departures::default();
        // Walk whichever side is smaller: a big room with few people online, or many
        // people online and a small thread.
        let targets: Vec<Uuid> = if users.len() < members.len() {
            users
                .keys()
                .filter(|u| members.contains(u))
                .copied()
                .collect()
        } else {
            members
                .iter()
                .filter(|u| users.contains_key(u))
                .copied()
                .collect()
        };
        for user in targets {
            if Some(user) == item.subject {
                continue;
            }
            self.offer(&mut users, user, item, &mut out);
        }
        out
    }

    /// Hands `item` to every stream of one user.
    pub fn deliver_to_user(&self, user: Uuid, item: &Item) -> Departures {
        let mut users = self.users.lock().expect("registry lock");
        let mut out = Departures::default();
        self.offer(&mut users, user, item, &mut out);
        out
    }

    fn offer(&self, users: &mut Streams, user: Uuid, item: &Item, out: &mut Departures) {
        let Some(list) = users.get_mut(&user) else {
            return;
        };
        let before = list.len();
        list.retain(|s| match s.tx.try_send(item.clone()) {
            Ok(()) => {
                out.handed += 1;
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                out.lagged += 1;
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        self.streams
            .fetch_sub((before - list.len()) as u64, Ordering::Relaxed);
        if list.is_empty() {
            users.remove(&user);
            out.gone.push(user);
        }
    }

    /// Closes the user's streams whose credential `which` covers.
    pub fn revoke(&self, user: Uuid, which: &Revocation, logged_at: Position) -> Departures {
        let mut users = self.users.lock().expect("registry lock");
        let mut out = Departures::default();
        if let Some(list) = users.get_mut(&user) {
            let before = list.len();
            list.retain(|s| {
                s.tie.revocable_from > logged_at || !s.tie.credential.is_revoked_by(which)
            });
            self.streams
                .fetch_sub((before - list.len()) as u64, Ordering::Relaxed);
            if list.is_empty() {
                users.remove(&user);
                out.gone.push(user);
            }
        }
        out
    }

    /// Sends the heartbeat comment to every stream; drops the ones that cannot take it.
    pub fn heartbeat(&self) -> Departures {
        let mut users = self.users.lock().expect("registry lock");
        let mut out = Departures::default();
        let now = OffsetDateTime::now_utc();
        let all: Vec<Uuid> = users.keys().copied().collect();
        for user in all {
            if let Some(list) = users.get_mut(&user) {
                let before = list.len();
                list.retain(|s| s.tie.expires_at.is_none_or(|at| at > now));
                self.streams
                    .fetch_sub((before - list.len()) as u64, Ordering::Relaxed);
                if list.is_empty() {
                    users.remove(&user);
                    out.gone.push(user);
                    continue;
                }
            }
            self.offer(&mut users, user, &HEARTBEAT, &mut out);
        }
        out
    }

    /// Closes every stream (shutdown).
    pub fn close_all(&self) {
        self.users.lock().expect("registry lock").clear();
        self.streams.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{eventlog::Kind, realtime::delivery::Delivery};

    fn tie(credential: Credential, from: i64) -> Tie {
        Tie {
            credential,
            expires_at: None,
            revocable_from: Position { xid: 10, id: from },
        }
    }

    fn item() -> Item {
        Delivery::new(None, Kind::Typing, None, "{}").shared()
    }

    #[test]
    fn a_full_queue_drops_the_stream_instead_of_waiting() {
        let registry = Registry::default();
        let user = Uuid::new_v4();
        let (tx, mut rx) = mpsc::channel(2);
        registry.add(user, tie(Credential::Token(Uuid::nil()), 0), tx, 8);
        let members: HashSet<Uuid> = [user].into();
        for _ in 0..2 {
            assert_eq!(registry.deliver_to_members(&members, &item()).lagged, 0);
        }
        let out = registry.deliver_to_members(&members, &item());
        assert_eq!(out.lagged, 1);
        assert_eq!(out.gone, vec![user]);
        assert_eq!(registry.len(), 0);
        // The stream still drains what it had, then ends.
        assert!(rx.try_recv().is_ok());
        assert!(rx.try_recv().is_ok());
        assert!(matches!(
            rx.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    }

    #[test]
    fn revoking_a_session_closes_only_its_streams() {
        let registry = Registry::default();
        let user = Uuid::new_v4();
        let (a, _ra) = mpsc::channel(4);
        let (b, _rb) = mpsc::channel(4);
        registry.add(user, tie(Credential::Session("s1".into()), 0), a, 8);
        registry.add(user, tie(Credential::Session("s2".into()), 0), b, 8);
        let at = Position { xid: 10, id: 5 };
        registry.revoke(user, &Revocation::Session("s1".into()), at);
        assert_eq!(registry.len(), 1);
        let out = registry.revoke(user, &Revocation::SessionsExcept(None), at);
        assert_eq!(out.gone, vec![user]);
        assert!(!registry.is_connected(user));
    }

    #[test]
    fn a_revocation_logged_before_a_stream_was_checked_leaves_it_open() {
        let registry = Registry::default();
        let user = Uuid::new_v4();
        let (tx, _rx) = mpsc::channel(4);
        registry.add(user, tie(Credential::Session("new".into()), 7), tx, 8);
        let earlier = Position { xid: 10, id: 6 };
        registry.revoke(
            user,
            &Revocation::SessionsExcept(Some("old".into())),
            earlier,
        );
        assert_eq!(
            registry.len(),
            1,
            "an older revocation is not this session's"
        );
        let later = Position { xid: 10, id: 7 };
        registry.revoke(user, &Revocation::All, later);
        assert_eq!(registry.len(), 0);
    }

    #[test]
    fn the_subject_of_an_event_does_not_get_it() {
        let registry = Registry::default();
        let (me, other) = (Uuid::new_v4(), Uuid::new_v4());
        let (tx1, mut rx1) = mpsc::channel(4);
        let (tx2, mut rx2) = mpsc::channel(4);
        registry.add(me, tie(Credential::Token(Uuid::nil()), 0), tx1, 8);
        registry.add(other, tie(Credential::Token(Uuid::nil()), 0), tx2, 8);
        let typing = Delivery::new(None, Kind::Typing, None, "{}")
            .about(me)
            .shared();
        registry.deliver_to_members(&[me, other].into(), &typing);
        assert!(rx1.try_recv().is_err());
        assert!(rx2.try_recv().is_ok());
    }
}
