//! Database bootstrap: create the database if it is missing, connect, and apply migrations
//! under an advisory lock so instances starting together do not race.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::config::Config;

/// An arbitrary constant naming Confab's migration lock.
const MIGRATION_LOCK: i64 = 0x00C0_FAB0_0001;

pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = &connection_url(config.database_url.expose());
    create_database_if_missing(url).await?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(config.db_pool_size)
        .min_connections(1)
        .connect_timeout(config.db_acquire_timeout)
        .acquire_timeout(config.db_acquire_timeout)
        .sqlx_logging(false);
    migrate(url).await?;
    Database::connect(options)
        .await
        .context("connecting to PostgreSQL")
}

async fn migrate(url: &str) -> anyhow::Result<()> {
    // The advisory lock is held by a session, so migrate over one dedicated connection.
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let conn = Database::connect(options).await?;
    conn.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .await?;
    let result = Migrator::up(&conn, None).await;
    conn.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .await?;
    conn.close().await?;
    result.context("applying migrations")
}

/// Connects to the server's `postgres` database and creates ours if it does not exist.
async fn create_database_if_missing(url: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    let name = database_name(url).context("DATABASE_URL names no database")?;
    let mut admin = parsed.clone();
    admin.set_path("/postgres");
    let mut options = ConnectOptions::new(admin.to_string());
    options
        .max_connections(1)
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10));
    let admin = Database::connect(options)
        .await
        .context("connecting to PostgreSQL to check the database exists")?;
    let backend = admin.get_database_backend();
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await?
        .is_some();
    if !exists {
        let quoted = name.replace('"', "\"\"");
        match admin
            .execute_unprepared(&format!("CREATE DATABASE \"{quoted}\""))
            .await
        {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another instance created it between our check and our create.
            Err(e)
                if e.to_string().contains("already exists")
                    || e.to_string().contains("pg_database_datname_index") => {}
            Err(e) => return Err(e).context("creating the database"),
        }
    }
    admin.close().await?;
    Ok(())
}

/// The database a `DATABASE_URL` names.
/// `url`, with `sslmode=disable` added when it names a loopback host and says nothing of
/// TLS: encrypting traffic that never leaves the machine protects nothing, and costs every
/// query a TLS record each way on both sides (PostgreSQL offers TLS by default, and the
/// driver's default `prefer` takes it). Any `sslmode` given is kept as it is.
pub fn connection_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let loopback = match parsed.host() {
        // A `postgres:` URL's host is opaque to the parser: an address arrives as text.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback || parsed.query_pairs().any(|(k, _)| k == "sslmode") {
        return url.to_owned();
    }
    parsed.query_pairs_mut().append_pair("sslmode", "disable");
    parsed.into()
}

pub fn database_name(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let name = parsed.path().trim_start_matches('/');
    (!name.is_empty()).then(|| name.to_owned())
}

/// A PostgreSQL statement with positional (`$1`) parameters.
pub fn stmt(sql: &str, values: impl IntoIterator<Item = sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}

#[cfg(test)]
mod tests {
    use super::connection_url;

    #[test]
    fn loopback_connections_skip_tls_unless_asked_for() {
        for (given, used) in [
            (
                "postgres://postgres@127.0.0.1:5432/confab",
                "postgres://postgres@127.0.0.1:5432/confab?sslmode=disable",
            ),
            (
                "postgres://u@localhost/db?application_name=x",
                "postgres://u@localhost/db?application_name=x&sslmode=disable",
            ),
            (
                "postgres://u@[::1]/db",
                "postgres://u@[::1]/db?sslmode=disable",
            ),
            (
                "postgres://u@127.0.0.1/db?sslmode=require",
                "postgres://u@127.0.0.1/db?sslmode=require",
            ),
            ("postgres://u@db.internal/db", "postgres://u@db.internal/db"),
            ("postgres://u@10.0.0.5/db", "postgres://u@10.0.0.5/db"),
        ] {
            assert_eq!(connection_url(given), used, "{given}");
        }
    }
}
