//! Login limits count failures, not attempts, and others' guessing cannot lock a person
//! out of an address they have logged in from before.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A login as if from `ip` (the test server trusts `X-Forwarded-For`).
async fn login_from(app: &TestApp, ip: &str, username: &str, password: &str) -> StatusCode {
    new_client()
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn correct_passwords_never_use_up_the_login_budget() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "3")]).await;
    app.user("ana").await;
    for attempt in 0..10 {
        let r = app.login(&new_client(), "ana", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "correct login #{attempt}");
    }
}

#[tokio::test]
async fn guessing_from_elsewhere_does_not_lock_out_an_address_that_logged_in_before() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "2"), ("TRUST_PROXY", "1")]).await;
    app.user("ana").await;
    assert_eq!(
        login_from(&app, "198.51.100.7", "ana", PASSWORD).await,
        StatusCode::OK
    );

    // Attackers from many addresses spend the account-wide failure budget (3 × 2).
    for n in 1..=3 {
        let ip = format!("203.0.113.{n}");
        for _ in 0..2 {
            assert_eq!(
                login_from(&app, &ip, "ana", "wrong guess").await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            login_from(&app, &ip, "ana", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS,
            "an address that failed too often is held back even with the right password"
        );
    }
    assert_eq!(
        login_from(&app, "192.0.2.99", "ana", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "an unknown address waits while the account is under attack"
    );
    assert_eq!(
        login_from(&app, "198.51.100.7", "ana", PASSWORD).await,
        StatusCode::OK,
        "the address ana logged in from before still gets in"
    );
}

#[tokio::test]
async fn ipv6_clients_share_one_budget_per_64_prefix() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "2"), ("TRUST_PROXY", "1")]).await;
    app.user("ana").await;
    // Fresh addresses of one /64 for every guess still fill one budget.
    for n in 1..=2 {
        let ip = format!("2001:db8:5:6::{n:x}");
        assert_eq!(
            login_from(&app, &ip, "ana", "wrong guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, "2001:db8:5:6::ffff", "ana", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "2001:db8:5:7::1", "ana", PASSWORD).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_client_cannot_choose_its_address_by_writing_x_forwarded_for() {
    let app = spawn_app_with(&[("RATE_LIMIT_LOGIN_PER_MINUTE", "2"), ("TRUST_PROXY", "1")]).await;
    app.user("ana").await;
    // The proxy appends the real address (198.51.100.1); the client made up the rest.
    for n in 1..=2 {
        let forged = format!("203.0.113.{n}, 198.51.100.1");
        assert_eq!(
            login_from(&app, &forged, "ana", "wrong guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, "203.0.113.77, 198.51.100.1", "ana", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a fresh made-up hop does not buy a fresh budget"
    );
}
