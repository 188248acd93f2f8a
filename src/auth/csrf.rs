//! Synchronizer CSRF tokens: one random token per session, put in every form (and sent by
//! htmx as a field of the form), and checked on every state-changing page request.
//!
//! A visitor without a session (the login and register forms) gets its token in a cookie
//! of its own instead (double submit), so looking at a form stores no session row.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::http::{HeaderMap, header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::error::Result;

pub(super) const SESSION_KEY: &str = "csrf";
/// The form field and request header carrying the token.
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The cookie carrying an anonymous visitor's token.
pub const COOKIE: &str = "confab_csrf";

/// A token prepared for a page shown to a visitor without one; `used` is set when a form
/// shows it, and then the response sets it as the [`COOKIE`].
#[derive(Clone)]
pub struct Prepared {
    pub token: String,
    pub used: Arc<AtomicBool>,
}

impl Prepared {
    pub fn new() -> Self {
        Self {
            token: random(),
            used: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The `Set-Cookie` value for it.
    pub fn cookie(&self, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!(
            "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400{secure}",
            self.token
        )
    }
}

impl Default for Prepared {
    fn default() -> Self {
        Self::new()
    }
}

/// The anonymous visitor's token from its cookie, if it has a well-formed one.
pub fn from_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && value.len() == 43)
        .map(|(_, value)| value.to_owned())
}

/// The token for a page's forms without creating a session: the session's own token if it
/// has one, else the visitor's cookie, else `prepared` (marked used, so it is set).
pub async fn anonymous_token(
    session: &Session,
    headers: &HeaderMap,
    prepared: Option<&Prepared>,
) -> Result<String> {
    let existing: Option<String> = session.get(SESSION_KEY).await?;
    if let Some(token) = existing.or_else(|| from_cookie(headers)) {
        return Ok(token);
    }
    match prepared {
        Some(p) => {
            p.used.store(true, Ordering::Relaxed);
            Ok(p.token.clone())
        }
        None => token(session).await,
    }
}

fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String> {
    let existing: Option<String> = session.get(SESSION_KEY).await?;
    if let Some(token) = existing {
        return Ok(token);
    }
    let token = random();
    session.insert(SESSION_KEY, &token).await?;
    Ok(token)
}

/// Whether `presented` is this session's token (or, for a session without one, the
/// visitor's [`COOKIE`]).
pub async fn verify(session: &Session, headers: &HeaderMap, presented: &str) -> Result<bool> {
    let expected: Option<String> = session.get(SESSION_KEY).await?;
    let expected = expected.or_else(|| from_cookie(headers));
    Ok(expected.is_some_and(|e| bool::from(e.as_bytes().ct_eq(presented.as_bytes()))))
}
