//! What the stream tells besides messages: typing, presence, delivery and read receipts,
//! thread changes as each member sees them; the stream metrics; several instances
//! sharing Redis.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn typing_reaches_the_other_members_but_not_the_typist_and_outsiders_get_404() {
    let app = spawn_app().await;
    let (ana, ana_user) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (eve, _) = app.user("eve").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let mut bob_stream = Sse::open(&app, &bob, None).await;
    let mut ana_stream = Sse::open(&app, &ana, None).await;
    let r = post(&app, &ana, "/api/typing", json!({"threadId": thread["id"]})).await;
    assert_eq!(r.status(), 204);
    let (event, typing) = bob_stream.next_of("typing").await;
    assert_eq!(typing["userId"], ana_user["id"]);
    assert_eq!(typing["threadId"], thread["id"]);
    assert_eq!(typing["name"], "ana");
    assert!(
        event.id.is_empty() || event.id == bob_stream.last_id,
        "typing carries no id of its own"
    );
    let r = post(&app, &eve, "/api/typing", json!({"threadId": thread["id"]})).await;
    expect_error(r, reqwest::StatusCode::NOT_FOUND).await;
    // Ana's own stream skips her typing: the next thing she sees is bob's message.
    send(&app, &bob, &thread, "hi").await;
    let (event, _) = ana_stream.next_among(&["typing", "message.created"]).await;
    assert_eq!(event.event, "message.created");
}

#[tokio::test]
async fn presence_goes_online_with_a_stream_and_offline_after_it_closes() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    dm(&app, &ana, &bob_user).await;
    let mut ana_stream = Sse::open(&app, &ana, None).await;
    let bob_stream = Sse::open(&app, &bob, None).await;
    let (_, online) = ana_stream.next_of("presence").await;
    assert_eq!(online["userId"], bob_user["id"]);
    assert_eq!(online["status"], "ONLINE");
    let listed: Value = ok_json(ana.get(app.url("/api/chat/presence")).send().await.unwrap()).await;
    let bob_entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["userId"] == bob_user["id"])
        .expect("bob is in ana's presence list");
    assert_eq!(bob_entry["status"], "ONLINE");
    drop(bob_stream);
    let (_, offline) = ana_stream.next_of("presence").await;
    assert_eq!(offline["userId"], bob_user["id"]);
    assert_eq!(offline["status"], "OFFLINE");
    assert!(offline["lastSeen"].is_string());
}

#[tokio::test]
async fn presence_is_only_told_to_people_who_share_a_conversation() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (eve, _) = app.user("eve").await;
    let (_, cid_user) = app.user("cid").await;
    dm(&app, &ana, &bob_user).await;
    let eve_thread = dm(&app, &eve, &cid_user).await;
    let mut eve_stream = Sse::open(&app, &eve, None).await;
    let _bob_stream = Sse::open(&app, &bob, None).await;
    // Eve shares nothing with bob (only the open room): the next thing she sees is her
    // own conversation's message, not bob's presence.
    send(&app, &eve, &eve_thread, "marker").await;
    let (event, _) = eve_stream
        .next_among(&["presence", "message.created"])
        .await;
    assert_eq!(event.event, "message.created");
}

#[tokio::test]
async fn the_sender_sees_delivered_then_read_live() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let mut ana_stream = Sse::open(&app, &ana, None).await;
    let mut bob_stream = Sse::open(&app, &bob, None).await;
    let sent = send(&app, &ana, &thread, "did you get it?").await;
    assert_eq!(sent["status"], "sent");
    bob_stream.next_of("message.created").await;

    let (_, receipt) = ana_stream.next_of("delivered").await;
    assert_eq!(receipt["userId"], bob_user["id"]);
    assert_eq!(receipt["messageId"], sent["id"]);
    let stored = page(&app, &ana, &thread, None).await;
    assert_eq!(stored["messages"][0]["status"], "delivered");

    ok_json(
        post(
            &app,
            &bob,
            "/api/messages/read",
            json!({"threadId": thread["id"]}),
        )
        .await,
    )
    .await;
    let (_, read) = ana_stream.next_of("read").await;
    assert_eq!(read["userId"], bob_user["id"]);
    assert_eq!(read["messageId"], sent["id"]);
    let stored = page(&app, &ana, &thread, None).await;
    assert_eq!(stored["messages"][0]["status"], "read");
}

#[tokio::test]
async fn a_large_group_announces_delivery_to_everyone_once_instead_of_per_member() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let (ana, _) = app.user("ana").await;
    let mut clients = Vec::new();
    let mut users = Vec::new();
    for i in 0..33 {
        let (c, u) = app.user(&format!("member{i:02}")).await;
        clients.push(c);
        users.push(u);
    }
    let refs: Vec<&Value> = users.iter().collect();
    let team = group(&app, &ana, "big", &refs).await;
    let mut ana_stream = Sse::open(&app, &ana, None).await;
    let mut streams = Vec::new();
    for c in &clients {
        streams.push(Sse::open(&app, c, None).await);
    }
    let sent = send(&app, &ana, &team, "to all").await;
    for s in &mut streams {
        s.next_of("message.created").await;
    }
    let (_, receipt) = ana_stream.next_of("delivered").await;
    assert!(
        receipt["userId"].is_null(),
        "one receipt for everyone: {receipt}"
    );
    assert_eq!(receipt["messageId"], sent["id"]);
}

#[tokio::test]
async fn thread_changes_reach_each_member_as_they_see_the_thread() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (cid, cid_user) = app.user("cid").await;
    let team = group(&app, &ana, "team", &[&bob_user]).await;
    let mut bob_stream = Sse::open(&app, &bob, None).await;
    let mut cid_stream = Sse::open(&app, &cid, None).await;
    send(&app, &ana, &team, "unread for bob").await;
    ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "rename", "threadId": team["id"], "name": "renamed"}),
        )
        .await,
    )
    .await;
    let view = bob_stream
        .next_where("thread.updated", |v| v["name"] == "renamed")
        .await;
    assert_eq!(view["unreadCount"], 1, "bob's own unread count");
    ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "add", "threadId": team["id"], "userIds": [cid_user["id"]]}),
        )
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
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let mut stream = Sse::open(&app, &bob, None).await;
    send(&app, &ana, &thread, "counted").await;
    stream.next_of("message.created").await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "sse_open_streams",
        "sse_events_delivered_total",
        "sse_queue_drops_total",
        "sse_send_to_deliver_seconds_bucket",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
}

#[tokio::test]
async fn shutting_down_ends_open_streams() {
    let mut app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let mut stream = Sse::open(&app, &ana, None).await;
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
    let (ana, _) = a.user("ana").await;
    let (_, bob_user) = a.user("bob").await;
    let bob_on_b = new_client();
    assert_eq!(b.login(&bob_on_b, "bob", PASSWORD).await.status(), 200);
    let thread = dm(&a, &ana, &bob_user).await;
    let mut stream = Sse::open(&b, &bob_on_b, None).await;
    send(&a, &ana, &thread, "across instances").await;
    let (_, m) = stream.next_of("message.created").await;
    assert_eq!(m["content"], "across instances");
    let r = post(&a, &ana, "/api/typing", json!({"threadId": thread["id"]})).await;
    assert_eq!(r.status(), 204);
    let (_, typing) = stream.next_of("typing").await;
    assert_eq!(typing["threadId"], thread["id"]);
}
