//! Attachments on the pages: the no-JavaScript multipart form, the script's
//! `attachment_ids`, inline images and file cards, live on the other person's page, and
//! the CSRF check that multipart forms cannot skip.

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::Value;

use crate::{
    attachment_rules::png_with_secret,
    attachments::{post_multipart, uploaded},
    helpers::{TestUser, id_str, spawn_app},
};

fn form(csrf: Option<&str>, content: &str, files: Vec<(&str, Vec<u8>)>) -> Form {
    let mut form = Form::new();
    if let Some(csrf) = csrf {
        form = form.text("csrf_token", csrf.to_owned());
    }
    form = form.text("content", content.to_owned());
    for (name, bytes) in files {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    // What a browser sends for a file input left empty, and the button pressed.
    form.part("file", Part::bytes(Vec::new()).file_name(""))
        .text("send", "")
}

async fn post(user: &TestUser, thread: &Value, form: Form) -> reqwest::Response {
    post_multipart(user, &format!("/chats/{}/messages", id_str(thread)), form).await
}

#[tokio::test]
async fn without_javascript_files_go_with_the_form_and_show_on_both_pages() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let page = format!("/chats/{}", id_str(&thread));
    let mut bobs_page = bob
        .stream_at(&format!("/events?thread={}", id_str(&thread)))
        .await;
    let csrf = ana.csrf(&page).await;
    let sent = post(
        &ana,
        &thread,
        form(
            Some(&csrf),
            "",
            vec![
                ("minutes.pdf", b"%PDF-1.4 minutes".to_vec()),
                ("pic.png", png_with_secret(40, 20)),
            ],
        ),
    )
    .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER, "posted like any form");
    let messages = bob.messages(&thread).await;
    let files = messages["messages"][0]["attachments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["name"], "minutes.pdf");
    assert_eq!(files[0]["contentType"], "application/pdf");
    assert_eq!(files[1]["contentType"], "image/png");

    // The live fragment on bob's open page carries the card (and the image once ready).
    let mut live = String::new();
    while !live.contains("minutes.pdf") {
        live = bobs_page.next().await.data;
    }
    assert!(
        live.contains("file-card")
            && live.contains(&format!("/api/attachments/{}/file", id_str(&files[0])))
    );
    // Once the image is processed, the page shows its thumbnail inline, lazily loaded.
    let mut html = String::new();
    for _ in 0..50 {
        html = bob.get_page(&page).await.1;
        if html.contains("/thumbnail") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        html.contains(&format!("/api/attachments/{}/thumbnail", id_str(&files[1]))),
        "thumbnail shown"
    );
    assert!(html.contains("loading=\"lazy\""));
    assert!(html.contains("download=\"minutes.pdf\""));
    // A message of files only is previewed as such in the conversation list.
    assert!(bob.get_page("/chats").await.1.contains("📎 Attachment"));
}

#[tokio::test]
async fn the_page_script_sends_uploads_by_id() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let page = format!("/chats/{}", id_str(&thread));
    let a = uploaded(&ana, "a.txt", b"one".to_vec()).await;
    let b = uploaded(&ana, "b.txt", b"two".to_vec()).await;
    let csrf = ana.csrf(&page).await;
    let ids = format!("{},{}", id_str(&a), id_str(&b));
    let sent = ana
        .post_form(
            &format!("{page}/messages"),
            &[
                ("csrf_token", &csrf),
                ("content", "two files"),
                ("attachment_ids", &ids),
            ],
        )
        .await;
    assert!(sent.status().is_redirection(), "{}", sent.status());
    let messages = bob.messages(&thread).await;
    let names: Vec<&str> = messages["messages"][0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "b.txt"], "in the order given");
}

#[tokio::test]
async fn a_multipart_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    let missing = post(
        &ana,
        &thread,
        form(None, "forged", vec![("x.txt", b"x".to_vec())]),
    )
    .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let wrong = post(&ana, &thread, form(Some("not-the-token"), "forged", vec![])).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // Other forms do not take multipart at all: it cannot carry a token past the check.
    let leave = ana
        .client()
        .post(ana.url(&format!("/chats/{}/leave", id_str(&thread))))
        .multipart(Form::new().text("x", "y"))
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        bob.messages(&thread).await["messages"],
        serde_json::json!([]),
        "nothing sent"
    );
    assert!(
        ana.get(&format!("/chats/{}", id_str(&thread)))
            .await
            .status()
            .is_success(),
        "ana is still in it"
    );
}
