//! @mentions: who a message mentions, the list and unread count, and the live count.

use std::collections::HashSet;

use crate::helpers::*;

/// The ids of the messages in a user's mention list, newest first.
fn listed(mentions: &serde_json::Value) -> Vec<String> {
    mentions["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_mention_creates_an_entry_for_the_mentioned_member_only() {
    let app = spawn_app().await;
    let [ana, bob, cat, eve] = app.users(["ana", "bob", "cat", "eve"]).await;
    let team = ana.group("team", &[&bob, &cat]).await;
    let m = ana
        .send(&team, "hi @Bob, see a@cat.example, and @eve and @ana")
        .await;

    let bobs = bob.mentions().await;
    assert_eq!(listed(&bobs), [id_str(&m)]);
    assert_eq!(bobs["unread"], 1);
    assert_eq!(bobs["mentions"][0]["read"], false);
    assert_eq!(bobs["mentions"][0]["threadName"], "team");
    for (who, other) in [
        ("cat", &cat),
        ("eve (not a member)", &eve),
        ("ana (the author)", &ana),
    ] {
        let theirs = other.mentions().await;
        assert!(listed(&theirs).is_empty(), "{who}: {theirs}");
        assert_eq!(theirs["unread"], 0, "{who}");
    }
}

#[tokio::test]
async fn everyone_mentions_the_other_members_of_a_group_but_nobody_in_a_direct_conversation() {
    let app = spawn_app().await;
    let [ana, bob, cat] = app.users(["ana", "bob", "cat"]).await;
    let team = ana.group("team", &[&bob, &cat]).await;
    bob.send(&team, "@everyone standup").await;
    assert_eq!(ana.mentions().await["unread"], 1);
    assert_eq!(cat.mentions().await["unread"], 1);
    assert_eq!(bob.mentions().await["unread"], 0);

    let dm = ana.dm(&bob).await;
    ana.send(&dm, "@here @everyone").await;
    assert_eq!(bob.mentions().await["unread"], 0, "no group, no @everyone");
}

#[tokio::test]
async fn edits_move_mentions_and_deletes_drop_them() {
    let app = spawn_app().await;
    let [ana, bob, cat] = app.users(["ana", "bob", "cat"]).await;
    let team = ana.group("team", &[&bob, &cat]).await;
    let m = ana.send(&team, "over to @bob").await;
    assert_eq!(bob.mentions().await["unread"], 1);

    ok_json(ana.edit(&m, "over to @cat").await).await;
    assert_eq!(bob.mentions().await["unread"], 0);
    assert!(listed(&bob.mentions().await).is_empty());
    assert_eq!(listed(&cat.mentions().await), [id_str(&m)]);

    assert!(ana.delete(&m).await.status().is_success());
    let cats = cat.mentions().await;
    assert!(listed(&cats).is_empty(), "{cats}");
    assert_eq!(cats["unread"], 0);
}

#[tokio::test]
async fn reading_past_a_mention_reads_it() {
    let (_app, ana, bob, dm) = two_people_in_a_dm().await;
    let first = ana.send(&dm, "@bob one").await;
    let second = ana.send(&dm, "@bob two").await;
    assert_eq!(bob.mentions().await["unread"], 2);
    bob.mark_read_up_to(&dm, &first).await;
    let bobs = bob.mentions().await;
    assert_eq!(bobs["unread"], 1);
    assert_eq!(
        listed(&bobs),
        [id_str(&second), id_str(&first)],
        "newest first"
    );
    assert_eq!(bobs["mentions"][0]["read"], false);
    assert_eq!(bobs["mentions"][1]["read"], true);
    bob.mark_read(&dm).await;
    assert_eq!(bob.mentions().await["unread"], 0);
}

#[tokio::test]
async fn mentions_page_newest_first_without_repeats() {
    let (_app, ana, bob, dm) = two_people_in_a_dm().await;
    let mut sent = Vec::new();
    for i in 0..25 {
        sent.push(ana.send(&dm, &format!("@bob number {i}")).await);
    }
    let first = bob.mentions().await;
    let cursor = first["nextCursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let second = bob
        .get_json(&format!("/api/mentions?before={cursor}"))
        .await;
    assert!(second["nextCursor"].is_null(), "{second}");
    let all: Vec<String> = listed(&first).into_iter().chain(listed(&second)).collect();
    let expected: Vec<String> = sent.iter().rev().map(|m| id_str(m).to_owned()).collect();
    assert_eq!(all, expected);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 25);
    let bad = bob.get("/api/mentions?before=not-an-id").await;
    expect_error(bad, reqwest::StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn the_unread_mention_count_rises_and_clears_on_the_stream() {
    let (_app, ana, bob, dm) = two_people_in_a_dm().await;
    let mut stream = bob.stream().await;
    ana.send(&dm, "ping @bob").await;
    let data = stream
        .next_where("mentions.updated", |d| d["unread"] == 1)
        .await;
    assert_eq!(data, serde_json::json!({"unread": 1}));
    ana.send(&dm, "no mention here").await;
    bob.mark_read(&dm).await;
    stream
        .next_where("mentions.updated", |d| d["unread"] == 0)
        .await;
}

#[tokio::test]
async fn the_mentions_page_links_to_each_message_and_the_nav_counts_them() {
    let (_app, ana, bob, dm) = two_people_in_a_dm().await;
    let m = ana.send(&dm, "look <b>here</b> @bob").await;
    let (status, page) = bob.get_page("/mentions").await;
    assert_eq!(status, 200);
    let link = format!(
        "/chats/{}?message={}#m-{}",
        id_str(&dm),
        id_str(&m),
        id_str(&m)
    );
    assert!(page.contains(&link), "{page}");
    assert!(
        page.contains("data-count=\"1\""),
        "the nav shows one unread: {page}"
    );
    assert!(
        page.contains("class=\"mention\" data-mention=\"bob\""),
        "{page}"
    );
    assert!(!page.contains("<b>here"), "markup stays inert");

    let (_, chat) = bob.get_page(&format!("/chats/{}", id_str(&dm))).await;
    assert!(
        chat.contains("data-mention=\"bob\""),
        "highlighted in the conversation"
    );
    let (_, after) = bob.get_page("/mentions").await;
    assert!(
        after.contains("data-count=\"0\""),
        "opening the conversation read it"
    );
}
