//! `GET /events`, the pages' stream: HTML from the pages' own partials as out-of-band
//! swaps for htmx's hx-sse, rendered for the viewer; named events for typing and presence.

use serde_json::{Value, json};

use crate::helpers::*;

/// The `/events` URL a page connects to (from its `hx-sse:connect` attribute).
pub async fn page_stream_url(viewer: &TestUser, page: &str) -> String {
    let (status, html) = viewer.get_page(page).await;
    assert_eq!(status, 200, "{page}");
    let marker = "hx-sse:connect=\"";
    let start = html.find(marker).expect("the page connects a live stream") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn the_open_conversation_gets_new_messages_rendered_for_the_viewer() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let id = thread["id"].as_str().unwrap();
    let url = page_stream_url(&bob, &format!("/chats/{id}")).await;
    assert!(url.starts_with("/events?lastEventId="), "{url}");
    assert!(url.contains(&format!("thread={id}")), "{url}");
    let bob_csrf = bob.csrf(&format!("/chats/{id}")).await;
    let mut stream = bob.stream_at(&url).await;
    assert_eq!(
        stream.next().await.event,
        "ready",
        "a page stream starts with `ready` (a page tells a stream that gets through)"
    );

    let sent = ana.send(&thread, "hello **bob**").await;
    let event = loop {
        let e = stream.next().await;
        if e.event == "message" && e.data.contains("data-message-id") {
            break e;
        }
    };
    assert!(!event.id.is_empty(), "page events carry the position");
    let html = &event.data;
    assert!(
        html.contains("hx-swap-oob=\"beforeend:#messages\""),
        "{html}"
    );
    assert!(html.contains(&format!(
        "data-message-id=\"{}\"",
        sent["id"].as_str().unwrap()
    )));
    assert!(
        html.contains("<strong>bob</strong>"),
        "formatted like the page: {html}"
    );
    assert!(
        !html.contains("class=\"message mine"),
        "not bob's own message"
    );
    assert!(html.contains(&bob_csrf), "forms carry the viewer's token");
}

#[tokio::test]
async fn a_page_that_loaded_before_a_message_shows_it_after_connecting() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let id = thread["id"].as_str().unwrap();
    // The page renders, then a message is sent before its stream connects.
    let url = page_stream_url(&bob, &format!("/chats/{id}")).await;
    ana.send(&thread, "sent while the page was loading").await;
    let mut stream = bob.stream_at(&url).await;
    loop {
        let e = stream.next().await;
        if e.data.contains("sent while the page was loading") {
            break;
        }
    }
}

#[tokio::test]
async fn the_conversation_list_moves_a_thread_up_with_the_viewers_unread_count() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let url = page_stream_url(&bob, "/chats").await;
    assert!(url.contains("list=1"), "{url}");
    let mut stream = bob.stream_at(&url).await;
    ana.send(&thread, "one").await;
    ana.send(&thread, "two").await;
    let id = thread["id"].as_str().unwrap();
    // (An item may also arrive for the conversation's creation; its state is as of
    // delivery. The one for the newest message must carry both messages and the bump.)
    loop {
        let e = stream.next().await;
        if e.data.contains("afterbegin:#threads")
            && e.data.contains(&format!("id=\"t-{id}\""))
            && e.data.contains("aria-label=\"2 unread\"")
            && e.data.contains("data-bump=\"1\"")
        {
            break;
        }
    }
    // Reading it elsewhere clears the badge on this page too.
    bob.mark_read(&thread).await;
    loop {
        let e = stream.next().await;
        if e.data.contains(&format!("id=\"t-{id}\"")) && !e.data.contains("unread\">") {
            assert!(!e.data.contains("data-bump"), "reading does not reorder");
            break;
        }
    }
}

