//! Roles and deactivation: who may do what, and what deactivation ends.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn members_cannot_manage_users() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (member, _) = app.user("member").await;
    expect_error(
        member
            .get(app.url("/api/admin/users"))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let id = owner["id"].as_str().unwrap();
    expect_error(
        app.admin_patch(&member, id, json!({"deactivated": true}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let (status, _) = app.get_page(&member, "/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_the_owner_grants_admin_and_nobody_changes_the_owner() {
    let app = spawn_app().await;
    let (owner, owner_user) = app.user("owner").await;
    let (admin, admin_user) = app.user("admin").await;
    let (_, member_user) = app.user("member").await;
    let admin_id = admin_user["id"].as_str().unwrap();
    let member_id = member_user["id"].as_str().unwrap();
    let owner_id = owner_user["id"].as_str().unwrap();

    let promoted = app
        .admin_patch(&owner, admin_id, json!({"systemRole": "ADMIN"}))
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let promoted: serde_json::Value = promoted.json().await.unwrap();
    assert_eq!(promoted["systemRole"], "ADMIN");

    expect_error(
        app.admin_patch(&admin, member_id, json!({"systemRole": "ADMIN"}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        app.admin_patch(&admin, owner_id, json!({"deactivated": true}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        app.admin_patch(&owner, owner_id, json!({"systemRole": "MEMBER"}))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_error(
        app.admin_patch(&owner, member_id, json!({"systemRole": "OWNER"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        app.admin_patch(&owner, member_id, json!({"systemRole": "KING"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        app.admin_patch(
            &owner,
            &uuid::Uuid::new_v4().to_string(),
            json!({"deactivated": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.admin_patch(&owner, "nope", json!({"deactivated": true}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // An admin may deactivate a member.
    let r = app
        .admin_patch(&admin, member_id, json!({"deactivated": true}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let listed: Vec<serde_json::Value> = admin
        .get(app.url("/api/admin/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let member = listed
        .iter()
        .find(|u| u["id"] == member_user["id"])
        .unwrap();
    assert_eq!(member["deactivated"], true);
}

#[tokio::test]
async fn deactivation_ends_sessions_and_tokens_and_blocks_login() {
    let app = spawn_app().await;
    let (owner, _) = app.user("owner").await;
    let (member, member_user) = app.user("member").await;
    let token = app.create_token(&member, "bot").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = member_user["id"].as_str().unwrap();

    let r = app
        .admin_patch(&owner, id, json!({"deactivated": true}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    expect_error(app.me(&member).await, StatusCode::UNAUTHORIZED).await;
    let bot = new_client()
        .get(app.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(bot, StatusCode::UNAUTHORIZED).await;
    let login = app.login(&new_client(), "member", PASSWORD).await;
    assert!(
        expect_error(login, StatusCode::FORBIDDEN)
            .await
            .contains("deactivated")
    );

    let r = app
        .admin_patch(&owner, id, json!({"deactivated": false}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.login(&new_client(), "member", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_admin_page_lists_users_and_deactivates_with_htmx() {
    let app = spawn_app().await;
    let (owner, _) = app.user("owner").await;
    let (member, member_user) = app.user("member").await;
    let (status, html) = app.get_page(&owner, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("@member"));
    let csrf = csrf_from(&html).unwrap();
    let id = member_user["id"].as_str().unwrap();
    let r = app
        .post_htmx(
            &owner,
            &format!("/admin/users/{id}"),
            &[("csrf_token", &csrf), ("deactivated", "true")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("id=\"admin-users\"") && fragment.contains("deactivated"));
    assert!(
        !fragment.contains("<html"),
        "htmx gets a fragment, not a page"
    );
    expect_error(app.me(&member).await, StatusCode::UNAUTHORIZED).await;
}
