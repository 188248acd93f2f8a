//! An admin's one-time links: an invite that registers one account while registration is
//! closed, and a password reset link; each works once and not after it expires.

use reqwest::{Client, StatusCode};
use sha2::Digest;

use crate::helpers::*;

/// The one-time link path (`/invite/…` or `/reset/…`) in an admin panel.
fn link_in(html: &str, prefix: &str) -> String {
    let start = html
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {html}"));
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// Posts `form` to the page at `path` with that page's CSRF token, from `client`.
async fn submit(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> StatusCode {
    let csrf = app.csrf(client, path).await;
    let mut fields = vec![("csrf_token", csrf.as_str())];
    fields.extend_from_slice(form);
    app.post_form(client, path, &fields).await.status()
}

#[tokio::test]
async fn an_invite_link_registers_one_account_while_registration_is_closed() {
    let app = spawn_app_with(&[("REGISTRATION", "closed")]).await;
    let owner = app.user("owner").await;
    let refused = app
        .register_with(
            &new_client(),
            serde_json::json!({"username": "dora", "password": PASSWORD}),
        )
        .await;
    expect_error(refused, StatusCode::FORBIDDEN).await;

    let csrf = owner.csrf("/admin").await;
    let r = owner
        .press(StatusCode::OK, Post::Htmx, "/admin/invites", &csrf)
        .await;
    let invite = link_in(&r.text().await.unwrap(), "/invite/");

    let dora = new_client();
    let (status, page) = app.get_page(&dora, &invite).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("You are invited"));
    let taken = [("username", "owner"), ("password", PASSWORD)];
    assert_eq!(
        submit(&app, &dora, &invite, &taken).await,
        StatusCode::CONFLICT,
        "a taken username is refused"
    );
    let form = [("username", "dora"), ("password", PASSWORD)];
    assert_eq!(
        submit(&app, &dora, &invite, &form).await,
        StatusCode::SEE_OTHER,
        "the refused attempt did not spend the invite"
    );
    let me = ok_json(app.me(&dora).await).await;
    assert_eq!(me["username"], "dora");

    let eve = new_client();
    let (status, _) = app.get_page(&eve, &invite).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an invite works once");
    let csrf = app.csrf(&eve, "/login").await;
    let again = [
        ("csrf_token", csrf.as_str()),
        ("username", "eve"),
        ("password", PASSWORD),
    ];
    let r = app.post_form(&eve, &invite, &again).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    expect_error(app.me(&eve).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once() {
    let app = spawn_app().await;
    let [owner, bob] = app.users(["owner", "bob"]).await;
    let id = bob.id.as_str();
    let csrf = owner.csrf("/admin").await;
    // Without JavaScript the whole page comes back with the link on it.
    let r = owner
        .press(
            StatusCode::OK,
            Post::Form,
            &format!("/admin/users/{id}/reset-link"),
            &csrf,
        )
        .await;
    let reset = link_in(&r.text().await.unwrap(), "/reset/");

    let anyone = new_client();
    let weak = [("password", "short")];
    assert_eq!(
        submit(&app, &anyone, &reset, &weak).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let strong = [("password", "a brand new secret")];
    assert_eq!(
        submit(&app, &anyone, &reset, &strong).await,
        StatusCode::SEE_OTHER
    );
    expect_error(bob.me().await, StatusCode::UNAUTHORIZED).await;
    expect_error(
        app.login(&new_client(), "bob", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let login = app.login(&new_client(), "bob", "a brand new secret").await;
    assert_eq!(login.status(), StatusCode::OK);
    let (status, _) = app.get_page(&new_client(), &reset).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a reset link works once");
}

#[tokio::test]
async fn expired_links_and_non_admins_are_refused() {
    let app = spawn_app().await;
    let [owner, member] = app.users(["owner", "member"]).await;
    let csrf = member.csrf("/settings").await;
    member
        .press(StatusCode::FORBIDDEN, Post::Form, "/admin/invites", &csrf)
        .await;
    let owner_id = owner.id.as_str();
    member
        .press(
            StatusCode::FORBIDDEN,
            Post::Form,
            &format!("/admin/users/{owner_id}/reset-link"),
            &csrf,
        )
        .await;

    let csrf = owner.csrf("/admin").await;
    let r = owner
        .post_htmx("/admin/invites", &[("csrf_token", &csrf)])
        .await;
    let invite = link_in(&r.text().await.unwrap(), "/invite/");
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(format!(
        "postgres://postgres@127.0.0.1:5432/{}",
        app.db_name
    ))
    .await
    .unwrap();
    // Only the secret's SHA-256 is stored.
    let secret = invite.trim_start_matches("/invite/");
    let stored = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT encode(token_hash, 'hex') AS h FROM one_time_links",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = stored.try_get("", "h").unwrap();
    let expected: String = sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored, expected);
    db.execute_unprepared("UPDATE one_time_links SET expires_at = now() - interval '1 second'")
        .await
        .unwrap();
    db.close().await.unwrap();
    let (status, _) = app.get_page(&new_client(), &invite).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an expired invite is refused"
    );
}
