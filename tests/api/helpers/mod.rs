//! `spawn_app()` and `TestApp`: the real server on a random port with its own database.
//! Tests act through `TestUser` (`app.user("ana")`), which has a method for each thing a
//! user does; `TestApp` keeps the low-level calls for anonymous or deliberately odd
//! requests.

mod html;
mod sse;
pub mod storage;
mod user;

use std::sync::Once;

use confab::{app::Application, config::Config};
use reqwest::{Client, Response, StatusCode, redirect::Policy};
use serde_json::{Value, json};
use uuid::Uuid;

pub use html::{escaped, location, message_ids};
pub use sse::{PATIENCE, Sse};
pub use storage::upload_dir;
pub use user::{Post, TestUser, id_str};

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
        (
            "UPLOAD_DIR".into(),
            upload_dir(db_name).to_string_lossy().into_owned(),
        ),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    Config::from_lookup(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
        .expect("test config is valid")
}

/// A fresh server with ana and bob, who share a direct conversation.
pub async fn two_people_in_a_dm() -> (TestApp, TestUser, TestUser, Value) {
    let app = spawn_app().await;
    let [ana, bob] = app.users(["ana", "bob"]).await;
    let thread = ana.dm(&bob).await;
    (app, ana, bob, thread)
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

    // Low-level calls with any client: anonymous visitors and deliberately odd requests.

    /// A GET of `path` as a bot: a fresh client with `token` as `Authorization: Bearer`.
    pub fn bot_request(&self, token: &str, path: &str) -> reqwest::RequestBuilder {
        new_client().get(self.url(path)).bearer_auth(token)
    }

    /// GETs `path` as a bot holding `token`.
    pub async fn get_as_bot(&self, token: &str, path: &str) -> Response {
        self.bot_request(token, path).send().await.unwrap()
    }

    /// Polls `path` as a bot until it answers `want`, for changes made elsewhere (another
    /// instance, the command line) that reach this instance through its log tailer.
    /// Whether it did within [`PATIENCE`] (a hang guard, not a speed check).
    pub async fn bot_answers_within_patience(
        &self,
        token: &str,
        path: &str,
        want: StatusCode,
    ) -> bool {
        let deadline = std::time::Instant::now() + PATIENCE;
        while std::time::Instant::now() < deadline {
            if self.get_as_bot(token, path).await.status() == want {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    }

    pub async fn register_with(&self, client: &Client, body: Value) -> Response {
        client
            .post(self.url("/api/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Registers `username` on a fresh client; the user is logged in.
    pub async fn user(&self, username: &str) -> TestUser {
        let client = new_client();
        let response = self
            .register_with(&client, json!({"username": username, "password": PASSWORD}))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "registering {username}"
        );
        let json = response.json().await.unwrap();
        TestUser::new(client, &self.address, json)
    }

    /// An anonymous GET of `path`.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics_text(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// The OpenAPI document.
    pub async fn openapi(&self) -> Value {
        ok_json(
            self.client
                .get(self.url("/api/openapi.json"))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a form of the page at `path` as `client` would: its CSRF token first.
    pub async fn submit_form(
        &self,
        client: &Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> Response {
        let csrf = self.csrf(client, path).await;
        let mut fields = vec![("csrf_token", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_form(client, path, &fields).await
    }

    /// Registers each of `names`, in order (the first user of a server is its OWNER).
    pub async fn users<const N: usize>(&self, names: [&str; N]) -> [TestUser; N] {
        let mut users = Vec::with_capacity(N);
        for name in names {
            users.push(self.user(name).await);
        }
        users
            .try_into()
            .unwrap_or_else(|_| unreachable!("one user per name"))
    }

    /// A second session of `user` on a fresh client (another browser or device).
    pub async fn sign_in(&self, user: &TestUser) -> TestUser {
        let client = new_client();
        let response = self.login(&client, &user.username, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "logging in {}",
            user.username
        );
        let json = response.json().await.unwrap();
        TestUser::new(client, &self.address, json)
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
}

pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The JSON body of a successful response (the status and body are shown otherwise).
pub async fn ok_json(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// The stable `code` every JSON error carries for a status (the API's contract).
pub fn code_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation",
        429 => "rate_limited",
        503 => "unavailable",
        _ => "internal",
    }
}

/// The `error` field of a JSON error response, checking its status and its `code`.
pub async fn expect_error(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "unexpected status");
    let body: Value = response.json().await.expect("error bodies are JSON");
    assert_eq!(
        body["code"],
        code_of(status),
        "the error's code matches its status: {body}"
    );
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
        let _ = std::fs::remove_dir_all(upload_dir(&self.db_name));
        drop_database(&self.db_name);
    }
}

/// Drops the database `db_name` on the shared PostgreSQL (from sync code: a test's end).
pub fn drop_database(db_name: &str) {
    let db_name = db_name.to_owned();
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
