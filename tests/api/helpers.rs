//! `spawn_app()` and `TestApp`: one helper per endpoint, so tests read as the product.

use std::sync::Once;

use confab::{app::Application, config::Config};
use reqwest::{Client, Response, StatusCode, redirect::Policy};
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub db_name: String,
    /// Anonymous client with its own cookie jar.
    pub client: Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// The settings it was started with (for restarts and peers).
    extra: Vec<(String, String)>,
    /// The first instance drops the database when it goes; peers leave it.
    owns_db: bool,
}

fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            confab::telemetry::init(confab::config::LogFormat::Text);
        }
    });
}

/// Settings for a test server; `extra` overrides or adds environment-style keys.
pub fn test_config(db_name: &str, extra: &[(&str, &str)]) -> Config {
    let mut pairs: Vec<(String, String)> = vec![
        (
            "DATABASE_URL".into(),
            format!("postgres://postgres@127.0.0.1:5432/{db_name}"),
        ),
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("DB_POOL_SIZE".into(), "5".into()),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    Config::from_lookup(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
        .expect("test config is valid")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let db_name = format!("confab_test_{}", Uuid::new_v4().simple());
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    start(db_name, extra, true).await
}

async fn start(db_name: String, extra: Vec<(String, String)>, owns_db: bool) -> TestApp {
    init_tracing();
    let pairs: Vec<(&str, &str)> = extra
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = Application::build(test_config(&db_name, &pairs))
        .await
        .expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until_stopped(async {
            let _ = rx.await;
        })
        .await
        .expect("server ran");
    });
    TestApp {
        address,
        db_name,
        client: new_client(),
        shutdown: Some(tx),
        server: Some(server),
        extra,
        owns_db,
    }
}

pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client builds")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Stops the server and starts a new one on the same port and database.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut extra = self.extra.clone();
        extra.retain(|(k, _)| k != "BIND_ADDR");
        let port = self.address.rsplit(':').next().unwrap().to_owned();
        extra.push(("BIND_ADDR".into(), format!("127.0.0.1:{port}")));
        let mut next = start(self.db_name.clone(), extra, false).await;
        self.shutdown = next.shutdown.take();
        self.server = next.server.take();
    }

    /// A second instance on the same database (multi-instance mode), with `extra` settings.
    pub async fn peer(&self, extra: &[(&str, &str)]) -> TestApp {
        let mut settings = self.extra.clone();
        for (k, v) in extra {
            settings.retain(|(key, _)| key != k);
            settings.push((k.to_string(), v.to_string()));
        }
        start(self.db_name.clone(), settings, false).await
    }

    pub async fn register_with(&self, client: &Client, body: Value) -> Response {
        client
            .post(self.url("/api/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Registers `username` on a fresh client and returns the logged-in client and user.
    pub async fn user(&self, username: &str) -> (Client, Value) {
        let client = new_client();
        let response = self
            .register_with(&client, json!({"username": username, "password": PASSWORD}))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "registering {username}"
        );
        let user = response.json().await.unwrap();
        (client, user)
    }

    pub async fn login(&self, client: &Client, username: &str, password: &str) -> Response {
        client
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    pub async fn me(&self, client: &Client) -> Response {
        client.get(self.url("/api/me")).send().await.unwrap()
    }

    pub async fn get_page(&self, client: &Client, path: &str) -> (StatusCode, String) {
        let response = client.get(self.url(path)).send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// The CSRF token from a page's forms.
    pub async fn csrf(&self, client: &Client, path: &str) -> String {
        let (_, html) = self.get_page(client, path).await;
        csrf_from(&html).unwrap_or_else(|| panic!("no csrf token on {path}"))
    }

    /// Posts a form the way a browser without JavaScript does.
    pub async fn post_form(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        client.post(self.url(path)).form(form).send().await.unwrap()
    }

    /// Posts a form the way htmx does (same fields, plus `HX-Request`).
    pub async fn post_htmx(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(path))
            .header("HX-Request", "true")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_token(&self, client: &Client, name: &str) -> Value {
        let response = client
            .post(self.url("/api/tokens"))
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    pub async fn admin_patch(&self, client: &Client, id: &str, body: Value) -> Response {
        client
            .patch(self.url(&format!("/api/admin/users/{id}")))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The `error` field of a JSON error response, checking its status.
pub async fn expect_error(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "unexpected status");
    let body: Value = response.json().await.expect("error bodies are JSON");
    body["error"]
        .as_str()
        .expect("error bodies carry an error message")
        .to_owned()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if !self.owns_db {
            return;
        }
        let db_name = self.db_name.clone();
        // Dropping needs async I/O; do it on its own thread and runtime.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                use sea_orm::{ConnectionTrait, Database};
                if let Ok(admin) =
                    Database::connect("postgres://postgres@127.0.0.1:5432/postgres").await
                {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join()
        .ok();
    }
}

// JSON API shortcuts for chat set-up.

pub async fn post(app: &TestApp, c: &Client, path: &str, body: Value) -> reqwest::Response {
    c.post(app.url(path)).json(&body).send().await.unwrap()
}

pub async fn ok_json(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

pub async fn dm(app: &TestApp, c: &Client, other: &Value) -> Value {
    ok_json(
        post(
            app,
            c,
            "/api/threads",
            json!({"action": "create", "participantIds": [other["id"]]}),
        )
        .await,
    )
    .await
}

pub async fn send(app: &TestApp, c: &Client, thread: &Value, content: &str) -> Value {
    send_body(
        app,
        c,
        json!({"threadId": thread["id"], "content": content}),
    )
    .await
}

async fn send_body(app: &TestApp, c: &Client, body: Value) -> Value {
    ok_json(post(app, c, "/api/messages", body).await).await
}

pub async fn threads(app: &TestApp, c: &Client) -> Vec<Value> {
    ok_json(c.get(app.url("/api/threads")).send().await.unwrap())
        .await
        .as_array()
        .unwrap()
        .clone()
}

pub async fn page(app: &TestApp, c: &Client, thread: &Value, before: Option<&str>) -> Value {
    let mut url = format!("/api/messages?threadId={}", thread["id"].as_str().unwrap());
    if let Some(b) = before {
        url.push_str(&format!("&before={b}"));
    }
    ok_json(c.get(app.url(&url)).send().await.unwrap()).await
}

/// An SSE client of `/api/chat/sse` (or any event stream), reading parsed events.
pub struct Sse {
    events: std::pin::Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<
                        eventsource_stream::Event,
                        eventsource_stream::EventStreamError<reqwest::Error>,
                    >,
                > + Send,
        >,
    >,
    /// The id of the last event that carried one.
    pub last_id: String,
}

/// How long a test waits for an event before failing (a hang guard, not a speed check).
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

impl Sse {
    /// Opens the JSON stream, resuming after `last_id` when given.
    pub async fn open(app: &TestApp, c: &Client, last_id: Option<&str>) -> Sse {
        let mut request = c.get(app.url("/api/chat/sse"));
        if let Some(id) = last_id {
            request = request.header("Last-Event-ID", id);
        }
        Self::start(request).await
    }

    pub async fn start(request: reqwest::RequestBuilder) -> Sse {
        use eventsource_stream::Eventsource;
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "opening the stream");
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "an event stream"
        );
        Sse {
            events: Box::pin(response.bytes_stream().eventsource()),
            last_id: String::new(),
        }
    }

    /// The next event, or `None` when the server ended the stream.
    pub async fn next_or_end(&mut self) -> Option<eventsource_stream::Event> {
        use futures_util::StreamExt;
        let next = tokio::time::timeout(PATIENCE, self.events.next())
            .await
            .expect("an event or the end of the stream in time");
        match next {
            Some(Ok(event)) => {
                if !event.id.is_empty() {
                    self.last_id = event.id.clone();
                }
                Some(event)
            }
            Some(Err(_)) | None => None,
        }
    }

    pub async fn next(&mut self) -> eventsource_stream::Event {
        self.next_or_end().await.expect("the stream is still open")
    }

    /// The next event named `kind` (skipping others), with its JSON data.
    pub async fn next_of(&mut self, kind: &str) -> (eventsource_stream::Event, Value) {
        loop {
            let event = self.next().await;
            if event.event == kind {
                let data = serde_json::from_str(&event.data).expect("event data is JSON");
                return (event, data);
            }
        }
    }

    /// The next event named `kind` whose data satisfies `pred` (a stream may start with
    /// events committed just before it opened, so tests look for the one they mean).
    pub async fn next_where(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let (_, data) = self.next_of(kind).await;
            if pred(&data) {
                return data;
            }
        }
    }

    /// The next event whose kind is one of `kinds` (skipping the rest).
    pub async fn next_among(&mut self, kinds: &[&str]) -> (eventsource_stream::Event, Value) {
        loop {
            let event = self.next().await;
            if kinds.contains(&event.event.as_str()) {
                let data = serde_json::from_str(&event.data).expect("event data is JSON");
                return (event, data);
            }
        }
    }

    /// Reads until the server ends the stream; panics if it does not.
    pub async fn expect_end(&mut self) {
        while self.next_or_end().await.is_some() {}
    }
}

/// Creates a group named `name` of `creator` and `members`.
pub async fn group(app: &TestApp, creator: &Client, name: &str, members: &[&Value]) -> Value {
    let ids: Vec<&Value> = members.iter().map(|m| &m["id"]).collect();
    ok_json(
        post(
            app,
            creator,
            "/api/threads",
            json!({"action": "create", "name": name, "participantIds": ids}),
        )
        .await,
    )
    .await
}

/// Sends a message with a `clientId` and returns it.
pub async fn send_as(
    app: &TestApp,
    c: &Client,
    thread: &Value,
    content: &str,
    client_id: &str,
) -> Value {
    send_body(
        app,
        c,
        json!({"threadId": thread["id"], "content": content, "clientId": client_id}),
    )
    .await
}
