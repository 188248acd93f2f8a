//! The command line: every option, documented for `--help`, turned into a [`Plan`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use loadgen::{Dms, Fanout, Idle, Options, Plan, Ramp, Scenario, TargetSpec};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Which {
    /// Hold N quiet streams: memory per stream, disconnects, heartbeats.
    Idle,
    /// One group, every member streaming, one sender at a fixed rate.
    Fanout,
    /// Direct conversations, every user streaming and sending to its peer.
    Dms,
    /// Fan-out at rising rates until p99 or loss says stop.
    Ramp,
    /// Seed a Confab database through SQL for the search benchmark (prints a token).
    SeedSearch,
    /// Time GET /api/search for a rare word, a common word and a prefix (Confab only).
    Search,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Only {
    Bare,
    Confab,
}

fn secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(v).map_err(|_| format!("{s:?} is not a duration"))
}

/// Load generator for Confab: runs a scenario against bare-sse and Confab, one after the
/// other, and prints every figure side by side with the ratio Confab ÷ bare.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Cli {
    /// The scenario to run.
    #[arg(value_enum)]
    pub scenario: Which,

    /// bare-sse's URL.
    #[arg(long, default_value = "http://127.0.0.1:7001", value_name = "URL")]
    pub bare: String,
    /// Confab's URL (run it with RATE_LIMITS=off).
    #[arg(long, default_value = "http://127.0.0.1:3100", value_name = "URL")]
    pub confab: String,
    /// Run one target only.
    #[arg(long, value_enum)]
    pub only: Option<Only>,
    /// bare-sse's process id (default: found from its listening port).
    #[arg(long, value_name = "PID")]
    pub bare_pid: Option<u32>,
    /// Confab's process id (default: found from its listening port).
    #[arg(long, value_name = "PID")]
    pub confab_pid: Option<u32>,

    /// idle: streams to hold.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub streams: usize,
    /// idle: Confab users the streams are spread over [default: one per stream].
    #[arg(long, value_name = "N")]
    pub users: Option<usize>,
    /// idle: seconds to hold the streams.
    #[arg(long, default_value = "30", value_parser = secs, value_name = "SECS")]
    pub hold: Duration,
    /// idle: seconds to wait after the last stream opened before reading memory.
    #[arg(long, default_value = "5", value_parser = secs, value_name = "SECS")]
    pub settle: Duration,
    /// idle: Confab's heartbeat interval, its HEARTBEAT_SECS (to judge heartbeat health).
    #[arg(long, default_value = "15", value_parser = secs, value_name = "SECS")]
    pub heartbeat_secs: Duration,

    /// fanout, ramp: members of the group, all streaming.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub members: usize,
    /// fanout: messages per second.
    #[arg(long, default_value_t = 100.0, value_name = "R")]
    pub rate: f64,
    /// fanout, dms: seconds of sending.
    #[arg(long, default_value = "20", value_parser = secs, value_name = "T")]
    pub secs: Duration,

    /// dms: direct conversations (two users each).
    #[arg(long, default_value_t = 500, value_name = "P")]
    pub pairs: usize,
    /// dms: outstanding sends per sender.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub inflight: usize,

    /// ramp: first rate, msg/s.
    #[arg(long, default_value_t = 100.0, value_name = "R0")]
    pub from: f64,
    /// ramp: each step's rate is the previous one's times this.
    #[arg(long, default_value_t = 1.25, value_name = "X")]
    pub factor: f64,
    /// ramp: seconds per step.
    #[arg(long, default_value = "10", value_parser = secs, value_name = "SECS")]
    pub step_secs: Duration,
    /// ramp: a step with a higher p99 (send to receive) fails.
    #[arg(long, default_value_t = 100.0, value_name = "MS")]
    pub max_p99_ms: f64,
    /// ramp: stop before exceeding this rate.
    #[arg(long, default_value_t = 100_000.0, value_name = "R")]
    pub max_rate: f64,
    /// ramp: stop after this many steps.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub max_steps: usize,

    /// seed-search: the database to fill (its schema must exist: run Confab on it once).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// seed-search: messages to seed.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub messages: u64,
    /// seed-search: group conversations they are spread over.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub seed_threads: u64,
    /// seed-search: conversations the searching user is a member of.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub user_threads: u64,
    /// search: the searching user's API token (printed by seed-search).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// search: timed requests per query.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub runs: usize,

    /// Bytes of content per message (marker plus padding).
    #[arg(long, default_value_t = 100, value_name = "BYTES")]
    pub message_bytes: usize,
    /// Streams bind to source addresses 127.0.0.1 ..= 127.0.0.N in turn (0: no binding).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub source_ips: u8,
    /// Streams being opened at once.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub open_concurrency: usize,
    /// Confab registrations (argon2 hashes) and set-up calls in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub register_concurrency: usize,
    /// Keep-alive connections the open-loop sender spreads its schedule over.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub send_conns: usize,
    /// Seconds to wait after the last send for deliveries before counting losses.
    #[arg(long, default_value = "2", value_parser = secs, value_name = "SECS")]
    pub drain: Duration,
    /// Seconds every stream has to receive the warm-up message.
    #[arg(long, default_value = "30", value_parser = secs, value_name = "SECS")]
    pub warm_up_timeout: Duration,
    /// Worker threads of the load generator's runtime (the sender has a thread of its own).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub threads: usize,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

impl Cli {
    /// The plan of a side-by-side scenario; `None` for `seed-search` and `search`.
    pub fn plan(&self) -> Option<Plan> {
        let bare = TargetSpec {
            pid: self.bare_pid,
            ..TargetSpec::bare(&self.bare)
        };
        let confab = TargetSpec {
            pid: self.confab_pid,
            ..TargetSpec::confab(&self.confab)
        };
        let targets = match self.only {
            None => vec![bare, confab],
            Some(Only::Bare) => vec![bare],
            Some(Only::Confab) => vec![confab],
        };
        let scenario = match self.scenario {
            Which::Idle => Scenario::Idle(Idle {
                streams: self.streams,
                users: self.users,
                hold: self.hold,
                settle: self.settle,
                heartbeat: self.heartbeat_secs,
            }),
            Which::Fanout => Scenario::Fanout(Fanout {
                members: self.members,
                rate: self.rate,
                duration: self.secs,
            }),
            Which::Dms => Scenario::Dms(Dms {
                pairs: self.pairs,
                inflight: self.inflight,
                duration: self.secs,
            }),
            Which::Ramp => Scenario::Ramp(Ramp {
                members: self.members,
                from: self.from,
                factor: self.factor,
                step: self.step_secs,
                max_p99: Duration::from_secs_f64(self.max_p99_ms.max(0.0) / 1e3),
                max_rate: self.max_rate,
                max_steps: self.max_steps,
            }),
            Which::SeedSearch | Which::Search => return None,
        };
        Some(Plan {
            targets,
            scenario,
            options: Options {
                source_ips: self.source_ips,
                message_bytes: self.message_bytes,
                open_concurrency: self.open_concurrency,
                register_concurrency: self.register_concurrency,
                send_conns: self.send_conns,
                drain: self.drain,
                warm_up_timeout: self.warm_up_timeout,
                progress: !self.quiet,
            },
        })
    }
}
