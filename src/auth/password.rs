//! argon2id password hashing, off the async threads.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use tokio::sync::Semaphore;

/// A hash of a password nobody has, verified when the username is unknown so that a
/// failed login takes the same time whether or not the account exists.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"confab-timing-equaliser")
        .expect("hashing a constant")
        .to_string()
});

/// argon2 takes 19 MiB and a core per hash: more at once than there are cores only
/// queues them in memory (and leaves the allocator holding that memory afterwards).
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await.context("hashing queue closed")?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// Checks `password` against `stored` (or against a dummy hash when there is no account).
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let _permit = HASHING.acquire().await.context("hashing queue closed")?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .context("password verification task")?
}

/// Computes the dummy hash now, so the first failed login is not slower than later ones.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}
