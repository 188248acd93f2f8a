//! `Server`: the built `confab` binary as a child process on a port of the test's own,
//! so a test can kill it (SIGKILL), stop it (SIGTERM) and start it again on the same
//! port and database. Its log lines are kept for the test to read.

use std::{
    process::{ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
};

use crate::{helpers::drop_database, private_pg::free_port};

/// How long a starting server may take to answer `/readyz` (a debug build migrates first).
const START_PATIENCE: Duration = Duration::from_secs(60);

pub struct Server {
    child: Child,
    pub address: String,
    port: u16,
    settings: Vec<(String, String)>,
    /// Every log line this process wrote (stdout and stderr).
    pub logs: Arc<Mutex<Vec<String>>>,
}

/// A fresh database on the shared PostgreSQL, dropped when this goes.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        TestDb {
            name: format!("confab_test_{}", uuid::Uuid::new_v4().simple()),
        }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_database(&self.name);
    }
}

impl Server {
    /// Starts `confab serve` on `database_url` and a free port, with `extra` settings, and
    /// waits until it is ready.
    pub async fn start(database_url: &str, extra: &[(&str, &str)]) -> Server {
        let mut settings: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.into()),
            // Load tests send faster than any person; the limits are tested elsewhere.
            ("RATE_LIMITS".into(), "off".into()),
            ("DB_POOL_SIZE".into(), "5".into()),
            ("RUST_LOG".into(), "warn,confab=info".into()),
        ];
        for (k, v) in extra {
            settings.retain(|(key, _)| key != k);
            settings.push((k.to_string(), v.to_string()));
        }
        Self::spawn(free_port(), settings).await
    }

    async fn spawn(port: u16, settings: Vec<(String, String)>) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_confab"));
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .envs(settings.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("the confab binary starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), logs.clone());
        collect(child.stderr.take().unwrap(), logs.clone());
        let mut server = Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            port,
            settings,
            logs,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("confab exited at start ({status}):\n{}", self.log_text());
            }
            let ready = client
                .get(format!("{}/readyz", self.address))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "confab not ready after {START_PATIENCE:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    /// SIGKILL: the process ends at once, mid-request, with nothing flushed or drained.
    pub async fn kill(&mut self) {
        self.child.start_kill().expect("SIGKILL sent");
        self.child
            .wait()
            .await
            .expect("the killed server is reaped");
    }

    /// SIGTERM: asks for a graceful shutdown (the caller waits with [`Server::wait`]).
    pub fn terminate(&self) {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM sent");
    }

    /// Waits for the process to exit, at most `patience`; `None` if it did not.
    pub async fn wait(&mut self, patience: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(patience, self.child.wait())
            .await
            .ok()
            .map(|status| status.expect("the server is reaped"))
    }

    /// Starts the server again, same port and settings (after [`Server::kill`] or an exit).
    pub async fn restart(&mut self) {
        let settings = self.settings.clone();
        *self = Self::spawn(self.port, settings).await;
    }

    /// A second instance on the same database and settings, on another port.
    pub async fn peer(&self) -> Server {
        Self::spawn(free_port(), self.settings.clone()).await
    }

    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

/// Copies `pipe`'s lines into `logs` (and to stderr with `TEST_LOG` set).
fn collect(pipe: impl AsyncRead + Unpin + Send + 'static, logs: Arc<Mutex<Vec<String>>>) {
    let echo = std::env::var_os("TEST_LOG").is_some();
    tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if echo {
                eprintln!("[confab] {line}");
            }
            logs.lock().unwrap().push(line);
        }
    });
}
