//! The reliability suite: fault injection against the built `confab` binary, each test
//! with its own database (or PostgreSQL cluster, or Redis) and port. Servers are killed
//! (SIGKILL), stopped (SIGTERM), and cut off from PostgreSQL or Redis under concurrent
//! senders and streaming readers; afterwards the database is the judge (see `load`).
//!
//! The tests run one at a time ([`one_at_a_time`]): they measure exits and delivery
//! times, which other load on the machine would blur.

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers/mod.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/private_pg.rs"]
mod private_pg;

mod load;
mod private_redis;
mod server;

mod kill;
mod postgres_outage;
mod redis_outage;
mod shutdown;

/// Held for a test's whole run, so the suite's tests never overlap.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
