//! Typed configuration, read once from the environment (and `.env` if present) and then
//! passed around as a value, so tests can vary it.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};

/// Where the server runs: development shows error details in API responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    Open,
    Closed,
}

/// A secret value that never shows up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Per-window request budgets. `RATE_LIMITS=off` lifts all of them (benchmarks).
#[derive(Clone, Debug)]
pub struct RateLimits {
    pub enabled: bool,
    /// Login attempts per minute, per client IP and per account.
    pub login_per_minute: u32,
    /// Registrations per hour per client IP.
    pub register_per_hour: u32,
    /// Messages sent per minute per user.
    pub messages_per_minute: u32,
    /// Edits and reaction changes per minute per user.
    pub changes_per_minute: u32,
    /// People one user may put in groups per hour (creating or adding).
    pub group_adds_per_hour: u32,
}

/// An S3-compatible bucket for attachments. Credentials not given here come from the
/// usual AWS variables and providers (`AWS_*`, instance metadata).
#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    /// For S3-compatible servers (MinIO, Ceph, ...): their URL.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Access key id and secret.
    pub credentials: Option<(String, Secret)>,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The database Confab uses; it is created if missing.
    pub database_url: Secret,
    pub bind_addr: SocketAddr,
    pub redis_url: Option<Secret>,
    pub app_env: AppEnv,
    /// The address people reach the server at; `https://` makes cookies `Secure`.
    pub public_url: Option<String>,
    pub upload_dir: PathBuf,
    /// Attachments go to this bucket instead of `upload_dir` when set.
    pub s3: Option<S3Config>,
    pub max_upload_bytes: usize,
    /// Uploads never attached to a message are removed after this long.
    pub unattached_upload_ttl: Duration,
    pub registration: Registration,
    pub heartbeat: Duration,
    /// A session ends after this long without a request (and its streams close).
    pub session_idle: Duration,
    pub rate_limits: RateLimits,
    pub log_format: LogFormat,
    /// How many proxies you run in front of the server: the client address is the hop
    /// that many places from the right of `X-Forwarded-For` (0: the peer address).
    pub trust_proxy: usize,
    /// How long a client may take to send its request headers.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request body.
    pub body_read_timeout: Duration,
    /// Open connections the server holds at most.
    pub max_connections: usize,
    /// Open connections per peer address (IPv6 by /64); 0 for no cap.
    pub max_connections_per_ip: usize,
    /// Database connection pool size.
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before answering 503.
    pub db_acquire_timeout: Duration,
    /// Events a stream may have queued before it counts as fallen behind and is closed.
    pub stream_queue: usize,
    /// A resume further behind than this many events gets a `reset` instead of a replay.
    pub replay_max_events: u64,
    /// Open streams one user may have on one instance.
    pub max_streams_per_user: usize,
    /// How often the log tailer looks for events without a doorbell.
    pub event_poll: Duration,
    /// How long events are kept for resuming streams (older cursors get `reset`).
    pub event_retention: Duration,
    /// Tasks writing sent messages (each writes one batch at a time).
    pub message_writers: usize,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>`.
    pub metrics_token: Option<Secret>,
}

impl Config {
    /// Reads the configuration from the process environment and `.env`.
    pub fn from_env() -> anyhow::Result<Self> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds a configuration from any key lookup (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        let parse_num = |key: &str, default: u64| -> anyhow::Result<u64> {
            match var(key) {
                Some(v) => v
                    .trim()
                    .parse()
                    .with_context(|| format!("{key} must be a whole number, got {v:?}")),
                None => Ok(default),
            }
        };
        let app_env = match var("APP_ENV").as_deref().map(str::to_ascii_lowercase) {
            None => AppEnv::Production,
            Some(v) if v == "development" || v == "dev" => AppEnv::Development,
            Some(v) if v == "production" || v == "prod" => AppEnv::Production,
            Some(v) => bail!("APP_ENV must be development or production, got {v:?}"),
        };
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(v) => bail!("LOG_FORMAT must be text or json, got {v:?}"),
        };
        let registration = match var("REGISTRATION").as_deref() {
            None | Some("open") => Registration::Open,
            Some("closed") => Registration::Closed,
            Some(v) => bail!("REGISTRATION must be open or closed, got {v:?}"),
        };
        let rate_limits_enabled = match var("RATE_LIMITS").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(v) => bail!("RATE_LIMITS must be on or off, got {v:?}"),
        };
        let bind_addr = var("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("BIND_ADDR must be an address like 127.0.0.1:3000")?;
        let public_url = var("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url {
            url::Url::parse(url).with_context(|| format!("PUBLIC_URL is not a URL: {url:?}"))?;
        }
        Ok(Self {
            database_url: Secret::new(
                var("DATABASE_URL")
                    .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/confab".into()),
            ),
            bind_addr,
            redis_url: var("REDIS_URL").map(Secret::new),
            app_env,
            public_url,
            upload_dir: var("UPLOAD_DIR")
                .unwrap_or_else(|| "./uploads".into())
                .into(),
            s3: var("S3_BUCKET").map(|bucket| S3Config {
                bucket,
                endpoint: var("S3_ENDPOINT"),
                region: var("S3_REGION"),
                credentials: var("AWS_ACCESS_KEY_ID")
                    .zip(var("AWS_SECRET_ACCESS_KEY").map(Secret::new)),
            }),
            max_upload_bytes: parse_num("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)?.max(1) as usize,
            unattached_upload_ttl: Duration::from_secs(
                parse_num("UNATTACHED_UPLOAD_TTL_SECS", 24 * 3600)?.max(1),
            ),
            registration,
            heartbeat: Duration::from_secs(parse_num("HEARTBEAT_SECS", 15)?.max(1)),
            session_idle: Duration::from_secs(
                parse_num("SESSION_IDLE_SECS", 14 * 24 * 3600)?.max(1),
            ),
            rate_limits: RateLimits {
                enabled: rate_limits_enabled,
                login_per_minute: parse_num("RATE_LIMIT_LOGIN_PER_MINUTE", 10)?.max(1) as u32,
                register_per_hour: parse_num("RATE_LIMIT_REGISTER_PER_HOUR", 20)?.max(1) as u32,
                messages_per_minute: parse_num("RATE_LIMIT_MESSAGES_PER_MINUTE", 120)?.max(1)
                    as u32,
                changes_per_minute: parse_num("RATE_LIMIT_CHANGES_PER_MINUTE", 120)?.max(1) as u32,
                group_adds_per_hour: parse_num("RATE_LIMIT_GROUP_ADDS_PER_HOUR", 500)?.max(1)
                    as u32,
            },
            log_format,
            trust_proxy: match var("TRUST_PROXY").as_deref().map(str::trim) {
                None | Some("0" | "false" | "off") => 0,
                Some("true" | "on") => 1,
                Some(v) => v.parse::<usize>().ok().filter(|n| *n <= 16).with_context(|| {
                    format!("TRUST_PROXY must be on, off or a number of proxies (up to 16), got {v:?}")
                })?,
            },
            header_read_timeout: Duration::from_secs(parse_num("HEADER_READ_TIMEOUT_SECS", 10)?),
            body_read_timeout: Duration::from_secs(parse_num("BODY_READ_TIMEOUT_SECS", 60)?.max(1)),
            max_connections: parse_num("MAX_CONNECTIONS", 50_000)?.max(1) as usize,
            max_connections_per_ip: parse_num("MAX_CONNECTIONS_PER_IP", 1_000)? as usize,
            db_pool_size: parse_num("DB_POOL_SIZE", 20)?.max(2) as u32,
            db_acquire_timeout: Duration::from_millis(
                parse_num("DB_ACQUIRE_TIMEOUT_MS", 3000)?.max(100),
            ),
            stream_queue: parse_num("STREAM_QUEUE", 1024)?.max(8) as usize,
            replay_max_events: parse_num("REPLAY_MAX_EVENTS", 100_000)?.max(1),
            max_streams_per_user: parse_num("MAX_STREAMS_PER_USER", 30)?.max(1) as usize,
            event_poll: Duration::from_millis(parse_num("EVENT_POLL_MS", 250)?.max(10)),
            event_retention: Duration::from_secs(
                parse_num("EVENT_RETENTION_SECS", 7 * 24 * 3600)?.max(1),
            ),
            message_writers: parse_num("MESSAGE_WRITERS", 2)?.clamp(1, 64) as usize,
            metrics_token: var("METRICS_TOKEN").map(|t| Secret::new(t.trim())),
        })
    }

    /// Whether the site is served over https (`PUBLIC_URL`'s scheme, in any case): cookies
    /// are `Secure` and responses carry HSTS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .is_some_and(|u| u.scheme() == "https")
    }

    /// `PUBLIC_URL`'s origin (`https://chat.example.com`), if it is set.
    pub fn public_origin(&self) -> Option<String> {
        let url = url::Url::parse(self.public_url.as_deref()?).ok()?;
        Some(url.origin().ascii_serialization())
    }

    /// The per-address connection cap in force: none behind a proxy (every connection
    /// comes from it) or with `RATE_LIMITS=off` (load tests hold many from one address).
    pub fn max_connections_per_ip(&self) -> usize {
        if self.trust_proxy > 0 || !self.rate_limits.enabled {
            0
        } else {
            self.max_connections_per_ip
        }
    }

    pub fn is_development(&self) -> bool {
        self.app_env == AppEnv::Development
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_work_on_a_fresh_machine() {
        let config = from(&[]).unwrap();
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:3000");
        assert!(config.database_url.expose().ends_with("/confab"));
        assert!(config.rate_limits.enabled);
        assert_eq!(config.heartbeat, Duration::from_secs(15));
        assert!(!config.secure_cookies());
    }

    #[test]
    fn bad_values_are_reported_not_defaulted() {
        for (key, value) in [
            ("BIND_ADDR", "nowhere"),
            ("HEARTBEAT_SECS", "soon"),
            ("REGISTRATION", "maybe"),
            ("RATE_LIMITS", "sometimes"),
            ("PUBLIC_URL", "not a url"),
            ("TRUST_PROXY", "yes please"),
        ] {
            assert!(from(&[(key, value)]).is_err(), "{key}={value} was accepted");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = from(&[("DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let config = from(&[("PUBLIC_URL", "https://chat.example.com/")]).unwrap();
        assert!(config.secure_cookies());
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://chat.example.com")
        );
    }

    #[test]
    fn the_scheme_of_public_url_counts_in_any_case() {
        let config = from(&[("PUBLIC_URL", "HTTPS://Chat.Example.com/")]).unwrap();
        assert!(config.secure_cookies(), "HTTPS:// is https");
        assert_eq!(
            config.public_origin().as_deref(),
            Some("https://chat.example.com")
        );
        assert!(
            !from(&[("PUBLIC_URL", "HTTP://chat.example.com")])
                .unwrap()
                .secure_cookies()
        );
    }
}
