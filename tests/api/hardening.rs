//! Smaller hardening: no session rows for anonymous visitors, uncacheable token pages,
//! HSTS, tokens that cannot mint tokens and do not outlive a password change, limited
//! current-password checks, closed registration refused before any hashing.

use std::time::Duration;

use reqwest::{StatusCode, header};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::*;

async fn session_rows(app: &TestApp) -> i64 {
    let db = Database::connect(format!(
        "postgres://postgres@127.0.0.1:5432/{}",
        app.db_name
    ))
    .await
    .unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM sessions",
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    db.close().await.ok();
    n
}

#[tokio::test]
async fn looking_at_the_login_and_register_forms_stores_no_session() {
    let app = spawn_app().await;
    app.user("ana").await;
    let before = session_rows(&app).await;
    for path in ["/login", "/register", "/login?next=/settings"] {
        for _ in 0..3 {
            let (status, _) = app.get_page(&new_client(), path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
    }
    assert_eq!(session_rows(&app).await, before, "anonymous page views");

    // The form still works: its token travels in a cookie of its own.
    let client = new_client();
    let csrf = app.csrf(&client, "/login").await;
    let r = app
        .post_form(
            &client,
            "/login",
            &[
                ("csrf_token", &csrf),
                ("username", "ana"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        session_rows(&app).await,
        before + 1,
        "logging in stores one"
    );
    // A token from another visitor's cookie does not pass.
    let other = new_client();
    let r = app
        .post_form(
            &other,
            "/login",
            &[
                ("csrf_token", &csrf),
                ("username", "ana"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_new_api_token_is_never_cacheable() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let csrf = app.csrf(ana.client(), "/settings").await;
    let page = app
        .post_form(
            ana.client(),
            "/settings/tokens",
            &[("csrf_token", &csrf), ("name", "bot")],
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()[header::CACHE_CONTROL],
        "no-store",
        "the page"
    );
    let api = ana
        .client()
        .post(app.url("/api/tokens"))
        .json(&json!({"name": "bot2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::CREATED);
    assert_eq!(api.headers()[header::CACHE_CONTROL], "no-store", "the API");
}

#[tokio::test]
async fn an_https_public_url_in_any_case_brings_hsts_and_secure_cookies() {
    let app = spawn_app_with(&[("PUBLIC_URL", "HTTPS://Chat.Example.com")]).await;
    let r = app.get("/login").await;
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let r = app
        .register_with(
            &new_client(),
            json!({"username": "ana", "password": PASSWORD}),
        )
        .await;
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");

    let plain = spawn_app_with(&[("PUBLIC_URL", "http://chat.example.com")]).await;
    let r = plain.client.get(plain.url("/login")).send().await.unwrap();
    assert!(!r.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn a_token_cannot_mint_more_tokens() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let token = ana.create_token("bot").await;
    let r = new_client()
        .post(app.url("/api/tokens"))
        .bearer_auth(token["token"].as_str().unwrap())
        .json(&json!({"name": "another"}))
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_password_change_revokes_the_api_tokens_and_says_so() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let token = ana.create_token("bot").await;
    let bearer = |c: &reqwest::Client| {
        c.get(app.url("/api/me"))
            .bearer_auth(token["token"].as_str().unwrap())
    };
    assert_eq!(
        bearer(&new_client()).send().await.unwrap().status(),
        StatusCode::OK
    );
    let r = ana.change_password(PASSWORD, "a new long password").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("API tokens revoked"));
    expect_error(
        bearer(&new_client()).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn guessing_the_current_password_on_the_settings_page_is_limited() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "3")]).await;
    let ana = app.user("ana").await;
    for _ in 0..3 {
        let r = ana
            .change_password("a wrong guess", "a new long password")
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = ana.change_password(PASSWORD, "a new long password").await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right one waits"
    );
}

#[tokio::test]
async fn closed_registration_is_refused_before_any_password_hashing() {
    use confab::auth::password::{Budget, queue};
    let app = spawn_app_with(&[("REGISTRATION", "closed")]).await;
    app.user("owner").await;
    // With every hashing slot taken, a refusal that hashed first would never come.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    let held = queue(Budget::Account).acquire_many(cores).await.unwrap();
    let r = tokio::time::timeout(
        Duration::from_secs(3),
        app.register_with(
            &new_client(),
            json!({"username": "eve", "password": PASSWORD}),
        ),
    )
    .await;
    drop(held);
    let r = r.expect("refused without waiting for a hash");
    expect_error(r, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn names_that_hide_or_reverse_text_are_refused_and_messages_show_the_username() {
    let app = spawn_app().await;
    for name in ["Ana\u{200B}", "\u{202E}anA", "A\u{2066}na"] {
        let r = app
            .register_with(
                &new_client(),
                json!({"username": "eve", "password": PASSWORD, "name": name}),
            )
            .await;
        expect_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // Two people may share a display name; the author line tells them apart.
    let ana = app.user("ana").await;
    let r = app
        .register_with(
            &new_client(),
            json!({"username": "fake_ana", "password": PASSWORD, "name": "ana"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let fake = TestUser::new(new_client(), &app.address, r.json().await.unwrap());
    let thread = ana.dm(&fake).await;
    ana.send(&thread, "hello").await;
    let id = thread["id"].as_str().unwrap();
    let (_, html) = app.get_page(ana.client(), &format!("/chats/{id}")).await;
    assert!(html.contains("@ana<"), "the author's username is shown");
}

#[tokio::test]
async fn a_client_id_reused_in_another_conversation_is_a_conflict_not_the_other_message() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let cy = app.user("cyd").await;
    let with_bob = ana.dm(&bob).await;
    let with_cy = ana.dm(&cy).await;
    let first = ana.send_as(&with_bob, "for bob only", "same-id").await;
    let again = ana.send_as(&with_bob, "for bob only", "same-id").await;
    assert_eq!(again["id"], first["id"], "a retry in the same conversation");
    let r = ana
        .post_json(
            "/api/messages",
            json!({"threadId": with_cy["id"], "content": "for cy", "clientId": "same-id"}),
        )
        .await;
    let error = expect_error(r, StatusCode::CONFLICT).await;
    assert!(error.contains("clientId"), "{error}");
}
