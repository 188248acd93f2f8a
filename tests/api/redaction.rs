//! A deleted message's text is gone from every path, replays of the event log included.

use serde_json::json;

use crate::helpers::{Sse, ok_json, spawn_app};

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
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let group = ana.group("Team", &[&bob]).await;
    // Bob archives the group, so the next message writes a thread.updated with it as
    // his lastMessage.
    ok_json(
        bob.thread_action(json!({"action": "archive", "threadId": group["id"]}))
            .await,
    )
    .await;
    let secret = ana.send(&group, "launch code zebra-4471").await;
    let edited = ana.edit(&secret, "launch code zebra-4472").await;
    assert!(edited.status().is_success(), "edit: {}", edited.status());
    let deleted = ana.delete(&secret).await;
    assert!(
        deleted.status().is_success(),
        "delete: {}",
        deleted.status()
    );
    ok_json(
        ana.thread_action(json!({"action": "add", "threadId": group["id"], "userIds": [cid.id]}))
            .await,
    )
    .await;
    ana.send(&group, "marker-after-delete").await;

    for (who, member) in [("bob", &bob), ("cid", &cid)] {
        let mut sse = member.stream_after("0-0").await;
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
    let page = bob.messages(&group).await;
    let text = page.to_string();
    assert!(!text.contains("zebra-447"), "{text}");
}
