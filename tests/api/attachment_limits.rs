//! What bounds an upload's cost: the multipart body as a whole (a part header that never
//! ends), a trickle, an image that would decode to gigabytes, a batch of sends that name
//! one upload twice; and what is left behind when a request fails halfway.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    attachments::{post_multipart, uploaded},
    helpers::{id_str, spawn_app_with, storage::Store, upload_dir},
};

/// A multipart body to `/api/attachments` with `boundary` XB.
async fn raw_upload(user: &crate::helpers::TestUser, body: reqwest::Body) -> reqwest::Response {
    user.client()
        .post(user.url("/api/attachments"))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XB")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_part_header_that_never_ends_is_cut_off_at_the_body_cap() {
    let app = spawn_app_with(&[("MAX_UPLOAD_BYTES", "100000")]).await;
    let [ana] = app.users(["ana"]).await;
    let mut body =
        b"--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\nX-Pad: "
            .to_vec();
    body.resize(body.len() + 3 * 1024 * 1024, b'A');
    let response = raw_upload(&ana, body.into()).await;
    assert_eq!(
        response.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "the cap, not the parser's patience"
    );
}

#[tokio::test]
async fn an_upload_that_trickles_is_cut_off() {
    let app = spawn_app_with(&[("BODY_READ_TIMEOUT_SECS", "1")]).await;
    let [ana] = app.users(["ana"]).await;
    let head = "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n";
    // A byte every 300 ms: each gap is shorter than the timeout, the average far below
    // what an upload must keep up.
    let chunks = futures_util::stream::unfold(0u32, move |i| async move {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let chunk = if i == 0 {
            head.as_bytes().to_vec()
        } else {
            b"x".to_vec()
        };
        (i < 30).then_some((Ok::<_, std::io::Error>(chunk), i + 1))
    });
    let started = std::time::Instant::now();
    let response = raw_upload(&ana, reqwest::Body::wrap_stream(chunks)).await;
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "cut off early: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_image_too_large_to_decode_is_a_file_without_its_metadata() {
    let app = spawn_app_with(&[]).await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let png = crate::attachment_rules::png_with_secret(1, 1);
    // The same file, its header claiming 20000 × 20000 pixels.
    let mut huge = png.clone();
    huge[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&20_000u32.to_be_bytes());
    let crc = crate::attachment_rules::crc32(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    let file = uploaded(&ana, "huge.png", huge).await;
    let ids = [id_str(&file)];
    ana.send_with(json!({"threadId": id_str(&thread), "content": "", "attachmentIds": ids}))
        .await;
    let got = bob.get(file["url"].as_str().unwrap()).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert!(
        got.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let served = got.bytes().await.unwrap();
    assert!(
        !served.windows(10).any(|w| w == b"GPS-SECRET"),
        "metadata stripped all the same"
    );
    let messages = bob.messages(&thread).await;
    assert!(
        messages["messages"][0]["attachments"][0]
            .get("thumbnailUrl")
            .is_none()
    );
}

#[tokio::test]
async fn a_send_refused_in_a_batch_leaves_its_upload_to_the_next_send() {
    use confab::{
        accounts,
        chat::{
            fields::MessageContent,
            sending::{NewMessage, send_many},
        },
    };
    let app = spawn_app_with(&[]).await;
    let [ana, bob, cid] = app.users(["ana", "bob", "cid"]).await;
    let thread = ana.dm(&bob).await;
    let elsewhere = cid.send(&cid.dm(&bob).await, "elsewhere").await;
    let file = uploaded(&ana, "a.txt", b"one".to_vec()).await;
    let db = app.db().await;
    let uuid = |v: &Value| Uuid::parse_str(id_str(v)).unwrap();
    let author = accounts::find(&db, uuid(&ana.json)).await.unwrap().unwrap();
    let send = |reply: Option<Uuid>| NewMessage {
        thread: uuid(&thread),
        content: MessageContent::parse("x").unwrap(),
        client_id: None,
        reply_to: reply,
        attachments: vec![uuid(&file)],
    };
    let outcomes = send_many(
        &db,
        vec![
            (author.clone(), send(Some(uuid(&elsewhere)))),
            (author, send(None)),
        ],
    )
    .await;
    assert!(
        outcomes[0].is_err(),
        "a reply into another conversation is refused"
    );
    let sent = outcomes[1]
        .as_ref()
        .expect("the second send gets the upload");
    assert_eq!(sent.0.attachments.len(), 1);
}

#[tokio::test]
async fn a_failed_request_leaves_no_files_behind() {
    let app = spawn_app_with(&[]).await;
    let [ana, bob, eve] = app.users(["ana", "bob", "eve"]).await;
    let thread = ana.dm(&bob).await;
    let store = Store::Dir(upload_dir(&app.db_name));
    // An upload followed by a field it does not take.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
        )
        .text("other", "y");
    let extra = post_multipart(&ana, "/api/attachments", form).await;
    assert_eq!(extra.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A page form whose send is refused (eve is not in the conversation).
    let page = format!("/chats/{}", id_str(&thread));
    let csrf = eve.csrf("/chats").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .text("content", "hi")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("b.txt"),
        );
    let refused = post_multipart(&eve, &format!("{page}/messages"), form).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        store.objects().await,
        Vec::<String>::new(),
        "nothing left in storage"
    );
}
