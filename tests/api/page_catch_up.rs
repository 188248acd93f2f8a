//! `GET /events/catch-up`: the page stream's finite form. What came since a position,
//! rendered as the page stream renders it, then the position to ask from next time:
//! asked again from there, nothing comes twice and nothing is skipped.

use std::time::Duration;

use crate::{helpers::*, page_stream::page_stream_url};

/// One parsed frame of a catch-up answer.
#[derive(Debug, Default)]
struct Frame {
    id: Option<String>,
    event: String,
    data: String,
}

struct CatchUp {
    frames: Vec<Frame>,
    /// The position to ask from next time (the last `id:`).
    next: String,
}

impl CatchUp {
    /// How often the message is in a rendered fragment.
    fn copies(&self, message_id: &str) -> usize {
        let marker = format!("data-message-id=\"{message_id}\"");
        self.frames
            .iter()
            .map(|f| f.data.matches(&marker).count())
            .sum()
    }
}

/// The catch-up of the page `url` (its `/events?…` URL) from `from`.
async fn catch_up(viewer: &TestUser, url: &str, from: &str) -> CatchUp {
    let (path, query) = url.split_once('?').expect("a query");
    assert_eq!(path, "/events");
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some(("lastEventId", _)) => format!("lastEventId={from}"),
            _ => kv.to_owned(),
        })
        .collect();
    let response = viewer
        .get(&format!("/events/catch-up?{}", query.join("&")))
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "answered as plain text: {:?}",
        response.headers()["content-type"]
    );
    let body = response.text().await.unwrap();
    let mut frames = Vec::new();
    for block in body.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut frame = Frame::default();
        for line in block.lines() {
            match line.split_once(": ") {
                Some(("id", v)) => frame.id = Some(v.to_owned()),
                Some(("event", v)) => frame.event = v.to_owned(),
                Some(("data", v)) => {
                    frame.data.push_str(v);
                    frame.data.push('\n');
                }
                _ => {}
            }
        }
        frames.push(frame);
    }
    let next = frames
        .iter()
        .rev()
        .find_map(|f| f.id.clone())
        .expect("the answer ends with a position");
    assert_eq!(
        frames.last().and_then(|f| f.id.as_deref()),
        Some(next.as_str()),
        "the last frame is the position: {body}"
    );
    CatchUp { frames, next }
}

fn from_of(url: &str) -> String {
    let start = url.find("lastEventId=").expect("a position") + "lastEventId=".len();
    url[start..].split('&').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_catch_up_gives_what_came_since_a_position_once_and_where_to_go_on() {
    let (_app, ana, bob, thread) = two_people_in_a_dm().await;
    let id = thread["id"].as_str().unwrap();
    let url = page_stream_url(&bob, &format!("/chats/{id}")).await;
    let start = from_of(&url);

    let one = ana.send(&thread, "one").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let two = ana.send(&thread, "two").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = catch_up(&bob, &url, &start).await;
    assert_eq!(first.copies(&one), 1, "{:?}", first.frames);
    assert_eq!(first.copies(&two), 1, "{:?}", first.frames);
    assert!(
        first
            .frames
            .iter()
            .any(|f| f.data.contains("hx-swap-oob=\"beforeend:#messages\"")),
        "the same out-of-band swaps as the page stream"
    );
    assert_ne!(first.next, start, "the position moved on");

    // Nothing new from ana: none of it again, and the position does not go back. (Bob's
    // own receipts may be logged after it, moving the position on without anything to show.)
    let idle = catch_up(&bob, &url, &first.next).await;
    assert_eq!(
        idle.copies(&one) + idle.copies(&two),
        0,
        "{:?}",
        idle.frames
    );
    assert!(order(&idle.next) >= order(&first.next));

    // Something new: only that.
    let three = ana.send(&thread, "three").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = catch_up(&bob, &url, &first.next).await;
    assert_eq!(second.copies(&three), 1, "{:?}", second.frames);
    assert_eq!(second.copies(&one) + second.copies(&two), 0);
    assert!(order(&second.next) > order(&idle.next));

    // From the page's own position again, all three, once each.
    let all = catch_up(&bob, &url, &start).await;
    for m in [&one, &two, &three] {
        assert_eq!(all.copies(m), 1);
    }
    assert!(order(&all.next) >= order(&second.next));
}

/// A position's order (tests may know its `xid-id` form; clients treat it as opaque).
fn order(position: &str) -> (u64, u64) {
    let (xid, id) = position.split_once('-').expect("xid-id");
    (xid.parse().unwrap(), id.parse().unwrap())
}

#[tokio::test]
async fn a_catch_up_from_an_unknown_or_pruned_position_says_reset() {
    let app = spawn_app_with(&[("EVENT_RETENTION_SECS", "1")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let id = thread["id"].as_str().unwrap();
    let url = page_stream_url(&bob, &format!("/chats/{id}")).await;

    let garbage = catch_up(&bob, &url, "garbage").await;
    assert_eq!(
        garbage.frames.iter().filter(|f| f.event == "reset").count(),
        1
    );

    let old = from_of(&url);
    ana.send(&thread, "soon pruned").await;
    ana.send(&thread, "also pruned").await;
    // Wait (bounded) until the pruner has removed the events after the page's position.
    let mut reset = false;
    for _ in 0..100 {
        let answer = catch_up(&bob, &url, &old).await;
        if answer.frames.iter().any(|f| f.event == "reset") {
            assert!(
                !answer
                    .frames
                    .iter()
                    .any(|f| f.data.contains("data-message-id")),
                "a reset replays nothing"
            );
            reset = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(reset, "the pruned position got a reset");
}

#[tokio::test]
async fn a_catch_up_needs_a_login() {
    let (app, _ana, _bob, _thread) = two_people_in_a_dm().await;
    let response = new_client()
        .get(format!("{}/events/catch-up?lastEventId=1-0", app.address))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(response.status().as_u16(), 401 | 303),
        "{}",
        response.status()
    );
}
