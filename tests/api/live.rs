//! What the stream tells besides messages: typing, presence, delivery and read receipts,
//! thread changes as each member sees them; the stream metrics; several instances
//! sharing Redis.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn typing_reaches_the_other_members_but_not_the_typist_and_outsiders_get_404() {
    let app = spawn_app().await;
    let [ana, bob, eve] = app.users(["ana", "bob", "eve"]).await;
    let thread = ana.dm(&bob).await;
    let mut bob_stream = bob.stream().await;
    let mut ana_stream = ana.stream().await;
    let r = ana.typing(&thread).await;
    assert_eq!(r.status(), 204);
    let (event, typing) = bob_stream.next_of("typing").await;
    assert_eq!(typing["userId"], ana.id);
    assert_eq!(typing["threadId"], thread["id"]);
    assert_eq!(typing["name"], "ana");
    assert!(
        event.id.is_empty() || event.id == bob_stream.last_id,
        "typing carries no id of its own"
    );
    let r = eve.typing(&thread).await;
    expect_error(r, reqwest::StatusCode::NOT_FOUND).await;
    // Ana's own stream skips her typing: the next thing she sees is bob's message.
    bob.send(&thread, "hi").await;
    let (event, _) = ana_stream.next_among(&["typing", "message.created"]).await;
    assert_eq!(event.event, "message.created");
}

#[tokio::test]
async fn presence_goes_online_with_a_stream_and_offline_after_it_closes() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    ana.dm(&bob).await;
    let mut ana_stream = ana.stream().await;
    let bob_stream = bob.stream().await;
    let (_, online) = ana_stream.next_of("presence").await;
    assert_eq!(online["userId"], bob.id);
    assert_eq!(online["status"], "ONLINE");
    let listed: Value = ok_json(ana.get("/api/chat/presence").await).await;
    let bob_entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["userId"] == bob.id)
        .expect("bob is in ana's presence list");
    assert_eq!(bob_entry["status"], "ONLINE");
    drop(bob_stream);
    let (_, offline) = ana_stream.next_of("presence").await;
    assert_eq!(offline["userId"], bob.id);
    assert_eq!(offline["status"], "OFFLINE");
    assert!(offline["lastSeen"].is_string());
}

#[tokio::test]
async fn presence_is_only_told_to_people_who_share_a_conversation() {
    let app = spawn_app().await;
    let [ana, bob, eve, cid] = app.users(["ana", "bob", "eve", "cid"]).await;
    ana.dm(&bob).await;
    let eve_thread = eve.dm(&cid).await;
    let mut eve_stream = eve.stream().await;
    let _bob_stream = bob.stream().await;
    // Eve shares nothing with bob (only the open room): the next thing she sees is her
    // own conversation's message, not bob's presence.
    eve.send(&eve_thread, "marker").await;
    let (event, _) = eve_stream
        .next_among(&["presence", "message.created"])
        .await;
    assert_eq!(event.event, "message.created");
}

#[tokio::test]
async fn the_sender_sees_delivered_then_read_live() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let mut ana_stream = ana.stream().await;
    let mut bob_stream = bob.stream().await;
    let sent = ana.send(&thread, "did you get it?").await;
    assert_eq!(sent["status"], "sent");
    bob_stream.next_of("message.created").await;

    let (_, receipt) = ana_stream.next_of("delivered").await;
    assert_eq!(receipt["userId"], bob.id);
    assert_eq!(receipt["messageId"], sent["id"]);
    let stored = ana.messages(&thread).await;
    assert_eq!(stored["messages"][0]["status"], "delivered");

    bob.mark_read(&thread).await;
    let (_, read) = ana_stream.next_of("read").await;
    assert_eq!(read["userId"], bob.id);
    assert_eq!(read["messageId"], sent["id"]);
    let stored = ana.messages(&thread).await;
    assert_eq!(stored["messages"][0]["status"], "read");
}

/// Ana and 33 members in a group: larger than per-member receipts go.
async fn big_group(app: &TestApp) -> (TestUser, Vec<TestUser>, Value) {
    let ana = app.user("ana").await;
    let mut members = Vec::new();
    for i in 0..33 {
        members.push(app.user(&format!("member{i:02}")).await);
    }
    let refs: Vec<&TestUser> = members.iter().collect();
    let team = ana.group("big", &refs).await;
    (ana, members, team)
}

#[tokio::test]
async fn a_large_group_announces_delivery_to_everyone_once_instead_of_per_member() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let (ana, members, team) = big_group(&app).await;
    let mut ana_stream = ana.stream().await;
    let mut streams = Vec::new();
    for member in &members {
        streams.push(member.stream().await);
    }
    let sent = ana.send(&team, "to all").await;
    for s in &mut streams {
        s.next_of("message.created").await;
    }
    let (_, receipt) = ana_stream.next_of("delivered").await;
    assert!(
        receipt["userId"].is_null(),
        "one receipt for everyone: {receipt}"
    );
    assert_eq!(receipt["messageId"], sent["id"]);
    // Only the author's ticks change: a member who wrote nothing since hears nothing of
    // it. Had the receipt gone to them, it would come before the next message.
    let next = ana.send(&team, "again").await;
    loop {
        let (event, data) = streams[0]
            .next_among(&["delivered", "message.created"])
            .await;
        assert_ne!(event.event, "delivered", "not the author's: {data}");
        if data["id"] == next["id"] {
            break;
        }
    }
}

