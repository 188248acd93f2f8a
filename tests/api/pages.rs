//! The account pages, with and without JavaScript.

use reqwest::{StatusCode, header};

use crate::helpers::*;

#[tokio::test]
async fn registering_through_the_form_logs_in_and_lands_on_chats() {
    let app = spawn_app().await;
    let client = new_client();
    let r = app
        .submit_form(
            &client,
            "/register",
            &[
                ("username", "ana"),
                ("password", PASSWORD),
                ("name", "Ana B"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/chats");
    let (status, html) = app.get_page(&client, "/chats").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ana B"));
}

#[tokio::test]
async fn a_bad_registration_form_shows_the_problem_and_keeps_the_input() {
    let app = spawn_app().await;
    let client = new_client();
    let r = app
        .submit_form(
            &client,
            "/register",
            &[("username", "ana"), ("password", "short")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("at least 8 characters"));
    assert!(html.contains("value=\"ana\""));
}

#[tokio::test]
async fn the_login_form_rejects_a_wrong_password_then_accepts_the_right_one() {
    let app = spawn_app().await;
    app.user("ana").await;
    let client = new_client();
    let r = app
        .submit_form(
            &client,
            "/login",
            &[("username", "ana"), ("password", "nope nope")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("invalid username or password")
    );
    let r = app
        .submit_form(
            &client,
            "/login",
            &[
                ("username", "ana"),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/settings");
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let app = spawn_app().await;
    app.user("ana").await;
    for next in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/.//evil.example",
        "/./\\evil.example",
    ] {
        let client = new_client();
        let r = app
            .submit_form(
                &client,
                "/login",
                &[("username", "ana"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(location(&r), "/chats", "next={next}");
    }
}

#[tokio::test]
async fn pages_that_need_a_login_redirect_to_it() {
    let app = spawn_app().await;
    for path in ["/chats", "/settings", "/admin"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/login?next="), "{path}");
    }
    let r = app.get("/").await;
    assert_eq!(location(&r), "/login");
}

#[tokio::test]
async fn the_logout_form_ends_the_session() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let csrf = ana.csrf("/chats").await;
    ana.press(StatusCode::SEE_OTHER, Post::Form, "/logout", &csrf)
        .await;
    expect_error(ana.me().await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn settings_change_the_display_name_with_and_without_htmx() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let csrf = ana.csrf("/settings").await;
    let r = ana
        .submit(
            StatusCode::OK,
            Post::Htmx,
            "/settings/profile",
            &[("csrf_token", &csrf), ("name", "Ana Banana")],
        )
        .await;
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("Ana Banana") && fragment.contains("Saved."));
    assert!(!fragment.contains("<html"));
    let r = ana
        .submit(
            StatusCode::UNPROCESSABLE_ENTITY,
            Post::Form,
            "/settings/profile",
            &[("csrf_token", &csrf), ("name", "  ")],
        )
        .await;
    assert!(
        r.text().await.unwrap().contains("<html"),
        "without htmx the whole page comes back"
    );
    let me: serde_json::Value = ana.me().await.json().await.unwrap();
    assert_eq!(me["name"], "Ana Banana");
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_only() {
    let app = spawn_app().await;
    let laptop = app.user("ana").await;
    let phone = app.sign_in(&laptop).await;

    let wrong = laptop
        .change_password("not it at all", "a new long password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        phone.me().await.status(),
        StatusCode::OK,
        "a failed change ends nothing"
    );

    let changed = laptop
        .change_password(PASSWORD, "a new long password")
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(
        laptop.me().await.status(),
        StatusCode::OK,
        "the changer stays logged in"
    );
    expect_error(phone.me().await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        app.login(&new_client(), "ana", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&new_client(), "ana", "a new long password")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn tokens_are_created_and_revoked_from_settings() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let csrf = ana.csrf("/settings").await;
    let r = ana
        .submit(
            StatusCode::OK,
            Post::Form,
            "/settings/tokens",
            &[("csrf_token", &csrf), ("name", "my bot")],
        )
        .await;
    let html = r.text().await.unwrap();
    let start = html.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
    let token = &html[start..start + html[start..].find('<').unwrap()];
    let me = app.get_as_bot(token, "/api/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    let (_, page) = ana.get_page("/settings").await;
    assert!(
        page.contains("my bot") && !page.contains(token),
        "listed, never shown again"
    );

    let listed: Vec<serde_json::Value> = ana.get("/api/tokens").await.json().await.unwrap();
    let id = listed[0]["id"].as_str().unwrap();
    ana.press(
        StatusCode::OK,
        Post::Htmx,
        &format!("/settings/tokens/{id}/revoke"),
        &csrf,
    )
    .await;
    let me = app.get_as_bot(token, "/api/me").await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn user_written_names_are_escaped_on_pages() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let csrf = ana.csrf("/settings").await;
    let evil = "<script>alert(1)</script>";
    ana.post_form(
        "/settings/profile",
        &[("csrf_token", &csrf), ("name", evil)],
    )
    .await;
    let (_, html) = ana.get_page("/chats").await;
    assert!(!html.contains(evil));
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn unknown_pages_get_a_readable_404() {
    let app = spawn_app().await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = r.text().await.unwrap();
    assert!(html.contains("<html") && html.contains("not found"));
}

#[tokio::test]
async fn a_rate_limited_login_form_says_so_with_retry_after() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "1")]).await;
    app.user("ana").await;
    let client = new_client();
    let csrf = app.csrf(&client, "/login").await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("username", "ana"),
        ("password", "nope nope"),
    ];
    assert_eq!(
        app.post_form(&client, "/login", &form).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let limited = app.post_form(&client, "/login", &form).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key(header::RETRY_AFTER));
    let html = limited.text().await.unwrap();
    assert!(html.contains("too many requests") && html.contains("name=\"password\""));
}
