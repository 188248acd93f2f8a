//! SIGKILL under load: the server dies mid-request twice and starts again on the same
//! database; senders retry what was not acknowledged with the same `clientId`, readers
//! resume with their last id.

use std::time::{Duration, Instant};

use crate::{
    load::{Crowd, Plan, Traffic},
    one_at_a_time,
    server::{Server, TestDb},
};

const KILLS: usize = 2;

#[tokio::test]
async fn after_kill_9_under_load_every_acknowledged_message_is_stored_once_and_read_once_in_order()
{
    kill_under_load(None).await;
}

/// The same with readers that also hang up by themselves every 700 ms, so resumes
/// happen under load too, not only after the kills.
#[tokio::test]
async fn readers_that_also_hang_up_often_miss_nothing_across_kills() {
    kill_under_load(Some(Duration::from_millis(700))).await;
}

async fn kill_under_load(hang_up_after: Option<Duration>) {
    let _serial = one_at_a_time().await;
    let db = TestDb::new();
    let mut server = Server::start(&db.url(), &[]).await;
    let crowd = Crowd::gather(&server.address, 4, 4, 2).await;
    let per_sender = 60;
    let plan = Plan {
        messages_per_sender: per_sender,
        pause: Duration::from_millis(10),
        reconnect: Duration::from_millis(300),
        hang_up_after,
        deadline: Instant::now() + Duration::from_secs(120),
    };
    let total = per_sender * crowd.senders.len();
    let traffic = Traffic::start(&crowd, plan).await;
    for kill in 1..=KILLS {
        traffic.wait_for_acks(total * kill / (KILLS + 1)).await;
        server.kill().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.restart().await;
    }
    let outcome = traffic.finish(&db.url(), &crowd.threads).await;

    let failures = outcome.failures();
    eprintln!(
        "kill -9: {total} messages, unacknowledged attempts {failures:?}, repeats answered \
         with the stored message {}, reconnects per reader {:?}",
        outcome.acks().filter(|a| a.repeat).count(),
        outcome
            .reads
            .iter()
            .map(|r| r.reconnects)
            .collect::<Vec<_>>()
    );
    assert!(outcome.faults().is_empty(), "{:?}", outcome.faults());
    assert!(
        failures.get("refused").copied().unwrap_or(0) > 0,
        "the kills cut sends off"
    );
    for read in &outcome.reads {
        assert!(
            read.reconnects >= KILLS,
            "every reader resumed after each kill"
        );
    }
}
