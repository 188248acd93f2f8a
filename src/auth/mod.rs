//! Who is calling: password hashing, the PostgreSQL session store, API tokens, the
//! `CurrentUser` extractor, CSRF tokens and the rate limiters that guard logins.

pub mod csrf;
pub mod extract;
pub mod password;
pub mod rate_limit;
pub mod session_store;
pub mod tokens;

pub use extract::{CurrentUser, MaybeUser};

/// Session key holding the logged-in user's id.
pub const SESSION_USER_KEY: &str = "user_id";

use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
use tower_sessions::{Session, session::Id};
use uuid::Uuid;

use crate::{
    error::{AppError, Result},
    realtime::{
        log::{self, Kind, Scope},
        registry::Revocation,
    },
};

/// Logs `user` into `session`: a fresh session id (no fixation) and a fresh CSRF token.
pub async fn start_session(session: &Session, user: Uuid) -> Result<()> {
    let internal = |e: tower_sessions::session::Error| AppError::Internal(e.into());
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(SESSION_USER_KEY, user)
        .await
        .map_err(internal)?;
    session
        .remove::<String>(csrf::SESSION_KEY)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Ends the session: its row is deleted and the cookie cleared.
pub async fn end_session(session: &Session) -> Result<()> {
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

/// How streams refer to a session: a digest, since the id itself is the secret cookie.
pub fn session_digest(id: &Id) -> String {
    let hash = Sha256::digest(id.to_string().as_bytes());
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Records, in the caller's transaction, that some of `user`'s credentials ended: their
/// open streams close as soon as the log reaches this point.
pub async fn revoked(conn: &impl ConnectionTrait, user: Uuid, which: Revocation) -> Result<()> {
    log::append(conn, Scope::User(user), Kind::AuthRevoked, &which).await?;
    Ok(())
}
