//! `fanout`: one group, every member streaming, one sender at a fixed rate (open loop).
//! Deliveries per second, send-to-receive latency, loss and duplicates, and server CPU per
//! delivery. Also the group set-up that `ramp` shares.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};

use super::streams::StreamSet;
use super::{Meter, clock, tally};
use crate::config::{Fanout, Options};
use crate::progress::note;
use crate::report::{Delivery, FanoutResult, Latency, Outcome, Sends};
use crate::send::{SendLog, Sender};
use crate::target::{Room, Target};

/// A group with its streams open and warmed up, ready to send to.
pub(super) struct Group {
    pub set: StreamSet,
    pub room: Room,
    pub sender: Sender,
    pub setup_secs: f64,
}

pub(super) async fn prepare(target: &Arc<Target>, members: usize, o: &Options) -> Result<Group> {
    let started = Instant::now();
    let setup = target.group(members, o).await?;
    let room = setup
        .rooms
        .first()
        .cloned()
        .context("the group has no sender")?;
    let clock = clock();
    let set = StreamSet::open(target, setup.streams, clock, o).await?;
    let sender = Sender::new(target.clone(), clock, o.message_bytes);
    warm_up(&set, &sender, &setup.warm_up, o).await?;
    Ok(Group {
        set,
        room,
        sender,
        setup_secs: started.elapsed().as_secs_f64(),
    })
}

/// Sends the warm-up messages and waits for the streams to see them.
pub(super) async fn warm_up(
    set: &StreamSet,
    sender: &Sender,
    rooms: &[Room],
    o: &Options,
) -> Result<()> {
    sender.warm_up(rooms).await?;
    let warmed = set.wait_warm(o.warm_up_timeout).await;
    let opened = set.hub.opened.load(std::sync::atomic::Ordering::Relaxed);
    if warmed < opened {
        note(
            o.progress,
            format!(
                "only {warmed} of {opened} streams saw the warm-up within {:?}; going on",
                o.warm_up_timeout
            ),
        );
    }
    Ok(())
}

pub(super) fn sends(log: &SendLog) -> Sends {
    Sends {
        ok: log.ok.len() as u64,
        errors: log.errors,
        unsent: log.unsent,
        max_lag_ms: log.max_lag_ns as f64 / 1e6,
        first_error: log.first_error.clone(),
    }
}

pub async fn run(target: &Arc<Target>, c: &Fanout, o: &Options) -> Result<Outcome> {
    let mut g = prepare(target, c.members, o).await?;
    note(
        o.progress,
        format!("sending {} msg/s for {:?}", c.rate, c.duration),
    );
    let meter = Meter::start(target.pid);
    let start_ns = g.sender.clock.now_ns();
    let log = g
        .sender
        .open_loop(&g.room, c.rate, c.duration, o.send_conns)
        .await;
    let expected = tally::expected(&g.set.specs, &log.ok);
    tally::drain(&g.set.hub, 0, expected, o.drain).await;
    let delivery = delivery(&g.set, &log, start_ns);
    let cpu = meter.read(delivery.delivered);
    g.set.stop().await;
    Ok(Outcome::Fanout(FanoutResult {
        members: c.members,
        rate: c.rate,
        secs: c.duration.as_secs_f64(),
        setup_secs: g.setup_secs,
        streams: g.set.stats(),
        sends: sends(&log),
        delivery,
        cpu,
    }))
}

/// Everything the streams received for `log`'s messages, sent from `start_ns` on.
pub(super) fn delivery(set: &StreamSet, log: &SendLog, start_ns: u64) -> Delivery {
    let mut d = tally::tally(&set.hub, &set.specs, &log.ok, true);
    d.latency = Latency::of(&set.hub.latencies.take());
    let span = tally::last_arrival_ns(&set.hub).saturating_sub(start_ns) as f64 / 1e9;
    d.per_sec = if span > 0.0 {
        d.delivered as f64 / span
    } else {
        0.0
    };
    d
}
