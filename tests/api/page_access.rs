//! Conversation pages refuse non-members: every page, fragment and form answers 404
//! (with and without htmx), leaks nothing and changes nothing.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn non_members_get_404_on_a_conversation_and_its_posts() {
    let app = spawn_app().await;
    let [ana, bob, eve] = app.users(["ana", "bob", "eve"]).await;
    let chat = bob.start_dm_from_people(&ana).await;

    let (status, _) = eve.get_page(&chat).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let csrf = eve.csrf("/chats").await;
    eve.submit(
        StatusCode::NOT_FOUND,
        Post::Form,
        &format!("{chat}/messages"),
        &[("csrf_token", &csrf), ("content", "let me in")],
    )
    .await;
    eve.submit(
        StatusCode::NOT_FOUND,
        Post::Htmx,
        &format!("{chat}/messages"),
        &[("csrf_token", &csrf), ("content", "let me in")],
    )
    .await;
    let (status, _) = eve.get_page("/chats/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_non_member_gets_404_from_every_conversation_page_and_form() {
    let app = spawn_app().await;
    let [ana, bob, eve] = app.users(["ana", "bob", "eve"]).await;
    let group = ana.group("Secret", &[&bob]).await;
    let g = id_str(&group);
    let m = ana.send(&group, "classified").await;
    let mid = m["id"].as_str().unwrap();
    let bob_id = bob.id.as_str();
    for path in [
        format!("/chats/{g}"),
        format!("/chats/{g}/messages?before={mid}"),
        format!("/chats/{g}/messages/{mid}/edit"),
    ] {
        let (status, body) = eve.get_page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(
            !body.contains("classified") && !body.contains("Secret"),
            "GET {path} leaked"
        );
    }
    let csrf = eve.csrf("/chats").await;
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/chats/{g}/messages"), vec![("content", "hi")]),
        (
            format!("/chats/{g}/messages/{mid}/edit"),
            vec![("content", "hi")],
        ),
        (format!("/chats/{g}/messages/{mid}/delete"), vec![]),
        (
            format!("/chats/{g}/messages/{mid}/react"),
            vec![("emoji", "👍"), ("on", "1")],
        ),
        (format!("/chats/{g}/read"), vec![]),
        (format!("/chats/{g}/leave"), vec![]),
        (format!("/chats/{g}/archive"), vec![]),
        (format!("/chats/{g}/unarchive"), vec![]),
        (format!("/chats/{g}/rename"), vec![("name", "Mine")]),
        (format!("/chats/{g}/members"), vec![("username", "eve")]),
        (format!("/chats/{g}/members/{bob_id}/remove"), vec![]),
    ];
    for (path, fields) in posts {
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(fields);
        for htmx in [false, true] {
            let r = if htmx {
                eve.post_htmx(&path, &form).await
            } else {
                eve.post_form(&path, &form).await
            };
            assert_eq!(
                r.status(),
                StatusCode::NOT_FOUND,
                "POST {path} (htmx: {htmx})"
            );
        }
    }
    let page = ana.messages(&group).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(page["messages"][0]["content"], "classified");
    assert!(
        page["messages"][0]["reactions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let thread = ok_json(ana.thread(&group).await).await;
    assert_eq!(
        (thread["name"].as_str(), thread["memberCount"].as_i64()),
        (Some("Secret"), Some(2))
    );
}
