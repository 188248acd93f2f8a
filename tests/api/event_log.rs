//! The event log's promise: a reader that resumes from its last position
//! while many transactions commit concurrently, in any order, sees every event exactly once,
//! in commit order within each thread.

use std::{collections::HashMap, time::Duration};

use confab::eventlog::{Kind, Position, read_after};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_resuming_reader_sees_every_concurrent_commit_once_and_in_thread_order() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off"), ("DB_POOL_SIZE", "20")]).await;
    let db = app.db().await;
    let ana = app.user("ana").await;
    let mut threads = Vec::new();
    for name in ["bob", "cid", "dan", "eve"] {
        let other = app.user(name).await;
        let t = ana.dm(&other).await;
        threads.push(t["id"].as_str().unwrap().to_owned());
    }
    // Remember where the log was before the writers start.
    let mut position = Position::START;
    while let Some(last) = read_after(&db, position, 1000).await.unwrap().events.last() {
        position = last.position;
    }
    let start = position;

    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (ana, thread) = (ana.clone(), threads[w % threads.len()].clone());
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                let r = ana
                    .send_with(json!({"threadId": thread, "content": format!("w{w} m{i}")}))
                    .await;
                assert_eq!(r.status(), 201);
            }
        }));
    }
    // Read in small batches while the writers run, resuming from the last position seen.
    let mut seen: Vec<(Position, Value)> = Vec::new();
    let reading = async {
        loop {
            let batch = read_after(&db, position, 7).await.unwrap().events;
            for e in &batch {
                assert!(e.position > position, "positions only grow");
                position = e.position;
                if e.kind == Some(Kind::MessageCreated) {
                    seen.push((e.position, serde_json::from_str(&e.payload).unwrap()));
                }
            }
            if seen.len() == WRITERS * EACH {
                break;
            }
            if batch.is_empty() {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), reading)
        .await
        .expect("the reader caught up");
    for w in writers {
        w.await.unwrap();
    }

    // Compare with the database: every stored message, once, and nothing else.
    let mut stored: Vec<Value> = Vec::new();
    for t in &threads {
        let mut before: Option<String> = None;
        loop {
            let mut url = format!("/api/messages?threadId={t}&limit=200");
            if let Some(b) = &before {
                url.push_str(&format!("&before={b}"));
            }
            let page: Value = ana.get(&url).await.json().await.unwrap();
            stored.extend(page["messages"].as_array().unwrap().iter().cloned());
            match page["nextCursor"].as_str() {
                Some(c) => before = Some(c.to_owned()),
                None => break,
            }
        }
    }
    assert_eq!(stored.len(), WRITERS * EACH);
    let mut ids: Vec<&str> = seen
        .iter()
        .map(|(_, m)| m["id"].as_str().unwrap())
        .collect();
    let mut stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
    ids.sort();
    stored_ids.sort();
    let unique = {
        let mut u = ids.clone();
        u.dedup();
        u.len()
    };
    assert_eq!(unique, ids.len(), "no duplicates");
    assert_eq!(ids, stored_ids, "no loss");
    // Within each thread, events came in commit order: seq 1, 2, 3, ...
    let mut last_seq: HashMap<String, i64> = HashMap::new();
    for (_, m) in &seen {
        let seq = m["seq"].as_i64().unwrap();
        let prev = last_seq
            .insert(m["threadId"].as_str().unwrap().to_owned(), seq)
            .unwrap_or(0);
        assert_eq!(seq, prev + 1, "thread order kept");
    }
    // And nothing new appears below the reader's position afterwards.
    let again = read_after(&db, start, 10_000).await.unwrap().events;
    assert_eq!(
        again
            .iter()
            .filter(|e| e.kind == Some(Kind::MessageCreated))
            .count(),
        WRITERS * EACH
    );
    db.close().await.unwrap();
}