#[tokio::test]
async fn a_large_groups_receipt_waits_out_a_busy_thread_row_and_still_comes() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let db = app.db().await;
    let (ana, members, team) = big_group(&app).await;
    let thread: uuid::Uuid = team["id"].as_str().unwrap().parse().unwrap();
    let mut ana_stream = ana.stream().await;
    let mut streams = Vec::new();
    for member in &members {
        streams.push(member.stream().await);
    }
    // Every member's pointer reaches the message while the thread's row is held (as a
    // send would hold it), so the delivered-to-everyone point cannot move then. A flush
    // that slipped in before the lock spoils the attempt: send another message.
    let sql = |q: &str, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(DbBackend::Postgres, q, values)
    };
    let mut attempt = 0;
    let (sent, holder) = loop {
        attempt += 1;
        assert!(attempt <= 3, "a flush beat the lock three times");
        let sent = ana.send(&team, &format!("to all {attempt}")).await;
        let holder = db.begin().await.unwrap();
        holder
            .execute_raw(sql(
                "SELECT 1 FROM threads WHERE id = $1 FOR UPDATE",
                vec![thread.into()],
            ))
            .await
            .unwrap();
        for s in &mut streams {
            s.next_where("message.created", |m| m["id"] == sent["id"])
                .await;
        }
        let message: uuid::Uuid = sent["id"].as_str().unwrap().parse().unwrap();
        let state = || async {
            let row = db
                .query_one_raw(sql(
                    "SELECT (SELECT min(GREATEST(p.delivered_seq, p.read_seq)) >= m.seq
                             FROM thread_participants p
                             WHERE p.thread_id = m.thread_id AND p.left_at IS NULL) AS pointers,
                            t.delivered_upto >= m.seq AS point
                     FROM messages m JOIN threads t ON t.id = m.thread_id WHERE m.id = $1",
                    vec![message.into()],
                ))
                .await
                .unwrap()
                .unwrap();
            let pointers: bool = row.try_get("", "pointers").unwrap();
            let point: bool = row.try_get("", "point").unwrap();
            (pointers, point)
        };
        let mut settled = state().await;
        for _ in 0..100 {
            if settled.0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            settled = state().await;
        }
        assert!(settled.0, "every member's pointer reached the message");
        if !settled.1 {
            break (sent, holder);
        }
        holder.rollback().await.unwrap();
    };
    // At least one more flush runs into the held row.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    holder.rollback().await.unwrap();
    let receipt = ana_stream
        .next_where("delivered", |r| r["messageId"] == sent["id"])
        .await;
    assert!(receipt["userId"].is_null(), "{receipt}");
}

#[tokio::test]
async fn thread_changes_reach_each_member_as_they_see_the_thread() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let team = ana.group("team", &[&bob]).await;
    let mut bob_stream = bob.stream().await;
    let mut cid_stream = cid.stream().await;
    ana.send(&team, "unread for bob").await;
    ok_json(
        ana.thread_action(json!({"action": "rename", "threadId": team["id"], "name": "renamed"}))
            .await,
    )
    .await;
    let view = bob_stream
        .next_where("thread.updated", |v| v["name"] == "renamed")
        .await;
    assert_eq!(view["unreadCount"], 1, "bob's own unread count");
    ok_json(
        ana.thread_action(json!({"action": "add", "threadId": team["id"], "userIds": [cid.id]}))
            .await,
    )
    .await;
    let joined = cid_stream
        .next_where("thread.updated", |v| v["id"] == team["id"])
        .await;
    assert_eq!(joined["memberCount"], 3);
    assert_eq!(
        joined["unreadCount"], 0,
        "history before joining counts as read"
    );
}

#[tokio::test]
async fn the_metrics_count_streams_and_deliveries() {
    let (app, ana, bob, thread) = two_people_in_a_dm().await;
    let mut stream = bob.stream().await;
    // The recorder is the test process's: other tests move these too, never back.
    let before = app.metrics_text().await;
    ana.send(&thread, "counted").await;
    stream.next_of("message.created").await;
    let text = app.metrics_text().await;
    for name in [
        "sse_open_streams",
        "sse_events_delivered_total",
        "sse_queue_drops_total",
        "sse_send_to_deliver_seconds_bucket",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    for name in [
        "sse_events_delivered_total",
        "sse_send_to_deliver_seconds_count",
    ] {
        assert!(
            metric(&text, name) > metric(&before, name),
            "{name} did not count the delivery"
        );
    }
}

/// An unlabelled metric's value, 0 when it is not there yet.
fn metric(text: &str, name: &str) -> f64 {
    let name = format!("confab_{name} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&name))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

#[tokio::test]
async fn shutting_down_ends_open_streams() {
    let mut app = spawn_app().await;
    let ana = app.user("ana").await;
    let mut stream = ana.stream().await;
    app.stop().await;
    stream.expect_end().await;
}

/// Two instances on one database and one Redis: the doorbell and the ephemeral events
/// cross instances through Redis. The tailers' own timer is set to a minute, so only the
/// Redis doorbell can bring the message over in time.
#[tokio::test]
async fn with_redis_a_message_and_typing_cross_to_a_stream_on_another_instance() {
    let redis = [
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("EVENT_POLL_MS", "60000"),
    ];
    let a = spawn_app_with(&redis).await;
    let b = a.peer(&redis).await;
    let ana = a.user("ana").await;
    let bob = a.user("bob").await;
    let bob_on_b = b.sign_in(&bob).await;
    let thread = ana.dm(&bob).await;
    let mut stream = bob_on_b.stream().await;
    ana.send(&thread, "across instances").await;
    let (_, m) = stream.next_of("message.created").await;
    assert_eq!(m["content"], "across instances");
    let r = ana.typing(&thread).await;
    assert_eq!(r.status(), 204);
    let (_, typing) = stream.next_of("typing").await;
    assert_eq!(typing["threadId"], thread["id"]);
}
