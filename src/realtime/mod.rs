//! Live delivery: reads the event log ([`crate::eventlog`]) and hands each event to the
//! open streams of the users who may see it. It never writes events of its own kind of
//! change; what it needs from the chat domain (members, a thread as one member sees it,
//! delivery receipts) it asks `chat` for.
//!
//! ```text
//! change + event rows ──commit──► ring ──► tailer ──► registry ──► stream queues ──► SSE
//!        (one txn)               (bus)    (log order,  (per user,   (bounded; a full
//!                                          members at   credentials) queue drops the
//!                                          delivery)                 stream)
//! ```
//!
//! - [`bus`]: the doorbell (in-process, or Redis across instances) and the ephemeral
//!   channel for typing and presence.
//! - `tailer`: one per instance; reads the log in order and routes each event (`route`)
//!   to the streams of the users who may see it at delivery time (`members`).
//! - [`registry`]: this instance's open streams, per user, with bounded queues.
//! - [`stream`]: one stream: replay after a resume, then live, each event once.
//! - `summaries`: each connected member's `thread.updated` (last message, unread count)
//!   kept current after messages and reads, without a query per message.
//! - `receipts`: what streams delivered, folded into delivered pointers and events.
//! - [`presence`]: who is online here and across instances; `announce`: telling people.
//! - `typing`: typing notices; `jobs`: the timers that keep it all going.

mod announce;
pub mod bus;
pub mod delivery;
mod jobs;
mod members;
pub mod presence;
mod receipts;
pub mod registry;
mod route;
pub mod stream;
mod summaries;
mod tailer;
mod typing;

pub use announce::{PRESENCE_PUSH_UP_TO, PresenceView};
pub use typing::TYPING_EVERY;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use metrics::{Counter, Gauge, Histogram};
use sea_orm::DatabaseConnection;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use uuid::Uuid;

use self::{
    bus::{Audience, Bus, Ephemeral},
    delivery::Delivery,
    members::Members,
    presence::Presence,
    receipts::Receipts,
    registry::{Departures, Registry, Tie},
    stream::{Guard, Start, Subscription},
    summaries::Summaries,
};
use crate::{
    auth::{self, Credential, token_cache::TokenCache},
    config::Config,
    error::{AppError, Result},
    eventlog::{self, Kind, Position},
};

/// How the realtime part is tuned (from [`Config`]).
#[derive(Clone, Debug)]
pub struct Settings {
    pub heartbeat: Duration,
    /// Events a stream may have waiting before it counts as fallen behind.
    pub queue: usize,
    /// The longest backlog a resuming stream is replayed.
    pub replay_max: u64,
    /// Open streams one user may have here.
    pub streams_per_user: usize,
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
            replay_max: config.replay_max_events,
            // Benchmarks open thousands of streams for few users: lifted with the limits.
            streams_per_user: if config.rate_limits.enabled {
                config.max_streams_per_user
            } else {
                usize::MAX
            },
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
    /// Each connected member's `thread.updated` after messages and reads.
    summaries: Summaries,
    /// Tokens authenticated recently; the tailer drops a user's on changes it reads.
    tokens: Arc<TokenCache>,
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
            summaries: Summaries::default(),
            tokens: Arc::default(),
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

    /// This instance's cache of authenticated tokens (kept current by the tailer).
    pub fn tokens(&self) -> Arc<TokenCache> {
        self.0.tokens.clone()
    }

    /// Open streams on this instance.
    pub fn open_streams(&self) -> u64 {
        self.0.registry.len()
    }

    /// Registers a stream for `user` and decides where it starts: from now, after
    /// `resume` (a `Last-Event-ID`), or with a `reset` when that position is unknown or
    /// older than the log's retention.
    pub async fn subscribe(
        &self,
        user: Uuid,
        credential: Credential,
        expires_at: Option<OffsetDateTime>,
        resume: Option<&str>,
    ) -> Result<Subscription> {
        let rt = &self.0;
        let (tx, rx) = mpsc::channel(rt.settings.queue);
        // Registered first, checked second. Until the check, every revocation delivered
        // applies (one the check would reject anyway); after it, only those logged at or
        // above the head the check read in its snapshot: earlier ones are reflected in
        // the check, so one delivered late cannot close a session that started after it.
        let (id, _) = rt
            .registry
            .add(
                user,
                Tie {
                    credential: credential.clone(),
                    expires_at,
                    revocable_from: Position::START,
                },
                tx,
                rt.settings.streams_per_user,
            )
            .ok_or(AppError::RateLimited {
                retry_after: Duration::from_secs(5),
            })?;
        rt.metrics.open.increment(1.0);
        let guard = Guard {
            rt: self.clone(),
            user,
            id,
        };
        // The credential check and the log's head, in one snapshot. A revocation
        // committed before it is seen here; one committed after it is at or above `head`
        // and reaches this stream through the tailer, so a replay need not (and must not)
        // apply old revocations itself.
        // A token this process authenticated recently needs no query: no change to its
        // user has been seen since, and its entry keeps the head of the snapshot that
        // found it live (see `auth::token_cache`).
        let cached = match credential {
            Credential::Token(id) => rt.tokens.live_head(id, user),
            Credential::Session(_) => None,
        };
        let head = match cached {
            Some(head) => head,
            None => auth::check_at_head(&rt.db, user, &credential)
                .await?
                .ok_or(AppError::Unauthorized)?,
        };
        rt.registry.checked(user, id, head);
        // Online from here (not before the check: a refused stream never shows anyone).
        if rt.presence.arrived(user) {
            let _ = rt.arrivals.0.send(user);
        }
        // Whatever the tailer hands out from here on reaches this stream's queue. A fresh
        // stream starts where the tailer is; a resuming one is checked against the log.
        let tailer_at = *rt.tailer_at.lock().expect("tailer position lock");
        let start = match (resume.map(Position::parse), tailer_at) {
            (None, Some(at)) => Start::Live(at),
            (None, None) => Start::Live(head),
            (Some(Some(p)), _) => {
                if p <= head
                    && !rt.pruned_past(p).await?
                    && !eventlog::backlog_exceeds(&rt.db, p, rt.settings.replay_max).await?
                {
                    Start::Resume(p)
                } else {
                    Start::Reset(head)
                }
            }
            (Some(None), _) => Start::Reset(head),
        };
        Ok(Subscription { guard, rx, start })
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

    /// `item` was handed to the streams in `out`: count them and, for a message, the time
    /// from its write to now, once per event rather than once per stream (a clock read, a
    /// shared counter and a histogram sample per recipient took about an eighth of the
    /// server's CPU in a profile at 600,000 deliveries a second).
    fn handed(&self, item: &Delivery, out: Departures) {
        if out.handed > 0 {
            self.metrics.delivered.increment(out.handed);
            if item.message.is_some()
                && let Some(at) = item.written_at
            {
                let age = OffsetDateTime::now_utc() - at;
                self.metrics.latency.record(age.as_seconds_f64().max(0.0));
            }
        }
        self.settle(out);
    }

    /// A stream wrote `item` for `user`: receipt a new message.
    fn delivered(&self, user: Uuid, item: &Delivery) {
        if let (Some(meta), Some(thread)) = (item.message, item.thread_id)
            && meta.author != user
        {
            self.receipts.record(thread, user, meta.seq);
        }
    }

    /// A stream wrote `item` from its backlog for `user`: count it, and receipt it.
    fn replayed(&self, user: Uuid, item: &Delivery) {
        self.metrics.delivered.increment(1);
        self.delivered(user, item);
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
        self.handed(&item, self.registry.deliver_to_members(&members, &item));
    }
}
