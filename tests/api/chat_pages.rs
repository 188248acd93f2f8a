//! The conversation page, with and without JavaScript: a DM started from /people carries
//! messages both ways and clears unread, older messages load in pages, and sending too
//! fast is refused.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_dm_started_from_people_delivers_messages_with_and_without_javascript() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let chat = bob.start_dm_from_people(&ana).await;

    // The composer is there, with the stable hooks.
    let (status, html) = bob.get_page(&chat).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"messages\""));
    assert!(html.contains("<textarea name=\"content\""));
    assert!(html.contains(">Send</button>"));
    let csrf = csrf_from(&html).unwrap();

    // Without JavaScript: post and come back.
    let r = bob
        .submit(
            StatusCode::SEE_OTHER,
            Post::Form,
            &format!("{chat}/messages"),
            &[("csrf_token", &csrf), ("content", "hello ana\nsecond line")],
        )
        .await;
    assert_eq!(location(&r), chat);

    // With htmx: just the new message.
    let r = bob
        .submit(
            StatusCode::OK,
            Post::Htmx,
            &format!("{chat}/messages"),
            &[
                ("csrf_token", &csrf),
                ("content", "<script>alert(1)</script>"),
            ],
        )
        .await;
    let fragment = r.text().await.unwrap();
    assert_eq!(message_ids(&fragment).len(), 1);
    assert!(!fragment.contains("<html"));
    assert!(!fragment.contains("<script>alert(1)</script>"));
    assert!(escaped(&fragment, "<script>alert(1)</script>"));
    assert!(fragment.contains("status-sent") || fragment.contains("status-delivered"));

    // Ana sees the conversation, unread, with an escaped preview.
    let (_, list) = ana.get_page("/chats").await;
    assert!(list.contains(&format!("href=\"{chat}\"")));
    assert!(list.contains("class=\"unread\""));
    assert!(!list.contains("<script>alert(1)</script>"));

    // Opening it shows both messages (escaped) and marks it read.
    let (status, page) = ana.get_page(&chat).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(message_ids(&page).len(), 2);
    assert!(page.contains("hello ana<br>\nsecond line"));
    assert!(!page.contains("<script>alert(1)</script>"));
    let (_, list) = ana.get_page("/chats").await;
    assert!(list.contains(&format!("href=\"{chat}\"")));
    assert!(!list.contains("class=\"unread\""));

    // Bob now sees his messages as read.
    let (_, page) = bob.get_page(&chat).await;
    assert!(page.contains("status-read"));
}

#[tokio::test]
async fn older_messages_load_in_pages() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let chat = bob.start_dm_from_people(&ana).await;
    let csrf = bob.csrf(&chat).await;
    for i in 0..55 {
        bob.submit(
            StatusCode::OK,
            Post::Htmx,
            &format!("{chat}/messages"),
            &[("csrf_token", &csrf), ("content", &format!("note {i}"))],
        )
        .await;
    }
    let (_, page) = bob.get_page(&chat).await;
    let ids = message_ids(&page);
    assert_eq!(ids.len(), 50);
    assert!(page.contains("Load older"));
    let marker = "hx-get=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    let older_path = &page[start..end];
    let r = bob.get_htmx(older_path).await;
    assert_eq!(r.status(), StatusCode::OK);
    let older = r.text().await.unwrap();
    let older_ids = message_ids(&older);
    assert_eq!(older_ids.len(), 5);
    assert!(!older.contains("Load older"));
    assert!(older_ids.iter().all(|id| !ids.contains(id)));
    // Without JavaScript the same link is a page.
    let r = bob.get_page(older_path).await;
    assert_eq!(r.0, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sending_too_fast_is_rate_limited() {
    let app = spawn_app_with(&[("RATE_LIMIT_MESSAGES_PER_MINUTE", "2")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let chat = bob.start_dm_from_people(&ana).await;
    let csrf = bob.csrf(&chat).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = bob
            .post_htmx(
                &format!("{chat}/messages"),
                &[("csrf_token", &csrf), ("content", "hi")],
            )
            .await;
        statuses.push(r.status());
    }
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS);
}
