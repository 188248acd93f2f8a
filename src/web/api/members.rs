//! `GET /api/threads/{id}/members`: who is in a conversation, online first, a page at a
//! time (the pages' "who is here" panel reads the same [`roster_of`]).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    accounts::UserView,
    auth::CurrentUser,
    chat::threads::{self, MAX_ROSTER_PAGE, Roster},
    error::Result,
    web::AppState,
    web::{
        errors::ErrorBody,
        extract::{Json, Path, Query},
    },
};

/// Members per page unless `limit` says otherwise.
pub const DEFAULT_PAGE: u64 = 50;

/// A thread's members from `offset`, online first, with who of them is online now.
pub async fn roster_of(
    state: &AppState,
    viewer: Uuid,
    thread: Uuid,
    offset: u64,
    limit: u64,
) -> Result<Roster> {
    let ids = threads::member_ids(&state.db, thread, viewer).await?;
    let online = state.realtime.online_among(&ids).await;
    threads::roster(&state.db, thread, viewer, &online, offset, limit).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Members to skip (`nextOffset` of the previous page).
    #[serde(default)]
    offset: u64,
    /// Members per page: 1–200, 50 by default.
    limit: Option<u64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembersPage {
    /// Online members first, then the others, each group by name.
    members: Vec<UserView>,
    /// Active members in all.
    total: i64,
    /// Members online now.
    online: i64,
    /// Pass as `offset` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_offset: Option<u64>,
}

/// The conversation's members, online first, a page at a time; `404` for non-members.
#[utoipa::path(get, path = "/api/threads/{id}/members", tag = "threads",
    params(("id" = Uuid, Path), MembersQuery),
    responses((status = 200, body = MembersPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Query(q): Query<MembersQuery>,
) -> Result<Json<MembersPage>> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_ROSTER_PAGE).contains(&limit) {
        return Err(crate::error::AppError::validation(format!(
            "limit must be 1 to {MAX_ROSTER_PAGE}"
        )));
    }
    let roster = roster_of(&state, user.id(), id, q.offset, limit).await?;
    Ok(Json(MembersPage {
        members: roster.members,
        total: roster.total,
        online: roster.online,
        next_offset: roster.next_offset,
    }))
}
