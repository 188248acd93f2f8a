//! A block holds everywhere the blocked person could reach the blocker: direct messages,
//! edits, reactions and typing in their conversation, and groups; and presence is only
//! shown to people who share a conversation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Sse, dm, expect_error, ok_json, post, send, spawn_app};

async fn block(app: &crate::helpers::TestApp, by: &reqwest::Client, user: &Value) {
    let response = post(app, by, "/api/blocks", json!({"userId": user})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_blocked_person_cannot_edit_react_or_type_in_the_direct_conversation() {
    let app = spawn_app().await;
    let (ana, ana_user) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let thread = dm(&app, &ana, &bob_user).await;
    let from_ana = send(&app, &ana, &thread, "hello bob").await;
    let from_bob = send(&app, &bob, &thread, "hello ana").await;
    block(&app, &ana, &bob_user["id"]).await;

    let edit = bob
        .request(Method::PATCH, app.url("/api/messages"))
        .json(&json!({"messageId": from_bob["id"], "content": "something new"}))
        .send()
        .await
        .unwrap();
    expect_error(edit, StatusCode::FORBIDDEN).await;
    let react = post(
        &app,
        &bob,
        "/api/reactions",
        json!({"messageId": from_ana["id"], "emoji": "👍"}),
    )
    .await;
    expect_error(react, StatusCode::FORBIDDEN).await;
    let typing = post(&app, &bob, "/api/typing", json!({"threadId": thread["id"]})).await;
    expect_error(typing, StatusCode::FORBIDDEN).await;

    // Nothing changed for ana.
    let page: Value = ana
        .get(app.url(&format!(
            "/api/messages?threadId={}",
            thread["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = page["messages"].as_array().unwrap();
    assert!(messages.iter().all(|m| m["reactions"] == json!([])));
    assert!(messages.iter().any(|m| m["content"] == "hello ana"));
    let _ = ana_user;
}

#[tokio::test]
async fn a_blocked_person_cannot_put_the_blocker_in_a_group() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (_, cid_user) = app.user("cid").await;
    let ana_user: Value = ok_json(ana.get(app.url("/api/me")).send().await.unwrap()).await;
    block(&app, &ana, &bob_user["id"]).await;

    let create = post(
        &app,
        &bob,
        "/api/threads",
        json!({"action": "create", "name": "Trap", "participantIds": [ana_user["id"], cid_user["id"]]}),
    )
    .await;
    expect_error(create, StatusCode::FORBIDDEN).await;
    let group = ok_json(
        post(
            &app,
            &bob,
            "/api/threads",
            json!({"action": "create", "name": "Later", "participantIds": [cid_user["id"]]}),
        )
        .await,
    )
    .await;
    let add = post(
        &app,
        &bob,
        "/api/threads",
        json!({"action": "add", "threadId": group["id"], "userIds": [ana_user["id"]]}),
    )
    .await;
    expect_error(add, StatusCode::FORBIDDEN).await;
    let anas: Value = ok_json(ana.get(app.url("/api/threads")).send().await.unwrap()).await;
    assert!(
        anas.as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "Trap" && t["name"] != "Later"),
        "{anas}"
    );
}

#[tokio::test]
async fn presence_is_answered_only_for_people_who_share_a_conversation() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (eve, eve_user) = app.user("eve").await;
    dm(&app, &ana, &bob_user).await;
    // Bob and eve are online; ana shares a conversation with bob only (everyone is in
    // the open room, which does not count).
    let _bob_stream = Sse::open(&app, &bob, None).await;
    let _eve_stream = Sse::open(&app, &eve, None).await;
    let ids = format!(
        "{},{}",
        bob_user["id"].as_str().unwrap(),
        eve_user["id"].as_str().unwrap()
    );
    let mut listed = Value::Null;
    for _ in 0..50 {
        listed = ok_json(
            ana.get(app.url(&format!("/api/chat/presence?userIds={ids}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if listed.to_string().contains("ONLINE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let entries = listed.as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|p| p["userId"] == bob_user["id"] && p["status"] == "ONLINE"),
        "{listed}"
    );
    assert!(
        entries.iter().all(|p| p["userId"] != eve_user["id"]),
        "eve's presence was given to a stranger: {listed}"
    );
    let found: Value = ok_json(ana.get(app.url("/api/users?q=eve")).send().await.unwrap()).await;
    let eve_seen = &found.as_array().unwrap()[0];
    assert_eq!(eve_seen["status"], "OFFLINE", "{found}");
    assert!(eve_seen["lastSeen"].is_null(), "{found}");

    // A block ends it: bob blocks ana, and his presence is no longer hers to see.
    block(
        &app,
        &bob,
        &ok_json(ana.get(app.url("/api/me")).send().await.unwrap()).await["id"],
    )
    .await;
    let after: Value = ok_json(
        ana.get(app.url(&format!("/api/chat/presence?userIds={ids}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(after, json!([]), "{after}");
}
