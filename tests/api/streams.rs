//! The JSON event stream's delivery promises: live delivery, resuming with
//! `Last-Event-ID` or `?lastEventId=`, each event once and in order, `reset` for unknown
//! or pruned positions, heartbeats, bounded queues.

use std::{collections::HashMap, time::Duration};

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_sent_message_reaches_the_recipients_stream_and_the_senders_other_streams() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let mut bob_stream = bob.stream().await;
    let mut ana_stream = ana.stream().await;

    let sent = ana.send(&thread, "hello bob").await;

    let (event, message) = bob_stream.next_of("message.created").await;
    assert_eq!(message["id"], sent["id"]);
    assert_eq!(message["content"], "hello bob");
    assert_eq!(message["threadId"], thread["id"]);
    assert!(!event.id.is_empty(), "stored events carry an id");
    let (_, own) = ana_stream.next_of("message.created").await;
    assert_eq!(own["id"], sent["id"]);
}

#[tokio::test]
async fn a_stream_resumed_from_its_last_id_gets_what_it_missed_once_and_in_order() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let mut stream = bob.stream().await;
    ana.send(&thread, "one").await;
    let (_, first) = stream.next_of("message.created").await;
    assert_eq!(first["content"], "one");
    let last = stream.last_id.clone();
    drop(stream);

    for text in ["two", "three", "four"] {
        ana.send(&thread, text).await;
    }
    // By header, like EventSource and hx-sse.
    let mut resumed = bob.stream_after(&last).await;
    for text in ["two", "three", "four"] {
        let (_, m) = resumed.next_of("message.created").await;
        assert_eq!(m["content"], text);
    }
    // And live from there, without repeating anything.
    ana.send(&thread, "five").await;
    let (_, m) = resumed.next_of("message.created").await;
    assert_eq!(m["content"], "five");

    // By query parameter, for clients that cannot set headers.
    let mut by_query = bob
        .stream_at(&format!("/api/chat/sse?lastEventId={last}"))
        .await;
    for text in ["two", "three", "four", "five"] {
        let (_, m) = by_query.next_of("message.created").await;
        assert_eq!(m["content"], text);
    }
}

#[tokio::test]
async fn after_a_server_restart_a_resuming_client_gets_what_was_sent_meanwhile() {
    let mut app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let mut stream = bob.stream().await;
    ana.send(&thread, "before the restart").await;
    stream.next_of("message.created").await;
    let last = stream.last_id.clone();
    app.restart().await;
    stream.expect_end().await;
    ana.send(&thread, "while bob was away").await;
    let mut resumed = bob.stream_after(&last).await;
    let (_, m) = resumed.next_of("message.created").await;
    assert_eq!(m["content"], "while bob was away");
}

#[tokio::test]
async fn an_unknown_or_malformed_last_event_id_gets_a_reset_then_live_events() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    for bad in ["garbage", "99999999999-1"] {
        let mut stream = bob.stream_after(bad).await;
        let first = stream.next().await;
        assert_eq!(first.event, "reset", "for {bad:?}");
        ana.send(&thread, bad).await;
        let (_, m) = stream.next_of("message.created").await;
        assert_eq!(m["content"], bad);
    }
}

