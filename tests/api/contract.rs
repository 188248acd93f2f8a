//! The API's promises to bot authors: every JSON error has a stable `code` beside its text,
//! and membership changes name people the same way `create` does (`participantIds`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn body_of(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("error bodies are JSON")
}

#[tokio::test]
async fn every_kind_of_json_error_carries_its_stable_code() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "2")]).await;
    let owner = app.user("owner").await;
    let cases = [
        (app.me(&new_client()).await, StatusCode::UNAUTHORIZED),
        (app.get("/api/nothing").await, StatusCode::NOT_FOUND),
        (
            app.client.put(app.url("/api/me")).send().await.unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            app.register_with(
                &new_client(),
                json!({"username": "x", "password": PASSWORD}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            app.register_with(
                &new_client(),
                json!({"username": "owner", "password": PASSWORD}),
            )
            .await,
            StatusCode::CONFLICT,
        ),
        (
            owner
                .client()
                .post(app.url("/api/messages"))
                .header("content-type", "application/json")
                .body(vec![b' '; 2 * 1024 * 1024])
                .send()
                .await
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            owner
                .client()
                .post(app.url("/api/messages"))
                .header("content-type", "application/json")
                .body("{\"threadId\": ")
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (response, status) in cases {
        let body = body_of(response, status).await;
        assert_eq!(body["code"], code_of(status), "{status}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
        assert!(body.get("details").is_none(), "no details in production");
    }
    let mut last = None;
    for _ in 0..4 {
        last = Some(app.login(&new_client(), "owner", "wrong password").await);
    }
    let body = body_of(last.unwrap(), StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["code"], "rate_limited", "{body}");

    // The document lists the codes, so clients can generate them.
    let doc = ok_json(app.get("/api/openapi.json").await).await;
    let listed = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum in the OpenAPI document")
        .clone();
    for status in [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503] {
        let code = code_of(StatusCode::from_u16(status).unwrap());
        assert!(listed.contains(&json!(code)), "{code} is not in {listed:?}");
    }
}

#[tokio::test]
async fn add_and_remove_take_participant_ids_as_create_does() {
    let app = spawn_app().await;
    let [ana, bob_user, cid_user, dan_user] = app.users(["ana", "bob", "cid", "dan"]).await;
    let team = ana.group("team", &[&bob_user]).await;
    let (bob, cid, dan) = (&bob_user.json, &cid_user.json, &dan_user.json);
    let act = |body: Value| {
        let ana = &ana;
        async move { ok_json(ana.thread_action(body).await).await }
    };
    let added = act(json!({
        "action": "add", "threadId": team["id"], "participantIds": [cid["id"], dan["id"]]
    }))
    .await;
    assert_eq!(added["memberCount"], 4);
    let removed = act(json!({
        "action": "remove", "threadId": team["id"], "participantIds": [bob["id"], cid["id"]]
    }))
    .await;
    assert_eq!(removed["memberCount"], 2);
    let ids: Vec<&Value> = removed["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert!(ids.contains(&&dan["id"]) && !ids.contains(&&bob["id"]));

    // The older names still work.
    let again = act(json!({"action": "add", "threadId": team["id"], "userIds": [bob["id"]]})).await;
    assert_eq!(again["memberCount"], 3);
    let gone = act(json!({"action": "remove", "threadId": team["id"], "userId": bob["id"]})).await;
    assert_eq!(gone["memberCount"], 2);

    let nobody = ana
        .thread_action(json!({"action": "remove", "threadId": team["id"], "participantIds": []}))
        .await;
    expect_error(nobody, StatusCode::UNPROCESSABLE_ENTITY).await;
}
