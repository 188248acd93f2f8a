//! Redis stopped under load in two-instance mode: readers on instance A, senders on
//! instance B, sharing one database and a Redis of the test's own. With Redis gone, B's
//! doorbell no longer reaches A, and A's tailer finds every message on its timer: nothing
//! is lost or duplicated. Once Redis is back, the doorbell works again.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    helpers::{Sse, TestUser},
    load::{Crowd, Plan, Traffic, register},
    one_at_a_time,
    private_pg::PrivatePg,
    private_redis::PrivateRedis,
    server::Server,
};

/// A's tailer looks at the log this often without a doorbell; a delivery well under it
/// was rung for.
const POLL: Duration = Duration::from_secs(5);
/// A delivery faster than this came through the doorbell (a timer delivery is this fast
/// by chance with odds FAST / POLL).
const FAST: Duration = Duration::from_millis(300);
/// Fast deliveries in a row that show the doorbell works.
const IN_A_ROW: usize = 3;

/// One probe: `from` (on B) sends to `dm`; how long until `watcher` (on A) has it.
async fn probe(from: &TestUser, dm: &Value, watcher: &mut Sse) -> Duration {
    let sent = from.send(dm, "probe").await;
    let started = Instant::now();
    let id = sent["id"].clone();
    watcher
        .next_where("message.created", |m| m["id"] == id)
        .await;
    started.elapsed()
}

/// Probes until `IN_A_ROW` deliveries in a row were fast, at most `attempts` probes;
/// returns the delays seen.
async fn doorbell_rings(
    from: &TestUser,
    dm: &Value,
    watcher: &mut Sse,
    attempts: usize,
) -> Result<Vec<Duration>, Vec<Duration>> {
    let mut delays = Vec::new();
    for _ in 0..attempts {
        delays.push(probe(from, dm, watcher).await);
        if delays.len() >= IN_A_ROW && delays.iter().rev().take(IN_A_ROW).all(|d| *d < FAST) {
            return Ok(delays);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(delays)
}

#[tokio::test]
async fn redis_killed_under_load_loses_nothing_between_two_instances_and_the_doorbell_comes_back() {
    let _serial = one_at_a_time().await;
    let mut redis = tokio::task::spawn_blocking(PrivateRedis::start)
        .await
        .unwrap();
    // A cluster of its own: on a shared one, other clients' transactions hold the log's
    // horizon back (README, positions) and blur the delivery times this test compares.
    let pg = tokio::task::spawn_blocking(PrivatePg::start).await.unwrap();
    let url = pg.url("confab_redis");
    let poll_ms = POLL.as_millis().to_string();
    let a = Server::start(
        &url,
        &[("REDIS_URL", &redis.url()), ("EVENT_POLL_MS", &poll_ms)],
    )
    .await;
    let b = a.peer().await;
    let mut crowd = Crowd::gather(&a.address, 3, 3, 2).await;
    for sender in &mut crowd.senders {
        sender.address = b.address.clone();
    }
    let mut prober = register(&a.address, "prober").await;
    let watcher = register(&a.address, "watcher").await;
    let dm = prober.dm(&watcher).await;
    prober.address = b.address.clone();
    let mut watching = watcher.stream().await;
    let before = doorbell_rings(&prober, &dm, &mut watching, 10)
        .await
        .unwrap_or_else(|d| panic!("with Redis up, B's sends wake A at once: {d:?}"));

    let per_sender = 60;
    let plan = Plan {
        messages_per_sender: per_sender,
        pause: Duration::from_millis(30),
        reconnect: Duration::from_millis(300),
        hang_up_after: None,
        deadline: Instant::now() + Duration::from_secs(150),
    };
    let total = per_sender * crowd.senders.len();
    let traffic = Traffic::start(&crowd, plan).await;
    traffic.wait_for_acks(total / 3).await;
    redis.kill();
    traffic.wait_for_acks(total * 2 / 3).await;
    // Delivery goes on without Redis: A's readers get everything sent so far.
    let acked = traffic.acked();
    traffic.wait_for_readers(acked, POLL * 3).await;
    let probe_in_outage = probe(&prober, &dm, &mut watching).await;
    redis = tokio::task::spawn_blocking(move || {
        redis.run();
        redis
    })
    .await
    .unwrap();
    let outcome = traffic.finish(&url, &crowd.threads).await;
    assert!(outcome.faults().is_empty(), "{:?}", outcome.faults());
    assert!(
        outcome.failures().is_empty(),
        "B took every send: {:?}",
        outcome.failures()
    );

    let after = doorbell_rings(&prober, &dm, &mut watching, 30)
        .await
        .unwrap_or_else(|d| {
            let said = |server: &Server| -> Vec<String> {
                let logs = server.logs.lock().unwrap();
                logs.iter()
                    .filter(|l| l.contains("Redis") || l.contains("redis"))
                    .cloned()
                    .collect()
            };
            panic!(
                "after Redis came back, the doorbell rings again: {d:?}\nA said: {:#?}\nB said: {:#?}",
                said(&a),
                said(&b)
            )
        });
    eprintln!(
        "Redis outage: {total} messages from B all reached A's readers once; probe delays \
         with Redis {before:?}, during the outage {probe_in_outage:?}, after it {after:?}"
    );
    drop(redis);
}
