//! A PostgreSQL cluster of a test's own (initdb into a temporary directory, on a free
//! port), so the test can stop and start it without touching the shared server.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
};

const BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct PrivatePg {
    pub port: u16,
    dir: PathBuf,
    /// Run the server tools as `postgres` (they refuse to run as root).
    as_postgres: bool,
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivatePg {
    /// Creates and starts a cluster with trust authentication for user `postgres`.
    pub fn start() -> PrivatePg {
        let dir = std::env::temp_dir().join(format!("confab-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let pg = PrivatePg {
            port: free_port(),
            dir,
            as_postgres: is_root(),
        };
        if pg.as_postgres {
            pg.run(
                "chown",
                &["-R", "postgres", pg.dir.to_str().unwrap()],
                false,
            );
        }
        let data = pg.data();
        pg.run(
            &format!("{BIN}/initdb"),
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
            true,
        );
        pg.pg_ctl_start();
        pg
    }

    fn data(&self) -> String {
        self.dir.join("data").to_str().unwrap().to_owned()
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn run(&self, program: &str, args: &[&str], as_postgres: bool) {
        let mut cmd = if as_postgres && self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        };
        let out = cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the cluster and waits until it accepts connections.
    pub fn pg_ctl_start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.to_str().unwrap()
        );
        let log = self.dir.join("log").to_str().unwrap().to_owned();
        self.run(
            &format!("{BIN}/pg_ctl"),
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
            true,
        );
    }

    /// Stops the cluster (fast: open connections are cut).
    pub fn stop(&self) {
        self.run(
            &format!("{BIN}/pg_ctl"),
            &["-D", &self.data(), "-m", "fast", "-w", "stop"],
            true,
        );
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = Command::new(if self.as_postgres { "runuser" } else { "env" })
            .args(if self.as_postgres {
                vec!["-u", "postgres", "--"]
            } else {
                vec![]
            })
            .arg(format!("{BIN}/pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
