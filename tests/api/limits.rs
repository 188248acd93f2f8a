//! Limits on what one person can do to others or to the server: people put in groups,
//! edits and reaction changes, the size of an edit history.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::{expect_error, spawn_app_with};

#[tokio::test]
async fn putting_people_in_groups_beyond_the_hourly_budget_is_refused() {
    let app = spawn_app_with(&[("RATE_LIMIT_GROUP_ADDS_PER_HOUR", "3")]).await;
    let ana = app.user("ana").await;
    let mut people = Vec::new();
    for name in ["ben", "cid", "dan", "eve"] {
        people.push(app.user(name).await);
    }
    let everyone: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
    let too_many = ana
        .thread_action(json!({"action": "create", "name": "All", "participantIds": everyone}))
        .await;
    expect_error(too_many, StatusCode::UNPROCESSABLE_ENTITY).await;
    let group = ana.group("Two", &[&people[0], &people[1]]).await;
    let third = ana
        .thread_action(json!({"action": "add", "threadId": group["id"], "userIds": [people[2].id]}))
        .await;
    assert_eq!(third.status(), StatusCode::OK);
    let fourth = ana
        .thread_action(json!({"action": "add", "threadId": group["id"], "userIds": [people[3].id]}))
        .await;
    assert!(fourth.headers().contains_key("retry-after"));
    expect_error(fourth, StatusCode::TOO_MANY_REQUESTS).await;
    let view = ana
        .get_json(&format!("/api/threads/{}", group["id"].as_str().unwrap()))
        .await;
    assert_eq!(view["memberCount"], 4, "{view}");
}

#[tokio::test]
async fn edits_and_reaction_changes_share_a_per_minute_budget() {
    let app = spawn_app_with(&[("RATE_LIMIT_CHANGES_PER_MINUTE", "3")]).await;
    let ana = app.user("ana").await;
    let general = ana.threads().await.remove(0);
    let message = ana.send(&general, "first").await;
    assert_eq!(ana.edit(&message, "second").await.status(), StatusCode::OK);
    assert_eq!(ana.react(&message, "👍").await.status(), StatusCode::OK);
    assert_eq!(ana.unreact(&message, "👍").await.status(), StatusCode::OK);
    expect_error(
        ana.edit(&message, "fourth").await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    expect_error(
        ana.react(&message, "👍").await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
}

#[tokio::test]
async fn an_edit_history_keeps_the_newest_fifty_versions() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let ana = app.user("ana").await;
    let general = ana.threads().await.remove(0);
    let message = ana.send(&general, "version 0").await;
    for n in 1..=60 {
        let response = ana.edit(&message, &format!("version {n}")).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let db = Database::connect(format!(
        "postgres://postgres@127.0.0.1:5432/{}",
        app.db_name
    ))
    .await
    .unwrap();
    let row = db
        .query_one_raw(confab::db::stmt(
            "SELECT count(*) AS n, min(previous_content) FILTER (WHERE previous_content = 'version 10') AS oldest_kept,
                    bool_or(previous_content = 'version 9') AS lost_kept
             FROM message_edits WHERE message_id = $1::uuid",
            [message["id"].as_str().unwrap().to_owned().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let count: i64 = row.try_get("", "n").unwrap();
    let oldest: Option<String> = row.try_get("", "oldest_kept").unwrap();
    let older: Option<bool> = row.try_get("", "lost_kept").unwrap();
    assert_eq!(count, 50);
    assert_eq!(oldest.as_deref(), Some("version 10"));
    assert_eq!(older, Some(false));
    db.close().await.unwrap();
}
