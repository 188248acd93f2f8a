//! Traffic for fault injection: senders that post messages with `clientId`s and retry an
//! unacknowledged send with the same `clientId`, and readers that hold `/api/chat/sse`
//! open and reconnect with their last id whenever it drops. [`Traffic::finish`] then
//! checks against the database: every acknowledged message is stored once, and every
//! reader got every stored message once, in commit order (`seq`) per conversation.
//!
//! Every loop is bounded by the plan's deadline; all traffic goes to 127.0.0.1.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::{PASSWORD, TestUser, id_str, new_client};

/// How long one send may take before it counts as hanging.
const SEND_PATIENCE: Duration = Duration::from_secs(15);

/// Senders, readers and the group conversations they all share.
pub struct Crowd {
    pub senders: Vec<TestUser>,
    pub readers: Vec<TestUser>,
    pub threads: Vec<String>,
}

/// Registers `name` on the server at `base`.
pub async fn register(base: &str, name: &str) -> TestUser {
    let client = new_client();
    let response = client
        .post(format!("{base}/api/auth/register"))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "registering {name}");
    let user = response.json().await.unwrap();
    TestUser::new(client, base, user)
}

impl Crowd {
    /// `senders` + `readers` people on the server at `base`, all in `threads` groups.
    pub async fn gather(base: &str, senders: usize, readers: usize, threads: usize) -> Crowd {
        let mut people = Vec::new();
        for i in 0..senders {
            people.push(register(base, &format!("sender{i}")).await);
        }
        for i in 0..readers {
            people.push(register(base, &format!("reader{i}")).await);
        }
        let others: Vec<&TestUser> = people[1..].iter().collect();
        let mut ids = Vec::new();
        for t in 0..threads {
            let group = people[0].group(&format!("load {t}"), &others).await;
            ids.push(id_str(&group).to_owned());
        }
        let readers = people.split_off(senders);
        Crowd {
            senders: people,
            readers,
            threads: ids,
        }
    }
}

/// How the traffic runs.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub messages_per_sender: usize,
    /// Pause between one sender's acknowledged sends.
    pub pause: Duration,
    /// How long the first reader waits before reopening a stream that ended (each further
    /// reader 100 ms longer, as browsers wait the `retry:` hint): what is sent meanwhile
    /// can only reach it through the replay of its resume.
    pub reconnect: Duration,
    /// Readers also drop their stream themselves after this long (a flaky network), so
    /// resumes happen under load, not only after the faults.
    pub hang_up_after: Option<Duration>,
    /// Everything (sends, retries, catching up) must be done by then.
    pub deadline: Instant,
}

/// One acknowledged send.
#[derive(Clone, Debug)]
pub struct Ack {
    pub client_id: String,
    pub id: String,
    pub thread: String,
    /// Answered `200`: an earlier attempt had stored it (its answer was lost).
    pub repeat: bool,
}

/// What one sender saw.
#[derive(Debug, Default)]
pub struct SendLog {
    pub acks: Vec<Ack>,
    /// Answers to attempts that were not acknowledged, by status ("refused" for no
    /// answer at all: connection refused or cut).
    pub failures: BTreeMap<String, usize>,
    /// Unacknowledged answers that broke the rules (a 5xx but 503, a 503 without
    /// `Retry-After` or `database_unavailable`, a hang), described.
    pub faults: Vec<String>,
}

/// What one reader saw.
#[derive(Debug, Default)]
pub struct ReadLog {
    /// `(thread, message id, when)` of every `message.created`, in arrival order.
    pub created: Vec<(String, String, Instant)>,
    /// `(position, connection number)` of each of `created`, for failure reports.
    pub positions: Vec<(String, usize)>,
    pub resets: usize,
    /// Connections that ended (server gone, stream closed) and were opened again.
    pub reconnects: usize,
    /// Refused attempts to open the stream, by status.
    pub open_failures: BTreeMap<String, usize>,
}

/// Traffic under way.
pub struct Traffic {
    senders: Vec<JoinHandle<SendLog>>,
    readers: Vec<JoinHandle<ReadLog>>,
    received: Vec<Arc<AtomicUsize>>,
    acked: Arc<AtomicUsize>,
    stop_readers: CancellationToken,
    deadline: Instant,
}

/// What the traffic did, once [`Traffic::finish`] checked it.
pub struct Outcome {
    pub sends: Vec<SendLog>,
    pub reads: Vec<ReadLog>,
}

