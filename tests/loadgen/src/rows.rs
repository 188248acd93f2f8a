//! What each scenario shows in the side-by-side table: its metrics, in order, as cells
//! (numbers, counts or text) that `table` lines up across targets.

use crate::report::{Latency, Outcome, StreamStats};

pub enum Cell {
    Num(f64),
    Int(u64),
    Text(String),
    None,
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Num(v)
    }
}
impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::Int(v)
    }
}
impl From<usize> for Cell {
    fn from(v: usize) -> Self {
        Cell::Int(v as u64)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::None, Into::into)
    }
}

pub type Rows = Vec<(String, Cell)>;

fn push(rows: &mut Rows, metric: &str, cell: impl Into<Cell>) {
    rows.push((metric.to_owned(), cell.into()));
}

fn latency(rows: &mut Rows, what: &str, l: &Latency) {
    push(rows, &format!("{what} p50 (ms)"), l.p50_ms);
    push(rows, &format!("{what} p99 (ms)"), l.p99_ms);
    push(rows, &format!("{what} max (ms)"), l.max_ms);
}

fn streams(rows: &mut Rows, s: &StreamStats) {
    push(rows, "streams opened", s.opened);
    push(rows, "stream open failures", s.open_failures);
    push(rows, "stream open time (s)", s.open_secs);
    push(rows, "stream disconnects", s.disconnects);
    push(rows, "other events seen", s.other_events);
    push(rows, "loadgen events per read", s.events_per_read);
}

/// The rows of one target's outcome, in display order.
pub fn rows(outcome: &Outcome) -> Rows {
    let mut r = Rows::new();
    match outcome {
        Outcome::Idle(i) => {
            push(&mut r, "users", i.users);
            streams(&mut r, &i.streams);
            push(
                &mut r,
                "RSS before (MiB)",
                i.rss_before_kib.map(|k| k as f64 / 1024.0),
            );
            push(
                &mut r,
                "RSS with streams open (MiB)",
                i.rss_after_kib.map(|k| k as f64 / 1024.0),
            );
            push(&mut r, "RSS per stream (KiB)", i.rss_per_stream_kib);
            push(&mut r, "server CPU opening (s)", i.open_cpu_secs);
            push(
                &mut r,
                "server CPU per stream opened (ms)",
                i.open_cpu_ms_per_stream,
            );
            push(&mut r, "hold (s)", i.hold_secs);
            push(&mut r, "disconnects during hold", i.disconnects_during_hold);
            push(&mut r, "heartbeats per stream (min)", i.heartbeats_min);
            push(&mut r, "heartbeats expected", i.heartbeats_expected);
            push(
                &mut r,
                "longest heartbeat gap (s)",
                i.max_heartbeat_gap_secs,
            );
            push(
                &mut r,
                "streams missing a heartbeat",
                i.streams_missing_a_heartbeat,
            );
            push(
                &mut r,
                "server CPU during hold (s)",
                i.server_cpu_secs_during_hold,
            );
        }
        Outcome::Fanout(f) => {
            push(&mut r, "members", f.members);
            push(&mut r, "rate (msg/s)", f.rate);
            push(&mut r, "messages sent", f.sends.ok);
            push(&mut r, "send errors", f.sends.errors + f.sends.unsent);
            push(&mut r, "max send lag (ms)", f.sends.max_lag_ms);
            push(&mut r, "deliveries expected", f.delivery.expected);
            push(&mut r, "deliveries", f.delivery.delivered);
            push(&mut r, "lost", f.delivery.lost);
            push(&mut r, "duplicates", f.delivery.duplicates);
            push(&mut r, "deliveries/s", f.delivery.per_sec);
            latency(&mut r, "send→receive", &f.delivery.latency);
            push(&mut r, "server CPU (s)", f.cpu.server_secs);
            push(
                &mut r,
                "server CPU per delivery (µs)",
                f.cpu.server_us_per_delivery,
            );
            push(&mut r, "loadgen CPU (s)", f.cpu.loadgen_secs);
            streams(&mut r, &f.streams);
        }
        Outcome::Dms(d) => {
            push(&mut r, "senders", d.senders);
            push(&mut r, "outstanding sends per sender", d.inflight);
            push(&mut r, "durable messages/s", d.durable_per_sec);
            push(&mut r, "send errors", d.sends.errors);
            latency(&mut r, "send (request→answer)", &d.send_latency);
            latency(&mut r, "send→peer receive", &d.delivery.latency);
            push(&mut r, "deliveries", d.delivery.delivered);
            push(&mut r, "lost", d.delivery.lost);
            push(&mut r, "duplicates", d.delivery.duplicates);
            push(
                &mut r,
                "server CPU per message (µs)",
                d.cpu.server_us_per_delivery,
            );
            push(&mut r, "loadgen CPU (s)", d.cpu.loadgen_secs);
            streams(&mut r, &d.streams);
        }
        Outcome::Ramp(p) => {
            push(&mut r, "members", p.members);
            push(&mut r, "last good rate (msg/s)", p.last_good_rate);
            push(
                &mut r,
                "deliveries/s at last good rate",
                p.last_good_deliveries_per_sec,
            );
            push(&mut r, "steps run", p.steps.len());
            r.push((
                "stopped because".into(),
                Cell::Text(p.stopped_because.clone()),
            ));
            streams(&mut r, &p.streams);
        }
    }
    r
}
