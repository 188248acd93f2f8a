//! `thread.updated` keeps each member's `unreadCount` and `lastMessage` current, so a
//! client never counts messages itself: after sends, reads, edits and deletes, live and
//! after a resume.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

/// The next summary of `thread` whose last message says `text`.
async fn summary_saying(stream: &mut Sse, thread: &Value, text: &str) -> Value {
    stream
        .next_where("thread.updated", |v| {
            v["id"] == thread["id"] && v["lastMessage"]["content"] == text
        })
        .await
}

#[tokio::test]
async fn every_member_sees_their_unread_count_and_the_last_message_after_each_change() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let team = ana.group("team", &[&bob, &cid]).await;
    let mut bob_stream = bob.stream().await;
    let mut ana_stream = ana.stream().await;
    for text in ["one", "two", "three"] {
        ana.send(&team, text).await;
    }
    let bobs = summary_saying(&mut bob_stream, &team, "three").await;
    assert_eq!(bobs["unreadCount"], 3, "{bobs}");
    assert_eq!(bobs["name"], "team");
    assert_eq!(bobs["memberCount"], 3);
    let anas = summary_saying(&mut ana_stream, &team, "three").await;
    assert_eq!(anas["unreadCount"], 0, "her own messages are read: {anas}");
    // The participants are in every member's summary, not only in the first one loaded.
    for summary in [&bobs, &anas] {
        assert_eq!(
            summary["participants"].as_array().map(Vec::len),
            Some(3),
            "{summary}"
        );
    }

    // Bob reads; the next message counts from there, not from before his read.
    bob.mark_read(&team).await;
    let four = ana.send(&team, "four").await;
    let bobs = summary_saying(&mut bob_stream, &team, "four").await;
    assert_eq!(bobs["unreadCount"], 1, "{bobs}");

    let edited = ana.edit(&four, "four, edited").await;
    assert_eq!(edited.status(), 200);
    let bobs = summary_saying(&mut bob_stream, &team, "four, edited").await;
    assert_eq!(bobs["unreadCount"], 1);

    let deleted = ana.delete(&four).await;
    assert_eq!(deleted.status(), 204);
    let bobs = bob_stream
        .next_where("thread.updated", |v| {
            v["id"] == team["id"] && v["lastMessage"]["deleted"] == true
        })
        .await;
    assert_eq!(
        bobs["unreadCount"], 0,
        "a deleted message is not unread: {bobs}"
    );

    // Bob answers: he has read everything, and ana has one unread.
    bob.send(&team, "five").await;
    let bobs = summary_saying(&mut bob_stream, &team, "five").await;
    assert_eq!(bobs["unreadCount"], 0);
    let anas = summary_saying(&mut ana_stream, &team, "five").await;
    assert_eq!(anas["unreadCount"], 1, "{anas}");
}

#[tokio::test]
async fn a_resumed_stream_gets_the_counts_its_backlog_changed() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let mut bob_stream = bob.stream().await;
    ana.send(&thread, "a").await;
    bob_stream.next_of("message.created").await;
    let last_id = bob_stream.last_id.clone();
    drop(bob_stream);
    ana.send(&thread, "b").await;
    ana.send(&thread, "c").await;
    // Past the spacing of live updates: whatever the tailer sends of them went out
    // before the new stream opened, so this one learns the count from its replay.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut resumed = bob.stream_after(&last_id).await;
    let bobs = summary_saying(&mut resumed, &thread, "c").await;
    assert_eq!(bobs["unreadCount"], 3, "{bobs}");
    assert_eq!(
        bobs["name"], "ana",
        "the direct conversation as bob sees it"
    );
}

#[tokio::test]
async fn a_burst_of_messages_gives_fewer_updates_than_messages_and_the_right_count() {
    const BURST: usize = 30;
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let mut bob_stream = bob.stream().await;
    let texts: Vec<String> = (0..BURST).map(|i| format!("burst {i}")).collect();
    futures_util::future::join_all(texts.iter().map(|t| ana.send(&thread, t))).await;
    let mut updates = 0;
    loop {
        let (_, v) = bob_stream.next_of("thread.updated").await;
        updates += 1;
        if v["unreadCount"] == BURST {
            break;
        }
    }
    assert!(
        updates < BURST,
        "{updates} updates for {BURST} messages: updates of one thread are spaced out"
    );
}
