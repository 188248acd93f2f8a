//! Reading and reacting through the JSON API: unread counts, delivery and read ticks,
//! "read by n of m" in groups, and reactions per emoji.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn unread_counts_rise_and_clear_and_ticks_follow() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let m1 = ana.send(&thread, "one").await;
    assert_eq!(m1["status"], "sent");
    ana.send(&thread, "two").await;
    let unread = |list: Vec<Value>| {
        list.iter().find(|t| t["id"] == thread["id"]).unwrap()["unreadCount"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(unread(bob.threads().await), 2);
    assert_eq!(
        unread(ana.threads().await),
        0,
        "your own messages are not unread"
    );
    let bob_dm = bob.listed(&thread).await.unwrap();
    assert_eq!(bob_dm["lastMessage"]["content"], "two");
    assert_eq!(bob_dm["name"], "ana");

    // Bob fetching the messages delivers them.
    bob.messages(&thread).await;
    let p = ana.messages(&thread).await;
    assert_eq!(p["messages"][1]["status"], "delivered");
    // Reading up to the first message.
    let r = bob.mark_read_up_to(&thread, &m1).await;
    assert_eq!(r["unreadCount"], 1);
    let p = ana.messages(&thread).await;
    assert_eq!(p["messages"][0]["status"], "read");
    assert_eq!(p["messages"][1]["status"], "delivered");
    let r = bob.mark_read(&thread).await;
    assert_eq!(r["unreadCount"], 0);
    assert_eq!(unread(bob.threads().await), 0);
    // Pointers never move back.
    bob.mark_read_up_to(&thread, &m1).await;
    assert_eq!(ana.messages(&thread).await["messages"][1]["status"], "read");
}

#[tokio::test]
async fn groups_show_read_by_n_of_m() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let g = ana.group("Team", &[&bob, &cid]).await;
    assert_eq!(g["kind"], "group");
    assert_eq!(g["memberCount"], 3);
    let m = ana.send(&g, "hi team").await;
    assert_eq!(
        (m["readCount"].as_i64(), m["recipientCount"].as_i64()),
        (Some(0), Some(2))
    );
    bob.mark_read(&g).await;
    let p = ana.messages(&g).await;
    assert_eq!(
        (
            p["messages"][0]["readCount"].as_i64(),
            p["messages"][0]["status"].as_str()
        ),
        (Some(1), Some("sent"))
    );
}

#[tokio::test]
async fn reactions_count_per_emoji_and_are_idempotent() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let m = ana.send(&thread, "react to me").await;
    for who in [&ana, &bob, &bob] {
        ok_json(who.react(&m, "👍").await).await;
    }
    let v = ok_json(bob.react(&m, "🎉").await).await;
    assert_eq!(v["reactions"][0]["emoji"], "👍");
    assert_eq!(v["reactions"][0]["count"], 2);
    assert_eq!(v["reactions"][1]["count"], 1);
    let v = ok_json(bob.unreact(&m, "👍").await).await;
    assert_eq!(v["reactions"][0]["count"], 1);
    assert_eq!(
        v["reactions"][0]["userIds"][0],
        ok_json(ana.me().await).await["id"]
    );
    expect_error(
        bob.react(&m, "no spaces").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn any_emoji_is_a_reaction_and_anything_else_is_refused() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let m = ana.send(&thread, "react with anything").await;
    for emoji in ["🦄", "👍🏽", "🇯🇵", "👩‍💻", "🏳️‍🌈"] {
        ok_json(bob.react(&m, emoji).await).await;
    }
    // Without its variation selector, a heart is the same reaction as with it.
    ok_json(ana.react(&m, "❤").await).await;
    let v = ok_json(bob.react(&m, "❤️").await).await;
    let hearts: Vec<&Value> = v["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["emoji"] == "❤️")
        .collect();
    assert_eq!(hearts.len(), 1, "{v}");
    assert_eq!(hearts[0]["count"], 2);
    assert_eq!(v["reactions"].as_array().unwrap().len(), 6, "{v}");

    for bad in ["x", "ok", "1", "👍👍", "👍 x", "<b>", "🇯", "", "\u{200d}"] {
        let error = expect_error(bob.react(&m, bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(error.contains("emoji"), "{bad:?}: {error}");
    }
    let v = bob.messages(&thread).await;
    assert_eq!(v["messages"][0]["reactions"].as_array().unwrap().len(), 6);
}
