//! SIGTERM with hundreds of open streams: the process ends every stream, drains and exits
//! with code 0 well within its grace period, and a message acknowledged just before the
//! signal reaches each stream once when it resumes on the next process.

use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use reqwest::StatusCode;

use crate::{
    helpers::{TestUser, id_str},
    load::Crowd,
    one_at_a_time,
    private_pg::PrivatePg,
    server::Server,
};

const USERS: usize = 10;
const STREAMS_PER_USER: usize = 40;
/// How long the server waits for connections before closing them anyway (`app.rs`); a
/// clean shutdown ends every stream itself, long before that.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How one stream's connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The server finished the response: the client saw the stream close.
    Closed,
    /// The connection broke off mid-response.
    Broken,
    /// The stream was still open when the watcher gave up (or reached its marker).
    Open,
}

/// What one stream delivered.
#[derive(Debug)]
struct Seen {
    messages: Vec<String>,
    last_id: String,
    end: End,
}

/// Follows one stream from `last_id` until it ends, `until` (a message id) arrives, or
/// `patience` runs out.
async fn watch(
    user: TestUser,
    last_id: String,
    counters: Counters,
    until: Option<String>,
    patience: Duration,
) -> Seen {
    use eventsource_stream::Eventsource;
    let mut request = user.client().get(user.url("/api/chat/sse"));
    if !last_id.is_empty() {
        request = request.header("Last-Event-ID", &last_id);
    }
    let response = request.send().await.expect("the stream opens");
    assert_eq!(response.status(), StatusCode::OK, "opening a stream");
    counters.opened.fetch_add(1, Ordering::SeqCst);
    let mut seen = Seen {
        messages: Vec::new(),
        last_id,
        end: End::Open,
    };
    let mut events = response.bytes_stream().eventsource();
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let next = match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(next) => next,
            Err(_) => return seen,
        };
        let event = match next {
            Some(Ok(event)) => event,
            Some(Err(_)) => {
                seen.end = End::Broken;
                return seen;
            }
            None => {
                seen.end = End::Closed;
                return seen;
            }
        };
        if !event.id.is_empty() {
            seen.last_id = event.id.clone();
        }
        if event.event == "message.created" {
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            let id = id_str(&data).to_owned();
            counters.messages.fetch_add(1, Ordering::SeqCst);
            let done = until.as_deref() == Some(id.as_str());
            seen.messages.push(id);
            if done {
                return seen;
            }
        }
    }
}

/// Streams opened and messages received, by all watchers together.
#[derive(Clone, Default)]
struct Counters {
    opened: Arc<AtomicUsize>,
    messages: Arc<AtomicUsize>,
}