#[tokio::test]
async fn the_senders_page_sees_its_ticks_turn_delivered_and_read() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let id = thread["id"].as_str().unwrap();
    let url = page_stream_url(&ana, &format!("/chats/{id}")).await;
    let mut ana_page = ana.stream_at(&url).await;
    let sent = ana.send(&thread, "tick tock").await;
    let ticks = format!("id=\"st-{}\"", sent["id"].as_str().unwrap());
    let _bob_stream = bob.stream().await;
    // Bob's stream was opened after the send; fetching the page delivers it.
    bob.messages(&thread).await;
    loop {
        let e = ana_page.next().await;
        if e.data.contains(&ticks) && e.data.contains("status-delivered") {
            break;
        }
    }
    bob.mark_read(&thread).await;
    loop {
        let e = ana_page.next().await;
        if e.data.contains(&ticks) && e.data.contains("status-read") {
            break;
        }
    }
}

#[tokio::test]
async fn typing_reaches_the_page_as_a_named_event_and_removal_closes_the_composer() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let team = ana.group("team", &[&bob]).await;
    let id = team["id"].as_str().unwrap();
    let url = page_stream_url(&bob, &format!("/chats/{id}")).await;
    let mut stream = bob.stream_at(&url).await;
    types_in(&ana, id).await;
    let (_, typing): (_, Value) = stream.next_of("typing").await;
    assert_eq!(typing["threadId"], team["id"]);
    assert_eq!(typing["name"], "ana");

    ok_json(
        ana.thread_action(json!({"action": "remove", "threadId": id, "userId": bob.id}))
            .await,
    )
    .await;
    loop {
        let e = stream.next().await;
        if e.data.contains("id=\"composer\"") {
            assert!(e.data.contains("no longer a member"), "{}", e.data);
            break;
        }
    }
}

#[tokio::test]
async fn edits_reactions_and_deletions_replace_the_message_on_the_open_page() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let id = thread["id"].as_str().unwrap();
    let sent = ana.send(&thread, "first draft").await;
    let mid = sent["id"].as_str().unwrap();
    let url = page_stream_url(&bob, &format!("/chats/{id}")).await;
    let mut stream = bob.stream_at(&url).await;
    let swap = format!("id=\"m-{mid}\" data-author-id");
    let next_swap = async |stream: &mut Sse| loop {
        let e = stream.next().await;
        if e.data.contains(&swap) && e.data.contains("hx-swap-oob=\"true\"") {
            return e.data;
        }
    };

    let r = ana.edit(&sent, "final text").await;
    assert_eq!(r.status(), 200);
    let html = next_swap(&mut stream).await;
    assert!(
        html.contains("final text") && html.contains("(edited)"),
        "{html}"
    );

    ok_json(bob.react(&sent, "🎉").await).await;
    let html = next_swap(&mut stream).await;
    assert!(
        html.contains("reaction reacted"),
        "bob sees his own reaction as his: {html}"
    );

    let r = ana.delete(&sent).await;
    assert_eq!(r.status(), 204);
    let html = next_swap(&mut stream).await;
    assert!(
        html.contains("message deleted") && !html.contains("final text"),
        "{html}"
    );
}

#[tokio::test]
async fn a_page_that_holds_the_stream_for_other_tabs_gets_typing_everywhere() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let team = ana.group("team", &[&bob]).await;
    let id = team["id"].as_str().unwrap();
    // A page that shows no conversation and no list.
    let url = page_stream_url(&bob, "/people").await;
    assert!(!url.contains("list=") && !url.contains("thread="), "{url}");
    let mut stream = bob.stream_at(&format!("{url}&typing=all")).await;
    types_in(&ana, id).await;
    let (_, typing): (_, Value) = stream.next_of("typing").await;
    assert_eq!(typing["threadId"], team["id"]);
}

/// `who` tells conversation `id` they are typing, from its page.
async fn types_in(who: &TestUser, id: &str) {
    let csrf = who.csrf(&format!("/chats/{id}")).await;
    let r = who
        .post_htmx(&format!("/chats/{id}/typing"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(r.status(), 204);
}
