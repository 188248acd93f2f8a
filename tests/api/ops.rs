//! Health, readiness, metrics, the OpenAPI document, assets and shutdown.

use std::time::Duration;

use reqwest::{StatusCode, header};
use sha2::{Digest, Sha256};

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/api/me").await;
    let text = app.metrics_text().await;
    assert!(text.contains("confab_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/me\"") && text.contains("status=\"401\""));
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn the_openapi_document_covers_the_json_api() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.openapi().await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/auth/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/logout", "post"),
        ("/api/me", "get"),
        ("/api/users", "get"),
        ("/api/tokens", "post"),
        ("/api/tokens", "get"),
        ("/api/tokens/{id}", "delete"),
        ("/api/admin/users", "get"),
        ("/api/admin/users/{id}", "patch"),
        ("/api/threads", "get"),
        ("/api/threads", "post"),
        ("/api/threads/{id}", "get"),
        ("/api/messages", "get"),
        ("/api/messages", "post"),
        ("/api/messages", "patch"),
        ("/api/messages", "delete"),
        ("/api/messages/read", "post"),
        ("/api/reactions", "post"),
        ("/api/reactions", "delete"),
        ("/api/blocks", "get"),
        ("/api/blocks", "post"),
        ("/api/blocks", "delete"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is undocumented"
        );
    }
    assert!(doc["components"]["schemas"]["UserView"].is_object());
}

#[tokio::test]
async fn api_errors_are_json_even_for_unknown_routes_and_methods() {
    let app = spawn_app().await;
    let r = app.get("/api/nothing-here").await;
    expect_error(r, StatusCode::NOT_FOUND).await;
    let r = app.client.put(app.url("/api/me")).send().await.unwrap();
    expect_error(r, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn assets_are_served_with_validators_and_caching() {
    let app = spawn_app().await;
    let r = app.get("/assets/vendor/htmx.min.js").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let etag = r.headers()[header::ETAG].clone();
    let again = app
        .client
        .get(app.url("/assets/vendor/htmx.min.js"))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let missing = app.get("/assets/nope.js").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let avatar = app
        .client
        .get(app.url(&format!("/avatars/{}.svg", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(avatar.headers()[header::CONTENT_TYPE], "image/svg+xml");
}

const VENDOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/vendor");

/// The sha256 of a vendored file, in hex.
fn vendored_sha256(file: &str) -> String {
    let bytes = std::fs::read(format!("{VENDOR}/{file}")).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The row of `VERSIONS.md` that records `file`.
fn versions_row<'a>(table: &'a str, file: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(&format!("| {file} ")))
        .unwrap_or_else(|| panic!("{file} has no row in VERSIONS.md"))
}

#[test]
fn vendored_htmx_matches_the_recorded_checksums() {
    let table = std::fs::read_to_string(format!("{VENDOR}/VERSIONS.md")).unwrap();
    for file in ["htmx.min.js", "hx-sse.min.js"] {
        let sum = vendored_sha256(file);
        let row = versions_row(&table, file);
        assert!(
            row.contains("4.0.1") && row.contains(&sum),
            "{file}: {sum} not in {row}"
        );
    }
}

#[test]
fn every_vendored_file_matches_its_recorded_checksum() {
    let table = std::fs::read_to_string(format!("{VENDOR}/VERSIONS.md")).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(VENDOR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".js") || f.ends_with(".css"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let sum = vendored_sha256(&file);
        let row = versions_row(&table, &file);
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(
            cells[4], sum,
            "{file}: the recorded sha256 is not the file's"
        );
        assert!(!cells[3].is_empty(), "{file}: no version recorded");
    }
}

#[tokio::test]
async fn the_server_stops_promptly_on_shutdown() {
    let mut app = spawn_app().await;
    // A client holding an idle keep-alive connection must not keep the server up.
    app.get("/healthz").await;
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("shutdown finished");
    assert!(
        app.client.get(app.url("/healthz")).send().await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn two_instances_starting_together_migrate_one_database_once() {
    let db_name = format!("confab_test_{}", uuid::Uuid::new_v4().simple());
    let (a, b) = tokio::join!(
        confab::app::Application::build(test_config(&db_name, &[])),
        confab::app::Application::build(test_config(&db_name, &[])),
    );
    let (a, b) = (a.expect("first instance"), b.expect("second instance"));
    drop((a, b));
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{db_name}\" WITH (FORCE)"))
        .await
        .unwrap();
}
