//! `CurrentUser`: the caller, from `Authorization: Bearer` or the session cookie.

use axum::{
    extract::{FromRef, FromRequestParts, OptionalFromRequestParts},
    http::{header, request::Parts},
};
use sea_orm::{DatabaseConnection, EntityTrait};
use tower_sessions::Session;
use uuid::Uuid;

use std::sync::Arc;

use super::{Credential, token_cache::TokenCache};
use super::{SESSION_USER_KEY, tokens};
use crate::{
    entities::users::{self, Model as User},
    error::AppError,
};

/// How the caller proved who they are.
#[derive(Clone, Debug)]
pub enum AuthVia {
    Session(Session),
    /// An API token, by id.
    Token(Uuid),
}

/// The logged-in, active user making this request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub via: AuthVia,
}

impl CurrentUser {
    pub fn id(&self) -> Uuid {
        self.user.id
    }
    pub fn session(&self) -> Option<&Session> {
        match &self.via {
            AuthVia::Session(s) => Some(s),
            AuthVia::Token(_) => None,
        }
    }

    /// When the caller's credential lapses by itself (a session's idle expiry; tokens do
    /// not expire).
    pub fn expires_at(&self) -> Option<time::OffsetDateTime> {
        self.session().map(Session::expiry_date)
    }

    /// What the caller's streams are tied to: ending it closes them.
    pub fn credential(&self) -> Credential {
        match &self.via {
            AuthVia::Session(s) => Credential::Session(
                s.id()
                    .map(|id| super::session_digest(&id))
                    .unwrap_or_default(),
            ),
            AuthVia::Token(id) => Credential::Token(*id),
        }
    }
}

/// Resolves the caller; `Ok(None)` when no credentials were presented.
async fn resolve<S>(parts: &mut Parts, state: &S) -> Result<Option<CurrentUser>, AppError>
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
    Arc<TokenCache>: FromRef<S>,
{
    let db = DatabaseConnection::from_ref(state);
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| AppError::Unauthenticated("malformed Authorization header".into()))?;
        let cache = Arc::<TokenCache>::from_ref(state);
        return match tokens::authenticate(&db, &cache, token).await? {
            Some((user, token)) => Ok(Some(CurrentUser {
                user,
                via: AuthVia::Token(token),
            })),
            None => Err(AppError::Unauthenticated("invalid or revoked token".into())),
        };
    }
    let Ok(session) = Session::from_request_parts(parts, state).await else {
        return Ok(None);
    };
    let Some(user_id) = session.get::<Uuid>(SESSION_USER_KEY).await? else {
        return Ok(None);
    };
    match users::Entity::find_by_id(user_id).one(&db).await? {
        Some(user) if user.deactivated_at.is_none() => Ok(Some(CurrentUser {
            user,
            via: AuthVia::Session(session),
        })),
        _ => {
            session.flush().await?;
            Ok(None)
        }
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
    Arc<TokenCache>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let user = resolve(parts, state).await?.ok_or(AppError::Unauthorized)?;
        if let Some(slot) = parts.extensions.get::<crate::telemetry::RequestUser>() {
            slot.set(user.id());
        }
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl<S> OptionalFromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
    Arc<TokenCache>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, AppError> {
        match <CurrentUser as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(AppError::Unauthorized | AppError::Unauthenticated(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A caller who may or may not be logged in (login and register pages).
pub type MaybeUser = Option<CurrentUser>;

/// A logged-in OWNER or ADMIN.
pub struct AdminUser(pub CurrentUser);

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
    Arc<TokenCache>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let user = <CurrentUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if !user.user.system_role.may_administer() {
            return Err(AppError::forbidden("this page is for admins"));
        }
        Ok(Self(user))
    }
}
