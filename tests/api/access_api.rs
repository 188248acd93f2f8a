//! Who may act in a conversation, through the JSON API: a blocked user can neither start
//! nor post in a DM with the blocker, and non-members get 404 from every thread-scoped
//! endpoint (a hand-built table) without a leak.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn blocked_users_cannot_start_or_post_in_a_dm_with_the_blocker() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let thread = bob.dm(&ana).await;
    let r = ana.block(&bob).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(ana.get_json("/api/blocks").await[0], bob.json["id"]);
    expect_error(
        bob.send_with(json!({"threadId": thread["id"], "content": "hey"}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Starting a DM fresh is refused too (a new app user with no DM yet).
    let dan = app.user("dan").await;
    let r = ana.block(&dan).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = dan
        .thread_action(json!({"action": "create", "participantIds": [ana.id]}))
        .await;
    expect_error(r, StatusCode::FORBIDDEN).await;
    // Others are unaffected; unblocking restores posting.
    let r = cid
        .thread_action(json!({"action": "create", "participantIds": [ana.id]}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = ana.unblock(&bob).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        bob.send_with(json!({"threadId": thread["id"], "content": "hey"}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn non_members_get_not_found_on_every_thread_scoped_endpoint() {
    let app = spawn_app().await;
    let [ana, bob, eve] = app.users(["ana", "bob", "eve"]).await;
    let thread = ana.dm(&bob).await;
    let m = ana.send(&thread, "private").await;
    let (t, mid) = (thread["id"].clone(), m["id"].clone());
    let ts = t.as_str().unwrap();
    let c = eve.client();
    let calls: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("get thread", c.get(app.url(&format!("/api/threads/{ts}")))),
        (
            "list messages",
            c.get(app.url(&format!("/api/messages?threadId={ts}"))),
        ),
        (
            "send",
            c.post(app.url("/api/messages"))
                .json(&json!({"threadId": t, "content": "hi"})),
        ),
        (
            "edit",
            c.patch(app.url("/api/messages"))
                .json(&json!({"messageId": mid, "content": "hi"})),
        ),
        (
            "delete",
            c.delete(app.url("/api/messages"))
                .json(&json!({"messageId": mid})),
        ),
        (
            "read",
            c.post(app.url("/api/messages/read"))
                .json(&json!({"threadId": t})),
        ),
        (
            "react",
            c.post(app.url("/api/reactions"))
                .json(&json!({"messageId": mid, "emoji": "👍"})),
        ),
        (
            "unreact",
            c.delete(app.url("/api/reactions"))
                .json(&json!({"messageId": mid, "emoji": "👍"})),
        ),
        (
            "leave",
            c.post(app.url("/api/threads"))
                .json(&json!({"action": "leave", "threadId": t})),
        ),
        (
            "rename",
            c.post(app.url("/api/threads"))
                .json(&json!({"action": "rename", "threadId": t, "name": "x"})),
        ),
        (
            "add",
            c.post(app.url("/api/threads"))
                .json(&json!({"action": "add", "threadId": t, "userIds": []})),
        ),
        (
            "remove",
            c.post(app.url("/api/threads"))
                .json(&json!({"action": "remove", "threadId": t, "userId": bob.id})),
        ),
        (
            "archive",
            c.post(app.url("/api/threads"))
                .json(&json!({"action": "archive", "threadId": t})),
        ),
        (
            "unarchive",
            c.post(app.url("/api/threads"))
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
        ana.messages(&thread).await["messages"][0]["content"],
        "private",
        "nothing changed"
    );
}
