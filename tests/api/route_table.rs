//! The route table and the OpenAPI document agree: every documented operation is routed.

use reqwest::{Method, StatusCode};

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_documented_operation_is_answered_by_its_route_not_the_fallback() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.openapi().await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .client
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            // The fallback answers 404 "page not found"; an unrouted method answers 405.
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !(status == StatusCode::NOT_FOUND && body.contains("page not found")),
                "{method} {path} fell through to the fallback: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 27, "only {checked} operations documented");
}
