//! `/api/mentions`: the messages that mention the caller, newest first.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::CurrentUser,
    chat::{MessageView, mentions},
    error::Result,
    web::{
        AppState,
        errors::ErrorBody,
        extract::{Json, Query},
    },
};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct MentionParams {
    /// `nextCursor` of the previous page.
    before: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentionItem {
    /// The message (open it with `/chats/{threadId}?message={id}`).
    message: MessageView,
    thread_id: Uuid,
    /// The conversation's name as the caller sees it.
    thread_name: String,
    /// Whether the caller's read pointer in that conversation passed the message.
    read: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentionList {
    mentions: Vec<MentionItem>,
    /// Mentions not read yet, in all the caller's conversations.
    unread: i64,
    /// Pass as `before` for the next page (20 a page); null when there is none.
    next_cursor: Option<Uuid>,
}

/// Messages that mention the caller (`@username`, or `@everyone`/`@here` in a group), in
/// conversations the caller is in now, newest first.
#[utoipa::path(get, path = "/api/mentions", tag = "messages", params(MentionParams),
    responses((status = 200, body = MentionList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<MentionParams>,
) -> Result<Json<MentionList>> {
    let page = mentions::list(&state.db, user.id(), params.before).await?;
    Ok(Json(MentionList {
        mentions: page
            .mentions
            .into_iter()
            .map(|m| MentionItem {
                thread_id: m.message.thread_id,
                message: m.message,
                thread_name: m.thread_name,
                read: m.read,
            })
            .collect(),
        unread: mentions::unread(&state.db, user.id()).await?,
        next_cursor: page.next_cursor,
    }))
}
