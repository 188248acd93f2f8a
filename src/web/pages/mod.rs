//! Server-rendered pages (askama + htmx). Each handler renders a page for a normal
//! request and a partial for htmx; every form carries the CSRF token.

pub mod admin;
pub mod auth;
pub mod chat;
pub mod links;
pub mod search;
pub mod settings;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::request::Parts,
    response::Redirect,
};
use tower_sessions::Session;

use crate::{
    accounts::UserView,
    auth::{CurrentUser, csrf},
    error::AppError,
    eventlog,
    web::AppState,
};

/// What every page's layout needs: the viewer (if any), the CSRF token for its forms, and
/// where the page's live stream starts.
pub struct PageCtx {
    pub user: Option<UserView>,
    pub is_admin: bool,
    pub csrf: String,
    /// The log position before the page's data was read: its stream resumes from there,
    /// so nothing that happens while the page loads is missed. `None` when logged out.
    pub live_from: Option<String>,
    /// What the page shows live, as extra `/events` parameters (`&thread=…`, `&list=1`).
    pub live_scope: String,
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user =
            <CurrentUser as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?;
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| AppError::Internal(anyhow::anyhow!(msg)))?;
        let live_from = match &user {
            Some(_) => Some(eventlog::head(&state.db).await?.to_string()),
            None => None,
        };
        Ok(Self {
            is_admin: user
                .as_ref()
                .is_some_and(|u| u.user.system_role.may_administer()),
            user: user.map(|u| UserView::new(&u.user)),
            csrf: csrf::token(&session).await?,
            live_from,
            live_scope: String::new(),
        })
    }
}

/// A relative path to return to after logging in; anything else becomes `/chats`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/chats".to_owned(),
    }
}

pub async fn home(user: Option<CurrentUser>) -> Redirect {
    Redirect::to(if user.is_some() { "/chats" } else { "/login" })
}
