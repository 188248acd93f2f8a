//! Stream access: a stream only carries what its user may see at delivery time, and
//! ending a credential (logout, password change, deactivation, token revocation) closes
//! the streams opened with it.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_member_removed_from_a_group_stops_receiving_its_messages_at_once() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let team = ana.group("team", &[&bob, &cid]).await;
    let direct = ana.dm(&bob).await;
    let mut stream = bob.stream().await;
    ana.send(&team, "before").await;
    let (_, m) = stream.next_of("message.created").await;
    assert_eq!(m["content"], "before");
    let before_removal = stream.last_id.clone();

    ok_json(
        ana.thread_action(json!({"action": "remove", "threadId": team["id"], "userId": bob.id}))
            .await,
    )
    .await;
    let (_, removed) = stream.next_of("thread.removed").await;
    assert_eq!(removed["id"], team["id"]);
    ana.send(&team, "after").await;
    ana.send(&direct, "marker").await;
    // The group's message is skipped: the next message bob gets is the direct one.
    let (_, next) = stream.next_of("message.created").await;
    assert_eq!(next["content"], "marker");

    // Replay re-checks too: resuming from before the removal skips the group's message.
    let mut replay = bob.stream_after(&before_removal).await;
    let (_, m) = replay.next_of("message.created").await;
    assert_eq!(
        m["content"], "marker",
        "a removed member got the group's message"
    );
}

#[tokio::test]
async fn logging_out_closes_the_streams_of_that_session_only() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let other_session = app.sign_in(&ana).await;
    let mut closing = ana.stream().await;
    let mut staying = other_session.stream().await;
    let r = ana.logout().await;
    assert_eq!(r.status(), 204);
    closing.expect_end().await;
    // The other session's stream still works.
    let bob = app.user("bob").await;
    let thread = other_session.dm(&bob).await;
    other_session.send(&thread, "still here").await;
    let (_, m) = staying.next_of("message.created").await;
    assert_eq!(m["content"], "still here");
}

#[tokio::test]
async fn changing_the_password_closes_the_other_sessions_streams() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let elsewhere = app.sign_in(&ana).await;
    let mut theirs = elsewhere.stream().await;
    let mut mine = ana.stream().await;
    let csrf = ana.csrf("/settings").await;
    let r = ana
        .post_form(
            "/settings/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    theirs.expect_end().await;
    let bob = app.user("bob").await;
    let thread = ana.dm(&bob).await;
    ana.send(&thread, "mine stays").await;
    let (_, m) = mine.next_of("message.created").await;
    assert_eq!(m["content"], "mine stays");
}

#[tokio::test]
async fn deactivating_a_user_closes_their_session_and_token_streams() {
    let app = spawn_app().await;
    let [owner, bob] = app.users(["owner", "bob"]).await;
    let token = bob.create_token("bot").await;
    let secret = token["token"].as_str().unwrap();
    let mut by_session = bob.stream().await;
    let mut by_token = Sse::start(app.bot_request(secret, "/api/chat/sse")).await;
    let r = owner
        .admin_patch(bob.id.as_str(), json!({"deactivated": true}))
        .await;
    assert_eq!(r.status(), 200);
    by_session.expect_end().await;
    by_token.expect_end().await;
    let again = app.get_as_bot(secret, "/api/chat/sse").await;
    assert_eq!(again.status(), 401);
}

#[tokio::test]
async fn revoking_a_token_closes_its_streams() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let token = bob.create_token("bot").await;
    let secret = token["token"].as_str().unwrap();
    let mut stream = Sse::start(app.bot_request(secret, "/api/chat/sse")).await;
    let r = bob.revoke_token(&token).await;
    assert!(r.status().is_success());
    stream.expect_end().await;
}

#[tokio::test]
async fn the_event_stream_needs_a_login() {
    let app = spawn_app().await;
    let r = app.get("/api/chat/sse").await;
    assert!(
        !expect_error(r, reqwest::StatusCode::UNAUTHORIZED)
            .await
            .is_empty()
    );
}
