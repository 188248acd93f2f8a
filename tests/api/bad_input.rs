//! Bad JSON bodies on every JSON endpoint: broken JSON is a 400 that says where it breaks,
//! well-formed JSON of the wrong shape is a 422, and neither is ever a 500.

use reqwest::{Method, StatusCode};

use crate::helpers::*;

/// Every endpoint that reads a JSON body.
const JSON_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/messages"),
    ("PATCH", "/api/messages"),
    ("DELETE", "/api/messages"),
    ("POST", "/api/messages/read"),
    ("POST", "/api/reactions"),
    ("DELETE", "/api/reactions"),
    ("POST", "/api/blocks"),
    ("DELETE", "/api/blocks"),
    ("POST", "/api/threads"),
    ("POST", "/api/tokens"),
    ("POST", "/api/typing"),
    ("POST", "/api/chat/presence"),
    (
        "PATCH",
        "/api/admin/users/00000000-0000-0000-0000-000000000000",
    ),
];

#[tokio::test]
async fn broken_json_is_a_400_saying_where_it_breaks_and_the_wrong_shape_a_422() {
    let app = spawn_app().await;
    // The first user is the OWNER, so the admin endpoint reads its body too.
    let client = app.user("ana").await;
    let cases: &[(&str, StatusCode, Option<&str>)] = &[
        (
            r#"{"threadId": "#,
            StatusCode::BAD_REQUEST,
            Some("line 1 column 13"),
        ),
        (
            "not json at all",
            StatusCode::BAD_REQUEST,
            Some("line 1 column 2"),
        ),
        (
            r#"{"a": 1,}"#,
            StatusCode::BAD_REQUEST,
            Some("line 1 column 9"),
        ),
        ("", StatusCode::BAD_REQUEST, Some("line 1 column 0")),
        ("[1, 2, 3]", StatusCode::UNPROCESSABLE_ENTITY, None),
        ("42", StatusCode::UNPROCESSABLE_ENTITY, None),
        (
            r#"{"threadId": 5, "content": []}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
    ];
    for (method, path) in JSON_ENDPOINTS {
        for (body, status, location) in cases {
            let r = client
                .client()
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    app.url(path),
                )
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), *status, "{method} {path} with {body:?}");
            let error: serde_json::Value = r.json().await.expect("a JSON error body");
            let message = error["error"].as_str().expect("an error message");
            if let Some(location) = location {
                assert!(
                    message.contains(location),
                    "{method} {path} with {body:?}: {message:?} does not say {location:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_nul_character_in_text_is_a_400_not_a_server_error() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    for path in ["/api/users?q=x%00y", "/api/search?q=a%00"] {
        let r = ana.client().get(app.url(path)).send().await.unwrap();
        expect_error(r, StatusCode::BAD_REQUEST).await;
    }
    let r = ana
        .client()
        .post(app.url("/api/tokens"))
        .header("content-type", "application/json")
        .body(r#"{"name": "a\u0000b"}"#)
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::BAD_REQUEST).await;
}
