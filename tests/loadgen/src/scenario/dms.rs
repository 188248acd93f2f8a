//! `dms`: P direct conversations; every user streams and keeps K sends to its peer
//! outstanding (closed loop). Durable messages per second, request-to-201 latency,
//! send-to-peer-receive latency, loss and duplicates. bare-sse has no conversations: as
//! many senders post to `/send` while two streams listen (use its `--pg` for durability).

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;

use super::fanout::{delivery, sends, warm_up};
use super::streams::StreamSet;
use super::{Meter, clock, tally};
use crate::config::{Dms, Options};
use crate::progress::note;
use crate::record::Latencies;
use crate::report::{DmsResult, Latency, Outcome};
use crate::send::Sender;
use crate::target::Target;

pub async fn run(target: &Arc<Target>, c: &Dms, o: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let setup = target.pairs(c.pairs, o).await?;
    let clock = clock();
    let mut set = StreamSet::open(target, setup.streams, clock, o).await?;
    let sender = Sender::new(target.clone(), clock, o.message_bytes);
    warm_up(&set, &sender, &setup.warm_up, o).await?;
    let setup_secs = started.elapsed().as_secs_f64();

    note(
        o.progress,
        format!(
            "{} senders, {} outstanding each, for {:?}",
            setup.rooms.len(),
            c.inflight,
            c.duration
        ),
    );
    let send_latency = Arc::new(Latencies::new(16));
    let meter = Meter::start(target.pid);
    let start_ns = clock.now_ns();
    let log = sender
        .closed_loop(&setup.rooms, c.inflight, c.duration, &send_latency)
        .await;
    let expected = tally::expected(&set.specs, &log.ok);
    tally::drain(&set.hub, 0, expected, o.drain).await;
    let delivery = delivery(&set, &log, start_ns);
    let cpu = meter.read(log.ok.len() as u64);
    set.stop().await;
    Ok(Outcome::Dms(DmsResult {
        pairs: c.pairs,
        senders: setup.rooms.len(),
        inflight: c.inflight,
        secs: c.duration.as_secs_f64(),
        setup_secs,
        streams: set.stats(),
        sends: sends(&log),
        durable_per_sec: log.ok.len() as f64 / c.duration.as_secs_f64().max(1e-9),
        send_latency: Latency::of(&send_latency.take()),
        delivery,
        cpu,
    }))
}
