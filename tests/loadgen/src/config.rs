//! What a run is, as plain values a test can build: the targets, the scenario with its
//! sizes, and the knobs every scenario shares. Defaults match the command line's.

use std::time::Duration;

use serde::Serialize;

/// One invocation: each target runs the same scenario, one after the other.
#[derive(Clone, Debug)]
pub struct Plan {
    pub targets: Vec<TargetSpec>,
    pub scenario: Scenario,
    pub options: Options,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// The bare-sse reference: `GET /stream`, `POST /send`.
    Bare,
    /// Confab's JSON API and `GET /api/chat/sse`.
    Confab,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Bare => "bare",
            TargetKind::Confab => "confab",
        }
    }
}

#[derive(Clone, Debug)]
pub struct TargetSpec {
    pub kind: TargetKind,
    /// `http://host:port`.
    pub url: String,
    /// The server's process id; found from the listening port when `None`.
    pub pid: Option<u32>,
}

impl TargetSpec {
    pub fn bare(url: impl Into<String>) -> Self {
        Self {
            kind: TargetKind::Bare,
            url: url.into(),
            pid: None,
        }
    }

    pub fn confab(url: impl Into<String>) -> Self {
        Self {
            kind: TargetKind::Confab,
            url: url.into(),
            pid: None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Scenario {
    Idle(Idle),
    Fanout(Fanout),
    Dms(Dms),
    Ramp(Ramp),
}

impl Scenario {
    /// Rejects sizes no run can use.
    pub fn check(&self) -> anyhow::Result<()> {
        let fail = |what: &str| Err(anyhow::anyhow!("{} needs {what}", self.name()));
        match self {
            Scenario::Idle(c) if c.streams == 0 => fail("at least one stream"),
            Scenario::Idle(c) if c.heartbeat.is_zero() => fail("a heartbeat interval above 0"),
            Scenario::Fanout(c) if c.members == 0 => fail("at least one member"),
            Scenario::Fanout(c) if !positive(c.rate) => fail("a rate above 0"),
            Scenario::Dms(c) if c.pairs == 0 || c.inflight == 0 => {
                fail("pairs and inflight of at least 1")
            }
            Scenario::Ramp(c) if c.members == 0 => fail("at least one member"),
            Scenario::Ramp(c) if !positive(c.from) || !positive(c.factor - 1.0) => {
                fail("a starting rate above 0 and a factor above 1")
            }
            Scenario::Ramp(c) if c.step.is_zero() => fail("steps longer than 0 s"),
            _ => Ok(()),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Idle(_) => "idle",
            Scenario::Fanout(_) => "fanout",
            Scenario::Dms(_) => "dms",
            Scenario::Ramp(_) => "ramp",
        }
    }
}

/// A finite number above zero.
fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Hold many quiet streams: memory per stream, disconnects, heartbeats.
#[derive(Clone, Debug)]
pub struct Idle {
    pub streams: usize,
    /// Confab users the streams are spread over (default: one per stream).
    pub users: Option<usize>,
    pub hold: Duration,
    /// Wait after the last stream opened before measuring memory.
    pub settle: Duration,
    /// The server's heartbeat interval (Confab's `HEARTBEAT_SECS`).
    pub heartbeat: Duration,
}

impl Default for Idle {
    fn default() -> Self {
        Self {
            streams: 1000,
            users: None,
            hold: Duration::from_secs(30),
            settle: Duration::from_secs(5),
            heartbeat: Duration::from_secs(15),
        }
    }
}

/// One group, every member streaming, one sender at a fixed rate (open loop).
#[derive(Clone, Debug)]
pub struct Fanout {
    pub members: usize,
    /// Messages per second.
    pub rate: f64,
    pub duration: Duration,
}

impl Default for Fanout {
    fn default() -> Self {
        Self {
            members: 1000,
            rate: 100.0,
            duration: Duration::from_secs(20),
        }
    }
}

/// Direct conversations: every user streams and sends to its peer (closed loop).
#[derive(Clone, Debug)]
pub struct Dms {
    pub pairs: usize,
    /// Outstanding sends per sender.
    pub inflight: usize,
    pub duration: Duration,
}

impl Default for Dms {
    fn default() -> Self {
        Self {
            pairs: 500,
            inflight: 1,
            duration: Duration::from_secs(20),
        }
    }
}

/// Fan-out at rising rates until latency or loss says stop.
#[derive(Clone, Debug)]
pub struct Ramp {
    pub members: usize,
    pub from: f64,
    /// Each step's rate is the previous one's times this.
    pub factor: f64,
    pub step: Duration,
    /// A step fails when its p99 exceeds this (or anything is lost).
    pub max_p99: Duration,
    pub max_rate: f64,
    pub max_steps: usize,
}

impl Default for Ramp {
    fn default() -> Self {
        Self {
            members: 1000,
            from: 100.0,
            factor: 1.25,
            step: Duration::from_secs(10),
            max_p99: Duration::from_millis(100),
            max_rate: 100_000.0,
            max_steps: 40,
        }
    }
}

/// Knobs shared by every scenario.
#[derive(Clone, Debug)]
pub struct Options {
    /// Streams bind to 127.0.0.1 ..= 127.0.0.N in turn (0: no binding).
    pub source_ips: u8,
    /// Size of each message's content.
    pub message_bytes: usize,
    /// Streams being opened at once.
    pub open_concurrency: usize,
    /// Confab registrations in flight at once (each is an argon2 hash).
    pub register_concurrency: usize,
    /// Keep-alive connections of the open-loop sender.
    pub send_conns: usize,
    /// Wait after the last send before counting what was lost.
    pub drain: Duration,
    /// How long every stream has to receive the warm-up message.
    pub warm_up_timeout: Duration,
    /// Print progress lines on stderr.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            source_ips: 4,
            message_bytes: 100,
            open_concurrency: 256,
            register_concurrency: 8,
            send_conns: 64,
            drain: Duration::from_secs(2),
            warm_up_timeout: Duration::from_secs(30),
            progress: true,
        }
    }
}