impl Outcome {
    /// Unacknowledged attempts of every sender, by status.
    pub fn failures(&self) -> BTreeMap<String, usize> {
        let mut all = BTreeMap::new();
        for log in &self.sends {
            for (k, n) in &log.failures {
                *all.entry(k.clone()).or_default() += n;
            }
        }
        all
    }

    pub fn faults(&self) -> Vec<String> {
        self.sends.iter().flat_map(|s| s.faults.clone()).collect()
    }

    pub fn acks(&self) -> impl Iterator<Item = &Ack> {
        self.sends.iter().flat_map(|s| s.acks.iter())
    }
}

impl Traffic {
    /// Opens every reader's stream (and waits until all are open), then starts sending.
    pub async fn start(crowd: &Crowd, plan: Plan) -> Traffic {
        let stop_readers = CancellationToken::new();
        let opened = Arc::new(AtomicUsize::new(0));
        let mut readers = Vec::new();
        let mut received = Vec::new();
        for (i, reader) in crowd.readers.iter().enumerate() {
            let count = Arc::new(AtomicUsize::new(0));
            received.push(count.clone());
            let reconnect = plan.reconnect + Duration::from_millis(100) * i as u32;
            readers.push(tokio::spawn(read(
                reader.clone(),
                Progress {
                    received: count,
                    opened: opened.clone(),
                },
                stop_readers.clone(),
                Timing {
                    reconnect,
                    hang_up_after: plan.hang_up_after,
                    deadline: plan.deadline,
                },
            )));
        }
        let wait_until = Instant::now() + Duration::from_secs(30);
        while opened.load(Ordering::SeqCst) < crowd.readers.len() {
            assert!(Instant::now() < wait_until, "the readers' streams opened");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let acked = Arc::new(AtomicUsize::new(0));
        let senders = crowd
            .senders
            .iter()
            .enumerate()
            .map(|(i, sender)| {
                // Each sender goes round the conversations, starting at its own.
                let mut threads = crowd.threads.clone();
                let turn = i % threads.len();
                threads.rotate_left(turn);
                tokio::spawn(send(sender.clone(), threads, plan, acked.clone()))
            })
            .collect();
        Traffic {
            senders,
            readers,
            received,
            acked,
            stop_readers,
            deadline: plan.deadline,
        }
    }

    /// Sends acknowledged so far, by every sender.
    pub fn acked(&self) -> usize {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits (bounded by the deadline) until at least `n` sends were acknowledged.
    pub async fn wait_for_acks(&self, n: usize) {
        while self.acked() < n {
            assert!(
                Instant::now() < self.deadline,
                "only {} of {n} sends acknowledged in time",
                self.acked()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until every reader got at least `n` messages, at most `patience`.
    pub async fn wait_for_readers(&self, n: usize, patience: Duration) {
        let until = Instant::now() + patience;
        loop {
            let slowest = self
                .received
                .iter()
                .map(|r| r.load(Ordering::SeqCst))
                .min()
                .unwrap_or(n);
            if slowest >= n {
                return;
            }
            assert!(
                Instant::now() < until,
                "the slowest reader got {slowest} of {n} messages in {patience:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Lets the senders finish, waits for the readers to catch up with what is stored,
    /// stops them, and checks delivery against the database at `database_url`.
    pub async fn finish(self, database_url: &str, threads: &[String]) -> Outcome {
        let mut sends = Vec::new();
        for sender in self.senders {
            sends.push(sender.await.expect("a sender ran"));
        }
        let stored = stored_messages(database_url, threads).await;
        let total: usize = stored.values().map(Vec::len).sum();
        while self
            .received
            .iter()
            .any(|n| n.load(Ordering::SeqCst) < total)
            && Instant::now() < self.deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A moment for duplicates, if any were coming, to show up too.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.stop_readers.cancel();
        let mut reads = Vec::new();
        for reader in self.readers {
            reads.push(reader.await.expect("a reader ran"));
        }
        let outcome = Outcome { sends, reads };
        check(&outcome, &stored);
        outcome
    }
}

/// One stored message: its id and `clientId`.
#[derive(Debug)]
pub struct Stored {
    pub id: String,
    pub client_id: Option<String>,
    /// Its `message.created` event's position in the log.
    pub position: Option<String>,
}

/// The messages of each of `threads`, in commit order (`seq`).
pub async fn stored_messages(
    database_url: &str,
    threads: &[String],
) -> HashMap<String, Vec<Stored>> {
    let db = Database::connect(database_url).await.unwrap();
    let mut out = HashMap::new();
    for thread in threads {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT m.id::text AS id, m.client_id, \
                   (SELECT e.xid::text || '-' || e.id FROM events e \
                    WHERE e.kind = 'message.created' AND e.payload->>'id' = m.id::text) AS position \
                 FROM messages m WHERE m.thread_id = $1::text::uuid ORDER BY m.seq",
                [thread.clone().into()],
            ))
            .await
            .unwrap();
        let messages = rows
            .iter()
            .map(|r| Stored {
                id: r.try_get("", "id").unwrap(),
                client_id: r.try_get("", "client_id").unwrap(),
                position: r.try_get("", "position").unwrap(),
            })
            .collect();
        out.insert(thread.clone(), messages);
    }
    db.close().await.ok();
    out
}

/// The checks every fault-injection test makes.
fn check(outcome: &Outcome, stored: &HashMap<String, Vec<Stored>>) {
    // Every send was acknowledged in the end, each clientId with one message id.
    let sent: usize = outcome.sends.iter().map(|s| s.acks.len()).sum();
    let mut acked: HashMap<&str, &Ack> = HashMap::new();
    for ack in outcome.acks() {
        if let Some(first) = acked.insert(&ack.client_id, ack) {
            assert_eq!(
                first.id, ack.id,
                "a clientId acknowledged as two messages: {}",
                ack.client_id
            );
        }
    }
    // Stored once each: exactly the acknowledged messages, no others, none twice.
    let mut by_client_id: HashMap<&str, &Stored> = HashMap::new();
    for (thread, messages) in stored {
        for m in messages {
            let client_id = m
                .client_id
                .as_deref()
                .unwrap_or_else(|| panic!("a message nobody sent: {m:?}"));
            assert!(
                by_client_id.insert(client_id, m).is_none(),
                "{client_id} stored twice"
            );
            let ack = acked
                .get(client_id)
                .unwrap_or_else(|| panic!("{client_id} stored but never acknowledged"));
            assert_eq!(
                ack.id, m.id,
                "{client_id}: the acknowledged id is the stored one"
            );
            assert_eq!(
                &ack.thread, thread,
                "{client_id} stored in its conversation"
            );
        }
    }
    assert_eq!(
        by_client_id.len(),
        acked.len(),
        "every acknowledged send is stored ({sent} acknowledgements)"
    );
    // Every reader got every stored message once, in commit order per conversation.
    for (r, read) in outcome.reads.iter().enumerate() {
        assert_eq!(read.resets, 0, "reader {r} was told to reset");
        let mut per_thread: HashMap<&str, Vec<&str>> = HashMap::new();
        for (thread, id, _) in &read.created {
            per_thread.entry(thread).or_default().push(id);
        }
        for (thread, messages) in stored {
            let want: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
            let got = per_thread.remove(thread.as_str()).unwrap_or_default();
            if got != want {
                let seen: HashSet<&str> = got.iter().copied().collect();
                let missing = want.iter().filter(|id| !seen.contains(*id)).count();
                if let Some(lost) = want.iter().find(|id| !seen.contains(*id)) {
                    let at = want.iter().position(|id| id == lost).unwrap();
                    let around: Vec<_> = read
                        .created
                        .iter()
                        .zip(&read.positions)
                        .filter(|((_, id, _), _)| {
                            want[at.saturating_sub(3)..(at + 3).min(want.len())]
                                .contains(&id.as_str())
                        })
                        .map(|((_, id, _), pos)| (id.clone(), pos.clone()))
                        .collect();
                    eprintln!(
                        "reader {r} lost {lost} (seq {}, position {:?}); it got its neighbours \
                         as {around:?}; its first events: {:?}",
                        at + 1,
                        messages[at].position,
                        read.created
                            .iter()
                            .zip(&read.positions)
                            .take(12)
                            .map(|((t, _, _), p)| (&t[t.len() - 4..], p))
                            .collect::<Vec<_>>()
                    );
                }
                panic!(
                    "reader {r}, conversation {thread}: {} events for {} stored messages: \
                     {missing} missing, {} duplicates (else out of commit order); \
                     {} reconnects, {} events in all, stream refusals {:?}",
                    got.len(),
                    want.len(),
                    got.len() - seen.len(),
                    read.reconnects,
                    read.created.len(),
                    read.open_failures
                );
            }
        }
        assert!(
            per_thread.is_empty(),
            "reader {r} got messages of other conversations"
        );
    }
}

/// One sender: `plan.messages_per_sender` messages round `threads`, each retried with
/// the same `clientId` until acknowledged.
async fn send(
    user: TestUser,
    threads: Vec<String>,
    plan: Plan,
    acked: Arc<AtomicUsize>,
) -> SendLog {
    let mut log = SendLog::default();
    for k in 0..plan.messages_per_sender {
        let thread = &threads[k % threads.len()];
        let client_id = format!("{}-{k}", user.username);
        let body = json!({"threadId": thread, "content": format!("message {client_id}"), "clientId": client_id});
        loop {
            assert!(
                Instant::now() < plan.deadline,
                "{client_id} not acknowledged before the deadline: {log:?}"
            );
            let attempt = user
                .client()
                .post(user.url("/api/messages"))
                .json(&body)
                .timeout(SEND_PATIENCE)
                .send()
                .await;
            let response = match attempt {
                Ok(response) => response,
                Err(err) => {
                    if err.is_timeout() {
                        log.faults
                            .push(format!("{client_id}: no answer in {SEND_PATIENCE:?}"));
                    }
                    *log.failures.entry("refused".into()).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let status = response.status();
            if status.is_success() {
                let message: Value = response.json().await.unwrap();
                log.acks.push(Ack {
                    client_id: client_id.clone(),
                    id: id_str(&message).to_owned(),
                    thread: thread.clone(),
                    repeat: status == StatusCode::OK,
                });
                acked.fetch_add(1, Ordering::SeqCst);
                break;
            }
            *log.failures.entry(status.as_u16().to_string()).or_default() += 1;
            let retry_after = response.headers().contains_key("retry-after");
            let text = response.text().await.unwrap_or_default();
            let code = serde_json::from_str::<Value>(&text).unwrap_or_default()["code"].clone();
            if status != StatusCode::SERVICE_UNAVAILABLE
                || !retry_after
                || code != "database_unavailable"
            {
                log.faults.push(format!("{client_id}: {status} {text}"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(plan.pause).await;
    }
    log
}

/// Shared counters of a reader: messages it received, and whether its stream opened.
struct Progress {
    received: Arc<AtomicUsize>,
    opened: Arc<AtomicUsize>,
}

/// When a reader reconnects and gives up.
struct Timing {
    reconnect: Duration,
    hang_up_after: Option<Duration>,
    deadline: Instant,
}

/// One reader: holds the stream open until `stop`, reopening it `reconnect` after it
/// ended (or it hung up), with the last id.
async fn read(
    user: TestUser,
    progress: Progress,
    stop: CancellationToken,
    timing: Timing,
) -> ReadLog {
    let Progress { received, opened } = progress;
    let Timing {
        reconnect,
        hang_up_after,
        deadline,
    } = timing;
    use eventsource_stream::Eventsource;
    let mut log = ReadLog::default();
    // From the start of the log, not "from now": a reader that lost its first connection
    // before any event with an id would otherwise reopen without one and skip what was
    // sent in between (a fresh stream starts at the present).
    let mut last_id = String::from("0-0");
    let mut first = true;
    while !stop.is_cancelled() && Instant::now() < deadline {
        let mut request = user.client().get(user.url("/api/chat/sse"));
        if !last_id.is_empty() {
            request = request.header("Last-Event-ID", &last_id);
        }
        let response = tokio::select! {
            r = tokio::time::timeout(SEND_PATIENCE, request.send()) => r,
            () = stop.cancelled() => break,
        };
        let response = match response {
            Ok(Ok(r)) if r.status() == StatusCode::OK => r,
            other => {
                let why = match other {
                    Ok(Ok(r)) => r.status().as_u16().to_string(),
                    Ok(Err(_)) => "refused".into(),
                    Err(_) => "hung".into(),
                };
                *log.open_failures.entry(why).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if first {
            first = false;
            opened.fetch_add(1, Ordering::SeqCst);
        }
        let mut events = response.bytes_stream().eventsource();
        let hang_up = tokio::time::sleep(hang_up_after.unwrap_or(Duration::MAX / 4));
        tokio::pin!(hang_up);
        loop {
            let next = tokio::select! {
                next = events.next() => next,
                () = stop.cancelled() => return log,
                () = &mut hang_up => break,
            };
            let Some(Ok(event)) = next else { break };
            if !event.id.is_empty() {
                last_id = event.id.clone();
            }
            match event.event.as_str() {
                "message.created" => {
                    let data: Value = serde_json::from_str(&event.data).unwrap();
                    log.created.push((
                        data["threadId"].as_str().unwrap().to_owned(),
                        id_str(&data).to_owned(),
                        Instant::now(),
                    ));
                    log.positions.push((event.id.clone(), log.reconnects));
                    received.fetch_add(1, Ordering::SeqCst);
                }
                "reset" => log.resets += 1,
                _ => {}
            }
        }
        log.reconnects += 1;
        tokio::time::sleep(reconnect).await;
    }
    log
}
