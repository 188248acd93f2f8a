//! Conversations through the JSON API: the open room, DMs, groups and their admins,
//! archiving.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn everyone_is_in_the_open_room_general() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let a = ana.threads().await;
    let b = bob.threads().await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["kind"], "open");
    assert_eq!(a[0]["name"], "General");
    assert_eq!(a[0]["id"], b[0]["id"]);
    assert_eq!(b[0]["memberCount"], 2);
    let m = ana.send(&a[0], "hello all").await;
    assert_eq!(bob.messages(&b[0]).await["messages"][0]["id"], m["id"]);
    let leave = ana
        .thread_action(json!({"action": "leave", "threadId": a[0]["id"]}))
        .await;
    expect_error(leave, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn concurrent_dm_starts_for_one_pair_create_one_conversation() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let mut calls = Vec::new();
    for i in 0..12 {
        let (who, other) = if i % 2 == 0 {
            (ana.clone(), bob.id.clone())
        } else {
            (bob.clone(), ana.id.clone())
        };
        calls.push(tokio::spawn(async move {
            let r = who
                .thread_action(json!({"action": "create", "participantIds": [other]}))
                .await;
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
    let listed = ana.threads().await;
    let dms: Vec<_> = listed.iter().filter(|t| t["kind"] == "direct").collect();
    assert_eq!(dms.len(), 1);
    assert_eq!(dms[0]["name"], "bob");
    assert_eq!(dms[0]["participants"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn group_admins_manage_members_and_members_can_leave() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let g = ana.group("Team", &[&bob]).await;
    let id = g["id"].clone();
    assert_eq!(g["role"], "admin");
    let r = bob
        .thread_action(json!({"action": "rename", "threadId": id, "name": "Mine"}))
        .await;
    expect_error(r, StatusCode::FORBIDDEN).await;
    let renamed = ok_json(
        ana.thread_action(json!({"action": "rename", "threadId": id, "name": "Crew"}))
            .await,
    )
    .await;
    assert_eq!(renamed["name"], "Crew");
    expect_error(
        ana.thread_action(json!({"action": "rename", "threadId": id, "name": " "}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Cid is not a member yet: he cannot see it.
    expect_error(cid.thread(&g).await, StatusCode::NOT_FOUND).await;
    let added = ok_json(
        ana.thread_action(json!({"action": "add", "threadId": id, "userIds": [cid.id]}))
            .await,
    )
    .await;
    assert_eq!(added["memberCount"], 3);
    assert_eq!(
        cid.threads().await.iter().filter(|t| t["id"] == id).count(),
        1
    );
    ok_json(
        ana.thread_action(json!({"action": "remove", "threadId": id, "userId": cid.id}))
            .await,
    )
    .await;
    expect_error(
        cid.send_with(json!({"threadId": id, "content": "still here?"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Ana leaves: Bob becomes admin; Ana loses access.
    let left = ana
        .thread_action(json!({"action": "leave", "threadId": id}))
        .await;
    assert_eq!(left.status(), StatusCode::NO_CONTENT);
    expect_error(
        ana.get(&format!("/api/messages?threadId={}", id_str(&g)))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let bobs = ok_json(bob.thread(&g).await).await;
    assert_eq!(bobs["role"], "admin");
    assert_eq!(bobs["memberCount"], 1);
}

#[tokio::test]
async fn archiving_is_per_user_and_new_activity_brings_it_back() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let archive = || async {
        ok_json(
            bob.thread_action(json!({"action": "archive", "threadId": thread["id"]}))
                .await,
        )
        .await
    };
    archive().await;
    assert!(bob.threads().await.iter().all(|t| t["id"] != thread["id"]));
    assert!(ana.threads().await.iter().any(|t| t["id"] == thread["id"]));
    let archived = bob.get_json("/api/threads?archived=true").await;
    assert_eq!(archived[0]["id"], thread["id"]);
    ana.send(&thread, "wake up").await;
    assert!(bob.threads().await.iter().any(|t| t["id"] == thread["id"]));
    // Writing in a conversation you archived brings it back too, read up to your message.
    archive().await;
    bob.send(&thread, "back").await;
    let back = bob
        .listed(&thread)
        .await
        .expect("the thread is back in bob's list");
    assert_eq!(back["unreadCount"], 0, "{back}");
}
