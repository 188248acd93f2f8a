//! Synchronizer CSRF tokens: one random token per session, put in every form (and sent by
//! htmx as a field of the form), and checked on every state-changing page request.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::error::Result;

pub(super) const SESSION_KEY: &str = "csrf";
/// The form field and request header carrying the token.
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String> {
    let existing: Option<String> = session.get(SESSION_KEY).await?;
    if let Some(token) = existing {
        return Ok(token);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    session.insert(SESSION_KEY, &token).await?;
    Ok(token)
}

/// Whether `presented` is this session's token.
pub async fn verify(session: &Session, presented: &str) -> Result<bool> {
    let expected: Option<String> = session.get(SESSION_KEY).await?;
    Ok(expected.is_some_and(|e| bool::from(e.as_bytes().ct_eq(presented.as_bytes()))))
}
