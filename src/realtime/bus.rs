//! The doorbell and the ephemeral channel.
//!
//! The doorbell carries no content: ringing it only tells the tailers to read the log now
//! rather than at their next timer tick, so a lost ring costs a little latency, never an
//! event. In-process it is a [`Notify`]; with `REDIS_URL` every ring is also published (at
//! most one publish in flight; rings meanwhile are folded into the next) so the other
//! instances' tailers wake too.
//!
//! Typing and presence are never stored: they travel as [`Ephemeral`] messages, delivered
//! locally at once and, with Redis, published for the other instances.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use redis::{AsyncCommands, aio::ConnectionManager};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Who an ephemeral message is for.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "to")]
pub enum Audience {
    /// The thread's members.
    Thread { thread: Uuid },
    /// These users.
    Users { users: Vec<Uuid> },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ephemeral {
    /// `typing` or `presence`.
    pub topic: String,
    pub audience: Audience,
    /// Who it is about (they do not get it).
    pub subject: Uuid,
    /// The event's JSON.
    pub data: String,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    origin: Uuid,
    #[serde(flatten)]
    message: Ephemeral,
}

pub struct Bus {
    doorbell: Arc<Notify>,
    redis: Option<RedisBus>,
}

struct RedisBus {
    /// Channel names, prefixed with the database's name so that deployments (or test
    /// servers) sharing one Redis do not hear each other.
    doorbell: String,
    ephemeral: String,
    conn: ConnectionManager,
    client: redis::Client,
    instance: Uuid,
    pending: AtomicBool,
    wake: Notify,
}

impl Bus {
    /// An in-process bus, or one shared through Redis when `redis_url` is set; `namespace`
    /// (the database's name) keeps separate deployments on one Redis apart.
    pub async fn connect(redis_url: Option<&str>, namespace: &str) -> anyhow::Result<Self> {
        let redis = match redis_url {
            None => None,
            Some(url) => {
                let client = redis::Client::open(url)?;
                let conn = client.get_connection_manager().await?;
                Some(RedisBus {
                    doorbell: format!("confab:{namespace}:doorbell"),
                    ephemeral: format!("confab:{namespace}:ephemeral"),
                    conn,
                    client,
                    instance: Uuid::new_v4(),
                    pending: AtomicBool::new(false),
                    wake: Notify::new(),
                })
            }
        };
        Ok(Self {
            doorbell: Arc::new(Notify::new()),
            redis,
        })
    }

    pub fn is_shared(&self) -> bool {
        self.redis.is_some()
    }

    /// The tailer waits on this.
    pub fn doorbell(&self) -> &Notify {
        &self.doorbell
    }

    /// Something was committed to the log: wake the tailers (here and elsewhere).
    pub fn ring(&self) {
        self.doorbell.notify_one();
        if let Some(redis) = &self.redis
            && !redis.pending.swap(true, Ordering::AcqRel)
        {
            redis.wake.notify_one();
        }
    }

    /// Sends an ephemeral message to the other instances (local delivery is the caller's).
    pub async fn publish(&self, message: &Ephemeral) {
        let Some(redis) = &self.redis else {
            return;
        };
        let wire = Wire {
            origin: redis.instance,
            message: message.clone(),
        };
        let Ok(text) = serde_json::to_string(&wire) else {
            return;
        };
        let mut conn = redis.conn.clone();
        if let Err(err) = conn.publish::<_, _, ()>(&redis.ephemeral, text).await {
            tracing::warn!(%err, "publishing an ephemeral event to Redis failed");
        }
    }

    /// A Redis connection for shared state (presence), when there is Redis.
    pub fn redis(&self) -> Option<(ConnectionManager, Uuid)> {
        self.redis.as_ref().map(|r| (r.conn.clone(), r.instance))
    }

    /// Runs the Redis side until `stop`: publishes rings, and turns what other instances
    /// publish into local rings and ephemeral messages.
    pub async fn run(self: Arc<Self>, ephemeral: mpsc::Sender<Ephemeral>, stop: CancellationToken) {
        let Some(redis) = &self.redis else {
            return;
        };
        let publisher = async {
            loop {
                redis.wake.notified().await;
                redis.pending.store(false, Ordering::Release);
                let mut conn = redis.conn.clone();
                if let Err(err) = conn.publish::<_, _, ()>(&redis.doorbell, "").await {
                    tracing::warn!(%err, "ringing the Redis doorbell failed");
                }
            }
        };
        let subscriber = async {
            loop {
                if let Err(err) = self.listen(redis, &ephemeral).await {
                    tracing::warn!(%err, "Redis subscription lost; retrying");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        tokio::select! {
            () = publisher => {}
            () = subscriber => {}
            () = stop.cancelled() => {}
        }
    }

    async fn listen(
        &self,
        redis: &RedisBus,
        ephemeral: &mpsc::Sender<Ephemeral>,
    ) -> redis::RedisResult<()> {
        let mut pubsub = redis.client.get_async_pubsub().await?;
        pubsub.subscribe(&redis.doorbell).await?;
        pubsub.subscribe(&redis.ephemeral).await?;
        // Anything committed while we were not listening: read the log now.
        self.doorbell.notify_one();
        let mut messages = pubsub.on_message();
        while let Some(msg) = messages.next().await {
            if msg.get_channel_name() == redis.doorbell {
                self.doorbell.notify_one();
                continue;
            }
            let Ok(text) = msg.get_payload::<String>() else {
                continue;
            };
            match serde_json::from_str::<Wire>(&text) {
                Ok(wire) if wire.origin != redis.instance => {
                    // A full queue means this instance is overwhelmed; typing can wait.
                    let _ = ephemeral.try_send(wire.message);
                }
                Ok(_) => {}
                Err(err) => tracing::debug!(%err, "ignoring a malformed ephemeral message"),
            }
        }
        Ok(())
    }
}
