//! The results: typed per scenario (what a test asserts on), serialized as JSON, and
//! flattened into rows for the side-by-side table (see `table`).

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::config::TargetKind;

#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub targets: Vec<TargetReport>,
}

impl Report {
    pub fn target(&self, kind: TargetKind) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.target == kind)
    }
}

#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub target: TargetKind,
    pub url: String,
    pub server_pid: Option<u32>,
    pub outcome: Outcome,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Idle(IdleResult),
    Fanout(FanoutResult),
    Dms(DmsResult),
    Ramp(RampResult),
}

/// A latency distribution in milliseconds.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    /// From a histogram in microseconds.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        Self {
            count: h.len(),
            p50_ms: h.value_at_quantile(0.5) as f64 / 1000.0,
            p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
            max_ms: h.max() as f64 / 1000.0,
            mean_ms: h.mean() / 1000.0,
        }
    }
}

/// How opening and holding the streams went.
#[derive(Debug, Default, Clone, Serialize)]
pub struct StreamStats {
    pub streams: usize,
    pub opened: usize,
    pub open_failures: usize,
    pub open_secs: f64,
    /// Streams that got the warm-up message (scenarios that send).
    pub warmed_up: usize,
    pub disconnects: u64,
    pub reconnects: u64,
    /// Events that are not this run's messages (`delivered`, `presence`, ...).
    pub other_events: u64,
    /// Socket reads with data, and events (of any kind) per read (`None` without events).
    pub reads: u64,
    pub events_per_read: Option<f64>,
    pub first_error: Option<String>,
}

/// What reached the streams, against what should have.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Delivery {
    /// (message, stream) pairs that should have arrived.
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicates: u64,
    /// Arrivals nobody expected (e.g. a send that timed out but was stored).
    pub unexpected: u64,
    /// Arrivals of a user's own messages on its own streams (not in `latency`).
    pub echoes: u64,
    pub per_sec: f64,
    /// Send to receive.
    pub latency: Latency,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Sends {
    pub ok: u64,
    pub errors: u64,
    /// Open loop: sends skipped because their instant was long past.
    pub unsent: u64,
    pub max_lag_ms: f64,
    pub first_error: Option<String>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Cpu {
    /// Server CPU seconds over the measured period (`None` without the server's pid).
    pub server_secs: Option<f64>,
    /// Server CPU per delivery (idle: per stream-second is not measured).
    pub server_us_per_delivery: Option<f64>,
    pub loadgen_secs: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct IdleResult {
    pub users: usize,
    pub setup_secs: f64,
    pub streams: StreamStats,
    pub rss_before_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    pub rss_end_kib: Option<u64>,
    pub rss_per_stream_kib: Option<f64>,
    /// Server CPU from the first stream opening to the end of the settle time.
    pub open_cpu_secs: Option<f64>,
    /// The same per stream opened: the cost of a reconnect storm when every stream
    /// opens at once (`--open-concurrency` as high as `--streams`).
    pub open_cpu_ms_per_stream: Option<f64>,
    pub hold_secs: f64,
    pub disconnects_during_hold: u64,
    /// `None` for servers without heartbeats (bare-sse).
    pub heartbeat_secs: Option<f64>,
    pub heartbeats_min: Option<u64>,
    pub heartbeats_expected: Option<u64>,
    pub max_heartbeat_gap_secs: Option<f64>,
    pub streams_missing_a_heartbeat: Option<usize>,
    pub server_cpu_secs_during_hold: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
pub struct FanoutResult {
    pub members: usize,
    pub rate: f64,
    pub secs: f64,
    pub setup_secs: f64,
    pub streams: StreamStats,
    pub sends: Sends,
    pub delivery: Delivery,
    pub cpu: Cpu,
}

#[derive(Debug, Default, Serialize)]
pub struct DmsResult {
    pub pairs: usize,
    pub senders: usize,
    pub inflight: usize,
    pub secs: f64,
    pub setup_secs: f64,
    pub streams: StreamStats,
    pub sends: Sends,
    /// Accepted (stored, for Confab and bare-sse `--pg`) messages per second.
    pub durable_per_sec: f64,
    /// Request to answer.
    pub send_latency: Latency,
    /// Send to receive on the peer's stream.
    pub delivery: Delivery,
    pub cpu: Cpu,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct RampStep {
    pub rate: f64,
    pub sends: Sends,
    pub delivery: Delivery,
    pub server_us_per_delivery: Option<f64>,
    pub good: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct RampResult {
    pub members: usize,
    pub setup_secs: f64,
    pub streams: StreamStats,
    pub steps: Vec<RampStep>,
    pub last_good_rate: Option<f64>,
    pub last_good_deliveries_per_sec: Option<f64>,
    pub stopped_because: String,
}
