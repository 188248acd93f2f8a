//! CSRF, security headers, cookie flags, slow clients.

use std::time::Duration;

use reqwest::{StatusCode, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

#[tokio::test]
async fn every_form_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let id = uuid::Uuid::new_v4().to_string();
    let posts = [
        "/login".to_owned(),
        "/register".into(),
        "/logout".into(),
        "/settings/profile".into(),
        "/settings/password".into(),
        "/settings/tokens".into(),
        "/settings/notifications".into(),
        format!("/settings/tokens/{id}/revoke"),
        format!("/admin/users/{id}"),
    ];
    for path in &posts {
        let missing = ana.post_form(path, &[("name", "x")]).await;
        assert_eq!(
            missing.status(),
            StatusCode::FORBIDDEN,
            "{path} without a token"
        );
        let forged = ana
            .post_form(path, &[("csrf_token", "forged"), ("name", "x")])
            .await;
        assert_eq!(
            forged.status(),
            StatusCode::FORBIDDEN,
            "{path} with a forged token"
        );
    }
    // Another session's token does not work either.
    let other = app.user("bob").await;
    let other_token = other.csrf("/settings").await;
    ana.submit(
        StatusCode::FORBIDDEN,
        Post::Form,
        "/settings/profile",
        &[("csrf_token", &other_token), ("name", "x")],
    )
    .await;
    let me: serde_json::Value = ana.me().await.json().await.unwrap();
    assert_eq!(me["name"], "ana", "nothing changed");
}

#[tokio::test]
async fn cross_site_requests_are_refused_even_on_the_api() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let r = ana
        .client()
        .post(app.url("/api/tokens"))
        .header(header::ORIGIN, "https://evil.example")
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::FORBIDDEN).await;
    let r = ana
        .client()
        .post(app.url("/api/tokens"))
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::FORBIDDEN).await;
    let same = ana
        .client()
        .post(app.url("/api/tokens"))
        .header(header::ORIGIN, app.address.clone())
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    for path in ["/login", "/api/me", "/healthz", "/assets/app.css"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
}

#[tokio::test]
async fn pages_have_no_inline_scripts() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    for path in ["/login", "/register", "/chats", "/settings", "/admin"] {
        let (_, html) = ana.get_page(path).await;
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(
                tag.contains("src=\"/assets/"),
                "{path}: inline script {tag}"
            );
        }
        assert!(
            !html.contains(" onclick=") && !html.contains("hx-on"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn cookies_are_secure_when_served_over_https() {
    let app = spawn_app_with(&[("PUBLIC_URL", "https://chat.example.com")]).await;
    let response = app
        .register_with(
            &new_client(),
            serde_json::json!({"username": "ana", "password": PASSWORD}),
        )
        .await;
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let plain = spawn_app().await;
    let response = plain
        .register_with(
            &new_client(),
            serde_json::json!({"username": "ana", "password": PASSWORD}),
        )
        .await;
    assert!(
        !response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = spawn_app_with(&[("HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    // Guard only: the server must close the connection on its own, long before this.
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server kept a slowloris connection open");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        !text.contains("200 OK"),
        "no response for incomplete headers: {text}"
    );
}

#[tokio::test]
async fn behind_a_proxy_the_origin_is_checked_against_public_url_not_host() {
    let app = spawn_app_with(&[("PUBLIC_URL", "https://Chat.Example.com/")]).await;
    let client = app.user("ana").await;
    let post = |origin: &str| {
        client
            .client()
            .post(app.url("/api/tokens"))
            .header(header::ORIGIN, origin)
            .json(&serde_json::json!({"name": "x"}))
            .send()
    };
    // The proxy rewrote Host to the backend's address; the browser's Origin is the site's.
    let r = post("https://chat.example.com").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "the site itself");
    for other in [
        app.address.as_str(),
        "http://chat.example.com",
        "https://evil.example",
    ] {
        let r = post(other).await.unwrap();
        expect_error(r, StatusCode::FORBIDDEN).await;
    }
}
