//! Who is here: a conversation's members, online first, a page at a time, through the API
//! (`GET /api/threads/{id}/members`) and the pages (the panel beside a room, and
//! `/chats/{id}/members` with "Show more" links); only members may look.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

fn usernames(page: &Value) -> Vec<String> {
    page["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn members_come_online_first_a_page_at_a_time_and_only_to_members() {
    let app = spawn_app().await;
    let [ana, bob, cat, dan, eli, eve] =
        app.users(["ana", "bob", "cat", "dan", "eli", "eve"]).await;
    let group = ana.group("Crew", &[&bob, &cat, &dan, &eli]).await;
    let g = group["id"].as_str().unwrap().to_owned();
    // Dan is online: he has a stream open.
    let _dan_online = dan.stream().await;

    let path = |offset: u64| format!("/api/threads/{g}/members?limit=2&offset={offset}");
    let first = ana.get_json(&path(0)).await;
    assert_eq!(
        (first["total"].as_i64(), first["online"].as_i64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        usernames(&first),
        ["dan", "ana"],
        "online first, then by name"
    );
    assert_eq!(first["members"][0]["status"], "ONLINE");
    assert_eq!(first["members"][1]["status"], "OFFLINE");
    assert_eq!(first["nextOffset"], 2);
    let second = ana.get_json(&path(2)).await;
    assert_eq!(usernames(&second), ["bob", "cat"]);
    assert_eq!(second["nextOffset"], 4);
    let last = ana.get_json(&path(4)).await;
    assert_eq!(usernames(&last), ["eli"]);
    assert!(last.get("nextOffset").is_none(), "{last}");
    let everyone: HashSet<String> = [first, second, last].iter().flat_map(usernames).collect();
    assert_eq!(everyone.len(), 5);

    // The default page holds them all.
    let all = bob.get_json(&format!("/api/threads/{g}/members")).await;
    assert_eq!(usernames(&all).len(), 5);

    // Non-members learn nothing: the same 404 as for a conversation that does not exist.
    expect_error(
        eve.get(&format!("/api/threads/{g}/members")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let nowhere = uuid::Uuid::new_v4();
    expect_error(
        ana.get(&format!("/api/threads/{nowhere}/members")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Someone who left is no longer a member, and no longer listed.
    cat.thread_action(serde_json::json!({"action": "leave", "threadId": g}))
        .await;
    expect_error(
        cat.get(&format!("/api/threads/{g}/members")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let after = ana.get_json(&format!("/api/threads/{g}/members")).await;
    assert_eq!(after["total"], 4);
    assert!(!usernames(&after).contains(&"cat".to_owned()));

    for (bad, status) in [
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("limit=201", StatusCode::UNPROCESSABLE_ENTITY),
        ("offset=-1", StatusCode::BAD_REQUEST),
        ("limit=x", StatusCode::BAD_REQUEST),
    ] {
        expect_error(
            ana.get(&format!("/api/threads/{g}/members?{bad}")).await,
            status,
        )
        .await;
    }
    // Past the end, however far: an empty page, never a server error.
    let far = ana
        .get_json(&format!(
            "/api/threads/{g}/members?offset=9223372036854775808"
        ))
        .await;
    assert_eq!(far["members"], serde_json::json!([]));
}

#[tokio::test]
async fn the_members_panel_pages_with_links_and_only_members_see_it() {
    let app = spawn_app_with(&[("RATE_LIMITS", "off")]).await;
    let [ana, eve] = app.users(["ana", "eve"]).await;
    let mut others = Vec::new();
    for i in 0..55 {
        others.push(app.user(&format!("m{i:02}")).await);
    }
    let group = ana.group("Big", &others.iter().collect::<Vec<_>>()).await;
    let g = group["id"].as_str().unwrap().to_owned();

    // Beside the conversation: the first 50 and a "Show more" link.
    let (status, page) = ana.get_page(&format!("/chats/{g}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"roster-panel\""),
        "the panel beside the group"
    );
    assert_eq!(page.matches("class=\"roster-member\"").count(), 50);
    assert!(page.contains(&format!("href=\"/chats/{g}/members?offset=50\"")));
    assert!(
        page.contains("56</span>") || page.contains("· 56"),
        "the member count"
    );

    // Without JavaScript the link opens the next page; with htmx it answers the items.
    let (status, next) = ana.get_page(&format!("/chats/{g}/members?offset=50")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(next.matches("class=\"roster-member\"").count(), 6);
    assert!(next.contains("Members of Big"));
    assert!(
        next.contains(&format!("href=\"/chats/{g}/members?offset=0\"")),
        "a link back"
    );
    assert!(!next.contains("Show more"));
    let items = ana.get_htmx(&format!("/chats/{g}/members?offset=50")).await;
    assert_eq!(items.status(), StatusCode::OK);
    let items = items.text().await.unwrap();
    assert_eq!(items.matches("class=\"roster-member\"").count(), 6);
    assert!(!items.contains("<html"), "a fragment");

    // The open room has the panel too; a direct conversation does not.
    let open = ana
        .threads()
        .await
        .into_iter()
        .find(|t| t["kind"] == "open")
        .expect("the open room");
    let (_, page) = ana
        .get_page(&format!("/chats/{}", open["id"].as_str().unwrap()))
        .await;
    assert!(page.contains("id=\"roster-panel\""));
    let dm = ana.dm(&eve).await;
    let dm_id = dm["id"].as_str().unwrap();
    let (_, page) = ana.get_page(&format!("/chats/{dm_id}")).await;
    assert!(!page.contains("id=\"roster-panel\""));
    assert_eq!(
        ana.get_page(&format!("/chats/{dm_id}/members")).await.0,
        StatusCode::NOT_FOUND
    );

    // Non-members get the not-found page.
    assert_eq!(
        eve.get_page(&format!("/chats/{g}/members")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        eve.get_htmx(&format!("/chats/{g}/members")).await.status(),
        StatusCode::NOT_FOUND
    );
}
