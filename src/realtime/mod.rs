//! Live delivery (DESIGN.md §2, §4).
//!
//! ```text
//! change + event rows ──commit──► ring ──► tailer ──► registry ──► stream queues ──► SSE
//!        (one txn)               (bus)    (log order,  (per user,   (bounded; a full
//!                                          members at   credentials) queue drops the
//!                                          delivery)                 stream)
//! ```
//!
//! - [`log`]: the event log, written in the change's transaction; commit-order-safe
//!   positions.
//! - [`bus`]: the doorbell (in-process, or Redis across instances) and the ephemeral
//!   channel for typing and presence.
//! - `tailer`: one per instance; reads the log in order and routes each event (`route`)
//!   to the streams of the users who may see it at delivery time (`members`).
//! - [`registry`]: this instance's open streams, per user, with bounded queues.
//! - [`stream`]: one stream: replay after a resume, then live, each event once.
//! - `receipts`: what streams delivered, folded into delivered pointers and events.
//! - [`presence`]: online / last seen.

pub mod bus;
pub mod delivery;
mod members;
pub mod presence;
mod receipts;
pub mod registry;
mod route;
pub mod stream;
mod tailer;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use metrics::{Counter, Gauge, Histogram};
use sea_orm::{DatabaseConnection, FromQueryResult};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use self::{
    bus::{Audience, Bus, Ephemeral},
    delivery::Delivery,
    members::Members,
    presence::Presence,
    receipts::Receipts,
    registry::{Departures, Registry},
    stream::{Guard, Start, Subscription},
};
use crate::{
    accounts::{Status, User},
    auth::Credential,
    chat,
    config::Config,
    db::stmt,
    error::Result,
    eventlog::{self, Kind, Position},
};

/// At most one typing notice per user and thread in this interval.
pub const TYPING_EVERY: Duration = Duration::from_secs(2);
/// Presence changes are pushed to people who share a direct conversation or a group up to
/// this size with the user; larger rooms ask (`GET /api/chat/presence`) instead of being
/// told about everyone all the time.
pub const PRESENCE_PUSH_UP_TO: i32 = 100;

/// How the realtime part is tuned (from [`Config`]).
#[derive(Clone, Debug)]
pub struct Settings {
    pub heartbeat: Duration,
    /// Events a stream may have waiting before it counts as fallen behind.
    pub queue: usize,
    /// How often the tailer looks at the log without a doorbell.
    pub poll: Duration,
    /// How long events are kept for resuming streams.
    pub retention: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            heartbeat: config.heartbeat,
            queue: config.stream_queue,
            poll: config.event_poll,
            retention: config.event_retention,
        }
    }
}

struct Metrics {
    open: Gauge,
    delivered: Counter,
    dropped: Counter,
    latency: Histogram,
}

/// The realtime hub of one instance; cheap to clone.
#[derive(Clone)]
pub struct Realtime(Arc<Inner>);

pub(crate) struct Inner {
    db: DatabaseConnection,
    settings: Settings,
    bus: Arc<Bus>,
    registry: Registry,
    members: Members,
    receipts: Receipts,
    presence: Presence,
    typing: Mutex<HashMap<(Uuid, Uuid), Instant>>,
    /// The position of the last event the tailer handed out (`None` before it started).
    tailer_at: Mutex<Option<Position>>,
    /// Users who came online here, for the presence worker to announce.
    arrivals: (
        mpsc::UnboundedSender<Uuid>,
        Mutex<Option<mpsc::UnboundedReceiver<Uuid>>>,
    ),
    ephemeral: (
        mpsc::Sender<Ephemeral>,
        Mutex<Option<mpsc::Receiver<Ephemeral>>>,
    ),
    metrics: Metrics,
}

/// A user's presence (`presence` events and `GET /api/chat/presence`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresenceView {
    pub user_id: Uuid,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
}

