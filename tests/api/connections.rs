//! Connection caps: past the per-address or the global cap a connection gets a `503` and
//! is closed, and a freed place is usable again.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::*;

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// What the server answers a `GET /healthz` on a fresh connection (first line).
async fn status_line(app: &TestApp) -> String {
    let mut stream = connect(app).await;
    let _ = stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn connections_past_the_per_address_cap_get_a_503_and_a_freed_place_works_again() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS_PER_IP", "3")]).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&app).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(status_line(&app).await, "HTTP/1.1 503 Service Unavailable");
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(status_line(&app).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn connections_past_the_global_cap_get_a_503() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "2"), ("MAX_CONNECTIONS_PER_IP", "0")]).await;
    let _held = [connect(&app).await, connect(&app).await];
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(status_line(&app).await, "HTTP/1.1 503 Service Unavailable");
}

#[tokio::test]
async fn a_body_that_stops_halfway_gets_a_408() {
    let app = spawn_app_with(&[("BODY_READ_TIMEOUT_SECS", "1")]).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username\": ",
        )
        .await
        .unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer, not a wait for the rest of the body")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}
