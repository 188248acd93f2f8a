//! Groups and people on the pages: creating and leaving a group from its form, admins
//! adding and removing members, and blocking from /people.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_group_is_created_from_the_form_and_can_be_left() {
    let app = spawn_app().await;
    let [ana, bob, cat] = app.users(["ana", "bob", "cat"]).await;

    let (_, html) = ana.get_page("/chats").await;
    let csrf = csrf_from(&html).unwrap();
    let bob_id = bob.id.as_str();
    let cat_id = cat.id.as_str();
    assert!(html.contains(&format!("value=\"{bob_id}\"")));
    let r = ana
        .submit(
            StatusCode::SEE_OTHER,
            Post::Form,
            "/chats/new",
            &[
                ("csrf_token", &csrf),
                ("name", "Book <club>"),
                ("members", bob_id),
                ("members", cat_id),
            ],
        )
        .await;
    let chat = location(&r);

    let (status, page) = ana.get_page(&chat).await;
    assert_eq!(status, StatusCode::OK);
    assert!(escaped(&page, "Book <club>"));
    assert!(!page.contains("Book <club>"));
    assert!(page.contains("3 members"));
    assert!(page.contains(&format!("{chat}/leave")));
    ana.submit(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("{chat}/messages"),
        &[("csrf_token", &csrf), ("content", "welcome")],
    )
    .await;
    let (_, page) = ana.get_page(&chat).await;
    assert!(page.contains("read by 0 of 2"));

    // Bob sees the group, leaves it, and it is gone for him.
    let (_, list) = bob.get_page("/chats").await;
    assert!(list.contains(&format!("href=\"{chat}\"")));
    let bob_csrf = csrf_from(&list).unwrap();
    let r = bob
        .press(
            StatusCode::SEE_OTHER,
            Post::Form,
            &format!("{chat}/leave"),
            &bob_csrf,
        )
        .await;
    assert_eq!(location(&r), "/chats");
    let (_, list) = bob.get_page("/chats").await;
    assert!(!list.contains(&format!("href=\"{chat}\"")));
    let (status, _) = bob.get_page(&chat).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn group_admins_add_and_remove_members_from_the_page() {
    let app = spawn_app().await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let group = ana.group("Crew", &[&bob]).await;
    let g = id_str(&group);
    let (_, page) = ana.get_page(&format!("/chats/{g}")).await;
    assert!(
        page.contains("Add member")
            && page.contains(&format!("/members/{}/remove", bob.id.as_str()))
    );
    let csrf = csrf_from(&page).unwrap();
    ana.submit(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("/chats/{g}/members"),
        &[("csrf_token", &csrf), ("username", "cid")],
    )
    .await;
    assert_eq!(cid.get_page(&format!("/chats/{g}")).await.0, StatusCode::OK);
    ana.submit(
        StatusCode::NOT_FOUND,
        Post::Form,
        &format!("/chats/{g}/members"),
        &[("csrf_token", &csrf), ("username", "nobody")],
    )
    .await;
    // A plain member sees no admin controls and cannot use them.
    let (_, bobs) = bob.get_page(&format!("/chats/{g}")).await;
    assert!(!bobs.contains("Add member"));
    let bob_csrf = csrf_from(&bobs).unwrap();
    let cid_id = cid.id.as_str();
    bob.press(
        StatusCode::FORBIDDEN,
        Post::Form,
        &format!("/chats/{g}/members/{cid_id}/remove"),
        &bob_csrf,
    )
    .await;
    ana.press(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("/chats/{g}/members/{cid_id}/remove"),
        &csrf,
    )
    .await;
    assert_eq!(
        cid.get_page(&format!("/chats/{g}")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn people_can_be_blocked_and_unblocked() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let bob_id = bob.id.as_str();
    let csrf = ana.csrf("/people").await;
    ana.press(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("/people/{bob_id}/block"),
        &csrf,
    )
    .await;
    let (_, html) = ana.get_page("/people").await;
    assert!(html.contains(&format!("/people/{bob_id}/unblock")));
    ana.press(
        StatusCode::SEE_OTHER,
        Post::Form,
        &format!("/people/{bob_id}/unblock"),
        &csrf,
    )
    .await;
    let (_, html) = ana.get_page("/people?q=bo").await;
    assert!(html.contains(&format!("/people/{bob_id}/block")));
}
