//! Bad chat input through the JSON API, table-driven: every malformed, oversized or
//! contradictory request gets a clear JSON error, never a 500, and stores nothing. The
//! requests are built by hand on purpose.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn bad_chat_input_gets_clear_errors_never_a_500() {
    let (app, ana, bob, thread) = two_people_in_a_dm().await;
    let t = thread["id"].clone();
    let unknown = uuid::Uuid::new_v4();
    let c = ana.client();
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
        ("empty content", c.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "  \n "})), StatusCode::UNPROCESSABLE_ENTITY),
        ("oversized content", c.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x".repeat(10_001)})), StatusCode::PAYLOAD_TOO_LARGE),
        ("missing content", c.post(app.url("/api/messages")).json(&json!({"threadId": t})), StatusCode::UNPROCESSABLE_ENTITY),
        ("content not a string", c.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": 5})), StatusCode::UNPROCESSABLE_ENTITY),
        ("malformed thread id", c.post(app.url("/api/messages")).json(&json!({"threadId": "nope", "content": "x"})), StatusCode::UNPROCESSABLE_ENTITY),
        ("unknown thread", c.post(app.url("/api/messages")).json(&json!({"threadId": unknown, "content": "x"})), StatusCode::NOT_FOUND),
        ("bad client id", c.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x", "clientId": "has space"})), StatusCode::UNPROCESSABLE_ENTITY),
        ("reply elsewhere", c.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x", "replyToId": unknown})), StatusCode::UNPROCESSABLE_ENTITY),
        ("unknown message edit", c.patch(app.url("/api/messages")).json(&json!({"messageId": unknown, "content": "x"})), StatusCode::NOT_FOUND),
        ("malformed query id", c.get(app.url("/api/messages?threadId=nope")), StatusCode::BAD_REQUEST),
        ("missing thread id", c.get(app.url("/api/messages")), StatusCode::BAD_REQUEST),
        ("limit too large", c.get(app.url(&format!("/api/messages?threadId={}&limit=1000", t.as_str().unwrap()))), StatusCode::UNPROCESSABLE_ENTITY),
        ("foreign cursor", c.get(app.url(&format!("/api/messages?threadId={}&before={unknown}", t.as_str().unwrap()))), StatusCode::UNPROCESSABLE_ENTITY),
        ("unknown action", c.post(app.url("/api/threads")).json(&json!({"action": "explode"})), StatusCode::UNPROCESSABLE_ENTITY),
        ("dm with self", c.post(app.url("/api/threads")).json(&json!({"action": "create", "participantIds": [ok_json(ana.me().await).await["id"]]})), StatusCode::UNPROCESSABLE_ENTITY),
        ("dm with nobody", c.post(app.url("/api/threads")).json(&json!({"action": "create", "participantIds": [unknown]})), StatusCode::NOT_FOUND),
        ("group without name", c.post(app.url("/api/threads")).json(&json!({"action": "create", "kind": "group", "participantIds": [bob.id]})), StatusCode::UNPROCESSABLE_ENTITY),
        ("group name too long", c.post(app.url("/api/threads")).json(&json!({"action": "create", "name": "n".repeat(81), "participantIds": [bob.id]})), StatusCode::UNPROCESSABLE_ENTITY),
        ("leave a dm", c.post(app.url("/api/threads")).json(&json!({"action": "leave", "threadId": t})), StatusCode::UNPROCESSABLE_ENTITY),
        ("attachments", c.post(app.url("/api/messages")).json(&json!({"threadId": t, "content": "x", "attachmentIds": [unknown]})), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (what, request, status) in cases {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), status, "{what}");
        let body: Value = r
            .json()
            .await
            .unwrap_or_else(|_| panic!("{what}: JSON error"));
        assert!(body["error"].is_string(), "{what}");
    }
    assert!(
        ana.messages(&thread).await["messages"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
}
