//! The chat core through the JSON API: conversations, messages and every rule.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn everyone_is_in_the_open_room_general() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, _) = app.user("bob").await;
    let a = threads(&app, &ana).await;
    let b = threads(&app, &bob).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["kind"], "open");
    assert_eq!(a[0]["name"], "General");
    assert_eq!(a[0]["id"], b[0]["id"]);
    assert_eq!(b[0]["memberCount"], 2);
    let m = send(&app, &ana, &a[0], "hello all").await;
    assert_eq!(
        page(&app, &bob, &b[0], None).await["messages"][0]["id"],
        m["id"]
    );
    let leave = post(
        &app,
        &ana,
        "/api/threads",
        json!({"action": "leave", "threadId": a[0]["id"]}),
    )
    .await;
    expect_error(leave, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn concurrent_dm_starts_for_one_pair_create_one_conversation() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let ana_user = ok_json(app.me(&ana).await).await;
    let mut calls = Vec::new();
    for i in 0..12 {
        let (client, other) = if i % 2 == 0 {
            (ana.clone(), bob_user.clone())
        } else {
            (bob.clone(), ana_user.clone())
        };
        let url = app.url("/api/threads");
        calls.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"action": "create", "participantIds": [other["id"]]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()["id"].clone()
        }));
    }
    let mut ids = Vec::new();
    for c in calls {
        ids.push(c.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one DM per pair: {ids:?}");
    let listed = threads(&app, &ana).await;
    let dms: Vec<_> = listed.iter().filter(|t| t["kind"] == "direct").collect();
    assert_eq!(dms.len(), 1);
    assert_eq!(dms[0]["name"], "bob");
    assert_eq!(dms[0]["participants"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn paging_through_130_messages_has_no_gaps_or_repeats() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    for i in 0..130 {
        send(&app, &ana, &thread, &format!("message {i}")).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let p = page(&app, &bob, &thread, cursor.as_deref()).await;
        let msgs = p["messages"].as_array().unwrap();
        let mut chunk: Vec<String> = msgs
            .iter()
            .map(|m| m["content"].as_str().unwrap().to_owned())
            .collect();
        assert!(chunk.len() <= 50);
        chunk.extend(seen);
        seen = chunk;
        match p["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..130).map(|i| format!("message {i}")).collect();
    assert_eq!(seen, expected);
    let first = page(&app, &bob, &thread, None).await;
    assert_eq!(first["messages"].as_array().unwrap().len(), 50);
    assert_eq!(
        first["messages"][49]["content"], "message 129",
        "newest last within the page"
    );
}

#[tokio::test]
async fn a_repeated_client_id_returns_the_first_message_and_stores_nothing() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let body = json!({"threadId": thread["id"], "content": "once", "clientId": "c-1"});
    let first = post(&app, &ana, "/api/messages", body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post(
        &app,
        &ana,
        "/api/messages",
        json!({"threadId": thread["id"], "content": "changed", "clientId": "c-1"}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["content"], "once");
    // Concurrent repeats meet on the unique key too.
    let mut calls = Vec::new();
    for _ in 0..8 {
        let (c, url, b) = (
            ana.clone(),
            app.url("/api/messages"),
            json!({"threadId": thread["id"], "content": "race", "clientId": "c-2"}),
        );
        calls.push(tokio::spawn(async move {
            c.post(url)
                .json(&b)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["id"]
                .clone()
        }));
    }
    let mut ids = Vec::new();
    for c in calls {
        ids.push(c.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    // Another author reusing the clientId gets their own message.
    let bobs = post(&app, &bob, "/api/messages", body).await;
    assert_eq!(bobs.status(), StatusCode::CREATED);
    let bobs: Value = bobs.json().await.unwrap();
    assert_ne!(bobs["id"], first["id"]);
    let p = page(&app, &ana, &thread, None).await;
    let contents: Vec<&str> = p["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["once", "race", "once"]);
    let seqs: Vec<i64> = p["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3], "no gaps left by refused repeats");
}

#[tokio::test]
async fn unread_counts_rise_and_clear_and_ticks_follow() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let m1 = send(&app, &ana, &thread, "one").await;
    assert_eq!(m1["status"], "sent");
    send(&app, &ana, &thread, "two").await;
    let unread = |list: Vec<Value>| {
        list.iter().find(|t| t["id"] == thread["id"]).unwrap()["unreadCount"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(unread(threads(&app, &bob).await), 2);
    assert_eq!(
        unread(threads(&app, &ana).await),
        0,
        "your own messages are not unread"
    );
    let bob_dm = threads(&app, &bob)
        .await
        .into_iter()
        .find(|t| t["id"] == thread["id"])
        .unwrap();
    assert_eq!(bob_dm["lastMessage"]["content"], "two");
    assert_eq!(bob_dm["name"], "ana");

    // Bob fetching the messages delivers them.
    page(&app, &bob, &thread, None).await;
    let p = page(&app, &ana, &thread, None).await;
    assert_eq!(p["messages"][1]["status"], "delivered");
    // Reading up to the first message.
    let r = ok_json(
        post(
            &app,
            &bob,
            "/api/messages/read",
            json!({"threadId": thread["id"], "messageId": m1["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(r["unreadCount"], 1);
    let p = page(&app, &ana, &thread, None).await;
    assert_eq!(p["messages"][0]["status"], "read");
    assert_eq!(p["messages"][1]["status"], "delivered");
    let r = ok_json(
        post(
            &app,
            &bob,
            "/api/messages/read",
            json!({"threadId": thread["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(r["unreadCount"], 0);
    assert_eq!(unread(threads(&app, &bob).await), 0);
    // Pointers never move back.
    ok_json(
        post(
            &app,
            &bob,
            "/api/messages/read",
            json!({"threadId": thread["id"], "messageId": m1["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        page(&app, &ana, &thread, None).await["messages"][1]["status"],
        "read"
    );
}

#[tokio::test]
async fn groups_show_read_by_n_of_m() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (_, cid_user) = app.user("cid").await;
    let g = ok_json(post(&app, &ana, "/api/threads", json!({"action": "create", "name": "Team", "participantIds": [bob_user["id"], cid_user["id"]]})).await).await;
    assert_eq!(g["kind"], "group");
    assert_eq!(g["memberCount"], 3);
    let m = send(&app, &ana, &g, "hi team").await;
    assert_eq!(
        (m["readCount"].as_i64(), m["recipientCount"].as_i64()),
        (Some(0), Some(2))
    );
    ok_json(
        post(
            &app,
            &bob,
            "/api/messages/read",
            json!({"threadId": g["id"]}),
        )
        .await,
    )
    .await;
    let p = page(&app, &ana, &g, None).await;
    assert_eq!(
        (
            p["messages"][0]["readCount"].as_i64(),
            p["messages"][0]["status"].as_str()
        ),
        (Some(1), Some("sent"))
    );
}

#[tokio::test]
async fn group_admins_manage_members_and_members_can_leave() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (cid, cid_user) = app.user("cid").await;
    let g = ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "create", "name": "Team", "participantIds": [bob_user["id"]]}),
        )
        .await,
    )
    .await;
    let id = g["id"].clone();
    assert_eq!(g["role"], "admin");
    let r = post(
        &app,
        &bob,
        "/api/threads",
        json!({"action": "rename", "threadId": id, "name": "Mine"}),
    )
    .await;
    expect_error(r, StatusCode::FORBIDDEN).await;
    let renamed = ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "rename", "threadId": id, "name": "Crew"}),
        )
        .await,
    )
    .await;
    assert_eq!(renamed["name"], "Crew");
    expect_error(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "rename", "threadId": id, "name": " "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Cid is not a member yet: he cannot see it.
    expect_error(
        cid.get(app.url(&format!("/api/threads/{}", id.as_str().unwrap())))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let added = ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "add", "threadId": id, "userIds": [cid_user["id"]]}),
        )
        .await,
    )
    .await;
    assert_eq!(added["memberCount"], 3);
    assert_eq!(
        threads(&app, &cid)
            .await
            .iter()
            .filter(|t| t["id"] == id)
            .count(),
        1
    );
    ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "remove", "threadId": id, "userId": cid_user["id"]}),
        )
        .await,
    )
    .await;
    expect_error(
        post(
            &app,
            &cid,
            "/api/messages",
            json!({"threadId": id, "content": "still here?"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Ana leaves: Bob becomes admin; Ana loses access.
    let left = post(
        &app,
        &ana,
        "/api/threads",
        json!({"action": "leave", "threadId": id}),
    )
    .await;
    assert_eq!(left.status(), StatusCode::NO_CONTENT);
    expect_error(
        ana.get(app.url(&format!("/api/messages?threadId={}", id.as_str().unwrap())))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let bobs = ok_json(
        bob.get(app.url(&format!("/api/threads/{}", id.as_str().unwrap())))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bobs["role"], "admin");
    assert_eq!(bobs["memberCount"], 1);
}

#[tokio::test]
async fn archiving_is_per_user_and_new_activity_brings_it_back() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let archive = || async {
        ok_json(
            post(
                &app,
                &bob,
                "/api/threads",
                json!({"action": "archive", "threadId": thread["id"]}),
            )
            .await,
        )
        .await
    };
    archive().await;
    assert!(
        threads(&app, &bob)
            .await
            .iter()
            .all(|t| t["id"] != thread["id"])
    );
    assert!(
        threads(&app, &ana)
            .await
            .iter()
            .any(|t| t["id"] == thread["id"])
    );
    let archived = ok_json(
        bob.get(app.url("/api/threads?archived=true"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(archived[0]["id"], thread["id"]);
    send(&app, &ana, &thread, "wake up").await;
    assert!(
        threads(&app, &bob)
            .await
            .iter()
            .any(|t| t["id"] == thread["id"])
    );
    // Writing in a conversation you archived brings it back too, read up to your message.
    archive().await;
    send(&app, &bob, &thread, "back").await;
    let mine = threads(&app, &bob).await;
    let back = mine
        .iter()
        .find(|t| t["id"] == thread["id"])
        .expect("the thread is back in bob's list");
    assert_eq!(back["unreadCount"], 0, "{back}");
}

#[tokio::test]
async fn only_authors_edit_and_authors_or_admins_delete() {
    let app = spawn_app().await;
    let (owner, _) = app.user("owner").await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let m = send(&app, &ana, &thread, "frist").await;
    expect_error(
        bob.patch(app.url("/api/messages"))
            .json(&json!({"messageId": m["id"], "content": "hacked"}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let edited = ok_json(
        ana.patch(app.url("/api/messages"))
            .json(&json!({"messageId": m["id"], "content": "first"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(edited["content"], "first");
    assert!(edited["editedAt"].is_string());
    expect_error(
        bob.delete(app.url("/api/messages"))
            .json(&json!({"messageId": m["id"]}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    // The owner is not in the DM: it stays invisible to them.
    expect_error(
        owner
            .delete(app.url("/api/messages"))
            .json(&json!({"messageId": m["id"]}))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let r = ana
        .delete(app.url("/api/messages"))
        .json(&json!({"messageId": m["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let p = page(&app, &bob, &thread, None).await;
    assert_eq!(
        p["messages"].as_array().unwrap().len(),
        1,
        "a tombstone remains"
    );
    assert_eq!(p["messages"][0]["content"], "");
    assert!(p["messages"][0]["deletedAt"].is_string());
    expect_error(
        ana.patch(app.url("/api/messages"))
            .json(&json!({"messageId": m["id"], "content": "again"}))
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
    // A system admin may delete in a room they are in.
    let general = threads(&app, &bob)
        .await
        .into_iter()
        .find(|t| t["kind"] == "open")
        .unwrap();
    let spam = send(&app, &bob, &general, "spam").await;
    let r = owner
        .delete(app.url("/api/messages"))
        .json(&json!({"messageId": spam["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn reactions_count_per_emoji_and_are_idempotent() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let m = send(&app, &ana, &thread, "react to me").await;
    for c in [&ana, &bob, &bob] {
        ok_json(
            post(
                &app,
                c,
                "/api/reactions",
                json!({"messageId": m["id"], "emoji": "👍"}),
            )
            .await,
        )
        .await;
    }
    let v = ok_json(
        post(
            &app,
            &bob,
            "/api/reactions",
            json!({"messageId": m["id"], "emoji": "🎉"}),
        )
        .await,
    )
    .await;
    assert_eq!(v["reactions"][0]["emoji"], "👍");
    assert_eq!(v["reactions"][0]["count"], 2);
    assert_eq!(v["reactions"][1]["count"], 1);
    let v = ok_json(
        bob.delete(app.url("/api/reactions"))
            .json(&json!({"messageId": m["id"], "emoji": "👍"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["reactions"][0]["count"], 1);
    assert_eq!(
        v["reactions"][0]["userIds"][0],
        ok_json(app.me(&ana).await).await["id"]
    );
    expect_error(
        post(
            &app,
            &bob,
            "/api/reactions",
            json!({"messageId": m["id"], "emoji": "no spaces"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn blocked_users_cannot_start_or_post_in_a_dm_with_the_blocker() {
    let app = spawn_app().await;
    let (ana, ana_user) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (cid, _) = app.user("cid").await;
    let thread = dm(&app, &bob, &ana_user).await;
    let r = post(&app, &ana, "/api/blocks", json!({"userId": bob_user["id"]})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok_json(ana.get(app.url("/api/blocks")).send().await.unwrap()).await[0],
        bob_user["id"]
    );
    expect_error(
        post(
            &app,
            &bob,
            "/api/messages",
            json!({"threadId": thread["id"], "content": "hey"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Starting a DM fresh is refused too (a new app user with no DM yet).
    let (dan, _) = app.user("dan").await;
    let dan_id = ok_json(app.me(&dan).await).await["id"].clone();
    let r = post(&app, &ana, "/api/blocks", json!({"userId": dan_id})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = post(
        &app,
        &dan,
        "/api/threads",
        json!({"action": "create", "participantIds": [ana_user["id"]]}),
    )
    .await;
    expect_error(r, StatusCode::FORBIDDEN).await;
    // Others are unaffected; unblocking restores posting.
    let r = post(
        &app,
        &cid,
        "/api/threads",
        json!({"action": "create", "participantIds": [ana_user["id"]]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = ana
        .delete(app.url("/api/blocks"))
        .json(&json!({"userId": bob_user["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        post(
            &app,
            &bob,
            "/api/messages",
            json!({"threadId": thread["id"], "content": "hey"})
        )
        .await
        .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn non_members_get_not_found_on_every_thread_scoped_endpoint() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (_, bob_user) = app.user("bob").await;
    let (eve, _) = app.user("eve").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let m = send(&app, &ana, &thread, "private").await;
    let (t, mid) = (thread["id"].clone(), m["id"].clone());
    let ts = t.as_str().unwrap();
    let calls: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "get thread",
            eve.get(app.url(&format!("/api/threads/{ts}"))),
        ),
        (
            "list messages",
            eve.get(app.url(&format!("/api/messages?threadId={ts}"))),
        ),
        (
            "send",
            eve.post(app.url("/api/messages"))
                .json(&json!({"threadId": t, "content": "hi"})),
        ),
        (
            "edit",
            eve.patch(app.url("/api/messages"))
                .json(&json!({"messageId": mid, "content": "hi"})),
        ),
        (
            "delete",
            eve.delete(app.url("/api/messages"))
                .json(&json!({"messageId": mid})),
        ),
        (
            "read",
            eve.post(app.url("/api/messages/read"))
                .json(&json!({"threadId": t})),
        ),
        (
            "react",
            eve.post(app.url("/api/reactions"))
                .json(&json!({"messageId": mid, "emoji": "x"})),
        ),
        (
            "unreact",
            eve.delete(app.url("/api/reactions"))
                .json(&json!({"messageId": mid, "emoji": "x"})),
        ),
        (
            "leave",
            eve.post(app.url("/api/threads"))
                .json(&json!({"action": "leave", "threadId": t})),
        ),
        (
            "rename",
            eve.post(app.url("/api/threads"))
                .json(&json!({"action": "rename", "threadId": t, "name": "x"})),
        ),
        (
            "add",
            eve.post(app.url("/api/threads"))
                .json(&json!({"action": "add", "threadId": t, "userIds": []})),
        ),
        (
            "remove",
            eve.post(app.url("/api/threads"))
                .json(&json!({"action": "remove", "threadId": t, "userId": bob_user["id"]})),
        ),
        (
            "archive",
            eve.post(app.url("/api/threads"))
                .json(&json!({"action": "archive", "threadId": t})),
        ),
        (
            "unarchive",
            eve.post(app.url("/api/threads"))
                .json(&json!({"action": "unarchive", "threadId": t})),
        ),
    ];
    for (what, request) in calls {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{what}");
        let body: Value = r.json().await.unwrap();
        assert!(
            !body.to_string().contains("private"),
            "{what} leaked content"
        );
    }
    assert_eq!(
        page(&app, &ana, &thread, None).await["messages"][0]["content"],
        "private",
        "nothing changed"
    );
}

#[tokio::test]
async fn bad_chat_input_gets_clear_errors_never_a_500() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (_, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let t = thread["id"].clone();
    let unknown = uuid::Uuid::new_v4();
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
        ("empty content", ana.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "  \n "})), StatusCode::UNPROCESSABLE_ENTITY),
        ("oversized content", ana.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x".repeat(10_001)})), StatusCode::PAYLOAD_TOO_LARGE),
        ("missing content", ana.post(app.url("/api/messages")).json(&json!({"threadId": t})), StatusCode::UNPROCESSABLE_ENTITY),
        ("content not a string", ana.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": 5})), StatusCode::UNPROCESSABLE_ENTITY),
        ("malformed thread id", ana.post(app.url("/api/messages")).json(&json!({"threadId": "nope", "content": "x"})), StatusCode::UNPROCESSABLE_ENTITY),
        ("unknown thread", ana.post(app.url("/api/messages")).json(&json!({"threadId": unknown, "content": "x"})), StatusCode::NOT_FOUND),
        ("bad client id", ana.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x", "clientId": "has space"})), StatusCode::UNPROCESSABLE_ENTITY),
        ("reply elsewhere", ana.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x", "replyToId": unknown})), StatusCode::UNPROCESSABLE_ENTITY),
        ("unknown message edit", ana.patch(app.url("/api/messages")).json(&json!({"messageId": unknown, "content": "x"})), StatusCode::NOT_FOUND),
        ("malformed query id", ana.get(app.url("/api/messages?threadId=nope")), StatusCode::BAD_REQUEST),
        ("missing thread id", ana.get(app.url("/api/messages")), StatusCode::BAD_REQUEST),
        ("limit too large", ana.get(app.url(&format!("/api/messages?threadId={}&limit=1000", t.as_str().unwrap()))), StatusCode::UNPROCESSABLE_ENTITY),
        ("foreign cursor", ana.get(app.url(&format!("/api/messages?threadId={}&before={unknown}", t.as_str().unwrap()))), StatusCode::UNPROCESSABLE_ENTITY),
        ("unknown action", ana.post(app.url("/api/threads")).json(&json!({"action": "explode"})), StatusCode::UNPROCESSABLE_ENTITY),
        ("dm with self", ana.post(app.url("/api/threads")).json(&json!({"action": "create", "participantIds": [ok_json(app.me(&ana).await).await["id"]]})), StatusCode::UNPROCESSABLE_ENTITY),
        ("dm with nobody", ana.post(app.url("/api/threads")).json(&json!({"action": "create", "participantIds": [unknown]})), StatusCode::NOT_FOUND),
        ("group without name", ana.post(app.url("/api/threads")).json(&json!({"action": "create", "kind": "group", "participantIds": [bob_user["id"]]})), StatusCode::UNPROCESSABLE_ENTITY),
        ("group name too long", ana.post(app.url("/api/threads")).json(&json!({"action": "create", "name": "n".repeat(81), "participantIds": [bob_user["id"]]})), StatusCode::UNPROCESSABLE_ENTITY),
        ("leave a dm", ana.post(app.url("/api/threads")).json(&json!({"action": "leave", "threadId": t})), StatusCode::UNPROCESSABLE_ENTITY),
        ("attachments", ana.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x", "attachmentIds": [unknown]})), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (what, request, status) in cases {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), status, "{what}");
        let body: Value = r
            .json()
            .await
            .unwrap_or_else(|_| panic!("{what}: JSON error"));
        assert!(body["error"].is_string(), "{what}");
    }
    assert!(
        page(&app, &ana, &thread, None).await["messages"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn sending_is_rate_limited_per_user() {
    let app = spawn_app_with(&[("RATE_LIMIT_MESSAGES_PER_MINUTE", "3")]).await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    for i in 0..3 {
        send(&app, &ana, &thread, &format!("m{i}")).await;
    }
    let r = post(
        &app,
        &ana,
        "/api/messages",
        json!({"threadId": thread["id"], "content": "one too many"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    send(&app, &bob, &thread, "bob still can").await;
}
