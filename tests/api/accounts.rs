//! Registration, login, logout, sessions and password changes through the JSON API.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn registering_returns_the_user_and_logs_them_in() {
    let app = spawn_app().await;
    let client = new_client();
    let response = app
        .register_with(
            &client,
            json!({"username": "ana", "password": PASSWORD, "name": "Ana B", "email": "ana@example.com"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let user: serde_json::Value = response.json().await.unwrap();
    assert_eq!(user["username"], "ana");
    assert_eq!(user["name"], "Ana B");
    assert_eq!(user["status"], "OFFLINE");
    assert!(user["image"].as_str().unwrap().starts_with("/avatars/"));
    let me: serde_json::Value = app.me(&client).await.json().await.unwrap();
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn the_first_user_is_owner_and_later_ones_are_members() {
    let app = spawn_app().await;
    let [first, second] = app.users(["first", "second"]).await;
    assert_eq!(first.json["systemRole"], "OWNER");
    assert_eq!(second.json["systemRole"], "MEMBER");
}

#[tokio::test]
async fn usernames_and_emails_are_unique_ignoring_case_without_telling_strangers_whose_email_is_in_use()
 {
    let app = spawn_app().await;
    let client = new_client();
    let ok = app
        .register_with(
            &client,
            json!({"username": "Ana", "password": PASSWORD, "email": "a@x.io"}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let dup_name = app
        .register_with(
            &new_client(),
            json!({"username": "aNA", "password": PASSWORD}),
        )
        .await;
    assert!(
        expect_error(dup_name, StatusCode::CONFLICT)
            .await
            .contains("username")
    );
    // The same answer as with a fresh address; the address stays with its first owner.
    let dup_mail = app
        .register_with(
            &new_client(),
            json!({"username": "bob", "password": PASSWORD, "email": "A@X.io"}),
        )
        .await;
    assert_eq!(dup_mail.status(), StatusCode::CREATED);
    let fresh = app
        .register_with(
            &new_client(),
            json!({"username": "cyd", "password": PASSWORD, "email": "c@x.io"}),
        )
        .await;
    assert_eq!(fresh.status(), StatusCode::CREATED);
    let db = app.db().await;
    use sea_orm::ConnectionTrait;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT username FROM users WHERE lower(email) = 'a@x.io'",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one account has the address");
    let owner: String = rows[0].try_get("", "username").unwrap();
    assert_eq!(owner, "Ana");
}

#[tokio::test]
async fn bad_registration_input_gets_a_clear_error_and_stores_nothing() {
    let app = spawn_app().await;
    let register = || app.client.post(app.url("/api/auth/register"));
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
        (
            "missing password",
            register().json(&json!({"username": "ana"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "missing username",
            register().json(&json!({"password": PASSWORD})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "wrong type",
            register().json(&json!({"username": 42, "password": PASSWORD})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "unknown field",
            register().json(&json!({"username": "ana", "password": PASSWORD, "role": "OWNER"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "short username",
            register().json(&json!({"username": "an", "password": PASSWORD})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "html username",
            register().json(&json!({"username": "<b>ana</b>", "password": PASSWORD})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "short password",
            register().json(&json!({"username": "ana", "password": "short"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "long password",
            register().json(&json!({"username": "ana", "password": "p".repeat(300)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "bad email",
            register().json(&json!({"username": "ana", "password": PASSWORD, "email": "nope"})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "long name",
            register()
                .json(&json!({"username": "ana", "password": PASSWORD, "name": "n".repeat(65)})),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "not json",
            app.client
                .post(app.url("/api/auth/register"))
                .body("username=ana"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "broken json",
            app.client
                .post(app.url("/api/auth/register"))
                .header("content-type", "application/json")
                .body("{\"username\":"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "oversized body",
            app.client
                .post(app.url("/api/auth/register"))
                .header("content-type", "application/json")
                .body(format!("{{\"username\":\"{}\"}}", "a".repeat(400_000))),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (what, request, status) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{what}");
        let body: serde_json::Value = response
            .json()
            .await
            .unwrap_or_else(|_| panic!("{what}: JSON body"));
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{what}: {body}"
        );
        assert!(
            body.get("details").is_none(),
            "{what}: no details outside development"
        );
    }
    // Nothing was stored: the first real registration still becomes OWNER.
    let user = app.user("ana").await;
    assert_eq!(user.json["systemRole"], "OWNER");
}

#[tokio::test]
async fn closed_registration_admits_only_the_first_user() {
    let app = spawn_app_with(&[("REGISTRATION", "closed")]).await;
    let owner = app.user("owner").await;
    assert_eq!(owner.json["systemRole"], "OWNER");
    let response = app
        .register_with(
            &new_client(),
            json!({"username": "late", "password": PASSWORD}),
        )
        .await;
    assert!(
        expect_error(response, StatusCode::FORBIDDEN)
            .await
            .contains("closed")
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let app = spawn_app().await;
    app.user("ana").await;
    let wrong = expect_error(
        app.login(&new_client(), "ana", "wrong password").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown = expect_error(
        app.login(&new_client(), "nobody", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(wrong, unknown);
    let ok = app.login(&new_client(), "ANA", PASSWORD).await;
    assert_eq!(
        ok.status(),
        StatusCode::OK,
        "usernames are case-insensitive at login"
    );
}

#[tokio::test]
async fn logins_are_rate_limited_per_account_with_retry_after() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "3")]).await;
    app.user("ana").await;
    for _ in 0..3 {
        let r = app.login(&new_client(), "ana", "wrong password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = app.login(&new_client(), "ana", PASSWORD).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Another account from the same address still has budget (per-IP budget is larger).
    app.user("bob").await;
    assert_eq!(
        app.login(&new_client(), "bob", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn registrations_are_rate_limited_per_address() {
    let app = spawn_app_with(&[("RATE_LIMIT_REGISTER_PER_HOUR", "2")]).await;
    app.user("one").await;
    app.user("two").await;
    let third = app
        .register_with(
            &new_client(),
            json!({"username": "three", "password": PASSWORD}),
        )
        .await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn rate_limits_can_be_lifted_for_benchmarks() {
    let app = spawn_app_with(&[
        ("RATE_LIMITS", "off"),
        ("RATE_LIMIT_REGISTER_PER_HOUR", "1"),
    ])
    .await;
    app.user("one").await;
    app.user("two").await;
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    assert_eq!(ana.me().await.status(), StatusCode::OK);
    let out = ana.logout().await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    expect_error(ana.me().await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn logging_in_renews_the_session_id() {
    let app = spawn_app().await;
    app.user("ana").await;
    let client = new_client();
    // Showing the login form stores no session; a session that exists before a login
    // (here an earlier login's) is replaced, never reused.
    let page = client.get(app.url("/login")).send().await.unwrap();
    assert!(session_cookie(&page).is_none(), "no anonymous session");
    let first = app.login(&client, "ana", PASSWORD).await;
    let before = session_cookie(&first).expect("session cookie at the first login");
    let login = app.login(&client, "ana", PASSWORD).await;
    let after = session_cookie(&login).expect("session cookie at login");
    assert_ne!(
        before, after,
        "session fixation: the id must change at login"
    );
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("confab_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn the_api_requires_authentication() {
    let app = spawn_app().await;
    for path in ["/api/me", "/api/users", "/api/tokens", "/api/admin/users"] {
        let response = app.get(path).await;
        expect_error(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn users_can_be_searched_by_name() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    app.user("bob").await;
    app.user("anabel").await;
    let found: Vec<serde_json::Value> = ana.get("/api/users?q=ana").await.json().await.unwrap();
    let names: Vec<&str> = found
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ana", "anabel"]);
    let all: Vec<serde_json::Value> = ana.get("/api/users").await.json().await.unwrap();
    assert_eq!(all.len(), 3);
    let long = ana.get(&format!("/api/users?q={}", "x".repeat(65))).await;
    expect_error(long, StatusCode::UNPROCESSABLE_ENTITY).await;
}
