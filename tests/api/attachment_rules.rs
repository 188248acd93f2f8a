//! The rules around attachments (local storage): names and types that try to trick, who
//! may attach what, ranges and caching, the sweep of uploads never sent, bad requests.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    attachments::{post_multipart, upload, uploaded},
    helpers::{id_str, spawn_app, spawn_app_with, storage::Store, upload_dir},
};

/// A PNG of `w`×`h` with a text chunk where a camera would put its GPS position.
pub fn png_with_secret(w: u32, h: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    let image = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut raw), image::ImageFormat::Png)
        .unwrap();
    // IHDR ends at byte 33: put a tEXt chunk right after it.
    let data = b"Comment\0GPS-SECRET 52.52N 13.40E";
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(data);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    raw.splice(33..33, chunk);
    raw
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn names_with_paths_and_control_characters_are_kept_safely() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    // C1 controls and a right-to-left override ("txt.exe" shown as "exe.txt") reach the
    // server; ASCII controls in a header are refused before (a clear 400).
    let file = uploaded(
        &ana,
        "../../etc/pass\u{85}w\u{9b}d\u{202e}\"x\".txt",
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(file["name"], "passwd\"x\".txt");
    let raw = upload(&ana, "bell\u{7}.txt", b"x".to_vec()).await;
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let ids = [id_str(&file)];
    ana.send_with(json!({"threadId": id_str(&thread), "content": "", "attachmentIds": ids}))
        .await;
    let got = bob.get(file["url"].as_str().unwrap()).await;
    assert_eq!(
        got.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"passwd_x_.txt\"; filename*=UTF-8''passwd%22x%22.txt"
    );
    // Stored under a generated key: nothing named after the file, nothing outside.
    let stored = Store::Dir(upload_dir(&app.db_name)).objects().await;
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].starts_with("file/") && !stored[0].contains("passwd"),
        "{stored:?}"
    );
}

#[tokio::test]
async fn an_html_file_named_png_is_never_served_as_html() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let html = b"<!doctype html><html><script>alert(document.cookie)</script></html>".to_vec();
    let file = uploaded(&ana, "cat.png", html).await;
    assert_eq!(file["contentType"], "text/html", "what it is, sniffed");
    assert!(file.get("width").is_none());
    let ids = [id_str(&file)];
    ana.send_with(json!({"threadId": id_str(&thread), "content": "", "attachmentIds": ids}))
        .await;
    let got = bob.get(file["url"].as_str().unwrap()).await;
    let h = got.headers();
    assert_eq!(h[header::CONTENT_TYPE], "application/octet-stream");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(
        h[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(
        h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
}

#[tokio::test]
async fn only_the_uploader_attaches_an_upload_and_only_once() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let file = uploaded(&ana, "a.txt", b"mine".to_vec()).await;
    let body = |client: &str| json!({"threadId": id_str(&thread), "content": "x", "clientId": client, "attachmentIds": [id_str(&file)]});
    // Not bob's: refused, and nothing is sent.
    let stolen = bob.send_with(body("b1")).await;
    assert_eq!(stolen.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        stolen.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("not an unsent upload of yours")
    );
    assert_eq!(
        bob.get(file["url"].as_str().unwrap()).await.status(),
        StatusCode::NOT_FOUND
    );
    let first = ana.send_with(body("a1")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    // A retry of the same send (same clientId) is the same message, not an error.
    let retry = ana.send_with(body("a1")).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(retry.json::<Value>().await.unwrap()["id"], first["id"]);
    // Another message cannot take it again.
    assert_eq!(
        ana.send_with(body("a2")).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let messages = ana.messages(&thread).await;
    assert_eq!(
        messages["messages"].as_array().unwrap().len(),
        1,
        "only one message stored"
    );
    // Nor can one message carry more than ten.
    let mut ids = Vec::new();
    for i in 0..11 {
        ids.push(uploaded(&ana, &format!("{i}.txt"), b"x".to_vec()).await["id"].clone());
    }
    let many = ana
        .send_with(json!({"threadId": id_str(&thread), "content": "", "attachmentIds": ids}))
        .await;
    assert_eq!(many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // No text and no files is still an empty message.
    let empty = ana
        .send_with(json!({"threadId": id_str(&thread), "content": " "}))
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn downloads_answer_ranges_and_revalidation() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
    let file = uploaded(&ana, "data.bin", bytes.clone()).await;
    let ids = [id_str(&file)];
    ana.send_with(json!({"threadId": id_str(&thread), "content": "", "attachmentIds": ids}))
        .await;
    let url = bob.url(file["url"].as_str().unwrap());
    let part = bob
        .client()
        .get(&url)
        .header(header::RANGE, "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()[header::CONTENT_RANGE], "bytes 10-19/1000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[10..20]);
    let tail = bob
        .client()
        .get(&url)
        .header(header::RANGE, "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[995..]);
    let outside = bob
        .client()
        .get(&url)
        .header(header::RANGE, "bytes=5000-")
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(outside.headers()[header::CONTENT_RANGE], "bytes */1000");
    let ranged = |range: &'static str| bob.client().get(&url).header(header::RANGE, range).send();
    let longer = ranged("bytes=-5000").await.unwrap();
    assert_eq!(
        longer.headers()[header::CONTENT_RANGE],
        "bytes 0-999/1000",
        "the whole file"
    );
    let several = ranged("bytes=0-1,0-1").await.unwrap();
    assert_eq!(
        several.status(),
        StatusCode::OK,
        "several ranges: the whole file"
    );

    let whole = bob.get(file["url"].as_str().unwrap()).await;
    let etag = whole.headers()[header::ETAG].clone();
    let again = bob
        .client()
        .get(&url)
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn uploads_never_sent_are_swept_and_sent_ones_stay() {
    let app = spawn_app_with(&[("UNATTACHED_UPLOAD_TTL_SECS", "2")]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let kept = uploaded(&ana, "kept.txt", b"sent".to_vec()).await;
    let ids = [id_str(&kept)];
    ana.send_with(json!({"threadId": id_str(&thread), "content": "", "attachmentIds": ids}))
        .await;
    let dropped = uploaded(&ana, "dropped.txt", b"never sent".to_vec()).await;
    let store = Store::Dir(upload_dir(&app.db_name));
    assert_eq!(store.objects().await.len(), 2);
    let meta = format!("/api/attachments/{}", id_str(&dropped));
    assert_eq!(
        ana.get(&meta).await.status(),
        StatusCode::OK,
        "its uploader sees it until then"
    );
    let mut gone = false;
    for _ in 0..100 {
        if ana.get(&meta).await.status() == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the unsent upload was swept");
    for _ in 0..50 {
        if store.objects().await.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.objects().await.len(), 1, "its file too");
    assert_eq!(
        bob.get(kept["url"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_uploads_get_clear_errors() {
    let app = spawn_app().await;
    let [ana] = app.users(["ana"]).await;
    let not_multipart = ana
        .post_json("/api/attachments", json!({"file": "x"}))
        .await;
    assert_eq!(not_multipart.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let form = reqwest::multipart::Form::new().text("other", "x");
    let wrong_field = post_multipart(&ana, "/api/attachments", form).await;
    assert_eq!(wrong_field.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let empty = upload(&ana, "empty.txt", Vec::new()).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("empty")
    );
}
