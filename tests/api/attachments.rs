//! Attachments through the JSON API, on both backends (the local directory and a real
//! S3-speaking server): upload, send, download intact, access, limits, sniffing, deletes.

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{
    TestApp, TestUser, id_str,
    storage::{Backend, app_on},
};

/// Posts a multipart form to `path` as `user`.
pub async fn post_multipart(user: &TestUser, path: &str, form: Form) -> reqwest::Response {
    user.client()
        .post(user.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads `bytes` as `name` (with a misleading client type, which must not matter).
pub async fn upload(user: &TestUser, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("image/png")
        .unwrap();
    post_multipart(user, "/api/attachments", Form::new().part("file", part)).await
}

pub async fn uploaded(user: &TestUser, name: &str, bytes: Vec<u8>) -> Value {
    let response = upload(user, name, bytes).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "upload accepted: {body}");
    body
}

fn noise(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i * 7919 % 251) as u8 ^ (i >> 8) as u8)
        .collect()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn send_files(
    user: &TestUser,
    thread: &Value,
    content: &str,
    ids: &[&Value],
) -> reqwest::Response {
    let ids: Vec<&str> = ids.iter().map(|a| id_str(a)).collect();
    user.send_with(json!({"threadId": id_str(thread), "content": content, "attachmentIds": ids}))
        .await
}

async fn people(app: &TestApp) -> (TestUser, TestUser, TestUser, Value) {
    let [ana, bob, eve] = app.users(["ana", "bob", "eve"]).await;
    let thread = ana.dm(&bob).await;
    (ana, bob, eve, thread)
}

/// Runs a scenario on the local directory and on S3.
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn local() {
                super::$name(crate::helpers::storage::Backend::Local).await
            }
            #[tokio::test]
            async fn s3() {
                super::$name(crate::helpers::storage::Backend::S3).await
            }
        }
    };
}

on_both_backends!(members_download_intact_and_outsiders_get_404);
async fn members_download_intact_and_outsiders_get_404(backend: Backend) {
    let (app, store) = app_on(backend, &[]).await;
    let (ana, bob, eve, thread) = people(&app).await;
    let mut bobs_stream = bob.stream().await;
    // Larger than one storage part (5 MiB), so the upload really is streamed in parts.
    let bytes = noise(6 * 1024 * 1024 + 123);
    let file = uploaded(&ana, "report.bin", bytes.clone()).await;
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["name"], "report.bin");
    assert_eq!(
        file["contentType"], "application/octet-stream",
        "sniffed, not the client's image/png"
    );
    assert!(file.get("thumbnailUrl").is_none());

    let sent = send_files(&ana, &thread, "the numbers", &[&file]).await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let message: Value = sent.json().await.unwrap();
    assert_eq!(message["attachments"][0]["id"], file["id"]);
    let live = bobs_stream
        .next_where("message.created", |m| m["id"] == message["id"])
        .await;
    assert_eq!(
        live["attachments"], message["attachments"],
        "the stream carries the files"
    );
    let listed = bob.messages(&thread).await;
    assert_eq!(listed["messages"][0]["attachments"], message["attachments"]);

    let url = file["url"].as_str().unwrap();
    let got = bob.get(url).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert!(
        got.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("private")
    );
    assert!(
        got.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(
        sha(&got.bytes().await.unwrap()),
        sha(&bytes),
        "bob gets the file intact"
    );
    assert_eq!(
        bob.get_json(&format!("/api/attachments/{}", id_str(&file)))
            .await,
        file
    );

    // Outsiders and unknown ids: the same 404.
    assert_eq!(eve.get(url).await.status(), StatusCode::NOT_FOUND);
    let unknown = format!("/api/attachments/{}/file", uuid::Uuid::new_v4());
    assert_eq!(bob.get(&unknown).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.client.get(app.url(url)).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(store.objects().await.len(), 1, "one object stored");
}

on_both_backends!(oversize_is_413_and_nothing_is_stored);
async fn oversize_is_413_and_nothing_is_stored(backend: Backend) {
    let (app, store) = app_on(backend, &[("MAX_UPLOAD_BYTES", "1000000")]).await;
    let (ana, ..) = people(&app).await;
    let response = upload(&ana, "big.bin", noise(1_000_001)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("1000000"),
        "{body}"
    );
    // The abort of a streamed upload finishes in the background.
    for _ in 0..50 {
        if store.objects().await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        store.objects().await,
        Vec::<String>::new(),
        "nothing left behind"
    );
    assert_eq!(
        uploaded(&ana, "fits.bin", noise(1_000_000)).await["size"],
        1_000_000
    );
}

on_both_backends!(a_deleted_messages_files_are_gone);
async fn a_deleted_messages_files_are_gone(backend: Backend) {
    let (app, store) = app_on(backend, &[]).await;
    let (ana, bob, _, thread) = people(&app).await;
    let file = uploaded(&ana, "notes.txt", b"secret plans".to_vec()).await;
    let message: Value = send_files(&ana, &thread, "", &[&file])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(message["content"], "", "a message may be files only");
    let url = file["url"].as_str().unwrap();
    assert_eq!(bob.get(url).await.status(), StatusCode::OK);
    assert_eq!(ana.delete(&message).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(bob.get(url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(ana.get(url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        store.objects().await,
        Vec::<String>::new(),
        "the object is removed"
    );
    let listed = bob.messages(&thread).await;
    assert_eq!(listed["messages"][0]["attachments"], json!([]));
}

on_both_backends!(images_get_a_thumbnail_live_and_lose_their_metadata);
async fn images_get_a_thumbnail_live_and_lose_their_metadata(backend: Backend) {
    let (app, _store) = app_on(backend, &[]).await;
    let (ana, bob, _, thread) = people(&app).await;
    let mut bobs_stream = bob.stream().await;
    let png = crate::attachment_rules::png_with_secret(900, 300);
    let file = uploaded(&ana, "holiday.png", png).await;
    assert_eq!(file["contentType"], "image/png");
    assert_eq!(
        (file["width"].clone(), file["height"].clone()),
        (json!(900), json!(300))
    );
    let message: Value = send_files(&ana, &thread, "look", &[&file])
        .await
        .json()
        .await
        .unwrap();
    // The thumbnail comes with the send, or in a message.updated right after.
    let with_thumb = if message["attachments"][0]["thumbnailUrl"].is_string() {
        message.clone()
    } else {
        bobs_stream
            .next_where("message.updated", |m| {
                m["id"] == message["id"] && m["attachments"][0]["thumbnailUrl"].is_string()
            })
            .await
    };
    let attachment = &with_thumb["attachments"][0];
    let thumb = bob.get(attachment["thumbnailUrl"].as_str().unwrap()).await;
    assert_eq!(thumb.status(), StatusCode::OK);
    let kind = thumb.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind == "image/png" || kind == "image/jpeg", "{kind}");
    let small = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (480, 160));

    let full = bob.get(attachment["url"].as_str().unwrap()).await;
    assert_eq!(full.headers()["content-type"], "image/png");
    assert!(
        full.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    let served = full.bytes().await.unwrap();
    assert!(
        !served.windows(10).any(|w| w == b"GPS-SECRET"),
        "metadata stripped"
    );
    let decoded = image::load_from_memory(&served).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (900, 300));
    assert_eq!(
        attachment["size"],
        served.len(),
        "the size is what is served"
    );
}