impl Realtime {
    pub async fn new(db: DatabaseConnection, config: &Config) -> anyhow::Result<Self> {
        let namespace = crate::db::database_name(config.database_url.expose())
            .unwrap_or_else(|| "confab".into());
        let redis_url = config.redis_url.as_ref().map(|s| s.expose());
        let bus = Arc::new(Bus::connect(redis_url, &namespace).await?);
        let (tx, rx) = mpsc::channel(4096);
        let (arrived_tx, arrived_rx) = mpsc::unbounded_channel();
        Ok(Self(Arc::new(Inner {
            tailer_at: Mutex::new(None),
            arrivals: (arrived_tx, Mutex::new(Some(arrived_rx))),
            presence: Presence::new(bus.redis()),
            db,
            settings: Settings::from_config(config),
            bus,
            registry: Registry::default(),
            members: Members::default(),
            receipts: Receipts::default(),
            typing: Mutex::default(),
            ephemeral: (tx, Mutex::new(Some(rx))),
            metrics: Metrics {
                open: metrics::gauge!("sse_open_streams"),
                delivered: metrics::counter!("sse_events_delivered_total"),
                dropped: metrics::counter!("sse_queue_drops_total"),
                latency: metrics::histogram!("sse_send_to_deliver_seconds"),
            },
        })))
    }

    /// Something was committed to the log: wake the tailers now.
    pub fn ring(&self) {
        self.0.bus.ring();
    }

    /// Open streams on this instance.
    pub fn open_streams(&self) -> u64 {
        self.0.registry.len()
    }

    /// Starts the background work (tailer, heartbeat, receipts, presence, pruning); it
    /// all ends, and every stream closes, when `stop` is cancelled.
    pub fn spawn(&self, stop: CancellationToken) {
        tokio::spawn(tailer::supervise(self.0.clone(), stop.clone()));
        self.every(&stop, self.0.settings.heartbeat, |rt| async move {
            rt.settle(rt.registry.heartbeat());
        });
        self.every(&stop, receipts::FLUSH_EVERY, |rt| async move {
            match rt.receipts.flush(&rt.db).await {
                Ok(true) => rt.bus.ring(),
                Ok(false) => {}
                Err(err) => tracing::warn!(%err, "recording delivery receipts failed"),
            }
        });
        self.every(&stop, Duration::from_secs(1), |rt| async move {
            rt.sweep().await;
        });
        self.every(&stop, presence::REFRESH_EVERY, |rt| async move {
            rt.presence.refresh_shared().await;
        });
        let prune_every = (self.0.settings.retention / 4)
            .clamp(Duration::from_millis(200), Duration::from_secs(600));
        self.every(&stop, prune_every, |rt| async move {
            rt.prune().await;
        });
        if let Some(mut rx) = self.0.arrivals.1.lock().expect("arrivals lock").take() {
            // One at a time: a thousand clients connecting at once should not take the
            // whole connection pool to announce themselves.
            let rt = self.0.clone();
            tokio::spawn(async move {
                while let Some(user) = rx.recv().await {
                    if rt.presence.share_arrival(user).await {
                        rt.announce_presence(user, true).await;
                    }
                }
            });
        }
        if let Some(rx) = self.0.ephemeral.1.lock().expect("ephemeral lock").take() {
            let rt = self.0.clone();
            tokio::spawn(async move {
                let mut rx = rx;
                while let Some(message) = rx.recv().await {
                    rt.deliver_ephemeral(&message).await;
                }
            });
        }
        let bus = self.0.bus.clone();
        let tx = self.0.ephemeral.0.clone();
        tokio::spawn(bus.run(tx, stop.clone()));
        let rt = self.0.clone();
        tokio::spawn(async move {
            stop.cancelled().await;
            rt.registry.close_all();
        });
    }

