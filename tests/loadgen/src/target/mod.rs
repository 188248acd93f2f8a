//! The two kinds of server behind one interface. Scenario code asks a [`Target`] for the
//! streams and rooms of a scenario and sends through it; bare-sse and Confab differ only
//! here. A [`Room`] is where one sender's messages go and which streams expect them.

mod bare;
pub mod confab;

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use hyper::Method;

use crate::config::{Options, TargetKind, TargetSpec};
use crate::http::{Conn, Server};
use crate::proc;
use crate::sse::{Endpoint, StreamSpec};

/// The user index of streams that belong to no sender.
pub const NOBODY: u32 = u32::MAX;

/// Where one sender's messages go.
#[derive(Clone, Debug)]
pub struct Room {
    /// Confab: the thread and the sender's `Authorization` header value.
    pub thread: Option<(String, String)>,
    /// The sender's user index (the marker's `from`).
    pub author: u32,
    /// Streams with this audience expect the room's messages.
    pub audience: u32,
}

/// What a scenario set up: the streams to open, the rooms to send to, and one room per
/// audience for the warm-up message.
pub struct Setup {
    pub streams: Vec<StreamSpec>,
    pub rooms: Vec<Room>,
    pub warm_up: Vec<Room>,
}

pub struct Target {
    pub kind: TargetKind,
    pub server: Arc<Server>,
    pub pid: Option<u32>,
    /// Makes this run's usernames and client ids unique.
    pub tag: String,
}

impl Target {
    /// Resolves the URL, checks `GET /healthz` and finds the server's process.
    pub async fn connect(spec: &TargetSpec) -> Result<Self> {
        let server = Arc::new(Server::resolve(&spec.url).await?);
        let mut conn = Conn::new(server.clone());
        let health = conn
            .call(Method::GET, "/healthz", &[], Bytes::new())
            .await
            .with_context(|| format!("{} at {} does not answer", spec.kind.name(), spec.url))?;
        if !health.status.is_success() {
            bail!("{} /healthz answered HTTP {}", spec.url, health.status);
        }
        let pid = spec.pid.or_else(|| proc::listener_pid(server.addr.port()));
        Ok(Self {
            kind: spec.kind,
            server,
            pid,
            tag: run_tag(),
        })
    }

    pub fn endpoint(&self, options: &Options) -> Endpoint {
        Endpoint {
            addr: self.server.addr,
            host: self.server.host.clone(),
            source_ips: options.source_ips,
            event_name: match self.kind {
                TargetKind::Bare => b"message",
                TargetKind::Confab => b"message.created",
            },
        }
    }

    /// Whether the server sends periodic heartbeat comments.
    pub fn heartbeats(&self) -> bool {
        self.kind == TargetKind::Confab
    }

    /// `streams` quiet streams, spread over `users` Confab users.
    pub async fn idle(&self, streams: usize, users: usize, o: &Options) -> Result<Setup> {
        match self.kind {
            TargetKind::Bare => Ok(bare::streams(streams, 1)),
            TargetKind::Confab => {
                let accounts = self.register(users.clamp(1, streams.max(1)), o).await?;
                let streams = (0..streams)
                    .map(|i| confab_stream(&accounts[i % accounts.len()], i % accounts.len(), 0))
                    .collect();
                Ok(Setup {
                    streams,
                    rooms: Vec::new(),
                    warm_up: Vec::new(),
                })
            }
        }
    }

    /// One group of `members` streaming users and one sender (user index `members`).
    pub async fn group(&self, members: usize, o: &Options) -> Result<Setup> {
        match self.kind {
            TargetKind::Bare => Ok(bare::streams(members, 1)),
            TargetKind::Confab => {
                let mut accounts = self.register(members + 1, o).await?;
                let owner = accounts.pop().context("no sender account")?;
                let thread = confab::group(&self.server, &owner, &accounts).await?;
                let room = Room {
                    thread: Some((thread, owner.auth)),
                    author: members as u32,
                    audience: 0,
                };
                Ok(Setup {
                    streams: accounts
                        .iter()
                        .enumerate()
                        .map(|(i, a)| confab_stream(a, i, 0))
                        .collect(),
                    rooms: vec![room.clone()],
                    warm_up: vec![room],
                })
            }
        }
    }

    /// `pairs` direct conversations; every user streams and sends to its peer. bare-sse has
    /// no conversations: the same number of senders post to `/send`, and two streams listen.
    pub async fn pairs(&self, pairs: usize, o: &Options) -> Result<Setup> {
        match self.kind {
            TargetKind::Bare => Ok(bare::streams(2, 2 * pairs)),
            TargetKind::Confab => {
                let accounts = self.register(2 * pairs, o).await?;
                let asks = accounts
                    .chunks_exact(2)
                    .map(|p| (p[0].clone(), p[1].clone()))
                    .collect();
                let threads =
                    confab::directs(&self.server, asks, o.register_concurrency, o.progress).await?;
                let room = |i: usize| Room {
                    thread: Some((threads[i / 2].clone(), accounts[i].auth.clone())),
                    author: i as u32,
                    audience: (i / 2) as u32,
                };
                Ok(Setup {
                    streams: (0..2 * pairs)
                        .map(|i| confab_stream(&accounts[i], i, i / 2))
                        .collect(),
                    rooms: (0..2 * pairs).map(room).collect(),
                    warm_up: (0..pairs).map(|p| room(2 * p)).collect(),
                })
            }
        }
    }

    /// Sends one message to `room`; `Ok` when the server accepted it.
    pub async fn send(
        &self,
        conn: &mut Conn,
        room: &Room,
        content: String,
        client_id: &str,
    ) -> Result<()> {
        match &room.thread {
            None => bare::send(conn, content).await,
            Some((thread, auth)) => confab::send(conn, auth, thread, &content, client_id).await,
        }
    }

    async fn register(&self, count: usize, o: &Options) -> Result<Vec<confab::Account>> {
        confab::register(
            &self.server,
            count,
            &self.tag,
            o.register_concurrency,
            o.progress,
        )
        .await
    }
}

fn confab_stream(account: &confab::Account, user: usize, audience: usize) -> StreamSpec {
    StreamSpec {
        path: "/api/chat/sse".into(),
        auth: Some(account.auth.clone()),
        user: user as u32,
        audience: audience as u32,
    }
}

/// Six base-36 digits from the clock: distinct across runs against one database.
fn run_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut n = (nanos / 1000) as u64;
    let mut tag = String::new();
    for _ in 0..6 {
        tag.push(char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
        n /= 36;
    }
    tag
}
