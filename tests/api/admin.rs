//! Roles and deactivation: who may do what, and what deactivation ends.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn members_cannot_manage_users() {
    let app = spawn_app().await;
    let [owner, member] = app.users(["owner", "member"]).await;
    expect_error(member.get("/api/admin/users").await, StatusCode::FORBIDDEN).await;
    let id = owner.id.as_str();
    expect_error(
        member.admin_patch(id, json!({"deactivated": true})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let (status, _) = member.get_page("/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_the_owner_grants_admin_and_nobody_changes_the_owner() {
    let app = spawn_app().await;
    let [owner, admin, member] = app.users(["owner", "admin", "member"]).await;
    let admin_id = admin.id.as_str();
    let member_id = member.id.as_str();
    let owner_id = owner.id.as_str();

    let promoted = owner
        .admin_patch(admin_id, json!({"systemRole": "ADMIN"}))
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let promoted: serde_json::Value = promoted.json().await.unwrap();
    assert_eq!(promoted["systemRole"], "ADMIN");

    let unknown = uuid::Uuid::new_v4().to_string();
    let refused = [
        (
            &admin,
            member_id,
            json!({"systemRole": "ADMIN"}),
            StatusCode::FORBIDDEN,
        ),
        (
            &admin,
            owner_id,
            json!({"deactivated": true}),
            StatusCode::FORBIDDEN,
        ),
        (
            &owner,
            owner_id,
            json!({"systemRole": "MEMBER"}),
            StatusCode::FORBIDDEN,
        ),
        (
            &owner,
            member_id,
            json!({"systemRole": "OWNER"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &owner,
            member_id,
            json!({"systemRole": "KING"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &owner,
            unknown.as_str(),
            json!({"deactivated": true}),
            StatusCode::NOT_FOUND,
        ),
        (
            &owner,
            "nope",
            json!({"deactivated": true}),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (who, target, change, status) in refused {
        expect_error(who.admin_patch(target, change).await, status).await;
    }

    // An admin may deactivate a member.
    let r = admin
        .admin_patch(member_id, json!({"deactivated": true}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let listed: Vec<serde_json::Value> = admin.get("/api/admin/users").await.json().await.unwrap();
    let member = listed.iter().find(|u| u["id"] == member.id).unwrap();
    assert_eq!(member["deactivated"], true);
}

#[tokio::test]
async fn deactivation_ends_sessions_and_tokens_and_blocks_login() {
    let app = spawn_app().await;
    let [owner, member] = app.users(["owner", "member"]).await;
    let token = member.create_token("bot").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = member.id.as_str();

    let r = owner.admin_patch(id, json!({"deactivated": true})).await;
    assert_eq!(r.status(), StatusCode::OK);
    expect_error(member.me().await, StatusCode::UNAUTHORIZED).await;
    let bot = app.get_as_bot(&token, "/api/me").await;
    expect_error(bot, StatusCode::UNAUTHORIZED).await;
    let login = app.login(&new_client(), "member", PASSWORD).await;
    assert!(
        expect_error(login, StatusCode::FORBIDDEN)
            .await
            .contains("deactivated")
    );

    let r = owner.admin_patch(id, json!({"deactivated": false})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.login(&new_client(), "member", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_admin_page_lists_users_and_deactivates_with_htmx() {
    let app = spawn_app().await;
    let [owner, member] = app.users(["owner", "member"]).await;
    let (status, html) = owner.get_page("/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("@member"));
    let csrf = csrf_from(&html).unwrap();
    let id = member.id.as_str();
    let r = owner
        .submit(
            StatusCode::OK,
            Post::Htmx,
            &format!("/admin/users/{id}"),
            &[("csrf_token", &csrf), ("deactivated", "true")],
        )
        .await;
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("id=\"admin-users\"") && fragment.contains("deactivated"));
    assert!(
        !fragment.contains("<html"),
        "htmx gets a fragment, not a page"
    );
    expect_error(member.me().await, StatusCode::UNAUTHORIZED).await;
}
