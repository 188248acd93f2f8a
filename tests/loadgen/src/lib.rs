//! Confab's load generator. It drives a server only through its public HTTP interface and
//! measures it side by side with the bare-sse reference, in the same run:
//!
//! - `idle`: hold N streams; server memory per stream, disconnects, heartbeat health;
//! - `fanout`: one group of N streaming members, one sender at R msg/s (open loop);
//! - `dms`: P direct conversations, every user streaming and sending (closed loop);
//! - `ramp`: fan-out at rising rates until p99 or loss says stop;
//! - `seed-search` and `search` ([`search`]): many messages seeded through SQL, then
//!   `GET /api/search` timed for one user.
//!
//! Parts: [`config`] (plans as plain values), [`target`] (bare-sse and Confab behind one
//! interface, with their set-up), [`sse`] (the lean stream client: raw sockets, chunked
//! decoding and event parsing in place, one task per stream), [`send`] (open and closed
//! loops over keep-alive connections), [`marker`] (the `LG|seq|sent|from|` marker in each
//! message and the run clock), [`record`] (seq bitsets, sharded latency histograms),
//! [`proc`] (server memory and CPU from /proc), `scenario` (the four scenarios),
//! [`report`], `rows` and [`table`] (typed results, JSON, the Markdown table).
//!
//! A test runs a scenario tiny against a test server:
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use loadgen::{Fanout, Options, Plan, Scenario, TargetSpec};
//! let report = loadgen::run(Plan {
//!     targets: vec![TargetSpec::confab("http://127.0.0.1:3100")],
//!     scenario: Scenario::Fanout(Fanout { members: 3, rate: 2.0, ..Fanout::default() }),
//!     options: Options { progress: false, ..Options::default() },
//! })
//! .await?;
//! println!("{}", loadgen::table::markdown(&report));
//! # Ok(()) }
//! ```

pub mod config;
pub mod http;
pub mod marker;
pub mod proc;
pub mod progress;
pub mod record;
pub mod report;
mod rows;
mod scenario;
pub mod search;
pub mod send;
pub mod sse;
pub mod table;
pub mod target;

pub use config::{Dms, Fanout, Idle, Options, Plan, Ramp, Scenario, TargetKind, TargetSpec};
pub use report::{Outcome, Report, TargetReport};
pub use scenario::{run, run_target};
