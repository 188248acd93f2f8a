//! Links to a message: the conversation opens around it for members, and is the same 404
//! as an unknown conversation for everyone else.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_permalink_opens_the_message_in_context_for_members() {
    let (_app, ana, bob, dm) = two_people_in_a_dm().await;
    let mut sent = Vec::new();
    for i in 0..80 {
        sent.push(ana.send(&dm, &format!("message number {i}")).await);
    }
    let target = &sent[10];
    let path = format!("/chats/{}?message={}", id_str(&dm), id_str(target));
    let (status, page) = bob.get_page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("id=\"m-{}\"", id_str(target))));
    assert!(
        page.contains("message number 0<"),
        "older ones before it: {page}"
    );
    assert!(page.contains("message number 34<"), "newer ones after it");
    // (The conversation list beside it previews the newest message: look for the message.)
    assert!(
        !page.contains(&format!("id=\"m-{}\"", id_str(&sent[79]))),
        "not the newest page"
    );
    assert!(
        !page.contains("class=\"load-older\""),
        "nothing older than the first"
    );
    let newer = format!(
        "/chats/{}/messages?after={}",
        id_str(&dm),
        id_str(&sent[34])
    );
    assert!(
        page.contains(&newer),
        "newer pages load from the last shown: {page}"
    );

    let more = bob.get_htmx(&newer).await.text().await.unwrap();
    assert!(more.contains("message number 35<") && more.contains("message number 79<"));
    assert!(!more.contains("message number 34<"), "{more}");
    assert!(!more.contains("load-newer"), "that was the newest");

    // Read as far as the page showed, not further.
    let listed = bob.listed(&dm).await.unwrap();
    assert_eq!(listed["unreadCount"], 45);

    let (_, near_end) = bob
        .get_page(&format!(
            "/chats/{}?message={}",
            id_str(&dm),
            id_str(&sent[70])
        ))
        .await;
    assert!(
        near_end.contains("class=\"load-older\""),
        "older pages load too"
    );
    assert!(!near_end.contains("class=\"load-newer\""));
}

#[tokio::test]
async fn a_permalink_is_the_unknown_conversation_404_for_anyone_else() {
    let (app, ana, bob, dm) = two_people_in_a_dm().await;
    let eve = app.user("eve").await;
    let m = ana.send(&dm, "private").await;
    let (unknown_status, unknown) = eve
        .get_page(&format!("/chats/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    let (status, page) = eve
        .get_page(&format!("/chats/{}?message={}", id_str(&dm), id_str(&m)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        page.replace(&eve.csrf("/people").await, ""),
        unknown.replace(&eve.csrf("/people").await, "")
    );
    assert!(!page.contains("private"));

    // A message of another conversation, or none at all, through a member's thread.
    let other = ana.group("other", &[]).await;
    let elsewhere = ana.send(&other, "elsewhere").await;
    for id in [
        id_str(&elsewhere).to_owned(),
        uuid::Uuid::now_v7().to_string(),
    ] {
        let (status, page) = bob
            .get_page(&format!("/chats/{}?message={id}", id_str(&dm)))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
        assert!(!page.contains("elsewhere"));
    }
}
