//! The doorbell rings when events were written, not after every request: 404s, page
//! views and refused requests leave it quiet (watched on the shared Redis, on the channel
//! of this test's own database).

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_doorbell_rings_for_writes_but_not_for_404s_or_page_views() {
    let app = spawn_app_with(&[("REDIS_URL", "redis://127.0.0.1:6379")]).await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let thread = ana.dm(&bob).await;

    let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub
        .subscribe(format!("confab:{}:doorbell", app.db_name))
        .await
        .unwrap();
    let mut rings = pubsub.into_on_message();
    // Let the rings of the set-up (and any background work) die down.
    while tokio::time::timeout(Duration::from_millis(1500), rings.next())
        .await
        .is_ok()
    {}

    for _ in 0..5 {
        app.get_page(ana.client(), "/no/such/page").await;
        app.get_page(ana.client(), "/chats").await;
        ana.client()
            .get(app.url("/api/threads"))
            .send()
            .await
            .unwrap();
        ana.client()
            .get(app.url("/api/nothing-here"))
            .send()
            .await
            .unwrap();
        ana.post_json("/api/messages", json!({"threadId": thread["id"]}))
            .await;
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), rings.next())
            .await
            .is_err(),
        "nothing was written, yet the doorbell rang"
    );

    ana.send(&thread, "ding").await;
    tokio::time::timeout(Duration::from_secs(5), rings.next())
        .await
        .expect("a send rings the doorbell")
        .expect("the subscription is open");
}
