//! What an operator sees: `confab_` metrics with help text and bounded labels, a guarded
//! `/metrics`, request ids in and out, and (from the real binary's JSON logs) one access
//! line per request and one error line per server error.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

use crate::helpers::*;

async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

#[tokio::test]
async fn every_metric_is_prefixed_with_confab_and_has_help_text() {
    let app = spawn_app().await;
    app.get("/api/me").await;
    let text = scrape(&app).await;
    for name in ["http_requests_total", "http_request_duration_seconds"] {
        assert!(
            text.contains(&format!("# HELP confab_{name} ")),
            "no help for {name}:\n{text}"
        );
    }
    let samples: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(!samples.is_empty());
    for line in samples {
        assert!(line.starts_with("confab_"), "unprefixed metric: {line}");
    }
}

#[tokio::test]
async fn a_made_up_method_does_not_create_its_own_metric_series() {
    let app = spawn_app().await;
    let made_up = Method::from_bytes(b"FOOBAR").unwrap();
    let r = app
        .client
        .request(made_up, app.url("/api/me"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let text = scrape(&app).await;
    assert!(!text.contains("FOOBAR"), "a FOOBAR series exists");
    assert!(
        text.lines()
            .any(|l| l.starts_with("confab_http_requests_total{")
                && l.contains("method=\"OTHER\"")
                && l.contains("route=\"/api/me\"")),
        "the request is counted as OTHER:\n{text}"
    );
}

#[tokio::test]
async fn with_a_metrics_token_the_metrics_refuse_scrapers_without_it() {
    let app = spawn_app_with(&[("METRICS_TOKEN", "scrape-secret")]).await;
    let bare = app.get("/metrics").await;
    let message = expect_error(bare, StatusCode::UNAUTHORIZED).await;
    assert!(message.contains("METRICS_TOKEN"), "{message}");
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    expect_error(wrong, StatusCode::UNAUTHORIZED).await;
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().contains("confab_"));
}

#[tokio::test]
async fn a_request_id_is_echoed_when_sent_and_generated_when_not() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "from-the-proxy-42");
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let a = app.get("/api/me").await;
    let b = app.get("/nowhere").await;
    assert!(!id(&a).is_empty());
    assert_ne!(id(&a), id(&b), "each request gets its own id");
}

/// JSON log lines of a `confab serve` process, collected as they come.
struct Logs(Arc<Mutex<Vec<Value>>>);

impl Logs {
    /// Waits (a hang guard) until some line satisfies `pred`, and returns it.
    async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..150 {
            if let Some(line) = self.0.lock().unwrap().iter().find(|l| pred(l)) {
                return line.clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no log line {what}; got:\n{:#?}", self.0.lock().unwrap());
    }

    fn count(&self, pred: impl Fn(&Value) -> bool) -> usize {
        self.0.lock().unwrap().iter().filter(|l| pred(l)).count()
    }
}

fn mentions(line: &Value, text: &str) -> bool {
    line.to_string().contains(text)
}

#[tokio::test]
async fn the_binary_logs_one_access_line_per_request_and_each_server_error_once() {
    // The in-process app owns (and drops) the database; the binary is a second instance.
    let app = spawn_app().await;
    // No command: `serve` is the default.
    let mut server = Command::new(env!("CARGO_BIN_EXE_confab"))
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:5432/{}", app.db_name),
        )
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("DB_POOL_SIZE", "3")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("confab starts");
    let logs = Logs(Arc::default());
    let sink = logs.0.clone();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
            sink.lock().unwrap().push(value);
        }
    });
    let listening = logs
        .wait_for("listening", |l| l["message"] == "listening")
        .await;
    let base = format!("http://{}", listening["addr"].as_str().unwrap());

    let client = new_client();
    let registered = client
        .post(format!("{base}/api/auth/register"))
        .json(&serde_json::json!({"username": "logan", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let user = ok_json(registered).await;
    let r = client
        .get(format!("{base}/api/me"))
        .header("x-request-id", "req-me-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let access = logs
        .wait_for("for req-me-1", |l| {
            l["message"] == "access" && l["request_id"] == "req-me-1"
        })
        .await;
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["route"], "/api/me");
    assert_eq!(access["status"], 200);
    assert_eq!(access["user_id"], user["id"]);
    assert!(access["latency_ms"].is_number(), "{access}");

    // A server error: the table behind /api/blocks is gone.
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(format!(
        "postgres://postgres@127.0.0.1:5432/{}",
        app.db_name
    ))
    .await
    .unwrap();
    db.execute_unprepared("DROP TABLE blocks CASCADE")
        .await
        .unwrap();
    db.close().await.unwrap();
    let r = client
        .get(format!("{base}/api/blocks"))
        .header("x-request-id", "req-boom-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.headers()["x-request-id"], "req-boom-1");
    logs.wait_for("access for req-boom-1", |l| {
        l["message"] == "access" && l["request_id"] == "req-boom-1"
    })
    .await;
    // Anything else the failed request logs comes before the next request's lines.
    client
        .get(format!("{base}/api/me"))
        .header("x-request-id", "req-after")
        .send()
        .await
        .unwrap();
    logs.wait_for("for req-after", |l| l["request_id"] == "req-after")
        .await;
    let errors = logs.count(|l| l["level"] == "ERROR" && mentions(l, "req-boom-1"));
    assert_eq!(errors, 1, "the server error is logged exactly once");
    server.kill().await.ok();
}

#[tokio::test]
async fn the_grafana_dashboard_queries_only_metrics_the_server_exports() {
    let app = spawn_app().await;
    // Exercise every metric: a request, a message written, an event delivered to a stream.
    let [alice, bob] = app.users(["alice", "bob"]).await;
    let thread = alice.dm(&bob).await;
    let mut stream = bob.stream().await;
    alice.send(&thread, "hello").await;
    stream.next_of("message.created").await;
    let text = scrape(&app).await;
    let exported: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# HELP "))
        .filter_map(|l| l.split(' ').next())
        .collect();

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/grafana/confab-dashboard.json"
    );
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .expect("the dashboard is JSON");
    let mut queried = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for (at, _) in expr.match_indices("confab_") {
                let name: String = expr[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                queried.push(name);
            }
        }
    }
    assert!(queried.len() > 10, "the dashboard has queries");
    for name in queried {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(&name);
        assert!(
            exported.contains(&base),
            "the dashboard queries {name}, which /metrics does not export: {exported:?}"
        );
        // Histograms must be histograms (with `_bucket` series), not summaries.
        assert!(
            text.lines().any(|l| l.starts_with(&name)),
            "no {name} series in /metrics"
        );
    }
}
