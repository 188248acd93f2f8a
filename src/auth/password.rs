//! argon2id password hashing, off the async threads, in two queues: logins have a budget
//! of their own, so a flood of registrations or password changes cannot stall them.

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

/// Which queue an argon2 computation waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Checking a password to log in.
    Login,
    /// Everything else: registering, checking the current password to change it, hashing
    /// a new one.
    Account,
}

/// argon2 takes 19 MiB and a core per hash: more at once than there are cores only
/// queues them in memory (and leaves the allocator holding that memory afterwards). Each
/// budget gets as many as there are cores.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
static LOGINS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));
static ACCOUNTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

/// The queue of `budget` (public so tests can fill one and watch the other).
pub fn queue(budget: Budget) -> &'static Semaphore {
    match budget {
        Budget::Login => &LOGINS,
        Budget::Account => &ACCOUNTS,
    }
}

/// Hashes a new password (the [`Budget::Account`] queue).
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = queue(Budget::Account)
        .acquire()
        .await
        .context("hashing queue closed")?;
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
pub async fn verify(
    password: String,
    stored: Option<String>,
    budget: Budget,
) -> anyhow::Result<bool> {
    let _permit = queue(budget)
        .acquire()
        .await
        .context("hashing queue closed")?;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn logins_are_checked_while_the_account_queue_is_full() {
        let stored = Argon2::default()
            .hash_password(b"pw")
            .expect("hashing")
            .to_string();
        let full = queue(Budget::Account)
            .acquire_many(cores() as u32)
            .await
            .unwrap();
        let checked = tokio::time::timeout(
            Duration::from_secs(10),
            verify("pw".into(), Some(stored), Budget::Login),
        )
        .await;
        drop(full);
        assert!(checked.expect("a login is not held up").unwrap());
    }
}
