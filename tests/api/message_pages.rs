//! One message on the conversation page: editing, reacting and deleting through forms and
//! htmx, replying, the formatting of message text, the edit history, and how a
//! conversation opens (the list beside it, times, the "New" divider).

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
    assert!(page.contains(&format!("href=\"/chats/{room}?message={pid}#m-{pid}\"")));
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

#[tokio::test]
async fn an_edited_message_opens_its_history_newest_first_for_members_only() {
    let (app, ana, bob, thread) = two_people_in_a_dm().await;
    let message = ana.send(&thread, "first **draft**").await;
    ana.edit(&message, "second draft").await;
    ana.edit(&message, "final text").await;
    let (tid, mid) = (id_str(&thread), id_str(&message));

    let history = bob.get_json(&format!("/api/messages/{mid}/history")).await;
    let versions: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["content"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["final text", "second draft", "first **draft**"]);
    assert_eq!(history["versions"][0]["current"], true);
    assert_eq!(
        history["versions"][2]["contentHtml"],
        "<p>first <strong>draft</strong></p>\n"
    );
    assert_eq!(history["versions"][2]["since"], message["createdAt"]);

    let (_, page) = bob.get_page(&format!("/chats/{tid}")).await;
    let link = format!("href=\"/chats/{tid}/messages/{mid}/history\"");
    assert!(page.contains(&link), "(edited) opens the history");
    let (status, page) = bob
        .get_page(&format!("/chats/{tid}/messages/{mid}/history"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (final_at, second_at) = (
        page.find("final text").unwrap(),
        page.find("second draft").unwrap(),
    );
    assert!(final_at < second_at, "newest first");
    assert!(page.contains("<strong>draft</strong>"));

    let outsider = app.user("cid").await;
    let response = outsider.get(&format!("/api/messages/{mid}/history")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, _) = outsider
        .get_page(&format!("/chats/{tid}/messages/{mid}/history"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    ana.delete(&message).await;
    let history = bob.get_json(&format!("/api/messages/{mid}/history")).await;
    assert_eq!(
        history["versions"],
        serde_json::json!([]),
        "deleted: no history"
    );
}

#[tokio::test]
async fn a_conversation_opens_with_the_list_beside_it_local_times_and_a_new_divider() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let tid = id_str(&thread);
    ana.send(&thread, "read already").await;
    bob.get_page(&format!("/chats/{tid}")).await;
    let first_unread = ana.send(&thread, "first unread").await;
    ana.send(&thread, "second unread").await;

    let (_, page) = bob.get_page(&format!("/chats/{tid}")).await;
    let divider = page.find("id=\"new-divider\"").expect("a New divider");
    let first = page
        .find(&format!("data-message-id=\"{}\"", id_str(&first_unread)))
        .unwrap();
    assert!(divider < first, "the divider comes before the first unread");
    assert_eq!(
        page[divider..first].matches("<article").count(),
        1,
        "right above the first unread (whose tag holds its id): {}",
        &page[divider..first]
    );
    assert!(page.contains("role=\"log\""));
    assert!(
        page.contains(&format!("id=\"t-{tid}\"")),
        "the list is beside it"
    );
    assert!(
        page.contains("aria-current=\"page\""),
        "the open one is marked"
    );
    let created = first_unread["createdAt"].as_str().unwrap();
    assert!(
        page.contains(&format!("datetime=\"{created}\"")),
        "the time carries the instant"
    );
    assert!(
        page.contains(" UTC</time>"),
        "read without JavaScript: with its zone"
    );

    let (_, again) = bob.get_page(&format!("/chats/{tid}")).await;
    assert!(!again.contains("new-divider"), "read now: no divider");
}

#[tokio::test]
async fn a_reply_quotes_its_parent_even_when_the_parent_is_not_on_the_page() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let dm = ana.dm(&bob).await;
    let parent = ana
        .send(&dm, "the   plan for\nthe launch is on the wiki")
        .await;
    for i in 0..60 {
        bob.send(&dm, &format!("filler {i}")).await;
    }
    let reply = ok_json(
        bob.send_with(serde_json::json!({
            "threadId": dm["id"], "content": "agreed", "replyToId": parent["id"],
        }))
        .await,
    )
    .await;
    let (t, p) = (dm["id"].as_str().unwrap(), parent["id"].as_str().unwrap());
    let (_, page) = bob.get_page(&format!("/chats/{t}")).await;
    assert!(
        !page.contains(&format!("id=\"m-{p}\"")),
        "the parent is not on the first page"
    );
    assert!(
        page.contains("↪ ana: the plan for the launch is on the wiki</a>"),
        "the quote is rendered by the server"
    );
    assert!(
        page.contains(&format!("href=\"/chats/{t}?message={p}#m-{p}\"")),
        "it links to the parent"
    );

    // The live stream renders the same quote, and a deleted parent says so.
    let mut stream = bob.stream_at(&format!("/events?thread={t}")).await;
    assert!(ana.delete(&parent).await.status().is_success());
    ana.send_with(serde_json::json!({"threadId": t, "content": "again", "replyToId": reply["id"]}))
        .await;
    let frame = loop {
        let e = stream.next().await;
        if e.data.contains("beforeend:#messages") && e.data.contains("again") {
            break e.data;
        }
    };
    assert!(frame.contains("↪ bob: agreed"), "{frame}");
    let (_, page) = bob.get_page(&format!("/chats/{t}")).await;
    assert!(page.contains("↪ ana: message deleted"));
}
