//! A block holds everywhere the blocked person could reach the blocker: direct messages,
//! edits, reactions and typing in their conversation, and groups; and presence is only
//! shown to people who share a conversation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{expect_error, spawn_app, two_people_in_a_dm};

#[tokio::test]
async fn a_blocked_person_cannot_edit_react_or_type_in_the_direct_conversation() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let from_ana = ana.send(&thread, "hello bob").await;
    let from_bob = bob.send(&thread, "hello ana").await;
    assert_eq!(ana.block(&bob).await.status(), StatusCode::NO_CONTENT);

    let edit = bob.edit(&from_bob, "something new").await;
    expect_error(edit, StatusCode::FORBIDDEN).await;
    expect_error(bob.react(&from_ana, "👍").await, StatusCode::FORBIDDEN).await;
    expect_error(bob.typing(&thread).await, StatusCode::FORBIDDEN).await;

    // Nothing changed for ana.
    let page = ana.messages(&thread).await;
    let messages = page["messages"].as_array().unwrap();
    assert!(messages.iter().all(|m| m["reactions"] == json!([])));
    assert!(messages.iter().any(|m| m["content"] == "hello ana"));
}

#[tokio::test]
async fn a_blocked_person_cannot_put_the_blocker_in_a_group() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    assert_eq!(ana.block(&bob).await.status(), StatusCode::NO_CONTENT);

    let create = bob
        .thread_action(
            json!({"action": "create", "name": "Trap", "participantIds": [ana.id, cid.id]}),
        )
        .await;
    expect_error(create, StatusCode::FORBIDDEN).await;
    let group = bob.group("Later", &[&cid]).await;
    let add = bob
        .thread_action(json!({"action": "add", "threadId": group["id"], "userIds": [ana.id]}))
        .await;
    expect_error(add, StatusCode::FORBIDDEN).await;
    let anas = ana.threads().await;
    assert!(
        anas.iter()
            .all(|t| t["name"] != "Trap" && t["name"] != "Later"),
        "{anas:?}"
    );
}

#[tokio::test]
async fn presence_is_answered_only_for_people_who_share_a_conversation() {
    let app = spawn_app().await;
    let [ana, bob, eve] = app.users(["ana", "bob", "eve"]).await;
    ana.dm(&bob).await;
    // Bob and eve are online; ana shares a conversation with bob only (everyone is in
    // the open room, which does not count).
    let _bob_stream = bob.stream().await;
    let _eve_stream = eve.stream().await;
    let path = format!("/api/chat/presence?userIds={},{}", bob.id, eve.id);
    let mut listed = Value::Null;
    for _ in 0..50 {
        listed = ana.get_json(&path).await;
        if listed.to_string().contains("ONLINE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let entries = listed.as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|p| p["userId"] == bob.id.as_str() && p["status"] == "ONLINE"),
        "{listed}"
    );
    assert!(
        entries.iter().all(|p| p["userId"] != eve.id.as_str()),
        "eve's presence was given to a stranger: {listed}"
    );
    let found = ana.get_json("/api/users?q=eve").await;
    let eve_seen = &found.as_array().unwrap()[0];
    assert_eq!(eve_seen["status"], "OFFLINE", "{found}");
    assert!(eve_seen["lastSeen"].is_null(), "{found}");

    // A block ends it: bob blocks ana, and his presence is no longer hers to see.
    assert_eq!(bob.block(&ana).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(ana.get_json(&path).await, json!([]));
}
