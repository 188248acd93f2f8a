//! The OpenAPI document's event schemas against the real stream: each kind a client can
//! receive is listed in `StreamEvent`, and the events sent carry the fields its schema
//! names (no more, and every required one).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;

/// The schema of each event kind, from `StreamEvent`'s `oneOf`, with `$ref`s followed.
fn schemas_by_kind(doc: &Value) -> Vec<(String, Value)> {
    let schemas = &doc["components"]["schemas"];
    let resolve = |schema: &Value| {
        let mut schema = schema.clone();
        while let Some(r) = schema["$ref"].as_str() {
            schema = schemas[r.trim_start_matches("#/components/schemas/")].clone();
        }
        schema
    };
    schemas["StreamEvent"]["oneOf"]
        .as_array()
        .expect("StreamEvent is a oneOf")
        .iter()
        .map(|variant| {
            let kind = variant["properties"]["event"]["enum"][0]
                .as_str()
                .expect("each variant names its event")
                .to_owned();
            (kind, resolve(&variant["properties"]["data"]))
        })
        .collect()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn assert_fits(kind: &str, data: &Value, schemas: &[(String, Value)]) {
    let (_, schema) = schemas
        .iter()
        .find(|(k, _)| k == kind)
        .unwrap_or_else(|| panic!("{kind} has no schema"));
    let declared = keys(&schema["properties"]);
    let sent = keys(data);
    assert!(
        sent.is_subset(&declared),
        "{kind} sends {:?}, not in its schema",
        sent.difference(&declared).collect::<Vec<_>>()
    );
    for required in schema["required"].as_array().into_iter().flatten() {
        let name = required.as_str().unwrap();
        assert!(sent.contains(name), "{kind} lacks required {name}: {data}");
    }
}

#[tokio::test]
async fn every_event_kind_matches_its_schema() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    let schemas = schemas_by_kind(&doc);
    let kinds: BTreeSet<&str> = schemas.iter().map(|(k, _)| k.as_str()).collect();
    for kind in [
        "message.created",
        "message.updated",
        "message.deleted",
        "thread.updated",
        "thread.removed",
        "read",
        "delivered",
        "mentions.updated",
        "typing",
        "presence",
        "reset",
    ] {
        assert!(kinds.contains(kind), "{kind} is not in StreamEvent");
    }

    let [ana, bob] = app.users(["ana", "bob"]).await;
    let bob_user = &bob.json;
    let thread = ana.dm(&bob).await;
    let mut bob_stream = bob.stream().await;
    let mut ana_stream = ana.stream().await;

    let m = ana.send(&thread, "hello").await;
    let (_, data) = bob_stream.next_of("message.created").await;
    assert_fits("message.created", &data, &schemas);

    ana.send(&thread, "hey @bob").await;
    let (_, data) = bob_stream.next_of("mentions.updated").await;
    assert_fits("mentions.updated", &data, &schemas);

    ana.typing(&thread).await;
    let (_, data) = bob_stream.next_of("typing").await;
    assert_fits("typing", &data, &schemas);

    ok_json(ana.edit(&m, "hello again").await).await;
    let (_, data) = bob_stream.next_of("message.updated").await;
    assert_fits("message.updated", &data, &schemas);

    bob.mark_read_up_to(&thread, &m).await;
    let data = ana_stream
        .next_where("read", |d| d["userId"] == bob_user["id"])
        .await;
    assert_fits("read", &data, &schemas);
    let (_, data) = bob_stream.next_of("thread.updated").await;
    assert_fits("thread.updated", &data, &schemas);

    assert!(ana.delete(&m).await.status().is_success());
    let (_, data) = bob_stream.next_of("message.deleted").await;
    assert_fits("message.deleted", &data, &schemas);

    let team = ana.group("team", &[&bob]).await;
    let remove = json!({"action": "remove", "threadId": team["id"], "userId": bob_user["id"]});
    ok_json(ana.thread_action(remove).await).await;
    let data = bob_stream
        .next_where("thread.removed", |d| d["id"] == team["id"])
        .await;
    assert_fits("thread.removed", &data, &schemas);

    let mut lost = bob.stream_after("garbage").await;
    let (_, data) = lost.next_of("reset").await;
    assert_fits("reset", &data, &schemas);
}
