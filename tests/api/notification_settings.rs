//! Notification settings: stored per person on the server, changed with a plain form on
//! the settings page, and handed to every page (`#notify-settings`) for
//! `assets/notify.js`.

use reqwest::StatusCode;

use crate::helpers::*;

/// What a page hands to the notifications script: (desktop, sound).
fn handed(page: &str) -> (bool, bool) {
    let start = page
        .find("id=\"notify-settings\"")
        .expect("the settings element");
    let tag = &page[start..start + page[start..].find('>').unwrap()];
    (
        tag.contains("data-desktop=\"true\""),
        tag.contains("data-sound=\"true\""),
    )
}

fn checked(page: &str, name: &str) -> bool {
    let start = page
        .find(&format!("name=\"{name}\" value=\"1\""))
        .unwrap_or_else(|| panic!("no {name} checkbox"));
    page[start..start + page[start..].find('>').unwrap()].contains("checked")
}

#[tokio::test]
async fn notification_settings_are_stored_per_person_and_reach_every_page() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;

    // The defaults: desktop notifications on, sound off.
    let (_, page) = ana.get_page("/settings").await;
    assert!(checked(&page, "desktop") && !checked(&page, "sound"));
    assert_eq!(handed(&page), (true, false));
    assert!(
        page.contains("id=\"notify-ask\""),
        "the button that asks the browser"
    );

    // Sound on, desktop notifications off (an unticked box is simply not sent).
    let csrf = ana.csrf("/settings").await;
    let r = ana
        .submit(
            StatusCode::SEE_OTHER,
            Post::Form,
            "/settings/notifications",
            &[("csrf_token", &csrf), ("sound", "1")],
        )
        .await;
    assert_eq!(r.headers()["location"], "/settings#settings-notifications");
    let (_, page) = ana.get_page("/settings").await;
    assert!(!checked(&page, "desktop") && checked(&page, "sound"));
    for path in ["/chats", "/people", "/mentions"] {
        let (status, page) = ana.get_page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(handed(&page), (false, true), "{path}");
    }
    // Bob's are his own.
    let (_, page) = bob.get_page("/chats").await;
    assert_eq!(handed(&page), (true, false));

    // And back on.
    ana.submit(
        StatusCode::SEE_OTHER,
        Post::Form,
        "/settings/notifications",
        &[("csrf_token", &csrf), ("desktop", "1")],
    )
    .await;
    let (_, page) = ana.get_page("/chats").await;
    assert_eq!(handed(&page), (true, false));
}

#[tokio::test]
async fn notification_settings_need_a_login() {
    let app = spawn_app().await;
    let csrf = app.csrf(&app.client, "/login").await;
    let r = app
        .post_form(
            &app.client,
            "/settings/notifications",
            &[("csrf_token", &csrf), ("desktop", "1")],
        )
        .await;
    assert!(
        r.status() == StatusCode::SEE_OTHER || r.status() == StatusCode::UNAUTHORIZED,
        "{}",
        r.status()
    );
}
