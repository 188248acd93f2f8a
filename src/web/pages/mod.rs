//! Server-rendered pages (askama + htmx). Each handler renders a page for a normal
//! request and a partial for htmx; every form carries the CSRF token.

pub mod admin;
pub mod auth;
pub mod chat;
pub mod links;
pub mod mentions;
pub mod notification_settings;
pub mod search;
pub mod settings;
pub mod stamp;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::request::Parts,
    response::Redirect,
};
use tower_sessions::Session;

use crate::{
    accounts::{
        UserView,
        notifications::{self, NotificationSettings},
    },
    auth::{CurrentUser, csrf},
    chat::mentions::unread,
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
    /// The viewer's unread mentions (the nav's badge).
    pub unread_mentions: i64,
    /// The viewer's notification settings (read by `assets/notify.js`).
    pub notify: NotificationSettings,
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
        let (live_from, unread_mentions, notify) = match &user {
            Some(u) => (
                Some(eventlog::head(&state.db).await?.to_string()),
                unread(&state.db, u.id()).await?,
                notifications::get(&state.db, u.id()).await?,
            ),
            None => (None, 0, NotificationSettings::default()),
        };
        // A visitor without a login gets a token that stores no session row.
        let csrf = match &user {
            Some(_) => csrf::token(&session).await?,
            None => {
                let prepared = parts.extensions.get::<csrf::Prepared>();
                csrf::anonymous_token(&session, &parts.headers, prepared).await?
            }
        };
        Ok(Self {
            is_admin: user
                .as_ref()
                .is_some_and(|u| u.user.system_role.may_administer()),
            user: user.map(|u| UserView::new(&u.user)),
            csrf,
            live_from,
            live_scope: String::new(),
            unread_mentions,
            notify,
        })
    }
}

/// A path on this site to return to after logging in; anything else becomes `/chats`.
///
/// `next` is resolved the way a browser resolves a `Location` (tabs and newlines dropped,
/// `\` read as `/`, dot segments applied) against a stand-in origin, and kept only if the
/// result is still on that origin; what is returned is the normalised path, query and
/// fragment, so what the browser follows is exactly what was checked.
pub fn safe_next(next: Option<&str>) -> String {
    const FALLBACK: &str = "/chats";
    // A stand-in origin: `.invalid` can never be a real site, so nothing else matches it.
    let base = url::Url::parse("https://confab.invalid/").expect("a constant URL");
    let Some(next) = next.filter(|n| n.trim_start().starts_with('/')) else {
        return FALLBACK.to_owned();
    };
    let Ok(resolved) = base.join(next) else {
        return FALLBACK.to_owned();
    };
    if resolved.origin() != base.origin() || resolved.path().starts_with("//") {
        return FALLBACK.to_owned();
    }
    let mut out = resolved.path().to_owned();
    if let Some(q) = resolved.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = resolved.fragment() {
        out.push('#');
        out.push_str(f);
    }
    out
}

pub async fn home(user: Option<CurrentUser>) -> Redirect {
    Redirect::to(if user.is_some() { "/chats" } else { "/login" })
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_leads_only_to_paths_on_this_site() {
        for (given, used) in [
            ("/chats/123?x=1#m", "/chats/123?x=1#m"),
            ("/settings", "/settings"),
            ("/a/../settings", "/settings"),
            ("/%2F%2Fevil.com", "/%2F%2Fevil.com"),
            ("/%09/evil.com", "/%09/evil.com"),
            ("//evil.com", "/chats"),
            ("/\t/evil.com", "/chats"),
            ("/\n/evil.com", "/chats"),
            ("/\r\n/evil.com", "/chats"),
            ("/\\evil.com", "/chats"),
            ("\\/evil.com", "/chats"),
            ("/\\/evil.com", "/chats"),
            ("/./\\evil.com", "/chats"),
            ("/.//evil.com", "/chats"),
            ("https://evil.com", "/chats"),
            ("https:evil.com", "/chats"),
            ("http://confab.invalid@evil.com/", "/chats"),
            ("javascript:alert(1)", "/chats"),
            (" //evil.com", "/chats"),
            ("evil.com", "/chats"),
            ("", "/chats"),
        ] {
            assert_eq!(safe_next(Some(given)), used, "next={given:?}");
        }
        assert_eq!(safe_next(None), "/chats");
    }
}
