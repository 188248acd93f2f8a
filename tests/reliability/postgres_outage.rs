//! PostgreSQL stopped and started under load (a cluster of the test's own): sends during
//! the outage are refused with a prompt 503 (`database_unavailable`, `Retry-After`), never
//! a 500 or a hang; once it is back, every retried send is stored once and reaches every
//! reader once, in order.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    load::{Crowd, Plan, Traffic},
    one_at_a_time,
    private_pg::PrivatePg,
    server::Server,
};

/// How long PostgreSQL stays away.
const OUTAGE: Duration = Duration::from_secs(4);

#[tokio::test]
async fn postgres_stopped_and_started_under_load_answers_503_then_delivers_everything_once() {
    let _serial = one_at_a_time().await;
    let pg = Arc::new(tokio::task::spawn_blocking(PrivatePg::start).await.unwrap());
    let url = pg.url("confab_outage");
    let server = Server::start(&url, &[("DB_ACQUIRE_TIMEOUT_MS", "1000")]).await;
    let crowd = Crowd::gather(&server.address, 3, 3, 2).await;
    let per_sender = 50;
    let plan = Plan {
        messages_per_sender: per_sender,
        pause: Duration::from_millis(20),
        reconnect: Duration::from_millis(300),
        hang_up_after: Some(Duration::from_millis(900)),
        deadline: Instant::now() + Duration::from_secs(120),
    };
    let total = per_sender * crowd.senders.len();
    let traffic = Traffic::start(&crowd, plan).await;
    traffic.wait_for_acks(total / 3).await;
    let stopping = pg.clone();
    tokio::task::spawn_blocking(move || stopping.stop())
        .await
        .unwrap();
    let acked_at_stop = traffic.acked();
    tokio::time::sleep(OUTAGE).await;
    let acked_in_outage = traffic.acked() - acked_at_stop;
    let starting = pg.clone();
    tokio::task::spawn_blocking(move || starting.pg_ctl_start())
        .await
        .unwrap();
    let outcome = traffic.finish(&url, &crowd.threads).await;

    let failures = outcome.failures();
    eprintln!(
        "PostgreSQL outage: {total} messages, {acked_in_outage} acknowledged during the \
         outage, unacknowledged attempts {failures:?}, stream reopen failures {:?}",
        outcome
            .reads
            .iter()
            .map(|r| &r.open_failures)
            .collect::<Vec<_>>()
    );
    assert!(
        outcome.faults().is_empty(),
        "every refusal was a prompt 503 database_unavailable with Retry-After: {:?}",
        outcome.faults()
    );
    assert!(
        failures.get("503").copied().unwrap_or(0) > 0,
        "sends during the outage were refused"
    );
    assert_eq!(
        failures.keys().collect::<Vec<_>>(),
        ["503"],
        "the server stayed up"
    );
    assert_eq!(
        acked_in_outage, 0,
        "nothing acknowledged without the database"
    );
    for read in &outcome.reads {
        assert!(
            read.open_failures.keys().all(|k| k == "503"),
            "a stream refused only with 503: {:?}",
            read.open_failures
        );
    }
}
