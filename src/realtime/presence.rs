//! Who is online: a user is online while they have an open stream (or sent a presence
//! heartbeat in the last minute), and "last seen" otherwise.
//!
//! Each instance knows its own streams. A user whose last stream closes stays online for
//! a short grace period, so a reconnect or a page change does not flicker them offline.
//! With Redis, every instance also records its online users in a sorted set per user
//! (`confab:online:{user}`, member = instance, score = expiry, refreshed periodically), so
//! a user is online if any live instance says so, and only the transition seen by all
//! instances together is announced. An instance that dies stops refreshing and its
//! entries expire within [`SHARED_TTL`] (without an OFFLINE announcement).

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use redis::{AsyncCommands, aio::ConnectionManager};
use uuid::Uuid;

/// How long a user stays online after their last stream closed.
pub const GRACE: Duration = Duration::from_secs(5);
/// How long a presence heartbeat (`POST /api/chat/presence`) counts.
pub const HEARTBEAT_VALID: Duration = Duration::from_secs(60);
const SHARED_TTL: Duration = Duration::from_secs(90);
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Entry {
    /// When the user's last local stream closed (`None` while they have one).
    left_at: Option<Instant>,
    heartbeat_until: Option<Instant>,
}

pub struct Presence {
    local: Mutex<HashMap<Uuid, Entry>>,
    shared: Option<(ConnectionManager, Uuid)>,
}

fn key(user: Uuid) -> String {
    format!("confab:online:{user}")
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Presence {
    pub fn new(shared: Option<(ConnectionManager, Uuid)>) -> Self {
        Self {
            local: Mutex::default(),
            shared,
        }
    }

    /// The user opened a stream here; true if they just came online here.
    pub fn arrived(&self, user: Uuid) -> bool {
        let mut local = self.local.lock().expect("presence lock");
        match local.get_mut(&user) {
            Some(entry) => {
                entry.left_at = None;
                false
            }
            None => {
                local.insert(user, Entry::default());
                true
            }
        }
    }

    /// The user's last stream here closed.
    pub fn departed(&self, user: Uuid) {
        if let Some(entry) = self.local.lock().expect("presence lock").get_mut(&user) {
            entry.left_at = Some(Instant::now());
        }
    }

    /// A presence heartbeat (`online` false ends it); true if they just came online here.
    pub fn heartbeat(&self, user: Uuid, online: bool, connected: bool) -> bool {
        let mut local = self.local.lock().expect("presence lock");
        let now = Instant::now();
        if !online {
            if let Some(entry) = local.get_mut(&user) {
                entry.heartbeat_until = None;
                if !connected && entry.left_at.is_none() {
                    entry.left_at = Some(now - GRACE);
                }
            }
            return false;
        }
        let fresh = !local.contains_key(&user);
        let entry = local.entry(user).or_default();
        entry.heartbeat_until = Some(now + HEARTBEAT_VALID);
        if !connected && entry.left_at.is_none() {
            entry.left_at = Some(now);
        }
        fresh
    }

    /// The users whose grace period and heartbeat are over and who have no stream here
    /// (`connected` says who does): they are offline here now.
    pub fn sweep(&self, connected: impl Fn(Uuid) -> bool) -> Vec<Uuid> {
        let now = Instant::now();
        let mut local = self.local.lock().expect("presence lock");
        let gone: Vec<Uuid> = local
            .iter()
            .filter(|(user, e)| {
                e.left_at.is_some_and(|t| now.duration_since(t) >= GRACE)
                    && e.heartbeat_until.is_none_or(|t| t <= now)
                    && !connected(**user)
            })
            .map(|(user, _)| *user)
            .collect();
        for user in &gone {
            local.remove(user);
        }
        gone
    }

    fn local_online(&self) -> Vec<Uuid> {
        self.local
            .lock()
            .expect("presence lock")
            .keys()
            .copied()
            .collect()
    }

    /// Records a local arrival in the shared set; true if nobody else had the user online.
    pub async fn share_arrival(&self, user: Uuid) -> bool {
        let Some((conn, instance)) = &self.shared else {
            return true;
        };
        let mut conn = conn.clone();
        let now = unix_now();
        let others: usize = conn.zcount(key(user), now, "+inf").await.unwrap_or(0);
        let _: redis::RedisResult<usize> = conn
            .zadd(
                key(user),
                instance.to_string(),
                now + SHARED_TTL.as_secs_f64(),
            )
            .await;
        others == 0
    }

    /// Records a local departure in the shared set; true if nobody has the user online now.
    pub async fn share_departure(&self, user: Uuid) -> bool {
        let Some((conn, instance)) = &self.shared else {
            return true;
        };
        let mut conn = conn.clone();
        let _: redis::RedisResult<usize> = conn.zrem(key(user), instance.to_string()).await;
        let left: usize = conn
            .zcount(key(user), unix_now(), "+inf")
            .await
            .unwrap_or(0);
        left == 0
    }

    /// Keeps this instance's entries in the shared set alive.
    pub async fn refresh_shared(&self) {
        let Some((conn, instance)) = &self.shared else {
            return;
        };
        let users = self.local_online();
        if users.is_empty() {
            return;
        }
        let expiry = unix_now() + SHARED_TTL.as_secs_f64();
        let mut pipe = redis::pipe();
        for user in users {
            pipe.zadd(key(user), instance.to_string(), expiry).ignore();
            pipe.expire(key(user), SHARED_TTL.as_secs() as i64 * 2)
                .ignore();
        }
        let mut conn = conn.clone();
        if let Err(err) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(%err, "refreshing presence in Redis failed");
        }
    }

    /// Which of `users` are online (here or, with Redis, anywhere).
    pub async fn online_among(&self, users: &[Uuid]) -> HashSet<Uuid> {
        let mut online: HashSet<Uuid> = {
            let local = self.local.lock().expect("presence lock");
            users
                .iter()
                .filter(|u| local.contains_key(u))
                .copied()
                .collect()
        };
        if let Some((conn, _)) = &self.shared {
            let rest: Vec<Uuid> = users
                .iter()
                .filter(|u| !online.contains(u))
                .copied()
                .collect();
            if !rest.is_empty() {
                let now = unix_now();
                let mut pipe = redis::pipe();
                for user in &rest {
                    pipe.zcount(key(*user), now, "+inf");
                }
                let mut conn = conn.clone();
                match pipe.query_async::<Vec<usize>>(&mut conn).await {
                    Ok(counts) => online.extend(
                        rest.iter()
                            .zip(counts)
                            .filter(|(_, n)| *n > 0)
                            .map(|(u, _)| *u),
                    ),
                    Err(err) => tracing::warn!(%err, "reading presence from Redis failed"),
                }
            }
        }
        online
    }
}
