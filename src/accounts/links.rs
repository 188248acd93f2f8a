//! One-time links from an admin: an invite (one account, even with registration closed)
//! and a password reset (for one user). The secret is shown once, stored as its SHA-256,
//! expires, and is spent by the request that uses it (in the same transaction as the
//! account it creates).

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, FromQueryResult, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{NewAccount, User, admin_target, fields::Password, register, set_password};
use crate::auth::token_cache::TokenCache;
use crate::{
    config::Registration,
    db::stmt,
    error::{AppError, Result},
};

/// How long an invite works.
pub const INVITE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a password reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Invite,
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::PasswordReset => "password_reset",
        }
    }
}

fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Unknown, used and expired links are all the same to the caller.
fn gone() -> AppError {
    AppError::NotFound("invite or reset link")
}

async fn issue(
    db: &DatabaseConnection,
    purpose: Purpose,
    user: Option<Uuid>,
    by: Uuid,
    ttl: Duration,
) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    db.execute_raw(stmt(
        "INSERT INTO one_time_links (id, purpose, token_hash, user_id, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
        [
            Uuid::now_v7().into(),
            purpose.as_str().into(),
            digest(&secret).into(),
            user.into(),
            by.into(),
            (ttl.as_secs() as f64).into(),
        ],
    ))
    .await?;
    Ok(secret)
}

/// A new invite from `actor` (an OWNER or ADMIN); the secret goes in the link.
pub async fn invite(db: &DatabaseConnection, actor: &User) -> Result<String> {
    if !actor.system_role.may_administer() {
        return Err(AppError::forbidden("only admins can invite"));
    }
    issue(db, Purpose::Invite, None, actor.id, INVITE_TTL).await
}

/// A password reset link for `target`, under the rules of an admin's change to them.
pub async fn reset_link(
    db: &DatabaseConnection,
    actor: &User,
    target: Uuid,
) -> Result<(User, String)> {
    let target = admin_target(db, actor, target).await?;
    let secret = issue(
        db,
        Purpose::PasswordReset,
        Some(target.id),
        actor.id,
        RESET_TTL,
    )
    .await?;
    Ok((target, secret))
}

#[derive(FromQueryResult)]
struct Live {
    user_id: Option<Uuid>,
}

/// Whether `secret` is a live (unused, unexpired) link for `purpose`: pages check before
/// showing their form.
pub async fn check(db: &DatabaseConnection, secret: &str, purpose: Purpose) -> Result<()> {
    Live::find_by_statement(stmt(
        "SELECT user_id FROM one_time_links
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()",
        [digest(secret).into(), purpose.as_str().into()],
    ))
    .one(db)
    .await?
    .map(|_| ())
    .ok_or_else(gone)
}

/// Marks the link used, in `txn`; the user it is for (a reset), or "not found".
async fn spend(txn: &DatabaseTransaction, secret: &str, purpose: Purpose) -> Result<Option<Uuid>> {
    let live = Live::find_by_statement(stmt(
        "UPDATE one_time_links SET used_at = now()
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
        [digest(secret).into(), purpose.as_str().into()],
    ))
    .one(txn)
    .await?
    .ok_or_else(gone)?;
    Ok(live.user_id)
}

/// Registers `new` with an invite, whatever the registration setting; the invite is spent
/// in the account's transaction, so a refused account (a taken username) keeps it usable.
/// `welcome` runs in that transaction too (see [`register`]).
pub async fn accept_invite(
    db: &DatabaseConnection,
    secret: &str,
    new: NewAccount,
    welcome: impl AsyncFnOnce(&DatabaseTransaction, &User) -> Result<()>,
) -> Result<User> {
    check(db, secret, Purpose::Invite).await?;
    register(db, new, Registration::Open, async |txn, user| {
        spend(txn, secret, Purpose::Invite).await?;
        welcome(txn, user).await
    })
    .await
}

/// Sets a new password with a reset link (ending the user's sessions); the user.
pub async fn reset_password(
    db: &DatabaseConnection,
    cache: &TokenCache,
    secret: &str,
    new: Password,
) -> Result<Uuid> {
    let txn = db.begin().await?;
    let user = spend(&txn, secret, Purpose::PasswordReset)
        .await?
        .ok_or_else(gone)?;
    txn.commit().await?;
    set_password(db, cache, user, new, None).await?;
    Ok(user)
}
