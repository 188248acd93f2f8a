//! Ending a credential ends its streams, whatever the timing: a stream that registers
//! while its credential is being revoked, a resume across an old revocation, a session
//! that expires while its stream is open.

use reqwest::StatusCode;
use sea_orm::Database;
use uuid::Uuid;

use confab::{auth::Credential, error::AppError, realtime::Realtime};

use crate::helpers::{PASSWORD, Sse, new_client, spawn_app, spawn_app_with, test_config};

#[tokio::test]
async fn a_stream_is_refused_once_registered_if_its_credential_already_ended() {
    let app = spawn_app().await;
    let bot = app.user("bot").await;
    let token = bot.create_token("feed").await;
    let token_id = Uuid::parse_str(token["id"].as_str().unwrap()).unwrap();
    let user = Uuid::parse_str(&bot.id).unwrap();
    let config = test_config(&app.db_name, &[]);
    let db = Database::connect(config.database_url.expose())
        .await
        .unwrap();
    let realtime = Realtime::new(db.clone(), &config).await.unwrap();

    // Live credential: the stream is registered and kept.
    let kept = realtime
        .subscribe(user, Credential::Token(token_id), None, None)
        .await
        .expect("a live token opens a stream");
    assert_eq!(realtime.open_streams(), 1);
    drop(kept);
    assert_eq!(realtime.open_streams(), 0);

    // The token is revoked between the caller's authentication and the subscription:
    // the subscription notices after registering, and nothing stays registered.
    assert!(bot.revoke_token(&token).await.status().is_success());
    let refused = realtime
        .subscribe(user, Credential::Token(token_id), None, None)
        .await;
    assert!(
        matches!(refused, Err(AppError::Unauthorized)),
        "{:?}",
        refused.err()
    );
    assert_eq!(realtime.open_streams(), 0);
    db.close().await.unwrap();
}

#[tokio::test]
async fn resuming_across_an_old_password_change_does_not_close_a_newer_session() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let elsewhere = app.sign_in(&ana).await;
    let general = ana.threads().await.remove(0);
    let mut stream = ana.stream().await;
    ana.send(&general, "before the change").await;
    stream
        .next_where("message.created", |m| m["content"] == "before the change")
        .await;
    let last_id = stream.last_id.clone();
    drop(stream);

    // The password changes from another session: every other session ends (an
    // `auth.revoked` for "all sessions but that one" is logged).
    let changed = elsewhere
        .change_password(PASSWORD, "a brand new passphrase")
        .await;
    assert_eq!(changed.status(), StatusCode::OK);

    // Ana signs in again and resumes from before the change on her new session.
    let client = new_client();
    let login = app.login(&client, "ana", "a brand new passphrase").await;
    assert_eq!(login.status(), StatusCode::OK);
    let mut resumed = Sse::start(
        client
            .get(app.url("/api/chat/sse"))
            .header("Last-Event-ID", &last_id),
    )
    .await;
    elsewhere.send(&general, "after the change").await;
    resumed
        .next_where("message.created", |m| m["content"] == "after the change")
        .await;
}

#[tokio::test]
async fn a_session_that_expires_closes_its_open_stream() {
    let app = spawn_app_with(&[("SESSION_IDLE_SECS", "2"), ("HEARTBEAT_SECS", "1")]).await;
    let ana = app.user("ana").await;
    let mut stream = ana.stream().await;
    while let Some(event) = stream.next_or_end().await {
        assert_ne!(event.event, "message.created", "nothing was sent");
    }
    let after = ana.get("/api/me").await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}
