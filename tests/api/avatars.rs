//! Profile pictures: uploaded through the API or the settings page, cropped to a square,
//! re-encoded without metadata, served to logged-in users at a URL that names the picture
//! (cached for good; an old one redirects to the current avatar), removed back to the
//! identicon; bad input refused with the right status.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::{StatusCode, header, multipart};

use crate::{attachment_rules::png_with_secret as png_with_marker, helpers::*};

fn has_marker(bytes: &[u8]) -> bool {
    bytes.windows(10).any(|w| w == b"GPS-SECRET")
}

/// A multipart form: `csrf_token` first when given (as a page's form sends it), then `file`.
fn form(csrf: Option<&str>, name: &str, bytes: Vec<u8>) -> multipart::Form {
    let form = match csrf {
        Some(token) => multipart::Form::new().text("csrf_token", token.to_owned()),
        None => multipart::Form::new(),
    };
    form.part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_owned()),
    )
}

async fn set_picture(user: &TestUser, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    user.client()
        .put(user.url("/api/me/avatar"))
        .multipart(form(None, name, bytes))
        .send()
        .await
        .unwrap()
}

/// Posts the settings page's picture form, as a browser without JavaScript does.
async fn post_picture(
    user: &TestUser,
    csrf: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    user.client()
        .post(user.url("/settings/avatar"))
        .multipart(form(Some(csrf), name, bytes))
        .send()
        .await
        .unwrap()
}

/// A GIF of `width`×`height`.
fn gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, Rgb([200, 40, 40])))
        .write_to(&mut out, ImageFormat::Gif)
        .unwrap();
    out.into_inner()
}

/// The profile pictures in the test server's storage.
fn stored_pictures(app: &TestApp) -> usize {
    std::fs::read_dir(upload_dir(&app.db_name).join("avatar"))
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_picture_is_cropped_stripped_and_served_to_logged_in_users() {
    let (app, ana, bob, thread) = two_people_in_a_dm().await;
    let original = png_with_marker(600, 400);
    assert!(has_marker(&original));
    let me = ok_json(set_picture(&ana, "me.png", original).await).await;
    let image = me["image"].as_str().unwrap().to_owned();
    assert!(
        image.starts_with(&format!("/avatars/{}/", ana.id)) && image.ends_with(".jpg"),
        "{image}"
    );
    assert_eq!(ana.get_json("/api/me").await["image"], image.as_str());

    let response = bob.get(&image).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
    let cache = response.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cache.contains("private") && cache.contains("immutable"),
        "{cache}"
    );
    let etag = response.headers()[header::ETAG].clone();
    let bytes = response.bytes().await.unwrap();
    assert!(
        !has_marker(&bytes),
        "the picture is encoded again, without metadata"
    );
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!((picture.width(), picture.height()), (256, 256));
    // The centre square (x 100 to 500 of 600, red x % 256): red 100 on its left edge and
    // 243 on its right; the whole picture squeezed would give 0 and 87.
    let (left, right) = (
        picture.to_rgb8().get_pixel(0, 128)[0],
        picture.to_rgb8().get_pixel(255, 128)[0],
    );
    assert!(
        (85..=115).contains(&left) && (225..=255).contains(&right),
        "the centre square, not the whole picture squeezed: red {left} to {right}"
    );

    let again = bob
        .client()
        .get(bob.url(&image))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let anonymous = app.get(&image).await;
    assert!(
        !anonymous.status().is_success(),
        "not served to visitors: {}",
        anonymous.status()
    );

    // Bob sees it wherever ana's avatar shows.
    bob.send(&thread, "hello").await;
    ana.send(&thread, "hi bob").await;
    let listed = bob.listed(&thread).await.unwrap();
    let people = listed["participants"].as_array().unwrap();
    assert!(
        people.iter().any(|p| p["image"] == image.as_str()),
        "{listed}"
    );
    let (_, conversation) = app
        .get_page(
            bob.client(),
            &format!("/chats/{}", thread["id"].as_str().unwrap()),
        )
        .await;
    assert!(
        conversation.matches(&format!("src=\"{image}\"")).count() >= 3,
        "the heading, the list and ana's message show her picture"
    );
    let (_, people_page) = app.get_page(bob.client(), "/people").await;
    assert!(people_page.contains(&format!("src=\"{image}\"")));
}

