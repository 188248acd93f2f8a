//! API tokens: shown once, usable as Bearer, listed without secrets, revocable.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_token_authenticates_bots_until_it_is_revoked() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let created = ana.create_token("deploy bot").await;
    let token = created["token"].as_str().unwrap().to_owned();
    let me = app.get_as_bot(&token, "/api/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["id"], ana.id);

    let listed: Vec<serde_json::Value> = ana.get("/api/tokens").await.json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "deploy bot");
    assert!(
        listed[0].get("token").is_none(),
        "the secret is shown only once"
    );
    assert!(!listed[0].to_string().contains(&token));

    let revoked = ana.revoke_token(&created).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = app.get_as_bot(&token, "/api/me").await;
    assert!(
        expect_error(after, StatusCode::UNAUTHORIZED)
            .await
            .contains("revoked")
    );
    let again = ana.revoke_token(&created).await;
    expect_error(again, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn nobody_can_revoke_someone_elses_token() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let created = ana.create_token("ci").await;
    let response = bob.revoke_token(&created).await;
    expect_error(response, StatusCode::NOT_FOUND).await;
    let me = new_client()
        .get(app.url("/api/me"))
        .bearer_auth(created["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_tokens_and_token_requests_are_rejected_clearly() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    for header in [
        "Bearer cfb_not-a-real-token",
        "Bearer ",
        "Basic YWxhZGRpbjpvcGVu",
        "cfb_x",
    ] {
        let r = new_client()
            .get(app.url("/api/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        expect_error(r, StatusCode::UNAUTHORIZED).await;
    }
    for body in [
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": "x".repeat(65)}),
        json!({}),
    ] {
        let r = ana.post_json("/api/tokens", body).await;
        expect_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let malformed = ana
        .client()
        .delete(app.url("/api/tokens/not-a-uuid"))
        .send()
        .await
        .unwrap();
    expect_error(malformed, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_token_revoked_on_one_instance_stops_working_on_another_that_knew_it() {
    let app = spawn_app().await;
    let other = app.peer(&[]).await;
    let ana = app.user("ana").await;
    let created = ana.create_token("bot").await;
    let token = created["token"].as_str().unwrap();
    // The other instance authenticates the token (and remembers it).
    assert_eq!(
        other.get_as_bot(token, "/api/me").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ana.revoke_token(&created).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get_as_bot(token, "/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "refused at once where it was revoked"
    );
    assert!(
        other
            .bot_answers_within_patience(token, "/api/me", StatusCode::UNAUTHORIZED)
            .await,
        "the other instance still took the revoked token"
    );
}

#[tokio::test]
async fn an_admin_demoted_on_one_instance_loses_admin_calls_on_another() {
    let app = spawn_app().await;
    let other = app.peer(&[]).await;
    let [owner, bob] = app.users(["owner", "bob"]).await;
    let response = owner
        .admin_patch(&bob.id, json!({"systemRole": "ADMIN"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let created = bob.create_token("admin bot").await;
    let token = created["token"].as_str().unwrap();
    assert_eq!(
        other.get_as_bot(token, "/api/admin/users").await.status(),
        StatusCode::OK
    );
    let response = owner
        .admin_patch(&bob.id, json!({"systemRole": "MEMBER"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.get_as_bot(token, "/api/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(
        other
            .bot_answers_within_patience(token, "/api/admin/users", StatusCode::FORBIDDEN)
            .await,
        "the other instance still treated bob as an admin"
    );
}
