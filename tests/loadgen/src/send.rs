//! Sending messages: the open loop (sends scheduled at fixed instants and shared by several
//! keep-alive connections, so one slow answer does not slow the schedule), the closed loop
//! (each sender keeps K sends outstanding), and warm-up messages. Every send draws the next
//! sequence number of the run and carries its send time in the marker.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::task::JoinSet;

use crate::http::Conn;
use crate::marker::{self, Clock, Marker, WARM_UP};
use crate::record::Latencies;
use crate::target::{Room, Target};

/// A scheduled send later than this is skipped (counted as unsent).
const TOO_LATE: Duration = Duration::from_secs(10);

/// One accepted message: its seq and the audience that should receive it.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    pub seq: u64,
    pub audience: u32,
}

/// What a batch of sends did.
#[derive(Debug, Default)]
pub struct SendLog {
    pub ok: Vec<Sent>,
    pub errors: u64,
    pub unsent: u64,
    pub first_error: Option<String>,
    /// Open loop: the longest delay between a send's instant and its start.
    pub max_lag_ns: u64,
}

impl SendLog {
    fn merge(&mut self, other: SendLog) {
        self.ok.extend(other.ok);
        self.errors += other.errors;
        self.unsent += other.unsent;
        self.max_lag_ns = self.max_lag_ns.max(other.max_lag_ns);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn record(&mut self, seq: u64, room: &Room, result: Result<()>) {
        match result {
            Ok(()) => self.ok.push(Sent {
                seq,
                audience: room.audience,
            }),
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
}

/// What every send of one target's run shares.
#[derive(Clone)]
pub struct Sender {
    pub target: Arc<Target>,
    pub clock: Clock,
    pub message_bytes: usize,
    seqs: Arc<AtomicU64>,
}

impl Sender {
    pub fn new(target: Arc<Target>, clock: Clock, message_bytes: usize) -> Self {
        Self {
            target,
            clock,
            message_bytes,
            seqs: Arc::new(AtomicU64::new(WARM_UP + 1)),
        }
    }

    /// Sends the next message to `room` now; returns its seq and the outcome.
    async fn send_next(&self, conn: &mut Conn, room: &Room) -> (u64, Result<()>) {
        let seq = self.seqs.fetch_add(1, Relaxed);
        let client_id = format!("lg-{}-{seq}", self.target.tag);
        (seq, self.send(conn, room, seq, &client_id).await)
    }

    async fn send(&self, conn: &mut Conn, room: &Room, seq: u64, client_id: &str) -> Result<()> {
        let marker = Marker {
            seq,
            sent_ns: self.clock.now_ns(),
            from: room.author,
        };
        let content = marker::content(marker, self.message_bytes);
        self.target.send(conn, room, content, client_id).await
    }

    /// One warm-up message to each room, a few at a time.
    pub async fn warm_up(&self, rooms: &[Room]) -> Result<()> {
        for (batch_no, batch) in rooms.chunks(8).enumerate() {
            let mut sends = JoinSet::new();
            for (i, room) in batch.iter().enumerate() {
                let (me, room) = (self.clone(), room.clone());
                let client_id = format!("lg-{}-w{}", self.target.tag, batch_no * 8 + i);
                sends.spawn(async move {
                    let mut conn = Conn::new(me.target.server.clone());
                    me.send(&mut conn, &room, WARM_UP, &client_id).await
                });
            }
            while let Some(done) = sends.join_next().await {
                done.context("a warm-up send panicked")?
                    .context("sending the warm-up message")?;
            }
        }
        Ok(())
    }

    /// `rate` messages per second to `room` for `duration`, over `conns` connections.
    pub async fn open_loop(
        &self,
        room: &Room,
        rate: f64,
        duration: Duration,
        conns: usize,
    ) -> SendLog {
        let total = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
        let start = self.clock.now_ns() + 1_000_000;
        let next = Arc::new(AtomicU64::new(0));
        let mut workers = JoinSet::new();
        for _ in 0..conns.max(1) {
            let (me, room, next) = (self.clone(), room.clone(), next.clone());
            workers.spawn(async move {
                let mut conn = Conn::new(me.target.server.clone());
                let mut log = SendLog::default();
                loop {
                    let k = next.fetch_add(1, Relaxed);
                    if k >= total {
                        return log;
                    }
                    let at = start + (k as f64 * 1e9 / rate) as u64;
                    tokio::time::sleep_until(me.clock.at(at).into()).await;
                    let lag = me.clock.now_ns().saturating_sub(at);
                    if lag > TOO_LATE.as_nanos() as u64 {
                        log.unsent += 1;
                        continue;
                    }
                    log.max_lag_ns = log.max_lag_ns.max(lag);
                    let (seq, result) = me.send_next(&mut conn, &room).await;
                    log.record(seq, &room, result);
                }
            });
        }
        join_logs(workers).await
    }

    /// Each room's sender keeps `inflight` sends outstanding for `duration`; every accepted
    /// send's request-to-answer time goes into `latency`.
    pub async fn closed_loop(
        &self,
        rooms: &[Room],
        inflight: usize,
        duration: Duration,
        latency: &Arc<Latencies>,
    ) -> SendLog {
        let end = self.clock.now_ns() + duration.as_nanos() as u64;
        let mut workers = JoinSet::new();
        for (i, room) in rooms
            .iter()
            .flat_map(|r| std::iter::repeat_n(r, inflight.max(1)))
            .enumerate()
        {
            let (me, room, latency) = (self.clone(), room.clone(), latency.clone());
            workers.spawn(async move {
                let mut conn = Conn::new(me.target.server.clone());
                let mut log = SendLog::default();
                while me.clock.now_ns() < end {
                    let started = me.clock.now_ns();
                    let (seq, result) = me.send_next(&mut conn, &room).await;
                    if result.is_ok() {
                        let micros = (me.clock.now_ns() - started) / 1000;
                        latency.shard(i).saturating_record(micros.max(1));
                    }
                    log.record(seq, &room, result);
                }
                log
            });
        }
        join_logs(workers).await
    }
}

async fn join_logs(mut workers: JoinSet<SendLog>) -> SendLog {
    let mut all = SendLog::default();
    while let Some(done) = workers.join_next().await {
        match done {
            Ok(log) => all.merge(log),
            Err(e) => {
                all.errors += 1;
                all.first_error
                    .get_or_insert_with(|| format!("a sender task failed: {e}"));
            }
        }
    }
    all
}
