//! `/api/search`: full-text search over what the caller may see.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    accounts::UserView,
    auth::CurrentUser,
    chat::search::{self, Cursor, Hit, Query as SearchQuery},
    error::{AppError, Result},
    web::{
        AppState,
        errors::ErrorBody,
        extract::{Json, Query},
        format,
    },
};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (each also matches as a prefix).
    q: String,
    thread_id: Option<Uuid>,
    /// Only messages by this user.
    user_id: Option<Uuid>,
    /// RFC 3339; messages at or after.
    after: Option<String>,
    /// RFC 3339; messages before.
    before: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// The message's id (open it with `/chats/{threadId}?message={id}`).
    id: Uuid,
    thread_id: Uuid,
    user_id: Uuid,
    user: UserView,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// HTML: the matching part of the text, escaped, with matches in `<mark>`.
    snippet: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    results: Vec<SearchResult>,
    /// Pass as `cursor` for the next page; null when there is none.
    next_cursor: Option<String>,
}

impl From<Hit> for SearchResult {
    fn from(hit: Hit) -> Self {
        Self {
            id: hit.message_id,
            thread_id: hit.thread_id,
            user_id: hit.user.id,
            user: hit.user,
            created_at: hit.created_at,
            snippet: format::snippet_html(&hit.snippet),
        }
    }
}

fn time_param(name: &str, raw: Option<String>) -> Result<Option<OffsetDateTime>> {
    raw.filter(|r| !r.trim().is_empty())
        .map(|r| {
            OffsetDateTime::parse(r.trim(), &time::format_description::well_known::Rfc3339)
                .map_err(|_| AppError::validation(format!("{name} must be an RFC 3339 time")))
        })
        .transpose()
}

impl SearchParams {
    /// The domain query these parameters ask for.
    pub fn into_query(self) -> Result<SearchQuery> {
        Ok(SearchQuery {
            words: SearchQuery::words(&self.q)?,
            thread: self.thread_id,
            author: self.user_id,
            after: time_param("after", self.after)?,
            before: time_param("before", self.before)?,
            cursor: self.cursor.as_deref().map(Cursor::parse).transpose()?,
        })
    }
}

/// Messages the caller may see that contain the words, best match first.
#[utoipa::path(get, path = "/api/search", tag = "messages", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>> {
    let query = params.into_query()?;
    let found = search::search(&state.db, user.id(), &query).await?;
    Ok(Json(SearchResults {
        results: found.hits.into_iter().map(SearchResult::from).collect(),
        next_cursor: found.next_cursor.map(|c| c.to_string()),
    }))
}
