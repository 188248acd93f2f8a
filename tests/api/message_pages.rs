//! One message on the conversation page: editing, reacting and deleting through forms and
//! htmx, replying, and the safe light formatting of message text.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn messages_are_edited_reacted_to_and_deleted_through_forms() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let chat = bob.start_dm_from_people(&ana).await;
    let csrf = bob.csrf(&chat).await;
    for text in ["first", "second"] {
        bob.submit(
            StatusCode::SEE_OTHER,
            Post::Form,
            &format!("{chat}/messages"),
            &[("csrf_token", &csrf), ("content", text)],
        )
        .await;
    }
    let (_, page) = bob.get_page(&chat).await;
    let ids = message_ids(&page);
    assert_eq!(ids.len(), 2);
    let (first, second) = (&ids[0], &ids[1]);

    // The edit form, as a fragment for htmx.
    let (status, form) = {
        let r = bob.get_htmx(&format!("{chat}/messages/{first}/edit")).await;
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!("{chat}/messages/{first}/edit\"")));
    assert!(form.contains(">first</textarea>"));

    // Edit without JavaScript.
    bob.submit(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("{chat}/messages/{first}/edit"),
        &[("csrf_token", &csrf), ("content", "first, fixed")],
    )
    .await;
    let (_, page) = bob.get_page(&chat).await;
    assert!(page.contains("first, fixed"));
    assert!(page.contains("(edited)"));

    // React with htmx, then take it back.
    let r = bob
        .submit(
            StatusCode::OK,
            Post::Htmx,
            &format!("{chat}/messages/{second}/react"),
            &[("csrf_token", &csrf), ("emoji", "🎉"), ("on", "1")],
        )
        .await;
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("reaction reacted"));
    assert!(fragment.contains("🎉 <span class=\"count\">1</span>"));
    bob.submit(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("{chat}/messages/{second}/react"),
        &[("csrf_token", &csrf), ("emoji", "🎉"), ("on", "0")],
    )
    .await;
    let (_, page) = bob.get_page(&chat).await;
    assert!(!page.contains("🎉 <span"));

    // Delete with htmx: the tombstone comes back.
    let r = bob
        .press(
            StatusCode::OK,
            Post::Htmx,
            &format!("{chat}/messages/{second}/delete"),
            &csrf,
        )
        .await;
    let fragment = r.text().await.unwrap();
    assert!(fragment.contains("message deleted"));
    assert!(!fragment.contains(">second<"));
    let (_, page) = bob.get_page(&chat).await;
    assert_eq!(message_ids(&page).len(), 2);
    assert!(page.contains("message deleted"));
    let (_, list) = bob.get_page("/chats").await;
    assert!(list.contains("message deleted"));
}

#[tokio::test]
async fn replying_from_the_page_links_the_reply_to_its_message() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let general = ana.threads().await.remove(0);
    let room = general["id"].as_str().unwrap().to_owned();
    let parent = ana.send(&general, "what time?").await;
    let pid = parent["id"].as_str().unwrap();
    let (_, page) = ana.get_page(&format!("/chats/{room}?reply={pid}")).await;
    assert!(
        page.contains("Replying to")
            && page.contains(&format!("name=\"reply_to_id\" value=\"{pid}\""))
    );
    let csrf = csrf_from(&page).unwrap();
    ana.submit(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("/chats/{room}/messages"),
        &[
            ("csrf_token", &csrf),
            ("content", "noon"),
            ("reply_to_id", pid),
        ],
    )
    .await;
    let msgs = ana.messages(&general).await;
    assert_eq!(msgs["messages"][1]["replyToId"], parent["id"]);
    let (_, page) = ana.get_page(&format!("/chats/{room}")).await;
    assert!(page.contains(&format!("href=\"#m-{pid}\"")));
    ana.submit(
        StatusCode::UNPROCESSABLE_ENTITY,
        Post::Form,
        &format!("/chats/{room}/messages"),
        &[
            ("csrf_token", &csrf),
            ("content", "x"),
            ("reply_to_id", "nope"),
        ],
    )
    .await;
}

#[tokio::test]
async fn message_text_gets_safe_light_formatting_on_the_page() {
    let app = spawn_app().await;
    let ana = app.user("ana").await;
    let general = ana.threads().await.remove(0);
    let room = general["id"].as_str().unwrap().to_owned();
    ana.send(
        &general,
        "**bold** `<i>code</i>` see https://example.com <img src=x>",
    )
    .await;
    let (_, html) = ana.get_page(&format!("/chats/{room}")).await;
    assert!(html.contains("<strong>bold</strong>"));
    assert!(html.contains("<code>&lt;i&gt;code&lt;/i&gt;</code>"));
    assert!(html.contains("<a href=\"https://example.com\""));
    assert!(!html.contains("<img src=x>"), "user HTML is escaped");
}
