//! Limits on what one person can do to others or to the server: people put in groups,
//! edits and reaction changes, the size of an edit history.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::helpers::{expect_error, ok_json, post, send, spawn_app_with};

#[tokio::test]
async fn putting_people_in_groups_beyond_the_hourly_budget_is_refused() {
    let app = spawn_app_with(&[("RATE_LIMIT_GROUP_ADDS_PER_HOUR", "3")]).await;
    let (ana, _) = app.user("ana").await;
    let mut people = Vec::new();
    for name in ["ben", "cid", "dan", "eve"] {
        people.push(app.user(name).await.1);
    }
    let too_many = post(
        &app,
        &ana,
        "/api/threads",
        json!({"action": "create", "name": "All", "participantIds": people.iter().map(|p| &p["id"]).collect::<Vec<_>>()}),
    )
    .await;
    expect_error(too_many, StatusCode::UNPROCESSABLE_ENTITY).await;
    let group = ok_json(
        post(
            &app,
            &ana,
            "/api/threads",
            json!({"action": "create", "name": "Two", "participantIds": [people[0]["id"], people[1]["id"]]}),
        )
        .await,
    )
    .await;
    let third = post(
        &app,
        &ana,
        "/api/threads",
        json!({"action": "add", "threadId": group["id"], "userIds": [people[2]["id"]]}),
    )
    .await;
    assert_eq!(third.status(), StatusCode::OK);
    let fourth = post(
        &app,
        &ana,
        "/api/threads",
        json!({"action": "add", "threadId": group["id"], "userIds": [people[3]["id"]]}),
    )
    .await;
    assert!(fourth.headers().contains_key("retry-after"));
    expect_error(fourth, StatusCode::TOO_MANY_REQUESTS).await;
    let view: Value = ok_json(
        ana.get(app.url(&format!("/api/threads/{}", group["id"].as_str().unwrap())))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(view["memberCount"], 4, "{view}");
}

#[tokio::test]
async fn edits_and_reaction_changes_share_a_per_minute_budget() {
    let app = spawn_app_with(&[("RATE_LIMIT_CHANGES_PER_MINUTE", "3")]).await;
    let (ana, _) = app.user("ana").await;
    let rooms: Value = ok_json(ana.get(app.url("/api/threads")).send().await.unwrap()).await;
    let general = &rooms[0];
    let message = send(&app, &ana, general, "first").await;
    let edit = |text: &'static str| {
        ana.request(Method::PATCH, app.url("/api/messages"))
            .json(&json!({"messageId": message["id"], "content": text}))
            .send()
    };
    assert_eq!(edit("second").await.unwrap().status(), StatusCode::OK);
    let react = json!({"messageId": message["id"], "emoji": "👍"});
    assert_eq!(
        post(&app, &ana, "/api/reactions", react.clone())
            .await
            .status(),
        StatusCode::OK
    );
    let unreact = ana
        .request(Method::DELETE, app.url("/api/reactions"))
        .json(&react)
        .send()
        .await
        .unwrap();
    assert_eq!(unreact.status(), StatusCode::OK);
    expect_error(edit("fourth").await.unwrap(), StatusCode::TOO_MANY_REQUESTS).await;
    let again = post(&app, &ana, "/api/reactions", react).await;
    expect_error(again, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn an_edit_history_keeps_the_newest_fifty_versions() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let (ana, _) = app.user("ana").await;
    let rooms: Value = ok_json(ana.get(app.url("/api/threads")).send().await.unwrap()).await;
    let message = send(&app, &ana, &rooms[0], "version 0").await;
    for n in 1..=60 {
        let response = ana
            .request(Method::PATCH, app.url("/api/messages"))
            .json(&json!({"messageId": message["id"], "content": format!("version {n}")}))
            .send()
            .await
            .unwrap();
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