impl Counters {
    /// Waits until `counter` reaches `n` (at most a minute).
    async fn wait(counter: &AtomicUsize, n: usize, what: &str) {
        let wait_until = Instant::now() + Duration::from_secs(60);
        while counter.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < wait_until,
                "{} of {n} {what}",
                counter.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Opens a watcher per `(user, last id)` and waits until every stream is open.
async fn watch_all(
    streams: Vec<(TestUser, String)>,
    until: Option<String>,
    patience: Duration,
) -> (Vec<tokio::task::JoinHandle<Seen>>, Counters) {
    let counters = Counters::default();
    let n = streams.len();
    let watchers = streams
        .into_iter()
        .map(|(user, last_id)| {
            tokio::spawn(watch(
                user,
                last_id,
                counters.clone(),
                until.clone(),
                patience,
            ))
        })
        .collect();
    Counters::wait(&counters.opened, n, "streams opened").await;
    (watchers, counters)
}

/// The descriptors the test process may have open (it holds one socket per stream).
fn open_files_limit() -> usize {
    let out = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(usize::MAX)
}

/// Holds the log's horizon back: an open transaction with an id keeps every event
/// committed after it from being read, so a message acknowledged meanwhile cannot reach
/// any stream until this ends (see the README on commit-order safe positions).
async fn hold_delivery(database_url: &str) -> sea_orm::DatabaseTransaction {
    use sea_orm::{ConnectionTrait, Database, TransactionTrait};
    let db = Database::connect(database_url).await.unwrap();
    let txn = db.begin().await.unwrap();
    txn.execute_unprepared("SELECT pg_current_xact_id()")
        .await
        .unwrap();
    txn
}

#[tokio::test]
async fn sigterm_with_hundreds_of_open_streams_exits_cleanly_in_time_and_streams_resume() {
    let _serial = one_at_a_time().await;
    let streams = USERS * STREAMS_PER_USER;
    assert!(
        open_files_limit() > streams * 2 + 256,
        "ulimit -n is too low for {streams} streams"
    );
    // A cluster of its own: holding the log's horizon back holds back the whole cluster.
    let pg = tokio::task::spawn_blocking(PrivatePg::start).await.unwrap();
    let url = pg.url("confab_sigterm");
    let mut server = Server::start(&url, &[]).await;
    let crowd = Crowd::gather(&server.address, 1, USERS, 1).await;
    let sender = &crowd.senders[0];
    let thread = serde_json::json!({"id": crowd.threads[0]});

    let first: Vec<(TestUser, String)> = crowd
        .readers
        .iter()
        .flat_map(|r| std::iter::repeat_n(r.clone(), STREAMS_PER_USER))
        .map(|r| (r, String::new()))
        .collect();
    let (watchers, counters) = watch_all(first, None, Duration::from_secs(60)).await;
    // One message every stream has before the signal (it must not come again on resume),
    // and one acknowledged just before it that no stream can have had yet.
    let delivered = id_str(&sender.send(&thread, "delivered").await).to_owned();
    Counters::wait(&counters.messages, streams, "streams got the first message").await;
    let held = hold_delivery(&url).await;
    let last_word = id_str(&sender.send(&thread, "just before shutdown").await).to_owned();
    let signalled = Instant::now();
    server.terminate();
    let status = server
        .wait(Duration::from_secs(20))
        .await
        .expect("the server exits after SIGTERM");
    let took = signalled.elapsed();
    held.rollback().await.unwrap();
    let logs = server.log_text();
    assert_eq!(status.code(), Some(0), "exit code after SIGTERM: {logs}");
    assert!(
        took < SHUTDOWN_GRACE - Duration::from_secs(1),
        "{streams} streams took {took:?} to shut down (the grace period is \
         {SHUTDOWN_GRACE:?}):\n{logs}"
    );
    assert!(
        !logs.contains("still open"),
        "no connection outlived the drain: {logs}"
    );
    let mut seen = Vec::new();
    for watcher in watchers {
        seen.push(watcher.await.unwrap());
    }
    let ends = |end: End| seen.iter().filter(|s| s.end == end).count();
    assert_eq!(
        ends(End::Closed),
        streams,
        "every stream was closed by the server ({} broken, {} still open)",
        ends(End::Broken),
        ends(End::Open)
    );
    for s in &seen {
        assert_eq!(
            s.messages,
            std::slice::from_ref(&delivered),
            "what streams had at the end"
        );
    }

    // Each stream resumes on the next process from its last id; a message sent after the
    // restart marks where a stream has caught up.
    server.restart().await;
    let marker = id_str(&sender.send(&thread, "after the restart").await).to_owned();
    let resumed: Vec<(TestUser, String)> = crowd
        .readers
        .iter()
        .flat_map(|r| std::iter::repeat_n(r.clone(), STREAMS_PER_USER))
        .zip(seen.iter().map(|s| s.last_id.clone()))
        .collect();
    let (watchers, _) = watch_all(resumed, Some(marker.clone()), Duration::from_secs(60)).await;
    for (i, watcher) in watchers.into_iter().enumerate() {
        let after = watcher.await.unwrap();
        assert_eq!(
            after.messages,
            [last_word.clone(), marker.clone()],
            "stream {i} resumed with the message acknowledged before SIGTERM, once"
        );
    }
    eprintln!("SIGTERM: {streams} streams closed, exit code 0 after {took:?}; all resumed");
}
