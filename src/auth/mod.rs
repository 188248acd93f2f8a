//! Who is calling: password hashing, the PostgreSQL session store, API tokens, the
//! `CurrentUser` extractor, CSRF tokens and the rate limiters that guard logins.

pub mod csrf;
pub mod extract;
pub mod failures;
pub mod password;
pub mod rate_limit;
pub mod session_store;
pub mod token_cache;
pub mod tokens;

pub use extract::{CurrentUser, MaybeUser};

/// Session key holding the logged-in user's id.
pub const SESSION_USER_KEY: &str = "user_id";

use sha2::{Digest, Sha256};
use tower_sessions::{Session, session::Id};
use uuid::Uuid;

use crate::{
    entities::users::SystemRole,
    error::{AppError, Result},
    eventlog::{self, Position, Revocation},
};

/// Logs `user` into `session`: a fresh session id (no fixation) and a fresh CSRF token.
pub async fn start_session(session: &Session, user: Uuid) -> Result<()> {
    session.cycle_id().await?;
    session.insert(SESSION_USER_KEY, user).await?;
    session.remove::<String>(csrf::SESSION_KEY).await?;
    Ok(())
}

/// Ends the session: its row is deleted and the cookie cleared.
pub async fn end_session(session: &Session) -> Result<()> {
    session.flush().await.map_err(AppError::from)
}

/// How streams refer to a session: a digest, since the id itself is the secret cookie.
pub fn session_digest(id: &Id) -> String {
    let hash = Sha256::digest(id.to_string().as_bytes());
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl SystemRole {
    /// OWNER and ADMIN manage users; MEMBER does not.
    pub fn may_administer(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// How a stream's client proved who it is, so ending that credential ends the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A session, by a digest of its id (the id itself is a secret).
    Session(String),
    /// An API token, by its id.
    Token(Uuid),
}

impl Credential {
    /// Whether `revocation` ends this credential.
    pub fn is_revoked_by(&self, revocation: &Revocation) -> bool {
        match (revocation, self) {
            (Revocation::All, _) => true,
            (Revocation::Session(a), Self::Session(b)) => a == b,
            (Revocation::Token(a), Self::Token(b)) => a == b,
            (Revocation::SessionsExcept(keep), Self::Session(s)) => keep.as_ref() != Some(s),
            (Revocation::Sessions(ended), Self::Session(s)) => ended.contains(s),
            _ => false,
        }
    }
}

/// Whether `credential` still lets `user` in (the session exists and has not expired, or
/// the token is not revoked; and the user is active), with the log's head read in the
/// same snapshot: every revocation logged below that head is reflected in the answer,
/// and every one logged at or after it was committed later. A stream checks this once it
/// is registered, so a revocation that happens meanwhile reaches it through the log.
/// `None` when the credential no longer lets the user in.
pub async fn check_at_head(
    conn: &impl sea_orm::ConnectionTrait,
    user: Uuid,
    credential: &Credential,
) -> Result<Option<Position>> {
    use sea_orm::FromQueryResult;
    #[derive(FromQueryResult)]
    struct Checked {
        head: String,
        live: bool,
        sessions: Vec<String>,
    }
    let (token, session) = match credential {
        Credential::Token(id) => (Some(*id), false),
        Credential::Session(_) => (None, true),
    };
    let checked = Checked::find_by_statement(crate::db::stmt(
        &format!(
            "SELECT {head} AS head,
               EXISTS (SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
                       WHERE t.id = $2 AND t.user_id = $1 AND t.revoked_at IS NULL
                         AND u.deactivated_at IS NULL) AS live,
               ARRAY(SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE $3 AND s.user_id = $1 AND s.expires_at > now()
                       AND u.deactivated_at IS NULL) AS sessions",
            head = eventlog::HEAD_SQL,
        ),
        [user.into(), token.into(), session.into()],
    ))
    .one(conn)
    .await?
    .ok_or_else(|| sea_orm::DbErr::Custom("no answer to the credential check".into()))?;
    let live = match credential {
        Credential::Token(_) => checked.live,
        Credential::Session(digest) => checked.sessions.iter().any(|id| {
            id.parse::<Id>()
                .is_ok_and(|id| &session_digest(&id) == digest)
        }),
    };
    Ok(match live {
        true => Some(eventlog::head_from(&checked.head)?),
        false => None,
    })
}