#[tokio::test]
async fn a_cursor_older_than_the_retention_gets_a_reset() {
    let app = spawn_app_with(&[("EVENT_RETENTION_SECS", "1")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let mut stream = bob.stream().await;
    ana.send(&thread, "soon pruned").await;
    stream.next_of("message.created").await;
    let old = stream.last_id.clone();
    drop(stream);
    ana.send(&thread, "also pruned").await;

    // Wait (bounded) until the pruner has removed the events after `old`.
    let mut reset = false;
    for _ in 0..100 {
        let mut stream = bob.stream_after(&old).await;
        let event = stream.next().await;
        if event.event == "reset" {
            reset = true;
            break;
        }
        assert_eq!(event.event, "message.created", "replayed before pruning");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(reset, "the pruned cursor got a reset");
}

#[tokio::test]
async fn a_cursor_too_far_behind_gets_a_reset_instead_of_a_long_replay() {
    let app = spawn_app_with(&[("REPLAY_MAX_EVENTS", "5"), ("RATE_LIMITS", "off")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let mut stream = bob.stream().await;
    ana.send(&thread, "seen").await;
    stream.next_of("message.created").await;
    let old = stream.last_id.clone();
    drop(stream);
    ana.send(&thread, "one").await;
    let mut near = bob.stream_after(&old).await;
    let (_, replayed) = near.next_of("message.created").await;
    assert_eq!(replayed["content"], "one", "a short backlog is replayed");
    drop(near);
    for n in 0..6 {
        ana.send(&thread, &format!("more {n}")).await;
    }
    let mut far = bob.stream_after(&old).await;
    assert_eq!(far.next().await.event, "reset");
    // After the reset the stream goes on from "now" (messages committed just before it
    // may still come, as on any fresh stream).
    ana.send(&thread, "live again").await;
    far.next_where("message.created", |m| m["content"] == "live again")
        .await;
}

#[tokio::test]
async fn a_user_with_too_many_open_streams_gets_a_429_until_one_closes() {
    let app = spawn_app_with(&[("MAX_STREAMS_PER_USER", "2"), ("HEARTBEAT_SECS", "1")]).await;
    let ana = app.user("ana").await;
    let first = ana.stream().await;
    let _second = ana.stream().await;
    let third = ana.get("/api/chat/sse").await;
    assert_eq!(third.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    let body: serde_json::Value = third.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{body}");
    drop(first);
    let mut reopened = false;
    for _ in 0..50 {
        if ana.get("/api/chat/sse").await.status() == reqwest::StatusCode::OK {
            reopened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened, "a closed stream frees its place");
}

#[tokio::test]
async fn the_stream_starts_with_a_retry_hint_and_sends_heartbeats() {
    use futures_util::StreamExt;
    let app = spawn_app_with(&[("HEARTBEAT_SECS", "1")]).await;
    let ana = app.user("ana").await;
    let response = ana.get("/api/chat/sse").await;
    let mut body = response.bytes_stream();
    let mut text = String::new();
    while text.matches("\n:\n").count() < 2 {
        let chunk = tokio::time::timeout(PATIENCE, body.next())
            .await
            .expect("bytes in time")
            .expect("the stream stays open")
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(text.starts_with("retry: "), "{text:?}");
}

/// The delivery promises under load: many concurrent writers in several threads while a
/// client keeps dropping its stream and resuming from its last id; what it received is
/// compared with the database.
#[tokio::test]
async fn a_client_that_keeps_reconnecting_receives_every_message_once_in_thread_order() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("DB_POOL_SIZE", "20")]).await;
    let reader = app.user("reader").await;
    let mut threads = Vec::new();
    let mut writers = Vec::new();
    for name in ["writer1", "writer2", "writer3", "writer4"] {
        let writer = app.user(name).await;
        threads.push(writer.dm(&reader).await);
        writers.push(writer);
    }
    const EACH: usize = 40;
    let mut stream = reader.stream().await;
    let mut tasks = Vec::new();
    for (w, writer) in writers.iter().enumerate() {
        for lane in 0..2 {
            let (writer, thread) = (writer.clone(), threads[w]["id"].clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..EACH / 2 {
                    let r = writer
                        .send_with(
                            json!({"threadId": thread, "content": format!("{w}/{lane}/{i}")}),
                        )
                        .await;
                    assert_eq!(r.status(), 201);
                }
            }));
        }
    }
    let total = threads.len() * EACH;
    let mut received: Vec<Value> = Vec::new();
    let mut since_reconnect = 0;
    while received.len() < total {
        let (_, m) = stream.next_of("message.created").await;
        received.push(m);
        since_reconnect += 1;
        if since_reconnect == 9 {
            // Drop the connection mid-flight and resume from the last id seen.
            let last = stream.last_id.clone();
            stream = reader.stream_after(&last).await;
            since_reconnect = 0;
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut ids: Vec<&str> = received.iter().map(|m| m["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no duplicates");
    let mut stored = Vec::new();
    for t in &threads {
        let page = reader.messages(t).await;
        stored.extend(
            page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned()),
        );
    }
    stored.sort();
    assert_eq!(ids, stored, "no loss: exactly what the database holds");
    let mut last_seq: HashMap<&str, i64> = HashMap::new();
    for m in &received {
        let seq = m["seq"].as_i64().unwrap();
        let prev = last_seq.insert(m["threadId"].as_str().unwrap(), seq);
        assert_eq!(seq, prev.unwrap_or(0) + 1, "each thread in commit order");
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_and_loses_nothing_on_resume() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("STREAM_QUEUE", "8")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let token = bob.create_token("stalled").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A raw connection with a tiny receive buffer that is not read while messages flow.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let mut raw = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    raw.write_all(
        format!(
            "GET /api/chat/sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = [0u8; 12];
    raw.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    // More than the kernel's socket buffers can hold (4 MiB for the server's send buffer
    // here), so the stream's own queue must overflow.
    const SENT: i64 = 700;
    let big = "x".repeat(9_000);
    let senders: Vec<_> = (0..10)
        .map(|_| {
            let (ana, body) = (
                ana.clone(),
                json!({"threadId": thread["id"], "content": big}),
            );
            tokio::spawn(async move {
                for _ in 0..SENT / 10 {
                    let r = ana.send_with(body.clone()).await;
                    assert_eq!(r.status(), 201);
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    // The server gave up on the stream: reading it now reaches the response's end (the
    // last chunk; a stream still open would never end, and the read would time out).
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while !bytes.ends_with(b"\r\n0\r\n\r\n") {
        let n = tokio::time::timeout(PATIENCE, raw.read(&mut buf))
            .await
            .expect("the stalled stream was ended by the server")
            .unwrap();
        assert!(n > 0, "the connection closed before the stream's end");
        bytes.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&bytes);
    let got = text.matches("event: message.created").count() as i64;
    assert!(got < SENT, "the stream was cut short ({got} of {SENT})");
    let last = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .next_back()
        .expect("some events arrived before the cut")
        .to_owned();
    // Resuming from the last id received brings exactly the rest, in order.
    let mut resumed = bob.stream_after(&last).await;
    for seq in got + 1..=SENT {
        let (_, m) = resumed.next_of("message.created").await;
        assert_eq!(m["seq"].as_i64().unwrap(), seq);
    }
}
