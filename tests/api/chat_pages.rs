//! The chat pages (conversation list, conversation, people), with and without JavaScript.

use reqwest::{Client, StatusCode, header};

use crate::helpers::*;

fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Whether `html` holds `text` HTML-escaped (named or numeric entities).
fn escaped(html: &str, text: &str) -> bool {
    let named = text.replace('<', "&lt;").replace('>', "&gt;");
    let numeric = text.replace('<', "&#60;").replace('>', "&#62;");
    html.contains(&named) || html.contains(&numeric)
}

/// The ids of the messages on a page or in a fragment, in order.
fn message_ids(html: &str) -> Vec<String> {
    let marker = "data-message-id=\"";
    html.match_indices(marker)
        .map(|(i, _)| {
            let start = i + marker.len();
            let end = html[start..].find('"').unwrap() + start;
            html[start..end].to_owned()
        })
        .collect()
}

/// `who` starts a DM with `other_id` from /people; returns the conversation's path.
async fn start_dm(app: &TestApp, who: &Client, other_id: &str) -> String {
    let (status, html) = app.get_page(who, "/people").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/people/{other_id}/message")));
    let csrf = csrf_from(&html).unwrap();
    let r = app
        .post_form(
            who,
            &format!("/people/{other_id}/message"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let path = location(&r);
    assert!(path.starts_with("/chats/"), "{path}");
    path
}

#[tokio::test]
async fn a_dm_started_from_people_delivers_messages_with_and_without_javascript() {
    let app = spawn_app().await;
    let (ana, ana_user) = app.user("ana").await;
    let (bob, _) = app.user("bob").await;
    let chat = start_dm(&app, &bob, ana_user["id"].as_str().unwrap()).await;

    // The composer is there, with the stable hooks.
    let (status, html) = app.get_page(&bob, &chat).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"messages\""));
    assert!(html.contains("<textarea name=\"content\""));
    assert!(html.contains(">Send</button>"));
    let csrf = csrf_from(&html).unwrap();

    // Without JavaScript: post and come back.
    let r = app
        .post_form(
            &bob,
            &format!("{chat}/messages"),
            &[("csrf_token", &csrf), ("content", "hello ana\nsecond line")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), chat);

    // With htmx: just the new message.
    let r = app
        .post_htmx(
            &bob,
            &format!("{chat}/messages"),
            &[
                ("csrf_token", &csrf),
                ("content", "<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fragment = r.text().await.unwrap();
    assert_eq!(message_ids(&fragment).len(), 1);
    assert!(!fragment.contains("<html"));
    assert!(!fragment.contains("<script>alert(1)</script>"));
    assert!(escaped(&fragment, "<script>alert(1)</script>"));
    assert!(fragment.contains("status-sent") || fragment.contains("status-delivered"));

    // Ana sees the conversation, unread, with an escaped preview.
    let (_, list) = app.get_page(&ana, "/chats").await;
    assert!(list.contains(&format!("href=\"{chat}\"")));
    assert!(list.contains("class=\"unread\""));
    assert!(!list.contains("<script>alert(1)</script>"));

    // Opening it shows both messages (escaped) and marks it read.
    let (status, page) = app.get_page(&ana, &chat).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(message_ids(&page).len(), 2);
    assert!(page.contains("hello ana<br>second line"));
    assert!(!page.contains("<script>alert(1)</script>"));
    let (_, list) = app.get_page(&ana, "/chats").await;
    assert!(list.contains(&format!("href=\"{chat}\"")));
    assert!(!list.contains("class=\"unread\""));

    // Bob now sees his messages as read.
    let (_, page) = app.get_page(&bob, &chat).await;
    assert!(page.contains("status-read"));
}

#[tokio::test]
async fn non_members_get_404_on_a_conversation_and_its_posts() {
    let app = spawn_app().await;
    let (_ana, ana_user) = app.user("ana").await;
    let (bob, _) = app.user("bob").await;
    let (eve, _) = app.user("eve").await;
    let chat = start_dm(&app, &bob, ana_user["id"].as_str().unwrap()).await;

    let (status, _) = app.get_page(&eve, &chat).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let csrf = app.csrf(&eve, "/chats").await;
    let r = app
        .post_form(
            &eve,
            &format!("{chat}/messages"),
            &[("csrf_token", &csrf), ("content", "let me in")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post_htmx(
            &eve,
            &format!("{chat}/messages"),
            &[("csrf_token", &csrf), ("content", "let me in")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = app.get_page(&eve, "/chats/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_group_is_created_from_the_form_and_can_be_left() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (_cat, cat_user) = app.user("cat").await;

    let (_, html) = app.get_page(&ana, "/chats").await;
    let csrf = csrf_from(&html).unwrap();
    let bob_id = bob_user["id"].as_str().unwrap();
    let cat_id = cat_user["id"].as_str().unwrap();
    assert!(html.contains(&format!("value=\"{bob_id}\"")));
    let r = app
        .post_form(
            &ana,
            "/chats/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Book <club>"),
                ("members", bob_id),
                ("members", cat_id),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let chat = location(&r);

    let (status, page) = app.get_page(&ana, &chat).await;
    assert_eq!(status, StatusCode::OK);
    assert!(escaped(&page, "Book <club>"));
    assert!(!page.contains("Book <club>"));
    assert!(page.contains("3 members"));
    assert!(page.contains(&format!("{chat}/leave")));
    let r = app
        .post_form(
            &ana,
            &format!("{chat}/messages"),
            &[("csrf_token", &csrf), ("content", "welcome")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_page(&ana, &chat).await;
    assert!(page.contains("read by 0 of 2"));

    // Bob sees the group, leaves it, and it is gone for him.
    let (_, list) = app.get_page(&bob, "/chats").await;
    assert!(list.contains(&format!("href=\"{chat}\"")));
    let bob_csrf = csrf_from(&list).unwrap();
    let r = app
        .post_form(&bob, &format!("{chat}/leave"), &[("csrf_token", &bob_csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/chats");
    let (_, list) = app.get_page(&bob, "/chats").await;
    assert!(!list.contains(&format!("href=\"{chat}\"")));
    let (status, _) = app.get_page(&bob, &chat).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn messages_are_edited_reacted_to_and_deleted_through_forms() {
    let app = spawn_app().await;
    let (_ana, ana_user) = app.user("ana").await;
    let (bob, _) = app.user("bob").await;
    let chat = start_dm(&app, &bob, ana_user["id"].as_str().unwrap()).await;
    let csrf = app.csrf(&bob, &chat).await;
    for text in ["first", "second"] {
        let r = app
            .post_form(
                &bob,
                &format!("{chat}/messages"),
                &[("csrf_token", &csrf), ("content", text)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, page) = app.get_page(&bob, &chat).await;
    let ids = message_ids(&page);
    assert_eq!(ids.len(), 2);
    let (first, second) = (&ids[0], &ids[1]);

    // The edit form, as a fragment for htmx.
    let (status, form) = {
        let r = bob
            .get(app.url(&format!("{chat}/messages/{first}/edit")))
            .header("HX-Request", "true")
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!("{chat}/messages/{first}/edit\"")));
    assert!(form.contains(">first</textarea>"));

    // Edit without JavaScript.
    let r = app
        .post_form(
            &bob,
            &format!("{chat}/messages/{first}/edit"),
            &[("csrf_token", &csrf), ("content", "first, fixed")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_page(&bob, &chat).await;
    assert!(page.contains("first, fixed"));
    assert!(page.contains("(edited)"));

    // React with htmx, then take it back.
    let r = app
        .post_htmx(
            &bob,
            &format!("{chat}/messages/{second}/react"),
            &[("csrf_token", &csrf), ("emoji", "🎉"), ("on", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("reaction reacted"));
    assert!(fragment.contains("🎉 <span class=\"count\">1</span>"));
    let r = app
        .post_form(
            &bob,
            &format!("{chat}/messages/{second}/react"),
            &[("csrf_token", &csrf), ("emoji", "🎉"), ("on", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_page(&bob, &chat).await;
    assert!(!page.contains("🎉 <span"));

    // Delete with htmx: the tombstone comes back.
    let r = app
        .post_htmx(
            &bob,
            &format!("{chat}/messages/{second}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("message deleted"));
    assert!(!fragment.contains(">second<"));
    let (_, page) = app.get_page(&bob, &chat).await;
    assert_eq!(message_ids(&page).len(), 2);
    assert!(page.contains("message deleted"));
    let (_, list) = app.get_page(&bob, "/chats").await;
    assert!(list.contains("message deleted"));
}

#[tokio::test]
async fn older_messages_load_in_pages() {
    let app = spawn_app().await;
    let (_ana, ana_user) = app.user("ana").await;
    let (bob, _) = app.user("bob").await;
    let chat = start_dm(&app, &bob, ana_user["id"].as_str().unwrap()).await;
    let csrf = app.csrf(&bob, &chat).await;
    for i in 0..55 {
        let r = app
            .post_htmx(
                &bob,
                &format!("{chat}/messages"),
                &[("csrf_token", &csrf), ("content", &format!("note {i}"))],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let (_, page) = app.get_page(&bob, &chat).await;
    let ids = message_ids(&page);
    assert_eq!(ids.len(), 50);
    assert!(page.contains("Load older"));
    let marker = "hx-get=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    let older_path = &page[start..end];
    let r = bob
        .get(app.url(older_path))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let older = r.text().await.unwrap();
    let older_ids = message_ids(&older);
    assert_eq!(older_ids.len(), 5);
    assert!(!older.contains("Load older"));
    assert!(older_ids.iter().all(|id| !ids.contains(id)));
    // Without JavaScript the same link is a page.
    let r = app.get_page(&bob, older_path).await;
    assert_eq!(r.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn people_can_be_blocked_and_unblocked() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (_bob, bob_user) = app.user("bob").await;
    let bob_id = bob_user["id"].as_str().unwrap();
    let csrf = app.csrf(&ana, "/people").await;
    let r = app
        .post_form(
            &ana,
            &format!("/people/{bob_id}/block"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_page(&ana, "/people").await;
    assert!(html.contains(&format!("/people/{bob_id}/unblock")));
    let r = app
        .post_form(
            &ana,
            &format!("/people/{bob_id}/unblock"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_page(&ana, "/people?q=bo").await;
    assert!(html.contains(&format!("/people/{bob_id}/block")));
}

#[tokio::test]
async fn sending_too_fast_is_rate_limited() {
    let app = spawn_app_with(&[("RATE_LIMIT_MESSAGES_PER_MINUTE", "2")]).await;
    let (_ana, ana_user) = app.user("ana").await;
    let (bob, _) = app.user("bob").await;
    let chat = start_dm(&app, &bob, ana_user["id"].as_str().unwrap()).await;
    let csrf = app.csrf(&bob, &chat).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = app
            .post_htmx(
                &bob,
                &format!("{chat}/messages"),
                &[("csrf_token", &csrf), ("content", "hi")],
            )
            .await;
        statuses.push(r.status());
    }
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn message_text_gets_safe_light_formatting_on_the_page() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let general = threads(&app, &ana).await.remove(0);
    let room = general["id"].as_str().unwrap().to_owned();
    send(
        &app,
        &ana,
        &general,
        "**bold** `<i>code</i>` see https://example.com <img src=x>",
    )
    .await;
    let (_, html) = app.get_page(&ana, &format!("/chats/{room}")).await;
    assert!(html.contains("<strong>bold</strong>"));
    assert!(html.contains("<code>&lt;i&gt;code&lt;/i&gt;</code>"));
    assert!(html.contains("<a href=\"https://example.com\""));
    assert!(!html.contains("<img src=x>"), "user HTML is escaped");
}

#[tokio::test]
async fn replying_from_the_page_links_the_reply_to_its_message() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let general = threads(&app, &ana).await.remove(0);
    let room = general["id"].as_str().unwrap().to_owned();
    let parent = send(&app, &ana, &general, "what time?").await;
    let pid = parent["id"].as_str().unwrap();
    let (_, page) = app
        .get_page(&ana, &format!("/chats/{room}?reply={pid}"))
        .await;
    assert!(
        page.contains("Replying to")
            && page.contains(&format!("name=\"reply_to_id\" value=\"{pid}\""))
    );
    let csrf = csrf_from(&page).unwrap();
    let r = app
        .post_form(
            &ana,
            &format!("/chats/{room}/messages"),
            &[
                ("csrf_token", &csrf),
                ("content", "noon"),
                ("reply_to_id", pid),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let msgs: serde_json::Value = ana
        .get(app.url(&format!("/api/messages?threadId={room}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(msgs["messages"][1]["replyToId"], parent["id"]);
    let (_, page) = app.get_page(&ana, &format!("/chats/{room}")).await;
    assert!(page.contains(&format!("href=\"#m-{pid}\"")));
    let bad = app
        .post_form(
            &ana,
            &format!("/chats/{room}/messages"),
            &[
                ("csrf_token", &csrf),
                ("content", "x"),
                ("reply_to_id", "nope"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn group_with(
    app: &TestApp,
    admin: &Client,
    name: &str,
    members: &[&serde_json::Value],
) -> String {
    let ids: Vec<&serde_json::Value> = members.iter().map(|m| &m["id"]).collect();
    let g = ok_json(
        post(
            app,
            admin,
            "/api/threads",
            serde_json::json!({"action": "create", "name": name, "participantIds": ids}),
        )
        .await,
    )
    .await;
    g["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn group_admins_add_and_remove_members_from_the_page() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (bob, bob_user) = app.user("bob").await;
    let (cid, cid_user) = app.user("cid").await;
    let g = group_with(&app, &ana, "Crew", &[&bob_user]).await;
    let (_, page) = app.get_page(&ana, &format!("/chats/{g}")).await;
    assert!(
        page.contains("Add member")
            && page.contains(&format!(
                "/members/{}/remove",
                bob_user["id"].as_str().unwrap()
            ))
    );
    let csrf = csrf_from(&page).unwrap();
    let r = app
        .post_form(
            &ana,
            &format!("/chats/{g}/members"),
            &[("csrf_token", &csrf), ("username", "cid")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_page(&cid, &format!("/chats/{g}")).await.0,
        StatusCode::OK
    );
    let unknown = app
        .post_form(
            &ana,
            &format!("/chats/{g}/members"),
            &[("csrf_token", &csrf), ("username", "nobody")],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    // A plain member sees no admin controls and cannot use them.
    let (_, bobs) = app.get_page(&bob, &format!("/chats/{g}")).await;
    assert!(!bobs.contains("Add member"));
    let bob_csrf = csrf_from(&bobs).unwrap();
    let cid_id = cid_user["id"].as_str().unwrap();
    let r = app
        .post_form(
            &bob,
            &format!("/chats/{g}/members/{cid_id}/remove"),
            &[("csrf_token", &bob_csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_form(
            &ana,
            &format!("/chats/{g}/members/{cid_id}/remove"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_page(&cid, &format!("/chats/{g}")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_non_member_gets_404_from_every_conversation_page_and_form() {
    let app = spawn_app().await;
    let (ana, _) = app.user("ana").await;
    let (_, bob_user) = app.user("bob").await;
    let (eve, _) = app.user("eve").await;
    let g = group_with(&app, &ana, "Secret", &[&bob_user]).await;
    let m = send(&app, &ana, &serde_json::json!({ "id": g }), "classified").await;
    let mid = m["id"].as_str().unwrap();
    let bob_id = bob_user["id"].as_str().unwrap();
    for path in [
        format!("/chats/{g}"),
        format!("/chats/{g}/messages?before={mid}"),
        format!("/chats/{g}/messages/{mid}/edit"),
    ] {
        let (status, body) = app.get_page(&eve, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(
            !body.contains("classified") && !body.contains("Secret"),
            "GET {path} leaked"
        );
    }
    let csrf = app.csrf(&eve, "/chats").await;
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/chats/{g}/messages"), vec![("content", "hi")]),
        (
            format!("/chats/{g}/messages/{mid}/edit"),
            vec![("content", "hi")],
        ),
        (format!("/chats/{g}/messages/{mid}/delete"), vec![]),
        (
            format!("/chats/{g}/messages/{mid}/react"),
            vec![("emoji", "x"), ("on", "1")],
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
                app.post_htmx(&eve, &path, &form).await
            } else {
                app.post_form(&eve, &path, &form).await
            };
            assert_eq!(
                r.status(),
                StatusCode::NOT_FOUND,
                "POST {path} (htmx: {htmx})"
            );
        }
    }
    let page: serde_json::Value = ana
        .get(app.url(&format!("/api/messages?threadId={g}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(page["messages"][0]["content"], "classified");
    assert!(
        page["messages"][0]["reactions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let thread: serde_json::Value = ana
        .get(app.url(&format!("/api/threads/{g}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (thread["name"].as_str(), thread["memberCount"].as_i64()),
        (Some("Secret"), Some(2))
    );
}
