//! Where a test server keeps things. Its database, which a test may open for itself, and
//! the two attachment backends the tests run against: the local directory, and a real
//! S3-speaking server (moto in server mode, installed into `target/test-tools/moto` on
//! first use, or `$MOTO_SERVER`), started once per test process and stopped when it ends.

use std::{path::PathBuf, process::Command, time::Duration};

use futures_util::TryStreamExt;
use object_store::{ObjectStore, aws::AmazonS3Builder};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::{TestApp, spawn_app_with};

impl TestApp {
    /// A connection of the test's own to the server's database.
    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        let url = format!("postgres://postgres@127.0.0.1:5432/{}", self.db_name);
        sea_orm::Database::connect(url).await.expect("the test db")
    }
}

/// Where a test server's uploads go (removed with its database).
pub fn upload_dir(db_name: &str) -> PathBuf {
    std::env::temp_dir().join(db_name)
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Local,
    S3,
}

/// A server using `backend` (a fresh bucket for S3), plus `extra` settings.
pub async fn app_on(backend: Backend, extra: &[(&str, &str)]) -> (TestApp, Store) {
    match backend {
        Backend::Local => {
            let app = spawn_app_with(extra).await;
            let store = Store::Dir(upload_dir(&app.db_name));
            (app, store)
        }
        Backend::S3 => {
            let endpoint = moto().await;
            let bucket = format!("confab-{}", Uuid::new_v4().simple());
            let created = reqwest::Client::new()
                .put(format!("{endpoint}/{bucket}"))
                .send()
                .await
                .expect("moto answers");
            assert!(created.status().is_success(), "bucket created: {created:?}");
            let mut settings = vec![
                ("S3_BUCKET", bucket.as_str()),
                ("S3_ENDPOINT", endpoint),
                ("S3_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
            ];
            settings.extend_from_slice(extra);
            let app = spawn_app_with(&settings).await;
            (app, Store::Bucket { endpoint, bucket })
        }
    }
}

/// Where a test server's files are, to look at them directly.
pub enum Store {
    Dir(PathBuf),
    Bucket {
        endpoint: &'static str,
        bucket: String,
    },
}

impl Store {
    /// Every object stored (keys), whatever the backend.
    pub async fn objects(&self) -> Vec<String> {
        match self {
            Store::Dir(dir) => {
                let mut found = Vec::new();
                let mut todo = vec![dir.clone()];
                while let Some(d) = todo.pop() {
                    let Ok(entries) = std::fs::read_dir(&d) else {
                        continue;
                    };
                    for e in entries.flatten() {
                        let path = e.path();
                        if path.is_dir() {
                            todo.push(path);
                        } else {
                            found.push(path.strip_prefix(dir).unwrap().display().to_string());
                        }
                    }
                }
                found
            }
            Store::Bucket { endpoint, bucket } => {
                let s3 = AmazonS3Builder::new()
                    .with_endpoint(*endpoint)
                    .with_allow_http(true)
                    .with_bucket_name(bucket)
                    .with_region("us-east-1")
                    .with_access_key_id("testing")
                    .with_secret_access_key("testing")
                    .build()
                    .unwrap();
                s3.list(None)
                    .map_ok(|m| m.location.to_string())
                    .try_collect()
                    .await
                    .expect("the bucket lists")
            }
        }
    }
}

/// The moto server's address, started on first use.
async fn moto() -> &'static str {
    static MOTO: OnceCell<String> = OnceCell::const_new();
    MOTO.get_or_init(|| async {
        tokio::task::spawn_blocking(start_moto)
            .await
            .expect("moto starts")
    })
    .await
}

fn start_moto() -> String {
    let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| install_moto());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The shell watches this test process and stops moto when it is gone.
    let script = format!(
        "{program} -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
         while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill $m",
        parent = std::process::id()
    );
    let mut watcher = Command::new("sh")
        .args(["-c", &script])
        .spawn()
        .expect("sh starts moto");
    std::thread::spawn(move || watcher.wait());
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..150 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return endpoint;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto_server did not start on port {port}");
}

/// `moto[server]` in a virtualenv under `target/`, installed once.
fn install_moto() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/moto");
    let server = dir.join("bin/moto_server");
    if !server.exists() {
        let venv = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 runs (the S3 tests need python3 with venv)");
        assert!(
            venv.success(),
            "python3 -m venv failed (apt-get install python3-venv)"
        );
        let pip = Command::new(dir.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "moto[server]",
            ])
            .status()
            .expect("pip runs");
        assert!(pip.success(), "pip install moto[server] failed");
    }
    server.display().to_string()
}
