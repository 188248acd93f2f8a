//! Messages through the JSON API: paging, repeated client ids, editing and deleting, and
//! the per-user send rate limit.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn paging_through_130_messages_has_no_gaps_or_repeats() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    for i in 0..130 {
        ana.send(&thread, &format!("message {i}")).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let p = match &cursor {
            Some(before) => bob.messages_before(&thread, before).await,
            None => bob.messages(&thread).await,
        };
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
    let first = bob.messages(&thread).await;
    assert_eq!(first["messages"].as_array().unwrap().len(), 50);
    assert_eq!(
        first["messages"][49]["content"], "message 129",
        "newest last within the page"
    );
}

#[tokio::test]
async fn a_repeated_client_id_returns_the_first_message_and_stores_nothing() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let body = json!({"threadId": thread["id"], "content": "once", "clientId": "c-1"});
    let first = ana.send_with(body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = ana
        .send_with(json!({"threadId": thread["id"], "content": "changed", "clientId": "c-1"}))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["content"], "once");
    // Concurrent repeats meet on the unique key too.
    let mut calls = Vec::new();
    for _ in 0..8 {
        let (ana, b) = (
            ana.clone(),
            json!({"threadId": thread["id"], "content": "race", "clientId": "c-2"}),
        );
        calls.push(tokio::spawn(async move {
            ana.send_with(b).await.json::<Value>().await.unwrap()["id"].clone()
        }));
    }
    let mut ids = Vec::new();
    for c in calls {
        ids.push(c.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    // Another author reusing the clientId gets their own message.
    let bobs = bob.send_with(body).await;
    assert_eq!(bobs.status(), StatusCode::CREATED);
    let bobs: Value = bobs.json().await.unwrap();
    assert_ne!(bobs["id"], first["id"]);
    let p = ana.messages(&thread).await;
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
async fn only_authors_edit_and_authors_or_admins_delete() {
    let app = spawn_app().await;
    let [owner, ana, bob] = app.users(["owner", "ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let m = ana.send(&thread, "frist").await;
    expect_error(bob.edit(&m, "hacked").await, StatusCode::FORBIDDEN).await;
    let edited = ok_json(ana.edit(&m, "first").await).await;
    assert_eq!(edited["content"], "first");
    assert!(edited["editedAt"].is_string());
    expect_error(bob.delete(&m).await, StatusCode::FORBIDDEN).await;
    // The owner is not in the DM: it stays invisible to them.
    expect_error(owner.delete(&m).await, StatusCode::NOT_FOUND).await;
    let r = ana.delete(&m).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let p = bob.messages(&thread).await;
    assert_eq!(
        p["messages"].as_array().unwrap().len(),
        1,
        "a tombstone remains"
    );
    assert_eq!(p["messages"][0]["content"], "");
    assert!(p["messages"][0]["deletedAt"].is_string());
    expect_error(ana.edit(&m, "again").await, StatusCode::CONFLICT).await;
    // A system admin may delete in a room they are in.
    let general = bob
        .threads()
        .await
        .into_iter()
        .find(|t| t["kind"] == "open")
        .unwrap();
    let spam = bob.send(&general, "spam").await;
    let r = owner.delete(&spam).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn sending_is_rate_limited_per_user() {
    let app = spawn_app_with(&[("RATE_LIMIT_MESSAGES_PER_MINUTE", "3")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    for i in 0..3 {
        ana.send(&thread, &format!("m{i}")).await;
    }
    let r = ana
        .send_with(json!({"threadId": thread["id"], "content": "one too many"}))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    bob.send(&thread, "bob still can").await;
}

#[tokio::test]
async fn messages_carry_their_markdown_as_sanitized_html_everywhere_the_api_shows_them() {
    let (app, ana, bob, thread) = two_people_in_a_dm().await;
    let mut stream = bob.stream().await;
    let text = "**hi** <img src=x onerror=alert(1)>\n```\nlet a = 1 < 2;\n```";
    let sent = ana.send(&thread, text).await;
    let html = sent["contentHtml"].as_str().unwrap();
    assert!(html.starts_with("<p><strong>hi</strong> &lt;img"), "{html}");
    assert!(
        html.contains("<pre><code>let a = 1 &lt; 2;\n</code></pre>"),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    assert_eq!(sent["content"], text, "the source stays as typed");

    let (_, created) = stream.next_of("message.created").await;
    assert_eq!(created["contentHtml"], sent["contentHtml"]);
    let listed = bob.messages(&thread).await;
    assert_eq!(listed["messages"][0]["contentHtml"], sent["contentHtml"]);

    let edited: Value = ana
        .edit(&sent, "see https://example.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        edited["contentHtml"],
        "<p>see <a href=\"https://example.com\" target=\"_blank\" rel=\"noopener nofollow ugc\">https://example.com</a></p>\n"
    );
    ana.delete(&sent).await;
    let listed = bob.messages(&thread).await;
    assert_eq!(
        listed["messages"][0]["contentHtml"], "",
        "a tombstone shows nothing"
    );

    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let fields = &doc["components"]["schemas"]["MessageView"]["properties"];
    assert!(fields.get("contentHtml").is_some(), "documented: {fields}");
}