    fn every<F, Fut>(&self, stop: &CancellationToken, period: Duration, job: F)
    where
        F: Fn(Arc<Inner>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let rt = self.0.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => job(rt.clone()).await,
                    () = stop.cancelled() => break,
                }
            }
        });
    }

    /// Registers a stream for `user` and decides where it starts: from now, after
    /// `resume` (a `Last-Event-ID`), or with a `reset` when that position is unknown or
    /// older than the log's retention.
    pub async fn subscribe(
        &self,
        user: Uuid,
        credential: Credential,
        resume: Option<&str>,
    ) -> Result<Subscription> {
        let rt = &self.0;
        let (tx, rx) = mpsc::channel(rt.settings.queue);
        let (id, first) = rt.registry.add(user, credential.clone(), tx);
        rt.metrics.open.increment(1.0);
        let guard = Guard {
            rt: self.clone(),
            user,
            id,
        };
        if first && rt.presence.arrived(user) {
            let _ = rt.arrivals.0.send(user);
        }
        // Only now, after registering: whatever the tailer hands out from here on reaches
        // this stream's queue. A fresh stream starts where the tailer is; a resuming one
        // is checked against the log.
        let tailer_at = *rt.tailer_at.lock().expect("tailer position lock");
        let start = match (resume.map(Position::parse), tailer_at) {
            (None, Some(at)) => Start::Live(at),
            (None, None) => Start::Live(eventlog::head(&rt.db).await?),
            (Some(Some(p)), _) => {
                let head = eventlog::head(&rt.db).await?;
                if p <= head && !rt.pruned_past(p).await? {
                    Start::Resume(p)
                } else {
                    Start::Reset(head)
                }
            }
            (Some(None), _) => Start::Reset(eventlog::head(&rt.db).await?),
        };
        Ok(Subscription {
            guard,
            rx,
            start,
            credential,
        })
    }

    /// Tells the thread's other members that `user` is typing (at most every
    /// [`TYPING_EVERY`]); "not found" for non-members.
    pub async fn typing(&self, user: &User, thread: Uuid) -> Result<()> {
        let rt = &self.0;
        chat::threads::membership(&rt.db, thread, user.id).await?;
        {
            let mut typing = rt.typing.lock().expect("typing lock");
            let now = Instant::now();
            match typing.get(&(user.id, thread)) {
                Some(at) if now.duration_since(*at) < TYPING_EVERY => return Ok(()),
                _ => typing.insert((user.id, thread), now),
            };
        }
        let message = Ephemeral {
            topic: Kind::Typing.as_str().into(),
            audience: Audience::Thread { thread },
            subject: user.id,
            data: serde_json::json!({
                "threadId": thread, "userId": user.id, "name": user.display_name,
            })
            .to_string(),
        };
        rt.deliver_ephemeral(&message).await;
        rt.bus.publish(&message).await;
        Ok(())
    }

    /// A presence heartbeat from a client without a stream (`online` false ends it).
    pub async fn heartbeat(&self, user: Uuid, online: bool) {
        let rt = &self.0;
        let connected = rt.registry.is_connected(user);
        if rt.presence.heartbeat(user, online, connected) && rt.presence.share_arrival(user).await {
            rt.announce_presence(user, true).await;
        }
    }

    /// The presence of each of `users`.
    pub async fn presence_of(&self, users: &[User]) -> Vec<PresenceView> {
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        let online = self.0.presence.online_among(&ids).await;
        users
            .iter()
            .map(|u| PresenceView {
                user_id: u.id,
                status: Status::online(online.contains(&u.id)),
                last_seen: u.last_seen_at,
            })
            .collect()
    }

    /// Which of `users` are online.
    pub async fn online_among(&self, users: &[Uuid]) -> std::collections::HashSet<Uuid> {
        self.0.presence.online_among(users).await
    }

    /// The people whose presence `user` is told about.
    pub async fn presence_audience(&self, user: Uuid) -> Result<Vec<Uuid>> {
        self.0.presence_audience(user).await
    }
}

impl Inner {
    /// Deals with what a registry change reported: streams dropped for lagging, users
    /// with no stream left here.
    fn settle(&self, out: Departures) {
        if out.lagged > 0 {
            self.metrics.dropped.increment(out.lagged);
        }
        for user in out.gone {
            self.presence.departed(user);
        }
    }

    fn stream_ended(&self, user: Uuid, id: u64) {
        self.metrics.open.decrement(1.0);
        if self.registry.remove(user, id) {
            self.presence.departed(user);
        }
    }

    /// A stream sent `item` to `user`: count it, and receipt a new message.
    fn delivered(&self, user: Uuid, item: &Delivery) {
        if item.kind == Kind::Heartbeat {
            return;
        }
        self.metrics.delivered.increment(1);
        if let (Some(meta), Some(thread)) = (item.message, item.thread_id)
            && meta.author != user
        {
            self.receipts.record(thread, user, meta.seq);
            if let Some(at) = item.written_at {
                let age = OffsetDateTime::now_utc() - at;
                self.metrics.latency.record(age.as_seconds_f64().max(0.0));
            }
        }
    }

