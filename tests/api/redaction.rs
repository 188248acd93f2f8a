//! A deleted message's text is gone from every path, replays of the event log included.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Sse, ok_json, post, send, spawn_app};

/// Every event of a replay from the start of the log up to the `message.created` of
/// `marker`, as raw data.
async fn replay_until(sse: &mut Sse, marker: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let event = sse.next().await;
        let done = event.event == "message.created" && event.data.contains(marker);
        seen.push(format!("{} {}", event.event, event.data));
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn a_deleted_message_is_not_replayed_to_old_or_new_members() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (cid, cid_user) = app.user("cid").await;
    let group = ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "create", "name": "Team", "participantIds": [bob_user["id"]]}),
        )
        .await,
    )
    .await;
    // Bob archives the group, so the next message writes a thread.updated with it as
    // his lastMessage.
    ok_json(
        post(
            &app,
            &bob,
            "/api/threads",
            json!({"action": "archive", "threadId": group["id"]}),
        )
        .await,
    )
    .await;
    let secret = send(&app, &ana, &group, "launch code zebra-4471").await;
    let edited = ana
        .request(Method::PATCH, app.url("/api/messages"))
        .json(&json!({"messageId": secret["id"], "content": "launch code zebra-4472"}))
        .send()
        .await
        .unwrap();
    assert!(edited.status().is_success(), "edit: {}", edited.status());
    let deleted = ana
        .request(Method::DELETE, app.url("/api/messages"))
        .json(&json!({"messageId": secret["id"]}))
        .send()
        .await
        .unwrap();
    assert!(
        deleted.status().is_success(),
        "delete: {}",
        deleted.status()
    );
    ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "add", "threadId": group["id"], "userIds": [cid_user["id"]]}),
        )
        .await,
    )
    .await;
    send(&app, &ana, &group, "marker-after-delete").await;

    for (who, client) in [("bob", &bob), ("cid", &cid)] {
        let mut sse = Sse::open(&app, client, Some("0-0")).await;
        let replayed = replay_until(&mut sse, "marker-after-delete").await;
        let created: Vec<&String> = replayed
            .iter()
            .filter(|e| e.contains(secret["id"].as_str().unwrap()))
            .collect();
        assert!(
            !created.is_empty(),
            "{who}'s replay should still carry the message's tombstone"
        );
        for event in &replayed {
            assert!(
                !event.contains("zebra-447"),
                "{who} was replayed a deleted message's text: {event}"
            );
        }
    }
    // The message itself reads as a tombstone.
    let page: Value = bob
        .get(app.url(&format!(
            "/api/messages?threadId={}",
            group["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = page.to_string();
    assert!(!text.contains("zebra-447"), "{text}");
}
