//! `idle`: hold N quiet streams. Server memory per stream (RSS with the streams open and
//! settled, minus RSS before, over N), disconnects during the hold, and heartbeat health
//! (every stream saw a heartbeat in every interval).

use std::time::Instant;

use anyhow::Result;

use super::streams::StreamSet;
use super::{Meter, clock};
use crate::config::{Idle, Options, TargetKind};
use crate::proc;
use crate::progress::note;
use crate::record::lock;
use crate::report::{IdleResult, Outcome};
use crate::target::Target;

pub async fn run(target: &Target, c: &Idle, o: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let users = c.users.unwrap_or(c.streams);
    let setup = target.idle(c.streams, users, o).await?;
    let setup_secs = started.elapsed().as_secs_f64();
    let rss = || target.pid.and_then(proc::rss_kib);
    let rss_before = rss();
    // Everything the server spends on opening the streams (requests, authentication,
    // registration, presence), up to the end of the settle time.
    let opening = Meter::start(target.pid);
    let mut set = StreamSet::open(target, setup.streams, clock(), o).await?;
    tokio::time::sleep(c.settle).await;
    let open_cpu = opening.read(0).server_secs;
    let rss_after = rss();
    let meter = Meter::start(target.pid);
    note(
        o.progress,
        format!("holding {} streams for {:?}", c.streams, c.hold),
    );
    let window_start = set.hub.open_window();
    tokio::time::sleep(c.hold).await;
    let window_end = set.hub.close_window();
    let cpu = meter.read(0);
    let rss_end = rss();
    set.stop().await;

    let opened = set.hub.opened.load(std::sync::atomic::Ordering::Relaxed);
    let hold_ns = window_end - window_start;
    let mut r = IdleResult {
        users: match target.kind {
            TargetKind::Bare => 0,
            TargetKind::Confab => users.clamp(1, c.streams.max(1)),
        },
        setup_secs,
        streams: set.stats(),
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        rss_end_kib: rss_end,
        rss_per_stream_kib: match (rss_before, rss_after) {
            (Some(b), Some(a)) if opened > 0 => Some((a as f64 - b as f64) / opened as f64),
            _ => None,
        },
        open_cpu_secs: open_cpu,
        open_cpu_ms_per_stream: open_cpu
            .filter(|_| opened > 0)
            .map(|secs| secs * 1e3 / opened as f64),
        hold_secs: hold_ns as f64 / 1e9,
        server_cpu_secs_during_hold: cpu.server_secs,
        ..IdleResult::default()
    };
    let mut min_beats = u64::MAX;
    let mut max_gap = 0u64;
    let mut missing = 0;
    let interval = c.heartbeat.as_nanos() as u64;
    let expected = hold_ns / interval.max(1);
    for rec in &set.hub.records {
        let rec = lock(rec);
        if !rec.opened {
            continue;
        }
        r.disconnects_during_hold += rec.disconnects_in_window;
        let tail = window_end.saturating_sub(rec.last_heartbeat_ns.max(window_start));
        let gap = rec.max_heartbeat_gap_ns.max(tail);
        min_beats = min_beats.min(rec.heartbeats);
        max_gap = max_gap.max(gap);
        // A heartbeat may come a little late; more than half an interval late is a miss.
        if gap > interval + interval / 2 || rec.heartbeats < expected {
            missing += 1;
        }
    }
    if target.heartbeats() {
        r.heartbeat_secs = Some(c.heartbeat.as_secs_f64());
        r.heartbeats_min = Some(if min_beats == u64::MAX { 0 } else { min_beats });
        r.heartbeats_expected = Some(expected);
        r.max_heartbeat_gap_secs = Some(max_gap as f64 / 1e9);
        r.streams_missing_a_heartbeat = Some(missing);
    }
    Ok(Outcome::Idle(r))
}