    async fn pruned_past(&self, p: Position) -> Result<bool> {
        Ok(eventlog::pruned_upto(&self.db)
            .await?
            .is_some_and(|q| p < q))
    }

    async fn deliver_ephemeral(&self, message: &Ephemeral) {
        let kind = match Kind::parse(&message.topic) {
            Some(kind @ (Kind::Typing | Kind::Presence)) => kind,
            _ => return,
        };
        let (thread, members) = match &message.audience {
            Audience::Thread { thread } => match self.members.of(&self.db, *thread).await {
                Ok(members) => (Some(*thread), members),
                Err(err) => {
                    tracing::warn!(%err, "loading members for an ephemeral event failed");
                    return;
                }
            },
            Audience::Users { users } => (None, Arc::new(users.iter().copied().collect())),
        };
        let item = Delivery::new(None, kind, thread, &message.data)
            .about(message.subject)
            .shared();
        self.settle(self.registry.deliver_to_members(&members, &item));
    }

    async fn presence_audience(&self, user: Uuid) -> Result<Vec<Uuid>> {
        #[derive(FromQueryResult)]
        struct Row {
            user_id: Uuid,
        }
        Ok(Row::find_by_statement(stmt(
            // The small threads first, whatever the statistics say: planned the other way
            // round, every arrival reads all members of every big group the user is in.
            "WITH small AS MATERIALIZED (
               SELECT p.thread_id FROM thread_participants p
               JOIN threads t ON t.id = p.thread_id AND t.kind <> 'open' AND t.member_count <= $2
               WHERE p.user_id = $1 AND p.left_at IS NULL)
             SELECT DISTINCT q.user_id FROM small
             JOIN thread_participants q ON q.thread_id = small.thread_id AND q.left_at IS NULL
               AND q.user_id <> $1",
            [user.into(), PRESENCE_PUSH_UP_TO.into()],
        ))
        .all(&self.db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect())
    }

    /// Tells the user's audience they came online, or went offline (and records when they
    /// were last seen: a write only when leaving, so a crowd connecting writes nothing).
    async fn announce_presence(&self, user: Uuid, online: bool) {
        #[derive(FromQueryResult)]
        struct Seen {
            last_seen_at: Option<OffsetDateTime>,
        }
        let seen = if online {
            Some(OffsetDateTime::now_utc())
        } else {
            let seen = Seen::find_by_statement(stmt(
                "UPDATE users SET last_seen_at = now() WHERE id = $1 RETURNING last_seen_at",
                [user.into()],
            ))
            .one(&self.db)
            .await;
            match seen {
                Ok(seen) => seen.and_then(|s| s.last_seen_at),
                Err(err) => {
                    tracing::warn!(%err, "recording last seen failed");
                    return;
                }
            }
        };
        let audience = match self.presence_audience(user).await {
            Ok(audience) => audience,
            Err(err) => {
                tracing::warn!(%err, "finding who to tell about presence failed");
                return;
            }
        };
        let view = PresenceView {
            user_id: user,
            status: Status::online(online),
            last_seen: seen,
        };
        let Ok(data) = serde_json::to_string(&view) else {
            return;
        };
        let message = Ephemeral {
            topic: Kind::Presence.as_str().into(),
            audience: Audience::Users { users: audience },
            subject: user,
            data,
        };
        self.deliver_ephemeral(&message).await;
        self.bus.publish(&message).await;
    }

    /// Once a second: users whose grace period ended go offline; old typing marks go.
    async fn sweep(&self) {
        let gone = self.presence.sweep(|u| self.registry.is_connected(u));
        for user in gone {
            if self.presence.share_departure(user).await {
                self.announce_presence(user, false).await;
            }
        }
        let now = Instant::now();
        self.typing
            .lock()
            .expect("typing lock")
            .retain(|_, at| now.duration_since(*at) < TYPING_EVERY);
    }

    async fn prune(&self) {
        let before = OffsetDateTime::now_utc() - self.settings.retention;
        const AT_ONCE: u64 = 5_000;
        loop {
            match eventlog::prune(&self.db, before, AT_ONCE).await {
                Ok(AT_ONCE) => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(%err, "pruning the event log failed");
                    break;
                }
            }
        }
    }
}
