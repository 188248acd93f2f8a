//! Full-text search: what a member may see and nothing else, by current text, with
//! prefixes, escaped highlights, filters, and pages without repeats.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestUser, spawn_app_with, two_people_in_a_dm};

async fn found(user: &TestUser, query: &str) -> Value {
    user.get_json(&format!("/api/search?{query}")).await
}

fn ids(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_unique_word_is_found_by_members_and_not_by_outsiders_or_former_members() {
    let (app, ana, bob, thread) = two_people_in_a_dm().await;
    let [cid, dan] = app.users(["cid", "dan"]).await;
    let said = ana.send(&thread, "the quokka deployment plan").await;
    for member in [&ana, &bob] {
        let page = found(member, "q=quokka").await;
        assert_eq!(ids(&page), [said["id"].as_str().unwrap()], "{page}");
        assert_eq!(page["results"][0]["threadId"], thread["id"]);
        assert_eq!(page["results"][0]["userId"], ana.id.as_str());
    }
    assert_eq!(ids(&found(&cid, "q=quokka").await), Vec::<String>::new());

    let group = ana.group("Crew", &[&bob, &dan]).await;
    ana.send(&group, "zebrafish sighting").await;
    assert_eq!(ids(&found(&dan, "q=zebrafish").await).len(), 1);
    let removed = ana
        .thread_action(json!({"action": "remove", "threadId": group["id"], "userId": dan.id}))
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(ids(&found(&dan, "q=zebrafish").await), Vec::<String>::new());
}

#[tokio::test]
async fn prefixes_match_edits_change_what_matches_and_deleted_messages_are_gone() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let message = ana.send(&thread, "the deployment went fine").await;
    assert_eq!(ids(&found(&bob, "q=deplo").await).len(), 1, "a prefix");
    assert_eq!(
        ids(&found(&bob, "q=DEPLOYMENT%20fine").await).len(),
        1,
        "all words, any case"
    );
    assert_eq!(
        ids(&found(&bob, "q=deployment%20nope").await).len(),
        0,
        "every word must match"
    );

    assert_eq!(
        ana.edit(&message, "the rollback went fine").await.status(),
        StatusCode::OK
    );
    assert_eq!(ids(&found(&bob, "q=deployment").await).len(), 0, "old text");
    assert_eq!(ids(&found(&bob, "q=rollback").await).len(), 1, "new text");

    assert!(ana.delete(&message).await.status().is_success());
    assert_eq!(ids(&found(&bob, "q=rollback").await).len(), 0, "deleted");
}

#[tokio::test]
async fn snippets_escape_markup_and_mark_the_matches() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    ana.send(
        &thread,
        "if x<y the capybara & friends <img src=x onerror=alert(1)>",
    )
    .await;
    let page = found(&bob, "q=capybara").await;
    let snippet = page["results"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>capybara</mark>"), "{snippet}");
    assert!(snippet.contains("&amp; friends"), "{snippet}");
    assert!(snippet.contains("&lt;"), "{snippet}");
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !without_marks.contains('<'),
        "only the marks are markup: {snippet}"
    );
}

#[tokio::test]
async fn results_page_through_in_order_without_repeats_and_filters_narrow_them() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let direct = ana.dm(&bob).await;
    let group = ana.group("Walruses", &[&bob]).await;
    for n in 0..30 {
        ana.send(&direct, &format!("walrus number {n}")).await;
    }
    for n in 0..15 {
        bob.send(&group, &format!("walrus walrus from bob {n}"))
            .await;
    }
    let mut seen = Vec::new();
    let mut path = "q=walrus".to_owned();
    loop {
        let page = found(&bob, &path).await;
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 20);
        seen.extend(page_ids);
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("q=walrus&cursor={cursor}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 45, "every hit once");
    assert_eq!(unique.len(), 45, "no repeats");
    let first = found(&bob, "q=walrus").await;
    assert_eq!(
        first["results"][0]["userId"],
        bob.id.as_str(),
        "the messages that say it twice rank first"
    );

    let in_group = found(
        &ana,
        &format!("q=walrus&threadId={}", group["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(ids(&in_group).len(), 15);
    let by_ana = found(&bob, &format!("q=walrus&userId={}", ana.id)).await;
    assert_eq!(ids(&by_ana).len(), 20);
    assert!(by_ana["nextCursor"].is_string());
    let future = found(&bob, "q=walrus&after=2999-01-01T00:00:00Z").await;
    assert_eq!(ids(&future).len(), 0);
    let past = found(&bob, "q=walrus&before=2999-01-01T00:00:00Z").await;
    assert_eq!(ids(&past).len(), 20);
}

#[tokio::test]
async fn bad_search_input_gets_a_clear_422() {
    let (_app, ana, _bob, _thread) = two_people_in_a_dm().await;
    for query in [
        "q=",
        "q=%21%21%21",
        "q=a%20b%20c%20d%20e%20f%20g%20h%20i",
        "q=x&cursor=garbage",
        "q=x&after=yesterday",
        "q=x&threadId=not-a-uuid",
    ] {
        let response = ana.get(&format!("/api/search?{query}")).await;
        let status = response.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{query}: {status}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string(), "{query}: {body}");
    }
}
