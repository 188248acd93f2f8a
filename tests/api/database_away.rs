//! The database going away and coming back: readiness says 503 within a second, requests
//! that need the database answer 503 with `Retry-After`, and everything recovers by itself.
//! Runs on a PostgreSQL cluster of the test's own, never the shared one.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::{helpers::*, private_pg::PrivatePg};

async fn readyz(app: &TestApp) -> (StatusCode, Duration) {
    let started = Instant::now();
    let status = app.get("/readyz").await.status();
    (status, started.elapsed())
}

#[tokio::test]
async fn while_the_database_is_away_requests_answer_503_and_recover_when_it_is_back() {
    let pg = PrivatePg::start();
    let url = pg.url("confab_away");
    let app = spawn_app_with(&[("DATABASE_URL", &url), ("DB_ACQUIRE_TIMEOUT_MS", "1000")]).await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let thread = ana.dm(&bob).await;
    ana.send(&thread, "before").await;
    assert_eq!(readyz(&app).await.0, StatusCode::OK);

    pg.stop();
    for _ in 0..5 {
        let (status, took) = readyz(&app).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "readiness with the database away"
        );
        assert!(
            took < Duration::from_millis(1500),
            "readiness took {took:?}"
        );
    }
    let requests = [
        ana.client().get(app.url("/api/threads")),
        ana.client()
            .post(app.url("/api/messages"))
            .json(&json!({"threadId": thread["id"], "content": "during"})),
        app.client
            .post(app.url("/api/auth/login"))
            .json(&json!({"username": "ana", "password": PASSWORD})),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key("retry-after"), "a Retry-After");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "database_unavailable", "{body}");
    }
    let (status, _) = app.get_page(ana.client(), "/chats").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a page");

    pg.pg_ctl_start();
    let deadline = Instant::now() + Duration::from_secs(20);
    while readyz(&app).await.0 != StatusCode::OK {
        assert!(Instant::now() < deadline, "readiness never came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = ana.send(&thread, "after").await;
    assert_eq!(after["content"], "after");
    let messages = ana.messages(&thread).await;
    let texts: Vec<&str> = messages["messages"]
        .as_array()
        .or(messages.as_array())
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        texts.contains(&"before") && texts.contains(&"after"),
        "{texts:?}"
    );
    assert!(!texts.contains(&"during"), "{texts:?}");
}
