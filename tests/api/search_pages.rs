//! The search page: works as a plain form, answers htmx with the results alone.

use crate::helpers::two_people_in_a_dm;

#[tokio::test]
async fn the_search_page_finds_what_a_member_may_see_with_and_without_htmx() {
    let (app, ana, bob, thread) = two_people_in_a_dm().await;
    let eve = app.user("eve").await;
    let said = ana.send(&thread, "the quokka <b>plan</b>").await;

    let (status, page) = bob.get_page("/search?q=quok").await;
    assert_eq!(status, 200);
    assert!(page.contains("<mark>quokka</mark>"), "{page}");
    assert!(!page.contains("<b>plan"), "markup stays inert: {page}");
    let link = format!(
        "/chats/{}?message={}#m-{}",
        thread["id"].as_str().unwrap(),
        said["id"].as_str().unwrap(),
        said["id"].as_str().unwrap()
    );
    assert!(page.contains(&link), "{page}");
    assert!(page.contains("href=\"/search\""), "the nav links to search");

    let (_, strangers) = eve.get_page("/search?q=quokka").await;
    assert!(strangers.contains("Nothing found."), "{strangers}");
    assert!(!strangers.contains("quokka</mark>"));

    let fragment = bob.get_htmx("/search?q=quokka").await.text().await.unwrap();
    assert!(
        fragment
            .trim_start()
            .starts_with("<div id=\"search-results\""),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"), "htmx gets the results alone");

    let (status, bad) = bob.get_page("/search?q=quokka&after=yesterday").await;
    assert_eq!(status, 200);
    assert!(bad.contains("after must be a date"), "{bad}");
    let (_, empty) = bob.get_page("/search").await;
    assert!(empty.contains("Type a word"), "{empty}");
}