#[tokio::test]
async fn a_new_picture_replaces_the_old_and_removing_it_brings_back_the_identicon() {
    let (app, ana, bob, _thread) = two_people_in_a_dm().await;
    let first = ok_json(set_picture(&ana, "a.png", png_with_marker(300, 300)).await).await;
    let first = first["image"].as_str().unwrap().to_owned();
    let second = ok_json(set_picture(&ana, "b.gif", gif(64, 80)).await).await;
    let second = second["image"].as_str().unwrap().to_owned();
    assert_ne!(first, second);

    let old = bob.get(&first).await;
    assert_eq!(old.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(old.headers()[header::LOCATION], second.as_str());
    let small = image::load_from_memory(&bob.get(&second).await.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (64, 64), "never scaled up");
    assert_eq!(
        stored_pictures(&app),
        1,
        "the replaced picture's file is removed"
    );

    let back = ok_json(
        ana.client()
            .delete(ana.url("/api/me/avatar"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let identicon = format!("/avatars/{}.svg", ana.id);
    assert_eq!(back["image"], identicon.as_str());
    assert_eq!(stored_pictures(&app), 0);
    let gone = bob.get(&second).await;
    assert_eq!(gone.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(gone.headers()[header::LOCATION], identicon.as_str());
}

#[tokio::test]
async fn bad_pictures_are_refused_and_change_nothing() {
    let app = spawn_app_with(&[("MAX_UPLOAD_BYTES", "200000")]).await;
    let [ana] = app.users(["ana"]).await;
    // A GIF whose header claims 65,535 × 65,535 pixels (17 GB decoded).
    let mut bomb = gif(2, 2);
    bomb[6..10].copy_from_slice(&[0xff; 4]);
    let unusable = StatusCode::UNPROCESSABLE_ENTITY;
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "notes.txt",
            b"just some text".to_vec(),
            unusable,
            "PNG, JPEG",
        ),
        (
            "page.png",
            b"<html><script>1</script>".to_vec(),
            unusable,
            "PNG, JPEG",
        ),
        (
            "doc.pdf",
            b"%PDF-1.7\n1 0 obj\n".to_vec(),
            unusable,
            "PNG, JPEG",
        ),
        ("empty.png", Vec::new(), unusable, "choose a picture"),
        ("bomb.gif", bomb, unusable, "too many pixels"),
        (
            "cut.png",
            png_with_marker(50, 50)[..80].to_vec(),
            unusable,
            "damaged",
        ),
        (
            "big.png",
            vec![0x89; 200_001],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too large",
        ),
    ];
    for (name, bytes, status, says) in cases {
        let message = expect_error(set_picture(&ana, name, bytes).await, status).await;
        assert!(message.contains(says), "{name}: {message}");
    }
    let not_multipart = ana
        .client()
        .put(ana.url("/api/me/avatar"))
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(not_multipart, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(
        ana.get_json("/api/me").await["image"],
        format!("/avatars/{}.svg", ana.id).as_str()
    );
    assert_eq!(stored_pictures(&app), 0);
    let anonymous = app
        .client
        .put(app.url("/api/me/avatar"))
        .multipart(form(None, "me.png", png_with_marker(10, 10)))
        .send()
        .await
        .unwrap();
    expect_error(anonymous, StatusCode::UNAUTHORIZED).await;
    let visitor = app.get(&format!("/avatars/{}/nothing.jpg", ana.id)).await;
    assert_eq!(
        visitor.status(),
        StatusCode::SEE_OTHER,
        "visitors are sent to log in"
    );
    assert!(
        location(&visitor).starts_with("/login"),
        "{}",
        location(&visitor)
    );
}

#[tokio::test]
async fn the_settings_page_sets_and_removes_the_picture_without_javascript() {
    let app = spawn_app().await;
    let [ana] = app.users(["ana"]).await;
    let csrf = app.csrf(ana.client(), "/settings").await;
    let response = post_picture(&ana, &csrf, "me.png", png_with_marker(120, 90)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    let image = ana.get_json("/api/me").await["image"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(image.ends_with(".jpg"), "{image}");
    assert!(page.contains("Picture saved."), "{page}");
    assert!(
        page.contains(&format!("src=\"{image}\"")),
        "the page shows it"
    );
    assert_eq!(ana.get(&image).await.status(), StatusCode::OK);

    let response = post_picture(&ana, &csrf, "a.png", b"plain text".to_vec()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("PNG, JPEG, GIF or WebP")
    );

    let response = post_picture(&ana, "forged", "x.png", png_with_marker(10, 10)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = app
        .post_form(
            ana.client(),
            "/settings/avatar/remove",
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Picture removed."));
    assert_eq!(
        ana.get_json("/api/me").await["image"],
        format!("/avatars/{}.svg", ana.id).as_str()
    );
    assert_eq!(stored_pictures(&app), 0);
}
